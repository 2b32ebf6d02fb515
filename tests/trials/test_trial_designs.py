"""Trial designs for the joint NSCLC trials: three arms, real-dose docetaxel, survival link, accrual and cut-off.

Design facts (Herbst 2016 Lancet 387:1540, Summary: 1:1:1 in blocks of six, enrolment 28 Aug 2013 - 27 Feb
2015, cut-off 30 Sept 2015; Rittmeyer 2017 Lancet 389:255, Methods: 1:1, blocks of eight).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from oncoimmune._errors import SpecFileError
from oncoimmune.therapy.cytotoxic import CytotoxicCourse
from oncoimmune.trials.spec import TrialSpec, load_trial_spec

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["keynote010.toml", "oak.toml", "keynote024_clinical.toml"])
def test_examples_load_with_the_clinical_model(name):
    s = load_trial_spec(REPO / "examples" / name)
    assert s.model.id == "nsclc_clinical"
    assert s.survival is not None and s.survival.model == "tgi_os" and s.death is None
    assert s.accrual is not None
    for arm in s.arms:
        for text in arm.regimens:
            if "docetaxel" in text or "carboplatin" in text:
                from oncoimmune.therapy.regimen import parse_therapy

                assert isinstance(parse_therapy(text), CytotoxicCourse)


def test_keynote010_has_three_arms_allocated_one_to_one_to_one():
    s = load_trial_spec(REPO / "examples" / "keynote010.toml")
    assert [a.name for a in s.arms] == ["pembrolizumab_2mg_kg", "pembrolizumab_10mg_kg", "docetaxel"]
    counts = Counter(s.allocation(600))
    assert set(counts.values()) == {200}


def test_follow_up_from_accrual_and_cutoff():
    s = load_trial_spec(REPO / "examples" / "keynote010.toml")
    fu = s.follow_up_days(4)
    days_per_month = 365.25 / 12
    np.testing.assert_allclose(fu / days_per_month, [25.1, 25.1 - 4.5, 25.1 - 9.0, 25.1 - 13.5])
    assert load_trial_spec(REPO / "examples" / "keynote024.toml").follow_up_days(2).tolist() == [
        20 * days_per_month
    ] * 2


def _with(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


def test_survival_with_a_death_rule_is_refused():
    base = (REPO / "examples" / "oak.toml").read_text()
    bad = base + '\n[death]\nrule = "tumour_cells_above"\nthreshold = 1e13\n'
    with pytest.raises(SpecFileError, match="death"):
        TrialSpec.from_toml(bad)


def test_accrual_after_cutoff_is_refused_and_unknown_link_coefficient_named():
    base = (REPO / "examples" / "oak.toml").read_text()
    with pytest.raises(SpecFileError, match="accrual.months"):
        TrialSpec.from_toml(_with(base, "months = 9.5", "months = 40"))
    with pytest.raises(SpecFileError, match="survival.link"):
        TrialSpec.from_toml(_with(base, 'model = "tgi_os"', 'model = "tgi_os"\nlink = { beta_age = 0.1 }'))


@pytest.mark.slow
def test_trial_command_runs_a_survival_spec_through_the_staged_runner(tmp_path):
    """`oncoimmune trial examples/oak.toml` writes the endpoint columns of the issue (arm names with the drug),
    with deaths from the TGI-OS link and the data cut-off, and says so in summary.json."""
    import json

    import pandas as pd
    from typer.testing import CliRunner

    from oncoimmune.cli import app

    r = CliRunner().invoke(app, ["trial", str(REPO / "examples" / "oak.toml"), "--patients", "32", "--seed", "1",
                                 "--out", str(tmp_path / "oak"), "--no-report", "--no-progress"])
    assert r.exit_code == 0, r.output
    tab = pd.read_parquet(tmp_path / "oak" / "endpoints.parquet")
    for col in ("arm", "best_overall_response", "pfs_months", "pfs_event", "os_months", "os_event"):
        assert col in tab.columns
    assert set(tab["arm"]) == {"atezolizumab", "docetaxel"}
    assert (tab["os_months"] >= tab["pfs_months"] - 1e-9).all()
    assert (tab["os_months"] <= tab["follow_up_months"] + 1e-9).all()
    rules = json.loads((tmp_path / "oak" / "summary.json").read_text())["outcome_rules"]
    assert rules["overall_survival"]["rule"] == "tgi_os" and rules["accrual"]["cutoff_months"] == 27.9
    assert "overall survival: TGI-OS link" in r.output


@pytest.mark.parametrize(
    "args, field",
    [(["--trials", "keynote999"], "--trials"), (["--maxfev", "1,2"], "--maxfev"), (["--n", "5"], "--n")],
)
def test_calibrate_bad_input_exits_2_naming_the_option(args, field):
    from typer.testing import CliRunner

    from oncoimmune.cli import app

    r = CliRunner().invoke(app, ["calibrate", *args])
    assert r.exit_code == 2
    assert field in r.output
