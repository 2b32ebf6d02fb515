"""Virtual populations (Allen/Rieger 2016): plausible patients, acceptance to match a target, seeds."""

import numpy as np
import pandas as pd
import pytest

from oncoimmune.fit.vpop import VpopError, plausible_population, select_vpop

BOUNDS = {"a": (0.0, 10.0), "b": (0.0, 10.0)}


def model(X):
    return np.column_stack([X[:, 0] + 0.2 * X[:, 1], X[:, 1]])


@pytest.fixture(scope="module")
def target():
    rng = np.random.default_rng(7)
    return pd.DataFrame({"y1": rng.normal(4.0, 0.8, 300), "y2": rng.normal(6.0, 1.0, 300)})


def test_plausible_population_applies_ranges():
    pp = plausible_population(model, BOUNDS, ("y1", "y2"), {"y1": (1.0, 9.0)}, 1024, seed=3)
    assert pp.X.shape == (1024, 2) and pp.plausible.sum() < 1024
    assert np.all((pp.Yp[:, 0] >= 1.0) & (pp.Yp[:, 0] <= 9.0))


def test_selection_matches_the_target_and_beats_the_plausible_population(target):
    pp = plausible_population(model, BOUNDS, ("y1", "y2"), {}, 8192, seed=1)
    vp = select_vpop(pp, target, seed=2, min_size=200)
    gof = vp.goodness_of_fit()
    assert len(vp.X) >= 200
    # the plausible (uniform) population is far from the target; the selected one is not rejected by K-S
    assert (gof["p_plausible"] < 1e-10).all()
    assert (gof["p_vpop"] > 0.01).all()
    assert abs(np.mean(vp.Y[:, 0]) - 4.0) < 0.25 and abs(np.mean(vp.Y[:, 1]) - 6.0) < 0.25


def test_seeds_reproduce(target):
    pp = plausible_population(model, BOUNDS, ("y1", "y2"), {}, 2048, seed=1)
    a = select_vpop(pp, target, seed=5, min_size=50)
    b = select_vpop(pp, target, seed=5, min_size=50)
    c = select_vpop(pp, target, seed=6, min_size=50)
    assert np.array_equal(a.X, b.X) and a.beta == b.beta
    assert not np.array_equal(a.X, c.X)


def test_bad_input(target):
    with pytest.raises(VpopError, match="lo < hi"):
        plausible_population(model, {"a": (1.0, 0.0)}, ("y1",), {}, 16)
    with pytest.raises(VpopError, match="not in outputs"):
        plausible_population(model, BOUNDS, ("y1", "y2"), {"y3": (0, 1)}, 16)
    pp = plausible_population(model, BOUNDS, ("y1", "y2"), {}, 512, seed=1)
    with pytest.raises(VpopError, match="lacks output"):
        select_vpop(pp, target.rename(columns={"y2": "z"}))
    with pytest.raises(VpopError, match="no scaling factor"):
        select_vpop(pp, target, min_size=10_000)
