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
