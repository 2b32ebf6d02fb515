"""The staged trial runner applies ``[survival]`` (TGI-OS link) and ``[accrual]`` (data cut-off).

Checks: the runner's overall survival equals the joint calibration path's for the same patients
(:mod:`oncoimmune.trials.joint`, which fitted the link); each death is the link's log-normal time
recomputed by hand from the patient's own draw, covariates and recorded growth rate; the data
cut-off censors PFS and OS at ``cutoff - accrual * k / n`` months by enrolment position ``k``;
results do not depend on shards or workers; ``summary.json`` and the provenance say which OS rule
was used; the runner applies the clinical model's line-of-therapy effects (the ``pretreatment_state``
hook receives the patient).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("lifelines")
pytest.importorskip("numba")

from oncoimmune.trials import runner as R
from oncoimmune.trials.recist import DAYS_PER_MONTH
from oncoimmune.trials.spec import TrialSpec, load_trial_spec

REPO = Path(__file__).resolve().parents[2]
OAK = REPO / "examples" / "oak.toml"
SEED = 3
#: enrolment over 5 months, cut-off at 9: patient k of n is followed for 9 - 5 k / n months (< horizon 10)
ACCRUAL = {"months": 5.0, "cutoff_months": 9.0}


def oak_small(horizon_months: float = 10.0, accrual: dict | None = ACCRUAL) -> TrialSpec:
    d = load_trial_spec(OAK).to_dict()
    d["horizon_months"] = horizon_months
    if accrual is None:
        d.pop("accrual", None)
    else:
        d["accrual"] = dict(accrual)
    return TrialSpec.from_dict(d)


def run(tmp_path: Path, name: str, spec: TrialSpec, **kw) -> R.TrialResult:
    kw.setdefault("n_patients", 12)
    kw.setdefault("seed", SEED)
    kw.setdefault("reference", None)
    kw.setdefault("figures", False)
    kw.setdefault("report", False)
    return R.run_trial(spec, tmp_path / name, **kw)


@pytest.fixture(scope="module")
def oak_run(tmp_path_factory):
    return run(tmp_path_factory.mktemp("oak"), "run", oak_small())


def test_os_equals_the_joint_calibration_path_for_the_same_patients(oak_run):
    """Same patients, arms, trajectories (to solver tolerance) and rules: same endpoints as joint.evaluate."""
    from oncoimmune.trials import joint as J

    spec = oak_small()
    cohort = J.JointCohort.from_spec(spec, n=12, seed=SEED, only_assigned=True)
    res = J.evaluate(cohort, J.current_theta(), randomised=True, tables=True)
    joint = pd.concat(res["tables"].values()).set_index("_row").sort_index()
    mine = oak_run.endpoints.set_index("patient_id").sort_index()
    assert list(joint.index) == list(mine.index) and list(joint["arm"]) == list(mine["arm"])
    for col in ("best_overall_response", "pfs_event", "os_event"):
        assert list(joint[col]) == list(mine[col]), col
    for col in ("pfs_months", "os_months", "kg_per_day"):
        np.testing.assert_allclose(mine[col].to_numpy(float), joint[col].to_numpy(float), rtol=1e-4, atol=1e-9,
                                   err_msg=col)
    assert mine["os_event"].sum() >= 1  # the comparison saw deaths


def test_each_death_is_the_link_draw_of_the_patient(oak_run):
    """Independent of the runner's code path: exp(mu + sigma z) months from the patient's own stream."""
    from oncoimmune.patients.cohort import patient_rng
    from oncoimmune.trials.survival_link import CALIBRATED_LINK as L

    p = oak_run.patients.set_index("patient_id").sort_index()
    e = oak_run.endpoints.set_index("patient_id").sort_index()
    assert set(p.loc[e["os_event"] == 1, "death_cause"]) == {"tgi_os"}
    checked = 0
    for pid, row in p.iterrows():
        z = patient_rng(SEED, int(row["patient_index"]), "events", "survival").standard_normal()
        mu = (L.intercept + L.beta_kg * math.log(max(row["kg_per_day"], 2e-4) / 0.01) + L.beta_ecog * row["ecog"]
              + L.beta_line * 1.0  # every OAK patient was previously treated (prior_lines = 1)
              + L.beta_squamous * (row["histology"] == "squamous")
              + L.beta_sld * math.log(max(row["baseline_sld_mm"], 1.0) / 90.0))
        os_days = math.exp(mu + L.sigma * z) * DAYS_PER_MONTH
        if e.loc[pid, "os_event"] == 1:
            assert e.loc[pid, "os_months"] * DAYS_PER_MONTH == pytest.approx(os_days, rel=1e-9)
            checked += 1
        else:  # alive at the last contact: the link's death comes later
            assert os_days > e.loc[pid, "os_months"] * DAYS_PER_MONTH - 1e-9
    assert checked >= 1


def test_the_data_cutoff_censors_pfs_and_os_by_enrolment_order(oak_run):
    e = oak_run.endpoints.set_index("patient_id").sort_index()
    n = len(e)
    k = np.arange(n)
    want = ACCRUAL["cutoff_months"] - ACCRUAL["months"] * k / n
    np.testing.assert_allclose(e["follow_up_months"].to_numpy(float), want, rtol=1e-12)
    assert (e["os_months"] <= e["follow_up_months"] + 1e-9).all()
    assert (e["pfs_months"] <= e["follow_up_months"] + 1e-9).all()
    p = oak_run.patients.set_index("patient_id").sort_index()
    alive = (e["os_event"] == 0) & p["dropout_day"].isna()
    assert alive.sum() >= 1
    # alive and not lost: censored exactly at the cut-off, which comes before the 10-month horizon
    np.testing.assert_allclose(e.loc[alive, "os_months"], e.loc[alive, "follow_up_months"], rtol=1e-12)
    assert (e.loc[alive, "os_months"] < 10.0 - 1e-6).all()
    # no scan after the cut-off is used
    from oncoimmune.trials.store import TrialStore

    frame = TrialStore(oak_run.out).read_shards().set_index("patient_id").sort_index()
    scans = np.array((0.0, *oak_small().assessment_days())) / DAYS_PER_MONTH
    for pid, sums in frame["sld_mm"].items():
        after = scans > e.loc[pid, "follow_up_months"] + 1e-9
        assert np.isnan(np.asarray(sums, dtype=float)[after]).all()


def test_without_accrual_everyone_is_followed_to_the_horizon(tmp_path):
    r = run(tmp_path, "noacc", oak_small(horizon_months=4.0, accrual=None), n_patients=4)
    np.testing.assert_allclose(r.endpoints["follow_up_months"], 4.0)
    assert r.summary["outcome_rules"]["accrual"] is None


def test_survival_results_do_not_depend_on_shards_or_workers(tmp_path, oak_run):
    b = run(tmp_path, "b", oak_small(), shard_size=5, workers=2)
    pd.testing.assert_frame_equal(oak_run.endpoints.reset_index(drop=True), b.endpoints.reset_index(drop=True),
                                  check_exact=True)


def test_summary_and_provenance_name_the_os_rule(oak_run, tmp_path):
    rules = oak_run.summary["outcome_rules"]
    assert rules["overall_survival"]["rule"] == "tgi_os"
    assert rules["overall_survival"]["coefficients"]["sigma"] > 0
    assert rules["accrual"]["cutoff_months"] == 9.0 and rules["accrual"]["follow_up_months"][1] == 9.0
    spec = oak_small()
    plan = R.plan_trial(spec, 12, SEED)
    prov = R.provenance(spec, plan, oak_run.summary, None, oak_run.endpoints, None)
    assert prov["overall survival"].startswith("TGI-OS link") and "cut-off 9" in prov["administrative censoring"]
    # a lethal-burden spec says so
    kn = load_trial_spec(REPO / "examples" / "keynote024.toml")
    r = R.outcome_rules(kn)
    assert r["overall_survival"]["rule"] == kn.death.rule and r["accrual"] is None


def test_published_figures_of_the_joint_trials_are_compared(oak_run):
    assert oak_run.summary["published"] == "OAK"
    figs = {(row["figure"], row["arm"]) for row in oak_run.summary["comparison"]}
    assert ("median OS", "atezolizumab") in figs and ("OS HR", "atezolizumab") in figs


def test_the_runner_applies_the_line_of_therapy_effects():
    """nsclc_clinical's pretreatment_state needs the patient: k_kill * k_line and f_res * m_line after a line."""
    from oncoimmune.library import nsclc_clinical as lib
    from oncoimmune.patients.link import link_patient
    from oncoimmune.trials.context import context_for
    from oncoimmune.trials.sample import sample_patient

    spec = oak_small()
    ctx = context_for(spec.to_toml(), SEED)
    pp = R.plan_trial(spec, 1, SEED).patients[0]
    sp = sample_patient(ctx, pp)
    assert sp.patient.prior_lines >= 1
    lp = link_patient(ctx.model, sp.patient, escape_mechanisms=spec.model.escape, coefficients=ctx.coefficients)
    m = lp.model
    assert sp.model.parameter("k_kill").value == pytest.approx(
        m.parameter("k_kill").value * m.parameter("k_line").value, rel=1e-12)
    assert sp.model.parameter("f_res").value == pytest.approx(
        min(1.0, m.parameter("f_res").value * m.parameter("m_line").value), rel=1e-12)
    assert lib.line_factor_applies(sp.patient)


def test_one_step_hazard_ratio_matches_its_definition_with_ties():
    """The vectorised Pike/Peto estimate equals the sum over distinct event times written out (ties, censoring,
    an infinite censoring time); a NaN time is neither at risk nor an event."""
    import math

    from oncoimmune.trials.joint import _logrank_hr

    def by_definition(t1, e1, t0, e0):
        t, e = np.concatenate([t1, t0]), np.concatenate([e1, e0])
        g = np.concatenate([np.ones_like(t1), np.zeros_like(t0)])
        o_e = v = 0.0
        for u in np.unique(t[e > 0]):
            at = t >= u
            n, n1 = at.sum(), (at & (g == 1)).sum()
            d = (t == u) & (e > 0)
            o_e += d[g == 1].sum() - d.sum() * n1 / n
            if n > 1:
                v += d.sum() * (n1 / n) * (1 - n1 / n) * (n - d.sum()) / (n - 1)
        return math.exp(o_e / v)

    rng = np.random.default_rng(7)
    for _ in range(50):
        n1, n0 = rng.integers(2, 40, 2)
        t1, t0 = np.round(rng.exponential(5, n1)), np.round(rng.exponential(7, n0), 1)  # many ties
        e1, e0 = (rng.random(n1) < 0.7).astype(float), (rng.random(n0) < 0.7).astype(float)
        e1[0] = e0[0] = 1.0
        t0[-1], e0[-1] = np.inf, 0.0
        assert _logrank_hr(t1, e1, t0, e0) == pytest.approx(by_definition(t1, e1, t0, e0), rel=1e-12)
    with_nan = _logrank_hr(np.append(t1, np.nan), np.append(e1, 1.0), t0, e0)
    assert with_nan == pytest.approx(by_definition(t1, e1, t0, e0), rel=1e-12)
