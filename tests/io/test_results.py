"""trajectory.parquet, atomic writes, run directories and the trajectory figure."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xarray as xr

from oncoimmune import simulate
from oncoimmune.io import (
    ResultsFileError,
    SimulationSpec,
    atomic_directory,
    atomic_write,
    read_trajectory,
    write_run,
    write_trajectory,
)
from oncoimmune.library import get_model
from oncoimmune.plots import plot_trajectory, save_trajectory_plot

MODEL = "kuznetsov1994"


@pytest.fixture(scope="module")
def ds():
    return simulate(get_model(MODEL), 15.0, seed=11)


@pytest.fixture(scope="module")
def failed_ds():
    out = simulate(get_model(MODEL), 15.0, max_nfev=20)
    assert out.attrs["status"] == "failed"
    return out


def test_columns_in_model_order_with_time_first(ds, tmp_path):
    path = write_trajectory(ds, tmp_path / "trajectory.parquet")
    table = pq.read_table(path)
    m = get_model(MODEL)
    assert table.column_names == ["time", *m.state_names, *m.observable_names]
    assert all(f.type == pa.float64() for f in table.schema)
    assert table.schema.field("time").metadata == {b"units": b"day"}
    assert table.schema.field("T").metadata[b"units"] == b"cells"
    # readable by pandas as a plain table
    df = pd.read_parquet(path)
    assert list(df.columns) == table.column_names
    np.testing.assert_array_equal(df["T"].to_numpy(), ds["T"].values)


def test_provenance_in_schema_metadata(ds, tmp_path):
    path = write_trajectory(ds, tmp_path / "t.parquet")
    meta = pq.read_schema(path).metadata
    assert meta[b"oncoimmune.format"] == b"trajectory/1"
    attrs = json.loads(meta[b"oncoimmune.attrs"])
    assert attrs["model_id"] == MODEL
    assert attrs["seed"] == 11
    assert attrs["status"] == "ok"
    assert json.loads(attrs["parameters"])["n"] == 1.101e-7


def test_round_trip_is_exact(ds, tmp_path):
    write_trajectory(ds, tmp_path / "trajectory.parquet")
    back = read_trajectory(tmp_path)  # a run directory works too
    assert list(back.data_vars) == list(ds.data_vars)
    xr.testing.assert_identical(back, ds)


def test_failed_run_round_trips_with_nan_and_status(failed_ds, tmp_path):
    back = read_trajectory(write_trajectory(failed_ds, tmp_path / "f.parquet"))
    xr.testing.assert_identical(back, failed_ds)
    assert back.attrs["status"] == "failed"
    assert np.isnan(back["T"].values[-1])


def test_numpy_attrs_are_stored(ds, tmp_path):
    d = ds.copy()
    d.attrs = {"a": np.float64(1.5), "b": np.int64(3), "c": np.arange(3)}
    back = read_trajectory(write_trajectory(d, tmp_path / "t.parquet"))
    assert back.attrs == {"a": 1.5, "b": 3, "c": [0, 1, 2]}


def test_refuses_other_shapes_and_foreign_files(ds, tmp_path):
    two_d = ds.assign(X=(("time", "patient"), np.zeros((ds.sizes["time"], 2))))
    with pytest.raises(ResultsFileError, match="'X'.*select one patient"):
        write_trajectory(two_d, tmp_path / "t.parquet")
    with pytest.raises(ResultsFileError, match="'time' coordinate"):
        write_trajectory(xr.Dataset({"x": ("i", [1.0])}), tmp_path / "t.parquet")
    assert list(tmp_path.iterdir()) == []
    pq.write_table(pa.table({"time": [0.0]}), tmp_path / "foreign.parquet")
    with pytest.raises(ResultsFileError, match="not an oncoimmune trajectory"):
        read_trajectory(tmp_path / "foreign.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(ResultsFileError, match="not a readable Parquet"):
        read_trajectory(tmp_path / "junk.parquet")
    with pytest.raises(ResultsFileError, match="does not exist"):
        read_trajectory(tmp_path / "missing.parquet")


# atomic writes ----------------------------------------------------------------------------------------


def test_atomic_write_replaces_or_leaves_untouched(tmp_path):
    dest = tmp_path / "f.bin"
    atomic_write(dest, lambda f: f.write(b"one"))
    assert dest.read_bytes() == b"one"

    def half(f):
        f.write(b"tw")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(dest, half)
    assert dest.read_bytes() == b"one"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_atomic_directory_all_or_nothing(tmp_path):
    out = tmp_path / "a" / "b" / "run"
    with pytest.raises(RuntimeError):
        with atomic_directory(out) as tmp:
            (tmp / "x.txt").write_text("partial")
            raise RuntimeError("killed")
    assert os.listdir(tmp_path) == []  # parents made for it are gone too
    with atomic_directory(out) as tmp:
        (tmp / "x.txt").write_text("done")
    assert (out / "x.txt").read_text() == "done"
    with pytest.raises(ResultsFileError, match="exists already.*--overwrite"):
        with atomic_directory(out):
            pass
    with pytest.raises(RuntimeError):
        with atomic_directory(out, overwrite=True) as tmp:
            (tmp / "y.txt").write_text("new")
            raise RuntimeError("killed")
    assert os.listdir(out) == ["x.txt"]
    with atomic_directory(out, overwrite=True) as tmp:
        (tmp / "y.txt").write_text("new")
    assert os.listdir(out) == ["y.txt"]
    assert os.listdir(out.parent) == ["run"]
    (tmp_path / "file").write_text("")
    with pytest.raises(ResultsFileError, match="not a directory"):
        with atomic_directory(tmp_path / "file", overwrite=True):
            pass


def test_write_run_directory(tmp_path):
    spec = SimulationSpec(model=MODEL, days=5, set={"T": 1e7})
    ds = spec.run()
    from oncoimmune.plots.trajectory import save_trajectory_plot

    out = write_run(ds, spec, tmp_path / "run", plot=save_trajectory_plot)
    assert sorted(os.listdir(out)) == ["spec.toml", "trajectory.parquet", "trajectory.png"]
    from oncoimmune.io import load_spec

    assert load_spec(out / "spec.toml") == spec.resolved(ds)
    xr.testing.assert_identical(read_trajectory(out), ds)


# the figure -------------------------------------------------------------------------------------------


def test_plot_panels_log_scale_and_title(ds):
    fig = plot_trajectory(ds)
    axes = fig.get_axes()
    assert len(axes) == 2  # E and T share the "cells" panel; tumour_diameter has its own
    assert axes[0].get_yscale() == "log"
    assert [line.get_label().split(":")[0] for line in axes[0].get_lines()] == ["E", "T"]
    title = fig._suptitle.get_text()
    assert MODEL in title and "status: ok" in title


def test_plot_failed_run_shows_reason(failed_ds, tmp_path):
    fig = plot_trajectory(failed_ds)
    assert "status: failed" in fig._suptitle.get_text()
    path = save_trajectory_plot(failed_ds, tmp_path / "t.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_plot_zero_population_uses_linear_axis(ds):
    z = ds.copy()
    z["E"] = z["E"] * 0.0
    z["T"] = z["T"] * 0.0
    fig = plot_trajectory(z)
    assert fig.get_axes()[0].get_yscale() == "linear"
