"""Morris and PRCC on functions whose answers are known in closed form; input checks."""

import numpy as np
import pytest

from oncoimmune._errors import UnknownNameError
from oncoimmune.sensitivity import SensitivityError, morris, prcc, run, sobol

BOUNDS = {"a": (0.0, 1.0), "b": (0.0, 2.0), "c": (0.0, 1.0)}


def linear(X):
    return 3.0 * X[:, 0] - 1.0 * X[:, 1] + 0.0 * X[:, 2]


def test_morris_elementary_effects_of_a_linear_function_are_its_slopes_times_range():
    res = morris(linear, BOUNDS, n=10, seed=3)
    # SALib scales effects to the unit cube: EE_i = slope_i * (hi - lo); sigma = 0 for a linear function
    assert res["mu"]["a"] == pytest.approx(3.0)
    assert res["mu"]["b"] == pytest.approx(-2.0)
    assert res["mu_star"]["c"] == pytest.approx(0.0, abs=1e-12)
    assert max(res["sigma"].values()) < 1e-9
    assert res.n_evaluations == 10 * 4


def test_prcc_sign_and_null_factor():
    res = prcc(lambda X: np.exp(2 * X[:, 0]) - X[:, 1] ** 3, BOUNDS, n=400, seed=1)
    # monotone but non-linear in the ranks: |PRCC| high but below 1
    assert res["PRCC"]["a"] > 0.8 and res["PRCC"]["b"] < -0.8
    assert res["PRCC_lo"]["c"] < 0 < res["PRCC_hi"]["c"]
    assert res["p"]["a"] < 1e-10 and res["p"]["c"] > 0.001


def test_prcc_removes_the_effect_of_correlated_outputs_of_other_factors():
    # y = rank-monotone in a + b; PRCC of each is near 1 although the raw correlation is not
    res = prcc(lambda X: X[:, 0] + X[:, 1], {"a": (0, 1), "b": (0, 1)}, n=500, seed=2)
    assert res["PRCC"]["a"] > 0.95 and res["PRCC"]["b"] > 0.95


def test_log_factor_is_sampled_in_log_space():
    res = prcc(lambda X: np.log(X[:, 0]), {"k": (1e-4, 1.0)}, n=2000, seed=0, log={"k"})
    logs = np.log10(res.X[:, 0])
    assert abs(np.mean(logs < -2) - 0.5) < 0.02  # half the sample below the geometric middle


@pytest.mark.parametrize(
    "bounds, msg",
    [({"a": (1.0, 0.0)}, "lo < hi"), ({"a": (0.0, np.nan)}, "finite"), ({}, "non-empty"), ({"a": "x"}, "pair")],
)
def test_bad_bounds_name_the_factor(bounds, msg):
    with pytest.raises(SensitivityError, match=msg):
        sobol(linear, bounds, n=8)


def test_bad_outputs_are_refused_with_the_row():
    with pytest.raises(SensitivityError, match="row 0"):
        prcc(lambda X: np.full(X.shape[0], np.nan), BOUNDS, n=20)
    with pytest.raises(SensitivityError, match="one value per row"):
        prcc(lambda X: X, BOUNDS, n=20)
    with pytest.raises(SensitivityError, match="power of two"):
        sobol(linear, BOUNDS, n=100)
    with pytest.raises(SensitivityError, match="log scale"):
        sobol(linear, BOUNDS, n=8, log={"a"})
    with pytest.raises(UnknownNameError):
        run("fast", linear, BOUNDS, 8)
