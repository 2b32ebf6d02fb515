"""Cohorts: the seeding rule, the plausibility filter, testing as in the clinic and screening."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pytest

from oncoimmune._errors import PatientInputError
from oncoimmune.model import Source
from oncoimmune.patients.biomarkers import ASSAYS, MeasurementError
from oncoimmune.patients.cohort import (
    Inclusion,
    Plausibility,
    Population,
    as_population,
    patient_rng,
    patient_seed_sequence,
    run_assays,
    sample_cohort,
    sample_patient,
    screen,
    screen_patient,
    screen_range,
)
from oncoimmune.patients.virtual import PROFILES, Fixed, draw_patient

S = Source("test")
KEYNOTE024 = Inclusion(
    min_age=18, max_ecog=1, max_prior_lines=0, biomarkers={"pdl1": ("high",)}, exclude_drivers=("egfr", "alk")
)
POP = Population("nsclc", stages=("IV",), prior_lines=0, inclusion=KEYNOTE024)


def _fixed_pdl1(tps: float) -> Population:
    prof = PROFILES["nsclc"]
    markers = {**dict(prof.biomarkers), "pdl1": Fixed(tps, S)}
    return Population(
        "nsclc",
        stages=("IV",),
        prior_lines=0,
        profile=prof.with_overrides(biomarkers=markers),
        inclusion=Inclusion(biomarkers={"pdl1": ("high",)}),
    )


# -- seeding rule -------------------------------------------------------------------------
def test_patient_is_identical_whatever_the_cohort_size():
    small = sample_cohort(POP, 10, 2024)
    big = sample_cohort(POP, 1000, 2024)
    assert small == big[:10]


def test_patient_is_identical_whatever_the_order_and_chunking():
    ref = sample_cohort(POP, 60, 7)
    order = list(range(60))
    random.Random(3).shuffle(order)
    shuffled = {i: sample_patient(POP, 7, i) for i in order}
    assert tuple(shuffled[i] for i in range(60)) == ref
    chunks = (
        sample_cohort(POP, 25, 7) + sample_cohort(POP, 17, 7, start=25) + sample_cohort(POP, 18, 7, start=42)
    )
    assert chunks == ref
    assert tuple(reversed([sample_patient(POP, 7, i) for i in reversed(range(60))])) == ref


def test_patients_differ_by_seed_and_index():
    a, b, c = sample_patient(POP, 1, 0), sample_patient(POP, 2, 0), sample_patient(POP, 1, 1)
    assert a != b and a != c
    assert a.trial_seed == 1 and c.index == 1


def test_streams_are_the_documented_seed_sequence_children():
    root = np.random.SeedSequence([11, 5])
    kids = root.spawn(4)
    for k, name in enumerate(("assays", "parameters", "events"), start=1):
        assert np.array_equal(patient_seed_sequence(11, 5, name).generate_state(4), kids[k].generate_state(4))
    assert np.array_equal(patient_seed_sequence(11, 5).generate_state(4), root.generate_state(4))
    a = patient_rng(11, 5, "parameters", "kill").random()
    assert a == patient_rng(11, 5, "parameters", "kill").random()
    assert a != patient_rng(11, 5, "parameters", "growth").random()


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_seed_must_be_a_whole_number(bad):
    with pytest.raises(PatientInputError, match="trial_seed"):
        sample_patient(POP, bad, 0)


# -- plausibility filter -----------------------------------------------------------------------
def test_plausibility_filter_redraws_from_the_same_stream():
    narrow = Population("nsclc", stages=("IV",), prior_lines=0, plausibility=Plausibility(age=(60.0, 62.0)))
    ps = sample_cohort(narrow, 40, 5)
    assert all(60.0 <= p.age <= 62.0 for p in ps)
    assert any(p.draws > 1 for p in ps)
    p = max(ps, key=lambda q: q.draws)
    rng = np.random.default_rng(np.random.SeedSequence([5, p.index]))
    for k in range(1, p.draws + 1):
        cand = draw_patient(
            PROFILES["nsclc"],
            rng,
            index=p.index,
            trial_seed=5,
            stage="IV",
            setting="advanced",
            prior_lines=0,
            draws=k,
        )
    assert cand == p
    assert sample_cohort(narrow, 40, 5) == ps


def test_impossible_plausibility_raises_naming_the_field():
    pop = Population("nsclc", plausibility=Plausibility(age=(200.0, 201.0)), max_draws=5)
    with pytest.raises(PatientInputError, match="population.plausibility.*5 draws"):
        sample_patient(pop, 1, 0)


def test_default_plausibility_for_children():
    pop = Population("b-all")
    assert pop.plausibility.age == (1.0, 25.0)
    assert all(1.0 <= p.age <= 25.0 for p in sample_cohort(pop, 50, 3))


# -- testing as in the clinic ---------------------------------------------------------------------
@pytest.mark.parametrize("tps,eligible", [(50.0, True), (49.99, False), (100.0, True), (0.0, False)])
def test_pdl1_cut_off_boundary(tps, eligible):
    r = screen_patient(_fixed_pdl1(tps), 1, 0)
    assert r.patient.assays["pdl1"].category == ("high" if tps >= 50 else "low" if tps >= 1 else "negative")
    assert r.eligible is eligible
    if not eligible:
        assert r.failures[0][0] == "biomarker:pdl1"


def test_tmb_cut_off_boundary():
    prof = PROFILES["nsclc"]
    for tmb, cat in ((10.0, "high"), (9.999, "low")):
        pop = Population(
            "nsclc",
            profile=prof.with_overrides(biomarkers={"tmb": Fixed(tmb, S)}),
            inclusion=Inclusion(biomarkers={"tmb": "high"}),
        )
        r = screen_patient(pop, 1, 0)
        assert r.patient.assays["tmb"].category == cat and r.eligible is (cat == "high")


def test_assay_error_uses_the_patient_assay_stream():
    noisy = ASSAYS["pdl1"].with_error(MeasurementError(sd=8.0, source=S))
    prof = PROFILES["nsclc"]
    pop = Population(
        "nsclc",
        profile=prof.with_overrides(biomarkers={"pdl1": Fixed(52.0, S)}),
        inclusion=Inclusion(biomarkers={"pdl1": ("high",)}),
        assays={"pdl1": noisy},
    )
    rs = screen_range(pop, 9, 0, 200)
    reported = np.array([r.patient.assays["pdl1"].value for r in rs])
    assert not rs[0].patient.assays["pdl1"].exact
    assert 0.2 < np.mean(reported < 50) < 0.5  # true TPS 52 %, some read below the cut-off
    assert sum(not r.eligible for r in rs) == int(np.sum(reported < 50))
    again = screen_range(pop, 9, 100, 120)
    assert [r.patient.assays["pdl1"].value for r in again] == list(reported[100:120])
    assert run_assays(pop, rs[3].patient).assays == rs[3].patient.assays


# -- screening -------------------------------------------------------------------------------------------
def test_screening_enrols_eligible_patients_and_counts_failures():
    s = screen(POP, 2016, 40)
    assert s.complete and len(s.enrolled) == 40
    assert s.screened == len(s.enrolled) + s.n_failed
    for p in s.enrolled:
        assert p.assays["pdl1"].category == "high" and p.ecog <= 1
        assert not p.drivers["egfr"] and not p.drivers["alk"]
    assert set(s.failures) <= {"biomarker:pdl1", "ecog", "driver:egfr", "driver:alk", "measurable", "age"}
    assert s.failures["biomarker:pdl1"] > 0
    assert (
        sum(1 for r in s.failed if any(c == "biomarker:pdl1" for c, _ in r.failures))
        == s.failures["biomarker:pdl1"]
    )
    assert [p.index for p in s.enrolled] == sorted(p.index for p in s.enrolled)
    assert s.summary()["enrolled"] == 40


def test_screening_does_not_depend_on_chunking():
    a = screen(POP, 33, 25, chunk=256)
    b = screen(POP, 33, 25, chunk=7)
    assert a.enrolled == b.enrolled and a.screened == b.screened and dict(a.failures) == dict(b.failures)
    parts = screen_range(POP, 33, 0, 40) + screen_range(POP, 33, 40, a.screened)
    assert tuple(r.patient for r in parts if r.eligible) == a.enrolled


def test_incomplete_screening_warns():
    pop = Population("nsclc", inclusion=Inclusion(max_age=20))
    with pytest.warns(UserWarning, match="relax the inclusion"):
        s = screen(pop, 1, 5, max_screened=30)
    assert not s.complete and s.screened == 30 and s.failures["age"] == 30


def test_indication_row_as_inclusion():
    pop = Population(
        "nsclc",
        stages=("IV",),
        prior_lines=0,
        inclusion=Inclusion(indication="uk-pembrolizumab-nsclc-1l-mono"),
    )
    s = screen(pop, 5, 10)
    assert all(p.assays["pdl1"].category == "high" for p in s.enrolled)
    assert set(s.failures) == {"indication"}


@pytest.mark.parametrize("cancer", sorted(PROFILES))
def test_every_cancer_can_be_screened(cancer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = screen(Population(cancer), 1, 3)
    assert len(s.enrolled) == 3


# -- validation names the field ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs,match",
    [
        (
            {"biomarkers": {"pdl1": ("hi",)}},
            r"inclusion.biomarkers.pdl1: unknown category 'hi'; valid categories: negative, low, high",
        ),
        ({"biomarkers": {"cea": ("high",)}}, r"inclusion.biomarkers.cea: unknown assay"),
        ({"exclude_drivers": ("kras",)}, r"inclusion.exclude_drivers: unknown driver 'kras'"),
        ({"min_age": 70, "max_age": 60}, r"inclusion.min_age"),
        ({"max_ecog": -1}, r"inclusion.max_ecog: must be a whole number >= 0"),
        ({"excludes_prior": ("homeopathy",)}, r"inclusion.excludes_prior: unknown treatment class"),
        ({"indication": "uk-made-up"}, r"inclusion.indication"),
    ],
)
def test_inclusion_errors_name_the_field(kwargs, match):
    with pytest.raises(PatientInputError, match=match):
        Inclusion(**kwargs)


def test_msi_synonyms_are_accepted_as_categories():
    assert Inclusion(biomarkers={"msi": ["dMMR"]}).biomarkers["msi"] == ("msi-high",)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"cancer": "glioma"}, "population.cancer"),
        ({"cancer": "nsclc", "stages": ("IV", "VII")}, "population.stages[1]"),
        ({"cancer": "pv", "stages": ("I",)}, "population.stages"),
        ({"cancer": "pv", "setting": "advanced"}, "population.setting"),
        ({"cancer": "nsclc", "stages": ("III", "IV"), "stage_weights": (1.0,)}, "population.stage_weights"),
        ({"cancer": "nsclc", "prior_lines": -1}, "population.prior_lines"),
    ],
)
def test_population_errors_name_the_field(kwargs, field):
    with pytest.raises(PatientInputError) as ei:
        Population(**kwargs)
    assert ei.value.field == field


def test_population_from_mapping():
    pop = as_population(
        {
            "cancer": "NSCLC",
            "stages": ["4"],
            "prior_lines": 0,
            "inclusion": {"max_ecog": 1, "biomarkers": {"pdl1": ["high"]}, "exclude_drivers": ["egfr"]},
        }
    )
    assert pop.cancer == "nsclc" and pop.stages == ("IV",) and pop.inclusion.biomarkers["pdl1"] == ("high",)
    assert sample_patient(pop, 1, 0) == sample_patient(
        Population("nsclc", stages=("IV",), prior_lines=0, inclusion=pop.inclusion), 1, 0
    )
    with pytest.raises(PatientInputError, match="population"):
        as_population({"cancer": "nsclc", "colour": "blue"})


def test_stage_weights_are_respected():
    pop = Population("nsclc", stages=("IIIB", "IV"), stage_weights=(1.0, 3.0))
    ps = sample_cohort(pop, 800, 1)
    share = np.mean([p.stage == "IV" for p in ps])
    assert abs(share - 0.75) < 4 * np.sqrt(0.75 * 0.25 / 800)
    iii = np.median([p.burden.value for p in ps if p.stage == "IIIB"])
    iv = np.median([p.burden.value for p in ps if p.stage == "IV"])
    assert iii < iv
