"""Patients per second: batched engine vs a SciPy ``solve_ivp`` loop vs a libRoadRunner loop.

Model: Kuznetsov et al. (1994) effector-tumour dynamics, plus a two-compartment
antibody PK (amounts A1, A2 in mg) and an effect compartment Ce whose
occupancy Ce/(EC50 + Ce) raises the kill rate by up to (1 + emax); 200 mg IV
boluses every 21 days for 365 days, daily output, rtol = atol = 1e-6. Patients
differ in every parameter (log-normal, CV 30 %) and in the initial tumour
(log-normal, sd 1 in log).

Accuracy: each engine's saved trajectories for the first ``--n-ref`` patients
against a tight reference (SciPy DOP853, rtol 1e-11, atol 1e-11); error of a
state is ``max_t |y - y_ref| / max_t |y_ref|``, the maximum over states is
reported (median, 95th percentile, max over patients).

Memory: peak of NumPy/Python allocations (tracemalloc) during the batched
solve, and the process's peak RSS.

Run: ``python benchmarks/bench_engines.py [--n 1000 10000] [--big 100000]``.
The illustrative PK values are of the order of pembrolizumab's population PK;
this is a benchmark, not a clinical model.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import tracemalloc

import numpy as np
from scipy.integrate import solve_ivp

from oncoimmune import Event
from oncoimmune.engines.batched import iter_solve_batch, solve_batch
from oncoimmune.library import get_model
from oncoimmune.model import Model, Parameter, Source, State, Sym, Term
from oncoimmune.model.expr import Num, Op, to_text

SRC = Source("benchmark model (illustrative PK values of the order of pembrolizumab popPK)")
DAYS = 365.0
DOSE_TIMES = np.arange(0.0, DAYS, 21.0)
DOSE_MG = 200.0


def build_bench_model() -> Model:
    """Kuznetsov 1994 + two-compartment PK + effect-site occupancy scaling the kill term (5 states)."""
    A1, A2, Ce = Sym("A1"), Sym("A2"), Sym("Ce")
    CL, V1, Q, V2, ke0, EC50, emax = (Sym(x) for x in "CL V1 Q V2 ke0 EC50 emax".split())
    m = get_model("kuznetsov1994").add(
        id="bench_kuznetsov_pk",
        states=(
            State("A1", 0.0, "mg", "antibody, central"),
            State("A2", 0.0, "mg", "antibody, peripheral"),
            State("Ce", 0.0, "ug/mL", "effect-site concentration"),
        ),
        parameters=(
            Parameter("CL", 0.22, "L/day", "clearance", SRC),
            Parameter("V1", 3.5, "L", "central volume", SRC),
            Parameter("Q", 0.8, "L/day", "intercompartmental clearance", SRC),
            Parameter("V2", 4.0, "L", "peripheral volume", SRC),
            Parameter("ke0", 0.5, "1/day", "effect-site equilibration rate", SRC),
            Parameter("EC50", 1.0, "ug/mL", "concentration for half occupancy", SRC),
            Parameter("emax", 2.0, "1", "maximal relative increase of the kill rate", SRC),
        ),
        terms=(
            Term("elimination", CL / V1 * A1, {"A1": -1}, "linear clearance"),
            Term("distribution", Q / V1 * A1 - Q / V2 * A2, {"A1": -1, "A2": 1}, "exchange"),
            Term("effect_site", ke0 * (A1 / V1 - Ce), {"Ce": 1}, "effect-site equilibration"),
        ),
    )
    return m.scale_terms("kill", 1 + emax * Ce / (EC50 + Ce))


def cohort(cm, n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    z = np.random.default_rng(seed).normal(0.0, 1.0, (n, cm.n_params + 1))  # row i is patient i for any n
    P = cm.p0 * np.exp(0.3 * z[:, :-1])
    Y0 = np.tile(cm.y0, (n, 1))
    Y0[:, cm.state_index("T")] *= np.exp(z[:, -1])
    return Y0, P


def events() -> list[Event]:
    return [Event(float(t), "A1", "add", DOSE_MG, label="200 mg IV") for t in DOSE_TIMES]


SAVE = np.arange(DAYS + 1.0)


def scipy_patient(cm, y0, p, rtol, atol, method="LSODA") -> np.ndarray:
    """One patient with solve_ivp, piecewise between doses (the reference engine's approach, less its bookkeeping)."""
    f = cm.rhs(np)
    i = cm.state_index("A1")
    out = np.empty((SAVE.size, cm.n_states))
    y = np.array(y0, dtype=float)
    bounds = list(DOSE_TIMES) + [DAYS]
    for k in range(len(bounds) - 1):
        ta, tb = bounds[k], bounds[k + 1]
        y[i] += DOSE_MG
        last = k == len(bounds) - 2
        mask = (SAVE >= ta) & ((SAVE <= tb) if last else (SAVE < tb))
        r = solve_ivp(lambda t, yy: f(t, yy, p), (ta, tb), y, method=method, rtol=rtol, atol=atol,
                      t_eval=SAVE[mask], dense_output=False)
        out[mask] = r.y.T
        y = r.y[:, -1].copy() if r.t[-1] == tb else solve_ivp(
            lambda t, yy: f(t, yy, p), (ta, tb), y, method=method, rtol=rtol, atol=atol).y[:, -1]
    return out


def sbml_of(model: Model) -> str:
    """SBML Level 3 text of a model with rate rules (for libRoadRunner); formulas via libsbml's parser."""
    import libsbml

    doc = libsbml.SBMLDocument(3, 2)
    sm = doc.createModel()
    sm.setId("bench")
    comp = sm.createCompartment()
    comp.setId("c")
    comp.setSize(1.0)
    comp.setConstant(True)
    cm = model.compile()
    for name, val in zip(cm.param_names, cm.p0):
        par = sm.createParameter()
        par.setId(name)
        par.setValue(float(val))
        par.setConstant(False)
    for name, val, der in zip(cm.state_names, cm.y0, (model.derivative(s, inline=True) for s in cm.state_names)):
        par = sm.createParameter()
        par.setId(name)
        par.setValue(float(val))
        par.setConstant(False)
        rule = sm.createRateRule()
        rule.setVariable(name)
        _check_exact_numbers(der)
        rule.setMath(libsbml.parseL3Formula(to_text(der)))
    return libsbml.writeSBMLToString(doc)


def _check_exact_numbers(e) -> None:
    """to_text rounds constants to 6 digits; the benchmark model only has short ones, check it."""
    if isinstance(e, Num):
        assert float(f"{e.value:.6g}") == e.value, e.value
    elif isinstance(e, Op):
        for a in e.args:
            _check_exact_numbers(a)


def roadrunner_patients(model: Model, Y0, P, rtol, atol):
    import roadrunner

    cm = model.compile()
    rr = roadrunner.RoadRunner(sbml_of(model))
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = atol
    rr.integrator.setValue("maximum_num_steps", 100000)
    ids = list(cm.param_names) + list(cm.state_names)
    bounds = list(DOSE_TIMES) + [DAYS]
    out = np.empty((Y0.shape[0], SAVE.size, cm.n_states))
    cols = ["time"] + list(cm.state_names)
    rr.timeCourseSelections = cols
    for n in range(Y0.shape[0]):
        rr.resetAll()
        for k, v in zip(ids, np.r_[P[n], Y0[n]]):
            rr[k] = float(v)
        for k in range(len(bounds) - 1):
            ta, tb = bounds[k], bounds[k + 1]
            rr["A1"] = rr["A1"] + DOSE_MG
            npts = int(round(tb - ta)) + 1
            res = np.asarray(rr.simulate(ta, tb, npts))
            lo = int(round(ta))
            out[n, lo : lo + npts - 1] = res[:-1, 1:]
            if k == len(bounds) - 2:
                out[n, lo + npts - 1] = res[-1, 1:]
    return out


def rel_errors(Y: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Per patient: max over states of max_t |Y - R| / max_t |R|."""
    scale = np.nanmax(np.abs(R), axis=1, keepdims=True)
    scale = np.where(scale > 0, scale, 1.0)
    return np.nanmax(np.abs(Y - R) / scale, axis=(1, 2))


def fmt_err(e: np.ndarray) -> str:
    return f"{np.median(e):.1e} / {np.percentile(e, 95):.1e} / {np.max(e):.1e}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 10000], help="cohort sizes for the batched engine")
    ap.add_argument("--big", type=int, default=0, help="also stream this many patients (T only, float32)")
    ap.add_argument("--n-loop", type=int, default=100, help="patients timed in the SciPy and RoadRunner loops")
    ap.add_argument("--n-ref", type=int, default=50, help="patients checked against the tight reference")
    ap.add_argument("--repeats", type=int, default=3, help="timings are the best of this many runs")
    args = ap.parse_args()
    model = build_bench_model()
    cm = model.compile()
    evs = events()
    tol = dict(rtol=1e-6, atol=1e-6)
    rows = []

    t = time.perf_counter()
    solve_batch(cm, cm.y0, cm.p0, t1=DAYS, saveat=SAVE, events=evs, **tol)
    first_call = time.perf_counter() - t

    Yr, Pr = cohort(cm, args.n_ref)
    ref = np.stack([scipy_patient(cm, Yr[i], Pr[i], 1e-11, 1e-11, "DOP853") for i in range(args.n_ref)])

    for n in args.n:
        Y0, P = cohort(cm, n)
        for threads in (1, 2):
            best = np.inf
            for _ in range(args.repeats):
                tracemalloc.start()
                t = time.perf_counter()
                sol = solve_batch(cm, Y0, P, t1=DAYS, saveat=SAVE, events=evs, threads=threads, **tol)
                dt = time.perf_counter() - t
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                best = min(best, dt)
            err = rel_errors(sol.y[: args.n_ref], ref)
            rows.append((f"batched (numba, {threads} thread{'s' * (threads > 1)})", n, n / best, err,
                         f"{peak / 2**20:.0f} MiB", f"{int(sol.ok.sum())}/{n} ok, {sol.nsteps.mean():.0f} steps"))

    if args.big:
        Y0, P = cohort(cm, args.big)
        tracemalloc.start()
        t = time.perf_counter()
        n_ok = 0
        tmin = []
        for part, sol in iter_solve_batch(cm, Y0, P, t1=DAYS, saveat=SAVE, events=evs, save_states=["T"],
                                          dtype=np.float32, chunk_size=20_000, **tol):
            n_ok += int(sol.ok.sum())
            tmin.append(sol.y[:, :, 0].min(axis=1))  # e.g. nadir per patient; the chunk is then dropped
        dt = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append(("batched, streamed (chunks of 20k, T only, float32)", args.big, args.big / dt,
                     None, f"{peak / 2**20:.0f} MiB", f"{n_ok}/{args.big} ok"))

    nl = args.n_loop
    Y0, P = cohort(cm, nl)
    t = time.perf_counter()
    sc = np.stack([scipy_patient(cm, Y0[i], P[i], tol["rtol"], tol["atol"]) for i in range(nl)])
    dt = time.perf_counter() - t
    rows.append(("SciPy solve_ivp loop (LSODA)", nl, nl / dt, rel_errors(sc[: args.n_ref], ref), "-", ""))

    try:
        t = time.perf_counter()
        rr = roadrunner_patients(model, Y0, P, tol["rtol"], tol["atol"])
        dt = time.perf_counter() - t
        rows.append(("libRoadRunner loop (CVODE)", nl, nl / dt, rel_errors(rr[: args.n_ref], ref), "-", ""))
    except ImportError as exc:  # pragma: no cover
        rows.append((f"libRoadRunner: not installed ({exc})", nl, float("nan"), None, "-", ""))

    scipy_rate = rows[-2][2] if "SciPy" in rows[-2][0] else rows[-1][2]
    print(f"\nModel {model.id}: {cm.n_states} states, {cm.n_params} parameters, {DOSE_TIMES.size} doses, "
          f"{DAYS:g} days, daily output, rtol = atol = 1e-6")
    print(f"Machine: {platform.processor() or platform.machine()}, first batched call (load or compile): "
          f"{first_call:.1f} s; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB\n")
    print("| engine | patients | patients/s | x SciPy loop | error vs tight ref: median / p95 / max | "
          "peak NumPy memory | notes |")
    print("|---|---:|---:|---:|---|---|---|")
    for name, n, rate, err, mem, note in rows:
        e = fmt_err(err) if err is not None else "-"
        print(f"| {name} | {n} | {rate:,.0f} | {rate / scipy_rate:,.0f} | {e} | {mem} | {note} |")


if __name__ == "__main__":
    main()
