"""Treated-model templates: one treatment per arm and model structure, values per patient.

Every patient of an arm gets the same regimens, so their treated models share
one structure (:func:`~oncoimmune.therapy.regimen.treat_regimens` adds the same
kinetics states, parameters and terms); only values differ. A
:class:`TreatTemplate` treats one patient in full and then builds each further
patient's compiled problem from values alone:

* values the patient's linked model already holds (drawn parameters, escape
  strengths, initial states, the library's pre-treatment state) are taken from it;
* values of each regimen's kinetics (e.g. a weight-scaled clearance) come from
  the regimen's kinetics added to a one-state stand-in model;
* every other value the treatment adds (mechanism constants) is the template's;
* dose events are the template's when no dose depends on the patient (flat mg
  doses, abstract chemotherapy units), otherwise each regimen's own events;
  regimens that start on a day of the patient's own (crossover, subsequent
  therapy) with flat doses give the same events to every patient who starts
  them on that day, so those are kept per start day (:data:`MAX_START_DAYS`).

That is exact only if the treatment adds values that do not depend on the
patient in any other way, which a mechanism could break. So a template is
used only after it reproduces, bit for bit, the full treatment of
:data:`CHECKS_BEFORE_USE` patients (the one it was built from and others with
other weights, body surfaces and linked values): parameter and initial vectors
and events; one patient in :data:`SPOT_CHECK_EVERY` is still treated in full
and compared (:class:`TemplateCheck`), one in :data:`SPOT_CHECK_EVERY_LATER` once a
template has served :data:`SPOT_CHECK_DENSE_USES` patients. Where a check fails before use, or for
regimens of other kinds, the runner treats every patient in full
(:func:`oncoimmune.trials.solve.simulate_patients_batched` does both; the
engine-equivalence tests compare them on every example spec).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..model.events import sort_events
from ..therapy.regimen import ChemotherapyCourse, Regimen
from .context import TrialRunError

__all__ = ["NoTemplate", "TemplateCheck", "TemplateMismatch", "TreatTemplate", "flat_dosed"]

#: Patients a template must reproduce exactly before it is used.
CHECKS_BEFORE_USE = 3
#: After that, one patient in this many is still treated in full and compared (a spot check) ...
SPOT_CHECK_EVERY = 50
#: ... for this many uses of the template (100 spot checks) ...
SPOT_CHECK_DENSE_USES = 5_000
#: ... then one in this many. At one in 50 throughout, the full-path patients were about a quarter of
#: the sampling and treating time of a large trial (0.22 against 0.165 ms per patient, KEYNOTE-024,
#: design note 0004); a million-patient trial still gets about 2,000 spot checks per template.
SPOT_CHECK_EVERY_LATER = 500
#: Start days whose events a template keeps (crossover starts fall on a few days after the scans).
MAX_START_DAYS = 64


class TemplateMismatch(TrialRunError):
    """A template gave a patient other values than the full path after it had been used: results are unsafe."""


class TemplateCheck:
    """When a template may be used: after :data:`CHECKS_BEFORE_USE` exact reproductions, with spot checks.

    A template that fails a check before it is used is simply not used (every
    patient goes the full way). One that fails a spot check after it was used
    raises :class:`TemplateMismatch`: patients built from it may be wrong, so
    the trial stops and says so rather than mixing right and wrong results.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.passed = 0
        self.failed = False
        self.uses = 0

    def use(self) -> bool:
        """Whether this patient may come from the template (False: take the full path and :meth:`record`)."""
        if self.failed or self.passed < CHECKS_BEFORE_USE:
            return False
        self.uses += 1
        return not self._due()

    def _due(self) -> bool:
        every = SPOT_CHECK_EVERY if self.uses <= SPOT_CHECK_DENSE_USES else SPOT_CHECK_EVERY_LATER
        return self.uses % every == 0

    @property
    def wanted(self) -> bool:
        """Whether a full-path patient should be compared with the template."""
        return not self.failed and (self.passed < CHECKS_BEFORE_USE or self._due())

    def record(self, ok: bool, detail: str = "") -> None:
        if ok:
            self.passed += 1
            return
        self.failed = True
        if self.uses:
            raise TemplateMismatch(
                f"the {self.what} template gave a patient values that differ from the full path after "
                f"{self.uses} patients were built from it{': ' + detail if detail else ''}; the results would not be "
                "reliable: run with --engine scipy and report this (a mechanism or hook adds patient-dependent "
                "values the template does not know)"
            )


class NoTemplate:
    """Stands where a template could not be built: every patient takes the full path."""

    def __init__(self, what: str) -> None:
        self.check = TemplateCheck(what)
        self.check.failed = True


def flat_dosed(regs: Sequence[Any]) -> bool:
    """Whether no dose of ``regs`` depends on the patient (flat mg doses or abstract chemotherapy units)."""
    for r in regs:
        if isinstance(r, ChemotherapyCourse):
            continue
        if isinstance(r, Regimen) and all(p.dose.unit == "mg" for p in r.phases):
            continue
        return False
    return True


def kinetics_values(regs: Sequence[Any]) -> dict[str, float] | None:
    """Parameter and initial values each regimen's kinetics adds (``AbstractKinetics.values``), or None when a
    regimen's kinetics cannot be had alone (a cell or virus product whose mechanism creates its state)."""
    out: dict[str, float] = {}
    for r in regs:
        if not isinstance(r, Regimen):
            continue
        k = r.drug.kinetics
        if k.mechanism_creates_state:
            return None
        out.update(k.values(r.drug.prefix, weight_kg=r.weight_kg))
    return out


def _regimen_events(regs: Sequence[Any], until: float, model: Any) -> tuple[Any, ...]:
    """The dose events of ``regs`` on the treated ``model``, merged as :func:`~oncoimmune.therapy.intervention.treat` does."""
    evs: list[Any] = []
    for r in regs:
        if isinstance(r, Regimen):  # what its intervention's events are, without building the intervention
            evs.extend(r.events(until, model=model))
            continue
        iv = r.intervention(until)
        evs.extend(iv.events(model) if callable(iv.events) else iv.events)
    return sort_events(evs)


class _LinkedMaps:
    """Index maps from a linked model's parameters and states to a treated structure's vectors.

    ``p_dst[i]`` of the treated parameters takes the linked parameter ``p_src[i]`` (likewise
    ``y_dst``/``y_src`` for states); ``kin_p``/``kin_y``: the treated positions, by name, of the
    parameters and states the linked model does not hold (a regimen's kinetics may set them).
    """

    def __init__(self, cm: Any, pnames: tuple[str, ...], snames: tuple[str, ...]) -> None:
        pi, si = {n: k for k, n in enumerate(pnames)}, {n: k for k, n in enumerate(snames)}
        pd = [j for j, n in enumerate(cm.param_names) if n in pi]
        sd = [j for j, n in enumerate(cm.state_names) if n in si]
        self.p_dst = np.array(pd, dtype=np.intp)
        self.p_src = np.array([pi[cm.param_names[j]] for j in pd], dtype=np.intp)
        self.y_dst = np.array(sd, dtype=np.intp)
        self.y_src = np.array([si[cm.state_names[j]] for j in sd], dtype=np.intp)
        self.kin_p = {n: j for j, n in enumerate(cm.param_names) if n not in pi}
        self.kin_y = {n: j for j, n in enumerate(cm.state_names) if n not in si}


class TreatTemplate:
    """The treated structure of one arm for one linked-model structure (see the module docstring).

    Parameters
    ----------
    treated : Model
        A patient's treated model (``treat_regimens(linked, *regs).model``).
    events : tuple of Event
        That patient's dose events.
    flat : bool
        Whether the arm's doses do not depend on the patient (:func:`flat_dosed`).
    until : float
        Last dosing day (the trial's horizon).
    start : float, optional
        The day some regimens start for this patient (crossover, subsequent therapy): the
        events then depend on that day, and flat-dosed ones are kept per start day.
    """

    def __init__(
        self, treated: Any, events: Sequence[Any], *, flat: bool, until: float, start: float | None = None
    ) -> None:
        self.model = treated
        self.cm = treated.compile()
        self.flat = bool(flat)
        self.until = float(until)
        self.shifted = start is not None
        self.events = tuple(events) if flat and not self.shifted else None
        self._by_start: dict[float, tuple[Any, ...]] = {}
        self._p_template = np.array([p.value for p in treated.parameters], dtype=float)
        self._y_template = np.array([x.initial for x in treated.states], dtype=float)
        self._maps: dict[tuple[Any, ...], _LinkedMaps] = {}
        self.check = TemplateCheck("treatment")

    def values(self, linked: Any, regs: Sequence[Any]) -> tuple[np.ndarray, np.ndarray] | None:
        """Initial and parameter vectors of the treated model for a patient (None: not derivable).

        Each value is the linked model's where it has one, else the regimens' kinetics value, else the
        template's.
        """
        kin = kinetics_values(regs)
        if kin is None:
            return None
        m = self._linked_maps(linked)
        p0, y0 = self._p_template.copy(), self._y_template.copy()
        for n, v in kin.items():  # kinetics values the linked model does not hold
            if n in m.kin_p:
                p0[m.kin_p[n]] = v
            if n in m.kin_y:
                y0[m.kin_y[n]] = v
        p0[m.p_dst] = np.array([p.value for p in linked.parameters], dtype=float)[m.p_src]
        y0[m.y_dst] = np.array([x.initial for x in linked.states], dtype=float)[m.y_src]
        return y0, p0

    def _linked_maps(self, linked: Any) -> _LinkedMaps:
        """Where the values of a linked model of these names go (kept per linked structure: a few)."""
        key = (linked.parameter_names, linked.state_names)
        hit = self._maps.get(key)
        if hit is None:
            if len(self._maps) >= 8:
                self._maps.clear()
            hit = self._maps[key] = _LinkedMaps(self.cm, *key)
        return hit

    def problem(
        self, linked: Any, regs: Sequence[Any], start: float | None = None
    ) -> tuple[Any, tuple[Any, ...]] | None:
        """``(compiled model with the patient's values, events)``, or None where the template cannot say.

        ``start``: the day the patient's shifted regimens start (templates built with a ``start``).
        """
        v = self.values(linked, regs)
        if v is None:
            return None
        return self.cm._with_values(*v), self._events(regs, start)

    def _events(self, regs: Sequence[Any], start: float | None) -> tuple[Any, ...]:
        """The patient's dose events: the template's, those kept for ``start``, or the regimens' own."""
        if self.events is not None:
            return self.events
        if not (self.flat and self.shifted and start is not None):
            return _regimen_events(regs, self.until, self.model)
        hit = self._by_start.get(start)
        if hit is None:
            hit = _regimen_events(regs, self.until, self.model)
            if len(self._by_start) < MAX_START_DAYS:
                self._by_start[start] = hit
        return hit

    def reproduces(
        self, linked: Any, regs: Sequence[Any], full_cm: Any, full_events: Sequence[Any], start: float | None = None
    ) -> bool:
        """Whether :meth:`problem` gives exactly the full treatment's vectors and events for this patient."""
        got = self.problem(linked, regs, start)
        if got is None:
            return False
        cm, events = got
        return (
            cm.param_names == full_cm.param_names
            and cm.state_names == full_cm.state_names
            and np.array_equal(cm.p0, full_cm.p0, equal_nan=True)
            and np.array_equal(cm.y0, full_cm.y0, equal_nan=True)
            and tuple(events) == tuple(full_events)
        )
