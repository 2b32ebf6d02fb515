"""End-to-end virtual-trial benchmark: ``oncoimmune trial`` on the batched and the SciPy solve paths.

Workload: the virtual KEYNOTE-024 (``examples/keynote024.toml``: the calibrated
NSCLC tumour-immune model, pembrolizumab 200 mg Q3W vs four cycles of
carboplatin-paclitaxel with crossover to pembrolizumab at progression, scans
every 9 weeks, the spec's horizon), seed 2016. Each configuration runs
:func:`oncoimmune.trials.runner.run_trial` in a fresh child process (so its
peak RSS, taken over the process and its pool workers, is its own), with the
reference overlay off; figures and the report are written unless
``--no-report``.

Per configuration it records the wall time of each stage: ``plan`` (screening
and randomisation, driver), the shard stages summed over shards (``sample``:
covariates, assays, parameter draws, pre-treatment state; ``treat``: regimens
added to the model and compiled; ``solve``; ``outcomes``: scans, deaths,
crossover decisions; ``write``: the shard file), then ``assess`` (RECIST and the
endpoint table of all patients), ``analyse`` (Kaplan-Meier, Cox) and ``write``
(tables, figures, report). Patients per second are ``n / wall``; the ratio
batched/SciPy is taken between configurations of the same run.

Run: ``python benchmarks/bench_trial.py [--n-batched 2000] [--n-scipy 100] [--out docs/benchmarks.md]``
(``make bench`` runs it after the cohort benchmark). It replaces only its own
section of ``docs/benchmarks.md`` (between the ``bench_trial`` markers).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "examples" / "keynote024.toml"
BEGIN, END = "<!-- bench_trial: begin -->", "<!-- bench_trial: end -->"
STAGES = ("plan", "shard_sample", "shard_treat", "shard_solve", "shard_outcomes", "shard_write", "assess",
          "analyse", "write")


def worker(engine: str, n: int, workers: int, report: bool) -> dict:
    from oncoimmune.trials.runner import run_trial
    from oncoimmune.trials.spec import load_trial_spec

    spec = load_trial_spec(SPEC)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = run_trial(spec, Path(tmp) / "run", n_patients=n, seed=2016, engine=engine, workers=workers,
                        reference=None, report=report, figures=report)
        wall = time.perf_counter() - t0
        disk = sum(f.stat().st_size for f in (Path(tmp) / "run").rglob("*") if f.is_file())
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {
        "engine": engine,
        "n": n,
        "workers": workers,
        "wall": wall,
        "rate": n / wall,
        "stages": res.summary["stage_seconds"],
        "failed": int(res.summary["failed"]),
        "rss_mib": rss / 1024.0,
        "disk_mib": disk / 2**20,
    }


def run_child(args: list[str]) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
    if r.returncode != 0:
        raise RuntimeError(f"benchmark child {' '.join(args)} failed:\n{r.stderr[-4000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def report(rows: list[dict], meta: dict) -> str:
    L = [BEGIN, "## Virtual trial end to end: batched vs SciPy solve path (`oncoimmune trial`)", ""]
    L.append(
        f"Measured {meta['date']} by `{meta['command']}` on {meta['cpus']} CPUs; load average (1/5/15 min) "
        f"{meta['load_start']} at the start, {meta['load_end']} at the end (other jobs shared the machine, so "
        "absolute rates are low; the ratios compare configurations of the same run). Workload: the virtual "
        "KEYNOTE-024 (`examples/keynote024.toml`), seed 2016, figures and report "
        f"{'written' if meta['report'] else 'off'}, reference overlay off. Stage times in seconds; shard "
        "stages are summed over shards (with 2 workers they overlap in time)."
    )
    L.append("")
    head = "| engine | workers | patients | wall s | patients/s | " + " | ".join(STAGES) + " | peak RSS MiB | output MiB |"
    L += [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        st = " | ".join(f"{r['stages'].get(k, 0.0):.2f}" for k in STAGES)
        L.append(f"| {r['engine']} | {r['workers']} | {r['n']} | {r['wall']:.1f} | {r['rate']:.1f} | {st} | "
                 f"{r['rss_mib']:.0f} | {r['disk_mib']:.1f} |")
    L.append("")
    by = {(r["engine"], r["workers"]): r for r in rows}
    for w in (1, 2):
        b, s = by.get(("batched", w)), by.get(("scipy", w))
        if b and s:
            sb = b["stages"].get("shard_solve", 0.0) / b["n"]
            ss = s["stages"].get("shard_solve", 0.0) / s["n"]
            L.append(
                f"- {w} worker(s): end to end {b['rate'] / s['rate']:.1f}x the SciPy path's patients/s; the solve "
                f"stage alone {ss / sb:.0f}x ({1e3 * sb:.1f} vs {1e3 * ss:.1f} ms of solving per patient)."
            )
    b = by.get(("batched", 1))
    if b:
        per = {k: 1e3 * b["stages"].get(k, 0.0) / b["n"] for k in STAGES}
        top = sorted(per.items(), key=lambda kv: -kv[1])[:3]
        L.append(
            "- Where the batched path spends its time, ms per patient: "
            + ", ".join(f"{k} {v:.2f}" for k, v in top)
            + " (plan: screening and randomisation in the driver; shard_sample: covariates, parameter draws, "
            "linked model and pre-treatment state; shard_treat: regimens and the treated problem; shard_solve: "
            "the batched engine)."
        )
    L += ["", END]
    return "\n".join(L)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-batched", type=int, default=2000)
    ap.add_argument("--n-scipy", type=int, default=100)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--no-report", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    ap.add_argument("--worker", nargs=3, metavar=("ENGINE", "N", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        e, n, w = args.worker
        print(json.dumps(worker(e, int(n), int(w), not args.no_report)))
        return
    meta = {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benchmarks/bench_trial.py " + " ".join(sys.argv[1:]),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_start": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
        "report": not args.no_report,
    }
    # warm the numba cache once so no configuration pays for compilation
    run_child(["--worker", "batched", "8", "1", "--no-report"])
    rows = []
    for w in args.workers:
        for engine, n in (("batched", args.n_batched), ("scipy", args.n_scipy)):
            extra = ["--no-report"] if args.no_report else []
            r = run_child(["--worker", engine, str(n), str(w), *extra])
            rows.append(r)
            print(f"{engine} workers={w} n={n}: {r['wall']:.1f} s, {r['rate']:.1f} patients/s", file=sys.stderr)
    meta["load_end"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    text = report(rows, meta)
    print(text)
    out = Path(args.out)
    old = out.read_text() if out.exists() else ""
    if BEGIN in old and END in old:
        new = old[: old.index(BEGIN)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    out.write_text(new)


if __name__ == "__main__":
    main()
