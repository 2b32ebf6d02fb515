"""``oncoimmune trial`` (the staged runner) beside the calibration path, against the published figures.

For each finished ``oncoimmune trial`` run given (``--run KEY=DIR``: its ``summary.json`` and
``endpoints.parquet``), the script rebuilds the same patients (same spec, size and seed) on the
joint calibration's path (:func:`oncoimmune.trials.joint.evaluate`, randomised, at the shipped
values) and writes one Markdown table per run: published figure (95 % CI), the staged runner's
value, the calibration path's value, and the issue's criterion for each, then the per-patient
agreement of the two paths (best overall response, PFS and OS events and times).

Usage::

    oncoimmune trial examples/keynote010.toml --patients 2068 --seed 1 --out /tmp/kn010 --no-report
    oncoimmune trial examples/oak.toml --patients 1700 --seed 1 --out /tmp/oak --no-report
    python scripts/trial_paths.py --run keynote010=/tmp/kn010 --run oak=/tmp/oak
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _fmt(fig: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "NR"
    if fig == "ORR" or fig.startswith("OS at"):
        return f"{100 * v:.1f} %"
    return f"{v:.2f}" if "HR" in fig else f"{v:.1f}"


def _pub(fig: str, p: Any) -> str:
    if isinstance(p, (list, tuple)):
        if fig == "ORR":
            return f"{100 * p[0]:.1f} % ({100 * p[1]:.1f}-{100 * p[2]:.1f})"
        return f"{p[0]:.2f} ({p[1]:.2f}-{p[2]:.2f})"
    return _fmt(fig, p)


def compare_paths(key: str, run_dir: Path) -> str:
    from oncoimmune.trials import joint as J
    from oncoimmune.trials.spec import TrialSpec

    summary = json.loads((run_dir / "summary.json").read_text())
    staged = pd.read_parquet(run_dir / "endpoints.parquet").set_index("patient_id").sort_index()
    spec = TrialSpec.from_toml((run_dir / "spec.toml").read_text())
    tg = J.TRIALS[key]
    n, seed = int(summary["n_patients"]), int(summary["seed"])
    t0 = time.perf_counter()
    cohort = J.JointCohort.from_spec(spec, n=n, seed=seed, targets=tg, key=key, only_assigned=True)
    res = J.evaluate(cohort, J.current_theta(), randomised=True, tables=True)
    secs = time.perf_counter() - t0
    joint = pd.concat(res.pop("tables").values()).set_index("_row").sort_index()
    calib = {(r["figure"], r["arm"]): r for r in J.compare(res, tg)}
    lines = [
        f"#### {tg.name}: `oncoimmune trial` vs the calibration path ({n} patients, seed {seed})",
        "",
        "| figure | arm | published (95 % CI) | `oncoimmune trial` | calibration path, same patients |",
        "|---|---|---|---|---|",
    ]
    for row in summary["comparison"]:
        c = calib[(row["figure"], row["arm"])]
        mark = {True: " ✓", False: " ✗", None: ""}
        lines.append(
            f"| {row['figure']} | {row['arm']} | {_pub(row['figure'], row['published'])} | "
            f"{_fmt(row['figure'], row['virtual'])}{mark[row['ok']]} | {_fmt(row['figure'], c['virtual'])}"
            f"{mark[c['ok']]} |"
        )
    for arm, a in summary["figures"]["arms"].items():
        if arm in tg.os12:  # a published figure: already above
            continue
        lines.append(f"| OS at 12 months | {arm} | - | {_fmt('OS at', a['os12'])} | "
                     f"{_fmt('OS at', res['arms'][arm]['os12'])} |")
    same = joint.index.equals(staged.index) and (joint["arm"].to_numpy() == staged["arm"].to_numpy()).all()
    lines.append("")
    if not same:
        lines.append("The two paths enrolled different patients or arms: no per-patient comparison.")
        return "\n".join(lines)
    agree = {c: float((joint[c].astype(str) == staged[c].astype(str)).mean())
             for c in ("best_overall_response", "pfs_event", "os_event")}
    both = staged["status"] == "ok"
    d_os = (joint.loc[both, "os_months"] - staged.loc[both, "os_months"]).abs()
    d_pfs = (joint.loc[both, "pfs_months"] - staged.loc[both, "pfs_months"]).abs()
    lines.append(
        f"Per patient (the same {n} patients in the same arms): best overall response identical for "
        f"{100 * agree['best_overall_response']:.2f} %, PFS event {100 * agree['pfs_event']:.2f} %, OS event "
        f"{100 * agree['os_event']:.2f} %; OS times differ by more than 0.01 month for {int((d_os > 0.01).sum())} "
        f"patients (largest {d_os.max():.3g} months), PFS times for {int((d_pfs > 0.01).sum())}; "
        f"{int((~both).sum())} failed in the staged run. Calibration path: {secs:.0f} s; staged run "
        f"{summary['run_seconds']:.0f} s ({summary['engine']} engine)."
    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", action="append", required=True, help="KEY=DIR of a finished `oncoimmune trial` run")
    ap.add_argument("--out", type=Path, help="write the Markdown here (default: print)")
    a = ap.parse_args()
    parts = []
    for item in a.run:
        key, _, d = item.partition("=")
        parts.append(compare_paths(key, Path(d)))
    text = "\n\n".join(parts) + "\n"
    if a.out:
        a.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
