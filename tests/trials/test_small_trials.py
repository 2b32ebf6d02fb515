"""Small trials (issue 9): hazard ratios with too few events are 'not estimable', never absurd numbers,
and no warning of the survival fits leaks out. Also: the report says when the real-trial overlay is
missing, and --resume reuses the run's own settings."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("lifelines")

from oncoimmune.analysis.survival import MIN_EVENTS_PER_COMPARISON, hazard_ratios
from oncoimmune.trials import TrialDataError
from oncoimmune.trials import runner as R
from oncoimmune.trials.spec import TrialSpec, load_trial_spec

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "keynote024.toml"


def small_spec() -> TrialSpec:
    d = load_trial_spec(SPEC).to_dict()
    d["horizon_months"] = 7.0
    return TrialSpec.from_dict(d)


def test_separated_data_is_not_estimable_without_warnings():
    # every event in arm B happens before any in arm A: the Cox likelihood has no maximum
    df = pd.DataFrame({"arm": ["A", "A", "B", "B"], "t": [5.0, 6.0, 1.0, 2.0], "e": [1, 0, 1, 1]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrialDataError, match="not estimable"):
            hazard_ratios(df, time="t", event="e", reference="A")


def test_too_few_events_for_a_trial_summary():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"arm": ["A"] * 6 + ["B"] * 6, "t": rng.exponential(5, 12), "e": [1, 0] * 6})
    with pytest.raises(TrialDataError, match="fewer than 10"):
        hazard_ratios(df, time="t", event="e", reference="A", min_events=MIN_EVENTS_PER_COMPARISON)
    assert np.isfinite(hazard_ratios(df, time="t", event="e", reference="A").loc["B", "hr"])


def test_a_four_patient_trial_reports_no_absurd_hazard_ratio(tmp_path, monkeypatch):
    monkeypatch.setenv("ONCOIMMUNE_SHARED", str(tmp_path / "nowhere"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = R.run_trial(small_spec(), tmp_path / "run", n_patients=4, seed=3)
    leaked = [f"{w.category.__name__}: {w.message}" for w in caught if "lifelines" in (w.filename or "")
              or "Convergence" in w.category.__name__]
    assert not leaked, leaked
    for ep in ("pfs", "os"):
        h = res.summary.get(f"{ep}_hr", {})
        assert "error" in h and "not estimable" in h["error"], h
    html = (tmp_path / "run" / "report.html").read_text()
    assert "e+" not in html.split("Hazard ratio", 1)[-1][:400]
    # the spec names KEYNOTE-024 but its data are not where ONCOIMMUNE_SHARED points: the report says so
    assert "overlay left out" in res.summary["reference_missing"]
    assert "overlay left out" in html


def test_resume_reuses_the_runs_patients_seed_and_shard_size(tmp_path):
    spec = small_spec()
    kw = dict(reference=None, figures=False, report=False)
    first = R.run_trial(spec, tmp_path / "r", n_patients=6, seed=5, shard_size=2, **kw)
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text())
    del manifest["shards"]["2"]
    (tmp_path / "r" / "manifest.json").write_text(json.dumps(manifest))
    again = R.run_trial(spec, tmp_path / "r", resume=True, **kw)  # as the README's resume line
    assert again.shards_run == [2] and again.summary["n_patients"] == 6 and again.summary["seed"] == 5
    pd.testing.assert_frame_equal(first.endpoints, again.endpoints)
