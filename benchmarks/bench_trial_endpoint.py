"""Sensitivity of a trial endpoint: trials per second on the batched engine vs the former per-row SciPy path.

Workload: the virtual KEYNOTE-024 (``examples/keynote024.toml``), a fixed calibration cohort of ``--patients``
screened patients in both arms (``oncoimmune.trials.calibration.build_cohort``), endpoint ORR of the
pembrolizumab arm, factors k_kill (0.005-0.05, log) and f_res (0.05-0.5); Sobol design with base sample
``--base`` (k = 2, so ``4 x base`` trials). The batched engine (``trial_endpoint(..., engine="batched")``, the
default) runs every trial; the SciPy path (``engine="scipy"``) runs the first ``--scipy-n`` design points, and
the two are compared on those points. One evaluation = one two-arm trial of ``--patients`` patients.

Run: ``PYTHONPATH=src python benchmarks/bench_trial_endpoint.py [--base 256] [--patients 60] [--scipy-n 8]``
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from oncoimmune.sensitivity import sobol, trial_endpoint
from oncoimmune.trials.spec import load_trial_spec

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=int, default=256)
    ap.add_argument("--patients", type=int, default=60)
    ap.add_argument("--scipy-n", type=int, default=8)
    a = ap.parse_args()
    load0 = os.getloadavg()
    spec = load_trial_spec(REPO / "examples" / "keynote024.toml")
    bounds = {"k_kill": (0.005, 0.05), "f_res": (0.05, 0.5)}
    kw = dict(arm="pembrolizumab", n_patients=a.patients)
    t = time.perf_counter()
    fast = trial_endpoint(spec, list(bounds), "orr", **kw)
    slow = trial_endpoint(spec, list(bounds), "orr", engine="scipy", **kw)
    t_build = time.perf_counter() - t
    fast(np.array([[0.01, 0.2]]))  # compile the kernel outside the timing
    calls: list[np.ndarray] = []

    def recorded(X: np.ndarray) -> np.ndarray:
        calls.append(np.asarray(X))
        return fast(X)

    t = time.perf_counter()
    res = sobol(recorded, bounds, n=a.base, seed=1, log={"k_kill"})
    t_fast = time.perf_counter() - t
    X = np.concatenate(calls)
    t = time.perf_counter()
    y_slow = slow(X[: a.scipy_n])
    t_slow = time.perf_counter() - t
    y_fast = fast(X[: a.scipy_n])
    n_eval = X.shape[0]
    out = {
        "evaluations": int(n_eval),
        "patients_per_trial": 2 * a.patients,
        "batched_seconds_incl_salib": round(t_fast, 2),
        "batched_trials_per_s": round(n_eval / t_fast, 1),
        "scipy_trials": a.scipy_n,
        "scipy_seconds": round(t_slow, 2),
        "scipy_trials_per_s": round(a.scipy_n / t_slow, 2),
        "ratio": round((n_eval / t_fast) / (a.scipy_n / t_slow), 1),
        "max_abs_diff_orr": float(np.max(np.abs(y_fast - y_slow))),
        "cohort_build_s": round(t_build, 2),
        "S1": {k: round(v, 3) for k, v in res["S1"].items()},
        "ST": {k: round(v, 3) for k, v in res["ST"].items()},
        "ST_conf": {k: round(v, 3) for k, v in res["ST_conf"].items()},
        "load_start": [round(x, 2) for x in load0],
        "load_end": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
