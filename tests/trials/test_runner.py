"""The trial runner: determinism across shards and workers, resumption, failed patients, outcome rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("lifelines")

from oncoimmune._errors import ResultsFileError
from oncoimmune.trials import runner as R
from oncoimmune.trials import shards, solve
from oncoimmune.trials.spec import TrialSpec, load_trial_spec

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "keynote024.toml"

#: columns that may differ between runs of the same configuration (timing)
_TIMING = ("seconds",)


def small_spec(horizon_months: float = 7.0, **changes) -> TrialSpec:
    d = load_trial_spec(SPEC).to_dict()
    d["horizon_months"] = horizon_months
    d.update(changes)
    return TrialSpec.from_dict(d)


def run(tmp_path: Path, name: str, spec: TrialSpec, **kw) -> R.TrialResult:
    kw.setdefault("n_patients", 8)
    kw.setdefault("seed", 11)
    kw.setdefault("reference", None)
    kw.setdefault("figures", False)
    kw.setdefault("report", False)
    return R.run_trial(spec, tmp_path / name, **kw)


def same_endpoints(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True)


def test_results_do_not_depend_on_shard_size_or_workers(tmp_path):
    spec = small_spec()
    a = run(tmp_path, "a", spec, shard_size=8, workers=1)
    b = run(tmp_path, "b", spec, shard_size=3, workers=2)
    same_endpoints(a.endpoints, b.endpoints)
    pa, pb = (x.patients.drop(columns=list(_TIMING)) for x in (a, b))
    pd.testing.assert_frame_equal(pa, pb, check_exact=True)
    assert len(b.shards_run) == 3 and b.summary["workers"] == 2
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["complete"] and len(manifest["shards"]) == 3
    for entry in manifest["shards"].values():
        assert len(entry["sha256"]) == 64 and (tmp_path / "b" / entry["file"]).is_file()


def test_a_patient_is_the_same_whatever_the_trial_size(tmp_path):
    spec = small_spec()
    a = run(tmp_path, "a", spec, n_patients=4, shard_size=4)
    b = run(tmp_path, "b", spec, n_patients=8, shard_size=5)
    cols = ["patient_index", "arm", "best_overall_response", "pfs_months", "os_months"]
    same_endpoints(a.endpoints[cols], b.endpoints[cols].iloc[:4])


@pytest.mark.parametrize("engine", ["batched", "scipy"])
def test_resume_after_interruption_gives_identical_endpoints(tmp_path, monkeypatch, engine):
    spec = small_spec()
    clean = run(tmp_path, "clean", spec, n_patients=9, shard_size=3, engine=engine)

    real_one, real_batch = shards.simulate_patient, shards.simulate_patients_batched

    def interrupted(ctx, planned):
        if planned.position == 7:
            raise KeyboardInterrupt  # the machine goes away in the third shard
        return real_one(ctx, planned)

    def interrupted_batch(ctx, planned):
        if any(p.position == 7 for p in planned):
            raise KeyboardInterrupt
        return real_batch(ctx, planned)

    monkeypatch.setattr(shards, "simulate_patient", interrupted)
    monkeypatch.setattr(shards, "simulate_patients_batched", interrupted_batch)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, "broken", spec, n_patients=9, shard_size=3, engine=engine)
    manifest = json.loads((tmp_path / "broken" / "manifest.json").read_text())
    assert sorted(manifest["shards"]) == ["0", "1"] and not manifest["complete"]
    assert not (tmp_path / "broken" / "endpoints.parquet").exists()

    monkeypatch.setattr(shards, "simulate_patient", real_one)
    monkeypatch.setattr(shards, "simulate_patients_batched", real_batch)
    resumed = run(tmp_path, "broken", spec, n_patients=9, shard_size=3, resume=True, engine=engine)
    assert resumed.shards_skipped == [0, 1] and resumed.shards_run == [2]
    same_endpoints(clean.endpoints, resumed.endpoints)
    same_endpoints(pd.read_parquet(tmp_path / "broken" / "endpoints.parquet"), clean.endpoints)
    with pytest.raises(ResultsFileError, match="engine"):
        other = "scipy" if engine == "batched" else "batched"
        run(tmp_path, "broken", spec, n_patients=9, shard_size=3, resume=True, engine=other)


def test_resume_recomputes_a_corrupted_shard_and_refuses_another_run(tmp_path):
    spec = small_spec()
    first = run(tmp_path, "r", spec, n_patients=6, shard_size=3)
    (tmp_path / "r" / "shards" / "shard-00001.parquet").write_bytes(b"not parquet")
    again = run(tmp_path, "r", spec, n_patients=6, shard_size=3, resume=True)
    assert again.shards_run == [1] and again.shards_skipped == [0]
    same_endpoints(first.endpoints, again.endpoints)
    with pytest.raises(ResultsFileError, match="seed"):
        run(tmp_path, "r", spec, n_patients=6, shard_size=3, seed=12, resume=True)
    with pytest.raises(ResultsFileError, match="--resume"):
        run(tmp_path, "r", spec, n_patients=6, shard_size=3)


@pytest.mark.parametrize("engine", ["batched", "scipy"])
def test_a_failing_patient_is_recorded_not_fatal(tmp_path, monkeypatch, engine):
    spec = small_spec()
    real = solve.sample_patient

    def flaky(ctx, planned, pre=None):
        if planned.position == 2:
            raise FloatingPointError("solver blew up on purpose")
        return real(ctx, planned, pre)

    monkeypatch.setattr(solve, "sample_patient", flaky)
    res = run(tmp_path, "f", spec, n_patients=6, shard_size=4, report=True, engine=engine)
    ep = res.endpoints.set_index("patient_id")
    assert ep.loc[2, "status"] == "failed"
    assert "solver blew up on purpose" in ep.loc[2, "reason"]
    assert ep.loc[2, "best_overall_response"] == "NE" and ep.loc[2, "pfs_months"] == 0.0
    assert (ep.drop(index=2)["status"] == "ok").all()
    assert res.summary["failed"] == 1
    html = (tmp_path / "f" / "report.html").read_text()
    assert "patients failed (simulation)" in html and "solver blew up on purpose" in html


def test_bad_options_write_nothing(tmp_path):
    spec = small_spec()
    for kw, field in (
        ({"n_patients": 0}, "--patients"),
        ({"shard_size": 0}, "--shard-size"),
        ({"workers": 0}, "--workers"),
        ({"seed": -1}, "--seed"),
    ):
        with pytest.raises(R.TrialRunError, match=field):
            run(tmp_path, "bad", spec, **kw)
        assert not (tmp_path / "bad").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ResultsFileError, match="not a directory"):
        R.run_trial(spec, tmp_path / "file", n_patients=2, reference=None)


def test_stratified_allocation_balances_each_stratum_and_is_prefix_stable():
    spec = small_spec()
    strata = ["ecog=0|histology=squamous", "ecog=1|histology=non-squamous"] * 20 + [
        "ecog=1|histology=squamous"
    ] * 8
    arms = R.allocate(spec, strata)
    for label in set(strata):
        got = [a for a, s in zip(arms, strata) if s == label]
        for k in range(4, len(got) + 1, 4):  # block size 4, 1:1: every complete block is balanced
            assert got[:k].count("pembrolizumab") == k // 2
    assert R.allocate(spec, strata[:13]) == arms[:13]


def test_stratified_allocation_follows_its_documented_block_rule():
    """Block ``b`` of stratum ``L`` is ``block`` permuted by default_rng(SeedSequence([seed, crc32(L), b]))
    (the rule in ``allocate``'s docstring, drawn here one NumPy generator per block)."""
    import zlib

    spec = small_spec()
    rng = np.random.default_rng(5)
    labels = ["ecog=0|histology=squamous", "ecog=1|histology=non-squamous", "ecog=1|histology=squamous"]
    strata = [labels[k] for k in rng.choice(3, 301, p=[0.5, 0.3, 0.2])]
    arms = R.allocate(spec, strata)
    total = sum(a.ratio for a in spec.arms)
    per = spec.randomisation.block_size // total
    block = [a.name for a in spec.arms for _ in range(a.ratio * per)]
    for label in labels:
        got = [a for a, s in zip(arms, strata) if s == label]
        want = []
        for b in range(-(-len(got) // len(block))):
            g = np.random.default_rng(np.random.SeedSequence([spec.randomisation.seed, zlib.crc32(label.encode()), b]))
            want += [block[k] for k in g.permutation(len(block))]
        assert got == want[: len(got)]


def test_derive_outcomes_hand_worked():
    # two patients on a 10-day grid; scans at 0, 20, 40; lethal burden 1000 cells
    grid = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    burden = np.array([[100.0, 100.0, 100.0, 100.0, 100.0], [100.0, 200.0, 400.0, 800.0, 1600.0]])
    nl = np.array([[0.0, 0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 0.0, 0.0, 0.0]])
    scans = np.array([0.0, 20.0, 40.0])
    draws = R.EventDraws(
        dropout=np.array([np.exp(-35.0 * 0.01), 0.5]),  # patient 0 drops out on day 35 (hazard 0.01/day)
        background=np.array([1.0, 1.0]),  # -log(1) = 0 -> but hazard 0: never
        crossover=np.array([0.0, 0.0]),
        new_lesion=np.array([0.15, 5.0]),  # patient 0: the hazard passes 0.15 between days 10 and 20
    )
    out = R.derive_outcomes(
        grid,
        burden,
        nl,
        scans,
        draws,
        horizon=40.0,
        dropout_per_day=0.01,
        background_per_day=0.0,
        death_rule="tumour_cells_above",
        death_threshold=1000.0,
    )
    # patient 1 crosses 1000 between day 30 (800) and 40 (1600): log-linear -> 30 + 10*log2(1.25)
    assert out["death_day"][1] == pytest.approx(30.0 + 10.0 * np.log2(1.25))
    assert out["death_cause"][1] == "tumour" and np.isnan(out["death_day"][0])
    assert out["dropout_day"][0] == pytest.approx(35.0)
    assert out["last_contact_day"][0] == pytest.approx(35.0)
    # patient 1's dropout (day 69.3) is after death: not a dropout
    assert np.isnan(out["dropout_day"][1]) and out["last_contact_day"][1] == pytest.approx(
        out["death_day"][1]
    )
    assert out["new_lesions"][0].tolist() == [False, True, False]  # scan at day 40 is after dropout
    assert np.isnan(out["sums"][0, 2]) and np.isfinite(out["sums"][0, 1])
    assert np.isnan(out["sums"][1, 2])  # after death
    assert out["sums"][0, 0] == pytest.approx(R.sld_from_cells_array(100.0))


def test_event_draws_are_per_patient_streams():
    a = R.event_draws(5, [3, 9])
    b = R.event_draws(5, [9])
    assert a.new_lesion[1] == b.new_lesion[0] and a.dropout[1] == b.dropout[0]
    assert (a.dropout >= 0).all() and (a.dropout < 1).all() and (a.new_lesion > 0).all()


def test_control_arm_is_the_crossover_source():
    spec = small_spec()
    assert R.control_arm(spec) == "chemotherapy"
