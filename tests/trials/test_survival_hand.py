"""Kaplan-Meier, log-rank and Cox against hand-worked examples and against lifelines called directly.

Hand examples
-------------
KM, six patients, times 1, 2, 2+, 3, 4+, 5 (+ = censored):
S(1) = 5/6; S(2) = 5/6 * 4/5 = 2/3 (the patient censored at 2 is at risk at 2);
S(3) = 2/3 * 2/3 = 4/9; S(5) = 0. Median = 3 (first time S <= 1/2).
Greenwood: Var[log S(3)] = 1/(6*5) + 1/(5*4) + 1/(3*2) = 1/4.

Log-rank, A = {1, 3}, B = {2, 4}, all events: at t = 1, 2, 3, 4 the risk sets
are (2, 2), (1, 2), (1, 1), (0, 1); E_A = 1/2 + 1/3 + 1/2 + 0 = 4/3, O_A = 2,
V = 1/4 + 2/9 + 1/4 = 13/18, chi2 = (2/3)^2 / (13/18) = 8/13.

Cox, same data, x = 1 for B, u = exp(beta): the score equation
1 - 2u/(1+u) - 2u/(1+2u) = 0 reduces to 4u^2 + u - 1 = 0, so
HR = u = (sqrt(17) - 1) / 8 = 0.390388; information
I = 2u/(1+u)^2 + 2u/(1+2u)^2, Wald CI exp(beta +/- 1.96/sqrt(I)).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

lifelines = pytest.importorskip("lifelines")

from oncoimmune.analysis import hazard_ratios, kaplan_meier, km_by_arm, logrank, survival_summary
from oncoimmune.trials import TrialDataError

T6 = [1, 2, 2, 3, 4, 5]
E6 = [1, 1, 0, 1, 0, 1]


def test_km_six_patients_by_hand():
    km = kaplan_meier(T6, E6, label="six")
    np.testing.assert_allclose(
        km.survival_at([0, 0.5, 1, 1.5, 2, 2.9, 3, 4, 4.9, 5, 9]),
        [1, 1, 5 / 6, 5 / 6, 2 / 3, 2 / 3, 4 / 9, 4 / 9, 4 / 9, 0, 0],
    )
    assert km.median == 3.0
    assert (km.n, km.events) == (6, 4)
    assert km.at_risk([0, 1, 2, 2.5, 3, 4, 5, 6]).tolist() == [6, 6, 5, 3, 3, 2, 1, 0]
    row = km.table.set_index("time").loc[2.0]
    assert (row["at_risk"], row["events"], row["censored"]) == (5, 1, 1)


def test_km_confidence_interval_by_hand_loglog():
    """Log(-log) interval at t = 3: S^exp(+/- z * sqrt(V) / |log S|), V = sum d/(n(n-d)) = 1/4."""
    km = kaplan_meier(T6, E6)
    s = 4 / 9
    v = 1 / 30 + 1 / 20 + 1 / 6
    z = norm.ppf(0.975)
    half = z * math.sqrt(v) / abs(math.log(s))
    lo, hi = s ** math.exp(half), s ** math.exp(-half)
    row = km.table.set_index("time").loc[3.0]
    assert row["lower"] == pytest.approx(lo, rel=1e-6)
    assert row["upper"] == pytest.approx(hi, rel=1e-6)


def _two(a, b, ea=None, eb=None):
    ea = [1] * len(a) if ea is None else ea
    eb = [1] * len(b) if eb is None else eb
    return pd.DataFrame(
        {"arm": ["A"] * len(a) + ["B"] * len(b), "t": list(a) + list(b), "e": list(ea) + list(eb)}
    )


def test_logrank_by_hand():
    lr = logrank(_two([1, 3], [2, 4]), time="t", event="e")
    assert lr.statistic == pytest.approx(8 / 13, rel=1e-12)
    assert lr.df == 1
    assert lr.p_value == pytest.approx(1 - __import__("scipy").stats.chi2.cdf(8 / 13, 1), rel=1e-9)


def test_cox_by_hand():
    hr = hazard_ratios(_two([1, 3], [2, 4]), time="t", event="e", reference="A")
    u = (math.sqrt(17) - 1) / 8
    info = 2 * u / (1 + u) ** 2 + 2 * u / (1 + 2 * u) ** 2
    se = 1 / math.sqrt(info)
    z = norm.ppf(0.975)
    assert hr.loc["B", "hr"] == pytest.approx(u, rel=1e-8)
    assert hr.loc["B", "hr_lo"] == pytest.approx(math.exp(math.log(u) - z * se), rel=1e-5)
    assert hr.loc["B", "hr_hi"] == pytest.approx(math.exp(math.log(u) + z * se), rel=1e-5)
    # reference swapped: the reciprocal
    hr2 = hazard_ratios(_two([1, 3], [2, 4]), time="t", event="e", reference="B")
    assert hr2.loc["A", "hr"] == pytest.approx(1 / u, rel=1e-8)


@pytest.fixture(scope="module")
def random_trial():
    rng = np.random.default_rng(7)
    n = 120
    arm = np.repeat(["ctl", "exp", "exp2"], n)
    scale = np.repeat([6.0, 10.0, 8.0], n)
    t_ev = rng.exponential(scale)
    t_c = rng.uniform(2, 24, 3 * n)
    return pd.DataFrame(
        {"arm": arm, "pfs_months": np.round(np.minimum(t_ev, t_c), 1), "pfs_event": (t_ev <= t_c).astype(int)}
    )


def test_against_lifelines_directly(random_trial):
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test, multivariate_logrank_test
    from lifelines.utils import median_survival_times

    df = random_trial
    fits = km_by_arm(df, order=["ctl"])
    assert list(fits) == ["ctl", "exp", "exp2"]
    for a, f in fits.items():
        g = df[df.arm == a]
        k = KaplanMeierFitter().fit(g.pfs_months, g.pfs_event)
        assert f.median == k.median_survival_time_
        ci = median_survival_times(k.confidence_interval_)
        assert f.median_ci == (ci.iloc[0, 0], ci.iloc[0, 1])
        np.testing.assert_allclose(f.table["survival"], k.survival_function_.iloc[:, 0])

    two = df[df.arm != "exp2"]
    lr = logrank(two)
    ref = logrank_test(
        two.pfs_months[two.arm == "ctl"],
        two.pfs_months[two.arm == "exp"],
        two.pfs_event[two.arm == "ctl"],
        two.pfs_event[two.arm == "exp"],
    )
    assert lr.p_value == pytest.approx(ref.p_value, rel=1e-12)
    lr3 = logrank(df)
    assert lr3.df == 2
    assert lr3.p_value == pytest.approx(
        multivariate_logrank_test(df.pfs_months, df.arm, df.pfs_event).p_value
    )

    hr = hazard_ratios(df, reference="ctl")
    x = pd.DataFrame(
        {
            "t": df.pfs_months,
            "e": df.pfs_event,
            "exp": (df.arm == "exp") * 1.0,
            "exp2": (df.arm == "exp2") * 1.0,
        }
    )
    cph = CoxPHFitter().fit(x, "t", "e")
    c = cph.summary
    # lifelines stops with a gradient of about 1e-5 left here (its Newton step is ~1e-7 from the maximum);
    # hazard_ratios solves the same Efron likelihood to a 1e-12 step, so they agree to ~1e-7, and ours is
    # the maximum (log-likelihood at least lifelines')
    for a in ("exp", "exp2"):
        assert hr.loc[a, "hr"] == pytest.approx(c.loc[a, "exp(coef)"], rel=1e-6)
        assert hr.loc[a, "hr_lo"] == pytest.approx(c.loc[a, "exp(coef) lower 95%"], rel=1e-6)
        assert hr.loc[a, "reference"] == "ctl"


def test_survival_summary_columns(random_trial):
    s = survival_summary(random_trial, at=[0, 6, 12], order=["ctl"])
    assert list(s.index) == ["ctl", "exp", "exp2"]
    assert s.loc["ctl", "at_risk_0"] == 120
    assert {"median", "median_lo", "median_hi", "surv_6", "at_risk_12"} <= set(s.columns)


def test_errors():
    df = _two([1, 3], [2, 4])
    with pytest.raises(TrialDataError, match="no column 'pfs_months'"):
        hazard_ratios(df)
    with pytest.raises(TrialDataError, match="arm 'C' is not in column 'arm'"):
        hazard_ratios(df, time="t", event="e", reference="C")
    with pytest.raises(TrialDataError, match="no events"):
        hazard_ratios(_two([1, 3], [2, 4], eb=[0, 0]), time="t", event="e", reference="A")
    with pytest.raises(TrialDataError, match="events must be 0 or 1"):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(TrialDataError, match="finite and >= 0"):
        kaplan_meier([1, -2], [1, 1])
    with pytest.raises(TrialDataError, match="at least two arms"):
        logrank(df[df.arm == "A"], time="t", event="e")


def test_km_max_distance_by_hand():
    """S_a: 1 -> 0.5 at t = 1 -> 0 at t = 3 (followed to 3); S_b: 1 -> 0.75 at t = 2 -> 0.5 at t = 4.
    Up to the shorter follow-up (3), |S_a - S_b| is 0.5 on [1, 2), 0.25 on [2, 3) and 0.75 at 3."""
    from oncoimmune.analysis import kaplan_meier, km_max_distance

    a = kaplan_meier([1, 1, 3, 3], [1, 1, 1, 1])
    b = kaplan_meier([2, 4, 4, 4], [1, 1, 0, 0])
    assert b.survival_at([2.0, 4.0]) == pytest.approx([0.75, 0.5])
    d, t = km_max_distance(a, b)
    assert d == pytest.approx(0.75) and t == 3.0
    # the horizon is the shorter follow-up (a ends at 3), and `until` cuts it further
    assert km_max_distance(a, b, until=2.5) == pytest.approx((0.5, 1.0))
    assert km_max_distance(b, a) == pytest.approx((0.75, 3.0))
    assert km_max_distance(a, a) == (0.0, 0.0)
    with pytest.raises(ValueError, match="until"):
        km_max_distance(a, b, until=-1.0)


def test_compare_to_trial_reports_the_km_distance_of_each_arm():
    from oncoimmune.analysis import compare_to_trial, kaplan_meier, km_max_distance

    rng = np.random.default_rng(4)
    virtual = pd.DataFrame({"arm": np.repeat(["ctl", "trt"], 80), "pfs_months": rng.exponential(6.0, 160),
                            "pfs_event": (rng.random(160) < 0.8).astype(int)})
    real = pd.DataFrame({"arm": np.repeat(["ctl", "trt"], 60), "time": rng.exponential(8.0, 120),
                         "event": (rng.random(120) < 0.8).astype(int)})
    comp = compare_to_trial(virtual, real, reference="ctl")
    for arm in ("ctl", "trt"):
        v, r = virtual[virtual.arm == arm], real[real.arm == arm]
        want = km_max_distance(kaplan_meier(v.pfs_months, v.pfs_event), kaplan_meier(r.time, r.event))
        got = comp.virtual_vs_real.loc[arm, ["km_max_distance", "km_max_distance_at"]].to_numpy(dtype=float)
        assert got == pytest.approx(want)
        assert 0.0 <= got[0] <= 1.0
