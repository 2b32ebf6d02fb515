"""Limits that say no early (issue 9): patients, horizon, days, doses, disk, --out, --scheduler; no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("lifelines")

from oncoimmune._errors import OncoimmuneError
from oncoimmune.trials import runner as R
from oncoimmune.trials.spec import TrialSpec, load_trial_spec

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "keynote024.toml"


def small_spec(**changes) -> TrialSpec:
    d = load_trial_spec(SPEC).to_dict()
    d["horizon_months"] = 7.0
    d.update(changes)
    return TrialSpec.from_dict(d)


def _cli(*args):
    from typer.testing import CliRunner

    from oncoimmune.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_a_trillion_patients_is_refused_before_any_work(tmp_path):
    t = time.perf_counter()
    with pytest.raises(R.TrialRunError, match="--patients"):
        R.run_trial(small_spec(), tmp_path / "x", n_patients=10**12)
    assert time.perf_counter() - t < 5 and not (tmp_path / "x").exists()
    spec_file = tmp_path / "big.toml"
    spec_file.write_text(small_spec().to_toml().replace("n_patients = 305", "n_patients = 1e12"))
    res = _cli("trial", spec_file, "--out", tmp_path / "y", "--no-progress")
    assert res.exit_code == 2 and "n_patients" in res.output and len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "y").exists()


def test_a_run_larger_than_the_free_disk_is_refused(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 10**6, 10**6))
    with pytest.raises(R.TrialRunError, match="GiB free"):
        R.run_trial(small_spec(), tmp_path / "x", n_patients=1000)
    assert not (tmp_path / "x").exists()


def test_a_horizon_beyond_a_century_is_refused_when_the_spec_is_read():
    t = time.perf_counter()
    with pytest.raises(OncoimmuneError, match="horizon_months"):
        small_spec(horizon_months=1e9)
    assert time.perf_counter() - t < 5


def test_simulate_days_beyond_the_grid_exits_2_in_one_line(tmp_path):
    res = _cli("simulate", "kuznetsov1994", "--days", "1e12", "--out", tmp_path / "s")
    assert res.exit_code == 2, res.output
    assert "days" in res.output and len(res.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "therapy", ["pembrolizumab:1e30mg:q3w", "trastuzumab:1e5mg/kg:q3w", "carboplatin_paclitaxel:1e9:q3w*4"]
)
def test_an_implausible_dose_exits_2_naming_the_limit(tmp_path, therapy):
    res = _cli("simulate", "kuznetsov1994", "--days", "10", "--therapy", therapy, "--out", tmp_path / "s")
    assert res.exit_code == 2, res.output
    assert "DOSE" in res.output and "100" in res.output and not (tmp_path / "s").exists()


def test_label_doses_are_accepted():
    from oncoimmune.therapy.regimen import parse_therapy

    parse_therapy("pembrolizumab:400mg:q6w")
    parse_therapy("trastuzumab:8mg/kg>6mg/kg:q3w", weight_kg=70)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere; the permission check cannot fail")
def test_unwritable_out_exits_2(tmp_path):  # pragma: no cover - CI runs as a normal user
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    res = _cli("trial", SPEC, "--patients", "2", "--out", ro / "run", "--no-progress")
    assert res.exit_code == 2 and "--out" in res.output


def test_out_under_a_file_exits_2(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    res = _cli("trial", SPEC, "--patients", "2", "--out", f / "run", "--no-progress")
    assert res.exit_code == 2 and "--out" in res.output and len(res.output.strip().splitlines()) == 1


def test_unreachable_scheduler_leaves_out_as_it_was(tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "run"
    res = _cli("trial", SPEC, "--patients", "2", "--out", out, "--scheduler", "tcp://127.0.0.1:9",
               "--no-progress")
    assert res.exit_code == 2 and "scheduler" in res.output
    assert not out.exists()


def test_resume_ignores_shard_files_the_manifest_does_not_list(tmp_path):
    spec = small_spec()
    kw = dict(n_patients=4, seed=3, shard_size=2, reference=None, figures=False, report=False)
    first = R.run_trial(spec, tmp_path / "r", **kw)
    stray = tmp_path / "r" / "shards" / "shard-00007.parquet"
    stray.write_bytes(b"written by a worker of a dead driver")
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    del manifest["shards"]["1"]
    (tmp_path / "r" / "manifest.json").write_text(json.dumps(manifest))
    again = R.run_trial(spec, tmp_path / "r", resume=True, **kw)
    assert again.shards_run == [1] and again.shards_skipped == [0]
    assert list(again.endpoints["patient_id"]) == list(first.endpoints["patient_id"])
    assert not stray.exists()


def _children(pid: int) -> list[int]:
    psutil = pytest.importorskip("psutil")
    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _alive(pid: int) -> bool:
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_sigkill_of_the_driver_leaves_no_worker(tmp_path):
    """``trial --workers 2``: SIGKILL the driver mid-run; its pool workers are gone within a few seconds."""
    out = tmp_path / "run"
    code = (
        "from oncoimmune.trials.runner import run_trial\n"
        "from oncoimmune.trials.spec import load_trial_spec\n"
        f"run_trial(load_trial_spec({str(SPEC)!r}), {str(out)!r}, n_patients=60, shard_size=2, workers=2,\n"
        "          engine='scipy', reference=None, figures=False, report=False)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    kids: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            kids = _children(proc.pid) or kids
            if len(kids) >= 2 and (out / "manifest.json").exists():
                break
            time.sleep(0.1)
        assert proc.poll() is None and len(kids) >= 2, "the driver did not start its workers"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.1)
        left = [k for k in kids if _alive(k)]
    finally:
        for k in kids:
            if _alive(k):
                os.kill(k, signal.SIGKILL)
    assert not left, f"worker processes {left} outlived the driver"
