"""Why some de Pillis 2005 patients miss 1e-4 at ``rtol = 1e-6``: the problem amplifies any small error.

For each patient of the ``depillis2005_chemo`` workload (``library_workloads.py``)
this script measures

1. the *amplification*: the scaled deviation (``bench_cohort.scaled_errors``:
   max over states and days of ``|y - y_ref| / max_t |y_ref|``) caused by a
   relative perturbation of ``1e-6`` of the initial tumour or NK cells, divided
   by ``1e-6``, both runs at ``rtol = atol = 1e-11``. A perturbation of the size
   of one local error at ``rtol = 1e-6`` grows by this factor by the end of the
   year; no error control at that tolerance can keep such a patient within
   1e-4 when the factor is above about 100;
2. the scaled error of the batched engine (``auto``, ``rosenbrock``,
   ``dopri5``) at several tolerances against the batched DOPRI5 at 1e-11,
   and its CPU time per patient (one thread).

Run: ``python benchmarks/depillis_conditioning.py [--n 1000] [--tols 1e-6 1e-7 1e-8]``. Writes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import library_workloads  # noqa: E402
from bench_cohort import scaled_errors  # noqa: E402

from oncoimmune.engines.batched import solve_batch  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="Writes nothing; prints a table.")
    ap.add_argument("--n", type=int, default=1000, help="patients (default 1000)")
    ap.add_argument("--tols", type=float, nargs="+", default=[1e-6, 1e-7, 1e-8], help="rtol = atol values")
    ap.add_argument("--methods", nargs="+", default=["auto", "rosenbrock", "dopri5"])
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()}", flush=True)
    w = library_workloads.workload("depillis2005_chemo")
    cm = w.compiled
    P = w.parameters(0, args.n, args.seed)
    ref_kw = dict(t1=w.days, saveat=w.save, events=w.events, rtol=1e-11, atol=1e-11, method="dopri5",
                  max_steps=10**8, max_nfev=10**9)
    ref = solve_batch(cm, w.y0, P, **ref_kw).y
    amp = np.zeros(args.n)
    for name in ("T", "N"):
        y0 = w.y0.copy()
        y0[cm.state_names.index(name)] *= 1.0 + 1e-6
        amp = np.maximum(amp, scaled_errors(solve_batch(cm, y0, P, **ref_kw).y, ref) / 1e-6)
    print(f"amplification of a 1e-6 relative perturbation of T(0) or N(0), {args.n} patients: "
          f"median {np.median(amp):.1f}, p99 {np.percentile(amp, 99):.0f}, max {amp.max():.0f}; "
          f"{int((amp > 100).sum())} patients above 100", flush=True)
    print("| method | tol | share <= 1e-4 | patients > 1e-4 (their amplification) | CPU ms per patient |")
    print("|---|---:|---:|---|---:|")
    for tol in args.tols:
        for m in args.methods:
            kw = dict(t1=w.days, saveat=w.save, events=w.events, rtol=tol, atol=tol, method=m, threads=1)
            solve_batch(cm, w.y0, P[:4], **kw)
            c = time.process_time()
            sol = solve_batch(cm, w.y0, P, **kw)
            cpu = time.process_time() - c
            e = scaled_errors(sol.y, ref)
            bad = np.flatnonzero(e > 1e-4)
            who = ", ".join(f"{i} ({amp[i]:.0f})" for i in bad[:8]) + (" ..." if bad.size > 8 else "")
            print(f"| {m} | {tol:g} | {100 * (e <= 1e-4).mean():.2f} % | {who or '-'} | {1e3 * cpu / args.n:.3f} |",
                  flush=True)
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
