"""Treatment rules of an arm (oncoimmune.trials.rules): toxicity discontinuation, until progression,
treatment beyond progression and subsequent therapy, in the spec, in both trial engines and in the
calibration path."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from oncoimmune._errors import SpecFileError
from oncoimmune.model.events import Event
from oncoimmune.trials import rules as RU
from oncoimmune.trials.spec import TrialSpec, load_trial_spec

REPO = Path(__file__).resolve().parents[2]


def _ev(t, target="d_A", value=1.0, kind="state", op="add", label=""):
    return Event(t, target, op, value, kind=kind, label=label)


# -- the pure helpers ---------------------------------------------------------------------------------
def test_dose_days_are_the_distinct_days_with_a_dose():
    evs = [_ev(0.0), _ev(0.0, "e_A"), _ev(21.0), _ev(21.04, "rate", 0.0, "parameter", "set"),
           _ev(42.0, "rate", 5.0, "parameter", "set"), _ev(0.0, "first", 3.0, "parameter", "set", "x first dose day")]
    np.testing.assert_array_equal(RU.dose_days(evs), [0.0, 21.0, 42.0])
    assert RU.dose_targets(evs) == {"d_A", "e_A", "rate"}


def test_withhold_zeroes_doses_from_the_day_on_and_keeps_every_event_time():
    evs = [_ev(0.0), _ev(21.0), _ev(42.0), _ev(42.0, "other_A"), _ev(42.5, "rate", 0.0, "parameter", "set"),
           _ev(63.0, "rate", 7.0, "parameter", "set")]
    out = RU.withhold(evs, 42.0, {"d_A", "rate"})
    assert [e.time for e in out] == [e.time for e in evs]
    assert [e.value for e in out] == [1.0, 1.0, 0.0, 1.0, 0.0, 0.0]
    assert RU.withhold(evs, math.inf, {"d_A"}) == tuple(evs)


def test_toxicity_stop_day_is_the_first_cycle_not_given():
    days = np.array([0.0, 21.0, 42.0])
    assert RU.toxicity_stop_day(days, 1.0) == 21.0
    assert RU.toxicity_stop_day(days, 2.0) == 42.0
    assert RU.toxicity_stop_day(days, 3.0) == math.inf
    assert RU.toxicity_stop_day(days, math.inf) == math.inf


def test_cycles_received_are_geometric_with_the_per_cycle_hazard():
    arm = _arm(discontinuation={"per_cycle": 0.1})
    d = RU.rule_draws(3, range(4000), arm)
    assert np.mean(d.cycles) == pytest.approx(1 / 0.1, rel=0.05)  # geometric mean 1/h
    assert np.mean(d.cycles == 1) == pytest.approx(0.1, abs=0.015)
    none = RU.rule_draws(3, range(5), load_trial_spec(REPO / "examples" / "oak.toml").arms[1])
    assert np.isinf(none.cycles).all()


def _arm(**kw):
    base = {"name": "a", "regimens": ["docetaxel:75mg/m2:q3w"]}
    from oncoimmune.trials.spec import ArmSpec

    return ArmSpec.model_validate({**base, **kw})


def test_plan_post_progression_cases():
    days = np.arange(0.0, 400.0, 21.0)
    kw = dict(u_crossover=0.9, u_beyond=0.9, u_subsequent=0.9, horizon=500.0, contact=500.0)
    # until schedule, no rule: nothing changes
    assert RU.plan_post_progression(_arm(), 63.0, math.inf, days, **kw) is None
    # until progression: doses withheld from the progression day
    p = RU.plan_post_progression(_arm(until="progression"), 63.0, math.inf, days, **kw)
    assert p.arm_stop == 63.0 and not p.beyond and p.crossover_to is None and not p.subsequent
    # already stopped for toxicity before progression: nothing more changes
    assert RU.plan_post_progression(_arm(until="progression"), 63.0, 42.0, days, **kw) is None
    # beyond progression for 12 weeks (drawn) / not drawn
    a = _arm(until="progression", beyond_progression={"probability": 0.5, "max_weeks": 12})
    p = RU.plan_post_progression(a, 63.0, math.inf, days, **{**kw, "u_beyond": 0.2})
    assert p.beyond and p.arm_stop == 63.0 + 84.0
    p = RU.plan_post_progression(a, 63.0, math.inf, days, **kw)
    assert not p.beyond and p.arm_stop == 63.0
    # subsequent therapy starts delay_days after the arm's treatment ends
    s = _arm(until="progression", subsequent={"regimens": ["atezolizumab:1200mg:q3w"], "probability": 0.4,
                                              "delay_days": 21})
    p = RU.plan_post_progression(s, 63.0, math.inf, days, **{**kw, "u_subsequent": 0.1})
    assert p.subsequent == ("atezolizumab:1200mg:q3w",) and p.start == 84.0
    assert RU.plan_post_progression(s, 63.0, math.inf, days, **kw).subsequent == ()
    # a fixed course over before progression: subsequent therapy from progression + delay
    fixed = _arm(regimens=["docetaxel:75mg/m2:q3w*4"], subsequent={"regimens": ["atezolizumab:1200mg:q3w"],
                                                                     "probability": 1.0, "delay_days": 7})
    p = RU.plan_post_progression(fixed, 126.0, math.inf, np.array([0.0, 21.0, 42.0, 63.0]), **kw)
    assert p.start == 133.0 and p.arm_stop == math.inf
    # no progression, or a start after last contact: nothing
    assert RU.plan_post_progression(s, math.inf, math.inf, days, **{**kw, "u_subsequent": 0.1}) is None
    p = RU.plan_post_progression(s, 63.0, math.inf, days, **{**kw, "u_subsequent": 0.1, "contact": 70.0})
    assert p.subsequent == () and p.arm_stop == 63.0


# -- the spec: every error names its field ------------------------------------------------------------
def _oak(**arm_changes):
    d = load_trial_spec(REPO / "examples" / "oak.toml").to_dict()
    d["arms"][1] = {**d["arms"][1], **arm_changes}
    return d


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"until": "death"}, "arms[1].until"),
        ({"discontinuation": {"per_cycle": 1.0}}, "arms[1].discontinuation.per_cycle"),
        ({"discontinuation": {"per_cycle": -0.1}}, "arms[1].discontinuation.per_cycle"),
        ({"beyond_progression": {"probability": 0.5}}, "arms[1].beyond_progression"),
        ({"until": "progression", "beyond_progression": {"probability": 1.5}},
         "arms[1].beyond_progression.probability"),
        ({"until": "progression", "beyond_progression": {"probability": 0.5, "max_weeks": 0}},
         "arms[1].beyond_progression.max_weeks"),
        ({"subsequent": {"regimens": ["nosuchdrug:1mg"], "probability": 0.5}}, "arms[1].subsequent.regimens[0]"),
        ({"subsequent": {"regimens": ["docetaxel:75mg/m2:q3w*4"], "probability": 0.5}},
         "arms[1].subsequent.regimens[0]"),
        ({"subsequent": {"regimens": [], "probability": 0.5}}, "arms[1].subsequent.regimens"),
        ({"subsequent": {"regimens": ["atezolizumab:1200mg:q3w"], "probability": 2}}, "arms[1].subsequent.probability"),
        ({"subsequent": {"regimens": ["atezolizumab:1200mg:q3w"], "probability": 0.5},
          "crossover": {"to_arm": "atezolizumab"}}, "arms[1].subsequent"),
    ],
)
def test_bad_treatment_rules_name_the_field(change, field):
    with pytest.raises(SpecFileError) as ei:
        TrialSpec.from_dict(_oak(**change))
    assert ei.value.field == field, str(ei.value)


def test_rules_round_trip_through_toml():
    spec = TrialSpec.from_dict(_oak(until="progression", discontinuation={"per_cycle": 0.05, "source": "x"},
                                    beyond_progression={"probability": 0.3, "max_weeks": 6},
                                    subsequent={"regimens": ["atezolizumab:1200mg:q3w"], "probability": 0.4}))
    again = TrialSpec.from_toml(spec.to_toml())
    assert again.arms[1] == spec.arms[1]
    assert again.arms[1].has_post_progression_rules and not again.arms[0].has_post_progression_rules


def test_cli_exits_2_naming_a_bad_rule(tmp_path):
    from typer.testing import CliRunner

    from oncoimmune.cli import app

    text = (REPO / "examples" / "oak.toml").read_text()
    text = text.replace('regimens = ["docetaxel:75mg/m2:q3w"]',
                        'regimens = ["docetaxel:75mg/m2:q3w"]\nuntil = "forever"')
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    r = CliRunner().invoke(app, ["trial", str(bad), "--patients", "4", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert "arms[1].until" in r.output
    assert not (tmp_path / "o").exists()


# -- both engines -------------------------------------------------------------------------------------
def _run(spec, out, n, engine):
    from oncoimmune.trials import runner as R

    res = R.run_trial(spec, out, n_patients=n, seed=spec.seed, engine=engine, reference=None, figures=False,
                      report=False)
    return res.endpoints.set_index("patient_id").sort_index()


def _records(out):
    import pandas as pd

    return pd.concat([pd.read_parquet(f) for f in sorted(Path(out).rglob("shard-*.parquet"))]).set_index(
        "patient_id").sort_index()


def _short(d, months=9.0):
    d["horizon_months"] = months
    d.pop("accrual", None)
    return TrialSpec.from_dict(d)


def test_rules_agree_between_engines_under_the_lethal_burden_rule(tmp_path):
    """KEYNOTE-024 (lethal-burden OS): toxicity stops, until progression with treatment beyond it, and
    subsequent therapy give the same patients the same rules and endpoints on both engines."""
    d = load_trial_spec(REPO / "examples" / "keynote024.toml").to_dict()
    d["arms"][0] = {**d["arms"][0], "until": "progression", "discontinuation": {"per_cycle": 0.25},
                    "beyond_progression": {"probability": 0.5, "max_weeks": 9}}
    d["arms"][1] = {**{k: v for k, v in d["arms"][1].items() if k != "crossover"},
                    "discontinuation": {"per_cycle": 0.3},
                    "subsequent": {"regimens": ["pembrolizumab:200mg:q3w"], "probability": 0.6, "delay_days": 14}}
    spec = _short(d)
    a = _run(spec, tmp_path / "b", 14, "batched")
    b = _run(spec, tmp_path / "s", 14, "scipy")
    for col in ("best_overall_response", "pfs_event", "os_event", "toxicity_stopped", "beyond_progression",
                "subsequent"):
        assert list(a[col].astype(str)) == list(b[col].astype(str)), col
    np.testing.assert_allclose(a["os_months"], b["os_months"], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(a["treatment_stop_months"], b["treatment_stop_months"], rtol=0, equal_nan=True)
    assert a["toxicity_stopped"].any() and a["subsequent"].any()


def test_toxicity_stop_changes_the_tumour_and_only_after_the_stop(tmp_path):
    """OAK docetaxel with a high per-cycle hazard: identical scans up to each patient's stop, and
    the arm's doses withheld after it (the tumour regrows earlier than with the full course)."""
    d = load_trial_spec(REPO / "examples" / "oak.toml").to_dict()
    d["arms"] = [d["arms"][1]]
    d.pop("randomisation")
    base = _short(dict(d))
    tox = dict(d)
    tox["arms"] = [{**d["arms"][0], "discontinuation": {"per_cycle": 0.5}}]
    tox = _short(tox)
    for engine in ("batched", "scipy"):
        _run(base, tmp_path / f"base-{engine}", 10, engine)
        _run(tox, tmp_path / f"tox-{engine}", 10, engine)
        r0, r1 = _records(tmp_path / f"base-{engine}"), _records(tmp_path / f"tox-{engine}")
        scans = np.array((0.0, *base.assessment_days()))
        changed = 0
        for pid in r1.index:
            stop = r1.loc[pid, "toxicity_stop_day"]
            s0, s1 = np.asarray(r0.loc[pid, "sld_mm"]), np.asarray(r1.loc[pid, "sld_mm"])
            before = scans <= (stop if np.isfinite(stop) else np.inf)
            ok = np.isfinite(s0) & np.isfinite(s1)
            np.testing.assert_allclose(s1[before & ok], s0[before & ok], rtol=1e-6)
            later = ~before & ok
            if later.any() and np.any(np.abs(s1[later] - s0[later]) > 1e-3 * s0[later]):
                changed += 1
                assert np.all(s1[later] >= s0[later] * (1 - 1e-6))  # less docetaxel: never smaller
        assert changed >= 1, engine
        assert np.isfinite(r1["toxicity_stop_day"]).mean() >= 0.9  # P(all >= 13 cycles) = 0.5**13


def test_calibration_path_withholds_the_same_doses(tmp_path):
    """JointCohort (the calibration path) zeroes the same patients' doses from the runner's stop day on."""
    from oncoimmune.trials import joint as J
    from oncoimmune.trials.plan import plan_trial

    d = load_trial_spec(REPO / "examples" / "oak.toml").to_dict()
    d["arms"][1] = {**d["arms"][1], "discontinuation": {"per_cycle": 0.4}}
    spec = TrialSpec.from_dict(d)
    c = J.JointCohort.from_spec(spec, n=8, seed=5)
    (a,) = c.arms["docetaxel"]  # one batch: every patient gets the same regimens
    plan = plan_trial(spec, 8, 5)
    draws = RU.rule_draws(5, [p.index for p in plan.patients], spec.arms[1])
    times = np.array([e.time for e in a.events])
    dose = np.array([RU.is_dose(e) for e in a.events])
    days = RU.dose_days(a.events)
    for k in range(8):
        stop = RU.toxicity_stop_day(days, draws.cycles[k])
        given = a.event_values[k][dose]
        assert np.all(given[times[dose] >= stop] == 0) and np.all(given[times[dose] < stop] > 0)
