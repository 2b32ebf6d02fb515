"""Stiff cohort benchmarks: the batched engine beside numbalsoda, a hand-written Numba DOPRI5, libRoadRunner and SciPy.

Workloads (``--models``):

* ``stiff``: the stiff checkpoint-inhibitor cohort of issue 14
  (``benchmarks/stiff_workload.py``: Kuznetsov 1994 + exhaustion + two-compartment
  pembrolizumab PK with an explicit PD-1 binding state, 200 mg bolus every 21
  days, 17 parameters log-normal CV 30 %, 365 days, daily output);
* the published stiff models of ``benchmarks/library_workloads.py``.

Every row of a model comes from the same run, on the same patients, at
``rtol = atol = 1e-6`` (``--tol`` sets both); accuracy is measured against a tight reference (the
batched engine's DOPRI5 at ``rtol = atol = 1e-10``, itself checked against
SciPy's Radau at 1e-10 on a few patients) as the *scaled error* of a patient:
max over states and days of ``|y - y_ref| / max_t |y_ref|``. The batched engine
uses all cores (``--threads``); the loops (numbalsoda, hand-written DOPRI5,
libRoadRunner, SciPy) are single-threaded, as a user's loop is.

Output: a markdown report and the raw numbers as JSON in the folder ``--out``
(default ``out/bench``; nothing else is written). ``--docs FILE`` (given by
``make bench``) also replaces this benchmark's section of that markdown file
(between ``<!-- bench:stiff -->`` markers), leaving the rest of it alone.

Run: ``python benchmarks/bench_stiff.py [--models stiff] [--n 10000] [--out DIR] [--docs docs/benchmarks.md]``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import baselines  # noqa: E402
from bench_cohort import err_summary, fmt_rate, machine, scaled_errors  # noqa: E402
from docs_section import replace_section  # noqa: E402

from oncoimmune.engines.batched import solve_batch  # noqa: E402

RTOL = 1e-6
ATOL = 1e-6
REF_TOL = 1e-10
ROOT = Path(__file__).resolve().parent.parent
SECTION = "stiff"


def get_workload(name: str):
    if name == "stiff":
        import stiff_workload

        return stiff_workload.workload()
    import library_workloads

    return library_workloads.workload(name)


def _batched(w, P, method, threads, rtol=None, atol=None, **kw):
    rtol = RTOL if rtol is None else rtol
    atol = ATOL if atol is None else atol
    return solve_batch(w.compiled, w.y0, P, t1=w.days, saveat=w.save, events=w.events, rtol=rtol, atol=atol,
                       method=method, threads=threads, **kw)


def bench_model(name: str, args) -> dict:
    w = get_workload(name)
    cm = w.compiled
    n_ref = max(args.n_ref, args.n_base, args.n_rr, args.n_scipy)
    P = w.parameters(0, max(n_ref, max(args.n)), args.seed)
    res: dict = {"model": name, "title": w.title, "n_states": cm.n_states, "n_varied": int(w.varied.size),
                 "days": w.days, "n_save": int(w.save.size), "n_events": len(w.events), "rows": []}
    t = time.perf_counter()
    ref_sol = _batched(w, P[:n_ref], "dopri5", None, REF_TOL, REF_TOL, max_steps=10**8, max_nfev=10**9)
    ref = ref_sol.y
    print(f"[{name}] reference ({n_ref} patients, DOPRI5 rtol {REF_TOL:g}): {time.perf_counter() - t:.1f} s, "
          f"{int(ref_sol.ok.sum())} ok", flush=True)
    # the reference against Radau
    from bench_cohort import scipy_loop_w

    nchk = args.n_refcheck
    chk = scipy_loop_w(w, P[:nchk], "Radau", REF_TOL, REF_TOL)
    res["refcheck"] = {"n": nchk, "max": float(scaled_errors(chk, ref[:nchk]).max())}
    print(f"[{name}] reference vs Radau {REF_TOL:g} on {nchk}: {res['refcheck']['max']:.1e}", flush=True)

    def add(row, y, n):
        row["acc"] = err_summary(scaled_errors(y, ref[:n]))
        res["rows"].append(row)
        print(f"[{name}] {row['engine']}: {row['rate']:,.0f}/s  err {row['acc']}", flush=True)

    # batched engine
    for method in args.methods:
        _batched(w, P[:16], method, args.threads or None)
        for n in args.n:
            best = np.inf
            cpu = np.inf
            for _ in range(args.repeats):
                t = time.perf_counter()
                c0 = time.process_time()
                sol = _batched(w, P[:n], method, args.threads or None)
                best = min(best, time.perf_counter() - t)
                cpu = min(cpu, time.process_time() - c0)
            row = {"engine": f"batched `{method}`", "kind": "batched", "method": method, "n": n,
                   "threads": args.threads or len(os.sched_getaffinity(0)), "rate": n / best,
                   "cpu_ms": 1e3 * cpu / n,
                   "steps": float(sol.nsteps.mean()), "nfev": float(sol.nfev.mean()),
                   "njev": float(sol.njev.mean()),
                   "nlu": float(getattr(sol, "nlu", sol.njev).mean()),
                   "share_stiff": float(np.isfinite(sol.t_stiff).mean()), "ok": int(sol.ok.sum())}
            acc_n = min(n, n_ref)
            add(row, sol.y[:acc_n] if n >= acc_n else sol.y, acc_n)
    try:
        mod = baselines.rhs_module(cm)
        loops = (("numbalsoda LSODA", baselines.lsoda_loop), ("hand-written Numba DOPRI5", baselines.dopri5_loop))
    except ImportError as exc:  # pragma: no cover - numbalsoda missing
        print(f"numbalsoda not available ({exc}): pip install numbalsoda (needs gfortran); rows left out", flush=True)
        loops = ()
    for label, fn in loops:
        n = args.n_base
        fn(mod, cm, w.y0, P[:2], w.events, w.save, w.days, RTOL, ATOL)  # compile
        t = time.perf_counter()
        c0 = time.process_time()
        y, extra = fn(mod, cm, w.y0, P[:n], w.events, w.save, w.days, RTOL, ATOL)
        dt = time.perf_counter() - t
        row = {"engine": f"{label} loop", "kind": "loop", "n": n, "threads": 1, "rate": n / dt,
               "cpu_ms": 1e3 * (time.process_time() - c0) / n}
        if label.startswith("hand"):
            row["steps"] = float(extra.mean())
        add(row, y, n)
    try:
        from bench_cohort import roadrunner_loop_w, roadrunner_setup

        for method, stiff in (("BDF", True), ("Adams", False)):
            n = args.n_rr
            rr = roadrunner_setup(w, RTOL, ATOL, stiff)
            roadrunner_loop_w(rr, w, P[:2])
            t = time.perf_counter()
            c0 = time.process_time()
            y = roadrunner_loop_w(rr, w, P[:n])
            dt = time.perf_counter() - t
            add({"engine": f"libRoadRunner loop (CVODE {method})", "kind": "roadrunner", "n": n, "threads": 1,
                 "rate": n / dt, "cpu_ms": 1e3 * (time.process_time() - c0) / n}, y, n)
    except ImportError as exc:  # pragma: no cover
        print(f"libRoadRunner not available ({exc})", flush=True)
    for method in ("LSODA",):
        n = args.n_scipy
        t = time.perf_counter()
        c0 = time.process_time()
        y = scipy_loop_w(w, P[:n], method, RTOL, ATOL)
        dt = time.perf_counter() - t
        add({"engine": f"SciPy `solve_ivp` loop ({method})", "kind": "scipy", "n": n, "threads": 1,
             "rate": n / dt, "cpu_ms": 1e3 * (time.process_time() - c0) / n}, y, n)
    return res


def report(all_res: dict) -> str:
    m = all_res["machine"]
    L = ["## Stiff cohorts: the batched engine beside numbalsoda, DOPRI5, libRoadRunner and SciPy", ""]
    L.append(f"Produced by `{all_res['command']}` on {all_res['date']} (UTC); every number below comes from that "
             "one run.")
    L.append("")
    L.append(f"**Machine:** {m['cpu']}, {m['cores']} cores, shared with other jobs (load average at the start "
             f"{m['load']}, at the end {all_res['load_end']}): absolute rates are noisy; the ratios within a "
             "model's table were measured minutes apart in the same process and are the figures to read. "
             f"Numba {m['numba']}, libRoadRunner {m['libroadrunner']}, SciPy {m['scipy']}.")
    L.append("")
    L.append(
        "Rows: the batched engine (all cores) with each method; numbalsoda's LSODA and a hand-written Numba "
        "DOPRI5 over the patients in one Numba loop (one thread; the model's equations printed as Python and "
        "compiled by Numba, as a user would write them; `benchmarks/baselines.py`); libRoadRunner (CVODE) on the "
        "SBML export, reset per patient; SciPy `solve_ivp` with the symbolic Jacobian. All at "
        f"`rtol = atol = {RTOL:g}`, doses as exact jumps. *Error*: per patient, max over states and days of "
        "`|y - y_ref| / max_t |y_ref|` against the batched DOPRI5 at `rtol = atol = 1e-10`; median / p99.9 / "
        "max and the share of patients <= 1e-4. Work per patient: steps (tried), right-hand-side evaluations, "
        "Jacobian evaluations, LU factorisations. *CPU ms per patient*: process CPU time (all threads) per "
        "patient, less sensitive than wall time to other jobs on a shared machine."
    )
    L.append("")
    for res in all_res["models"]:
        L.append(f"### {res['title']}")
        L.append("")
        L.append(f"{res['n_states']} states, {res['n_varied']} parameters log-normal (CV 30 %), {res['days']:g} "
                 f"days, {res['n_save']} save points, {res['n_events']} events. Reference checked against SciPy "
                 f"Radau at {REF_TOL:g} on {res['refcheck']['n']} patients: max scaled error "
                 f"{res['refcheck']['max']:.1e}.")
        L.append("")
        rows = res["rows"]
        lsoda = next((r for r in rows if r["engine"].startswith("numbalsoda")), None)
        rrs = [r for r in rows if r["kind"] == "roadrunner"]
        rr = max(rrs, key=lambda r: r["rate"]) if rrs else None
        L.append("| engine | patients | threads | patients/s | x numbalsoda | x libRoadRunner | CPU ms per patient "
                 "| error: median / p99.9 / max | share <= 1e-4 | steps | CPU us per step | f evals | J evals | LU |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            a = r["acc"]

            def c(key, r=r):
                return f"{r[key]:,.0f}" if key in r else "-"

            per_step = f"{1e3 * r['cpu_ms'] / r['steps']:.2f}" if r.get("steps") else "-"
            x_l = f"{r['rate'] / lsoda['rate']:.2f}" if lsoda else "-"
            x_r = f"{r['rate'] / rr['rate']:.1f}" if rr else "-"
            L.append(
                f"| {r['engine']} | {r['n']:,} | {r['threads']} | {fmt_rate(r['rate'])} | {x_l} | {x_r} | "
                f"{r['cpu_ms']:.2f} | {a['median']:.1e} / {a['p999']:.1e} / {a['max']:.1e} | "
                f"{100 * a['share_1e4']:.2f} % | {c('steps')} | {per_step} | {c('nfev')} | {c('njev')} | {c('nlu')} |"
            )
        L.append("")
    return "\n".join(L)


def main() -> None:
    global RTOL, ATOL
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Writes only into --out (default out/bench) and, if given, the section of --docs.",
    )
    ap.add_argument("--models", nargs="+", default=["stiff"], help="workloads (default: stiff)")
    ap.add_argument("--methods", nargs="+", default=["auto", "dopri5", "rosenbrock"], help="batched methods")
    ap.add_argument("--n", type=int, nargs="+", default=[10000], help="cohort sizes for the batched engine")
    ap.add_argument("--n-base", type=int, default=1000, help="patients in the numbalsoda and DOPRI5 loops")
    ap.add_argument("--n-rr", type=int, default=300, help="patients in the libRoadRunner loops")
    ap.add_argument("--n-scipy", type=int, default=20, help="patients in the SciPy loop")
    ap.add_argument("--n-ref", type=int, default=500, help="patients with a tight reference (accuracy)")
    ap.add_argument("--n-refcheck", type=int, default=2, help="reference patients checked against Radau")
    ap.add_argument("--repeats", type=int, default=2, help="batched timings: best of this many")
    ap.add_argument("--threads", type=int, default=0, help="batched threads (default: all cores)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--tol", type=float, default=RTOL,
                    help="rtol = atol of every row (default 1e-6; the reference stays at 1e-10)")
    ap.add_argument("--out", default=str(ROOT / "out" / "bench"),
                    help="folder for stiff.md and stiff.json (default: out/bench)")
    ap.add_argument("--docs", default=None,
                    help="markdown file whose 'stiff' section is replaced (make bench: docs/benchmarks.md)")
    args = ap.parse_args()
    RTOL = ATOL = float(args.tol)
    all_res: dict = {
        "machine": machine(),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "command": os.environ.get("ONCOIMMUNE_BENCH_COMMAND")
        or "python " + " ".join([str(Path(sys.argv[0]))] + sys.argv[1:]),
        "models": [],
    }
    for name in args.models:
        all_res["models"].append(bench_model(name, args))
    all_res["load_end"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    text = report(all_res)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "stiff.md").write_text(text + "\n")
    (out / "stiff.json").write_text(json.dumps(all_res, indent=1))
    print(f"wrote {out / 'stiff.md'} and {out / 'stiff.json'}")
    if args.docs:
        replace_section(Path(args.docs), SECTION, text)
        print(f"updated the '{SECTION}' section of {args.docs}")


if __name__ == "__main__":
    main()
