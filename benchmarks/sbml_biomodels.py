"""Every BioModels file in ../shared/data/biomodels: import with ``from_sbml``, simulate with the SciPy
reference engine, compare with libRoadRunner on the same file; time the import and compile.

Protocol (the same for every file)
----------------------------------
* horizon: 0 to 100 time units of the file, 101 points; where libRoadRunner cannot integrate that far
  (CVODE too-much-work or convergence failure) the horizon is 10;
* libRoadRunner (CVODE) at relative tolerance 1e-12, absolute 1e-14 (1e-10 if CVODE fails at 1e-12),
  up to 10^6 steps; ours: LSODA, rtol 1e-12, atol 1e-14;
* every column libRoadRunner reports (species as concentrations ``[S]`` or amounts, rule-defined
  parameters) is compared: a point agrees when ``|ours - rr| <= 1e-6 |rr| + 1e-9 max|rr| + 1e-12``
  (relative 1e-6; the floor only matters where a value sits at or crosses zero).

Run: ``python benchmarks/sbml_biomodels.py [--out docs/sbml_biomodels.csv] [NAME-FILTER ...]``.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "biomodels"

REL = 1e-6


def compare_file(path: Path) -> dict:
    import roadrunner

    from oncoimmune import simulate
    from oncoimmune.io.sbml import import_sbml
    from oncoimmune.model.expr import compile_expr, substitute

    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_FATAL)
    row = {"file": path.name, "status": "", "worst_rel": "", "variable": "", "horizon": "", "n_vars": 0,
           "import_s": "", "compile_s": "", "reason": ""}
    t0 = time.perf_counter()
    try:
        model, info = import_sbml(path)
    except Exception as exc:  # noqa: BLE001 - reported per file
        row.update(status="import-error", reason=f"{type(exc).__name__}: {exc}"[:300])
        return row
    row["import_s"] = f"{time.perf_counter() - t0:.3f}"
    t0 = time.perf_counter()
    cm = model.compile()
    cm.rhs()
    cm.jacobian()
    row["compile_s"] = f"{time.perf_counter() - t0:.3f}"
    res = None
    for T in (100.0, 10.0):
        for rtol in (1e-12, 1e-10):
            try:
                r = roadrunner.RoadRunner(str(path))
                r.integrator.relative_tolerance = rtol
                r.integrator.absolute_tolerance = 1e-14
                r.integrator.maximum_num_steps = 10**6
                res = r.simulate(0, T, 101)
                break
            except RuntimeError as exc:
                row["reason"] = f"libRoadRunner: {str(exc).split(';')[0]}"
        if res is not None:
            break
    if res is None:
        row.update(status="oracle-failed")
        return row
    row["horizon"] = T
    times = np.linspace(0, T, 101)
    ds = simulate(model, T, saveat=times, rtol=1e-12, atol=1e-14, max_nfev=20_000_000)
    if ds.attrs["status"] != "ok":
        row.update(status="ours-failed", reason=ds.attrs["status_reason"][:300])
        return row
    Y = np.array([ds[s].values for s in model.state_names])
    P = np.repeat(cm.p0[:, None], times.size, axis=1)
    inl = model._inlined_observables
    worst, wname = 0.0, ""
    cols = list(res.colnames)
    for j, c in enumerate(cols[1:], 1):
        sid = c.strip("[]")
        if c.startswith("["):
            ex = info.concentration.get(sid)
        else:
            ex = info.amount.get(sid, info.value.get(sid))
        if ex is None:
            row.update(status="missing", reason=f"roadrunner column {c} has no counterpart")
            return row
        f = compile_expr(substitute(ex, inl), cm.index, np)
        with np.errstate(all="ignore"):
            ours = np.broadcast_to(np.asarray(f(times, Y, P), dtype=float), times.shape)
        ref = np.asarray(res[:, j], dtype=float)
        scale = float(np.max(np.abs(ref)))
        tol = REL * np.abs(ref) + 1e-9 * scale + 1e-12
        rel = float(np.max(np.abs(ours - ref) / tol)) * REL
        if not np.isfinite(rel):
            rel = np.inf
        if rel > worst:
            worst, wname = rel, c
        row["n_vars"] += 1
    row.update(worst_rel=f"{worst:.2e}", variable=wname, status="agree" if worst <= REL else "differ")
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("filters", nargs="*")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    files = sorted(DATA.glob("*.xml"))
    if a.filters:
        files = [f for f in files if any(x in f.name for x in a.filters)]
    rows = []
    for f in files:
        row = compare_file(f)
        rows.append(row)
        print(row["status"], row["worst_rel"], row["variable"], f.name.split("__")[-1], row["reason"][:120], flush=True)
    agree = sum(r["status"] == "agree" for r in rows)
    print(f"{agree}/{len(rows)} agree with libRoadRunner to {REL:g} relative")
    if a.out:
        with a.out.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
