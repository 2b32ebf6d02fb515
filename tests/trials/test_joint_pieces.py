"""Pieces of the joint calibration that need no simulation: survival statistics and the loss."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("lifelines")

from oncoimmune.trials import joint as J


def test_fast_kaplan_meier_median_matches_lifelines():
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(1)
    t = rng.exponential(10.0, 300)
    e = (rng.random(300) < 0.8).astype(float)
    med, s12 = J._km_median_and_at(t, e, 12.0)
    km = KaplanMeierFitter().fit(t, e)
    assert med == pytest.approx(km.median_survival_time_, rel=1e-9)
    assert s12 == pytest.approx(float(km.survival_function_at_times(12.0).iloc[0]), rel=1e-9)


def test_one_step_hazard_ratio_is_close_to_cox():
    from lifelines import CoxPHFitter
    import pandas as pd

    rng = np.random.default_rng(2)
    t1, t0 = rng.exponential(14.0, 400), rng.exponential(10.0, 400)
    e1, e0 = np.ones(400), np.ones(400)
    hr = J._logrank_hr(t1, e1, t0, e0)
    df = pd.DataFrame({"t": np.r_[t1, t0], "e": np.r_[e1, e0], "g": np.r_[np.ones(400), np.zeros(400)]})
    cox = float(np.exp(CoxPHFitter().fit(df, "t", "e").params_["g"]))
    assert hr == pytest.approx(cox, rel=0.02)


def test_loss_is_zero_at_the_published_figures():
    tg = J.TRIALS["oak"]
    res = {
        "arms": {a: {"orr": tg.orr[a][0], "pfs_median": tg.pfs_median[a], "os_median": tg.os_median[a],
                     "os12": float("nan")} for a in tg.arms},
        "pfs_hr": {"atezolizumab": tg.pfs_hr["atezolizumab"][0]},
        "os_hr": {"atezolizumab": tg.os_hr["atezolizumab"][0]},
        "subgroups": {k: {"os_median": dict(v["os_median"])} for k, v in tg.subgroups.items()},
    }
    for stage in ("chemotherapy", "immunity", "survival"):
        assert J.loss(res, tg, stage) == pytest.approx(0.0, abs=1e-12)
    res["arms"]["docetaxel"]["orr"] += 0.05
    assert J.loss(res, tg, "chemotherapy") > 1.0


def test_partner_potencies_follow_docetaxel():
    th = J.start_theta()
    th["docetaxel_potency"] = 2.0 * J.AGENTS_AT_BUILD["docetaxel"]
    pot = J.potencies(th)
    assert pot["paclitaxel"] == pytest.approx(2.0 * J.AGENTS_AT_BUILD["paclitaxel"])
    assert pot["carboplatin"] == th["carboplatin_potency"]


def test_vectorised_pretreatment_equals_the_library_hook():
    """The calibration's per-theta pre-treatment state (E steady state, k0, clones, line factors) is the hook's."""
    from oncoimmune.library import nsclc_clinical as lib
    from oncoimmune.patients.cohort import run_assays, sample_patient
    from oncoimmune.patients.link import link_patient
    from oncoimmune.trials.runner import _Context

    c = J.JointCohort.build("oak", n=3, seed=11)
    th = J.current_theta()
    P, Y, cm = J._arm_state(c, "docetaxel", th)
    ctx = _Context.build(c.spec, 11)
    from oncoimmune.trials.runner import plan_trial

    for k, p in enumerate(plan_trial(c.spec, 3, 11).patients):
        pt = run_assays(ctx.population, sample_patient(ctx.population, 11, p.index))
        m = lib.pretreatment_state(link_patient(ctx.model, pt, escape_mechanisms=c.spec.model.escape,
                                                coefficients=ctx.coefficients).model, pt)
        for name in ("k0", "f_res", "k_kill", "g", "pdl1_engagement"):
            assert P[k, cm.param_index(name)] == pytest.approx(m.parameter(name).value, rel=1e-9), name
        for s in ("T", "R", "E"):
            assert Y[k, cm.state_index(s)] == pytest.approx(m.state(s).initial, rel=1e-9), s
