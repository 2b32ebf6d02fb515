"""Checkpoint blockade: PD-1, PD-L1 and CTLA-4 mechanisms, with their published references.

References reproduced here
--------------------------
* Nikolopoulou et al. 2018 (Lett Biomath 5:S137): a constant anti-PD-1 input
  clears the tumour only above a threshold input; reproduced *through the
  mechanism* (an external anti-PD-1 whose PD-1 occupancy is ``gamma*A/rho_P``).
* Pembrolizumab 200 mg Q3W keeps PD-1 target engagement above 90 % at every
  trough (Ahamadi 2017 popPK, Elassaiss-Schaap 2017 IC50 0.535 ug/mL; the
  latter reports that 2 mg/kg Q3W reaches 95 % engagement at steady state).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from oncoimmune import simulate
from oncoimmune._errors import ModelSpecError
from oncoimmune.biology.escape import antigen_loss, pdl1_checkpoint
from oncoimmune.library import get_model
from oncoimmune.model import Parameter, Source, State, Sym, Term
from oncoimmune.therapy.drugs import get_drug
from oncoimmune.therapy.mechanisms import ctla4_blockade, pd1_blockade, pdl1_blockade
from oncoimmune.therapy.mechanisms.checkpoint import PD1_KNOB, PDL1_KNOB
from oncoimmune.therapy.pk import pk_dose_events
from oncoimmune.therapy.schedule import Dose, IVInfusion, Schedule

SRC = Source("test input", note="test scaffolding")


def _occupancy_param(model, name="occ", value=0.0):
    return model.add(parameters=(Parameter(name, value, "1", "test occupancy", SRC, bounds=(0.0, 1.0)),))


# ---------------------------------------------------------------------------------------
# Nikolopoulou 2018 through the mechanism
def _nikolopoulou_with_external_antibody():
    """The published model with its own antibody off and an identical external anti-PD-1 ``A_ext``.

    ``A_ext`` has the paper's kinetics (input, consumption by free PD-1, clearance);
    the mechanism receives its PD-1 occupancy ``gamma*A_ext/rho_P``.
    """
    m = get_model("nikolopoulou2018")
    m = m.add(
        states=(State("A_ext", 0.0, "g/cm^3", "external anti-PD-1"),),
        parameters=(Parameter("gamma_ext", 0.0, "g/(cm^3*day)", "external anti-PD-1 input", SRC),),
        terms=(
            Term("ext_input", Sym("gamma_ext"), {"A_ext": 1}, "input"),
            Term("ext_binding", Sym("mu_PA") * Sym("P") * Sym("A_ext"), {"A_ext": -1}, "consumed by PD-1"),
            Term("ext_clearance", Sym("d_A") * Sym("A_ext"), {"A_ext": -1}, "cleared"),
        ),
    )
    occ = Sym("gamma") * Sym("A_ext") / Sym("rho_P")
    return pd1_blockade(m, exposure=occ, exposure_kind="occupancy")


def _cleared(model, name, value, days=730.0):
    ds = simulate(model, days, parameters={name: value}, saveat=[0.0, days], rtol=1e-9, atol=1e-12)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    return float(ds["C"].values[-1]) < 1e-6


def _threshold(model, name, lo=2.6e-8, hi=3.0e-8, steps=9):
    assert not _cleared(model, name, lo) and _cleared(model, name, hi)
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if _cleared(model, name, mid):
            hi = mid
        else:
            lo = mid
    return hi


def test_nikolopoulou_axis_unchanged_without_drug():
    """Both knobs at 0: the mechanism leaves the published model's trajectory unchanged."""
    m = get_model("nikolopoulou2018")
    mt = pd1_blockade(_occupancy_param(m), exposure="occ")
    a = simulate(m, 300, saveat=[0, 100, 300])
    b = simulate(mt, 300, saveat=[0, 100, 300])
    np.testing.assert_allclose(b["C"].values, a["C"].values, rtol=1e-9)
    np.testing.assert_allclose(b["T"].values, a["T"].values, rtol=1e-9)


def test_nikolopoulou_threshold_through_the_mechanism_equals_the_published_model():
    """Threshold of constant anti-PD-1 input for clearance within 730 d, mechanism vs published model.

    Source: Nikolopoulou et al. 2018, reduced Lai-Friedman model (library
    ``nikolopoulou2018``). The mechanism maps the antibody to PD-1 occupancy
    ``gamma*A/rho_P``; the two thresholds agree to the bisection resolution.
    Measured: 2.763e-8 g/cm^3/day for both. (This is the variant started from the
    model's initial state; the catalogue's experiment is checked below.)
    """
    lib = _threshold(get_model("nikolopoulou2018"), "gamma_A")
    mech = _threshold(_nikolopoulou_with_external_antibody(), "gamma_ext")
    assert mech == pytest.approx(lib, rel=2e-3)
    assert mech == pytest.approx(2.763e-8, rel=5e-3)


def _settled(model):
    """``model`` started from its own state after 300 untreated days (the published C(300) = 0.6414)."""
    ds = simulate(model, 300.0, saveat=[0.0, 300.0], rtol=1e-10, atol=1e-14)
    return model.with_initial({s: float(ds[s].values[-1]) for s in model.state_names})


def test_nikolopoulou_threshold_matches_catalogue_value():
    """Catalogue value 2.86e-8 g/cm^3/day (validation.md 3.1), through the mechanism, tolerance 1 %.

    The catalogue's experiment starts treatment from the day-300 settled tumour
    (C(300) = 0.6414) and asks for C(730) < 1e-6; an independent script gives
    2.859e-8 (the 2.763e-8 above answers the variant started from the initial state).
    """
    mech = _threshold(_settled(_nikolopoulou_with_external_antibody()), "gamma_ext", lo=2.7e-8, hi=3.0e-8)
    assert mech == pytest.approx(2.86e-8, rel=0.01)


def test_pdl1_blockade_damps_the_complex_in_nikolopoulou():
    m = get_model("nikolopoulou2018")
    mt = pdl1_blockade(_occupancy_param(m, value=0.5), exposure="occ")
    a = simulate(m, 10, saveat=[10.0])
    b = simulate(mt, 10, saveat=[10.0])
    assert float(b["F_Q"].values[0]) > float(a["F_Q"].values[0])


# ---------------------------------------------------------------------------------------
# pembrolizumab target engagement
def _pembro_model():
    pem = get_drug("pembrolizumab")
    m = pem.add_to(pdl1_checkpoint(get_model("kuznetsov1994"), 1.0))
    return pem, pd1_blockade(m, exposure="pembrolizumab_conc")


def test_pembrolizumab_200mg_q3w_trough_engagement_above_90_percent():
    """PD-1 engagement C/(C + IC50) stays > 90 % at every trough of 200 mg Q3W, > 95 % at steady state.

    Sources: Ahamadi et al. 2017 (CPT:PSP 6:49) typical popPK (catalogue
    trough 12.7 ug/mL after dose 1, 29.5 ug/mL at steady state);
    Elassaiss-Schaap et al. 2017 (CPT:PSP 6:21) Table 2 IC50 = 0.535 ug/mL and
    abstract: 2 mg/kg Q3W reaches 95 % target engagement at steady state.
    Measured: 0.960 at the first trough, 0.982 at steady state.
    """
    pem, m = _pembro_model()
    ev = pk_dose_events(m, "pembrolizumab", pem.schedule("200mg_q3w"), until=400)
    troughs = np.array([21.0 * k - 1e-6 for k in range(1, 18)])
    ds = simulate(m, 360, events=ev, saveat=np.r_[0.0, troughs])
    occ = ds[PD1_KNOB].values[1:]
    conc = ds["pembrolizumab_conc"].values[1:]
    assert conc[0] == pytest.approx(12.7, rel=0.02)
    assert conc[-1] == pytest.approx(29.5, rel=0.02)
    assert np.all(occ > 0.90)
    assert occ[-1] > 0.95


def test_pembrolizumab_2mgkg_q3w_steady_state_engagement_at_least_95_percent():
    """Elassaiss-Schaap 2017 abstract: a steady-state dose of 2 mg/kg Q3W reaches 95 % target engagement."""
    _, m = _pembro_model()
    sched = Schedule("pembrolizumab", Dose(2.0, "mg/kg"), every_days=21, cycles=17, route=IVInfusion.minutes(30))
    ev = pk_dose_events(m, "pembrolizumab", sched, weight_kg=76.8)
    ds = simulate(m, 357, events=ev, saveat=[357.0 - 1e-6])
    assert float(ds[PD1_KNOB].values[-1]) >= 0.95


def test_pd1_blockade_releases_the_brake_and_shrinks_the_tumour():
    pem, m = _pembro_model()
    ev = pk_dose_events(m, "pembrolizumab", pem.schedule("200mg_q3w"), until=400)
    treated = simulate(m, 360, events=ev, saveat=[360.0])
    untreated = simulate(m, 360, saveat=[360.0])
    assert float(treated["T"].values[-1]) < 0.1 * float(untreated["T"].values[-1])


def test_zero_occupancy_is_no_treatment_and_effect_is_monotone():
    base = pdl1_checkpoint(get_model("kuznetsov1994"), 1.0)
    m = pd1_blockade(_occupancy_param(base), exposure="occ")
    ref = simulate(base, 400, saveat=[400.0])
    finals = [float(simulate(m, 400, parameters={"occ": o}, saveat=[400.0])["T"].values[-1]) for o in (0, 0.3, 0.6, 0.9)]
    assert finals[0] == pytest.approx(float(ref["T"].values[-1]), rel=1e-9)
    assert all(a > b for a, b in pairwise(finals))


def test_pd1_and_pdl1_occupancies_combine_order_independently():
    """Free complex = (1 - theta_PD1)(1 - theta_PDL1), whichever drug is applied first."""
    base = pdl1_checkpoint(get_model("kuznetsov1994"), 1.0)
    base = _occupancy_param(_occupancy_param(base, "occ1", 0.6), "occ2", 0.5)
    a = pdl1_blockade(pd1_blockade(base, exposure="occ1"), exposure="occ2")
    b = pd1_blockade(pdl1_blockade(base, exposure="occ2"), exposure="occ1")
    da, db = simulate(a, 5, saveat=[5.0]), simulate(b, 5, saveat=[5.0])
    assert float(da["pd1_occupancy"].values[0]) == pytest.approx(1 - 0.4 * 0.5)
    assert float(db["pd1_occupancy"].values[0]) == pytest.approx(1 - 0.4 * 0.5)
    np.testing.assert_allclose(da["T"].values, db["T"].values, rtol=1e-10)
    assert PDL1_KNOB in a.observable_names


def test_pd1_blockade_needs_the_brake_or_an_engagement():
    with pytest.raises(ModelSpecError, match="pdl1_checkpoint"):
        pd1_blockade(_occupancy_param(get_model("kuznetsov1994")), exposure="occ")
    m = pd1_blockade(_occupancy_param(get_model("kuznetsov1994")), exposure="occ", engagement=1.0)
    assert "pdl1_engagement" in m.parameter_names


def test_blockade_cannot_undo_antigen_loss():
    """PD-1 blockade releases the brake but not the loss of antigen (Zaretsky 2016, Sharma 2017)."""
    base = antigen_loss(pdl1_checkpoint(get_model("kuznetsov1994"), 1.0), 0.5)
    m = pd1_blockade(_occupancy_param(base, value=1.0), exposure="occ")
    full = float(simulate(m, 2, saveat=[0.0])["pd1_occupancy"].values[0])
    assert full == pytest.approx(1.0)
    # killing at full blockade is still halved by antigen loss: compare with the brake-free model
    clean = antigen_loss(get_model("kuznetsov1994"), 0.5)
    a = simulate(m, 200, saveat=[200.0])
    b = simulate(clean, 200, saveat=[200.0])
    assert float(a["T"].values[-1]) == pytest.approx(float(b["T"].values[-1]), rel=1e-8)


def test_ctla4_blockade_raises_priming_only_when_occupied():
    m = get_model("kuznetsov1994")
    mt = ctla4_blockade(_occupancy_param(m), exposure="occ", engagement=1.0)
    e0 = simulate(m, 5, saveat=[5.0])["E"].values[-1]
    assert simulate(mt, 5, saveat=[5.0])["E"].values[-1] == pytest.approx(e0, rel=1e-12)
    e_full = simulate(mt, 5, parameters={"occ": 1.0}, saveat=[5.0])["E"].values[-1]
    e_half = simulate(mt, 5, parameters={"occ": 0.5}, saveat=[5.0])["E"].values[-1]
    assert e_full > e_half > e0


def test_ctla4_treg_depletion_term():
    """With a Treg state, anti-CTLA-4 removes Tregs at k_treg * occupancy * Treg (Simpson 2013)."""
    m = get_model("kuznetsov1994").add(
        states=(State("Treg", 100.0, "cells", "regulatory T cells"),),
    )
    m = _occupancy_param(m, value=1.0)
    mt = ctla4_blockade(m, exposure="occ", treg_state="Treg", k_treg=0.1)
    ds = simulate(mt, 10, saveat=[10.0])
    assert float(ds["Treg"].values[-1]) == pytest.approx(100.0 * np.exp(-1.0), rel=1e-6)
