"""The batched engine: tapes, agreement with the reference engine, statuses, budget, order independence.

Error measure. A state's error is ``max_t |y - y_ref| / max_t |y_ref|``: the
largest deviation relative to the state's own peak over the run. Populations
span many orders of magnitude and pass close to zero (a tumour that is
cleared, a virus that is not yet given), where a pointwise relative error is
meaningless at any finite ``atol``; relative to the state's scale it is the
quantity a plot or an endpoint (RECIST, AUC) sees. Agreement tests integrate
*both* engines at tight tolerances (rtol 1e-12) so that they test the engine,
not the tolerance, and ask for 1e-6.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from oncoimmune import EngineError, Event, Model, Parameter, Source, State, Sym, Term, UnknownNameError, simulate
from oncoimmune.engines import ENGINES, get_engine
from oncoimmune.engines.batched import (
    STATUS_BUDGET,
    STATUS_BUDGET_STIFF,
    STATUS_OK,
    iter_solve_batch,
    jacobian_t_tape,
    solve_batch,
)
from oncoimmune.engines.tape import build_tape, eval_tape, jacobian_tape, observables_tape, rhs_tape
from oncoimmune.library import default_days, default_events, get_model, list_models

MODEL_IDS = [m["id"] for m in list_models()]
SRC = Source("test problem")


def scaled_error(y: np.ndarray, ref: np.ndarray) -> float:
    """``max_t |y - ref| / max_t |ref|`` per state, maximised over states (see the module docstring)."""
    scale = np.nanmax(np.abs(ref), axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    return float(np.nanmax(np.abs(y - ref) / scale))


def states_of(ds, names) -> np.ndarray:
    return np.stack([ds[s].values for s in names], axis=-1)


def blow_up() -> Model:
    """dT/dt = c T^2: T(t) = 1 / (1/T0 - c t), infinite at t = 1/(c T0)."""
    T = Sym("T")
    return Model(
        id="blowup",
        title="finite-time blow-up",
        states=(State("T", 1.0, "cells", "cells"),),
        parameters=(Parameter("c", 1.0, "1/(cell*day)", "rate", SRC),),
        terms=(Term("growth", Sym("c") * T * T, {"T": 1}, "explosive growth"),),
    )


def pk_kill_model() -> Model:
    """Kuznetsov 1994 with a one-compartment antibody whose occupancy scales the kill term."""
    A, CL, V, EC50, emax = Sym("A"), Sym("CL"), Sym("V"), Sym("EC50"), Sym("emax")
    m = get_model("kuznetsov1994").add(
        id="kuz_pk",
        states=(State("A", 0.0, "mg", "antibody amount"),),
        parameters=(
            Parameter("CL", 0.22, "L/day", "clearance", SRC),
            Parameter("V", 3.5, "L", "volume", SRC),
            Parameter("EC50", 1.0, "ug/mL", "half-maximal occupancy", SRC),
            Parameter("emax", 2.0, "1", "kill enhancement", SRC),
        ),
        terms=(Term("elimination", CL / V * A, {"A": -1}, "linear clearance"),),
    )
    return m.scale_terms("kill", 1 + emax * (A / V) / (EC50 + A / V))


# 1. tapes ----------------------------------------------------------------------
@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_tape_matches_compile_expr(model_id):
    cm = get_model(model_id).compile()
    rng = np.random.default_rng(0)
    Y = np.abs(cm.y0[:, None] * np.exp(rng.normal(0, 0.5, (cm.n_states, 40)))) + rng.uniform(0, 1, (cm.n_states, 40))
    P = cm.p0[:, None] * np.exp(rng.normal(0, 0.2, (cm.n_params, 40)))
    n = cm.n_states
    with np.errstate(all="ignore"):
        pairs = [
            (eval_tape(rhs_tape(cm), 3.0, Y, P), cm.rhs()(3.0, Y, P)),
            (eval_tape(jacobian_tape(cm), 3.0, Y, P), cm.jacobian()(3.0, Y, P).reshape(n * n, -1)),
            (eval_tape(jacobian_t_tape(cm), 3.0, Y, P)[: n * n], cm.jacobian()(3.0, Y, P).reshape(n * n, -1)),
            (eval_tape(rhs_tape(cm), 3.0, Y[:, 0], P[:, 0]), cm.rhs()(3.0, Y[:, 0], P[:, 0])),
        ]
        if cm.observable_names:
            pairs.append((eval_tape(observables_tape(cm), 3.0, Y, P), cm.observables()(3.0, Y, P)))
    for got, want in pairs:
        # the tapes write a division by a parameter-only or shared denominator as a multiplication by
        # its reciprocal (tape.build_tape): the last bit of a term may change, which a cancellation
        # between terms shows relative to the (smaller) result, so the floor is the output's scale
        want = np.asarray(want, dtype=float) + np.zeros_like(got)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        with np.errstate(all="ignore"):
            scale = np.nan_to_num(np.nanmax(np.abs(np.where(np.isfinite(want), want, np.nan)), axis=-1,
                                            keepdims=True))
            ok = (got == want) | (np.abs(got - want) <= 1e-14 * np.abs(want) + 1e-15 * scale) | np.isnan(want)
        assert ok.all(), (got[~ok], want[~ok])
    # without that rewrite the tape is the expression, operation for operation
    exact = build_tape(cm.derivatives, cm.index, cm.n_states, cm.n_params, reciprocal_divisors=False)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(eval_tape(exact, 3.0, Y, P), cm.rhs()(3.0, Y, P), rtol=1e-14, atol=0,
                                   equal_nan=True)


def test_tape_shares_subexpressions_and_reuses_registers():
    cm = get_model("depillis2005").compile()
    tape = rhs_tape(cm)
    # the kill law D appears in several derivatives but is computed once
    n_ops = sum(1 for _ in tape.code)
    assert n_ops < 60 and tape.n_regs < tape.const_base + n_ops


# 2. agreement with the reference engine ---------------------------------------------
#: absolute tolerance floor of the agreement test; Wodarz 2001's relaxation oscillations pass through
#: values of 5e-11 and amplify absolute errors there, so its floor must be far lower
AGREEMENT_ATOL = {"wodarz2001": 1e-18}


@pytest.mark.parametrize("model_id", MODEL_IDS)
def test_agrees_with_reference_on_library_models(model_id):
    m = get_model(model_id)
    days = default_days(model_id)
    evs = default_events(model_id)
    atol = AGREEMENT_ATOL.get(model_id, 1e-15)
    kw = dict(events=evs, rtol=1e-12, atol=atol, saveat=np.linspace(0.0, days, 401))
    ref = simulate(m, days, **kw)
    assert ref.attrs["status"] == "ok", ref.attrs["status_reason"]
    got = simulate(m, days, engine="batched", **kw)
    assert got.attrs["status"] == "ok", got.attrs["status_reason"]
    assert got.attrs["engine"] == "batched"
    assert scaled_error(states_of(got, m.state_names), states_of(ref, m.state_names)) < 1e-6


def test_bolus_doses_state_and_parameter_events():
    m = pk_kill_model()
    evs = [Event(21.0 * k, "A", "add", 200.0, label="200 mg") for k in range(18)]
    evs += [Event(100.0, "T", "multiply", 0.5, label="resection"), Event(200.0, "emax", "set", 0.0, kind="parameter")]
    kw = dict(events=evs, rtol=1e-12, atol=1e-12)
    ref = simulate(m, 365, **kw)
    cm = m.compile()
    sol = solve_batch(cm, cm.y0, cm.p0, t1=365.0, saveat=ref.time.values, rtol=1e-12, atol=1e-12, events=evs)
    assert sol.ok.all(), sol.reason(0)
    assert scaled_error(sol.y[0], states_of(ref, cm.state_names)) < 1e-6
    # right-continuous: the value saved at a dose time is after the jump
    i = int(np.searchsorted(sol.t, 21.0))
    assert sol.state("A")[0, i] > 200.0 > sol.state("A")[0, i - 1]


@pytest.mark.parametrize("method", ["dopri5", "rosenbrock", "dop853"])
def test_parameter_add_events_stack_like_the_reference(method):
    """Overlapping infusions: 'add' on a rate parameter stacks (it is not a 'set')."""
    A, R = Sym("A"), Sym("R")
    m = Model(
        id="infusion", title="infusion", states=(State("A", 0.0, "mg", "amount"),),
        parameters=(Parameter("R", 0.0, "mg/day", "infusion rate", SRC), Parameter("k", 0.2, "1/day", "k", SRC)),
        terms=(Term("in", R, {"A": 1}, "infusion"), Term("out", Sym("k") * A, {"A": -1}, "elimination")),
    )
    evs = [Event(1.0, "R", "add", 10.0, kind="parameter"), Event(2.0, "R", "add", 5.0, kind="parameter"),
           Event(3.0, "R", "set", 0.0, kind="parameter")]
    save = np.linspace(0.0, 6.0, 61)
    ref = simulate(m, 6.0, saveat=save, events=evs, rtol=1e-12, atol=1e-12)
    cm = m.compile()
    sol = solve_batch(cm, cm.y0, cm.p0, t1=6.0, saveat=save, events=evs, rtol=1e-12, atol=1e-12, method=method)
    assert sol.ok.all(), sol.reason(0)
    assert scaled_error(sol.y[0], states_of(ref, cm.state_names)) < 1e-9


def test_shared_schedule_with_per_patient_amounts_equals_individual_lists():
    cm = pk_kill_model().compile()
    times = [0.0, 21.0, 42.0]
    evs = [Event(t, "A", "add", 200.0) for t in times]
    amounts = np.array([[100.0, 100.0, 100.0], [200.0, 0.0, 400.0]])
    save = np.arange(61.0)
    shared = solve_batch(cm, cm.y0, cm.p0, t1=60.0, saveat=save, events=evs, event_values=amounts)
    lists = [[Event(t, "A", "add", a) for t, a in zip(times, row)] for row in amounts]
    each = solve_batch(cm, cm.y0, cm.p0, t1=60.0, saveat=save, events=lists)
    np.testing.assert_array_equal(shared.y, each.y)


def test_results_do_not_depend_on_the_save_grid():
    m = pk_kill_model()
    cm = m.compile()
    evs = [Event(21.0 * k, "A", "add", 200.0) for k in range(5)]
    daily = solve_batch(cm, cm.y0, cm.p0, t1=100.0, saveat=np.arange(101.0), events=evs)
    sparse_grid = np.array([0.0, 3.5, 21.0, 50.0, 77.25, 100.0])
    sparse = solve_batch(cm, cm.y0, cm.p0, t1=100.0, saveat=sparse_grid, events=evs)
    common = np.array([0, 21, 50, 100])
    np.testing.assert_array_equal(sparse.y[0, [0, 2, 3, 5]], daily.y[0, common])


# 3. statuses, budget, stiffness -------------------------------------------------------
def test_blow_up_patient_fails_without_stopping_the_others():
    cm = blow_up().compile()
    c = np.array([0.1, 1.0, 0.2, 2.0, 0.05])  # blow-up at t = 1/c: 10, 1, 5, 0.5, 20 days
    P = c[:, None]
    save = np.linspace(0.0, 4.0, 41)
    sol = solve_batch(cm, [1.0], P, t1=4.0, saveat=save, rtol=1e-10, atol=1e-10, max_steps=20_000)
    ok = sol.ok
    np.testing.assert_array_equal(ok, [True, False, True, False, True])
    for i in np.nonzero(ok)[0]:
        np.testing.assert_allclose(sol.y[i, :, 0], 1.0 / (1.0 - c[i] * save), rtol=1e-8)
    for i in np.nonzero(~ok)[0]:
        assert sol.reason(i) and sol.t_fail[i] <= 1.0 / c[i] + 1e-9
        before = save < 0.9 / c[i]
        np.testing.assert_allclose(sol.y[i, before, 0], 1.0 / (1.0 - c[i] * save[before]), rtol=1e-8)
        assert np.all(np.isnan(sol.y[i, save > 1.0 / c[i], 0]))


def test_work_budget_per_patient():
    cm = get_model("kuznetsov1994").compile()
    P = np.tile(cm.p0, (3, 1))
    sol = solve_batch(cm, cm.y0, P, t1=2000.0, saveat=[0.0, 2000.0], max_steps=50)
    assert np.all(sol.status == STATUS_BUDGET)
    assert np.all(sol.nsteps <= 50) and "work budget" in sol.reason(0)
    ds = simulate(get_model("kuznetsov1994"), 2000, engine="batched", max_nfev=100)
    assert ds.attrs["status"] == "failed" and "work budget" in ds.attrs["status_reason"]
    assert ds.attrs["nfev"] <= 110


@pytest.mark.parametrize("explicit_method, auto_method", [("dopri5", "auto"), ("dop853", "auto-dop853")])
def test_stiff_patient_is_detected_and_switched(explicit_method, auto_method):
    mid = "andersen2017_mpn"
    cm = get_model(mid).compile()
    kw = dict(t1=3650.0, saveat=np.linspace(0.0, 3650.0, 11), rtol=1e-6, atol=1e-6)
    explicit = solve_batch(cm, cm.y0, cm.p0, method=explicit_method, max_steps=20_000, **kw)
    assert explicit.status[0] == STATUS_BUDGET_STIFF and "stiff" in explicit.reason(0)
    auto = solve_batch(cm, cm.y0, cm.p0, method=auto_method, **kw)
    assert auto.status[0] == STATUS_OK and np.isfinite(auto.t_stiff[0]) and auto.njev[0] > 0
    ref = simulate(get_model(mid), 3650.0, saveat=kw["saveat"], rtol=1e-10, atol=1e-10)
    assert scaled_error(auto.y[0], states_of(ref, cm.state_names)) < 1e-4


@pytest.mark.parametrize("method", ["auto", "dopri5", "rosenbrock", "dop853", "auto-dop853"])
def test_methods_agree_on_a_nonstiff_cohort(method):
    cm = pk_kill_model().compile()
    rng = np.random.default_rng(3)
    P = cm.p0 * np.exp(rng.normal(0.0, 0.3, (6, cm.n_params)))
    evs = [Event(21.0 * k, "A", "add", 200.0) for k in range(6)]
    save = np.arange(121.0)
    sol = solve_batch(cm, cm.y0, P, t1=120.0, saveat=save, events=evs, rtol=1e-9, atol=1e-9, method=method)
    assert sol.ok.all()
    for i in (0, 5):
        ref = simulate(
            pk_kill_model().with_parameters(dict(zip(cm.param_names, P[i]))), 120, events=evs, rtol=1e-11, atol=1e-11
        )
        assert scaled_error(sol.y[i], states_of(ref, cm.state_names)) < 1e-6


# 4. independence of batch order, lanes, threads, chunks -------------------------------
@pytest.mark.parametrize("method", ["auto", "auto-dop853"])
def test_results_do_not_depend_on_batch_order_lanes_threads_or_chunks(method):
    cm = pk_kill_model().compile()
    rng = np.random.default_rng(7)
    n = 37
    P = cm.p0 * np.exp(rng.normal(0.0, 0.4, (n, cm.n_params)))
    Y0 = np.tile(cm.y0, (n, 1))
    Y0[:, 1] *= np.exp(rng.normal(0.0, 1.0, n))
    Y0[4, 1] = 0.0
    evs = [Event(21.0 * k, "A", "add", 200.0) for k in range(10)]
    kw = dict(t1=200.0, saveat=np.arange(201.0), events=evs, method=method)
    base = solve_batch(cm, Y0, P, lanes=8, threads=1, **kw)
    perm = rng.permutation(n)
    shuffled = solve_batch(cm, Y0[perm], P[perm], lanes=32, threads=2, **kw)
    np.testing.assert_array_equal(shuffled.y, base.y[perm])
    np.testing.assert_array_equal(shuffled.nsteps, base.nsteps[perm])
    alone = solve_batch(cm, Y0[5], P[5], lanes=1, **kw)
    np.testing.assert_array_equal(alone.y[0], base.y[5])
    parts = list(iter_solve_batch(cm, Y0, P, chunk_size=10, **kw))
    assert [p.start for p, _ in parts] == [0, 10, 20, 30]
    np.testing.assert_array_equal(np.concatenate([s.y for _, s in parts]), base.y)


def test_save_states_and_float32_output():
    cm = pk_kill_model().compile()
    sol = solve_batch(cm, cm.y0, cm.p0, t1=10.0, saveat=np.arange(11.0), save_states=["T"], dtype=np.float32)
    full = solve_batch(cm, cm.y0, cm.p0, t1=10.0, saveat=np.arange(11.0))
    assert sol.y.shape == (1, 11, 1) and sol.y.dtype == np.float32 and sol.states == ("T",)
    np.testing.assert_allclose(sol.state("T"), full.state("T"), rtol=1e-7)


# 5. registry and misuse -----------------------------------------------------------------
def test_registered_and_usable_through_simulate():
    assert "batched" in ENGINES and get_engine("batched").name == "batched"
    ds = simulate(get_model("kuznetsov1994"), 50, engine="batched", method="dopri5")
    assert ds.attrs["status"] == "ok" and ds.attrs["method"] == "dopri5"


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(Y0=np.ones((2, 3))), EngineError, "Y0"),
        (dict(P=np.ones(3)), EngineError, "P must have shape"),
        (dict(Y0=[np.nan, 1.0]), EngineError, "not finite"),
        (dict(Y0=[-1.0, 1.0]), EngineError, "must be >= 0"),
        (dict(saveat=[0.0, 20.0]), EngineError, "within"),
        (dict(saveat=[5.0, 1.0]), EngineError, "strictly increasing"),
        (dict(rtol=0.0), EngineError, "rtol"),
        (dict(atol=[1.0, 2.0, 3.0]), EngineError, "atol"),
        (dict(max_steps=0), EngineError, "budget"),
        (dict(method="euler"), UnknownNameError, "rosenbrock"),
        (dict(events=[Event(1.0, "X", "add", 1.0)]), UnknownNameError, "'X'"),
        (dict(events=[Event(1.0, "T", "add", 1.0)], event_values=np.ones((1, 2))), EngineError, "event_values"),
        (dict(P=np.ones((2, 8)), events=[[Event(1.0, "T", "add", 1.0)]] * 3), EngineError, "cohort has 3"),
        (dict(save_states=["Q"]), UnknownNameError, "'Q'"),
    ],
)
def test_misuse_raises_naming_the_argument(kwargs, err, match):
    cm = get_model("kuznetsov1994").compile()
    args = dict(Y0=cm.y0, P=cm.p0, t1=10.0, saveat=np.arange(11.0))
    args.update(kwargs)
    Y0, P = args.pop("Y0"), args.pop("P")
    with pytest.raises(err, match=match):
        solve_batch(cm, Y0, P, **args)


def test_unknown_engine_option_is_refused():
    from oncoimmune.engines import Problem

    cm = get_model("kuznetsov1994").compile()
    pb = Problem(cm, cm.y0, cm.p0, 0.0, 1.0, np.array([0.0, 1.0]), options={"lanez": 4})
    with pytest.raises(EngineError, match="lanez"):
        get_engine("batched").solve(pb)


def test_one_compiled_kernel_serves_every_model():
    """The tape is data: different models, events and options reuse the same machine code."""
    from oncoimmune.engines import _kernels

    for mid in ("kuznetsov1994", "depillis2005"):
        cm = get_model(mid).compile()
        solve_batch(cm, cm.y0, cm.p0, t1=5.0, saveat=[0.0, 5.0])
        solve_batch(cm, cm.y0, np.tile(cm.p0, (3, 1)), t1=5.0, saveat=[5.0], method="rosenbrock", lanes=4)
    cm = pk_kill_model().compile()
    solve_batch(cm, cm.y0, cm.p0, t1=5.0, saveat=[5.0], events=[Event(1.0, "A", "add", 1.0)], save_states=["T"])
    assert len(_kernels.solve_chunk.signatures) == 1
