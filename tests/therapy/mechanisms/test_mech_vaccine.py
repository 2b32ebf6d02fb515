"""Vaccines: dendritic-cell (Gevertz & Wares 2018) and antigen (Kronik et al. 2010) mechanisms.

References reproduced here
--------------------------
* Gevertz & Wares 2018 (Comput Math Methods Med 2018:8760371), oncolytic
  adenovirus + DC vaccine, original (BIOMD0000000816) and minimal
  (BIOMD0000000817) models: base model + ``vaccine_dc`` mechanism equals the
  SBML run by libroadrunner (relative error < 1e-6 over 30 days).
* Kronik et al. 2010 (PLoS ONE 5:e15482), prostate cancer whole-cell vaccine
  (MODEL2001130003): base model + ``vaccine_peptide`` mechanism equals the SBML
  (relative error < 1e-6 over 1000 days).
The papers' own figure values were not read here (gap, see docs/mechanisms.md).
"""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from mech_oracle import rel_err, roadrunner_run

from oncoimmune import simulate
from oncoimmune._errors import ModelSpecError, ScheduleError
from oncoimmune.library import get_model
from oncoimmune.therapy.mechanisms import vaccine_dc, vaccine_events, vaccine_peptide
from oncoimmune.therapy.mechanisms.vaccine import gevertz2018_events, gevertz2018_model, kronik2010_model

GEV_SPECIES = {
    "U": "Uninfected_Tumor_Cell_U",
    "I": "Infected_Cancer_Cell_I",
    "V": "Oncolytic_Adenovirus_V",
    "T": "Tumor_targeting_T_cells_T",
    "D": "Dendritic_Cells_D",
}


@pytest.mark.parametrize("minimal", [False, True])
def test_gevertz_base_plus_dc_mechanism_equals_sbml(minimal):
    """OV at days 0, 2, 4 and DC at 1, 3, 5 (the encodings' events); states agree with libroadrunner.

    BIOMD0000000816 is SBML Level 2, where an event whose trigger ``time == 0``
    is already true at the start never fires; libroadrunner therefore skips the
    day-0 virus dose of the original model. The paper's protocol doses at day 0
    (as the Level 3 minimal model BIOMD0000000817 does), so the comparison with
    816 drops that one dose on our side.
    """
    key = "gevertz2018_minimal" if minimal else "gevertz2018"
    t = np.arange(0.0, 31.0, 1.0)
    species = list(GEV_SPECIES)
    ref = roadrunner_run(key, t, [GEV_SPECIES[s] for s in species])
    events = gevertz2018_events()
    if not minimal:
        events = tuple(e for e in events if not (e.target == "V" and e.time == 0.0))
    ds = simulate(gevertz2018_model(minimal=minimal), 30.0, events=events, saveat=t, rtol=1e-10, atol=1e-12)
    for k, s in enumerate(species):
        assert rel_err(ds[s].values, ref[:, k + 1], 1e-6) < 1e-6, s


def test_gevertz_combination_beats_each_treatment_alone():
    """Tumour volume at day 30: OV + DC < OV alone < DC alone < untreated (the paper's qualitative result)."""
    m = gevertz2018_model()
    ev = gevertz2018_events()
    arms = {
        "none": (),
        "ov": tuple(e for e in ev if e.target == "V"),
        "dc": tuple(e for e in ev if e.target == "D"),
        "both": ev,
    }
    vol = {k: float(simulate(m, 30, events=e, saveat=[30.0])["tumour_volume"].values[-1]) for k, e in arms.items()}
    assert vol["both"] < vol["ov"] < vol["dc"] < vol["none"]


def test_dc_dose_response_and_zero_dose():
    m = gevertz2018_model()
    ov = tuple(e for e in gevertz2018_events() if e.target == "V")
    vols = []
    for dose in (0.0, 0.5, 1.0, 2.0):
        ev = ov + vaccine_events("D", [1, 3, 5], dose)
        vols.append(float(simulate(m, 30, events=ev, saveat=[30.0])["tumour_volume"].values[-1]))
    no_dc = float(simulate(m, 30, events=ov, saveat=[30.0])["tumour_volume"].values[-1])
    assert vols[0] == pytest.approx(no_dc, rel=1e-6)  # zero-amount events only split the integration
    assert all(a > b for a, b in pairwise(vols))


def test_dc_vaccine_effect_lasts_as_long_as_the_dcs():
    """Injected DCs decay at delta = 0.35/day (Gevertz & Wares 2018): half-life ln 2/0.35 = 1.98 days."""
    m = vaccine_dc(get_model("kuznetsov1994"), exposure="dcs", chi=1.0)
    ds = simulate(m, 10, events=vaccine_events("dcs", [0.0], 1.0e6), saveat=[0.0, 2.0, 10.0])
    np.testing.assert_allclose(ds["dcs"].values, 1.0e6 * np.exp(-0.35 * np.array([0.0, 2.0, 10.0])), rtol=1e-7)


def test_vaccines_raise_effectors_and_zero_dose_is_no_treatment():
    k = get_model("kuznetsov1994")
    base = simulate(k, 100, saveat=[30.0, 100.0])
    for mech, state in ((vaccine_dc, "dcs"), (vaccine_peptide, "antigen")):
        m = mech(k, exposure=state)
        zero = simulate(m, 100, events=vaccine_events(state, [0.0], 0.0), saveat=[30.0, 100.0])
        np.testing.assert_allclose(zero["T"].values, base["T"].values, rtol=1e-6)
        peaks = []
        for dose in (1.0e5, 1.0e6, 1.0e7):
            ds = simulate(m, 60, events=vaccine_events(state, [0.0, 14.0], dose), saveat=np.linspace(0, 60, 121))
            peaks.append(float(ds["E"].values.max()))
        assert peaks[0] < peaks[1] < peaks[2]


def test_kronik_base_plus_peptide_mechanism_equals_sbml():
    """MODEL2001130003 (Kronik et al. 2010) with libroadrunner; every state over 1000 days."""
    t = np.arange(0.0, 1001.0, 10.0)
    ref = roadrunner_run("kronik2010", t, ["V", "Dm", "Dc", "Dr", "C", "R", "P"])
    ds = simulate(kronik2010_model(), 1000.0, saveat=t, rtol=1e-10, atol=1e-12)
    for k, s in enumerate(["V", "k_Dm", "k_Dc", "k_Dr", "C", "k_Treg", "P"]):
        assert rel_err(ds[s].values, ref[:, k + 1], 1e-6) < 1e-6, s


def test_kronik_vaccine_lowers_the_tumour():
    m = kronik2010_model()
    with_v = simulate(m, 1000, saveat=[1000.0])
    without = simulate(m, 1000, initial={"V": 0.0}, saveat=[1000.0])
    assert float(with_v["P"].values[-1]) < float(without["P"].values[-1])


def test_refusals():
    k = get_model("kuznetsov1994")
    with pytest.raises(ModelSpecError, match="not a state"):
        vaccine_dc(k, exposure="E", effector_state="nope")
    with pytest.raises(ModelSpecError, match="parameter/observable"):
        vaccine_dc(k, exposure="s")
    with pytest.raises(ScheduleError):
        vaccine_events("dcs", [], 1.0)
    assert math.isclose(vaccine_dc(k, exposure="dcs").parameter("vaccine_dc_delta").value, 0.35)
