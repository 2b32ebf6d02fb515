"""The shipped joint fit against the published trials (docs/trial-validation.md; issue 8 "Done when").

Every figure of KEYNOTE-024 (Reck 2016), KEYNOTE-010 (Herbst 2016) and OAK (Rittmeyer 2017) listed in
``oncoimmune.trials.joint.TRIALS`` (with where each was read) is checked in a randomised virtual trial
of twice the real trial's size, with two seeds, at the shipped joint fit ("fitted") and at the shipped
fit that left the trial out ("left out"). Criteria: ORR and hazard ratios inside the published 95 % CI;
medians within +-20 % (+-25 % for left-out median OS); OS at 12 months within +-8 points. A figure
the model misses is a strict xfail whose reason gives the measured values (never a loosened bound).
Slow: about a minute on 2 cores (58 s on 2026-12-07; ``make test-all``).
"""

from __future__ import annotations

import math
from functools import lru_cache

import pytest

pytest.importorskip("lifelines")

from oncoimmune import _calibration_data
from oncoimmune.trials import joint as J

SEEDS = (2026, 7)
TRIALS = ("keynote024", "keynote010", "oak")

#: (trial, fit, figure, arm) -> measured values (seed 2026 / seed 7) of the figures the model misses;
#: filled from `python scripts/trial_validation.py` (docs/trial-validation.md); refit of 2026-12-07, 22:29 UTC
#: (`make calibrate`: weak priors on the line-of-therapy contrasts and the carboplatin potency, an uninformed
#: contrast at its prior's centre, design note 0006; every parameter fitted together in a last joint stage,
#: design note 0007).
MISSES: dict[tuple[str, str, str, str], str] = {
    ('keynote024', 'fitted', 'OS at 12 months', 'chemotherapy'): 'measured 0.569 / 0.453 (seeds 2026 / 7) vs published 0.543',
    ('keynote010', 'fitted', 'median OS', 'pembrolizumab_2mg_kg'): 'measured 11.1 / 12.7 (seeds 2026 / 7) vs published 10.4',
    ('keynote010', 'fitted', 'OS at 12 months', 'pembrolizumab_2mg_kg'): 'measured 0.467 / 0.516 (seeds 2026 / 7) vs published 0.432',
    ('keynote010', 'left out', 'median OS', 'pembrolizumab_2mg_kg'): 'measured 13.8 / 16.5 (seeds 2026 / 7) vs published 10.4',
    ('oak', 'fitted', 'median OS', 'atezolizumab'): 'measured 10 / 11.2 (seeds 2026 / 7) vs published 13.8',
    ('oak', 'fitted', 'OS HR', 'atezolizumab'): 'measured 0.903 / 0.807 (seeds 2026 / 7) vs published (0.73, 0.62, 0.87)',
    ('oak', 'left out', 'median OS', 'atezolizumab'): 'measured 10.2 / 10.5 (seeds 2026 / 7) vs published 13.8',
    # figures never fitted (joint.TrialTargets.held_out): KEYNOTE-010's TPS >= 50 % subgroup, at the joint fit
    ('keynote010', 'fitted', 'median PFS, TPS >= 50 % (not fitted)', 'pembrolizumab_10mg_kg'): 'measured 4.1 / 4.1 (seeds 2026 / 7; the 9-week scan day before 6.2) vs published 5.2',
    ('keynote010', 'fitted', 'PFS HR, TPS >= 50 % (not fitted)', 'pembrolizumab_2mg_kg'): 'measured 0.81 / 0.67 (seeds 2026 / 7) vs published (0.59, 0.44, 0.78)',
}


@lru_cache(maxsize=None)
def _cohort(key: str, seed: int) -> J.JointCohort:
    n = int(round(2 * sum(J.TRIALS[key].n.values())))
    return J.JointCohort.build(key, n=n, seed=seed, only_assigned=True)


@lru_cache(maxsize=None)
def _rows(key: str, fit: str, seed: int) -> tuple:
    theta = dict(J.current_theta())
    if fit == "left out":
        loo = _calibration_data.leave_one_out_theta(key)
        if not loo:
            pytest.skip(f"no leave-one-out fit shipped for {key}")
        theta.update(loo)
    res = J.evaluate(_cohort(key, seed), theta, randomised=True)
    return tuple(J.compare(res, J.TRIALS[key])), res


def _cases() -> list:
    out = []
    for key in TRIALS:
        tg = J.TRIALS[key]
        figs = [("ORR", a) for a in tg.orr] + [("median PFS", a) for a in tg.pfs_median]
        figs += [("median OS", a) for a in tg.os_median] + [("OS at 12 months", a) for a in tg.os12]
        figs += [("PFS HR", a) for a in tg.pfs_hr] + [("OS HR", a) for a in tg.os_hr]
        for fit in ("fitted", "left out"):
            for fig, arm in figs:
                if fit == "left out" and fig not in ("OS HR", "median OS"):
                    continue  # the leave-one-out criteria: OS HR and median OS per arm
                marks = []
                miss = MISSES.get((key, fit, fig, arm))
                if miss:
                    marks.append(pytest.mark.xfail(strict=True, reason=miss))
                out.append(pytest.param(key, fit, fig, arm, marks=marks, id=f"{key}-{fit}-{fig}-{arm}"))
        for label, sg in tg.held_out.items():  # never fitted: checked at the joint fit
            held = [(f"median PFS, {label} (not fitted)", a) for a in sg.get("pfs_median", {})]
            held += [(f"{f}, {label} (not fitted)", a) for k, f in (("pfs_hr", "PFS HR"), ("os_hr", "OS HR"))
                     for a in sg.get(k, {})]
            for fig, arm in held:
                miss = MISSES.get((key, "fitted", fig, arm))
                marks = [pytest.mark.xfail(strict=True, reason=miss)] if miss else []
                out.append(pytest.param(key, "fitted", fig, arm, marks=marks, id=f"{key}-fitted-{fig}-{arm}"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("key, fit, fig, arm", _cases())
def test_virtual_trial_matches_the_published_figure(key, fit, fig, arm):
    for seed in SEEDS:
        rows, _ = _rows(key, fit, seed)
        row = next(r for r in rows if r["figure"] == fig and r["arm"] == arm)
        v = row["virtual"]
        if fit == "left out" and fig == "median OS":
            ok = math.isfinite(v) and abs(v / row["published"] - 1) <= 0.25
        else:
            ok = row["ok"]
        assert ok, f"seed {seed}: virtual {v} vs published {row['published']}"


#: Measured chemotherapy ORR gap between PD-L1 < 1 % and >= 50 % (OAK docetaxel arm), if it misses.
PDL1_GAP_MISS = ""


@pytest.mark.slow
@pytest.mark.parametrize(
    "seed",
    [pytest.param(s, marks=[pytest.mark.xfail(strict=True, reason=PDL1_GAP_MISS)] if PDL1_GAP_MISS else [])
     for s in SEEDS],
)
def test_chemotherapy_response_is_flat_across_pdl1(seed):
    """Issue 8: the chemotherapy arm's ORR differs by < 10 points between TPS < 1 % and >= 50 % (OAK docetaxel)."""
    _, res = _rows("oak", "fitted", seed)
    by = res["arms"]["docetaxel"]["orr_by_pdl1"]
    low, high = by["TPS < 1 %"][0], by["TPS >= 50 %"][0]
    assert abs(low - high) < 0.10, (low, high)
