"""CLI: ``oncoimmune drugs`` and ``oncoimmune simulate --therapy`` (spec.toml reruns, bad input)."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest
from typer.testing import CliRunner

from oncoimmune.cli import app
from oncoimmune.io import read_trajectory
from oncoimmune.therapy.catalogue import CATALOGUE

runner = CliRunner()
MODEL = "kuznetsov1994"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *needles, code=2):
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for n in needles:
        assert n in lines[0], lines[0]
    assert result.stdout == ""


def test_drugs_table_lists_the_catalogue():
    r = invoke("drugs")
    assert r.exit_code == 0, r.output
    for name in CATALOGUE:
        assert name in r.stdout
    assert "PD-1" in r.stdout and "Ahamadi" in r.stdout


def test_drugs_json():
    r = invoke("drugs", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    from oncoimmune.therapy.cytotoxic import AGENTS

    # the catalogue, then the cytotoxic chemotherapies in real doses
    assert [row["name"] for row in rows] == list(CATALOGUE) + list(AGENTS)
    assert all(row["classes"] == ["chemotherapy"] for row in rows[len(CATALOGUE):])
    pem = rows[0]
    assert pem["classes"] == ["monoclonal_antibody", "checkpoint_inhibitor", "targeted_therapy"]
    assert pem["target"] == "PD-1" and "200 mg" in pem["label_schedule"] and "Ahamadi" in pem["pk_source"]


def test_simulate_with_therapies_and_rerun_from_spec(tmp_path):
    out = tmp_path / "run1"
    r = invoke(
        "simulate",
        MODEL,
        "--days",
        60,
        "--therapy",
        "pembrolizumab:200mg:q3w",
        "--therapy",
        "carboplatin_paclitaxel",
        "--weight",
        80,
        "--out",
        out,
        "--no-plot",
    )
    assert r.exit_code == 0, r.output
    assert "pdl1_engagement=1" in r.stderr  # the brake was added, and said so
    spec = tomllib.loads((out / "spec.toml").read_text())
    assert spec["therapies"] == ["pembrolizumab:200mg:q3w", "carboplatin_paclitaxel"]
    assert spec["weight_kg"] == 80.0 and spec["height_cm"] == 170.0
    ds = read_trajectory(out / "trajectory.parquet")
    assert float(ds["pembrolizumab_conc"].max()) > 50.0 and float(ds["chemo_M"].max()) == pytest.approx(
        1.0, rel=1e-4
    )
    assert json.loads(ds.attrs["therapies"])[0]["drug"] == "pembrolizumab"
    r2 = invoke("simulate", "--spec", out / "spec.toml", "--out", tmp_path / "run2", "--no-plot")
    assert r2.exit_code == 0, r2.output
    ds2 = read_trajectory(tmp_path / "run2" / "trajectory.parquet")
    for name in ds.data_vars:
        np.testing.assert_array_equal(ds[name].values, ds2[name].values)


def test_set_applies_to_the_treated_model(tmp_path):
    r = invoke(
        "simulate",
        MODEL,
        "--days",
        30,
        "--therapy",
        "nivolumab",
        "--set",
        "pdl1_engagement=3",
        "--set",
        "nivolumab_CL=0.3",
        "--out",
        tmp_path / "run",
        "--no-plot",
    )
    assert r.exit_code == 0, r.output
    assert "note:" not in r.stderr
    params = json.loads(read_trajectory(tmp_path / "run" / "trajectory.parquet").attrs["parameters"])
    assert params["pdl1_engagement"] == 3.0 and params["nivolumab_CL"] == 0.3


@pytest.mark.parametrize(
    "therapy, needles",
    [
        ("pembro", ["--therapy", "unknown drug 'pembro'", "pembrolizumab"]),
        ("pembrolizumab:200kg", ["--therapy", "DOSE", "unit 'kg'"]),
        ("pembrolizumab:200mg:q3z", ["--therapy", "SCHEDULE", "qNw"]),
        ("a:b:c:d", ["--therapy", "format"]),
        ("talimogene_laherparepvec", ["--therapy", "infected_state"]),  # kuznetsov has no infected cells
    ],
)
def test_bad_therapy_exits_2_with_one_line_and_writes_nothing(tmp_path, therapy, needles):
    out = tmp_path / "run"
    r = invoke("simulate", MODEL, "--days", 10, "--therapy", therapy, "--out", out)
    assert_one_line_error(r, *needles)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_bad_patient_exits_2(tmp_path):
    r = invoke("simulate", MODEL, "--therapy", "trastuzumab", "--weight", -70, "--out", tmp_path / "run")
    assert_one_line_error(r, "--weight", "> 0")


def test_bad_therapy_in_spec_file(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('model = "kuznetsov1994"\ndays = 10\ntherapies = ["nivolumab:240mg:q2x"]\n')
    r = invoke("simulate", "--spec", spec, "--out", tmp_path / "run")
    assert_one_line_error(r, "--spec", "therapies[0]", "SCHEDULE")
