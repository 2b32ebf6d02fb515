"""A virtual population of the clinical NSCLC model matching the Laleh 2022 atezolizumab-arm lesions.

Observed (target): baseline lesion volume and early growth rate (first two scans) of every lesion of the
POPLAR and OAK atezolizumab arms (Study_2_Arm_2, Study_4_Arm_2 of Laleh et al. 2022, as packaged by
TumorGrowth.jl; arm labels inferred, see trials/calibration.py). Model: library ``nsclc_tgi_immune`` (no
chemotherapy), factors g, k_kill, r_rec and the initial tumour cells T, solved for all candidates at once by
the batched engine. Outputs: volume of the tumour_diameter sphere at day 0 and log(N(42)/N(0))/42 per day.

Run: ``PYTHONPATH=src python examples/vpop/laleh_atezolizumab.py [--n 8192] [--seed 1] [--out DIR]``
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from oncoimmune.engines.batched import solve_batch
from oncoimmune.fit.vpop import laleh_baseline_and_growth, plausible_population, select_vpop
from oncoimmune.library import get_model

ARMS = ("Study_2_Arm_2", "Study_4_Arm_2")
BOUNDS = {"g": (1e-4, 0.05), "k_kill": (1e-5, 0.01), "r_rec": (0.1, 30.0), "T": (1e7, 1e12)}
OUTPUTS = ("baseline_volume_mm3", "growth_rate_per_day")
#: physiological ranges: a measurable lesion (10 mm^3 to a 12 cm sphere); at most 10-fold change in 6 weeks
RANGES = {"baseline_volume_mm3": (10.0, 1e6), "growth_rate_per_day": (-math.log(10) / 42, math.log(10) / 42)}


def model_outputs(X: np.ndarray) -> np.ndarray:
    cm = get_model("nsclc_tgi_immune").compile()
    n = X.shape[0]
    P = np.tile(cm.p0, (n, 1))
    Y0 = np.tile(cm.y0, (n, 1))
    for j, name in enumerate(BOUNDS):
        if name in cm.param_names:
            P[:, cm.param_index(name)] = X[:, j]
        else:
            Y0[:, cm.state_index(name)] = X[:, j]
    Y0[:, cm.state_index("R")] = 0.0
    sol = solve_batch(cm, Y0, P, t1=42.0, saveat=np.array([0.0, 42.0]), rtol=1e-6, atol=1e-6,
                      save_states=["T", "R"])
    N = sol.y[:, :, 0] + sol.y[:, :, 1]
    obs = cm.observables(np)
    k = cm.observable_names.index("tumour_diameter")
    d0 = np.asarray(obs(0.0, Y0.T, P.T)[k])
    vol = math.pi * d0**3 / 6.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.log(N[:, 1] / N[:, 0]) / 42.0
    out = np.column_stack([vol, rate])
    out[~sol.ok] = np.nan
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=8192)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="out/vpop-laleh")
    a = ap.parse_args()
    t0 = time.perf_counter()
    target = laleh_baseline_and_growth(ARMS)
    pp = plausible_population(model_outputs, BOUNDS, OUTPUTS, RANGES, a.n, a.seed, log=set(BOUNDS))
    vp = select_vpop(pp, target, transform={"baseline_volume_mm3": "log"}, seed=a.seed, min_size=200)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    vp.table().to_parquet(out / "vpop.parquet", index=False)
    gof = vp.goodness_of_fit()
    summary = {
        "target_lesions": int(len(target)), "candidates": a.n, "plausible": int(pp.plausible.sum()),
        "virtual_patients": int(len(vp.X)), "beta": vp.beta, "seed": a.seed,
        "goodness_of_fit": gof.to_dict(orient="index"),
        "target_median": {o: float(target[o].median()) for o in OUTPUTS},
        "vpop_median": {o: float(np.median(vp.Y[:, j])) for j, o in enumerate(OUTPUTS)},
        "plausible_median": {o: float(np.median(pp.Yp[:, j])) for j, o in enumerate(OUTPUTS)},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
