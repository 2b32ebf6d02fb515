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


def test_plan_in_lanes_equals_the_one_by_one_plan(monkeypatch):
    from oncoimmune.patients import lanes

    for name in ("keynote024", "keynote010", "oak"):
        spec = load_trial_spec(EXAMPLES / f"{name}.toml")
        fast = P.plan_trial(spec, 250, 3)
        with monkeypatch.context() as m:
            m.setattr(lanes, "supported", lambda pop: "forced one by one")
            slow = P.plan_trial(spec, 250, 3)
        assert fast.patients == slow.patients and fast.screening == slow.screening, name


def test_a_lane_that_disagrees_with_one_by_one_screening_stops_the_plan(monkeypatch):
    import pytest

    from oncoimmune.patients import lanes

    real = lanes.screen_block

    def corrupt(pop, seed, indices, factors=()):
        out = real(pop, seed, indices, factors)
        out.strata[0] = None if out.strata[0] is not None else "all"
        out.failed[0] = ("made up",)
        return out

    monkeypatch.setattr(lanes, "screen_block", corrupt)
    spec = load_trial_spec(EXAMPLES / "keynote024.toml")
    with pytest.raises(P.ScreeningMismatch, match="candidate 0"):
        P.plan_trial(spec, 20, 3)
