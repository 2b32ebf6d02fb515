"""Interventions compose; treat() is pure and merges events in time order."""

from __future__ import annotations

import pytest

from oncoimmune import Event, ModelSpecError
from oncoimmune.library import get_model
from oncoimmune.therapy.intervention import Intervention, treat


def test_treat_applies_in_turn_and_sorts_events():
    base = get_model("kuznetsov1994")
    a = Intervention("supply", lambda m: m.scale_terms("effector_supply", 2.0), (Event(10.0, "E", "add", 1e5),))
    b = Intervention("challenge", lambda m: m, lambda m: (Event(5.0, "T", "add", 1e6),))
    tr = treat(base, a, b)
    assert [e.time for e in tr.events] == [5.0, 10.0]
    assert tr.names == ("supply", "challenge")
    assert base.term("effector_influx").rate != tr.model.term("effector_influx").rate
    assert base == get_model("kuznetsov1994")


def test_bad_interventions_refused():
    with pytest.raises(ModelSpecError, match="transform"):
        Intervention("x", transform=42)  # type: ignore[arg-type]
    bad = Intervention("x", lambda m: 3)
    with pytest.raises(ModelSpecError, match="not a Model"):
        treat(get_model("kuznetsov1994"), bad)
