"""A/B timing of the batched engine from two source trees on one workload, in alternating child processes.

Answers "is this change slower?" on a shared machine: both versions run the
same patients in turns (A B A B ...), each in a fresh process that loads its
own compiled kernel (warmed on a few patients first), and the best of the
turns is kept for each; wall time and process CPU time are both reported.

Run: ``python benchmarks/ab_engines.py --a /path/to/old/src --b src --workload checkpoint --n 10000``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def worker(workload: str, n: int, method: str, threads: int) -> dict:
    sys.path.insert(0, str(HERE))
    from oncoimmune.engines.batched import solve_batch

    if workload == "checkpoint":
        from checkpoint_workload import DAYS, SAVE, workload as wl

        w = wl()
        y0, save, days = w.compiled.y0, SAVE, DAYS
    elif workload == "stiff":
        from stiff_workload import workload as wl

        w = wl()
        y0, save, days = w.y0, w.save, w.days
    else:
        from library_workloads import workload as wl

        w = wl(workload)
        y0, save, days = w.y0, w.save, w.days
    P = w.parameters(0, n)
    kw = dict(t1=days, saveat=save, events=w.events, rtol=1e-6, atol=1e-6, method=method, threads=threads or None)
    solve_batch(w.compiled, y0, P[:16], **kw)
    t = time.perf_counter()
    c = time.process_time()
    sol = solve_batch(w.compiled, y0, P, **kw)
    return {"wall": time.perf_counter() - t, "cpu": time.process_time() - c, "steps": float(sol.nsteps.mean()),
            "ok": int(sol.ok.sum())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="Writes nothing; prints a JSON line.")
    ap.add_argument("--a", required=True, help="source folder (containing oncoimmune/) of version A")
    ap.add_argument("--b", required=True, help="source folder of version B")
    ap.add_argument("--workload", default="checkpoint")
    ap.add_argument("--method", default="auto")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--turns", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.workload, args.n, args.method, args.threads)))
        return
    best: dict = {}
    for _ in range(args.turns):
        for tag, src in (("A", args.a), ("B", args.b)):
            env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
            r = subprocess.run([sys.executable, __file__, "--worker", "--a", args.a, "--b", args.b, "--workload",
                                args.workload, "--method", args.method, "--n", str(args.n), "--threads",
                                str(args.threads)], env=env, capture_output=True, text=True)
            if r.returncode:
                raise RuntimeError(r.stderr[-3000:])
            res = json.loads(r.stdout.strip().splitlines()[-1])
            b = best.setdefault(tag, {"wall": 1e300, "cpu": 1e300})
            b["wall"] = min(b["wall"], res["wall"])
            b["cpu"] = min(b["cpu"], res["cpu"])
            b["steps"] = res["steps"]
            print(tag, res, flush=True)
    out = {tag: {"patients_per_s": args.n / b["wall"], "patients_per_cpu_s": args.n / b["cpu"], "steps": b["steps"]}
           for tag, b in best.items()}
    out["B/A wall"] = out["B"]["patients_per_s"] / out["A"]["patients_per_s"]
    out["B/A cpu"] = out["B"]["patients_per_cpu_s"] / out["A"]["patients_per_cpu_s"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
