"""Covariates -> model: escape strengths, initial tumour and parameter variability."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from oncoimmune._errors import ModelSpecError, ParameterValueError, UnknownNameError
from oncoimmune.library import get_model
from oncoimmune.model import Distribution
from oncoimmune.patients.cohort import Population, sample_cohort, sample_patient
from oncoimmune.patients.link import (
    DEFAULT_COEFFICIENTS,
    antigen_loss_from_tmb,
    initial_tumour,
    link_patient,
    lymphopenia_from_lymphocytes,
    pdl1_engagement_from_tps,
    sample_parameters,
)
from oncoimmune.simulate import simulate

POP = Population("nsclc", stages=("IV",), prior_lines=0)
SCALED = DEFAULT_COEFFICIENTS.with_values(tumour_scale=1e-4)


def _variable(model, **cv):
    params = tuple(
        replace(p, distribution=Distribution("lognormal", cv=cv[p.name])) if p.name in cv else p
        for p in model.parameters
    )
    return replace(model, parameters=params)


# -- the mappings ------------------------------------------------------------------------------
def test_tmb_to_antigen_loss():
    assert antigen_loss_from_tmb(10.0) == pytest.approx(0.45)  # f_max * K/(K+K) = 0.9/2
    assert antigen_loss_from_tmb(0.0) == pytest.approx(0.9)
    x = antigen_loss_from_tmb(np.array([1.0, 5.0, 20.0, 100.0]))
    assert np.all(np.diff(x) < 0) and np.all((x >= 0) & (x <= 0.9))


def test_pdl1_to_engagement():
    assert pdl1_engagement_from_tps(0.0) == pytest.approx(0.1)
    assert pdl1_engagement_from_tps(50.0) == pytest.approx(1.1)
    assert pdl1_engagement_from_tps(100.0) == pytest.approx(2.1)


def test_lymphocytes_to_lymphopenia():
    assert lymphopenia_from_lymphocytes(2.0) == 0.0
    assert lymphopenia_from_lymphocytes(3.5) == 0.0
    assert lymphopenia_from_lymphocytes(0.5) == pytest.approx(0.75)
    assert lymphopenia_from_lymphocytes(0.0) == pytest.approx(0.95)


def test_initial_tumour_scales_cells():
    assert initial_tumour(3.8e11, SCALED) == pytest.approx(3.8e7)


@pytest.mark.parametrize(
    "fn,bad,match",
    [
        (antigen_loss_from_tmb, -1.0, "tmb"),
        (pdl1_engagement_from_tps, 120.0, "TPS"),
        (lymphopenia_from_lymphocytes, float("nan"), "lymphocyte"),
        (initial_tumour, -5.0, "tumour cells"),
    ],
)
def test_mappings_refuse_invalid_covariates(fn, bad, match):
    with pytest.raises(ParameterValueError, match=match):
        fn(bad)


def test_coefficients_are_named_sourced_and_tunable():
    rows = DEFAULT_COEFFICIENTS.table()
    assert {r["name"] for r in rows} == set(DEFAULT_COEFFICIENTS.names)
    for r in rows:
        assert r["source"].strip()
        if r["calibrated"]:
            assert "alibrated" in r["note"]
    c = DEFAULT_COEFFICIENTS.with_values(tmb_half=20.0)
    assert antigen_loss_from_tmb(20.0, c) == pytest.approx(0.45)
    with pytest.raises(UnknownNameError, match="tmb_half"):
        DEFAULT_COEFFICIENTS.with_values(tmb_halve=2.0)
    with pytest.raises(ParameterValueError, match="antigen_loss_max"):
        DEFAULT_COEFFICIENTS.with_values(antigen_loss_max=1.5)


# -- linking a patient ------------------------------------------------------------------------------
def test_link_patient_sets_strengths_and_initial_tumour():
    m = get_model("kuznetsov1994")
    p = sample_patient(POP, 3, 4)
    lp = link_patient(m, p, coefficients=SCALED)
    assert lp.strengths["antigen_loss"] == pytest.approx(antigen_loss_from_tmb(p.biomarkers["tmb"]))
    assert lp.strengths["pdl1_checkpoint"] == pytest.approx(pdl1_engagement_from_tps(p.biomarkers["pdl1"]))
    f = lymphopenia_from_lymphocytes(p.lymphocytes)
    assert lp.strengths["lymphopenia"] == pytest.approx(f)
    vals = lp.model.parameter_values
    assert vals["antigen_loss"] == pytest.approx(lp.strengths["antigen_loss"])
    assert vals["pdl1_engagement"] == pytest.approx(lp.strengths["pdl1_checkpoint"])
    assert vals["pd1_occupancy"] == 0.0
    assert lp.model.state("T").initial == pytest.approx(p.tumour_cells * 1e-4)
    assert lp.model.state("E").initial == pytest.approx(m.state("E").initial * (1 - f))
    assert lp.tumour_scale == 1e-4 and lp.parameters == {}
    assert m.state("T").initial == get_model("kuznetsov1994").state("T").initial  # input untouched
    ds = simulate(lp.model, 30, saveat=[0.0, 30.0])
    assert ds.attrs["status"] == "ok"
    assert set(lp.to_dict()) >= {"index", "strength_antigen_loss", "initial_T"}


def test_link_only_the_requested_mechanisms():
    lp = link_patient(
        get_model("kuznetsov1994"),
        sample_patient(POP, 1, 0),
        escape_mechanisms=("antigen_loss",),
        coefficients=SCALED,
    )
    assert set(lp.strengths) == {"antigen_loss"}
    assert "pdl1_engagement" not in lp.model.parameter_names


def test_untested_pdl1_uses_the_named_coefficient():
    p = sample_patient(Population("melanoma"), 1, 0)
    assert "pdl1" not in p.biomarkers
    lp = link_patient(get_model("kuznetsov1994"), p, coefficients=SCALED)
    assert lp.strengths["pdl1_checkpoint"] == pytest.approx(pdl1_engagement_from_tps(10.0))


def test_link_refuses_models_it_cannot_serve():
    p = sample_patient(POP, 1, 0)
    with pytest.raises(ModelSpecError, match="effector_supply"):
        link_patient(get_model("wodarz2001"), p, coefficients=SCALED)
    with pytest.raises(ModelSpecError, match="tumour_scale"):
        link_patient(get_model("nikolopoulou2018"), p)
    with pytest.raises(ModelSpecError, match="already applied"):
        link_patient(
            link_patient(get_model("kuznetsov1994"), p, coefficients=SCALED).model, p, coefficients=SCALED
        )
    no_tmb = replace(p, biomarkers={"pdl1": 60.0})
    with pytest.raises(ParameterValueError, match="no TMB"):
        link_patient(get_model("kuznetsov1994"), no_tmb, coefficients=SCALED)


# -- parameter variability ---------------------------------------------------------------------------
def test_parameter_variability_is_per_patient_and_per_parameter():
    m = _variable(get_model("kuznetsov1994"), a=0.3)
    ps = sample_cohort(POP, 3, 11)
    draws = [sample_parameters(m, p.trial_seed, p.index)["a"] for p in ps]
    assert len(set(draws)) == 3
    assert draws == [sample_parameters(m, 11, i)["a"] for i in range(3)]
    m2 = _variable(get_model("kuznetsov1994"), a=0.3, n=0.5)
    assert [sample_parameters(m2, 11, i)["a"] for i in range(3)] == draws  # independent streams
    lp = link_patient(m, ps[0], coefficients=SCALED)
    assert lp.model.parameter_values["a"] == pytest.approx(draws[0]) and lp.parameters == {"a": draws[0]}
    assert link_patient(m, ps[0], coefficients=SCALED, variability=False).parameters == {}


def test_parameter_variability_matches_the_distribution():
    cv = 0.3
    m = _variable(get_model("kuznetsov1994"), a=cv)
    x = np.array([sample_parameters(m, 5, i)["a"] for i in range(2000)])
    sigma = math.sqrt(math.log1p(cv**2))
    logs = np.log(x / m.parameter("a").value)
    assert abs(logs.mean()) < 4 * sigma / math.sqrt(2000)
    assert logs.std() == pytest.approx(sigma, rel=0.1)


def test_out_of_bounds_draws_are_redrawn_or_refused():
    m = get_model("kuznetsov1994")
    params = tuple(
        replace(p, bounds=(0.0, 0.19), distribution=Distribution("normal", cv=0.5)) if p.name == "a" else p
        for p in m.parameters
    )
    trunc = replace(m, parameters=params)
    x = [sample_parameters(trunc, 1, i)["a"] for i in range(50)]
    assert all(0.0 <= v <= 0.19 for v in x)
    impossible = tuple(
        replace(p, bounds=(0.17, 0.18), distribution=Distribution("uniform", low=0.5, high=0.6))
        if p.name == "a"
        else p
        for p in m.parameters
    )
    with pytest.raises(ParameterValueError, match="'a'.*uniform"):
        sample_parameters(replace(m, parameters=impossible), 1, 0, max_redraws=5)
