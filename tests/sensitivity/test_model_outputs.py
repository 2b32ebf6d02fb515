"""Sensitivity over model outputs on the batched engine: the vectorised output agrees with the reference
engine, a large Sobol design is one cohort run, and the indices are reproducible."""

import numpy as np
import pytest

pytest.importorskip("numba")

from oncoimmune import simulate  # noqa: E402
from oncoimmune.library import get_model  # noqa: E402
from oncoimmune.sensitivity import model_output, sobol  # noqa: E402
from oncoimmune._errors import UnknownNameError  # noqa: E402


@pytest.fixture(scope="module")
def kuz():
    return get_model("kuznetsov1994")


def test_batched_output_matches_reference_engine(kuz):
    f = model_output(kuz, ["n", "T"], "T", days=150, rtol=1e-8, atol=1e-8)
    X = np.array([[1.101e-7, 1e6], [0.6e-7, 3e6], [1.8e-7, 2e5]])
    y = f(X)
    for row, v in zip(X, y):
        ds = simulate(kuz, 150, parameters={"n": row[0]}, initial={"T": row[1]})
        assert v == pytest.approx(float(ds.T[-1]), rel=1e-4)


def test_observable_min_and_mean_statistics(kuz):
    X = np.array([[1e6], [5e6]])
    ds = simulate(kuz, 100, initial={"T": 1e6}, saveat=np.linspace(0, 100, 201))
    d = model_output(kuz, ["T"], "tumour_diameter", days=100, statistic="max", rtol=1e-8, atol=1e-8)(X)
    assert d[0] == pytest.approx(float(ds.tumour_diameter.max()), rel=1e-3)
    m = model_output(kuz, ["T"], "T", days=100, statistic="mean", rtol=1e-8, atol=1e-8)(X)
    assert m[0] == pytest.approx(float(np.trapezoid(ds.T, ds.time) / 100), rel=1e-3)


def test_sobol_over_model_output_many_evaluations(kuz):
    p = kuz.compile().p0
    bounds = {"n": (0.5 * 1.101e-7, 2 * 1.101e-7), "a": (0.1, 0.3), "s": (0.5 * p[0], 2 * p[0]), "T": (1e5, 1e7)}
    f = model_output(kuz, list(bounds), "T", days=300, log10=True, points=11)
    res = sobol(f, bounds, n=2048, seed=0, log={"T"})
    assert res.n_evaluations == 2048 * 6
    assert res.seconds < 30  # one batched cohort run (about 0.5 s on an idle core)
    # the immune parameters dominate the initial tumour size at day 300 (Kuznetsov's dormant/escape switch)
    assert res["ST"]["n"] > res["ST"]["T"] and res["ST"]["a"] > res["ST"]["T"]
    assert sum(res["S1"].values()) <= 1.0 + 0.1


def test_unknown_names_are_refused(kuz):
    with pytest.raises(UnknownNameError, match="valid choices"):
        model_output(kuz, ["q"], "T", days=10)
    with pytest.raises(UnknownNameError, match="output"):
        model_output(kuz, ["n"], "X", days=10)
