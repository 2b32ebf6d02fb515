"""The indication table: every row sourced, dated and valid; bad rows refused by field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oncoimmune import SpecFileError
from oncoimmune.patients import DRUGS, indication_table_markdown, load_indications

DOCS = Path(__file__).resolve().parents[2] / "docs" / "eligibility.md"


@pytest.fixture(scope="module")
def table():
    return load_indications()


def test_table_size_and_regions(table):
    assert len(table) >= 100
    regions = {r.region for r in table}
    assert regions == {"uk", "us"}


def test_every_row_has_a_source_and_a_date(table):
    for r in table:
        assert r.source.strip(), r.id
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", r.date), r.id
        assert 1990 <= int(r.date[:4]) <= 2026, r.id


def test_verified_rows_say_how_and_unverified_rows_say_why(table):
    for r in table:
        if r.verified:
            assert r.evidence.strip(), r.id
        else:
            assert r.note.strip(), r.id


def test_every_drug_of_the_mission_appears(table):
    used = {d for r in table for d in r.drugs}
    assert used == set(DRUGS)


def test_ids_unique_and_prefixed_by_region(table):
    ids = [r.id for r in table]
    assert len(ids) == len(set(ids))
    for r in table:
        assert r.id.startswith(r.region + "-"), r.id


def test_access_matches_region(table):
    for r in table:
        if r.region == "uk":
            assert r.access in {"routine", "managed-access", "licensed-only", "off-label"}
        else:
            assert r.access in {"approved", "accelerated", "status-unconfirmed"}


def test_select(table):
    rows = table.select(region="UK", cancer="DLBCL")
    assert {
        "uk-rituximab-dlbcl-1l",
        "uk-axicabtagene-lbcl-3l",
        "uk-axicabtagene-lbcl-2l",
        "uk-glofitamab-dlbcl-3l",
    } <= {r.id for r in rows}
    assert all(r.region == "uk" and "lbcl" in r.cancers for r in rows)
    assert all("tisagenlecleucel" in r.drugs for r in table.select(drug="Kymriah"))


_GOOD = """
[[indication]]
id = "uk-test-row"
region = "uk"
drugs = ["pembrolizumab"]
regimen = "alone"
cancers = ["nsclc"]
setting = "advanced"
line = "first line"
access = "routine"
source = "NICE TA000"
date = "2020-01"
verified = true
"""


def _write(tmp_path, text):
    p = tmp_path / "t.toml"
    p.write_text(text)
    return p


def test_good_minimal_table_loads(tmp_path):
    t = load_indications(_write(tmp_path, _GOOD))
    assert len(t) == 1 and t.rows[0].id == "uk-test-row"


@pytest.mark.parametrize(
    "old, new, field",
    [
        ('drugs = ["pembrolizumab"]', 'drugs = ["aspirin"]', "drugs"),
        ('cancers = ["nsclc"]', 'cancers = ["lung"]', "cancers"),
        ('setting = "advanced"', 'setting = "palliative"', "setting"),
        ('access = "routine"', 'access = "approved"', "access"),
        ('date = "2020-01"', 'date = "Jan 2020"', "date"),
        ('source = "NICE TA000"', 'source = ""', "source"),
        ("verified = true", "verified = false", "note"),
        ('line = "first line"', 'line = "first line"\nstages = ["V"]', "stage"),
        ('line = "first line"', 'line = "first line"\nbiomarkers = { pdl1 = ["very high"] }', "pdl1"),
        ('line = "first line"', 'line = "first line"\nbiomarkers = { ki67 = ["high"] }', "biomarker"),
        ('line = "first line"', 'line = "first line"\nrequires_prior = ["magic"]', "requires_prior"),
        ('line = "first line"', 'line = "first line"\nmin_prior_lines = -1', "min_prior_lines"),
        ('line = "first line"', 'line = "first line"\nmax_age = 200', "max_age"),
        ('line = "first line"', 'line = "first line"\ncolour = "blue"', "colour"),
        ('id = "uk-test-row"\n', "", "id"),
    ],
)
def test_bad_rows_are_refused_naming_the_field(tmp_path, old, new, field):
    with pytest.raises(SpecFileError, match=field):
        load_indications(_write(tmp_path, _GOOD.replace(old, new)))


def test_duplicate_ids_and_bad_toml_refused(tmp_path):
    with pytest.raises(SpecFileError, match="twice"):
        load_indications(_write(tmp_path, _GOOD + _GOOD))
    with pytest.raises(SpecFileError, match="TOML"):
        load_indications(_write(tmp_path, "[[indication]\nid="))
    with pytest.raises(SpecFileError, match="not found"):
        load_indications(tmp_path / "missing.toml")


def test_markdown_has_one_line_per_row(table):
    md = indication_table_markdown(table)
    assert md.count("\n| `") == len(table)


def test_docs_list_every_row():
    if not DOCS.exists():
        pytest.skip("docs/eligibility.md not present")
    text = DOCS.read_text()
    missing = [r.id for r in load_indications() if f"`{r.id}`" not in text]
    assert not missing, f"docs/eligibility.md lacks rows {missing}; regenerate the table"


def test_docs_counts_are_those_of_the_table(table):
    """The counts sentence of docs/eligibility.md is regenerated from the data (scripts/eligibility_docs.py)."""
    if not DOCS.exists():
        pytest.skip("docs/eligibility.md not present")
    from oncoimmune.patients import counts_markdown

    assert f"<!-- counts -->{counts_markdown(table)}<!-- /counts -->" in DOCS.read_text(), (
        "docs/eligibility.md counts differ from the table; run scripts/eligibility_docs.py"
    )


def test_every_row_source_is_cited_and_well_formed(table):
    """Document id, publisher address and date for every row (issue 13)."""
    from oncoimmune.patients import source_problems

    assert source_problems(table) == []
    assert table.meta["checked"] >= max(r.date for r in table)


def test_source_check_catches_bad_citations(tmp_path):
    from oncoimmune.patients import source_problems

    bad = _GOOD.replace('source = "NICE TA000"', 'source = "NICE TA531"') + 'url = "https://www.nice.org.uk/guidance/ta999"\n'
    probs = source_problems(load_indications(_write(tmp_path, bad)))
    assert any("TA531" in p and "ta999" in p for p in probs)
    us = (
        _GOOD.replace('region = "uk"', 'region = "us"').replace('id = "uk-test-row"', 'id = "us-test-row"')
        .replace('access = "routine"', 'access = "approved"').replace('source = "NICE TA000"', 'source = "Keytruda leaflet"')
    ) + 'url = "https://example.com/keytruda"\n'
    probs = source_problems(load_indications(_write(tmp_path, us)))
    assert any("FDA label" in p for p in probs) and any("url host" in p for p in probs)
    assert any("not a full day" in p for p in probs)  # "2020-01" with no note on how the month was found


def test_biomarker_range_expressions(tmp_path):
    t = load_indications(_write(tmp_path, _GOOD.replace('line = "first line"', 'line = "first line"\nbiomarkers = { pdl1 = ">=50", cps = "<10" }')))
    bm = t.rows[0].biomarkers
    assert bm["pdl1"] == ("high",) and bm["cps"] == ("under-1", "1-to-4", "5-to-9")
    with pytest.raises(SpecFileError, match="not a cut-off"):
        load_indications(_write(tmp_path, _GOOD.replace('line = "first line"', 'line = "first line"\nbiomarkers = { pdl1 = ">=30" }')))


def test_all_solid_expands_to_every_solid_tumour(table):
    from oncoimmune.patients import CANCERS

    row = next(r for r in table if r.id == "us-pembrolizumab-tmb-high")
    assert set(row.cancers) == {c.id for c in CANCERS.values() if c.category == "solid"}


def test_folder_of_tables_loads(tmp_path):
    (tmp_path / "a.toml").write_text(_GOOD)
    (tmp_path / "b.toml").write_text(_GOOD.replace("uk-test-row", "uk-test-row-2"))
    assert len(load_indications(tmp_path)) == 2


def test_rows_checked_against_a_stored_label_copy_name_it(table):
    """Issue 13 (2026-12-07): a verified row may name the copy it was checked against (https
    address) and the copy's date, no later than the table's checked date; most US rows verified in
    that round point at the FDA label PDF on accessdata.fda.gov."""
    checked = str(table.meta["checked"])
    named = [r for r in table if r.evidence_url]
    assert len(named) >= 45
    for r in named:
        assert r.verified and r.evidence, r.id
        assert r.evidence_url.startswith("https://"), r.id
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", r.evidence_date) and r.evidence_date <= checked, r.id
    fda_pdfs = [r for r in named if r.evidence_url.startswith("https://www.accessdata.fda.gov/drugsatfda_docs/label/")]
    assert len(fda_pdfs) >= 30


def test_evidence_url_needs_a_verified_row_with_evidence(tmp_path):
    bad = _GOOD.replace('verified = true', 'verified = false\nnote = "x"\nevidence_url = "https://example.org/a"\n'
                        'evidence_date = "2026-01-01"')
    with pytest.raises(SpecFileError, match="evidence_url"):
        load_indications(_write(tmp_path, bad))
    bad2 = _GOOD + 'evidence = "label 1.1"\nevidence_url = "http://example.org/a"\nevidence_date = "2026-01-01"\n'
    with pytest.raises(SpecFileError, match="https"):
        load_indications(_write(tmp_path, bad2))


def test_docs_generated_blocks_are_current(tmp_path):
    """Every generated block of docs/eligibility.md (counts, coverage, SMC list, UK and US tables) is what
    scripts/eligibility_docs.py writes now: rerun it on a copy and compare."""
    import importlib.util
    import shutil

    if not DOCS.exists():
        pytest.skip("docs/eligibility.md not present")
    script = DOCS.parents[1] / "scripts" / "eligibility_docs.py"
    spec = importlib.util.spec_from_file_location("_eligibility_docs", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    copy = tmp_path / "eligibility.md"
    shutil.copy(DOCS, copy)
    mod.main(str(copy))
    assert copy.read_text() == DOCS.read_text(), "docs/eligibility.md is stale; run scripts/eligibility_docs.py"


def test_smc_markdown_lists_every_uk_row_with_smc_advice(table):
    from oncoimmune.patients import smc_markdown

    md = smc_markdown(table)
    with_smc = [r.id for r in table if r.region == "uk" and r.smc]
    assert with_smc and all(f"`{rid}`" in md for rid in with_smc)
