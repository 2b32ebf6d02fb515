"""Population design covariates: a prior-lines distribution, histology as an inclusion criterion, the
region of enrolment and the SP142 TC/IC level (each from the patient's own stream)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from oncoimmune._errors import PatientInputError
from oncoimmune.patients.cohort import Inclusion, Population, run_assays, sample_patient, screen
from oncoimmune.patients.virtual import PROFILES, SP142_LEVELS, SP142_NSCLC

N = 3000


def _patients(pop, n=N, seed=11):
    return [run_assays(pop, sample_patient(pop, seed, i)) for i in range(n)]


def test_prior_lines_distribution_is_drawn_with_its_weights():
    pop = Population("nsclc", stages=("IV",), prior_lines={1: 0.75, 2: 0.25})
    c = Counter(p.prior_lines for p in _patients(pop))
    assert set(c) == {1, 2}
    assert c[2] / N == pytest.approx(0.25, abs=3 * math.sqrt(0.25 * 0.75 / N))


def test_prior_lines_distribution_changes_no_other_covariate():
    fixed = _patients(Population("nsclc", stages=("IV",), prior_lines=1), n=200)
    mixed = _patients(Population("nsclc", stages=("IV",), prior_lines={1: 3, 2: 1}), n=200)
    for a, b in zip(fixed, mixed):
        assert (a.age, a.ecog, a.histology, a.biomarkers["pdl1"], a.burden.value, a.region) == (
            b.age, b.ecog, b.histology, b.biomarkers["pdl1"], b.burden.value, b.region)


@pytest.mark.parametrize(
    ("lines", "field"),
    [({"one": 1.0}, "population.prior_lines.one"), ({"-1": 1.0}, "population.prior_lines.-1"),
     ({1: -0.5}, "population.prior_lines.1"), ({}, "population.prior_lines"), (1.5, "population.prior_lines"),
     ({1: 0.0, 2: 0.0}, "population.prior_lines")],
)
def test_bad_prior_lines_name_the_field(lines, field):
    with pytest.raises(PatientInputError) as ei:
        Population("nsclc", prior_lines=lines)
    assert ei.value.field == field


def test_histology_inclusion_enrols_only_that_histology():
    pop = Population("nsclc", stages=("IV",), prior_lines=1, inclusion=Inclusion(histology=("Squamous",)))
    assert pop.inclusion.histology == ("squamous",)
    s = screen(pop, 4, 60)
    assert all(p.histology == "squamous" for p in s.enrolled)
    assert s.summary()["failures_by_criterion"]["histology"] > 0
    adeno = Population("nsclc", inclusion=Inclusion(histology=("adenocarcinoma",)))
    assert adeno.inclusion.histology == ("non-squamous",)  # the cancer's histology aliases


def test_unknown_histology_names_the_field():
    with pytest.raises(PatientInputError) as ei:
        Population("nsclc", inclusion=Inclusion(histology=("small-cell",)))
    assert ei.value.field == "population.inclusion.histology[0]"
    with pytest.raises(PatientInputError) as ei:
        Population("melanoma", inclusion=Inclusion(histology=("squamous",)))
    assert ei.value.field == "population.inclusion.histology[0]"


def test_region_follows_the_profile_or_the_population():
    ps = _patients(Population("nsclc", stages=("IV",)))
    share = np.mean([p.region == "east_asia" for p in ps])
    assert share == pytest.approx(180 / 850, abs=3 * math.sqrt(0.21 * 0.79 / N))  # OAK Table 1 (proxy)
    ps = _patients(Population("nsclc", stages=("IV",), regions={"europe": 1, "north_america": 1}), n=400)
    assert {p.region for p in ps} == {"europe", "north_america"}
    with pytest.raises(PatientInputError) as ei:
        Population("nsclc", regions={"europe": -1})
    assert ei.value.field == "population.regions.europe"


def test_sp142_levels_match_oak_table_1():
    """The virtual OAK-like population (PD-L1 unselected) has OAK's SP142 level shares (Rittmeyer 2017 Table 1:
    TC3 or IC3 137, TC2/3 or IC2/3 265, TC1/2/3 or IC1/2/3 463 of 842 with a result)."""
    ps = _patients(Population("nsclc", stages=("IV",), prior_lines=1), n=6000)
    lv = np.array([SP142_LEVELS.index(p.assays["pdl1_sp142"].category) for p in ps])
    se = lambda p: 3 * math.sqrt(p * (1 - p) / lv.size)  # noqa: E731
    for k, target in ((1, 463 / 842), (2, 265 / 842), (3, 137 / 842)):
        assert np.mean(lv >= k) == pytest.approx(target, abs=se(target))


def test_sp142_agreement_with_22c3_is_the_cited_kappa():
    """Cohen's kappa between 22C3 TPS >= 1 % and SP142 TC1/2/3 or IC1/2/3 is Xu 2017's 0.481."""
    ps = _patients(Population("nsclc", stages=("IV",), prior_lines=1), n=8000, seed=3)
    a = np.array([p.biomarkers["pdl1"] >= 1 for p in ps])
    b = np.array([p.assays["pdl1_sp142"].category != "TC0/IC0" for p in ps])
    po = np.mean(a == b)
    pe = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    assert (po - pe) / (1 - pe) == pytest.approx(0.481, abs=0.04)
    # and SP142 calls fewer tumours positive than 22C3 (Blueprint: fewer stained tumour cells)
    assert b.mean() < a.mean()


def test_sp142_relation_is_monotone_in_tps_and_checked():
    r = SP142_NSCLC
    assert [r.level(q, 0.0) for q in (0.01, 0.5, 0.7, 0.99)] == sorted(
        [r.level(q, 0.0) for q in (0.01, 0.5, 0.7, 0.99)], key=SP142_LEVELS.index)
    assert PROFILES["nsclc"].sources()["biomarker pdl1_sp142"] is r.source
    with pytest.raises(PatientInputError):
        type(r)(1.5, r.shares, r.source)
    with pytest.raises(PatientInputError):
        type(r)(0.5, (1.0, 1.0), r.source)


def test_sp142_can_be_an_inclusion_criterion():
    pop = Population("nsclc", stages=("IV",), prior_lines=1,
                     inclusion=Inclusion(biomarkers={"sp142": ("TC0/IC0",)}))
    s = screen(pop, 2, 30)
    assert all(p.assays["pdl1_sp142"].category == "TC0/IC0" for p in s.enrolled)


def test_side_streams_are_the_cohort_streams():
    from oncoimmune.patients.cohort import patient_rng
    from oncoimmune.patients.virtual import _side_rng

    for name in ("design", "other"):
        assert _side_rng(7, 12, name).random() == patient_rng(7, 12, "covariates", name).random()
