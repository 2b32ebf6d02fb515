"""The calibration's last stage, ``"joint"``: every parameter fitted together (design note 0007).

The staged fit lets progression-free survival's deaths (the TGI-OS link) change after the chemotherapy
and immunity stages and never lets overall survival inform the tumour and immune parameters; the joint
stage fits all of them on the sum of the three stages' losses, from the staged fit.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("lifelines")

from oncoimmune.trials import joint as J


@pytest.fixture(scope="module")
def oak_small():
    return J.JointCohort.build("oak", n=40, seed=5)


def test_joint_stage_has_every_parameter():
    stages = ("chemotherapy", "immunity", "survival")
    every = {k: v for st in stages for k, v in J.STAGES[st].items()}
    assert J.STAGES["joint"] == every
    assert sum(len(J.STAGES[st]) for st in stages) == len(every)  # no parameter in two stages


def test_joint_loss_is_the_sum_of_the_three_stages(oak_small):
    res = J.evaluate(oak_small, J.current_theta())
    tg = oak_small.targets
    parts = [J.loss(res, tg, st) for st in ("chemotherapy", "immunity", "survival")]
    assert J.loss(res, tg, "joint") == pytest.approx(sum(parts), rel=1e-12)
    assert min(parts) > 0


@pytest.mark.parametrize("stage", ["chemotherapy", "immunity"])
def test_pfs_loss_depends_on_the_survival_link(oak_small, stage):
    """Why the staged fit is not self-consistent: deaths count as PFS events, so moving the link's
    intercept (a survival-stage parameter) changes the earlier stages' losses."""
    th = J.current_theta()
    a = J.loss(J.evaluate(oak_small, th), oak_small.targets, stage)
    b = J.loss(J.evaluate(oak_small, dict(th, intercept=th["intercept"] - 1.5)), oak_small.targets, stage)
    assert a != pytest.approx(b, rel=1e-3)


def test_joint_stage_does_not_raise_the_summed_objective(oak_small):
    th0 = J.current_theta()
    before = J.loss(J.evaluate(oak_small, th0), oak_small.targets, "joint")
    fit = J.calibrate([oak_small], theta0=th0, stages=("joint",), maxfev={"joint": 12}, verbose=False)
    h = fit["stages"]["joint"]
    after = J.loss(J.evaluate(oak_small, fit["theta"]), oak_small.targets, "joint")
    assert after <= before + 1e-9
    assert h["objective"] == pytest.approx(after + h["prior_penalty"], rel=1e-9)
    # OAK alone: no untreated patient and no carboplatin, so the four contrasts stay at their priors' centres
    assert h["at_prior_centre"] == ["m_line", "carboplatin_potency", "k_line", "beta_line"]
    assert set(h["fitted"]) == set(J.STAGES["joint"]) - set(h["at_prior_centre"])
    assert h["evaluations"] <= 12 + len(h["fitted"]) + 2


def test_calibrate_command_runs_the_joint_stage_only_when_asked(tmp_path):
    from typer.testing import CliRunner

    from oncoimmune.cli import app

    base = ["calibrate", "--trials", "oak", "--n", "20"]
    r = CliRunner().invoke(app, [*base, "--maxfev", "1,1,1,2", "--out", str(tmp_path / "four")])
    assert r.exit_code == 0, r.output
    d = json.loads((tmp_path / "four" / "calibration.json").read_text())
    assert list(d["stages"]) == ["chemotherapy", "immunity", "survival", "joint"]
    assert "--maxfev 1,1,1,2" in d["provenance"]["command"]
    r = CliRunner().invoke(app, [*base, "--maxfev", "1,1,1", "--out", str(tmp_path / "three")])
    assert r.exit_code == 0, r.output
    assert list(json.loads((tmp_path / "three" / "calibration.json").read_text())["stages"]) == [
        "chemotherapy", "immunity", "survival"]


@pytest.mark.parametrize("bad", ["1,1,1,-1", "1,1,1,1,1", "0,1,1,1"])
def test_bad_maxfev_exits_2_naming_it(bad, tmp_path):
    from typer.testing import CliRunner

    from oncoimmune.cli import app

    r = CliRunner().invoke(app, ["calibrate", "--trials", "oak", "--n", "20", "--maxfev", bad, "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert "--maxfev" in r.output and not (tmp_path / "calibration.json").exists()


def test_held_out_figures_are_compared_but_never_fitted():
    """KEYNOTE-010's TPS >= 50 % PFS and HR figures (``TrialTargets.held_out``) are reported by ``compare``
    and have no term in the loss: removing them leaves every stage's loss unchanged."""
    import dataclasses

    kn010 = J.JointCohort.build("keynote010", n=40, seed=5)
    res = J.evaluate(kn010, J.current_theta())
    tg = kn010.targets
    bare = dataclasses.replace(tg, held_out={})
    for stage in ("chemotherapy", "immunity", "survival", "joint"):
        assert J.loss(res, tg, stage) == J.loss(res, bare, stage)
    rows = [r for r in J.compare(res, tg) if r["figure"].endswith("(not fitted)")]
    want = tg.held_out["TPS >= 50 %"]
    assert len(rows) == len(want["pfs_median"]) + len(want["pfs_hr"]) + len(want["os_hr"]) == 7
    got = res["held_out"]["TPS >= 50 %"]
    assert 0 < got["n"] < kn010.n * len(tg.arms)
    assert set(got["os_hr"]) == set(got["pfs_hr"]) == {"pembrolizumab_2mg_kg", "pembrolizumab_10mg_kg"}
    assert all(r["virtual"] == r["virtual"] for r in rows)  # no NaN
