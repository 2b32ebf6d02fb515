"""Cancer names, aliases and stage vocabularies."""

from __future__ import annotations

import pytest

from oncoimmune import UnknownNameError
from oncoimmune.patients import CANCERS, cancer_ids, resolve_cancer


@pytest.mark.parametrize(
    "name, expected",
    [
        ("nsclc", "nsclc"),
        ("NSCLC", "nsclc"),
        ("non-small cell lung cancer", "nsclc"),
        ("Non-Small-Cell Lung Cancer", "nsclc"),
        ("melanoma", "melanoma"),
        ("rcc", "rcc"),
        ("kidney cancer", "rcc"),
        ("renal cell carcinoma", "rcc"),
        ("HER2-positive breast cancer", "her2-breast"),
        ("her2+ breast", "her2-breast"),
        ("fl", "fl"),
        ("follicular lymphoma", "fl"),
        ("lbcl", "lbcl"),
        ("dlbcl", "lbcl"),
        ("DLBCL", "lbcl"),
        ("diffuse large B-cell lymphoma", "lbcl"),
        ("b-all", "b-all"),
        ("B_ALL", "b-all"),
        ("paediatric B-ALL", "b-all"),
        ("pv", "pv"),
        ("polycythaemia-vera", "pv"),
        ("polycythemia-vera", "pv"),
        ("Polycythemia  Vera", "pv"),
        ("et", "et"),
        ("essential thrombocythemia", "et"),
        ("crc", "crc"),
        ("bowel cancer", "crc"),
        ("MSI-H CRC", "crc"),
    ],
)
def test_alias_resolution(name, expected):
    assert resolve_cancer(name).id == expected


def test_every_alias_resolves_to_its_own_cancer():
    for c in CANCERS.values():
        assert resolve_cancer(c.id) is c
        for a in c.aliases:
            assert resolve_cancer(a) is c, a


def test_aliases_are_unambiguous():
    seen: dict[str, str] = {}
    for c in CANCERS.values():
        for a in (c.id, *c.aliases):
            assert seen.setdefault(a, c.id) == c.id, f"alias {a!r} used by {seen[a]} and {c.id}"


@pytest.mark.parametrize("bad", ["glioblastoma", "lung-ish", "", "   "])
def test_unknown_cancer_lists_valid_ids(bad):
    with pytest.raises(UnknownNameError) as ei:
        resolve_cancer(bad)
    msg = str(ei.value)
    assert "cancer type" in msg
    for cid in ("nsclc", "melanoma", "pv", "b-all"):
        assert cid in msg
    assert isinstance(ei.value, KeyError)  # catchable the usual way


def test_required_cancers_present():
    assert {"nsclc", "melanoma", "rcc", "her2-breast", "fl", "lbcl", "b-all", "pv", "et", "crc"} <= set(
        cancer_ids()
    )


@pytest.mark.parametrize(
    "cancer, text, expected",
    [
        ("nsclc", "IV", "IV"),
        ("nsclc", "stage 4", "IV"),
        ("nsclc", "Stage IIIb", "IIIB"),
        ("nsclc", "3a", "IIIA"),
        ("melanoma", "IV M1a", "IV-M1a"),
        ("melanoma", "ivm1a", "IV-M1a"),
        ("melanoma", "M1c", "IV-M1c"),
        ("melanoma", "IIID", "IIID"),
        ("fl", "3", "III"),
        ("crc", "IVb", "IVB"),
    ],
)
def test_stage_spellings(cancer, text, expected):
    assert resolve_cancer(cancer).resolve_stage(text) == expected


def test_unknown_stage_lists_stages():
    with pytest.raises(UnknownNameError) as ei:
        resolve_cancer("nsclc").resolve_stage("V")
    assert "IIIB" in str(ei.value) and "AJCC" in str(ei.value)


def test_unstaged_cancer_refuses_a_stage():
    with pytest.raises(UnknownNameError, match="not staged"):
        resolve_cancer("pv").resolve_stage("II")


def test_stage_tree():
    mel = resolve_cancer("melanoma")
    assert mel.ancestors("IV-M1a") == ("IV-M1a", "IV")
    assert set(mel.descendants("III")) == {"IIIA", "IIIB", "IIIC", "IIID"}
    assert mel.is_metastatic("IV-M1d") and not mel.is_metastatic("IIIC")
    assert resolve_cancer("b-all").has_stages is False
