"""Write the synthetic measurements of this example (rerun to regenerate them exactly).

Truth: Kuznetsov 1994 (library model ``kuznetsov1994``) with its published parameters (Kuznetsov et al.
1994, Bull Math Biol 56:295-321, Table 1) except the three estimated ones, set to the values in TRUTH;
two experiments starting from 1e6 and 3e7 tumour cells; tumour cells observed every 10 days to day 200 with
multiplicative (log-normal) noise, sigma = 0.1 in log10 units, numpy seed 20261207. The estimation problem
(problem.yaml) must recover TRUTH within its profile-likelihood intervals: this is a recovery check of the
fitting pipeline, not a claim about real tumours.

Run: ``PYTHONPATH=src python examples/petab/kuznetsov_tumour/generate.py``
"""

from pathlib import Path

import numpy as np

from oncoimmune import simulate
from oncoimmune.library import get_model

#: Values used to generate the data (the estimation problem does not see them).
TRUTH = {"a": 0.18, "n": 1.101e-7, "p": 0.1245, "sigma": 0.1}
SEED = 20261207
DAYS = np.arange(0.0, 201.0, 10.0)
CONDITIONS = {"small": 1e6, "large": 3e7}


def main() -> None:
    here = Path(__file__).parent
    rng = np.random.default_rng(SEED)
    model = get_model("kuznetsov1994")
    rows = ["observableId\tsimulationConditionId\ttime\tmeasurement\tnoiseParameters"]
    for cid, t0 in CONDITIONS.items():
        ds = simulate(model, float(DAYS[-1]), saveat=DAYS, initial={"T": t0},
                      parameters={k: v for k, v in TRUTH.items() if k != "sigma"}, rtol=1e-10, atol=1e-6)
        T = np.asarray(ds.T)
        y = 10 ** (np.log10(T) + TRUTH["sigma"] * rng.standard_normal(T.size))
        for t, v in zip(DAYS, y):
            rows.append(f"tumour\t{cid}\t{t:g}\t{v:.6e}\tsigma")
    (here / "measurements.tsv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
