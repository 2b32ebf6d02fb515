"""SimulationSpec: TOML round trip, validation errors naming the field, reruns."""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from oncoimmune import SpecFileError, __version__
from oncoimmune.io import SimulationSpec, dumps_toml, load_spec

MODEL = "kuznetsov1994"


def test_defaults_and_round_trip(tmp_path):
    spec = SimulationSpec(model=MODEL, days=30, set={"T": 1e7, "s": 1.2e4}, seed=5)
    assert spec.days == 30.0 and spec.engine == "scipy" and spec.method is None
    # atol None: per state, scaled by each state's typical size (issue 9; engines.tolerance)
    assert spec.rtol == 1e-8 and spec.atol is None and spec.max_nfev == 2_000_000
    assert spec.oncoimmune_version == __version__
    text = spec.to_toml()
    assert "method" not in text and "atol" not in text  # None is left out: TOML has no null
    assert SimulationSpec.from_toml(text) == spec
    path = spec.write(tmp_path / "spec.toml")
    assert load_spec(path) == spec
    assert [p.name for p in tmp_path.iterdir()] == ["spec.toml"]  # no temp file left


def test_written_toml_is_plain_and_ordered():
    spec = SimulationSpec(model=MODEL, days=12.5, set={"T": 5e8}, method="BDF")
    data = tomllib.loads(spec.to_toml())
    assert data == {
        "model": MODEL,
        "days": 12.5,
        "engine": "scipy",
        "method": "BDF",
        "rtol": 1e-8,
        "max_nfev": 2_000_000,
        "default_events": True,
        "oncoimmune_version": __version__,
        "set": {"T": 5e8},
    }


def test_run_records_resolved_spec_and_reproduces():
    spec = SimulationSpec(model=MODEL, days=10, set={"T": 2e7})
    ds = spec.run()
    assert ds.attrs["status"] == "ok"
    assert ds["T"].values[0] == 2e7
    resolved = SimulationSpec.from_toml(ds.attrs["spec"])
    assert resolved.method == "LSODA" and resolved.set == spec.set
    ds2 = resolved.run()
    for name in ds.data_vars:
        np.testing.assert_array_equal(ds[name].values, ds2[name].values)


def test_build_model_applies_parameters_and_initial_values():
    m = SimulationSpec(model=MODEL, days=1, set={"s": 1.0e4, "E": 3.0}).build_model()
    assert m.parameter("s").value == 1.0e4
    assert m.state("E").initial == 3.0


def test_default_experiment_events_are_applied_unless_switched_off(monkeypatch):
    import json

    import oncoimmune.library as library
    from oncoimmune import Event

    def fake_default_events(model_id):
        assert model_id == MODEL
        return (Event(2.0, "T", "add", 1e6, label="challenge"),)

    monkeypatch.setattr(library, "default_events", fake_default_events)
    with_events = SimulationSpec(model=MODEL, days=4).run()
    assert [e["label"] for e in json.loads(with_events.attrs["events"])] == ["challenge"]
    bare = SimulationSpec(model=MODEL, days=4, default_events=False).run()
    assert json.loads(bare.attrs["events"]) == []
    assert with_events["T"].values[2] > bare["T"].values[2] + 5e5


BAD = [
    ({"days": 1}, "model", "required"),
    ({"model": "nope", "days": 1}, "model", "kuznetsov1994"),
    ({"model": MODEL}, "days", "required"),
    ({"model": MODEL, "days": 0}, "days", "> 0"),
    ({"model": MODEL, "days": -2.0}, "days", "> 0"),
    ({"model": MODEL, "days": math.nan}, "days", "finite"),
    ({"model": MODEL, "days": math.inf}, "days", "finite"),
    ({"model": MODEL, "days": "10"}, "days", "number"),
    ({"model": MODEL, "days": True}, "days", "number"),
    ({"model": MODEL, "days": 1, "set": {"zz": 1.0}}, "set.zz", "valid choices"),
    ({"model": MODEL, "days": 1, "set": {"T": -1.0}}, "set.T", ">= 0"),
    ({"model": MODEL, "days": 1, "set": {"a": -1.0}}, "set.a", ">= 0"),
    ({"model": MODEL, "days": 1, "set": {"a": math.nan}}, "set.a", "finite"),
    ({"model": MODEL, "days": 1, "set": {"a": "x"}}, "set.a", "number"),
    ({"model": MODEL, "days": 1, "set": [1.0]}, "set", "table"),
    ({"model": MODEL, "days": 1, "engine": "warp"}, "engine", "scipy"),
    ({"model": MODEL, "days": 1, "method": "Euler"}, "method", "LSODA"),
    ({"model": MODEL, "days": 1, "rtol": 0.0}, "rtol", "> 0"),
    ({"model": MODEL, "days": 1, "atol": -1e-9}, "atol", "> 0"),
    ({"model": MODEL, "days": 1, "max_nfev": 1.5}, "max_nfev", "whole number"),
    ({"model": MODEL, "days": 1, "max_nfev": 0}, "max_nfev", "> 0"),
    ({"model": MODEL, "days": 1, "seed": -1}, "seed", ">= 0"),
    ({"model": MODEL, "days": 1, "default_events": "yes"}, "default_events", "true or false"),
    ({"model": MODEL, "days": 1, "oncoimmune_version": 1}, "oncoimmune_version", "string"),
    ({"model": MODEL, "days": 1, "treatments": []}, "treatments", "valid fields"),
]


@pytest.mark.parametrize("data, field, needle", BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(BAD)])
def test_invalid_field_is_named(data, field, needle):
    with pytest.raises(SpecFileError) as info:
        SimulationSpec.from_dict(data, source="exp.toml")
    err = info.value
    assert err.field == field
    msg = str(err)
    assert msg.startswith(f"exp.toml: field {field!r}: ")
    assert needle in msg
    assert "\n" not in msg


def test_errors_from_a_file(tmp_path):
    p = tmp_path / "exp.toml"
    p.write_text('model = "kuznetsov1994"\ndays = nan\n')
    with pytest.raises(SpecFileError, match=r"exp\.toml: field 'days': must be a finite number"):
        load_spec(p)
    p.write_text('model = "kuznetsov1994"\ndays = 10\ndays = 11\n')
    with pytest.raises(SpecFileError, match="not valid TOML"):
        load_spec(p)
    p.write_bytes(b"\xff\xfe")
    with pytest.raises(SpecFileError, match="UTF-8"):
        load_spec(p)
    with pytest.raises(SpecFileError, match="does not exist"):
        load_spec(tmp_path / "missing.toml")
    with pytest.raises(SpecFileError, match="is a directory"):
        load_spec(tmp_path)


def test_spec_is_frozen():
    spec = SimulationSpec(model=MODEL, days=1)
    with pytest.raises(Exception):
        spec.days = 2.0  # type: ignore[misc]


# the TOML writer --------------------------------------------------------------------------------------


def test_dumps_toml_nested_tables_and_arrays_of_tables():
    data = {
        "name": 'quote " backslash \\ newline \n tab \t del \x7f',
        "flag": True,
        "n": 3,
        "x": 1e-300,
        "big": 1.5e300,
        "neg": -0.0,
        "xs": [1.0, 2.5],
        "table": {"a": 1, "inner": {"b": "c"}},
        "therapies": [{"drug": "pembrolizumab", "doses": [0.0, 21.0]}, {"drug": "il2", "sub": {"k": 1}}],
        "weird key": 1,
        "skipped": None,
    }
    back = tomllib.loads(dumps_toml(data))
    del data["skipped"]
    assert back == data


def test_dumps_toml_rejects_unsupported_values():
    with pytest.raises(SpecFileError, match="field 'a.b'"):
        dumps_toml({"a": {"b": object()}})


_keys = st.text(min_size=1, max_size=8)
_scalars = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_keys, _scalars | st.dictionaries(_keys, _scalars, max_size=3), max_size=6))
@example({"a\n": 1, "0": {"b\n": "x"}})  # found by hypothesis: a key ending in a newline was written bare
def test_dumps_toml_round_trips(data):
    assert tomllib.loads(dumps_toml(data)) == data
