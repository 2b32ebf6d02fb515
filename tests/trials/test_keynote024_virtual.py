"""The virtual KEYNOTE-024: model sources, calibration machinery, a small trial, and the 600-patient check.

Published figures (Reck M et al. 2016, N Engl J Med 375:1823-1833, doi:10.1056/NEJMoa1606774; the
intervals were checked against the exact Clopper-Pearson intervals of 69/154 and 42/151):
ORR 44.8 % (95 % CI 36.8-53.0) with pembrolizumab, 27.8 % (20.8-35.7) with chemotherapy; PFS hazard
ratio 0.50 (0.37-0.68). The calibration fitted the PFS curves of both arms and the two ORRs (step B,
docs/keynote024.md); the hazard ratio was not a target. The slow test checks both seeds below at
600 patients.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("lifelines")

from oncoimmune.library import get_model
from oncoimmune.library import nsclc_tgi_immune as lib
from oncoimmune.patients.link import link_patient
from oncoimmune.trials import calibration as C
from oncoimmune.trials import runner as R
from oncoimmune.trials.spec import load_trial_spec

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "examples" / "keynote024.toml"
#: Seeds of the 600-patient check (documented in docs/keynote024.md).
SEEDS_600 = (2016, 7)


@pytest.fixture(scope="module")
def spec():
    return load_trial_spec(SPEC)


def test_every_parameter_has_a_source_and_calibrated_ones_say_so():
    m = get_model(lib.ID)
    for p in m.parameters:
        assert p.source.citation
    for name in ("g", "k_kill", "r_rec", "f_res", "nl_rate"):
        note = m.parameter(name).source.note
        assert re.search(r"calibrated to .* by trials/calibration\.py", note), (name, note)
    for name in ("g", "k_kill", "r_rec", "f_res"):
        med, cv = lib.CALIBRATED[name]
        p = m.parameter(name)
        assert p.value == med and p.distribution.cv == cv


def test_spec_uses_the_calibrated_chemotherapy_units(spec):
    text = spec.arm("chemotherapy").regimens[0]
    units = float(text.split(":")[1])
    assert units == pytest.approx(lib.CALIBRATED["chemo_units"][0], rel=1e-12)
    assert spec.model.id == lib.ID


def test_calibration_draws_replicate_the_link(spec):
    ctx = R._Context.build(spec, 99)
    plan = R.plan_trial(spec, 5, 99)
    from oncoimmune.patients.cohort import run_assays, sample_patient

    for p in plan.patients:
        pt = run_assays(ctx.population, sample_patient(ctx.population, 99, p.index))
        lp = link_patient(ctx.model, pt, escape_mechanisms=spec.model.escape)
        for name in ("g", "k_kill", "r_rec", "f_res"):
            med, cv = lib.CALIBRATED[name]
            z = C._normals(99, p.index, name)[None, :]
            got = C.lognormal_draw(z, med, cv, ctx.model.parameter(name).bounds)[0]
            assert got == lp.parameters[name]


def test_pretreatment_state_is_an_untreated_steady_state(spec):
    ctx = R._Context.build(spec, 3)
    p = R.plan_trial(spec, 1, 3).patients[0]
    from oncoimmune.patients.cohort import run_assays, sample_patient

    pt = run_assays(ctx.population, sample_patient(ctx.population, 3, p.index))
    m = lib.pretreatment_state(link_patient(ctx.model, pt, escape_mechanisms=spec.model.escape).model)
    f = m.parameter("f_res").value
    assert m.state("T").initial + m.state("R").initial == pytest.approx(pt.tumour_cells)
    assert m.state("R").initial == pytest.approx(f * pt.tumour_cells)
    cm = m.compile()
    d = np.asarray(cm.rhs(np)(0.0, cm.y0, cm.p0))
    assert d[cm.state_index("E")] == pytest.approx(0.0, abs=1e-12)


def test_dersimonian_laird_hand_worked():
    mu, tau, se = C.dersimonian_laird([0.0, 1.0], [1.0, 1.0])  # Q = 0.5 < df: tau = 0
    assert (mu, tau, se) == pytest.approx((0.5, 0.0, math.sqrt(0.5)))
    mu, tau, se = C.dersimonian_laird([0.0, 2.0, 4.0], [1.0, 1.0, 1.0])  # Q = 8, c = 2: tau^2 = 3
    assert (mu, tau, se) == pytest.approx((2.0, math.sqrt(3.0), math.sqrt(4.0 / 3.0)))


def test_fit_lesion_recovers_a_synthetic_lesion():
    days = np.arange(0.0, 400.0, 42.0)
    v = 1e4 * (0.9 * np.exp(-0.02 * days) + 0.1 * np.exp(0.008 * days))
    d = (6.0 * v / math.pi) ** (1.0 / 3.0)
    fit = C.fit_lesion(days, d)
    assert fit["g"] == pytest.approx(0.008, rel=0.02)
    assert fit["k"] == pytest.approx(0.02, rel=0.02)
    assert fit["f"] == pytest.approx(0.1, rel=0.05)
    assert fit["regrowth"] > 0.5


def test_batched_calibration_matches_the_runner(spec):
    cohort = C.build_cohort(spec, 4, seed=123)
    ctx = R._context(spec.to_toml(), 123)
    plan = R.plan_trial(spec, 4, 123)
    theta = {}
    pem = C.simulate_cohort_arm(cohort, "pembrolizumab", theta)
    che = C.simulate_cohort_arm(cohort, "chemotherapy", theta)
    for k, p in enumerate(plan.patients):
        a = R.simulate_patient(ctx, R.PlannedPatient(p.position, p.index, "pembrolizumab", p.stratum))
        np.testing.assert_allclose(a["sld_mm"], pem["sums"][k], rtol=2e-3)
        b = R.simulate_patient(ctx, R.PlannedPatient(p.position, p.index, "chemotherapy", p.stratum))
        first = 2  # before any crossover
        np.testing.assert_allclose(b["sld_mm"][:first], che["sums"][k][:first], rtol=2e-3)


def test_reference_is_found_by_name(spec, shared_dir):
    ref = C.reference_for(spec)
    assert ref is not None and ref.arm_map["chemotherapy"] == "chemo"
    assert C.reference_for(spec.model_copy(update={"name": "Some other trial"})) is None


def test_small_virtual_keynote024_runs(spec, tmp_path, shared_dir):
    res = R.run_trial(spec, tmp_path / "kn", n_patients=120, seed=3, workers=2)
    ep = res.endpoints
    assert len(ep) == 120 and (ep["status"] == "ok").all()
    assert set(ep["arm"]) == {"pembrolizumab", "chemotherapy"}
    assert abs((ep["arm"] == "pembrolizumab").sum() - 60) <= 6
    assert ep["responder"].any() and (ep["pfs_event"] == 1).any()
    assert {c.endpoint for c in res.comparisons} == {"PFS", "OS"}
    assert (tmp_path / "kn" / "figures" / "overlay_pfs.png").is_file()
    assert "KEYNOTE-024" in (tmp_path / "kn" / "report.html").read_text()
    assert ep["crossover"].sum() > 0 and not ep.loc[ep["arm"] == "pembrolizumab", "crossover"].any()


# --- the acceptance check: 600 patients, two seeds ----------------------------------------------------
ORR_CI = {"pembrolizumab": (0.368, 0.530), "chemotherapy": (0.208, 0.357)}
HR_CI = (0.37, 0.68)


def _check_600(spec, tmp_path, seed):
    res = R.run_trial(
        spec, tmp_path / f"kn600-{seed}", n_patients=600, seed=seed, workers=2, figures=False, report=False
    )
    s = res.summary
    orr = {a: s["arms"][a]["orr"] for a in ORR_CI}
    hr = s["pfs_hr"]["pembrolizumab"]["hr"]
    msg = f"seed {seed}: ORR {orr}, PFS HR {hr:.3f}"
    for arm, (lo, hi) in ORR_CI.items():
        assert lo <= orr[arm] <= hi, msg
    assert HR_CI[0] <= hr <= HR_CI[1], msg
    assert s["failed"] == 0, msg


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS_600)
def test_600_patients_inside_the_published_confidence_intervals(spec, tmp_path, seed):
    _check_600(spec, tmp_path, seed)


@pytest.mark.slow
def test_step_a_reproduces_the_stored_growth_rate(shared_dir):
    fit = C.fit_growth_rates()
    med, cv = lib.CALIBRATED["g"]
    assert fit.median == pytest.approx(med, rel=5e-3)
    assert fit.cv == pytest.approx(cv, rel=5e-3)


def test_demo_writes_the_keynote024_report(tmp_path, capsys):
    from oncoimmune import demo

    out = tmp_path / "demo"
    assert (
        demo.main(
            ["--out", str(out), "--days", "400", "--grid", "3", "--trial-patients", "8", "--workers", "1"]
        )
        == 0
    )
    assert (out / "keynote024" / "report.html").is_file()
    assert (out / "keynote024" / "endpoints.parquet").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(summary["files"]) == sorted(p.name for p in out.iterdir())
    assert summary["keynote024"]["n_patients"] == 8
    assert "Virtual KEYNOTE-024" in capsys.readouterr().out
