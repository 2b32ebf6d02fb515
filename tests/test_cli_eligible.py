"""`oncoimmune eligible`: the examples of the trials issue, with sources; bad input."""

from __future__ import annotations

import json

import pytest

from typer.testing import CliRunner

from oncoimmune.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_nsclc_high_pdl1_uk_lists_pembrolizumab_with_source():
    r = run("eligible", "--cancer", "nsclc", "--stage", "IV", "--pdl1", "60", "--prior-lines", "0")
    assert r.exit_code == 0, r.output
    assert "Pembrolizumab" in r.output and "NICE TA531" in r.output
    assert "not medical advice" in r.output


def test_json_output_and_exclusion_reason():
    r = run("eligible", "--cancer", "b-all", "--age", "30", "--prior-lines", "2", "--region", "us", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    ids = [row["id"] for row in data["not_eligible"]]
    assert "us-tisagenlecleucel-ball" in ids
    row = next(x for x in data["not_eligible"] if x["id"] == "us-tisagenlecleucel-ball")
    assert any("25" in reason for reason in row["reasons"]) and row["citation"]


def test_aliases_accepted():
    for alias in ("pv", "polycythaemia-vera"):
        r = run("eligible", "--cancer", alias)
        assert r.exit_code == 0, r.output


def test_unknown_cancer_one_line_with_choices():
    r = run("eligible", "--cancer", "lung-ish")
    assert r.exit_code == 2
    lines = [ln for ln in r.output.strip().splitlines() if ln]
    assert len(lines) == 1 and "nsclc" in lines[0] and "Traceback" not in r.output


def test_bad_age_names_the_field():
    r = run("eligible", "--cancer", "nsclc", "--age", "-4")
    assert r.exit_code == 2 and "age" in r.output


def test_cancer_list_shows_everyday_names():
    r = run("eligible", "--cancer", "list")
    assert r.exit_code == 0, r.output
    for name in ("bladder cancer", "kidney cancer", "hodgkin lymphoma", "head and neck", "skin squamous cell"):
        assert name in r.output, name


def test_issue_13_story_from_the_command_line():
    r = run("eligible", "--cancer", "lung-nsclc", "--stage", "IV", "--prior-lines", "1", "--prior", "carboplatin",
            "--histology", "squamous", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    eligible = {row["id"] for row in data["eligible"]}
    assert {"uk-nivolumab-nsclc-sq-after-chemo", "uk-atezolizumab-nsclc-after-chemo"} <= eligible
    row = next(x for x in data["eligible"] if x["id"] == "uk-nivolumab-nsclc-sq-after-chemo")
    assert row["url"] == "https://www.nice.org.uk/guidance/ta655" and row["setting"] == "advanced"


def test_new_biomarker_flags():
    r = run("eligible", "--cancer", "oesophagus", "--stage", "IV", "--prior-lines", "0", "--cps", "12", "--json")
    assert r.exit_code == 0, r.output
    assert "uk-pembrolizumab-oesophageal-1l" in {x["id"] for x in json.loads(r.output)["eligible"]}
    r = run("eligible", "--cancer", "womb cancer", "--stage", "IV", "--prior-lines", "0", "--dmmr", "yes")
    assert r.exit_code == 0 and "Dostarlimab" in r.output


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--cps", "120"), "cps"),
        (("--dmmr", "maybe"), "dmmr"),
        (("--her2", "4+"), "her2"),
        (("--bcma", "sometimes"), "bcma"),
        (("--cd19", "weak"), "cd19"),
        (("--cd20", "dim"), "cd20"),
        (("--pdl1-ic", "150"), "pdl1_ic"),
        (("--pdl1", "101"), "pdl1"),
        (("--tmb", "-1"), "tmb"),
        (("--msi", "unclear"), "msi"),
        (("--msi", "high", "--dmmr", "no"), "dmmr"),
        (("--stage", "V"), "stage"),
        (("--setting", "palliative"), "setting"),
        (("--histology", "small-cell"), "histology"),
        (("--region", "eu"), "region"),
        (("--prior", "unicornumab"), "earlier treatment"),
        (("--prior-lines", "-1"), "prior_lines"),
    ],
)
def test_new_flags_validate_like_the_old_ones(args, needle):
    r = run("eligible", "--cancer", "nsclc", *args)
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.strip().splitlines() if ln]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.output


def test_ambiguous_name_exit_2_naming_candidates():
    r = run("eligible", "--cancer", "lung cancer")
    assert r.exit_code == 2 and "nsclc" in r.output and "sclc" in r.output


@pytest.mark.parametrize("flag", ["--bcma", "--cd19", "--cd20"])
def test_positive_negative_flags_list_readable_choices(flag):
    """A refused result lists the categories first and no empty spelling ("-" is shown as typed)."""
    r = run("eligible", "--cancer", "myeloma", flag, "sometimes")
    assert r.exit_code == 2, r.output
    assert "valid choices: positive, negative, " in r.output and ", , " not in r.output and "choices: ," not in r.output


def test_issue_13_story_as_typed_without_histology():
    """The issue's words: stage IV NSCLC after platinum chemotherapy, UK. Both drugs are listed as NICE-recommended
    (atezolizumab eligible; nivolumab waiting only for the histology, since TA655 and TA713 differ by it)."""
    r = run("eligible", "--cancer", "nsclc", "--stage", "IV", "--prior-lines", "1", "--prior",
            "platinum chemotherapy", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    listed = {row["id"]: row for key in ("eligible", "needs_information") for row in data[key]}
    assert "uk-atezolizumab-nsclc-after-chemo" in {row["id"] for row in data["eligible"]}
    assert "uk-nivolumab-nsclc-sq-after-chemo" in listed
    for rid in ("uk-atezolizumab-nsclc-after-chemo", "uk-nivolumab-nsclc-sq-after-chemo"):
        assert listed[rid]["access"] == "routine" and listed[rid]["source"].startswith("NICE TA")


def test_report_shows_the_date_the_table_was_checked():
    """Issue 13 item 1: 'Mark the date the table was checked' - in the report a patient reads, not only the data."""
    from oncoimmune.patients import load_indications

    checked = load_indications().meta["checked"]
    r = run("eligible", "--cancer", "kidney", "--stage", "IV", "--prior-lines", "0")
    assert r.exit_code == 0, r.output
    assert f"last checked against its sources on {checked}" in " ".join(r.output.split())


def test_report_says_where_scotland_differs():
    """Issue 13 item 1: 'note where Scotland's SMC differs' - shown with the option, not only in the JSON."""
    r = run("eligible", "--cancer", "eye melanoma", "--stage", "IV", "--age", "60")
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "Scotland (SMC): SMC2746" in text
