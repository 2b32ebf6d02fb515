"""Virtual KEYNOTE-024, KEYNOTE-010 and OAK against the published figures (docs/trial-validation.md).

Reads the joint and leave-one-trial-out fits written by ``oncoimmune calibrate --leave-one-out``
(``--calibration out/calibration/calibration.json``), runs each trial as a randomised virtual trial of
twice the real trial's size with two seeds, once with the joint fit (fitted) and once with the fit that
left the trial out (predicted), and writes ``results.json`` and ``tables.md`` to ``--out``. Where patient-level
data exist (KEYNOTE-024's reconstructed PFS and OS, found through ``ONCOIMMUNE_SHARED``), the tables add the
largest vertical distance between each virtual arm's Kaplan-Meier curve and the real arm's
(:func:`oncoimmune.analysis.km_max_distance`, over the shorter follow-up).

    python scripts/trial_validation.py --calibration out/calibration/calibration.json --out out/trial-validation
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

from oncoimmune.trials import joint as J


def _fmt(fig: str, v: object) -> str:
    if isinstance(v, (tuple, list)):
        p, lo, hi = v
        if fig == "ORR":
            return f"{100 * p:.1f} % ({100 * lo:.1f}-{100 * hi:.1f})"
        return f"{p:.2f} ({lo:.2f}-{hi:.2f})"
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "NR"
    if fig == "ORR" or fig.startswith("OS at"):
        return f"{100 * float(v):.1f} %"
    if "HR" in fig:
        return f"{float(v):.2f}"
    return f"{float(v):.1f}"


def _reference(key: str):
    """The patient-level reference of ``key`` (KEYNOTE-024's reconstructed PFS and OS), if its data are here."""
    from oncoimmune.trials.calibration import keynote024_reference

    return keynote024_reference() if key == "keynote024" else None


def _km_distances(ref, tables) -> dict:
    """Per endpoint and virtual arm: (largest vertical KM distance to the real arm, month where it is)."""
    import pandas as pd

    table = pd.concat(list(tables.values()), ignore_index=True)
    inv = {v: k for k, v in ref.arm_map.items()}
    out: dict = {}
    for comp in ref.compare(table):
        vv = comp.virtual_vs_real
        out[comp.endpoint.lower()] = {inv.get(a, a): (float(vv.loc[a, "km_max_distance"]),
                                                      float(vv.loc[a, "km_max_distance_at"])) for a in vv.index}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calibration", default="out/calibration/calibration.json")
    ap.add_argument("--out", default="out/trial-validation")
    ap.add_argument("--seeds", default="2026,7")
    ap.add_argument("--scale", type=float, default=2.0)
    ap.add_argument("--trials", default="keynote024,keynote010,oak")
    a = ap.parse_args()
    cal = json.loads(Path(a.calibration).read_text())
    seeds = [int(s) for s in a.seeds.split(",")]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"calibration": cal.get("provenance", {}), "trials": {}}
    lines = []
    t0 = time.perf_counter()
    for key in a.trials.split(","):
        tg = J.TRIALS[key]
        fits = {"fitted (joint)": cal["theta"]}
        if key in cal.get("leave_one_out", {}):
            fits["left out (predicted)"] = cal["leave_one_out"][key]["theta"]
        n = int(round(a.scale * sum(tg.n.values())))
        res_key: dict = {}
        rows_by: dict = {}
        km_by: dict = {}
        ref = _reference(key)
        for seed in seeds:
            cohort = J.JointCohort.build(key, n=n, seed=seed, only_assigned=True)
            for label, th in fits.items():
                r = J.evaluate(cohort, th, randomised=True, tables=ref is not None)
                r["n"] = {arm: int((cohort.assigned == arm).sum()) for arm in cohort.arms}
                if ref is not None:
                    r["km_max_distance"] = _km_distances(ref, r.pop("tables"))
                    km_by[(label, seed)] = r["km_max_distance"]
                res_key[f"{label} seed {seed}"] = r
                rows_by[(label, seed)] = J.compare(r, tg)
        results["trials"][key] = res_key
        lines.append(f"### {tg.name} ({n} virtual patients per run: " + ", ".join(
            f"{arm} {cnt}" for arm, cnt in r["n"].items()) + ")\n")
        head = "| figure | arm | published (95 % CI) | " + " | ".join(
            f"{lab}, seed {s}" for lab in fits for s in seeds) + " |"
        lines.append(head)
        lines.append("|" + "---|" * (3 + len(fits) * len(seeds)))
        base = rows_by[(next(iter(fits)), seeds[0])]
        for i, row in enumerate(base):
            cells = []
            for lab in fits:
                for s in seeds:
                    rr = rows_by[(lab, s)][i]
                    cells.append(_fmt(rr["figure"], rr["virtual"]) + (" ✓" if rr["ok"] else " ✗"))
            lines.append(f"| {row['figure']} | {row['arm']} | {_fmt(row['figure'], row['published'])} | "
                         + " | ".join(cells) + " |")
        if km_by:
            for ep in ("pfs", "os"):
                for arm in km_by[(next(iter(fits)), seeds[0])][ep]:
                    cells = [f"{100 * km_by[(lab, s)][ep][arm][0]:.1f} at {km_by[(lab, s)][ep][arm][1]:.1f}"
                             for lab in fits for s in seeds]
                    lines.append(f"| largest KM distance to the reconstructed data, {ep.upper()} (points, at month) "
                                 f"| {arm} | - | " + " | ".join(cells) + " |")
        for lab in fits:
            for s in seeds:
                r = res_key[f"{lab} seed {s}"]
                ctrl = tg.control
                by = r["arms"][ctrl]["orr_by_pdl1"]
                lines.append(f"\n{lab}, seed {s}: {ctrl} ORR by PD-L1 TPS: " + ", ".join(
                    f"{k} {100 * v[0]:.1f} % (n = {v[1]})" for k, v in by.items() if v[1]))
        lines.append("")
    (out / "results.json").write_text(json.dumps(results, indent=1, default=lambda x: None if not (
        isinstance(x, float) and math.isfinite(x)) else x))
    (out / "tables.md").write_text("\n".join(lines) + f"\n\n(wall time {time.perf_counter() - t0:.0f} s)\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
