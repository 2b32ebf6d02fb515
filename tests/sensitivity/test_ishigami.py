"""Sobol indices of the Ishigami function through the same pipeline as model outputs, against the analytic values.

Analytic indices: Sobol & Levitan (1999), Comput Phys Commun 117:52-61; Saltelli et al. (2008), Global
Sensitivity Analysis: The Primer, section 4.8 (S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437).
"""

import math

import pytest

from oncoimmune.sensitivity import sobol
from oncoimmune.sensitivity.test_functions import ISHIGAMI_BOUNDS, ishigami, ishigami_indices


def test_analytic_indices_are_the_published_values():
    ref = ishigami_indices()
    assert ref["S1"]["x1"] == pytest.approx(0.3139, abs=1e-4)
    assert ref["S1"]["x2"] == pytest.approx(0.4424, abs=1e-4)
    assert ref["ST"]["x1"] == pytest.approx(0.5576, abs=1e-4)
    assert ref["ST"]["x3"] == pytest.approx(0.2437, abs=1e-4)


@pytest.mark.parametrize("seed", [1, 2])
def test_sobol_recovers_ishigami_within_its_intervals(seed):
    res = sobol(ishigami, ISHIGAMI_BOUNDS, n=8192, seed=seed)
    ref = ishigami_indices()
    assert res.n_evaluations == 8192 * 5
    for key in ("S1", "ST"):
        for name in ("x1", "x2", "x3"):
            est, half = res[key][name], res[f"{key}_conf"][name]
            # the bootstrap interval covers the truth (3 half-widths: two seeds x six indices) and is tight
            assert abs(est - ref[key][name]) < 3 * half, (key, name, est, half)
            assert half < 0.05
    assert res["ST"]["x3"] > 0.2 and abs(res["S1"]["x3"]) < 0.03  # x3 acts only through its interaction


def test_same_seed_same_indices_other_seed_differs():
    a = sobol(ishigami, ISHIGAMI_BOUNDS, n=256, seed=5)
    b = sobol(ishigami, ISHIGAMI_BOUNDS, n=256, seed=5)
    c = sobol(ishigami, ISHIGAMI_BOUNDS, n=256, seed=6)
    assert a["ST"] == b["ST"] and a["S1_conf"] == b["S1_conf"]
    assert a["ST"] != c["ST"]


def test_mapping_interface_and_table():
    res = sobol(ishigami, ISHIGAMI_BOUNDS, n=64, seed=0)
    assert set(res) == {"S1", "S1_conf", "ST", "ST_conf"}
    assert set(res["S1"]) == {"x1", "x2", "x3"}
    tab = res.table()
    assert list(tab.index) == ["x1", "x2", "x3"]
    assert math.isfinite(res.to_dict()["indices"]["ST"]["x2"])
