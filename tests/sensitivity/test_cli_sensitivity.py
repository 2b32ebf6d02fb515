"""``oncoimmune sensitivity``: the Ishigami check end to end, files written, bad input exits 2."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import oncoimmune
from oncoimmune.sensitivity.test_functions import ishigami_indices

ENV = {**os.environ, "PYTHONPATH": str(Path(oncoimmune.__file__).resolve().parents[1]), "MPLBACKEND": "Agg"}


def _run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "oncoimmune", "sensitivity", *args], cwd=cwd,
                          capture_output=True, text=True, env=ENV)


def test_ishigami_cli(tmp_path):
    r = _run("ishigami", "--n", "4096", "--seed", "1", "--out", "sa", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "sa"
    assert {p.name for p in out.iterdir()} == {"indices.csv", "indices.json", "samples.parquet", "sensitivity.png"}
    tab = pd.read_csv(out / "indices.csv", index_col="factor")
    ref = ishigami_indices()
    for name in ("x1", "x2", "x3"):
        assert tab.loc[name, "ST"] == pytest.approx(ref["ST"][name], abs=0.03)
    doc = json.loads((out / "indices.json").read_text())
    assert doc["n_evaluations"] == 4096 * 5 and doc["seed"] == 1 and doc["analytic"]["S1"]["x2"] > 0.44


@pytest.mark.parametrize(
    "args, needle",
    [
        (["kuznetsov1994", "--param", "n=2:1", "--output", "T"], "--param 'n=2:1'"),
        (["kuznetsov1994", "--param", "n=1:x", "--output", "T"], "must be numbers"),
        (["kuznetsov1994", "--param", "q=1:2", "--output", "T"], "'q'"),
        (["kuznetsov1994", "--param", "n=1e-8:2e-7"], "--output"),
        (["ishigami", "--method", "fast"], "--method"),
        (["nomodel", "--param", "n=1:2", "--output", "T"], "unknown model"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, needle):
    r = _run(*args, "--out", "sa", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "sa").exists()
