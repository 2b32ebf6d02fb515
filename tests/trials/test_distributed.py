"""Trials on Dask: same digest for 1, 2 and 4 workers; SIGKILL of a worker or of the driver loses nothing.

Each test starts a LocalCluster bound to 127.0.0.1 (single-threaded worker
processes) and runs a short virtual trial of a few patients per shard. The
reference is an uninterrupted in-process run; the check is the results digest
(:func:`oncoimmune.trials.distributed.results_digest`) over every patient's
record, plus the manifest's shard checksums.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")
pytest.importorskip("lifelines")

from oncoimmune.trials import runner as R
from oncoimmune.trials.distributed import DistributedRunError, results_digest
from oncoimmune.trials.spec import TrialSpec, load_trial_spec
from oncoimmune.trials.store import TrialStore

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "keynote024.toml"
N, SHARD, SEED = 12, 2, 5


def small_spec() -> TrialSpec:
    d = load_trial_spec(SPEC).to_dict()
    d["horizon_months"] = 7.0
    return TrialSpec.from_dict(d)


def run(out: Path, **kw) -> R.TrialResult:
    kw.setdefault("n_patients", N)
    kw.setdefault("seed", SEED)
    kw.setdefault("shard_size", SHARD)
    return R.run_trial(small_spec(), out, reference=None, figures=False, report=False, **kw)


def digest_of(out: Path) -> str:
    return results_digest(TrialStore(out).read_shards())


@pytest.fixture(scope="module")
def reference_digest(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("ref") / "run"
    run(out, workers=1)
    return digest_of(out)


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as c, Client(c) as client:
        yield c, client


def test_digest_is_sensitive_to_every_patient(tmp_path, reference_digest):
    out = tmp_path / "run"
    run(out, workers=1)
    df = TrialStore(out).read_shards()
    assert results_digest(df) == reference_digest
    assert results_digest(df.sample(frac=1.0, random_state=1)) == reference_digest  # order-free
    assert results_digest(df.iloc[1:]) != reference_digest  # a lost patient shows
    assert results_digest(pd.concat([df, df.iloc[:1]])) != reference_digest  # a duplicate shows


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_same_digest_for_1_2_4_dask_workers(tmp_path, reference_digest, workers):
    out = tmp_path / f"w{workers}"
    res = run(out, executor="dask", workers=workers)
    assert digest_of(out) == reference_digest
    assert len(res.endpoints) == N


def test_existing_scheduler_address(tmp_path, reference_digest, cluster):
    c, _ = cluster
    out = tmp_path / "sched"
    run(out, scheduler=c.scheduler_address)
    assert digest_of(out) == reference_digest


def test_bad_scheduler_address_is_a_clear_error(tmp_path):
    with pytest.raises(DistributedRunError, match="scheduler"):
        run(tmp_path / "x", scheduler="not-an-address")


def test_sigkill_a_worker_mid_trial(tmp_path, reference_digest, cluster):
    """A worker process dies (SIGKILL) while shards run: its task is re-run; nothing lost or duplicated."""
    c, client = cluster
    out = tmp_path / "killed-worker"
    errors: list[BaseException] = []

    def target() -> None:
        try:
            run(out, scheduler=c.scheduler_address)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    th = threading.Thread(target=target)
    th.start()
    # wait until tasks are running on the workers, then kill one worker process
    deadline = time.monotonic() + 60
    killed = False
    while time.monotonic() < deadline and th.is_alive():
        processing = client.processing()
        busy = [w for w, tasks in processing.items() if tasks]
        if busy:
            pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.05)
    th.join(timeout=240)
    assert not th.is_alive(), "trial did not finish after a worker was killed"
    assert not errors, errors
    assert killed, "no busy worker was found to kill"
    assert digest_of(out) == reference_digest
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and len(manifest["shards"]) == N // SHARD


def test_sigkill_the_driver_then_resume(tmp_path, reference_digest):
    """The driver (with its LocalCluster) is SIGKILLed after some shards; --resume completes the run."""
    out = tmp_path / "killed-driver"
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "sys.path.insert(0, {tests!r})\n"
        "from test_distributed import run\n"
        "run(Path({out!r}), executor='dask', workers=1)\n"
    ).format(tests=str(Path(__file__).parent), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    manifest = out / "manifest.json"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if manifest.exists():
                try:
                    done = json.loads(manifest.read_text()).get("shards", {})
                except json.JSONDecodeError:  # pragma: no cover - atomic writes make this impossible
                    done = {}
                if len(done) >= 1:
                    break
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the driver and its cluster processes
        proc.wait(timeout=30)
    partial = json.loads(manifest.read_text())
    assert not partial.get("complete"), "the driver finished before it could be killed; make the trial longer"
    n_before = len(partial["shards"])
    assert 1 <= n_before < N // SHARD
    res = run(out, executor="dask", workers=2, resume=True)
    assert sorted(res.shards_skipped) == sorted(int(k) for k in partial["shards"])
    assert digest_of(out) == reference_digest


def test_cli_dask_executor_and_bad_scheduler(tmp_path, reference_digest):
    from typer.testing import CliRunner

    from oncoimmune.cli import app

    spec_file = tmp_path / "small.toml"
    spec_file.write_text(small_spec().to_toml())
    runner = CliRunner()
    bad = runner.invoke(app, ["trial", str(spec_file), "--scheduler", "nope", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "scheduler" in bad.output and not (tmp_path / "bad").exists()
    out = tmp_path / "cli"
    ok = runner.invoke(
        app,
        ["trial", str(spec_file), "--patients", str(N), "--seed", str(SEED), "--shard-size", str(SHARD),
         "--executor", "dask", "--workers", "2", "--out", str(out), "--no-progress"],
    )
    assert ok.exit_code == 0, ok.output
    assert (out / "endpoints.parquet").is_file() and (out / "report.html").is_file()
    assert digest_of(out) == reference_digest
