"""Treated-model and linked-model templates give every patient exactly what the full path gives.

The batched trial path builds most patients from per-arm templates
(:mod:`oncoimmune.trials.templates`, :class:`oncoimmune.trials.sample.LinkTemplate`);
here the same patients are run with templates disabled, and every record must be
identical, on every example spec (KEYNOTE-024 with crossover, KEYNOTE-010's mg/kg and
mg/m2 doses, OAK, the clinical model) and with a virtual-population table. Patients drawn in
lanes (:func:`oncoimmune.trials.sample.presample`) share the same check, so the full run
draws every patient one by one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oncoimmune.trials import templates as T
from oncoimmune.trials.context import TrialContext
from oncoimmune.trials.plan import plan_trial
from oncoimmune.trials.solve import simulate_patients_batched
from oncoimmune.trials.spec import load_trial_spec

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.toml"))


def _records(spec, n, seed):
    ctx = TrialContext.build(spec, seed)
    plan = plan_trial(spec, n, seed)
    recs = simulate_patients_batched(ctx, plan.patients)
    return ctx, [{k: v for k, v in r.items() if k != "seconds"} for r in recs]


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, float) and np.isnan(x):
            assert isinstance(y, float) and np.isnan(y), k
        elif isinstance(x, list):
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=k)
        else:
            assert x == y, (k, x, y)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_templates_reproduce_the_full_path(path, monkeypatch):
    spec = load_trial_spec(path)
    ctx, fast = _records(spec, 60, 5)
    used = [t for k, t in ctx.cache.items() if isinstance(k, tuple) and k[0] == "link_template"]
    used += list(ctx.cache.get("treat_templates", {}).values())
    assert any(t.check.uses > 0 for t in used), "no template was used"
    assert ctx.cache["lanes_check"].uses > 0, "no patient was drawn in lanes"  # the full run draws one by one
    assert not ctx.cache.get("template_errors"), ctx.cache.get("template_errors")
    monkeypatch.setattr(T, "CHECKS_BEFORE_USE", 10**9)  # never used: every patient in full
    _, full = _records(spec, 60, 5)
    assert [r["status"] for r in fast] == [r["status"] for r in full]
    for a, b in zip(fast, full):
        _same(a, b)


def test_a_failed_spot_check_after_use_stops_the_trial():
    c = T.TemplateCheck("treatment")
    for _ in range(T.CHECKS_BEFORE_USE):
        assert c.wanted and not c.use()
        c.record(True)
    assert c.use()  # now in use
    with pytest.raises(T.TemplateMismatch, match="--engine scipy"):
        c.record(False, "arm 'x', patient 3")


def test_a_failed_check_before_use_only_turns_the_template_off():
    c = T.TemplateCheck("treatment")
    c.record(True)
    c.record(False)
    assert c.failed and not c.use() and not c.wanted


def test_spot_checks_keep_coming():
    c = T.TemplateCheck("treatment")
    for _ in range(T.CHECKS_BEFORE_USE):
        c.record(True)
    uses = [c.use() for _ in range(3 * T.SPOT_CHECK_EVERY)]
    assert uses.count(False) == 3  # one full-path patient per SPOT_CHECK_EVERY
    more = [c.use() for _ in range(T.SPOT_CHECK_DENSE_USES - len(uses))]
    assert more.count(False) == T.SPOT_CHECK_DENSE_USES // T.SPOT_CHECK_EVERY - 3
    later = [c.use() for _ in range(4 * T.SPOT_CHECK_EVERY_LATER)]  # then sparser, never none
    assert later.count(False) == 4 and later[-1] is False and c.wanted  # the full-path patient is compared
    assert c.use() and not c.wanted


def test_shifted_therapies_and_start_day_events_equal_the_full_path():
    """A therapy text that starts later (crossover, subsequent therapy) is its first parse shifted once per
    day and then given the patient's weight and surface: equal to a fresh parse, shifted; a flat-dosed
    template keeps one tuple of events per start day, equal to the events each patient's regimens give."""
    from oncoimmune.therapy.regimen import parse_therapy
    from oncoimmune.trials import sample as S
    from oncoimmune.trials.templates import _regimen_events

    spec = load_trial_spec(REPO / "examples" / "keynote024.toml")
    ctx = TrialContext.build(spec, 5)
    texts = ["pembrolizumab:200mg:q3w*35", "pembrolizumab:2mg/kg:q3w*35", "carboplatin_paclitaxel:0.5706:q3w*4"]
    people = [(70.0, 1.8), (52.5, 1.55), (96.0, 2.1), (61.0, 1.7), (80.0, 1.95), (45.0, 1.4)]
    for text in texts:
        for k, (w, b) in enumerate(people * 3):
            start = (84.0, 147.0, 0.0)[k % 3]
            got = S._therapy(ctx, text, w, b, start)
            assert got == S._shift(parse_therapy(text, weight_kg=w, bsa_m2=b), start), (text, w, start)
        check = ctx.cache["parsed_therapies"][text][1]
        assert check.uses > 0 and not check.failed
    assert ("pembrolizumab:200mg:q3w*35", 84.0) in ctx.cache["shifted_therapies"]
    tm = T.TreatTemplate
    first = [S._therapy(ctx, texts[0], 70.0, 1.8, 84.0)]
    treated = S.treat_regimens(ctx.model, *first, until=ctx.horizon, pdl1_engagement=1.0)
    t = tm(treated.model, treated.events, flat=True, until=ctx.horizon, start=84.0)
    for w, b in people:
        for start in (84.0, 147.0):
            regs = [S._therapy(ctx, texts[0], w, b, start)]
            assert t._events(regs, start) == _regimen_events(regs, ctx.horizon, treated.model)
    assert sorted(t._by_start) == [84.0, 147.0]
