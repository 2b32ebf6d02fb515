"""ADCC (rituximab, trastuzumab) and the Hoffman et al. 2018 reference model.

References reproduced here
--------------------------
* Hoffman et al. 2018 (J Theor Biol 436:39), in vitro ADCC assay: our
  implementation equals the BioModels encoding BIOMD0000000802 run by
  libroadrunner (relative error < 1e-6), and the mechanism's saturation
  factor ``Phi`` at reference expression is exactly Hoffman's ``f/fk``.
  The paper's own reported numbers could not be read here (gap, see docs).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from mech_oracle import rel_err, roadrunner_run

from oncoimmune import simulate
from oncoimmune._errors import ModelSpecError
from oncoimmune.biology.escape import antigen_loss
from oncoimmune.library import get_model
from oncoimmune.model import Parameter, Source
from oncoimmune.therapy.drugs import get_drug
from oncoimmune.therapy.mechanisms import adcc, adcc_cd20, adcc_her2, hoffman2018_model
from oncoimmune.therapy.pk import pk_dose_events

SRC = Source("test input", note="test scaffolding")


def _with_occupancy(model, value=0.9):
    return model.add(parameters=(Parameter("occ", value, "1", "target occupancy", SRC, bounds=(0.0, 1.0)),))


def test_hoffman_model_matches_biomodels_encoding():
    """BIOMD0000000802 (Hoffman et al. 2018) with libroadrunner vs our model; 5 time units, 51 points."""
    t = np.linspace(0.0, 5.0, 51)
    ref = roadrunner_run("hoffman2018", t, ["A", "R", "S", "C"])
    ds = simulate(hoffman2018_model(), 5.0, saveat=t, rtol=1e-10, atol=1e-12)
    for k, s in enumerate("ARSC"):
        assert rel_err(ds[s].values, ref[:, k + 1], 1e-6) < 1e-6, s


def test_hoffman_lysis_needs_antibody_and_grows_with_it():
    """Without antibody no cancer cell is lysed; more antibody, more lysis (Hoffman 2018 assay)."""
    m = hoffman2018_model()
    lysed = []
    for a0 in (0.0, 0.5, 1.0, 2.0):
        ds = simulate(m, 5.0, initial={"A": a0}, saveat=[5.0])
        lysed.append(1.0 - float(ds["S"].values[-1]))
    assert lysed[0] == pytest.approx(0.0, abs=1e-12)
    assert all(a < b for a, b in pairwise(lysed))


def test_mechanism_saturation_is_hoffmans_kill_law_at_reference_expression():
    """Phi(x = 1, theta = R) = f/fk = R/(R + rk) along a Hoffman trajectory (rk = 0.5, BIOMD0000000802)."""
    ds = simulate(hoffman2018_model(), 5.0, saveat=np.linspace(0, 5, 11), rtol=1e-10, atol=1e-12)
    R = ds["R"].values
    dp = adcc_cd20(_with_occupancy(get_model("depillis2005")), exposure="occ")
    rk = dp.parameter("adcc_cd20_rk").value
    phi = (1.0 * R) / (1.0 * R + rk)
    np.testing.assert_allclose(phi, ds["f_kill"].values / 1.0, rtol=1e-12)


def _tumour_day50(expression, occupancy=0.9, target="CD20", gain=5.0):
    m = adcc(_with_occupancy(get_model("depillis2005"), occupancy), exposure="occ", target=target,
             expression=expression, gain=gain)
    return float(simulate(m, 50, saveat=[50.0])["T"].values[-1])


def test_zero_expression_or_zero_occupancy_is_no_treatment():
    base = float(simulate(get_model("depillis2005"), 50, saveat=[50.0])["T"].values[-1])
    assert _tumour_day50(0.0) == pytest.approx(base, rel=1e-10)
    assert _tumour_day50(1.0, occupancy=0.0) == pytest.approx(base, rel=1e-10)


@pytest.mark.parametrize("target", ["CD20", "HER2"])
def test_killing_increases_with_target_expression(target):
    """More target per cell, more antibody bound, more ADCC: the tumour at day 50 falls with expression."""
    finals = [_tumour_day50(x, target=target) for x in (0.0, 0.5, 1.0, 2.0)]
    assert all(a > b for a, b in pairwise(finals)), finals


def test_adcc_term_is_nk_killing_untouched_by_antigen_loss():
    """ADCC needs no MHC-presented antigen: antigen_loss scales 'kill' terms, not the ADCC 'nk_kill' term."""
    m = adcc_her2(_with_occupancy(get_model("depillis2005")), exposure="occ")
    term = m.term("adcc_her2_kill")
    assert "nk_kill" in term.roles and "kill" not in term.roles
    hidden = antigen_loss(m, 1.0)
    assert hidden.term("adcc_her2_kill") == term


def test_concentration_exposure_uses_the_label_affinity():
    """Rituximab 375 mg/m2 weekly: occupancy C/(C + 1.16 ug/mL) (8 nM x 145 kDa, RITUXAN USPI)."""
    rtx = get_drug("rituximab")
    m = rtx.add_to(get_model("depillis2005"))
    m = adcc_cd20(m, exposure="rituximab_conc", expression=1.0)
    ev = pk_dose_events(m, "rituximab", rtx.schedule("375mgm2_weekly_x4"), bsa_m2=1.9)
    ds = simulate(m, 28, events=ev, saveat=[7.0 - 1e-6, 27.9])
    c = ds["rituximab_conc"].values
    np.testing.assert_allclose(ds["adcc_cd20_occupancy"].values, c / (c + 1.16), rtol=1e-12)
    assert np.all(ds["adcc_cd20_occupancy"].values > 0.9)


def test_kill_based_fallback_and_refusals():
    """Without NK cells ADCC arms the generic 'kill' terms (Kuznetsov's E are 'CTL and NK')."""
    m = adcc_cd20(_with_occupancy(get_model("kuznetsov1994")), exposure="occ")
    assert "tumour_kill" in to_names(m.notes)
    with pytest.raises(ModelSpecError, match="occupancy or a"):
        adcc_cd20(get_model("kuznetsov1994"), exposure="E")
    with pytest.raises(ModelSpecError, match="CD20"):
        adcc(_with_occupancy(get_model("kuznetsov1994")), exposure="occ", target="EGFR")


def to_names(notes):
    return " ".join(notes)
