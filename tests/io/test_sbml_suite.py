"""SBML Test Suite conformance: a stratified sample in the default run, the whole suite with -m slow.

Cases live in ``../shared/data/sbml-test-suite/cases`` (SBML Test Suite 3.3.0, LGPL 2.1); each is
judged by the suite's own rule ``|expected - simulated| <= absolute + relative * |expected|``
with the tolerances of its settings file. Without the data the tests are skipped.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("libsbml")

from oncoimmune._data import shared_dir
from oncoimmune.io.sbml_suite import parse_case_range, read_settings, run_case, run_suite  # noqa: E402

CASES = shared_dir() / "data" / "sbml-test-suite" / "cases"  # $ONCOIMMUNE_SHARED or <repo>/../shared
pytestmark = pytest.mark.skipif(not CASES.is_dir(), reason=f"SBML Test Suite not found at {CASES}")

#: one case per feature (tag of the case's model.m) -> the case number
SAMPLE = {
    "basic reaction, amounts": 1,
    "algebraic rule (solved symbolically)": 39,
    "0-D compartment": 48,
    "boundary species": 7,
    "function definition": 25,
    "local parameters": 27,
    "assignment rule, no states": 29,
    "rate rule": 31,
    "initial assignment": 36,
    "non-constant compartment": 51,
    "hasOnlySubstanceUnits": 60,
    "stoichiometryMath (L2)": 68,
    "event with delay": 71,
    "event without delay": 26,
    "CSymbolTime": 851,
    "EventT0Firing": 928,
    "EventPriority": 930,
    "EventIsNotPersistent": 932,
    "EventUsesAssignmentTimeValues": 978,
    "CSymbolAvogadro": 960,
    "AssignedVariableStoichiometry": 972,
    "ConversionFactors": 975,
    "SpeciesReferenceInMath": 974,
    "comp Submodel (flattened)": 1124,
    "VolumeConcentrationRates": 1198,
    "CSymbolRateOf": 1248,
    "L3v2 MathML (max, min, rem, ...)": 1272,
    "trigger window with delay": 1703,
    "event resizes compartment and species": 1779,
    "random order at equal priority": 1466,
    "constant species, resized compartment": 1117,
}

#: constructs refused with a named reason (never a silently wrong answer)
UNSUPPORTED = {1787: "algebraic rule", 937: "delay()", 870: "fast reaction", 1186: "FluxBalanceSteadyState"}


@pytest.mark.parametrize("case", list(SAMPLE.values()), ids=list(SAMPLE))
def test_sample_case_passes(case, tmp_path):
    r = run_case(CASES / f"{case:05d}", tmp_path)
    assert r.status == "pass", f"case {case}: {r.status}: {r.reason}"
    header = (tmp_path / f"{case:05d}.csv").read_text().splitlines()[0].split(",")
    s = read_settings(CASES / f"{case:05d}" / f"{case:05d}-settings.txt")
    assert header == ["time", *s.variables]


@pytest.mark.parametrize("case, construct", list(UNSUPPORTED.items()))
def test_unsupported_constructs_are_named(case, construct, tmp_path):
    r = run_case(CASES / f"{case:05d}", tmp_path)
    assert r.status == "unsupported"
    assert construct in r.reason


def test_a_wrong_answer_fails(tmp_path):
    """The judge is not a rubber stamp: a case compared against tampered expectations fails."""
    case = tmp_path / "00001"
    case.mkdir()
    src = CASES / "00001"
    for f in src.iterdir():
        (case / f.name).write_bytes(f.read_bytes())
    rows = list(csv.reader((case / "00001-results.csv").open()))
    rows[5][1] = str(float(rows[5][1]) * 1.01)
    with (case / "00001-results.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    r = run_case(case, tmp_path)
    assert r.status == "fail" and "S1" in r.reason


def test_case_range_parsing():
    assert parse_case_range("1-3,7, 10-11") == [1, 2, 3, 7, 10, 11]
    with pytest.raises(ValueError):
        parse_case_range("5-1")


def test_cli_writes_results_and_summary(tmp_path):
    from typer.testing import CliRunner

    from oncoimmune.cli import app

    res = CliRunner().invoke(app, ["sbml-suite", str(CASES), "--out", str(tmp_path), "--cases", "1-2,937"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert [(r["case"], r["status"]) for r in rows] == [("00001", "pass"), ("00002", "pass"), ("00937", "unsupported")]
    assert (tmp_path / "00001.csv").exists()
    bad = CliRunner().invoke(app, ["sbml-suite", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert bad.exit_code == 2


@pytest.mark.slow
def test_whole_suite_reaches_the_target(tmp_path):
    """Issue 10 target: at least 1,500 of the 1,821 semantic cases pass (docs/sbml.md has the table)."""
    results = run_suite(CASES, tmp_path)
    c = Counter(r.status for r in results)
    assert len(results) == 1821
    assert c["pass"] >= 1500, c
