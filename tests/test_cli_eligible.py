"""`oncoimmune eligible`: the examples of the trials issue, with sources; bad input."""

from __future__ import annotations

import json

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
