"""Screening in lanes gives every candidate the outcome one-by-one screening gives."""

from __future__ import annotations

import numpy as np
import pytest

from oncoimmune.model import Source
from oncoimmune.patients.biomarkers import ASSAYS, MeasurementError, Misclassification
from oncoimmune.patients.cohort import Inclusion, Plausibility, Population, screen_patient
from oncoimmune.patients.lanes import screen_block, supported
from oncoimmune.patients.virtual import PROFILES

_SRC = Source("test")
FACTORS = ("ecog", "histology", "sex", "stage", "prior_lines", "region", "pdl1", "pdl1_sp142")


def _scalar(pop, seed, i, factors):
    """(stratum or None, failed criteria) as the trial plan keeps them, from the one-by-one path."""
    from oncoimmune.trials.plan import _outcome

    _, stratum, failed = _outcome(screen_patient(pop, seed, i), factors)
    return stratum, failed


def _compare(pop, seed, indices, factors=FACTORS):
    out = screen_block(pop, seed, indices, factors)
    assert out.scalar.size == 0
    for k, i in enumerate(indices):
        want = _scalar(pop, seed, int(i), factors)
        got = (out.strata[k], out.failed[k] if out.strata[k] is None else ())
        assert got == want, f"candidate {i}"
    return out


@pytest.mark.parametrize("cancer", sorted(c for c in PROFILES if supported(Population(c)) is None))
def test_every_profile_matches_one_by_one(cancer):
    out = _compare(Population(cancer), 2026, np.arange(400), ("ecog", "sex", "stage", "prior_lines"))
    assert sum(s is not None for s in out.strata) > 0


def test_nsclc_trial_population_with_every_feature():
    pop = Population(
        "nsclc",
        stages=("IIIB", "IV"),
        stage_weights=(1.0, 3.0),
        prior_lines={1: 0.7, 2: 0.3},
        regions={"east_asia": 0.3, "rest_of_world": 0.7},
        inclusion=Inclusion(
            min_age=30,
            max_age=80,
            max_ecog=1,
            biomarkers={"pdl1": ("low", "high")},
            exclude_drivers=("egfr", "alk"),
            requires_prior=("chemotherapy",),
            histology=("squamous", "non-squamous"),
            min_lymphocytes=0.5,
        ),
        assays={"pdl1": ASSAYS["pdl1"].with_error(MeasurementError(sd=0.2, relative=True, source=_SRC))},
    )
    out = _compare(pop, 7, np.arange(1500))
    n_elig = sum(s is not None for s in out.strata)
    assert 50 < n_elig < 1450
    assert any("biomarker:pdl1" in f for f in out.failed) and any("prior:chemotherapy" in f for f in out.failed)


def test_misclassified_categorical_assay_and_conditional_tmb():
    pop = Population(
        "crc",
        inclusion=Inclusion(biomarkers={"msi": ("msi-high",)}),
        assays={"msi": ASSAYS["msi"].with_error(Misclassification(sensitivity=0.9, specificity=0.8, source=_SRC))},
    )
    _compare(pop, 3, np.arange(1000), ("ecog",))


def test_redraws_of_implausible_candidates_follow_the_same_streams():
    pop = Population("melanoma", plausibility=Plausibility(age=(60.0, 66.0), bmi=(20.0, 30.0)), max_draws=200)
    _compare(pop, 5, np.arange(300), ("ecog", "sex"))


def test_lanes_without_a_plausible_candidate_are_left_to_the_scalar_path():
    pop = Population("melanoma", plausibility=Plausibility(age=(60.0, 60.5)), max_draws=3)
    out = screen_block(pop, 5, np.arange(200))
    assert out.scalar.size > 0
    assert all(out.strata[k] is None for k in out.scalar)


def test_unsupported_population_is_refused_with_the_reason():
    pop = Population("b-all")
    assert "paediatric" in supported(pop)
    with pytest.raises(ValueError, match="paediatric"):
        screen_block(pop, 1, [0, 1])


@pytest.mark.parametrize("cancer", ["nsclc", "crc", "lbcl", "pv", "her2-breast"])
def test_drawn_patients_equal_the_one_by_one_patients(cancer):
    from oncoimmune.patients.cohort import run_assays, sample_patient
    from oncoimmune.patients.lanes import draw_patients

    pop = Population(cancer, assays={"tmb": ASSAYS["tmb"].with_error(MeasurementError(sd=1.0, source=_SRC))})
    idx = [0, 3, 17, 40, 41, 999, 12345]
    got = draw_patients(pop, 21, idx)
    for i, p in zip(idx, got):
        want = run_assays(pop, sample_patient(pop, 21, i))
        assert p == want
        assert p.to_dict() == want.to_dict()
