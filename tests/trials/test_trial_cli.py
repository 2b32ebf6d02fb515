"""`oncoimmune trial`: outputs and their columns, resumption, bad input (one line, exit 2, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("lifelines")

from oncoimmune.cli import app
from oncoimmune.trials.spec import TrialSpec, load_trial_spec

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "keynote024.toml"
runner = CliRunner()

REQUIRED = (
    "patient_id",
    "arm",
    "best_overall_response",
    "pfs_months",
    "pfs_event",
    "os_months",
    "os_event",
    "status",
    "reason",
)
FIGURES = ("waterfall.png", "spider.png", "swimmer.png", "km_pfs.png", "km_os.png")


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(result, *needles: str, code: int = 2) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture(scope="module")
def small_spec_file(tmp_path_factory) -> Path:
    d = load_trial_spec(SPEC).to_dict()
    d["horizon_months"] = 7.0
    path = tmp_path_factory.mktemp("spec") / "kn024_small.toml"
    path.write_text(TrialSpec.from_dict(d).to_toml())
    return path


@pytest.fixture(scope="module")
def trial_dir(small_spec_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "kn"
    r = invoke(
        "trial",
        small_spec_file,
        "--patients",
        16,
        "--seed",
        5,
        "--out",
        out,
        "--shard-size",
        6,
        "--no-progress",
    )
    assert r.exit_code == 0, r.output
    assert "ORR" in r.stdout and "Wrote" in r.stdout
    return out


def test_outputs_exist_with_required_columns(trial_dir):
    for name in (
        "patients.parquet",
        "endpoints.parquet",
        "scans.parquet",
        "report.html",
        "manifest.json",
        "summary.json",
        "spec.toml",
    ):
        assert (trial_dir / name).is_file(), name
    for name in FIGURES:
        assert (trial_dir / "figures" / name).stat().st_size > 1000, name
    ep = pd.read_parquet(trial_dir / "endpoints.parquet")
    assert len(ep) == 16 and set(REQUIRED) <= set(ep.columns)
    assert set(ep["best_overall_response"]) <= {"CR", "PR", "SD", "PD", "NE"}
    assert set(ep["pfs_event"]) <= {0, 1} and set(ep["os_event"]) <= {0, 1}
    assert (ep["pfs_months"] <= ep["os_months"] + 1e-9).all()
    pts = pd.read_parquet(trial_dir / "patients.parquet")
    assert len(pts) == 16 and {"arm", "pdl1_tps", "tmb", "baseline_sld_mm", "status"} <= set(pts.columns)
    assert (pts["pdl1_tps"] >= 50).all()
    manifest = json.loads((trial_dir / "manifest.json").read_text())
    assert manifest["complete"] and len(manifest["shards"]) == 3
    assert "report.html" in manifest["outputs"]
    html = (trial_dir / "report.html").read_text()
    assert "Progression-free survival" in html and "data:image/png;base64" in html


def test_overlays_when_the_real_data_are_present(trial_dir, shared_dir):
    summary = json.loads((trial_dir / "summary.json").read_text())
    assert summary["reference"]["name"] == "KEYNOTE-024"
    if "reference_error" not in summary:
        assert (trial_dir / "figures" / "overlay_pfs.png").is_file()
        assert (trial_dir / "figures" / "overlay_os.png").is_file()


def test_resume_of_a_finished_run_skips_every_shard(trial_dir, small_spec_file):
    before = pd.read_parquet(trial_dir / "endpoints.parquet")
    r = invoke(
        "trial",
        small_spec_file,
        "--patients",
        16,
        "--seed",
        5,
        "--out",
        trial_dir,
        "--shard-size",
        6,
        "--resume",
        "--no-progress",
    )
    assert r.exit_code == 0, r.output
    assert "0 shard(s) run, 3 skipped" in r.stdout
    pd.testing.assert_frame_equal(before, pd.read_parquet(trial_dir / "endpoints.parquet"))


def test_existing_run_without_resume_is_refused(trial_dir, small_spec_file):
    r = invoke("trial", small_spec_file, "--patients", 16, "--out", trial_dir, "--no-progress")
    assert_one_line_error(r, "--resume", "--overwrite")


def test_bad_input_one_line_exit_2_nothing_written(tmp_path, small_spec_file):
    out = tmp_path / "never"
    assert_one_line_error(invoke("trial", tmp_path / "missing.toml", "--out", out), "does not exist")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        small_spec_file.read_text().replace('"pembrolizumab:200mg:q3w*35"', '"pembrolizumap:200mg"')
    )
    assert_one_line_error(invoke("trial", bad, "--out", out), "arms[0].regimens[0]", "pembrolizumap")
    assert_one_line_error(invoke("trial", small_spec_file, "--patients", 0, "--out", out), "--patients")
    assert_one_line_error(invoke("trial", small_spec_file, "--workers", 0, "--out", out), "--workers")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    assert_one_line_error(invoke("trial", small_spec_file, "--out", busy), "not a trial run")
    assert not out.exists()
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
