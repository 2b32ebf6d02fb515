"""Trial designs in the spec (prior-lines mix, histology inclusion, region / PD-L1 / SP142 strata) and the
calibration's Cox hazard ratio (oncoimmune.trials.joint.cox_hr) against lifelines."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from oncoimmune._errors import SpecFileError
from oncoimmune.trials.plan import plan_trial, stratum_of
from oncoimmune.trials.spec import TrialSpec, load_trial_spec

REPO = Path(__file__).resolve().parents[2]


def _oak_dict():
    return load_trial_spec(REPO / "examples" / "oak.toml").to_dict()


def test_oak_example_has_the_published_prior_lines_mix():
    spec = load_trial_spec(REPO / "examples" / "oak.toml")
    assert spec.population.prior_lines == {"1": 0.75, "2": 0.25}  # Rittmeyer 2017 Table 1: 640 / 210 of 850
    plan = plan_trial(spec, 400, 1)
    lines = Counter(p.stratum.split("prior_lines=")[1].split("|")[0] for p in plan.patients)
    assert lines["2"] / 400 == pytest.approx(0.25, abs=0.07)


def test_prior_lines_table_from_toml_text():
    text = (REPO / "examples" / "oak.toml").read_text()
    spec = TrialSpec.from_toml(text)
    again = TrialSpec.from_toml(spec.to_toml())
    assert again.population.prior_lines == spec.population.prior_lines


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d["population"].update(prior_lines={"one": 1.0}), "population.prior_lines.one"),
        (lambda d: d["population"].update(prior_lines={"1": -1.0}), "population.prior_lines.1"),
        (lambda d: d["population"].update(prior_lines="two"), "population.prior_lines"),
        (lambda d: d["population"].update(regions={"asia": "many"}), "population.regions.asia"),
        (lambda d: d["population"]["inclusion"].update(histology=["small-cell"]),
         "population.inclusion.histology[0]"),
        (lambda d: d["randomisation"].update(stratify=["histology", "continent"]), "randomisation.stratify[1]"),
        (lambda d: d["randomisation"].update(stratify=["region", "region"]), "randomisation.stratify[1]"),
    ],
)
def test_bad_design_fields_name_the_field(change, field):
    d = _oak_dict()
    change(d)
    with pytest.raises(SpecFileError) as ei:
        TrialSpec.from_dict(d)
    assert ei.value.field == field, str(ei.value)


def test_strata_a_population_lacks_are_spec_errors():
    d = load_trial_spec(REPO / "examples" / "oak.toml").to_dict()
    d["population"] = {"cancer": "melanoma", "stages": ["IV"]}
    d["randomisation"]["stratify"] = ["pdl1_sp142"]
    with pytest.raises(SpecFileError) as ei:
        TrialSpec.from_dict(d)
    assert ei.value.field == "randomisation.stratify[0]"


def test_histology_inclusion_in_a_trial():
    d = _oak_dict()
    d["population"]["inclusion"]["histology"] = ["squamous"]
    plan = plan_trial(TrialSpec.from_dict(d), 40, 2)
    assert plan.screening["failures_by_criterion"]["histology"] > 0
    assert all("histology=squamous" in p.stratum for p in plan.patients)


def test_new_strata_are_balanced_by_permuted_blocks():
    d = _oak_dict()
    d["randomisation"]["stratify"] = ["pdl1_sp142", "region", "prior_lines", "histology", "pdl1"]
    d["randomisation"]["block_size"] = 4
    spec = TrialSpec.from_dict(d)
    plan = plan_trial(spec, 600, 9)
    by = {}
    for p in plan.patients:
        by.setdefault(p.stratum, Counter())[p.arm] += 1
    # permuted blocks of four: within a stratum the arms never differ by more than two
    assert all(abs(c["atezolizumab"] - c["docetaxel"]) <= 2 for c in by.values())
    labels = {s for p in plan.patients for s in p.stratum.split("|")}
    assert {"region=east_asia", "region=rest_of_world", "pdl1_sp142=TC0/IC0", "pdl1=high"} <= labels


def test_stratum_of_reads_reported_categories():
    from oncoimmune.patients.cohort import run_assays, sample_patient

    spec = load_trial_spec(REPO / "examples" / "oak.toml")
    p = run_assays(spec.to_population(), sample_patient(spec.to_population(), 1, 0))
    assert stratum_of(p, "pdl1") == p.assays["pdl1"].category
    assert stratum_of(p, "pdl1_sp142") == p.assays["pdl1_sp142"].category
    assert stratum_of(p, "region") == p.region


# -- Cox -------------------------------------------------------------------------------------------
def _tied(seed, n1=250, n0=260, step=2.07):
    rng = np.random.default_rng(seed)
    t1 = np.maximum(np.round(rng.exponential(8, n1) / step) * step, step)  # events on scan days: ties
    t0 = np.maximum(np.round(rng.exponential(5.5, n0) / step) * step, step)
    e1 = (rng.random(n1) < 0.8).astype(float)
    e0 = (rng.random(n0) < 0.8).astype(float)
    return t1, e1, t0, e0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cox_hr_matches_lifelines(seed):
    lifelines = pytest.importorskip("lifelines")
    import pandas as pd

    from oncoimmune.trials.joint import cox_hr

    t1, e1, t0, e0 = _tied(seed)
    df = pd.DataFrame({"t": np.r_[t1, t0], "e": np.r_[e1, e0], "x": np.r_[np.ones(t1.size), np.zeros(t0.size)]})
    m = lifelines.CoxPHFitter().fit(df, "t", "e")
    hr = float(np.exp(m.params_["x"]))
    lo, hi = np.exp(m.confidence_intervals_.loc["x"].to_numpy())
    got = cox_hr(t1, e1, t0, e0, ci=True)
    assert got[0] == pytest.approx(hr, abs=1e-6)
    assert got[1] == pytest.approx(lo, abs=1e-6) and got[2] == pytest.approx(hi, abs=1e-6)


def _breslow_score(beta, t1, e1, t0, e0):
    """The Breslow score by its definition, one event time at a time (independent of cox_hr's arrays)."""
    t = np.r_[t1, t0]
    e = np.r_[e1, e0] > 0
    x = np.r_[np.ones(t1.size), np.zeros(t0.size)]
    u = 0.0
    for s in np.unique(t[e]):
        risk = t >= s
        dead = e & (t == s)
        w = np.exp(beta * x[risk])
        u += x[dead].sum() - dead.sum() * (x[risk] * w).sum() / w.sum()
    return u


def test_cox_hr_breslow_solves_the_breslow_score_equation():
    from oncoimmune.trials.joint import cox_hr

    t1, e1, t0, e0 = _tied(4)
    b = np.log(cox_hr(t1, e1, t0, e0, ties="breslow"))
    assert abs(_breslow_score(b, t1, e1, t0, e0)) < 1e-8
    # with ties Breslow and Efron differ; without ties they coincide
    assert cox_hr(t1, e1, t0, e0, ties="breslow") != pytest.approx(cox_hr(t1, e1, t0, e0), abs=1e-4)
    rng = np.random.default_rng(5)
    u1, u0 = rng.exponential(8, 200), rng.exponential(6, 210)
    f1, f0 = np.ones(200), np.ones(210)
    assert cox_hr(u1, f1, u0, f0, ties="breslow") == pytest.approx(cox_hr(u1, f1, u0, f0), abs=1e-10)


def test_cox_hr_is_not_biased_by_ties_like_the_one_step_estimate():
    """On scan-day ties the one-step log-rank estimate is pulled towards 1/benefit; Cox (Efron) is not."""
    from oncoimmune.trials.joint import _logrank_hr, cox_hr

    rng = np.random.default_rng(7)
    n = 4000
    step = 63.0  # q9w scans
    true_hr = 0.6
    raw1, raw0 = rng.exponential(200 / true_hr, n), rng.exponential(200, n)
    t1, t0 = np.ceil(raw1 / step) * step, np.ceil(raw0 / step) * step  # progression seen at the next scan
    e = np.ones(n)
    cox = cox_hr(t1, e, t0, e)
    one = _logrank_hr(t1, e, t0, e)
    assert abs(np.log(cox / 0.6)) < abs(np.log(one / 0.6))


def test_cox_hr_edge_cases():
    from oncoimmune.trials.joint import cox_hr

    assert np.isnan(cox_hr([1, 2], [0, 0], [1, 2], [0, 0]))  # no events
    assert np.isnan(cox_hr([1, 2], [1, 1], [3, 4], [0, 0]))  # every event in one group
    assert all(np.isnan(cox_hr([], [], [1.0], [1.0], ci=True)))
    # a NaN time is never at risk: the same as leaving the patient out
    a = cox_hr([1, 2, 3, np.nan], [1, 0, 1, 1], [1.5, 2.5, 4], [1, 1, 0])
    b = cox_hr([1, 2, 3], [1, 0, 1], [1.5, 2.5, 4], [1, 1, 0])
    assert a == pytest.approx(b, rel=1e-12)
    with pytest.raises(Exception, match="ties"):
        cox_hr([1], [1], [2], [1], ties="exact")
