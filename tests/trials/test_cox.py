"""The counts-based Cox fit against lifelines' CoxPHFitter (the oracle) and hand-worked cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from oncoimmune.analysis.cox import fit_arm_cox


def _data(rng, g, n, ties):
    ds, es = [], []
    for j in range(g):
        t = rng.exponential(10.0 / (1.0 + 0.4 * j), n)
        if ties:  # scan-day-like ties
            t = np.ceil(t * 2.0) / 2.0
        c = rng.uniform(0.0, 20.0, n)
        ds.append(np.minimum(t, c))
        es.append(t <= c)
    return ds, es


@pytest.mark.parametrize(("g", "n", "ties"), [(2, 300, True), (2, 150, False), (3, 400, True), (4, 250, True)])
def test_matches_lifelines(g, n, ties):
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(100 * g + n)
    ds, es = _data(rng, g, n, ties)
    fit = fit_arm_cox(ds, es)
    df = pd.DataFrame({"t": np.concatenate(ds), "e": np.concatenate(es)})
    for j in range(1, g):
        df[f"a{j}"] = np.concatenate([np.full(n, float(i == j)) for i in range(g)])
    ref = lifelines.CoxPHFitter().fit(df, "t", "e", fit_options={"precision": 1e-12, "r_precision": 1e-15})
    assert fit.converged
    np.testing.assert_allclose(fit.coef, ref.params_.to_numpy(), atol=1e-7)
    np.testing.assert_allclose(fit.se, ref.standard_errors_.to_numpy(), rtol=1e-7)
    assert fit.log_likelihood == pytest.approx(ref.log_likelihood_, abs=1e-6)


def test_separated_data_does_not_converge():
    # the reference patient dies first with both at risk, the other later alone: L(b) = 1 / (1 + e^b)
    # grows without bound as b -> -inf, so there is no finite estimate
    fit = fit_arm_cox([np.array([1.0]), np.array([2.0])], [np.array([True]), np.array([True])])
    assert not fit.converged


def test_identical_arms_give_hr_one():
    t = np.array([1.0, 2.0, 2.0, 3.0, 5.0, 8.0])
    e = np.array([True, True, False, True, True, False])
    fit = fit_arm_cox([t, t], [e, e])
    assert fit.converged
    assert fit.coef[0] == pytest.approx(0.0, abs=1e-12)


def test_exponential_hazard_ratio_recovered():
    rng = np.random.default_rng(7)
    n = 200_000
    ds = [rng.exponential(10.0, n), rng.exponential(10.0 / 0.7, n)]  # true HR 0.7
    fit = fit_arm_cox(ds, [np.ones(n, bool), np.ones(n, bool)])
    assert np.exp(fit.coef[0]) == pytest.approx(0.7, abs=4 * 0.7 * fit.se[0])


def test_rejects_one_group():
    with pytest.raises(ValueError, match="groups"):
        fit_arm_cox([np.ones(3)], [np.ones(3, bool)])
