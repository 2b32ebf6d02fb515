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
  doses, abstract chemotherapy units), otherwise each regimen's own events.

That is exact only if the treatment adds values that do not depend on the
patient in any other way, which a mechanism could break. So a template is
used only after it reproduces, bit for bit, the full treatment of
:data:`CHECKS_BEFORE_USE` patients (the one it was built from and others with
other weights, body surfaces and linked values): parameter and initial vectors
and events; one patient in :data:`SPOT_CHECK_EVERY` is still treated in full
and compared (:class:`TemplateCheck`). Where a check fails before use, or for
regimens of other kinds, the runner treats every patient in full
(:func:`oncoimmune.trials.solve.simulate_patients_batched` does both; the
engine-equivalence tests compare them on every example spec).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .context import TrialRunError

__all__ = ["NoTemplate", "TemplateCheck", "TemplateMismatch", "TreatTemplate", "flat_dosed"]

#: Patients a template must reproduce exactly before it is used.
CHECKS_BEFORE_USE = 3
#: After that, one patient in this many is still treated in full and compared (a spot check).
SPOT_CHECK_EVERY = 50


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
        return self.uses % SPOT_CHECK_EVERY != 0

    @property
    def wanted(self) -> bool:
        """Whether a full-path patient should be compared with the template."""
        return not self.failed and (self.passed < CHECKS_BEFORE_USE or self.uses % SPOT_CHECK_EVERY == 0)

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
    from ..therapy.regimen import ChemotherapyCourse, Regimen

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
    from ..therapy.regimen import Regimen

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
    from ..model.events import sort_events

    from ..therapy.regimen import Regimen

    evs: list[Any] = []
    for r in regs:
        if isinstance(r, Regimen):  # what its intervention's events are, without building the intervention
            evs.extend(r.events(until, model=model))
            continue
        iv = r.intervention(until)
        evs.extend(iv.events(model) if callable(iv.events) else iv.events)
    return sort_events(evs)


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
    """

    def __init__(self, treated: Any, events: Sequence[Any], *, flat: bool, until: float) -> None:
        self.model = treated
        self.cm = treated.compile()
        self.flat = bool(flat)
        self.until = float(until)
        self.events = tuple(events) if flat else None
        self._p_template = [p.value for p in treated.parameters]
        self._y_template = [x.initial for x in treated.states]
        self.check = TemplateCheck("treatment")

    def values(self, linked: Any, regs: Sequence[Any]) -> tuple[np.ndarray, np.ndarray] | None:
        """Initial and parameter vectors of the treated model for a patient (None: not derivable)."""
        kin = kinetics_values(regs)
        if kin is None:
            return None
        lp, li = linked.parameter_values, linked.initial_values
        cm = self.cm
        p0 = np.array(
            [lp[n] if n in lp else kin.get(n, v) for n, v in zip(cm.param_names, self._p_template)], dtype=float
        )
        y0 = np.array(
            [li[n] if n in li else kin.get(n, v) for n, v in zip(cm.state_names, self._y_template)], dtype=float
        )
        return y0, p0

    def problem(self, linked: Any, regs: Sequence[Any]) -> tuple[Any, tuple[Any, ...]] | None:
        """``(compiled model with the patient's values, events)``, or None where the template cannot say."""
        v = self.values(linked, regs)
        if v is None:
            return None
        events = self.events if self.flat else _regimen_events(regs, self.until, self.model)
        return self.cm._with_values(*v), events

    def reproduces(self, linked: Any, regs: Sequence[Any], full_cm: Any, full_events: Sequence[Any]) -> bool:
        """Whether :meth:`problem` gives exactly the full treatment's vectors and events for this patient."""
        got = self.problem(linked, regs)
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
