"""The joint calibration's priors: what they add to the objective, and why they are there.

A leave-one-out fit without KEYNOTE-024 has only previously treated patients and no carboplatin, so the
line-of-therapy contrasts and the carboplatin potency are not informed by its data (the objective is flat
along them); the priors (``joint.PRIORS``) hold such a contrast at its centre.
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("lifelines")

from oncoimmune.therapy.cytotoxic import AGENTS, per_cycle_equivalent_potency
from oncoimmune.trials import joint as J


def test_penalty_is_the_squared_standardised_distance():
    p = J.Prior(1.0, 1.0, True, "x")
    assert p.penalty(1.0, {}) == 0.0
    assert p.penalty(math.e, {}) == pytest.approx(1.0)
    assert p.penalty(math.exp(-2.0), {}) == pytest.approx(4.0)
    q = J.Prior(0.0, 0.5, False, "y")
    assert q.penalty(-1.0, {}) == pytest.approx(4.0)
    th = {"k_line": math.e, "beta_line": -1.0, "k_kill": 123.0}
    assert J.prior_penalty(th, ["k_line", "beta_line", "k_kill"]) == pytest.approx(1.0 + 1.0)
    assert J.prior_penalty(th, ["k_kill"]) == 0.0
    assert J.prior_penalty(th, ["k_line"], priors={}) == 0.0


def test_carboplatin_prior_is_docetaxels_log_kill_per_label_cycle():
    from oncoimmune.therapy.cytotoxic import PKCovariates

    th = J.start_theta()
    for kd in (0.5, 1.3, 4.0):
        th["docetaxel_potency"] = kd
        c = J.PRIORS["carboplatin_potency"].centre_at(th)
        carbo, doc = AGENTS["carboplatin"], AGENTS["docetaxel"]
        per_cycle_carbo = c * carbo.auc_mg_day_per_l(5.0, PKCovariates())
        per_cycle_doc = kd * doc.auc_mg_day_per_l(75.0, PKCovariates())
        assert per_cycle_carbo == pytest.approx(per_cycle_doc, rel=1e-12)


@pytest.mark.parametrize("agent", ["paclitaxel", "pemetrexed", "etoposide", "docetaxel"])
def test_agents_without_data_follow_the_same_rule(agent):
    a = AGENTS[agent]
    assert per_cycle_equivalent_potency(a) == pytest.approx(a.potency, rel=1e-12)


def test_bad_docetaxel_potency_is_named():
    with pytest.raises(Exception, match="docetaxel_potency"):
        per_cycle_equivalent_potency(AGENTS["carboplatin"], -1.0)


@pytest.fixture(scope="module")
def oak_small():
    return J.JointCohort.build("oak", n=60, seed=5)


def test_line_contrast_is_flat_without_first_line_patients(oak_small):
    """OAK has no untreated patients: shifting beta_line into the intercept changes no figure."""
    c = oak_small
    assert (c.covariates["prior_lines"] >= 1).all()
    th = J.current_theta()
    a = J.evaluate(c, th)
    th2 = dict(th, beta_line=th["beta_line"] - 0.7, intercept=th["intercept"] + 0.7)
    b = J.evaluate(c, th2)
    for arm in c.arms:
        assert a["arms"][arm]["os_median"] == pytest.approx(b["arms"][arm]["os_median"], rel=1e-9)
    assert a["os_hr"]["atezolizumab"] == pytest.approx(b["os_hr"]["atezolizumab"], rel=1e-9)


def test_uninformed_contrasts_are_found():
    oak = J.JointCohort.build("oak", n=30, seed=5)
    kn24 = J.JointCohort.build("keynote024", n=30, seed=5)
    assert J.uninformed_contrasts([oak]) == {"k_line", "m_line", "beta_line", "carboplatin_potency"}
    assert J.uninformed_contrasts([kn24]) == {"k_line", "m_line", "beta_line"}
    assert J.uninformed_contrasts([oak, kn24]) == set()


def test_uninformed_contrast_is_set_to_its_prior_centre(oak_small):
    """The survival stage fitted on OAK alone, started with beta_line = -0.8: the loss is flat along it
    (test above), so its MAP value is the prior's centre; the intercept takes the later-line level."""
    th0 = dict(J.current_theta(), beta_line=-0.8)
    fit = J.calibrate([oak_small], theta0=th0, stages=("survival",), maxfev={"survival": 200}, verbose=False)
    assert fit["theta"]["beta_line"] == 0.0
    assert fit["stages"]["survival"]["at_prior_centre"] == ["beta_line"]
    assert "beta_line" not in fit["stages"]["survival"]["fitted"]
    # without priors the contrast is searched (and left wherever the search ends)
    free = J.calibrate([oak_small], theta0=th0, stages=("survival",), maxfev={"survival": 20}, priors={},
                       verbose=False)
    assert free["stages"]["survival"]["at_prior_centre"] == []
    assert "beta_line" in free["stages"]["survival"]["fitted"]


def test_informed_contrast_is_searched_with_its_penalty():
    kn24 = J.JointCohort.build("keynote024", n=40, seed=5)
    oak = J.JointCohort.build("oak", n=40, seed=5)
    th0 = J.current_theta()
    fit = J.calibrate([kn24, oak], theta0=th0, stages=("survival",), maxfev={"survival": 30}, verbose=False)
    h = fit["stages"]["survival"]
    assert h["at_prior_centre"] == []
    assert h["prior_penalty"] == pytest.approx(J.PRIORS["beta_line"].penalty(fit["theta"]["beta_line"], {}))


def test_calibrate_command_records_the_priors(tmp_path):
    """``oncoimmune calibrate`` on OAK alone: with the priors (default) the uninformed contrasts sit at their
    centres and the provenance lists the priors; ``--no-priors`` searches them and records none."""
    import json

    from typer.testing import CliRunner

    from oncoimmune.cli import app

    args = ["calibrate", "--trials", "oak", "--n", "20", "--maxfev", "1,1,1"]
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "with")])
    assert r.exit_code == 0, r.output
    d = json.loads((tmp_path / "with" / "calibration.json").read_text())
    assert set(d["provenance"]["priors"]) == set(J.PRIORS)
    assert d["theta"]["k_line"] == 1.0 and d["theta"]["m_line"] == 1.0 and d["theta"]["beta_line"] == 0.0
    assert d["stages"]["immunity"]["at_prior_centre"] == ["k_line"]
    r = CliRunner().invoke(app, [*args, "--no-priors", "--out", str(tmp_path / "without")])
    assert r.exit_code == 0, r.output
    d = json.loads((tmp_path / "without" / "calibration.json").read_text())
    assert d["provenance"]["priors"] == {} and d["provenance"]["command"].endswith("--no-priors")
    assert all(s["at_prior_centre"] == [] for s in d["stages"].values())
