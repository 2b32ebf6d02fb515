"""The joint calibration with every prior's SD scaled (design note 0006, "Sensitivity to the prior width").

Runs what ``make calibrate`` runs (the three trials' calibration cohorts, seed, evaluation budget and
random search, joint fit and leave-one-trial-out) through :func:`oncoimmune.trials.joint.calibrate`
with ``priors`` = :data:`~oncoimmune.trials.joint.PRIORS` whose standard deviations are multiplied by
``--scale``, and writes a calibration JSON that ``scripts/trial_validation.py --calibration`` reads.

Usage::

    python scripts/prior_width.py --scale 0.5 --out /tmp/pw05.json     # ~8 min on 2 cores
    python scripts/trial_validation.py --calibration /tmp/pw05.json --out /tmp/val_pw05
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

from oncoimmune.trials import joint as J


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, required=True, help="factor on every prior's SD (> 0)")
    ap.add_argument("--out", required=True, help="calibration JSON to write")
    ap.add_argument("--n", type=int, default=300, help="calibration patients per trial (make calibrate: 300)")
    ap.add_argument("--seed", type=int, default=240_024)
    a = ap.parse_args()
    if not a.scale > 0:
        ap.error(f"--scale: give a factor > 0; got {a.scale}")
    priors = {k: dataclasses.replace(p, sd=p.sd * a.scale) for k, p in J.PRIORS.items()}
    cohorts = {k: J.JointCohort.build(k, n=a.n, seed=a.seed) for k in J.TRIALS}
    budget = {"chemotherapy": 50, "immunity": 50, "survival": 250, "joint": 250}  # make calibrate's --maxfev 50,50,250,250
    start = J.start_theta()
    t0 = time.perf_counter()
    fit = J.calibrate(list(cohorts.values()), theta0=start, maxfev=budget, priors=priors, verbose=False)
    loo = J.leave_one_out(cohorts, theta0=start, maxfev=budget, priors=priors, verbose=False)
    out = {"theta": fit["theta"], "stages": fit["stages"],
           "leave_one_out": {k: {"theta": v["theta"], "stages": v["stages"]} for k, v in loo.items()}}
    out["provenance"] = {"prior_sd_scale": a.scale, "n_per_trial": a.n, "seed": a.seed,
                         "seconds": round(time.perf_counter() - t0, 1)}
    with open(a.out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1, default=float)
    print(a.out, out["provenance"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
