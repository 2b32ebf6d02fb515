"""Trial endpoints on hand-worked patients, and Clopper-Pearson against scipy and closed forms.

PFS censoring follows the FDA table (Clinical Trial Endpoints for the Approval
of Cancer Drugs and Biologics, 2018, Appendix 3); each patient below is one
row of that table, worked by hand. Scans every 6 weeks: days 0, 42, 84, ...
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from oncoimmune.trials import (
    DAYS_PER_MONTH,
    ENDPOINT_COLUMNS,
    TrialDataError,
    assess_recist,
    clopper_pearson,
    endpoint_table,
    response_summary,
)

nan = np.nan
TIMES = np.arange(6) * 42.0  # 0 .. 210 d
M = DAYS_PER_MONTH

#            0     42    84   126   168   210
SUMS = np.array(
    [
        [50.0, 45.0, 70.0, nan, nan, nan],  # A: PD at 84 (nadir 45, +25 mm); dies at 200
        [50.0, 48.0, 47.0, nan, nan, nan],  # B: SD, SD, dies at 100 (no missed scan): death event at 100
        [50.0, 48.0, nan, nan, 80.0, nan],  # C: SD at 42, two missed, PD at 168: censored at 42
        [50.0, 48.0, 49.0, 47.0, 46.0, 45.0],  # D: alive, no PD, last scan 210, last contact 300
        [nan, 40.0, 30.0, nan, nan, nan],  # E: no baseline: censored at 0 (alive, contact 100)
        [50.0, nan, nan, nan, nan, nan],  # F: dies at 20, before the first scan: death event at 20
        [100.0, 60.0, 55.0, 60.0, 80.0, nan],  # G: PR 42 (confirmed at 84), PD at 168 (+25 mm over 55)
        [50.0, 40.0, nan, nan, nan, nan],  # H: SD at 42, then missed 84 and 126, dies at 150: censored at 42
    ]
)
DEATH = np.array([200.0, 100.0, nan, nan, nan, 20.0, nan, 150.0])
CONTACT = np.array([nan, nan, 400.0, 300.0, 100.0, nan, 250.0, nan])
ARM = ["a", "a", "a", "a", "b", "b", "b", "b"]


@pytest.fixture(scope="module")
def table():
    r = assess_recist(TIMES, SUMS)
    return endpoint_table(r, arm=ARM, death_days=DEATH, last_contact_days=CONTACT)


def test_columns(table):
    assert list(table.columns) == list(ENDPOINT_COLUMNS)
    assert table["pfs_event"].dtype.kind == "i" and table["os_event"].dtype.kind == "i"


def test_best_overall_response(table):
    assert table["best_overall_response"].tolist() == ["SD", "SD", "SD", "SD", "NE", "NE", "PR", "SD"]
    assert table["responder"].tolist() == [False] * 6 + [True, False]
    assert table["disease_control"].tolist() == [True, True, True, True, False, False, True, True]


def test_pfs_by_fda_rules(table):
    exp_days = [84, 100, 42, 210, 0, 20, 168, 42]
    exp_event = [1, 1, 0, 0, 0, 1, 1, 0]
    exp_reason = [
        "progression",
        "death",
        "censored: event after missed assessments",
        "censored: no progression or death",
        "censored: no baseline assessment",
        "death",
        "progression",
        "censored: event after missed assessments",
    ]
    np.testing.assert_allclose(table["pfs_months"].to_numpy() * M, exp_days, atol=1e-9)
    assert table["pfs_event"].tolist() == exp_event
    assert table["pfs_reason"].tolist() == exp_reason


def test_pfs_without_missed_visit_rule():
    r = assess_recist(TIMES, SUMS)
    t = endpoint_table(r, arm=ARM, death_days=DEATH, last_contact_days=CONTACT, max_missed=None)
    assert t.loc[2, "pfs_event"] == 1 and t.loc[2, "pfs_months"] * M == pytest.approx(168.0)  # C
    assert t.loc[7, "pfs_event"] == 1 and t.loc[7, "pfs_months"] * M == pytest.approx(150.0)  # H


def test_os(table):
    # deaths A 200, B 100, F 20, H 150; others censored at last contact (D 300, C 400, E 100, G 250)
    np.testing.assert_allclose(table["os_months"].to_numpy() * M, [200, 100, 400, 300, 100, 20, 250, 150])
    assert table["os_event"].tolist() == [1, 1, 0, 0, 0, 1, 0, 1]


def test_duration_and_time_to_response(table):
    g = table.loc[6]
    assert g["ttr_months"] * M == pytest.approx(42.0)
    assert g["dor_months"] * M == pytest.approx(168.0 - 42.0)
    assert g["dor_event"] == 1.0
    assert table.drop(index=6)["dor_months"].isna().all()


def test_origin_shifts_times_and_floors_at_zero():
    r = assess_recist(TIMES, SUMS[[0, 3]])
    t = endpoint_table(r, arm="a", death_days=[200.0, nan], last_contact_days=[nan, 300.0], origin_days=10.0)
    np.testing.assert_allclose(t["pfs_months"] * M, [74.0, 200.0])
    np.testing.assert_allclose(t["os_months"] * M, [190.0, 290.0])


def test_death_after_last_contact_is_not_observed():
    r = assess_recist(TIMES[:2], [[50.0, 45.0]])
    t = endpoint_table(r, arm="a", death_days=500.0, last_contact_days=300.0)
    assert t.loc[0, "os_event"] == 0 and t.loc[0, "os_months"] * M == pytest.approx(300.0)
    assert t.loc[0, "pfs_event"] == 0 and t.loc[0, "pfs_months"] * M == pytest.approx(42.0)


def test_response_summary_counts_and_exact_ci(table):
    s = response_summary(table)
    assert s.loc["a", ["n", "CR", "PR", "SD", "PD", "NE"]].tolist() == [4, 0, 0, 4, 0, 0]
    assert s.loc["b", ["n", "CR", "PR", "SD", "PD", "NE"]].tolist() == [4, 0, 1, 1, 0, 2]
    assert s.loc["b", "orr"] == 0.25 and s.loc["b", "dcr"] == 0.5
    ci = binomtest(1, 4).proportion_ci(0.95, method="exact")
    assert s.loc["b", "orr_lo"] == pytest.approx(ci.low, rel=1e-10)
    assert s.loc["b", "orr_hi"] == pytest.approx(ci.high, rel=1e-10)
    assert s.loc["a", "orr_lo"] == 0.0 and s.loc["a", "dcr_hi"] == 1.0


@pytest.mark.parametrize("k,n", [(0, 10), (1, 10), (5, 10), (10, 10), (69, 154), (42, 151), (3, 1000)])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_clopper_pearson_matches_scipy(k, n, level):
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    lo, hi = clopper_pearson(k, n, level)
    assert lo == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
    assert hi == pytest.approx(ci.high, rel=1e-9, abs=1e-12)


def test_clopper_pearson_closed_form_at_zero():
    """k = 0: upper limit = 1 - (alpha/2)^(1/n); n = 10 gives 0.30850."""
    lo, hi = clopper_pearson(0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(1 - 0.025 ** (1 / 10), rel=1e-12)
    assert hi == pytest.approx(0.30850, abs=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"arm": ["a"]}, "arm must be one name or have 8 entries"),
        ({"arm": "a", "death_days": np.full(3, 1.0)}, r"death_days must be a number or have shape \(8,\)"),
        ({"arm": "a", "death_days": np.full(8, 50.0)}, "after death"),
        ({"arm": "a", "last_contact_days": np.full(8, 50.0)}, "after last_contact_days"),
        ({"arm": "a", "max_missed": 0}, "max_missed"),
        ({"arm": "a", "patient_id": [1] * 8}, "unique"),
    ],
)
def test_endpoint_errors_name_the_field(kwargs, match):
    r = assess_recist(TIMES, SUMS)
    with pytest.raises(TrialDataError, match=match):
        endpoint_table(r, **kwargs)


def test_clopper_pearson_errors():
    with pytest.raises(TrialDataError, match="k must be"):
        clopper_pearson(5, 4)
    with pytest.raises(TrialDataError, match="level"):
        clopper_pearson(1, 4, 95)
