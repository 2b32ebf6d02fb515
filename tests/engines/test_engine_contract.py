"""The engine contract: statuses, work budget, bad options, provenance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from oncoimmune import (
    EngineError,
    Event,
    Model,
    Parameter,
    ParameterValueError,
    ScheduleError,
    Source,
    State,
    Sym,
    Term,
    UnknownNameError,
    __version__,
    simulate,
)
from oncoimmune.engines import ENGINES, get_engine
from oncoimmune.library import get_model

SRC = Source("test problem")


def blow_up() -> Model:
    """dT/dt = T^2 from T(0)=1 reaches infinity at t = 1."""
    T = Sym("T")
    return Model(
        id="blowup",
        title="finite-time blow-up",
        states=(State("T", 1.0, "cells", "cells"),),
        parameters=(Parameter("c", 1.0, "1/(cell*day)", "rate", SRC),),
        terms=(Term("growth", Sym("c") * T * T, {"T": 1}, "explosive growth"),),
    )


def test_ok_run_carries_provenance():
    ds = simulate(get_model("kuznetsov1994"), 10, seed=7)
    a = ds.attrs
    assert a["status"] == "ok" and a["status_reason"] == ""
    assert a["model_id"] == "kuznetsov1994" and a["oncoimmune_version"] == __version__
    assert a["seed"] == 7 and a["engine"] == "scipy" and a["method"] == "LSODA"
    assert json.loads(a["parameters"])["s"] == 1.3e4
    assert ds.time.attrs["units"] == "day" and ds.T.attrs["units"] == "cells"


def test_blow_up_fails_with_reason_and_nan_not_garbage():
    ds = simulate(blow_up(), 2, saveat=np.linspace(0, 2, 21), max_nfev=20_000)
    assert ds.attrs["status"] == "failed"
    assert ds.attrs["status_reason"]
    # before the singularity the values are right; after it, NaN
    t = ds.time.values
    ok = t < 0.9
    np.testing.assert_allclose(ds.T.values[ok], 1.0 / (1.0 - t[ok]), rtol=1e-6)
    assert np.all(np.isnan(ds.T.values[t > 1.0]))


def test_work_budget_stops_the_run():
    ds = simulate(get_model("kuznetsov1994"), 2000, max_nfev=100)
    assert ds.attrs["status"] == "failed"
    assert "work budget" in ds.attrs["status_reason"] and ds.attrs["nfev"] <= 101


def test_cost_shows_the_reference_path_ran():
    """The dormant-state run costs a few thousand evaluations, not millions."""
    ds = simulate(get_model("kuznetsov1994"), 2000)
    assert 100 < ds.attrs["nfev"] < 20_000


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"days": 0}, ParameterValueError, "days"),
        ({"days": float("nan")}, ParameterValueError, "days"),
        ({"days": 10, "saveat": [0, 5, 3]}, EngineError, "strictly increasing"),
        ({"days": 10, "saveat": [0, 11]}, EngineError, "within"),
        ({"days": 10, "saveat": []}, EngineError, "nothing would be saved"),
        ({"days": 10, "rtol": 0}, EngineError, "rtol"),
        ({"days": 10, "max_nfev": 0}, EngineError, "max_nfev"),
        ({"days": 10, "method": "Euler"}, UnknownNameError, "LSODA"),
        ({"days": 10, "engine": "nope"}, UnknownNameError, "scipy"),
        ({"days": 10, "events": [Event(1.0, "X", "add", 1.0)]}, UnknownNameError, "'X'"),
        ({"days": 10, "parameters": {"s": -1}}, ParameterValueError, "'s'"),
    ],
)
def test_bad_options_raise_naming_the_argument(kwargs, err, match):
    with pytest.raises(err, match=match):
        simulate(get_model("kuznetsov1994"), **kwargs)


def test_event_validation():
    with pytest.raises(ScheduleError, match="time"):
        Event(-1.0, "T", "add", 1.0)
    with pytest.raises(ScheduleError, match="op"):
        Event(1.0, "T", "replace", 1.0)
    with pytest.raises(ScheduleError, match="finite"):
        Event(1.0, "T", "add", float("inf"))
    with pytest.raises(ScheduleError, match="parameter"):
        Event(1.0, "s", "multiply", 1.0, kind="parameter")


def test_registry():
    assert "scipy" in ENGINES
    assert get_engine("scipy").name == "scipy"


def test_wall_clock_budget():
    ds = simulate(get_model("kuznetsov1994"), 2000, max_seconds=1e-6, max_nfev=10**9)
    assert ds.attrs["status"] == "failed" and "max_seconds" in ds.attrs["status_reason"]


def test_stiff_hint_selects_bdf():
    ds = simulate(get_model("andersen2017_mpn"), 30)
    assert ds.attrs["method"] == "BDF" and ds.attrs["status"] == "ok"
    assert ds.attrs["nfev"] < 20_000
