"""Screening in several processes gives the plan of one process (each candidate has their own stream)."""

from __future__ import annotations

from pathlib import Path

from oncoimmune.trials import plan as P
from oncoimmune.trials.spec import load_trial_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_parallel_screening_gives_the_same_plan(monkeypatch):
    spec = load_trial_spec(EXAMPLES / "keynote024.toml")
    serial = P.plan_trial(spec, 300, 11)
    monkeypatch.setattr(P, "PARALLEL_SCREEN_MIN", 0)
    monkeypatch.setattr(P, "PARALLEL_SCREEN_CHUNK", 97)  # many chunks, the last one partly used
    parallel = P.plan_trial(spec, 300, 11, workers=2)
    assert parallel.patients == serial.patients
    assert parallel.screening == serial.screening
    assert serial.screening["screened"] > 300  # screen failures happened and were counted alike
