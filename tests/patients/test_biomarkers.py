"""Assays: cut-offs at their boundaries, result spellings and optional cited error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from oncoimmune import Source, UnknownNameError
from oncoimmune.patients import ASSAYS, MeasurementError, Misclassification, PatientInputError, get_assay
from oncoimmune.patients import biomarkers as bm


@pytest.mark.parametrize(
    "value, category",
    [(0, "negative"), (0.99, "negative"), (1, "low"), (1.0, "low"), (10, "low"), (49, "low"),
     (49.99, "low"), (50, "high"), (60, "high"), (100, "high")],
)  # fmt: skip
def test_pdl1_tps_cutoffs(value, category):
    """Cut-offs of 1 % and 50 %, a value at the cut-off taking the upper category (label wording >=)."""
    assert bm.test("pdl1", value).category == category


@pytest.mark.parametrize("value, category", [(0, "low"), (9.9, "low"), (10, "high"), (35.5, "high")])
def test_tmb_cutoff(value, category):
    assert bm.test("tmb", value).category == category


@pytest.mark.parametrize(
    "value, category", [(0, "not-detected"), (0.5, "not-detected"), (1, "detected"), (49, "detected"),
                        (50, "detected-high"), (85, "detected-high")],
)  # fmt: skip
def test_jak2_allele_burden(value, category):
    assert bm.test("jak2", value).category == category


@pytest.mark.parametrize("bad", [-1, 100.5, float("nan"), float("inf"), "a lot", True])
def test_pdl1_out_of_range_names_the_field(bad):
    with pytest.raises(PatientInputError, match="pdl1"):
        bm.test("pdl1", bad)


@pytest.mark.parametrize(
    "text, category",
    [("high", "msi-high"), ("MSI-H", "msi-high"), ("dMMR", "msi-high"), ("msi high", "msi-high"),
     ("stable", "stable"), ("MSS", "stable"), ("pMMR", "stable"), ("MSI-L", "stable")],
)  # fmt: skip
def test_msi_spellings(text, category):
    assert bm.test("msi", text).category == category


def test_msi_unknown_spelling_lists_choices():
    with pytest.raises(UnknownNameError, match="msi result") as ei:
        bm.test("msi", "maybe")
    assert "msi-high" in str(ei.value) and "stable" in str(ei.value)


@pytest.mark.parametrize(
    "result, category",
    [
        ("3+", "positive"),
        ("IHC 3+", "positive"),
        ("2+", "equivocal"),
        ("2+ ISH+", "positive"),
        ("2+ ISH-", "negative"),
        (("2+", "ISH+"), "positive"),
        ("1+", "negative"),
        ("0", "negative"),
        ("ISH+", "positive"),
        ("amplified", "positive"),
        ("positive", "positive"),
        ("negative", "negative"),
        ("3+ ISH-", "positive"),
    ],
)
def test_her2_ihc_ish_algorithm(result, category):
    """IHC 3+ or ISH-amplified is positive; IHC 2+ needs ISH (ASCO/CAP 2018)."""
    assert bm.test("her2", result).category == category


@pytest.mark.parametrize("assay", ["cd19", "cd20"])
def test_cd_antigens(assay):
    assert bm.test(assay, "positive").category == "positive"
    assert bm.test(assay, True).category == "positive"
    assert bm.test(assay, "-").category == "negative"


def test_every_assay_is_complete_and_sourced():
    for a in ASSAYS.values():
        assert a.analyte and a.specimen and a.method and a.label
        assert a.source.citation
        assert len(a.categories) >= 2
    assert set(ASSAYS) >= {"pdl1", "msi", "tmb", "her2", "cd19", "cd20", "jak2"}


def test_assay_aliases_and_unknown():
    assert get_assay("PD-L1").name == "pdl1"
    assert get_assay("dMMR").name == "msi"
    assert get_assay("JAK2 V617F").name == "jak2"
    with pytest.raises(UnknownNameError, match="assay"):
        get_assay("ki-67")


def test_assay_is_frozen():
    with pytest.raises(AttributeError):
        ASSAYS["pdl1"].cutoffs = ()  # type: ignore[misc]


def test_result_is_exact_without_error_model_and_rng_is_ignored_with_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = bm.test("pdl1", 55)
    assert r.exact and r.value == 55.0 and r.category == "high"
    with pytest.warns(UserWarning, match="rng ignored"):
        bm.test("pdl1", 55, rng=np.random.default_rng(0))


_SRC = Source("hypothetical figure for a test", note="not a published value")


def test_measurement_error_is_reproducible_and_clipped():
    noisy = ASSAYS["pdl1"].with_error(MeasurementError(sd=10.0, source=_SRC))
    a = [bm.test(noisy, 50, rng=np.random.default_rng(7)).value for _ in range(3)]
    b = [bm.test(noisy, 50, rng=np.random.default_rng(7)).value for _ in range(3)]
    assert a == b
    vals = [bm.test(noisy, 99, rng=np.random.default_rng(s)).value for s in range(200)]
    assert max(vals) <= 100.0
    cats = {bm.test(noisy, 50, rng=np.random.default_rng(s)).category for s in range(200)}
    assert cats == {"low", "high"}  # values near a cut-off fall either side


def test_misclassification_rates():
    noisy = ASSAYS["msi"].with_error(Misclassification(sensitivity=0.9, specificity=0.95, source=_SRC))
    rng = np.random.default_rng(1)
    n = 4000
    pos = sum(bm.test(noisy, "high", rng=rng).category == "msi-high" for _ in range(n)) / n
    neg = sum(bm.test(noisy, "stable", rng=rng).category == "stable" for _ in range(n)) / n
    assert abs(pos - 0.9) < 0.03 and abs(neg - 0.95) < 0.03


def test_error_model_needs_rng_and_a_source():
    noisy = ASSAYS["tmb"].with_error(MeasurementError(sd=1.0, source=_SRC))
    with pytest.raises(PatientInputError, match="rng"):
        bm.test(noisy, 10)
    with pytest.raises(PatientInputError, match="source"):
        MeasurementError(sd=1.0, source="a paper")  # type: ignore[arg-type]
    with pytest.raises(PatientInputError, match="sensitivity"):
        Misclassification(sensitivity=1.2, specificity=0.9, source=_SRC)
    with pytest.raises(PatientInputError, match="continuous"):
        ASSAYS["tmb"].with_error(Misclassification(0.9, 0.9, _SRC))
