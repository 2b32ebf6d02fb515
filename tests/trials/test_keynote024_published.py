"""KEYNOTE-024 reconstructed patient-level data against the published analysis.

Source of the published numbers: Reck M et al. 2016, "Pembrolizumab versus
chemotherapy for PD-L1-positive non-small-cell lung cancer", *N Engl J Med*
375:1823-1833, doi:10.1056/NEJMoa1606774 (abstract): median PFS 10.3 months
(95 % CI 6.7 to not reached) with pembrolizumab vs 6.0 (4.2 to 6.2) with
chemotherapy; HR for progression or death 0.50 (0.37 to 0.68); 6-month OS
80.2 % vs 72.4 %; HR for death 0.60 (0.41 to 0.89).

The data: R package kmdata (Robert Redd, MIT licence), patient-level times
reconstructed from figures 1A (PFS) and 2 (OS) of that paper; in
``shared/data/trials/keynote-024/`` (the tests skip when it is absent).
The published estimates come from the trial's prespecified analysis of the
actual data (randomisation was stratified by ECOG status, histology and
region); ours are an unstratified Cox model and Kaplan-Meier on times read
off the figures. Tolerances: HR and its limits +/-0.03; medians and their
limits +/-0.3 months; survival rates +/-2 percentage points.
Measured values are in ``docs/trials_analysis.md``.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("lifelines")

from oncoimmune.analysis import compare_to_trial, hazard_ratios, read_patient_level, survival_summary

PEMBRO, CHEMO = "pembrolizumab", "chemo"


@pytest.fixture(scope="module")
def k024(shared_dir):
    d = shared_dir / "data" / "trials" / "keynote-024"
    if not (d / "keynote024_pfs.csv").is_file():
        pytest.skip(f"KEYNOTE-024 data not found in {d}")
    return {ep: read_patient_level(d / f"keynote024_{ep}.csv") for ep in ("pfs", "os")}


def test_sizes(k024):
    for df in k024.values():
        assert (df.arm == PEMBRO).sum() == 154 and (df.arm == CHEMO).sum() == 151  # as randomised


def test_pfs_hazard_ratio(k024):
    """Published HR 0.50 (0.37-0.68); measured 0.487 (0.363-0.654)."""
    hr = hazard_ratios(k024["pfs"], time="time", event="event", reference=CHEMO).loc[PEMBRO]
    assert hr["hr"] == pytest.approx(0.50, abs=0.03)
    assert hr["hr_lo"] == pytest.approx(0.37, abs=0.03)
    assert hr["hr_hi"] == pytest.approx(0.68, abs=0.03)
    assert hr["p"] < 0.001


def test_pfs_medians(k024):
    """Published 10.3 (6.7-NR) vs 6.0 (4.2-6.2) months; measured 10.4 (6.74-NR) vs 6.04 (4.18-6.25)."""
    s = survival_summary(k024["pfs"], time="time", event="event")
    assert s.loc[PEMBRO, "median"] == pytest.approx(10.3, abs=0.3)
    assert s.loc[PEMBRO, "median_lo"] == pytest.approx(6.7, abs=0.3)
    assert np.isinf(s.loc[PEMBRO, "median_hi"])  # not reached
    assert s.loc[CHEMO, "median"] == pytest.approx(6.0, abs=0.3)
    assert s.loc[CHEMO, "median_lo"] == pytest.approx(4.2, abs=0.3)
    assert s.loc[CHEMO, "median_hi"] == pytest.approx(6.2, abs=0.3)


def test_os_hazard_ratio_and_six_month_rates(k024):
    """Published HR 0.60 (0.41-0.89), 6-month OS 80.2 % vs 72.4 %; measured 0.615 (0.419-0.903), 80.2 % vs 71.1 %."""
    hr = hazard_ratios(k024["os"], time="time", event="event", reference=CHEMO).loc[PEMBRO]
    assert hr["hr"] == pytest.approx(0.60, abs=0.03)
    assert hr["hr_lo"] == pytest.approx(0.41, abs=0.03)
    assert hr["hr_hi"] == pytest.approx(0.89, abs=0.03)
    s = survival_summary(k024["os"], time="time", event="event", at=[6.0])
    assert 100 * s.loc[PEMBRO, "surv_6"] == pytest.approx(80.2, abs=2.0)
    assert 100 * s.loc[CHEMO, "surv_6"] == pytest.approx(72.4, abs=2.0)
    assert np.isinf(s.loc[PEMBRO, "median"]) and np.isinf(s.loc[CHEMO, "median"])  # not reached at this cut


def test_comparison_of_a_trial_with_itself_is_neutral(k024):
    """The real data passed as the 'virtual' trial: equal HRs, virtual/real HR 1 and log-rank p 1 per arm."""
    real = k024["pfs"]
    virtual = real.rename(columns={"time": "pfs_months", "event": "pfs_event"})
    virtual["arm"] = virtual["arm"].map({PEMBRO: "anti-PD-1", CHEMO: "control"})
    comp = compare_to_trial(
        virtual, real, reference=CHEMO, arm_map={"anti-PD-1": PEMBRO, "control": CHEMO}, at=[0, 6, 12]
    )
    hr = comp.hazard_ratios
    assert hr.loc[("virtual", PEMBRO), "hr"] == pytest.approx(hr.loc[("real", PEMBRO), "hr"], rel=1e-9)
    np.testing.assert_allclose(comp.virtual_vs_real["hr"], 1.0, atol=1e-6)
    np.testing.assert_allclose(comp.virtual_vs_real["logrank_p"], 1.0, atol=1e-9)
    assert comp.medians.loc[("real", CHEMO), "at_risk_0"] == 151
