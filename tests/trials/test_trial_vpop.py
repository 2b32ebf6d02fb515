"""A trial spec that takes patients' model parameters from a virtual-population table (issue 11, item 4).

The ``[vpop]`` section names the table written by the virtual-population tool and the parameters it gives;
patients draw a row each, reproducibly by seed; bad names exit 2 naming the field; a small trial runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

pytest.importorskip("lifelines")

from oncoimmune._errors import SpecFileError
from oncoimmune.cli import app
from oncoimmune.trials import runner as R
from oncoimmune.trials.context import TrialContext
from oncoimmune.trials.sample import vpop_draw
from oncoimmune.trials.spec import TrialSpec, load_trial_spec

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "keynote024.toml"

#: three accepted parameter sets of nsclc_tgi_immune, plus an output column as the vpop tool writes it
TABLE = pd.DataFrame({
    "g": [0.004, 0.02, 0.01],
    "k_kill": [0.001, 0.006, 0.003],
    "baseline_volume_mm3": [1.0e3, 2.0e3, 3.0e3],
})


def spec_dict(vpop: dict, horizon_months: float = 4.0) -> dict:
    d = load_trial_spec(SPEC).to_dict()
    d["horizon_months"] = horizon_months
    d["vpop"] = vpop
    return d


@pytest.fixture()
def table(tmp_path) -> Path:
    p = tmp_path / "vpop.parquet"
    TABLE.to_parquet(p, index=False)
    return p


def test_relative_path_is_read_from_the_spec_folder_and_pinned(tmp_path, table):
    (tmp_path / "trial.toml").write_text(
        SPEC.read_text() + '\n[vpop]\npath = "vpop.parquet"\nparameters = ["g", "k_kill"]\n'
    )
    spec = load_trial_spec(tmp_path / "trial.toml")
    assert Path(spec.vpop.path) == table.resolve()
    assert len(spec.vpop.sha256) == 64
    again = TrialSpec.from_toml(spec.to_toml())  # as a shard worker re-reads it, from any folder
    assert again.vpop == spec.vpop


@pytest.mark.parametrize(
    ("vpop", "field", "needle"),
    [
        ({"parameters": ["g", "k_kil"]}, "vpop.parameters[1]", "not a parameter of model"),
        ({"parameters": ["r_rec"]}, "vpop.parameters[0]", "not a column of"),
        ({"parameters": ["g", "g"]}, "vpop.parameters[1]", "listed twice"),
        ({"parameters": []}, "vpop.parameters", "at least 1"),
        ({"parameters": ["g"], "others": "typical"}, "vpop.others", "typical"),
        ({"parameters": ["g"], "sha256": "0" * 64}, "vpop.sha256", "does not match"),
    ],
)
def test_bad_vpop_sections_name_the_field(table, vpop, field, needle):
    with pytest.raises(SpecFileError) as ei:
        TrialSpec.from_dict(spec_dict({"path": str(table), **vpop}))
    assert ei.value.field == field
    assert needle in str(ei.value)


def test_missing_table_and_values_outside_bounds(tmp_path):
    with pytest.raises(SpecFileError, match="does not exist") as ei:
        TrialSpec.from_dict(spec_dict({"path": str(tmp_path / "nope.csv"), "parameters": ["g"]}))
    assert ei.value.field == "vpop.path"
    bad = tmp_path / "bad.csv"
    TABLE.assign(g=[0.004, -1.0, np.nan]).to_csv(bad, index=False)  # g must lie in [0, 0.2]
    with pytest.raises(SpecFileError, match=r"row 1 .* g = -1\.0.*\(2 row\(s\) in all\)") as ei:
        TrialSpec.from_dict(spec_dict({"path": str(bad), "parameters": ["g"]}))
    assert ei.value.field == "vpop.parameters[0]"


def test_cli_exits_2_with_one_line_naming_the_field(tmp_path, table):
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.read_text() + f'\n[vpop]\npath = "{table}"\nparameters = ["k_kill", "growth"]\n')
    r = CliRunner().invoke(app, ["trial", str(bad), "--out", str(tmp_path / "out")])
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.output, r.output
    assert "vpop.parameters[1]" in lines[0] and "'growth'" in lines[0] and str(bad) in lines[0]
    assert not (tmp_path / "out").exists()


def test_rows_are_drawn_per_patient_and_reproducible_by_seed(table):
    spec = TrialSpec.from_dict(spec_dict({"path": str(table), "parameters": ["g", "k_kill"]}))
    ctx = TrialContext.build(spec, 7)
    rows, vals = vpop_draw(ctx, range(200))
    assert set(rows) == {0, 1, 2}
    np.testing.assert_array_equal(vals["g"], TABLE["g"].to_numpy()[rows])
    np.testing.assert_array_equal(vals["k_kill"], TABLE["k_kill"].to_numpy()[rows])
    # a patient's row depends on the seed and their own index only
    again, _ = vpop_draw(TrialContext.build(spec, 7), [150, 3])
    np.testing.assert_array_equal(again, rows[[150, 3]])
    other, _ = vpop_draw(TrialContext.build(spec, 8), range(200))
    assert (other != rows).any()
    pinned = TrialSpec.from_dict(spec_dict({"path": str(table), "parameters": ["g"], "seed": 7}))
    np.testing.assert_array_equal(vpop_draw(TrialContext.build(pinned, 99), range(200))[0], rows)


def test_a_small_trial_takes_its_parameters_from_the_table(tmp_path, table):
    spec = TrialSpec.from_dict(
        spec_dict({"path": str(table), "parameters": ["g", "k_kill"], "others": "nominal"}, horizon_months=3)
    )
    kw = dict(reference=None, figures=False, report=False)
    res = R.run_trial(spec, tmp_path / "run", n_patients=4, seed=3, **kw)
    pts = pd.read_parquet(tmp_path / "run" / "patients.parquet")
    assert len(pts) == 4 and (pts["status"] == "ok").all(), pts[["status", "reason"]]
    for _, p in pts.iterrows():
        row = TABLE.iloc[int(p["vpop_row"])]
        assert p["param_g"] == row["g"] and p["param_k_kill"] == row["k_kill"]
    # others = "nominal": no other parameter is drawn
    drawn = [c for c in pts.columns if c.startswith("param_")]
    assert sorted(drawn) == ["param_g", "param_k_kill"]
    ctx = TrialContext.build(spec, 3)
    rows, _ = vpop_draw(ctx, pts["patient_index"].to_numpy())
    np.testing.assert_array_equal(rows, pts["vpop_row"].to_numpy())
    assert res.summary["n_patients"] == 4
    # the run folder's spec pins the table (absolute path and content hash)
    assert load_trial_spec(tmp_path / "run" / "spec.toml").vpop == spec.vpop
