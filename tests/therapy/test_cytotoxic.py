"""Cytotoxic chemotherapy in real doses (docetaxel, carboplatin by AUC, doublets).

Published values: Cockcroft & Gault 1976 formula; Calvert 1989 dose = AUC (GFR + 25);
TAXOTERE USPI 12.3 mean total body clearance 21 L/h/m2 (Bruno 1996 covariate model at
typical covariates); log-kill in the AUC (Simeoni 2004).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoimmune.model import Model, Parameter, Source, State, Sym, Term
from oncoimmune.simulate import simulate
from oncoimmune.therapy.cytotoxic import (
    AGENTS,
    CytotoxicCourse,
    CytotoxicSpecError,
    PKCovariates,
    calvert_dose_mg,
    cockcroft_gault,
    docetaxel_clearance_bruno1996,
    is_cytotoxic_text,
)
from oncoimmune.therapy.regimen import ChemotherapyCourse, parse_therapy, treat_regimens


def _static_tumour() -> Model:
    """A tumour that neither grows nor dies without drug (isolates the drug's kill)."""
    src = Source("test")
    return Model(
        id="static",
        title="static tumour",
        states=(State("T", 1e9, "cells", "tumour"),),
        parameters=(Parameter("g", 0.0, "1/day", "growth", src),),
        terms=(Term("growth", Sym("g") * Sym("T"), {"T": 1}, "growth"),),
        tumour_state="T",
    )


def test_cockcroft_gault_and_calvert():
    """Cockcroft-Gault 1976: (140 - 60) * 70 / (72 * 1.0) = 77.8 mL/min; x 0.85 for women. Calvert 1989."""
    assert cockcroft_gault(60, 70, 1.0, "male") == pytest.approx(77.78, rel=1e-3)
    assert cockcroft_gault(60, 70, 1.0, "female") == pytest.approx(0.85 * 77.78, rel=1e-3)
    assert calvert_dose_mg(5, 95) == pytest.approx(600.0)


def test_docetaxel_clearance_at_typical_covariates_matches_label():
    """Bruno 1996 at typical covariates vs TAXOTERE USPI 12.3 mean clearance 21 L/h/m2 (within 5 %)."""
    cov = PKCovariates(bsa_m2=1.0)
    assert docetaxel_clearance_bruno1996(cov) == pytest.approx(21.0, rel=0.05)
    # hepatic impairment: Bruno's HEP12 lowers clearance by 33.4 % (label: 27 % on average)
    hep = PKCovariates(bsa_m2=1.0, hepatic_impairment=True)
    assert docetaxel_clearance_bruno1996(hep) / docetaxel_clearance_bruno1996(cov) == pytest.approx(0.666)
    # more AAG, older age: lower clearance; more albumin: higher
    assert docetaxel_clearance_bruno1996(PKCovariates(bsa_m2=1.0, aag_g_l=2.5)) < docetaxel_clearance_bruno1996(cov)
    assert docetaxel_clearance_bruno1996(PKCovariates(bsa_m2=1.0, age=80)) < docetaxel_clearance_bruno1996(cov)


@pytest.mark.parametrize("text", ["docetaxel:75mg/m2:q3w*1", "carboplatin_paclitaxel:AUC6+200mg/m2:q3w*1"])
def test_simulated_auc_and_kill_equal_closed_form(text):
    """AUC of the ODE = dose / CL; surviving fraction of a static tumour after one cycle = exp(-kappa AUC)."""
    course = parse_therapy(text, weight_kg=80.0, bsa_m2=1.95)
    assert isinstance(course, CytotoxicCourse)
    tr = treat_regimens(_static_tumour(), course, until=30.0)
    ds = simulate(tr.model, 30.0, events=tr.events, saveat=np.linspace(0, 30, 3001), rtol=1e-10, atol=1e-12)
    t = ds["time"].values
    for a, dose in zip(course.agents, course.doses):
        conc = ds[f"{a.name}_A"].values / tr.model.parameter(f"{a.name}_V").value
        auc = np.trapezoid(conc, t) if hasattr(np, "trapezoid") else np.trapz(conc, t)
        assert auc == pytest.approx(a.auc_mg_day_per_l(dose, course.covariates), rel=2e-3)
    surviving = ds["T"].values[-1] / 1e9
    assert surviving == pytest.approx(math.exp(-course.log_kill_per_cycle()), rel=1e-3)


def test_carboplatin_auc_equals_its_target_for_any_patient():
    """Calvert dosing with the same clearance for dosing and disposition: AUC = target (mg/mL x min)."""
    carbo = AGENTS["carboplatin"]
    for cov in (PKCovariates(), PKCovariates(age=80, weight_kg=50, sex="female", serum_creatinine_mg_dl=1.4)):
        auc_mg_min_per_ml = carbo.auc_mg_day_per_l(5.0, cov) * 1440.0 / 1000.0
        assert auc_mg_min_per_ml == pytest.approx(5.0, rel=1e-9)


def test_zero_dose_is_no_treatment_and_dose_scales_kill():
    base = simulate(_static_tumour(), 60.0, saveat=[0.0, 60.0])
    tr0 = treat_regimens(_static_tumour(), "docetaxel:0mg/m2:q3w*3", until=60.0)
    ds0 = simulate(tr0.model, 60.0, events=tr0.events, saveat=[0.0, 60.0])
    np.testing.assert_allclose(ds0["T"].values, base["T"].values, rtol=1e-12)
    lo = parse_therapy("docetaxel:60mg/m2:q3w").log_kill_per_cycle()
    hi = parse_therapy("docetaxel:75mg/m2:q3w").log_kill_per_cycle()
    assert hi / lo == pytest.approx(75 / 60)


def test_until_progression_needs_until_and_counts_cycles():
    c = parse_therapy("docetaxel:75mg/m2:q3w")
    assert c.runs_until_stopped
    with pytest.raises(Exception, match="until"):
        c.cycle_days()
    assert c.cycle_days(until=64.0) == [0.0, 21.0, 42.0, 63.0]
    assert parse_therapy("docetaxel:75mg/m2:q3w*4@7").cycle_days() == [7.0, 28.0, 49.0, 70.0]
    assert c.shifted(10).cycle_days(until=40) == [10.0, 31.0]


@pytest.mark.parametrize(
    "text, match",
    [
        ("docetaxel:75mg:q3w", "mg/m2"),
        ("carboplatin_paclitaxel:6+200mg/m2:q3w*4", "AUC"),
        ("carboplatin_paclitaxel:AUC6:q3w*4", "one dose per agent"),
        ("docetaxel:75mg/m2:q3z", "SCHEDULE"),
    ],
)
def test_bad_text_names_the_part(text, match):
    with pytest.raises(CytotoxicSpecError, match=match):
        CytotoxicCourse.parse(text)


def test_doublet_with_units_keeps_the_de_pillis_form():
    assert not is_cytotoxic_text("carboplatin_paclitaxel:1:q3w*4")
    assert isinstance(parse_therapy("carboplatin_paclitaxel:1:q3w*4"), ChemotherapyCourse)
    assert is_cytotoxic_text("carboplatin_paclitaxel:AUC5+200mg/m2:q3w*4")
    assert is_cytotoxic_text("docetaxel")


def test_drugs_command_lists_the_chemotherapies():
    from typer.testing import CliRunner

    from oncoimmune.cli import app

    r = CliRunner().invoke(app, ["drugs", "--json"])
    assert r.exit_code == 0
    import json

    names = {row["name"] for row in json.loads(r.output)}
    assert {"docetaxel", "carboplatin", "paclitaxel", "pemetrexed", "etoposide", "pembrolizumab"} <= names
