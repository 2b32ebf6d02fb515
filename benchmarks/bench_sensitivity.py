"""Sobol indices of a model output from 10^5 evaluations: batched engine vs a SciPy solve_ivp loop, one run.

Workload: Kuznetsov 1994 (library ``kuznetsov1994``), factors n, a, s, p (ranges 0.5x-2x or as listed) and the
initial tumour T0 (1e5-1e7, log-uniform); output log10 T at day 300; Sobol base sample 2^14 (k = 5, so
2^14 x 7 = 114,688 evaluations), rtol = atol = 1e-6 for both engines. The SciPy loop (LSODA) runs on the first
``--scipy-n`` design points and its per-evaluation time is compared; both outputs are compared on those points.

Run: ``PYTHONPATH=src python benchmarks/bench_sensitivity.py [--scipy-n 300]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
from scipy.integrate import solve_ivp

from oncoimmune.library import get_model
from oncoimmune.sensitivity import model_output, sobol


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=int, default=1 << 14)
    ap.add_argument("--scipy-n", type=int, default=300)
    args = ap.parse_args()
    m = get_model("kuznetsov1994")
    cm = m.compile()
    p0 = cm.p0
    bounds = {
        "n": (0.5 * p0[cm.param_index("n")], 2 * p0[cm.param_index("n")]),
        "a": (0.1, 0.3),
        "s": (0.5 * p0[cm.param_index("s")], 2 * p0[cm.param_index("s")]),
        "p": (0.1, 0.15),
        "T": (1e5, 1e7),
    }
    f = model_output(m, list(bounds), "T", days=300, log10=True, points=2)
    f(np.array([[b[0] for b in bounds.values()]]))  # compile / load the kernel outside the timing
    load = os.getloadavg()
    t0 = time.perf_counter()
    res = sobol(f, bounds, n=args.base, seed=0, log={"T"})
    total = time.perf_counter() - t0
    # SciPy loop on the first design points
    rhs = cm.rhs(np)
    X = res.X[: args.scipy_n]
    ys = np.empty(len(X))
    t1 = time.perf_counter()
    for i, row in enumerate(X):
        P = cm.p0.copy()
        y0 = cm.y0.copy()
        for j, name in enumerate(bounds):
            if name in cm.param_names:
                P[cm.param_index(name)] = row[j]
            else:
                y0[cm.state_index(name)] = row[j]
        sol = solve_ivp(lambda t, y: rhs(t, y, P), (0, 300), y0, method="LSODA", rtol=1e-6, atol=1e-6)
        ys[i] = np.log10(max(sol.y[cm.state_index("T"), -1], 1e-300))
    scipy_s = time.perf_counter() - t1
    per_b = res.seconds / res.n_evaluations
    per_s = scipy_s / len(X)
    out = {
        "evaluations": res.n_evaluations,
        "batched_solve_seconds": round(res.seconds, 2),
        "sobol_total_seconds": round(total, 2),
        "batched_evals_per_s": round(1 / per_b),
        "scipy_lsoda_evals_per_s": round(1 / per_s, 1),
        "speedup_vs_scipy": round(per_s / per_b, 1),
        "scipy_time_for_all_evaluations_s_extrapolated": round(per_s * res.n_evaluations),
        "max_abs_diff_log10T_vs_scipy": float(np.max(np.abs(ys - res.y[: len(X)]))),
        "ST": {k: round(v, 3) for k, v in res["ST"].items()},
        "S1": {k: round(v, 3) for k, v in res["S1"].items()},
        "ST_conf": {k: round(v, 3) for k, v in res["ST_conf"].items()},
        "cpus": len(os.sched_getaffinity(0)),
        "load_before": [round(x, 2) for x in load],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
