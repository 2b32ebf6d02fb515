"""SBML import: import + compile time per BioModels file, and batched throughput on an imported model.

1. Every file in ../shared/data/biomodels: ``from_sbml`` (parse, safety checks, translation into the
   expression tree), then ``compile()`` plus the NumPy right-hand side and symbolic Jacobian, then the
   batched engine's tape (where the batched engine runs the model's events: none, or all on time alone).
   Median and maximum seconds.
2. Throughput on the imported Kuznetsov 1994 SBML (BIOMD0000000762): N virtual patients with a
   lognormal spread (CV 30 %) of the kill rate ``n`` and the recruitment ``p``, 400 time units, rtol 1e-6:
   the batched engine (one numba kernel) against a loop of ``simulate`` (SciPy LSODA) and a loop of
   libRoadRunner (CVODE) on the same file, all in one run; patients per second and the largest
   relative difference of final tumour size against the SciPy loop at rtol 1e-10.

Run: ``python benchmarks/bench_sbml.py [--n 20000] [--loop 200]``; prints a Markdown section.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "biomodels"
KUZNETSOV = "kuznetsov1994-nonlinear-dynamics-of-immunogenic-tumors__BIOMD0000000762.xml"


def import_times() -> dict:
    from oncoimmune.engines import unsupported_model_events
    from oncoimmune.engines.tape import rhs_tape
    from oncoimmune.io.sbml import from_sbml

    imp, comp, tape = [], [], []
    n_ok = 0
    for f in sorted(DATA.glob("*.xml")):
        t0 = time.perf_counter()
        try:
            m = from_sbml(f)
        except Exception:  # noqa: BLE001 - counted
            continue
        t1 = time.perf_counter()
        cm = m.compile()
        cm.rhs()
        cm.jacobian()
        t2 = time.perf_counter()
        imp.append(t1 - t0)
        comp.append(t2 - t1)
        n_ok += 1
        if not unsupported_model_events(cm):
            try:
                rhs_tape(cm)
                tape.append(time.perf_counter() - t2)
            except Exception:  # noqa: BLE001 - trigonometric etc. not in the tape
                pass
    return {"n": n_ok, "import": imp, "compile": comp, "tape": tape}


def throughput(n: int, loop: int) -> dict:
    import roadrunner

    from oncoimmune import simulate
    from oncoimmune.engines.batched import solve_batch
    from oncoimmune.io.sbml import from_sbml

    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_FATAL)
    path = DATA / KUZNETSOV
    m = from_sbml(path)
    cm = m.compile()
    rng = np.random.default_rng(2024)
    sig = np.sqrt(np.log1p(0.3**2))
    P = np.tile(cm.p0, (n, 1))
    for name in ("n", "p"):
        j = cm.param_index(name)
        P[:, j] = cm.p0[j] * np.exp(rng.normal(0, sig, n))
    Y0 = np.tile(cm.y0, (n, 1))
    T = 400.0
    saveat = np.array([T])
    it = cm.state_index("T")
    solve_batch(cm, Y0[:8], P[:8], t1=T, saveat=saveat, rtol=1e-6, atol=1e-6)  # JIT warm-up
    t0 = time.perf_counter()
    sol = solve_batch(cm, Y0, P, t1=T, saveat=saveat, rtol=1e-6, atol=1e-6)
    t_batch = time.perf_counter() - t0
    ok = int(np.sum(sol.ok))
    # SciPy loop (rtol 1e-6) and a tight reference (1e-10) on the first `loop` patients
    names = cm.param_names
    t0 = time.perf_counter()
    for i in range(loop):
        simulate(m, T, saveat=saveat, parameters=dict(zip(names, P[i])), rtol=1e-6, atol=1e-6)
    t_scipy = time.perf_counter() - t0
    ref = np.array([
        float(simulate(m, T, saveat=saveat, parameters=dict(zip(names, P[i])), rtol=1e-10, atol=1e-10).T[-1])
        for i in range(loop)
    ])
    # libRoadRunner loop on the same file (CVODE, rtol 1e-6)
    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = 1e-6
    rr.integrator.absolute_tolerance = 1e-6
    t0 = time.perf_counter()
    for i in range(loop):
        rr.resetAll()
        rr["n"] = P[i, cm.param_index("n")]
        rr["p"] = P[i, cm.param_index("p")]
        rr.simulate(0, T, 2)
    t_rr = time.perf_counter() - t0
    final = sol.y[:loop, -1, it]
    err = float(np.max(np.abs(final - ref) / np.maximum(np.abs(ref), 1.0)))
    return {"n": n, "loop": loop, "ok": ok, "batch_s": t_batch, "scipy_s": t_scipy, "rr_s": t_rr, "err": err}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--loop", type=int, default=200)
    a = ap.parse_args(argv)
    it = import_times()
    tp = throughput(a.n, a.loop)
    med = statistics.median
    b = tp["n"] / tp["batch_s"]
    s = tp["loop"] / tp["scipy_s"]
    r = tp["loop"] / tp["rr_s"]
    print("## SBML import: import + compile time, batched throughput on an imported model (issue 10)\n")
    print(f"Command: `python benchmarks/bench_sbml.py --n {a.n} --loop {a.loop}` (one run; machine shared, 2 cores).\n")
    print(f"Import + compile of the {it['n']} BioModels files in `../shared/data/biomodels/`:\n")
    print("| step | median (s) | max (s) |\n|---|---|---|")
    print(f"| `from_sbml` (read, checks, translate) | {med(it['import']):.3f} | {max(it['import']):.3f} |")
    print(f"| `compile()` + NumPy rhs + symbolic Jacobian | {med(it['compile']):.3f} | {max(it['compile']):.3f} |")
    if it["tape"]:
        print(f"| batched-engine tape ({len(it['tape'])} models: no events, or all on time alone) | {med(it['tape']):.4f} | {max(it['tape']):.4f} |")
    print(f"\nThroughput on the imported Kuznetsov 1994 SBML (BIOMD0000000762), 400 time units, "
          f"CV 30 % on `n` and `p`, rtol 1e-6:\n")
    print("| engine | patients | seconds | patients/s | ratio vs SciPy loop |\n|---|---|---|---|---|")
    print(f"| batched (numba kernel) | {tp['n']} ({tp['ok']} ok) | {tp['batch_s']:.2f} | {b:,.0f} | {b / s:,.0f}x |")
    print(f"| `simulate` loop (SciPy LSODA) | {tp['loop']} | {tp['scipy_s']:.2f} | {s:,.1f} | 1x |")
    print(f"| libRoadRunner loop (CVODE, same file) | {tp['loop']} | {tp['rr_s']:.2f} | {r:,.1f} | {r / s:,.1f}x |")
    print(f"\nLargest relative difference of the final tumour size, batched (rtol 1e-6) vs SciPy at rtol 1e-10, "
          f"first {tp['loop']} patients: {tp['err']:.1e}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
