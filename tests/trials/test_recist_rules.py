"""RECIST 1.1 rules on hand-worked cases (Eisenhauer et al. 2009, Eur J Cancer 45:228, sections 4.3-4.4).

Each case is a small table of sums of diameters (mm) at scans every 6 weeks
(days 0, 42, 84, ...), worked out by hand from the rule it names.
"""

from __future__ import annotations

import numpy as np
import pytest

from oncoimmune.trials import TrialDataError, assess_recist

Q6W = [0.0, 42.0, 84.0, 126.0, 168.0]
nan = np.nan


def resp(sums, times=Q6W, **kw):
    r = assess_recist(times[: len(sums)], [sums], **kw)
    return r.responses[0].tolist(), str(r.best_overall_response[0]), r


# per-assessment rules --------------------------------------------------------------------------------


def test_partial_response_is_30_percent_decrease_from_baseline():
    """100 -> 70 mm is -30 %: PR; 71 mm is -29 %: SD."""
    assert resp([100, 70])[0] == ["BL", "PR"]
    assert resp([100, 71])[0] == ["BL", "SD"]
    # a threshold hit exactly despite binary rounding: 33.3 * 0.7 = 23.31
    assert resp([33.3, 23.31])[0] == ["BL", "PR"]


def test_progression_needs_20_percent_and_5_mm_from_nadir():
    """100 -> 119 (+19 %) SD, -> 120 (+20 %, +20 mm) PD; 20 -> 24 (+20 % but only +4 mm) SD, -> 25 PD."""
    assert resp([100, 119])[0] == ["BL", "SD"]
    assert resp([100, 120])[0] == ["BL", "PD"]
    assert resp([20, 24])[0] == ["BL", "SD"]
    assert resp([20, 25])[0] == ["BL", "PD"]


def test_nadir_rule_progression_below_baseline():
    """100 -> 60 (PR, nadir 60) -> 75: +25 % and +15 mm over the nadir is PD although 25 % below baseline."""
    r, bor, res = resp([100, 60, 75])
    assert r == ["BL", "PR", "PD"]
    assert bor == "SD"  # the PR was never confirmed; the scan at day 42 meets the 6-week SD minimum
    assert res.time_progression[0] == 84.0


def test_five_mm_absolute_rule_after_deep_response():
    """100 -> 10 (nadir) -> 14: +40 % but +4 mm, still PR; -> 15: +50 % and +5 mm, PD."""
    r, bor, _ = resp([100, 10, 14, 15])
    assert r == ["BL", "PR", "PR", "PD"]
    assert bor == "PR"  # PR at day 42 confirmed by PR at day 84


def test_nadir_is_the_smallest_earlier_sum_not_the_latest():
    """100 -> 50 -> 58 -> 62: nadir stays 50; 62 is +24 %, +12 mm: PD (58 was +16 %: PR still)."""
    r, _, _ = resp([100, 50, 58, 62])
    assert r == ["BL", "PR", "PR", "PD"]


def test_complete_response_and_detection_limit():
    """Sum 0 is CR; 2.5 mm is PR unless the detection limit (3 mm) records it as 0, then CR."""
    assert resp([50, 0])[0] == ["BL", "CR"]
    assert resp([50, 2.5])[0] == ["BL", "PR"]
    r, _, res = resp([50, 2.5], detection_limit_mm=3.0)
    assert r == ["BL", "CR"]
    assert res.sums[0, 1] == 0.0 and res.percent_change[0, 1] == -100.0


def test_reappearance_after_complete_response_is_progression():
    """CR, CR, then 4 mm: less than 5 mm over the nadir (0) but reappearance after CR is PD (Schwartz 2016)."""
    r, bor, res = resp([50, 0, 0, 4])
    assert r == ["BL", "CR", "CR", "PD"]
    assert bor == "CR"
    assert res.time_progression[0] == 126.0


def test_new_lesion_is_progression_even_without_target_measurement():
    new = np.zeros((1, 4), dtype=bool)
    new[0, 2] = True
    r, bor, res = resp([50, 40, nan, 30], new_lesions=new)
    assert r == ["BL", "SD", "PD", ""]
    assert bor == "SD"  # SD at day 42 meets the 42-day minimum before the PD
    assert res.time_progression[0] == 84.0


def test_assessments_after_progression_are_not_evaluated():
    r, bor, res = resp([50, 70, 20, 10])
    assert r == ["BL", "PD", "", ""]
    assert bor == "PD"
    assert res.best_percent_change[0] == pytest.approx(40.0)  # the later shrinkage does not count


def test_nodal_targets_below_10_mm_give_complete_response():
    """Non-nodal lesion gone, one node of 8 mm short axis (normal): CR although the sum is 8 mm."""
    nodes = np.array([[[15.0], [8.0]]])  # (patient, assessment, node)
    r, _, _ = resp([45.0, 8.0], node_short_axes=nodes)
    assert r == ["BL", "CR"]
    nodes_big = np.array([[[15.0], [12.0]]])
    r2, _, _ = resp([45.0, 12.0], node_short_axes=nodes_big)
    assert r2 == ["BL", "PR"]  # 12/45 = -73 %, but the node is still pathological


# best overall response -------------------------------------------------------------------------------


def test_confirmed_partial_response_needs_4_weeks():
    """PR at day 42 and 84 (42 d apart): PR. PR at 42 and 63 (21 d): unconfirmed, SD (42 d >= 42 d minimum)."""
    assert resp([100, 60, 60])[1] == "PR"
    assert resp([100, 60, 60], times=[0, 42, 63])[1] == "SD"
    assert resp([100, 60, 60], times=[0, 42, 70])[1] == "PR"  # exactly 28 d
    assert resp([100, 60, 60], times=[0, 42, 63], confirm=False)[1] == "PR"


def test_confirmation_cases_of_table_3():
    """RECIST 1.1 Table 3 (first / subsequent time point)."""
    assert resp([50, 0, 0])[1] == "CR"  # CR, CR -> CR
    assert resp([50, 0, 30])[1] == "SD"  # CR, PD -> SD (SD minimum met at day 42)
    assert resp([50, 0, 30], times=[0, 28, 70])[1] == "PD"  # ... otherwise PD
    assert resp([50, 0, nan])[1] == "SD"  # CR, NE -> SD if minimum met
    assert resp([50, 0, nan], times=[0, 28, 70])[1] == "NE"  # ... otherwise NE
    assert resp([100, 60, 0])[1] == "PR"  # PR, CR -> PR
    assert resp([100, 60, 80])[1] == "SD"  # PR, SD -> SD
    assert resp([100, 60, nan])[1] == "SD"  # PR, NE -> SD
    assert resp([100, nan, nan])[1] == "NE"  # NE, NE -> NE


def test_confirmation_may_skip_missing_or_stable_scans():
    assert resp([100, 60, nan, 60])[1] == "PR"  # PR, NE, PR
    assert resp([100, 60, 71, 65])[0] == ["BL", "PR", "SD", "PR"]  # 71: -29 % (not PR), +18 % (not PD)
    assert resp([100, 60, 71, 65])[1] == "PR"  # PR, SD, PR


def test_confirmation_cannot_cross_progression():
    assert resp([100, 60, 80, 60])[0] == ["BL", "PR", "PD", ""]
    assert resp([100, 60, 80, 60])[1] == "SD"


def test_stable_disease_minimum_duration():
    """SD at day 28 only, then PD: PD (28 < 42 d); with sd_min_days=28: SD. SD at day 28 then nothing: NE."""
    times = [0, 28, 56]
    assert resp([50, 50, 70], times=times)[1] == "PD"
    assert resp([50, 50, 70], times=times, sd_min_days=28)[1] == "SD"
    assert resp([50, 50, nan], times=times)[1] == "NE"
    assert resp([50, 50, 50], times=[0, 28, 56])[1] == "SD"


def test_sd_minimum_counts_from_origin():
    """Baseline scan 10 d before randomisation: SD at day 35 is 35 d after origin 0, short of 42."""
    r = assess_recist([-10, 35, 77], [[50, 50, 70]], origin=0.0)
    assert r.best_overall_response[0] == "PD"
    r2 = assess_recist([-10, 35, 77], [[50, 50, 70]])  # origin = baseline scan: 45 d
    assert r2.best_overall_response[0] == "SD"


def test_not_evaluable_cases():
    assert resp([nan, 30, 20])[1] == "NE"  # no baseline
    assert resp([nan, 30, 20])[0] == ["BL", "NE", "NE"]
    assert resp([50])[1] == "NE"  # baseline only
    assert resp([50, nan, nan, nan])[1] == "NE"


def test_times_of_response_progression_and_last_adequate():
    _, bor, r = resp([100, 80, 60, 60, 80])  # SD, PR (84), PR (126), PD (168: +33 %, +20 mm)
    assert bor == "PR"
    assert r.time_first_response[0] == 84.0
    assert r.time_progression[0] == 168.0
    assert r.time_last_adequate[0] == 126.0
    assert r.best_percent_change[0] == pytest.approx(-40.0)
    _, _, r2 = resp([100, 90, nan, nan])
    assert np.isnan(r2.time_progression[0]) and np.isnan(r2.time_first_response[0])
    assert r2.time_last_adequate[0] == 42.0


def test_per_patient_times_and_unscheduled_assessments():
    times = np.array([[0, 42, 84, nan], [0, 30, 70, 110]])
    sums = np.array([[50, 30, 30, nan], [50, 50, 70, nan]])
    r = assess_recist(times, sums)
    assert r.best_overall_response.tolist() == ["PR", "PD"]


# errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("times", "sums", "kw", "match"),
    [
        (Q6W[:3], [[50, -1, 30]], {}, "sums must be >= 0"),
        (Q6W[:3], [[0, 10, 30]], {}, "baseline"),
        (Q6W[:2], [[50, 10, 30]], {}, r"times must have shape \(3,\)"),
        ([0, 84, 42], [[50, 10, 30]], {}, "increase strictly"),
        (Q6W[:3], [[50, np.inf, 30]], {}, "inf"),
        (Q6W[:3], [[50, 10, 30]], {"new_lesions": [[True, False, False]]}, r"new_lesions\[:, 0\]"),
        (Q6W[:3], [[50, 10, 30]], {"sd_min_days": -1}, "sd_min_days"),
        (Q6W[:3], [[50, 10, 30]], {"node_short_axes": [[[60.0], [5.0], [5.0]]]}, "sums must include"),
    ],
)
def test_errors_name_the_field(times, sums, kw, match):
    with pytest.raises(TrialDataError, match=match):
        assess_recist(times, sums, **kw)


def test_error_is_a_value_error():
    with pytest.raises(ValueError):
        assess_recist([0, 1], [[1, -1]])
