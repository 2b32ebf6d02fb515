"""JAX/diffrax engine: agreement with the SciPy reference, statuses, gradients."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffrax")
jax = pytest.importorskip("jax")

from oncoimmune import Event, Model, Parameter, Source, State, Sym, Term, simulate
from oncoimmune.engines.jax_engine import JaxEngine, solve_final
from oncoimmune.library import get_model

TOL = {"rtol": 1e-10, "atol": 1e-10}


def _scaled_error(ref, new) -> dict[str, float]:
    return {
        v: float(np.max(np.abs(ref[v].values - new[v].values)) / np.max(np.abs(ref[v].values)))
        for v in ref.data_vars
    }


@pytest.mark.parametrize(
    "model_id, days, params, events",
    [
        ("kuznetsov1994", 100, {}, [Event(20.0, "E", "add", 1.0e6, label="bolus")]),
        ("kirschner_panetta1998", 300, {"c": 0.05}, []),
        ("depillis2005", 100, {}, []),
    ],
)
def test_agrees_with_scipy_reference(model_id, days, params, events):
    m = get_model(model_id)
    if params:
        m = m.with_parameters(**params)
    ref = simulate(m, days, events=events, **TOL)
    new = simulate(m, days, events=events, engine="jax", **TOL)
    assert ref.attrs["status"] == "ok"
    assert new.attrs["status"] == "ok", new.attrs["status_reason"]
    assert new.attrs["engine"] == "jax" and new.attrs["method"] == "Tsit5"
    err = _scaled_error(ref, new)
    assert max(err.values()) < 1e-6, err


def test_blow_up_fails_with_status_not_exception():
    T = Sym("T")
    m = Model(
        id="blowup",
        title="finite-time blow-up",
        states=(State("T", 1.0, "cells", "cells"),),
        parameters=(Parameter("c", 1.0, "1/(cell*day)", "rate", Source("test problem")),),
        terms=(Term("growth", Sym("c") * T * T, {"T": 1}, "explosive growth"),),
    )
    ds = simulate(m, 2, saveat=np.linspace(0, 2, 21), max_nfev=20_000, engine="jax")
    assert ds.attrs["status"] == "failed" and ds.attrs["status_reason"]
    t = ds.time.values
    assert np.all(np.isnan(ds.T.values[t > 1.0]))
    np.testing.assert_allclose(ds.T.values[t < 0.9], 1.0 / (1.0 - t[t < 0.9]), rtol=1e-6)


def test_work_budget_maps_to_max_steps():
    ds = simulate(get_model("kuznetsov1994"), 2000, max_nfev=100, engine="jax")
    assert ds.attrs["status"] == "failed" and "work budget" in ds.attrs["status_reason"]


def test_unknown_method_is_refused():
    from oncoimmune import UnknownNameError

    with pytest.raises(UnknownNameError):
        simulate(get_model("kuznetsov1994"), 1, engine="jax", method="RK45")


def test_gradient_matches_finite_difference_of_reference():
    m = get_model("kuznetsov1994")
    cm = m.compile()
    days, name = 30.0, "a"
    j = cm.param_index(name)
    iT = cm.state_index("T")

    def final_T(p):
        return solve_final(cm, cm.y0, p, days, rtol=1e-10, atol=1e-10)[iT]

    g = float(jax.grad(final_T)(jax.numpy.asarray(cm.p0))[j])
    h = 1e-4 * cm.p0[j]

    def ref(v):
        ds = simulate(m, days, saveat=[days], parameters={name: v}, **TOL)
        return float(ds.T.values[-1])

    fd = (ref(cm.p0[j] + h) - ref(cm.p0[j] - h)) / (2 * h)
    assert abs(g - fd) <= 1e-4 * abs(fd), (g, fd)
    # the hook agrees with the engine's forward solve
    assert float(final_T(jax.numpy.asarray(cm.p0))) == pytest.approx(ref(cm.p0[j]), rel=1e-7)


def test_kvaerno5_method_agrees():
    assert JaxEngine.methods == ("Tsit5", "Kvaerno5") and JaxEngine.default_method == "Tsit5"
    ds = simulate(get_model("kuznetsov1994"), 20, engine="jax", method="Kvaerno5", rtol=1e-8, atol=1e-8)
    ref = simulate(get_model("kuznetsov1994"), 20, rtol=1e-10, atol=1e-10)
    assert ds.attrs["status"] == "ok" and ds.attrs["method"] == "Kvaerno5"
    assert max(_scaled_error(ref, ds).values()) < 1e-5
