"""The escape demonstration runs end to end and writes what it promises (short horizon, coarse grid)."""

from __future__ import annotations

import csv
import json

import pytest

from oncoimmune import demo
from oncoimmune.biology.escape import MECHANISMS
from oncoimmune.io.results import ResultsFileError


def test_demo_writes_figures_and_threshold_tables(tmp_path, capsys):
    out = tmp_path / "demo"
    assert demo.main(["--out", str(out), "--days", "400", "--grid", "3", "--no-trial"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(summary["files"]) == sorted(p.name for p in out.iterdir())
    for name in MECHANISMS:
        assert (out / f"escape_{name}.png").stat().st_size > 10_000
        th = summary["thresholds"][name]["threshold"]
        lo, hi = MECHANISMS[name].sweep_range
        assert lo < th < hi
    with open(out / "thresholds.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["mechanism"] for r in rows] == list(MECHANISMS)
    printed = capsys.readouterr().out
    assert str(out.resolve()) in printed and "pdl1_engagement" in printed
    # a rerun replaces its own previous output
    assert demo.main(["--out", str(out), "--days", "400", "--grid", "3", "--no-trial"]) == 0


def test_demo_refuses_to_replace_a_foreign_directory(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ResultsFileError, match="--overwrite"):
        demo.run_demo(foreign, days=400.0, n_grid=3, trial=False)
    assert (foreign / "notes.txt").read_text() == "keep me"
