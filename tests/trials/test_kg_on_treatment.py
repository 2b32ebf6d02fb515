"""``[survival] kg_read``: the TGI-OS link's growth rate read over the on-treatment course (option).

Checks: the option is validated (an error names the field); the default reads ``KG`` before the
first progression exactly as before; ``"on_treatment"`` reads it at the end of the randomised
treatment (progression, treatment beyond it, a crossover; never before progression), and never
after the patient's death (changing the trajectory after the death changes nothing); the runner
gives the same endpoints as the joint calibration path with the option on.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from oncoimmune.trials.assess import SurvivalInputs, derive_outcomes
from oncoimmune.trials.rules import TreatmentCourse
from oncoimmune.trials.sample import EventDraws
from oncoimmune.trials.spec import SurvivalSpec
from oncoimmune.trials.survival_link import (
    KG_FLOOR,
    LinkCovariates,
    TGIOSLink,
    growth_rate_constant,
    link_death_days,
    link_death_days_on_treatment,
)

REPO = Path(__file__).resolve().parents[2]
GRID = np.arange(0.0, 401.0, 1.0)
LINK = TGIOSLink(intercept=2.5, beta_kg=-0.6, sigma=1.0)


def _cov(n: int) -> LinkCovariates:
    return LinkCovariates(np.zeros(n), np.ones(n), np.zeros(n), np.full(n, 90.0))


def _burden() -> np.ndarray:
    """Shrinks 0.01/day to day 60, grows 0.02/day to day 120 (progression), then 0.004/day (treated beyond)."""
    logb = np.where(GRID < 60, -0.01 * GRID, np.where(GRID < 120, -0.6 + 0.02 * (GRID - 60),
                                                      0.6 + 0.004 * (GRID - 120)))
    return 1e10 * np.exp(logb)[None, :]


def test_the_option_is_validated_and_defaults_to_progression():
    assert SurvivalSpec().kg_read == "progression"
    assert SurvivalSpec(kg_read="on_treatment").kg_read == "on_treatment"
    with pytest.raises(ValidationError, match="kg_read must be one of 'progression', 'on_treatment'"):
        SurvivalSpec(kg_read="whole_course")


def test_treatment_end_follows_the_arm_rules_and_never_precedes_progression():
    c = TreatmentCourse(
        stop=np.array([math.inf, math.inf, 50.0, 735.0, math.inf]),
        after_progression=np.array([0.0, 84.0, 0.0, math.inf, 84.0]),
        switch_after_progression=np.array([math.inf, math.inf, math.inf, math.inf, 21.0]),
    )
    end = c.end_day(np.array([120.0, 120.0, 120.0, 120.0, 120.0]))
    # until progression; 12 weeks beyond; toxicity stop before progression (read at progression);
    # scheduled doses (to the regimen's end); beyond progression cut by a crossover after 21 days
    np.testing.assert_array_equal(end, [120.0, 204.0, 120.0, 735.0, 141.0])
    assert np.isinf(c.end_day(np.full(5, np.inf))).all()  # no progression: the end of the observed course


def test_on_treatment_kg_reads_the_growth_under_treatment_beyond_progression():
    b = _burden()
    z = np.array([5.0])  # alive throughout: KG at the end of treatment
    before = growth_rate_constant(GRID, b, np.array([120.0]))
    _, kg = link_death_days_on_treatment(LINK, GRID, b, np.array([204.0]), z, _cov(1))
    assert before[0] == pytest.approx(0.02, rel=1e-9)
    assert kg[0] == pytest.approx(0.004, rel=1e-9)
    # read at progression, the on-treatment rule gives the same KG as the default
    _, kg_p = link_death_days_on_treatment(LINK, GRID, b, np.array([120.0]), z, _cov(1))
    assert kg_p[0] == pytest.approx(before[0], rel=1e-12)


def test_on_treatment_death_does_not_read_the_trajectory_after_death():
    b = _burden()
    z = np.array([-2.6])  # an early death
    t, kg = link_death_days_on_treatment(LINK, GRID, b, np.array([400.0]), z, _cov(1))
    assert t[0] < 400.0
    k = int(np.searchsorted(GRID, t[0], side="right"))  # first save time after the death
    changed = b.copy()
    changed[:, k + 1:] *= np.exp(0.05 * (GRID[k + 1:] - GRID[k]))  # a different course after the death
    t2, kg2 = link_death_days_on_treatment(LINK, GRID, changed, np.array([400.0]), z, _cov(1))
    assert t2[0] == t[0] and kg2[0] == kg[0]
    # the death is the first time the link's death time for the growth read so far has passed
    assert LINK.os_days(z, kg, 0, 1, 0, 90.0)[0] <= t[0] + 1.0
    assert kg[0] > KG_FLOOR


def test_derive_outcomes_default_is_unchanged_and_the_course_changes_kg():
    b = np.vstack([_burden(), _burden()])
    scans = np.arange(0.0, 401.0, 42.0)
    n = 2
    draws = EventDraws(np.full(n, 0.5), np.full(n, 0.5), np.full(n, 0.5), np.full(n, np.inf))
    z = np.array([5.0, 5.0])
    kw = dict(horizon=400.0, dropout_per_day=0.0, background_per_day=0.0, death_rule=None, death_threshold=None)
    base = derive_outcomes(GRID, b, None, scans, draws, survival=SurvivalInputs(LINK, z, _cov(n)), **kw)
    from oncoimmune.trials.assess import assess

    r = assess(scans, base["sums"], base["new_lesions"])
    tp = np.asarray(r.time_progression, dtype=float)
    assert np.isfinite(tp).all()
    t_ref, kg_ref = link_death_days(LINK, GRID, b, tp, z, _cov(n))
    np.testing.assert_array_equal(base["kg_per_day"], kg_ref)  # the default: KG before progression
    course = TreatmentCourse(np.full(n, np.inf), np.array([0.0, 84.0]), np.full(n, np.inf))
    on = derive_outcomes(GRID, b, None, scans, draws, survival=SurvivalInputs(LINK, z, _cov(n), course), **kw)
    assert on["kg_per_day"][0] == pytest.approx(kg_ref[0], rel=1e-12)  # stopped at progression: same KG
    assert on["kg_per_day"][1] == pytest.approx(0.004, rel=1e-9)  # 12 weeks beyond: the slower growth
    assert on["death_day"][1] > base["death_day"][1] or np.isnan(on["death_day"][1])


@pytest.mark.slow
def test_runner_equals_the_joint_path_with_the_option_on(tmp_path):
    """Same endpoints as joint.evaluate with treatment beyond progression and stopping at progression."""
    pytest.importorskip("numba")
    import pandas as pd

    from oncoimmune.trials import joint as J
    from oncoimmune.trials import runner as R
    from oncoimmune.trials.spec import TrialSpec, load_trial_spec

    d = load_trial_spec(REPO / "examples" / "oak.toml").to_dict()
    d["horizon_months"] = 10.0
    d["accrual"] = {"months": 5.0, "cutoff_months": 9.0}
    d["survival"]["kg_read"] = "on_treatment"
    for a in d["arms"]:
        a["until"] = "progression"
        if a["name"] == "atezolizumab":
            a["beyond_progression"] = {"probability": 0.5, "max_weeks": 12}
    spec = TrialSpec.from_dict(d)
    res = R.run_trial(spec, tmp_path / "run", n_patients=12, seed=3, reference=None, figures=False, report=False)
    cohort = J.JointCohort.from_spec(spec, n=12, seed=3, only_assigned=True)
    jr = J.evaluate(cohort, J.current_theta(), randomised=True, tables=True)
    joint = pd.concat(jr["tables"].values()).set_index("_row").sort_index()
    mine = res.endpoints.set_index("patient_id").sort_index()
    assert mine["beyond_progression"].any()
    for col in ("best_overall_response", "pfs_event", "os_event"):
        assert list(joint[col]) == list(mine[col]), col
    for col in ("pfs_months", "os_months", "kg_per_day"):
        np.testing.assert_allclose(mine[col].to_numpy(float), joint[col].to_numpy(float), rtol=1e-4, atol=1e-9,
                                   err_msg=col)


def test_the_summary_names_where_kg_is_read():
    from oncoimmune.trials.analyse import outcome_rules
    from oncoimmune.trials.spec import TrialSpec, load_trial_spec

    d = load_trial_spec(REPO / "examples" / "oak.toml").to_dict()
    default = outcome_rules(TrialSpec.from_dict(d))["overall_survival"]
    assert default["kg_read"] == "progression" and "before the first documented progression" in default["description"]
    d["survival"]["kg_read"] = "on_treatment"
    on = outcome_rules(TrialSpec.from_dict(d))["overall_survival"]
    assert on["kg_read"] == "on_treatment" and "over the randomised treatment" in on["description"]
