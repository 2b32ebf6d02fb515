"""The command-line interface: each command, the run directory, reruns from spec.toml, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from oncoimmune.cli import app
from oncoimmune.io import read_trajectory

runner = CliRunner()
MODEL = "kuznetsov1994"


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *needles: str, code: int = 2) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for n in needles:
        assert n in lines[0], lines[0]


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


# models / describe ----------------------------------------------------------------------------------


def test_models_table_lists_kuznetsov():
    r = invoke("models")
    assert r.exit_code == 0, r.output
    assert MODEL in r.stdout
    assert "citation" in r.stdout


def test_models_json_has_id_title_citation():
    r = invoke("models", "--json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    ids = [row["id"] for row in rows]
    assert MODEL in ids
    assert all(set(row) == {"id", "title", "citation"} for row in rows)
    k = rows[ids.index(MODEL)]
    assert "Bull Math Biol" in k["citation"]


def test_describe_prints_equations():
    r = invoke("describe", MODEL)
    assert r.exit_code == 0, r.output
    assert "dT/dt = a*T*(1 - b*T) - n*E*T" in r.stdout
    assert "References:" in r.stdout


def test_describe_unknown_model():
    r = invoke("describe", "nope")
    assert_one_line_error(r, "MODEL", "'nope'", MODEL)


def test_version():
    r = invoke("--version")
    assert r.exit_code == 0
    from oncoimmune import __version__

    assert r.stdout.strip() == f"oncoimmune {__version__}"


# simulate ------------------------------------------------------------------------------------------


def test_simulate_writes_trajectory_plot_and_spec(tmp_path):
    out = tmp_path / "run"
    r = invoke("simulate", MODEL, "--days", "20", "--set", "T=1e7", "--set", "s=1.2e4", "--out", out)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["spec.toml", "trajectory.parquet", "trajectory.png"]
    assert leftovers(tmp_path) == ["run"]  # no temporary siblings left
    table = pq.read_table(out / "trajectory.parquet")
    assert table.column_names == ["time", "E", "T", "tumour_diameter"]
    assert table.num_rows == 21
    np.testing.assert_array_equal(table.column("time").to_numpy(), np.arange(21.0))
    assert table.column("T").to_numpy()[0] == 1e7
    meta = json.loads(table.schema.metadata[b"oncoimmune.attrs"])
    assert meta["model_id"] == MODEL and meta["status"] == "ok"
    assert json.loads(meta["parameters"])["s"] == 1.2e4
    spec = tomllib.loads((out / "spec.toml").read_text())
    assert spec["model"] == MODEL and spec["days"] == 20.0
    assert spec["set"] == {"T": 1e7, "s": 1.2e4}
    assert spec["method"] == "LSODA"  # the method actually used is recorded
    assert (out / "trajectory.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_from_spec_reproduces_trajectory_exactly(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    r = invoke("simulate", MODEL, "--days", "30", "--set", "T=5e8", "--seed", "7", "--rtol", "1e-9", "--out", a, "--no-plot")
    assert r.exit_code == 0, r.output
    r = invoke("simulate", "--spec", a / "spec.toml", "--out", b, "--no-plot")
    assert r.exit_code == 0, r.output
    da, db = read_trajectory(a), read_trajectory(b)
    assert list(da.data_vars) == list(db.data_vars)
    for name in ["time", *da.data_vars]:
        np.testing.assert_array_equal(da[name].values, db[name].values)
    for key in ("parameters", "initial", "method", "rtol", "atol", "seed", "max_nfev", "nfev", "status"):
        assert da.attrs[key] == db.attrs[key], key
    assert (a / "spec.toml").read_text() == (b / "spec.toml").read_text()


def test_spec_fields_can_be_overridden_on_the_command_line(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert invoke("simulate", MODEL, "--days", "30", "--set", "T=1e7", "--out", a, "--no-plot").exit_code == 0
    r = invoke("simulate", "--spec", a / "spec.toml", "--days", "10", "--set", "E=1e5", "--out", b, "--no-plot")
    assert r.exit_code == 0, r.output
    spec = tomllib.loads((b / "spec.toml").read_text())
    assert spec["days"] == 10.0 and spec["set"] == {"T": 1e7, "E": 1e5}
    assert read_trajectory(b).sizes["time"] == 11


def test_defaults_output_directory_and_days_from_the_library(tmp_path, monkeypatch):
    from oncoimmune.library import default_days

    monkeypatch.chdir(tmp_path)
    r = invoke("simulate", MODEL, "--no-plot")
    assert r.exit_code == 0, r.output
    spec = tomllib.loads((tmp_path / MODEL / "spec.toml").read_text())
    assert spec["days"] == default_days(MODEL)
    assert spec["default_events"] is True
    r = invoke("simulate", MODEL, "--no-plot", "--days", "3", "--no-default-events", "--out", "bare")
    assert r.exit_code == 0, r.output
    assert tomllib.loads((tmp_path / "bare" / "spec.toml").read_text())["default_events"] is False


def test_existing_directory_is_refused_without_overwrite(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    r = invoke("simulate", MODEL, "--days", "2", "--out", out, "--no-plot")
    assert_one_line_error(r, "--out", "--overwrite")
    assert leftovers(out) == ["keep.txt"]
    r = invoke("simulate", MODEL, "--days", "2", "--out", out, "--no-plot", "--overwrite")
    assert r.exit_code == 0, r.output
    assert leftovers(out) == ["spec.toml", "trajectory.parquet"]
    assert leftovers(tmp_path) == ["run"]


def test_failed_run_exits_1_and_keeps_outputs_with_status(tmp_path):
    out = tmp_path / "run"
    r = invoke("simulate", MODEL, "--days", "50", "--max-nfev", "20", "--out", out, "--no-plot")
    assert_one_line_error(r, "simulation failed", "work budget", str(out), code=1)
    ds = read_trajectory(out)
    assert ds.attrs["status"] == "failed"
    assert "max_nfev" in ds.attrs["status_reason"]
    assert tomllib.loads((out / "spec.toml").read_text())["max_nfev"] == 20


def test_write_failure_leaves_no_directory(tmp_path, monkeypatch):
    import oncoimmune.plots.trajectory as traj

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(traj, "save_trajectory_plot", boom)
    out = tmp_path / "deep" / "er" / "run"
    r = invoke("simulate", MODEL, "--days", "2", "--out", out)
    assert_one_line_error(r, "--out", "No space left", code=1)
    assert leftovers(tmp_path) == []  # neither the run nor the parents made for it
    # an existing directory survives a failed --overwrite untouched
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "old.txt").write_text("old")
    r = invoke("simulate", MODEL, "--days", "2", "--out", keep, "--overwrite")
    assert r.exit_code == 1
    assert leftovers(keep) == ["old.txt"]
    assert leftovers(tmp_path) == ["keep"]


BAD_INPUTS = [
    pytest.param(["nope"], ["MODEL", "'nope'", MODEL], id="unknown-model"),
    pytest.param([MODEL, "--set", "zz=1"], ["--set zz", "valid choices", "T"], id="unknown-parameter"),
    pytest.param([MODEL, "--set", "s=nan"], ["--set s", "finite"], id="nan-parameter"),
    pytest.param([MODEL, "--set", "T=inf"], ["--set T", "finite"], id="inf-initial"),
    pytest.param([MODEL, "--set", "s=abc"], ["--set s", "number", "'abc'"], id="non-number"),
    pytest.param([MODEL, "--set", "a=-0.1"], ["--set a", ">= 0"], id="negative-parameter"),
    pytest.param([MODEL, "--set", "T=-1"], ["--set T", ">= 0"], id="negative-initial"),
    pytest.param([MODEL, "--set", "T"], ["--set", "NAME=VALUE"], id="set-without-equals"),
    pytest.param([MODEL, "--set", "=3"], ["--set", "NAME=VALUE"], id="set-without-name"),
    pytest.param([MODEL, "--set", "T="], ["--set", "NAME=VALUE"], id="set-without-value"),
    pytest.param([MODEL, "--set", "T=1", "--set", "T=2"], ["--set T", "twice"], id="set-twice"),
    pytest.param([MODEL, "--days", "0"], ["--days", "> 0"], id="days-zero"),
    pytest.param([MODEL, "--days", "-5"], ["--days", "> 0"], id="days-negative"),
    pytest.param([MODEL, "--days", "nan"], ["--days", "finite"], id="days-nan"),
    pytest.param([MODEL, "--days", "ten"], ["--days"], id="days-not-a-number"),
    pytest.param([MODEL, "--method", "Euler"], ["--method", "LSODA"], id="unknown-method"),
    pytest.param([MODEL, "--engine", "warp"], ["--engine", "scipy"], id="unknown-engine"),
    pytest.param([MODEL, "--rtol", "0"], ["--rtol", "> 0"], id="rtol-zero"),
    pytest.param([MODEL, "--atol", "-1"], ["--atol", "> 0"], id="atol-negative"),
    pytest.param([MODEL, "--max-nfev", "0"], ["--max-nfev", "> 0"], id="budget-zero"),
    pytest.param([MODEL, "--seed", "-3"], ["--seed", ">= 0"], id="seed-negative"),
    pytest.param([MODEL, "--dayz", "3"], ["--dayz", "--days"], id="unknown-option"),
    pytest.param([], ["MODEL", "--spec"], id="no-model"),
]


@pytest.mark.parametrize("args, needles", BAD_INPUTS)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, args, needles):
    out = tmp_path / "run"
    r = invoke("simulate", *args, "--out", out)
    assert_one_line_error(r, *needles)
    assert leftovers(tmp_path) == []


def test_bad_spec_file(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text('model = "kuznetsov1994"\ndays = 10\n[set]\nT = -4.0\n')
    r = invoke("simulate", "--spec", spec, "--out", tmp_path / "run")
    assert_one_line_error(r, "--spec", "spec.toml", "set.T", ">= 0")
    spec.write_text('model = "kuznetsov1994"\ndays = 10\ntherapy = "x"\n')
    r = invoke("simulate", "--spec", spec, "--out", tmp_path / "run")
    assert_one_line_error(r, "'therapy'", "valid fields")
    spec.write_text('model = "kuznetsov1994"\ndays = \n')
    r = invoke("simulate", "--spec", spec, "--out", tmp_path / "run")
    assert_one_line_error(r, "not valid TOML", "line")
    r = invoke("simulate", "--spec", tmp_path / "missing.toml", "--out", tmp_path / "run")
    assert_one_line_error(r, "missing.toml", "does not exist")
    assert leftovers(tmp_path) == ["spec.toml"]


def test_model_argument_must_match_spec(tmp_path):
    a = tmp_path / "a"
    assert invoke("simulate", MODEL, "--days", "2", "--out", a, "--no-plot").exit_code == 0
    r = invoke("simulate", "kirschner_panetta1998", "--spec", a / "spec.toml", "--out", tmp_path / "b")
    assert_one_line_error(r, "MODEL", "differs")
    assert leftovers(tmp_path) == ["a"]


def test_python_dash_m(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "oncoimmune", "describe", "nope"], capture_output=True, text=True, cwd=tmp_path
    )
    assert r.returncode == 2
    assert r.stderr.startswith("error: MODEL: unknown model 'nope'")
    assert len(r.stderr.strip().splitlines()) == 1
