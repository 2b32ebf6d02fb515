"""Treatment rules of an arm, as trials write them: toxicity, progression, beyond it, and after it.

An arm of a :class:`~oncoimmune.trials.spec.TrialSpec` may say

- ``discontinuation = { per_cycle = h }``: after each cycle given, the patient stops
  the arm's treatment for good with probability ``h`` (cycles received are geometric,
  drawn from ``patient_rng(seed, i, "events", "toxicity")``);
- ``until = "progression"``: the arm's doses stop at the first documented progression
  (besides the regimen's own end: "until progression or N cycles");
- ``beyond_progression = { probability = p, max_weeks = w }``: with probability ``p``
  (``"events", "beyond"``) the patient goes on past progression for ``w`` weeks;
- ``subsequent = { regimens = [...], probability = q, delay_days = d }``: with
  probability ``q`` (``"events", "subsequent"``) a later-line regimen starts ``d`` days
  after the arm's own treatment has ended;
- ``crossover`` (:class:`~oncoimmune.trials.spec.CrossoverSpec`): another arm's regimens.

Doses are withheld by setting their amounts (and infusion rates) to zero from a day on,
so a patient's treated model keeps its structure (both trial engines batch patients
by structure, and the calibration path passes per-patient dose amounts). A "cycle" is a
day on which any of the arm's drugs is given.

Each rule draws from a patient stream of its own, so adding a rule to an arm changes no
other random number of any patient. :func:`plan_post_progression` is the one place that
decides, at a patient's first documented progression, what changes; both engines of
:mod:`oncoimmune.trials.solve` call it.

How the rules reach the endpoints: toxicity discontinuation changes the tumour before
progression (response, PFS, and the TGI-OS link's growth rate ``KG``, hence OS). Stopping
at progression, treatment beyond it, subsequent therapy and crossover change only the
trajectory after the first progression: ORR and PFS are unchanged by construction; OS
changes under the lethal-burden ``[death]`` rule, but not under the TGI-OS link of
``[survival]``, which reads ``KG`` before the first progression (its fitted intercept
holds the trials' post-progression care).

References
----------
.. [1] Rittmeyer A et al. (2017). Lancet 389:255-265 (OAK: atezolizumab until loss of
   clinical benefit, docetaxel until progression). doi:10.1016/S0140-6736(16)32517-X
.. [2] Herbst RS et al. (2016). Lancet 387:1540-1550 (KEYNOTE-010: pembrolizumab for up to
   24 months). doi:10.1016/S0140-6736(15)01281-7
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "PostProgression",
    "RuleDraws",
    "dose_days",
    "dose_targets",
    "is_dose",
    "plan_post_progression",
    "TreatmentCourse",
    "treatment_course",
    "rule_draws",
    "toxicity_stop_day",
    "withhold",
]

#: Two event times closer than this (days) are the same day.
_SAME_DAY = 1e-6


def is_dose(e: Any) -> bool:
    """Whether an event gives drug: a positive ``add`` to a state, or an infusion rate switched on."""
    if e.value <= 0:
        return False
    if e.kind == "state":
        return e.op == "add"
    return e.kind == "parameter" and e.op == "set" and not str(e.label).endswith("first dose day")


def dose_targets(events: Iterable[Any]) -> frozenset[str]:
    """The states and rate parameters that receive the doses of ``events``."""
    return frozenset(e.target for e in events if is_dose(e))


def dose_days(events: Iterable[Any]) -> np.ndarray:
    """The distinct days (sorted) on which ``events`` give a dose: the arm's cycles."""
    t = np.sort(np.array([float(e.time) for e in events if is_dose(e)], dtype=float))
    if t.size == 0:
        return t
    keep = np.concatenate([[True], np.diff(t) > _SAME_DAY])
    return t[keep]


def withhold(events: Sequence[Any], from_day: float, targets: Iterable[str]) -> tuple[Any, ...]:
    """``events`` with every dose to ``targets`` on or after ``from_day`` set to zero (same event times)."""
    if not math.isfinite(from_day):
        return tuple(events)
    tg = frozenset(targets)
    return tuple(
        dataclasses.replace(e, value=0.0) if (e.target in tg and e.time >= from_day - _SAME_DAY and is_dose(e)) else e
        for e in events
    )


@dataclass(frozen=True)
class RuleDraws:
    """The treatment-rule numbers of patients (arrays over patients).

    Attributes
    ----------
    cycles : ndarray of float
        Cycles received before stopping for toxicity (``inf``: the arm has no
        ``discontinuation`` or its hazard is 0).
    beyond, subsequent : ndarray
        Uniforms on [0, 1) (NaN when the arm has no such rule: the stream is not drawn).
    """

    cycles: np.ndarray
    beyond: np.ndarray
    subsequent: np.ndarray


def rule_draws(seed: int, indices: Sequence[int], arm: Any) -> RuleDraws:
    """Each patient's rule numbers, each from its own stream ``patient_rng(seed, i, "events", name)``.

    ``cycles``: ``Generator.geometric(per_cycle)`` on ``"toxicity"``; ``beyond`` and ``subsequent``:
    one uniform on ``"beyond"`` and ``"subsequent"``.
    """
    from ..patients.cohort import patient_rng

    h = arm.discontinuation.per_cycle if arm.discontinuation is not None else 0.0
    need_beyond, need_sub = arm.beyond_progression is not None, arm.subsequent is not None
    cyc, bey, sub = [], [], []
    for i in indices:  # only the streams the arm's rules use (the others are never read: no cost per patient)
        cyc.append(float(patient_rng(int(seed), int(i), "events", "toxicity").geometric(h)) if h > 0 else math.inf)
        bey.append(float(patient_rng(int(seed), int(i), "events", "beyond").random()) if need_beyond else math.nan)
        sub.append(float(patient_rng(int(seed), int(i), "events", "subsequent").random()) if need_sub else math.nan)
    return RuleDraws(np.array(cyc, dtype=float), np.array(bey, dtype=float), np.array(sub, dtype=float))


def toxicity_stop_day(days: np.ndarray, cycles: float) -> float:
    """The day of the first cycle not given after ``cycles`` cycles (``inf``: the course is completed)."""
    if not math.isfinite(cycles):
        return math.inf
    k = int(cycles)
    return float(days[k]) if k < days.size else math.inf


@dataclass(frozen=True)
class PostProgression:
    """What changes at a patient's first documented progression.

    Attributes
    ----------
    arm_stop : float
        The arm's doses are withheld from this day on (``inf``: none withheld).
    start : float
        Day the crossover or subsequent regimens start (NaN: none).
    crossover_to : str or None
        The arm whose regimens start (crossover).
    subsequent : tuple of str
        Subsequent regimens (text) that start.
    beyond : bool
        Treated beyond progression.
    """

    arm_stop: float
    start: float
    crossover_to: str | None
    subsequent: tuple[str, ...]
    beyond: bool


def plan_post_progression(
    arm: Any,
    t_prog: float,
    tox_stop: float,
    days: np.ndarray,
    *,
    u_crossover: float,
    u_beyond: float,
    u_subsequent: float,
    horizon: float,
    contact: float,
) -> PostProgression | None:
    """Decide what changes at progression day ``t_prog`` for one patient of ``arm``; ``None``: nothing.

    Parameters
    ----------
    arm : ArmSpec
    t_prog : float
        First documented progression (day; ``inf``: none).
    tox_stop : float
        Day the arm's doses stopped for toxicity (``inf``: never).
    days : ndarray
        The arm's cycle days (:func:`dose_days` of the arm's own regimens).
    u_crossover, u_beyond, u_subsequent : float
        The patient's uniforms (``EventDraws.crossover``, :class:`RuleDraws`).
    horizon, contact : float
        The trial's horizon and the patient's last contact (days): therapy that would start after
        either is not given.

    Returns
    -------
    PostProgression or None
        ``None`` when the trajectory after progression is unchanged (no progression, or no rule
        applies to this patient).
    """
    if not math.isfinite(t_prog):
        return None
    stop, beyond = tox_stop, False
    if arm.until == "progression":
        post = t_prog
        bp = arm.beyond_progression
        if bp is not None and u_beyond < bp.probability:
            beyond = True
            post = math.inf if bp.max_weeks is None else t_prog + 7.0 * bp.max_weeks
        stop = min(stop, post)
    withheld_now = bool(np.any(days >= stop - _SAME_DAY)) and stop < tox_stop
    # the arm's own treatment ends at the stop day when doses remained, else after its last dose
    end = stop if np.any(days >= stop - _SAME_DAY) else (float(days[-1]) if days.size else 0.0)
    xo_to: str | None = None
    sub: tuple[str, ...] = ()
    start = math.nan
    xo = arm.crossover
    if xo is not None and u_crossover < xo.probability:
        t_x = t_prog + xo.delay_days
        if t_x < horizon and not (contact < t_x):
            xo_to, start = xo.to_arm, t_x
    elif arm.subsequent is not None and u_subsequent < arm.subsequent.probability:
        t_x = max(t_prog, end) + arm.subsequent.delay_days
        if t_x < horizon and not (contact < t_x):
            sub, start = tuple(arm.subsequent.regimens), t_x
    if xo_to is None and not sub and not withheld_now:
        return None
    return PostProgression(arm_stop=stop, start=start, crossover_to=xo_to, subsequent=sub, beyond=beyond)


@dataclass(frozen=True)
class TreatmentCourse:
    """When each patient's randomised treatment ends, as a function of their first progression.

    Read by the TGI-OS link's on-treatment growth rate (``[survival] kg_read = "on_treatment"``,
    :func:`oncoimmune.trials.survival_link.link_death_days_on_treatment`); the rules are those of
    :func:`plan_post_progression`. Arrays over patients (days).

    Attributes
    ----------
    stop : ndarray
        End of the arm's treatment without progression: the toxicity stop, else one dosing interval
        after the regimen's last dose (``inf``: none within the horizon's doses).
    after_progression : ndarray
        Days the arm's treatment goes on after the first progression: 0 (``until = "progression"``),
        ``7 * max_weeks`` (treated beyond progression), ``inf`` (doses as scheduled).
    switch_after_progression : ndarray
        Days from the first progression to a crossover (``inf``: no crossover drawn).
    """

    stop: np.ndarray
    after_progression: np.ndarray
    switch_after_progression: np.ndarray

    def end_day(self, t_progression: Any) -> np.ndarray:
        """The end of the randomised treatment for first progressions ``t_progression`` (``inf``: none).

        Never before the progression itself: ``max(t_prog, min(stop, t_prog + after, t_prog + switch))``,
        and ``inf`` without progression (the end of the observed course).
        """
        tp = np.asarray(t_progression, dtype=float)
        after = np.minimum(tp + self.after_progression, tp + self.switch_after_progression)
        end = np.minimum(self.stop, after)
        return np.where(np.isfinite(tp), np.maximum(tp, end), np.inf)

    @classmethod
    def concat(cls, parts: Iterable[TreatmentCourse]) -> TreatmentCourse:
        ps = list(parts)
        return cls(*(np.concatenate([getattr(p, f.name) for p in ps]) for f in dataclasses.fields(cls)))

    def take(self, rows: Any) -> TreatmentCourse:
        return TreatmentCourse(*(getattr(self, f.name)[rows] for f in dataclasses.fields(self)))


def treatment_course(arm: Any, days: np.ndarray, tox_stop: float, *, u_beyond: float,
                     u_crossover: float) -> TreatmentCourse:
    """One patient's :class:`TreatmentCourse` (arrays of length 1) under ``arm``'s rules.

    Parameters
    ----------
    arm : ArmSpec
    days : ndarray
        The arm's cycle days (:func:`dose_days`).
    tox_stop : float
        :func:`toxicity_stop_day` (``inf``: never).
    u_beyond, u_crossover : float
        The patient's uniforms (:class:`RuleDraws` ``beyond``, ``EventDraws.crossover``), as
        :func:`plan_post_progression` reads them.
    """
    days = np.asarray(days, dtype=float)
    if math.isfinite(tox_stop):
        stop = float(tox_stop)
    elif days.size:
        interval = float(np.median(np.diff(days))) if days.size > 1 else 0.0
        stop = float(days[-1]) + interval
    else:
        stop = 0.0
    after = math.inf
    if arm.until == "progression":
        after = 0.0
        bp = arm.beyond_progression
        if bp is not None and u_beyond < bp.probability:
            after = math.inf if bp.max_weeks is None else 7.0 * bp.max_weeks
    switch = math.inf
    xo = arm.crossover
    if xo is not None and u_crossover < xo.probability:
        switch = float(xo.delay_days)
    return TreatmentCourse(np.array([stop]), np.array([after]), np.array([switch]))
