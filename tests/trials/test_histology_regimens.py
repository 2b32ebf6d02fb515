"""Per-histology regimens of an arm (``regimens_by_histology``): KEYNOTE-024's investigator's choice, where
pemetrexed doublets and pemetrexed maintenance were for non-squamous tumours only (Reck 2016 Methods).

In the spec (validation, which regimens a patient gets), in the staged runner and in the calibration
path (one batch per list of regimens), which give the same endpoints for the same patients."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncoimmune._errors import SpecFileError
from oncoimmune.trials import joint as J
from oncoimmune.trials import runner as R
from oncoimmune.trials.spec import TrialSpec, load_trial_spec

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "keynote024_clinical.toml"
SEED = 5


def _with_chemo(**changes) -> TrialSpec:
    d = load_trial_spec(SPEC).model_dump(exclude_none=True)
    for a in d["arms"]:
        if a["name"] == "chemotherapy":
            a.update(changes)
    return TrialSpec.from_dict(d)


def test_a_patient_gets_the_regimens_of_their_histology():
    arm = load_trial_spec(SPEC).arm("chemotherapy")
    assert arm.regimens_for("squamous") == ["carboplatin_paclitaxel:AUC6+200mg/m2:q3w*4"]
    assert arm.regimens_for(None) == arm.regimens
    non_sq = arm.regimens_for("non-squamous")
    assert non_sq[0].startswith("carboplatin_pemetrexed") and non_sq[1] == "pemetrexed:500mg/m2:q3w@84d"
    assert arm.regimen_variants() == [arm.regimens, non_sq]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"regimens_by_histology": {"adenocarcinoma": ["docetaxel:75mg/m2:q3w"]}}, "regimens_by_histology.adenocarcinoma"),
        ({"regimens_by_histology": {"non-squamous": []}}, "regimens_by_histology.non-squamous"),
        ({"regimens_by_histology": {"non-squamous": ["pemetrexed:500mg/m2:q5x"]}}, "regimens_by_histology.non-squamous[0]"),
    ],
)
def test_bad_histology_regimens_name_the_field(changes, field):
    with pytest.raises(SpecFileError) as err:
        _with_chemo(**changes)
    assert field in str(err.value)


def test_calibration_path_gives_pemetrexed_maintenance_to_non_squamous_patients_only():
    c = J.JointCohort.build("keynote024", n=40, seed=SEED)
    batches = c.arms["chemotherapy"]
    assert len(batches) == 2
    sq = c.covariates["squamous"]
    rows = {b.events[0].target: b.rows for b in batches}
    assert set(np.flatnonzero(sq == 1.0)) == set(rows["carboplatin_A"]) - set(rows.get("pemetrexed_A", []))
    pem = next(b for b in batches if any(e.target == "pemetrexed_A" for e in b.events))
    assert (sq[pem.rows] == 0.0).all()
    days = sorted({e.time for e in pem.events if e.target == "pemetrexed_A"})
    assert days[:6] == [0.0, 21.0, 42.0, 63.0, 84.0, 105.0]  # doublet x4, then maintenance every 3 weeks
    assert not any(e.target == "carboplatin_A" and e.time > 63.0 for e in pem.events)


def test_staged_runner_equals_the_calibration_path_with_histology_regimens(tmp_path):
    spec = _with_chemo()
    res = R.run_trial(spec, tmp_path / "run", n_patients=16, seed=SEED, reference=None, figures=False, report=False)
    cohort = J.JointCohort.from_spec(spec, n=16, seed=SEED, only_assigned=True)
    out = J.evaluate(cohort, J.current_theta(), randomised=True, tables=True)
    joint = pd.concat(out["tables"].values()).set_index("_row").sort_index()
    mine = res.endpoints.set_index("patient_id").sort_index()
    assert list(joint["arm"]) == list(mine["arm"])
    for col in ("best_overall_response", "pfs_event", "os_event"):
        assert list(joint[col]) == list(mine[col]), col
    np.testing.assert_allclose(mine["pfs_months"].to_numpy(float), joint["pfs_months"].to_numpy(float), rtol=1e-4)
    np.testing.assert_allclose(mine["os_months"].to_numpy(float), joint["os_months"].to_numpy(float), rtol=1e-4)
