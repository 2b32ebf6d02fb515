r"""Regimens: a catalogue drug, a dose and a schedule for one patient, turned into an :class:`Intervention`.

A :class:`Regimen` is data (drug, the phases of its dose schedule, the
patient's weight and body-surface area). :meth:`Regimen.intervention` makes the
:class:`~oncoimmune.therapy.intervention.Intervention` that

1. adds the drug's kinetics to the model (PK compartments, a dose state),
   every name prefixed with :attr:`Drug.prefix <oncoimmune.therapy.catalogue.Drug.prefix>`;
2. applies the drug's **mechanism**, looked up by key in
   ``oncoimmune.therapy.mechanisms.MECHANISMS`` at call time and called as
   ``mechanism(model, exposure=<exposure name>, prefix=<drug prefix>, **params)``
   (a drug whose mechanism is not registered is refused with
   :class:`MechanismUnavailableError`); and
3. brings the exact dose events of its schedule.

Combination therapy is composition: :func:`treat_regimens` (or
:func:`~oncoimmune.therapy.intervention.treat`) applies several in turn.

The text form ``DRUG[:DOSE][:SCHEDULE]`` (the CLI's ``--therapy``) is parsed
by :meth:`Regimen.parse`::

    pembrolizumab                       the label's default regimen (200 mg Q3W)
    pembrolizumab:400mg                 the label regimen with that dose (400 mg Q6W)
    pembrolizumab:200mg:q3w             dose and interval
    nivolumab:480mg:q4w
    trastuzumab:8mg/kg>6mg/kg:q3w       loading dose > maintenance dose
    rituximab:375mg/m2:weekly*4         four doses
    pembrolizumab:200mg:q3w*6@14        six doses from day 14
    pembrolizumab::400mg_q6w            a label regimen by key
    aldesleukin:600000iu/kg             IU are converted with the label's IU per mg
    talimogene_laherparepvec:4e8pfu     doses counted in PFU
    axicabtagene_ciloleucel:2e6cells/kg

Schedules: ``qNw``, ``qNd``, ``qNh``, ``weekly``, ``daily``, ``once``, then
optionally ``*N`` (or ``xN``) administrations and ``@DAY`` for the first one.
A DOSE replaces every amount of the regimen (loading doses too, unless written
``LOAD>DOSE``) except when it equals a label regimen's maintenance dose, which
is then used as it is. ``0`` is a valid dose and equals no treatment.

PD-1 / PD-L1 blockers need the PD-L1 brake
-------------------------------------------
Anti-PD-1 and anti-PD-L1 drugs act through the ``pd1_occupancy`` knob of the
brake :func:`~oncoimmune.biology.escape.pdl1_checkpoint` (mechanisms
``pd1_blockade``/``pdl1_blockade``; an anti-PD-1 and an anti-PD-L1 combine as
``1 - (1 - theta_PD1)(1 - theta_PDL1)``, whatever their order). A model
without the brake is refused (there is nothing to release);
:func:`treat_regimens` adds the brake first, once, when given
``pdl1_engagement=q`` -- the CLI does this with
:data:`DEFAULT_PDL1_ENGAGEMENT` -- so that the result does not depend on the
order of the regimens.

References
----------
.. [1] Mosteller RD (1987). Simplified calculation of body-surface area.
   N Engl J Med 317:1098. (default body-surface area)
.. [2] Lai X, Friedman A (2017). PLoS ONE 12(5):e0178479. (PD-1-PD-L1 complex
   as the brake; blockade lowers the complex)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from .._errors import ModelSpecError, ParameterValueError, ScheduleError, UnknownNameError
from ..biology.escape import pdl1_checkpoint
from ..model import Event, Model
from .catalogue import (  # noqa: F401 (mechanism_registry re-exported)
    CATALOGUE,
    MECHANISM_KEYS,
    Drug,
    LabelRegimen,
    get_drug,
    mechanism_available,
    mechanism_registry,
)
from .chemotherapy import CHEMO_REGIMENS, ChemoRegimen, chemotherapy, get_chemo_regimen
from .intervention import Intervention, Treatment, treat
from .schedule import Dose, IVInfusion, Schedule, bsa_mosteller

__all__ = [
    "CHECKPOINT_AXIS",
    "DEFAULT_HEIGHT_CM",
    "DEFAULT_PDL1_ENGAGEMENT",
    "DEFAULT_WEIGHT_KG",
    "ChemotherapyCourse",
    "MechanismUnavailableError",
    "Regimen",
    "TherapySpecError",
    "apply_mechanism",
    "mechanism_available",
    "mechanism_registry",
    "needs_pdl1_brake",
    "parse_therapy",
    "treat_regimens",
]

#: Default patient: 70 kg (a conventional reference adult; assumption).
DEFAULT_WEIGHT_KG = 70.0
#: Default height (cm) for the Mosteller body-surface area (1.82 m^2 at 70 kg; assumption).
DEFAULT_HEIGHT_CM = 170.0
#: PD-L1 brake strength added for PD-1/PD-L1 blockers when a model has none (CLI default):
#: ``q = 1`` halves killing and tumour-driven expansion without a drug. A scenario
#: default (assumption), not a measured value; change it with ``--set pdl1_engagement=Q``.
DEFAULT_PDL1_ENGAGEMENT = 1.0
#: Mechanism keys acting through the PD-1-PD-L1 brake.
CHECKPOINT_AXIS = ("pd1_blockade", "pdl1_blockade")


class TherapySpecError(ScheduleError):
    """A ``DRUG[:DOSE][:SCHEDULE]`` text is invalid; the message names the part and the valid choices."""

    def __init__(self, text: str, part: str, reason: str):
        self.text = text
        self.part = part
        self.reason = reason
        super().__init__(f"therapy {text!r}: {part}: {reason}")


class MechanismUnavailableError(ModelSpecError):
    """A drug's mechanism is not registered yet (nor built in)."""


# ---------------------------------------------------------------------------------------
# mechanisms
def _require_mechanism(drug: Drug) -> Callable[..., Model]:
    if not drug.simulable:
        raise ModelSpecError(
            f"{drug.name} is kept out of simulation: its pharmacokinetics is not encoded "
            f"({drug.kinetics.describe()}); `oncoimmune drugs` lists the drugs that can be simulated"
        )
    fn = mechanism_registry().get(drug.mechanism)
    if fn is None:
        usable = sorted(d.name for d in CATALOGUE.values() if mechanism_available(d.mechanism))
        raise MechanismUnavailableError(
            f"{drug.name}: its mechanism {drug.mechanism!r} ({MECHANISM_KEYS[drug.mechanism]}) is not yet "
            f"available (oncoimmune.therapy.mechanisms.MECHANISMS has no {drug.mechanism!r}); drugs usable now: "
            f"{', '.join(usable) or 'none'}"
        )
    return fn


def _call_mechanism(
    fn: Callable[..., Model], model: Model, drug: Drug, exposure: str, params: Mapping[str, Any]
) -> Model:
    kwargs = {"prefix": drug.prefix, **drug.mechanism_defaults, **params}
    out = fn(model, exposure=exposure, **kwargs)
    if not isinstance(out, Model):
        raise ModelSpecError(f"mechanism {drug.mechanism!r} returned {type(out).__name__}, not a Model")
    return out


def apply_mechanism(model: Model, drug: str | Drug, **params: Any) -> Model:
    """Apply ``drug``'s mechanism to a model that already holds the drug's kinetics.

    The mechanism is called as ``MECHANISMS[key](model, exposure=<exposure>,
    prefix=<drug prefix>, **drug.mechanism_defaults, **params)``.

    Raises
    ------
    MechanismUnavailableError
        If the mechanism is not registered.
    """
    d = get_drug(drug)
    fn = _require_mechanism(d)
    return _call_mechanism(fn, model, d, d.kinetics.resolve_exposure(model, d.prefix), params)


# ---------------------------------------------------------------------------------------
# parsing
_NUM = r"(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?"
_DOSE_RE = re.compile(rf"^(?P<num>{_NUM})\s*(?P<unit>[a-zµμ/²^0-9]*)$", re.IGNORECASE)
_SCHED_RE = re.compile(
    rf"^(?:(?P<q>q(?P<n>{_NUM})(?P<per>w|d|h))|(?P<word>weekly|daily|once|single))"
    rf"(?:[*x](?P<cycles>\d+))?(?:@(?P<start>{_NUM})d?)?$",
    re.IGNORECASE,
)


def _unit_table(drug: Drug) -> dict[str, tuple[float, str]]:
    """Dose unit text -> (factor to the drug's amount unit, Dose unit)."""
    if drug.amount_unit == "PFU":
        return {"pfu": (1.0, "mg")}
    if drug.amount_unit == "cells":
        return {
            "cells": (1.0, "mg"),
            "cell": (1.0, "mg"),
            "cells/kg": (1.0, "mg/kg"),
            "cell/kg": (1.0, "mg/kg"),
        }
    t = {
        "mg": (1.0, "mg"),
        "mg/kg": (1.0, "mg/kg"),
        "mg/m2": (1.0, "mg/m2"),
        "g": (1000.0, "mg"),
        "ug": (1e-3, "mg"),
        "mcg": (1e-3, "mg"),
        "ug/kg": (1e-3, "mg/kg"),
        "mcg/kg": (1e-3, "mg/kg"),
        "ug/m2": (1e-3, "mg/m2"),
        "mcg/m2": (1e-3, "mg/m2"),
    }
    if drug.iu_per_mg:
        f = 1.0 / drug.iu_per_mg
        t.update(
            {"iu": (f, "mg"), "iu/kg": (f, "mg/kg"), "miu": (1e6 * f, "mg"), "miu/kg": (1e6 * f, "mg/kg")}
        )
    return t


def _norm_unit(u: str) -> str:
    u = u.strip().lower().replace("µ", "u").replace("μ", "u").replace("m^2", "m2").replace("m²", "m2")
    return u


def _parse_one_dose(text: str, drug: Drug, whole: str) -> Dose:
    m = _DOSE_RE.match(text.strip())
    units = _unit_table(drug)
    valid = ", ".join(units)
    if not m:
        raise TherapySpecError(
            whole,
            "DOSE",
            f"{text!r} is not AMOUNT+UNIT, e.g. {_example_dose(drug)}; units for {drug.name}: {valid}",
        )
    amount = float(m.group("num"))
    unit = _norm_unit(m.group("unit") or "")
    if not unit:
        if amount == 0.0:
            return Dose(0.0, "mg")
        raise TherapySpecError(whole, "DOSE", f"{text!r} has no unit; units for {drug.name}: {valid}")
    if unit not in units:
        raise TherapySpecError(
            whole, "DOSE", f"unit {unit!r} is not valid for {drug.name}; valid units: {valid}"
        )
    factor, dose_unit = units[unit]
    if not math.isfinite(amount):
        raise TherapySpecError(whole, "DOSE", f"amount must be finite; got {text!r}")
    dose = Dose(amount * factor, dose_unit)
    _check_plausible_dose(dose, drug, text, whole)
    return dose


#: A dose above this multiple of the drug's largest label dose per administration is refused
#: (issue 9: "a dose beyond a drug's plausible range (say 100x its label maximum)").
MAX_LABEL_MULTIPLE = 100.0
#: Reference adult used to compare flat, weight- and BSA-based doses (assumption: 70 kg, 1.9 m^2;
#: the 100x margin dwarfs the spread between adults).
_REFERENCE_ADULT = {"weight_kg": 70.0, "bsa_m2": 1.9}


def label_maximum_mg(drug: Drug) -> float:
    """The largest dose per administration among ``drug``'s label regimens, for the reference adult.

    In the drug's amount unit (mg, PFU or cells), counting each regimen's
    ``max_amount`` cap (e.g. axicabtagene ciloleucel's 2e8 cells).
    """
    top = 0.0
    for r in drug.regimens.values():
        for ph in r.phases:
            for d in (ph.dose, ph.loading):
                if isinstance(d, Dose):
                    v = d.resolve(**_REFERENCE_ADULT)
                    top = max(top, min(v, r.max_amount) if r.max_amount is not None else v)
    return top


def _check_plausible_dose(dose: Dose, drug: Drug, text: str, whole: str) -> None:
    top = label_maximum_mg(drug)
    if top <= 0 or dose.amount == 0:
        return
    got = dose.resolve(**_REFERENCE_ADULT)
    if got > MAX_LABEL_MULTIPLE * top:
        raise TherapySpecError(
            whole,
            "DOSE",
            f"{text!r} is {got / top:.3g} times the largest label dose of {drug.name} ({top:g} {drug.amount_unit} "
            f"per administration for a 70 kg, 1.9 m2 adult); the limit is {MAX_LABEL_MULTIPLE:g}x",
        )


def _example_dose(drug: Drug) -> str:
    return {"PFU": "4e8pfu", "cells": "2e6cells/kg"}.get(drug.amount_unit, "200mg")


@dataclass(frozen=True)
class _ScheduleText:
    every_days: float | None = None
    cycles: int | None = None
    start_day: float | None = None
    label_key: str | None = None


def _parse_schedule(text: str, drug: Drug | None, whole: str) -> _ScheduleText:
    t = text.strip().lower()
    keys = tuple(drug.regimens) if drug is not None else ()
    if t in keys:
        return _ScheduleText(label_key=t)
    if t == "label" and drug is not None:
        return _ScheduleText(label_key=drug.default_regimen)
    # a label key with a start day: 200mg_q3w@14
    key, at, start = t.partition("@")
    if at and key in keys:
        return _ScheduleText(label_key=key, start_day=_start(start, whole))
    m = _SCHED_RE.match(t)
    if not m:
        labels = f", or a label regimen of {drug.name}: {', '.join(keys)}" if drug is not None else ""
        raise TherapySpecError(
            whole,
            "SCHEDULE",
            f"{text!r} is not valid; give qNw, qNd, qNh, weekly, daily or once, optionally *N administrations and "
            f"@DAY for the first (e.g. q3w*4@14){labels}",
        )
    if m.group("q"):
        n = float(m.group("n"))
        if not n > 0:
            raise TherapySpecError(whole, "SCHEDULE", f"the interval in {text!r} must be > 0")
        every = n * {"w": 7.0, "d": 1.0, "h": 1.0 / 24.0}[m.group("per").lower()]
        cycles = None
    else:
        word = m.group("word").lower()
        every = {"weekly": 7.0, "daily": 1.0}.get(word, 1.0)
        cycles = 1 if word in ("once", "single") else None
    if m.group("cycles") is not None:
        c = int(m.group("cycles"))
        if c < 1:
            raise TherapySpecError(
                whole, "SCHEDULE", f"the number of administrations in {text!r} must be >= 1"
            )
        if cycles == 1 and c != 1:
            raise TherapySpecError(whole, "SCHEDULE", f"{text!r}: 'once' means one administration")
        cycles = c
    start = _start(m.group("start"), whole) if m.group("start") is not None else None
    return _ScheduleText(every_days=every, cycles=cycles, start_day=start)


def _start(text: str, whole: str) -> float:
    try:
        v = float(text.rstrip("d"))
    except ValueError:
        raise TherapySpecError(
            whole, "SCHEDULE", f"start day {text!r} must be a number of days, e.g. @14"
        ) from None
    if not (math.isfinite(v) and v >= 0):
        raise TherapySpecError(whole, "SCHEDULE", f"start day must be >= 0; got {text!r}")
    return v


def _with_dose(s: Schedule, dose: Dose, loading: Dose | None) -> Schedule:
    if s.loading is None:
        return replace(s, dose=dose)
    return replace(s, dose=dose, loading=loading if loading is not None else dose)


def _same_dose(a: Dose, b: Dose) -> bool:
    return a.unit == b.unit and math.isclose(a.amount, b.amount, rel_tol=1e-9, abs_tol=0.0)


# ---------------------------------------------------------------------------------------
# the regimen
@dataclass(frozen=True)
class Regimen:
    """A catalogue drug given by a schedule to one patient.

    Parameters
    ----------
    drug : Drug or str
        Catalogue entry (or a name :func:`~oncoimmune.therapy.catalogue.get_drug` resolves).
    phases : tuple of Schedule, optional
        The schedule(s); default: the drug's default label regimen.
    weight_kg : float
        Body weight for weight-based doses and the PK covariate model
        (default :data:`DEFAULT_WEIGHT_KG`).
    bsa_m2 : float, optional
        Body-surface area for BSA-based doses; default Mosteller's formula for
        :data:`DEFAULT_HEIGHT_CM` and ``weight_kg``.
    until : float, optional
        Stop giving doses on this day (needed for regimens that run until
        progression, e.g. nivolumab; :func:`treat_regimens` passes the horizon).
    max_amount : float, optional
        Cap on one administration (amount unit of the drug), e.g. axi-cel's 2e8 cells.
    text : str
        The ``DRUG[:DOSE][:SCHEDULE]`` text it came from (provenance).
    label_key : str, optional
        The label regimen it is (unchanged), if any.
    mechanism_params : mapping
        Keyword arguments for the mechanism.
    """

    drug: Drug
    phases: tuple[Schedule, ...] = ()
    weight_kg: float = DEFAULT_WEIGHT_KG
    bsa_m2: float | None = None
    until: float | None = None
    max_amount: float | None = None
    text: str = ""
    label_key: str | None = None
    mechanism_params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "drug", get_drug(self.drug))
        phases = (self.phases,) if isinstance(self.phases, Schedule) else tuple(self.phases)
        if not phases:
            reg = self.drug.regimen()
            phases = reg.phases
            if self.label_key is None:
                object.__setattr__(self, "label_key", reg.key)
            if self.max_amount is None:
                object.__setattr__(self, "max_amount", reg.max_amount)
        for i, p in enumerate(phases):
            if not isinstance(p, Schedule):
                raise ScheduleError(f"Regimen.phases[{i}] must be a Schedule; got {type(p).__name__}")
        object.__setattr__(self, "phases", phases)
        w = _positive_float("weight_kg", self.weight_kg, "body weight in kg, e.g. 70")
        object.__setattr__(self, "weight_kg", w)
        bsa = bsa_mosteller(DEFAULT_HEIGHT_CM, w) if self.bsa_m2 is None else self.bsa_m2
        object.__setattr__(
            self, "bsa_m2", _positive_float("bsa_m2", bsa, "body-surface area in m2, e.g. 1.8")
        )
        if self.until is not None:
            u = float(self.until)
            if not (math.isfinite(u) and u > 0):
                raise ScheduleError(f"Regimen.until must be a day > 0; got {self.until!r}")
            object.__setattr__(self, "until", u)
        object.__setattr__(self, "mechanism_params", MappingProxyType(dict(self.mechanism_params)))

    def for_patient(self, weight_kg: float, bsa_m2: float | None = None) -> Regimen:
        """This regimen for another body weight and surface (default surface: Mosteller's, as built).

        A value-only copy: the two values are validated as the constructor validates them and
        everything else is this regimen's, already validated (a virtual trial makes one per
        patient and regimen).
        """
        w = _positive_float("weight_kg", weight_kg, "body weight in kg, e.g. 70")
        bsa = bsa_mosteller(DEFAULT_HEIGHT_CM, w) if bsa_m2 is None else bsa_m2
        b = _positive_float("bsa_m2", bsa, "body-surface area in m2, e.g. 1.8")
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        object.__setattr__(new, "weight_kg", w)
        object.__setattr__(new, "bsa_m2", b)
        return new

    # construction --------------------------------------------------------------------------
    @classmethod
    def from_label(cls, drug: str | Drug, key: str | None = None, **patient: Any) -> Regimen:
        """The label regimen ``key`` (default: the drug's default) of ``drug``."""
        d = get_drug(drug)
        reg = d.regimen(key)
        return cls(
            d,
            reg.phases,
            max_amount=reg.max_amount,
            label_key=reg.key,
            text=f"{d.name}::{reg.key}",
            **patient,
        )

    @classmethod
    def parse(cls, text: str, **patient: Any) -> Regimen:
        """Parse ``DRUG[:DOSE][:SCHEDULE]`` (see the module docstring).

        Parameters
        ----------
        text : str
        **patient
            ``weight_kg``, ``bsa_m2``, ``until``.

        Raises
        ------
        TherapySpecError
            Naming the part (DRUG, DOSE, SCHEDULE) and the valid choices.
        """
        if not isinstance(text, str) or not text.strip():
            raise TherapySpecError(
                str(text), "DRUG", "give DRUG[:DOSE][:SCHEDULE], e.g. pembrolizumab:200mg:q3w"
            )
        whole = text.strip()
        parts = [p.strip() for p in whole.split(":")]
        if len(parts) > 3:
            raise TherapySpecError(
                whole, "format", "expected DRUG[:DOSE][:SCHEDULE] (at most two ':'), e.g. nivolumab:480mg:q4w"
            )
        try:
            drug = get_drug(parts[0])
        except UnknownNameError as exc:
            raise TherapySpecError(
                whole,
                "DRUG",
                f"unknown drug {parts[0]!r}; valid choices: {', '.join(exc.choices)} (or chemotherapy: "
                f"{', '.join(CHEMO_REGIMENS)})",
            ) from None
        dose_text = sched_text = ""
        rest = parts[1:]
        if len(rest) == 2:
            dose_text, sched_text = rest
        elif len(rest) == 1:
            token = rest[0]
            if token and (token[0].isdigit() or token[0] == "."):
                dose_text = token
            else:
                sched_text = token
        dose = loading = None
        if dose_text:
            load_txt, gt, main_txt = dose_text.partition(">")
            if gt:
                loading = _parse_one_dose(load_txt, drug, whole)
                dose = _parse_one_dose(main_txt, drug, whole)
            else:
                dose = _parse_one_dose(dose_text, drug, whole)
        sched = _parse_schedule(sched_text, drug, whole) if sched_text else None
        return cls._build(drug, dose, loading, sched, whole, patient)

    @classmethod
    def _build(
        cls,
        drug: Drug,
        dose: Dose | None,
        loading: Dose | None,
        sched: _ScheduleText | None,
        whole: str,
        patient: Mapping[str, Any],
    ) -> Regimen:
        base: LabelRegimen = drug.regimen(sched.label_key if sched and sched.label_key else None)
        label_key: str | None = base.key
        custom = sched is not None and sched.label_key is None
        if dose is not None and loading is None and not (sched and sched.label_key):
            # a dose equal to a label regimen's dose (and interval, if given) selects that regimen as it is
            same = [
                r
                for r in drug.regimens.values()
                if all(_same_dose(p.dose, dose) for p in r.phases)
                and (not custom or math.isclose(r.maintenance.every_days, sched.every_days))  # type: ignore[union-attr]
            ]
            if same:
                base, dose = same[0], None
                label_key = base.key
        phases = base.phases
        try:
            if custom:
                assert sched is not None
                m = base.maintenance
                same_interval = math.isclose(m.every_days, sched.every_days)  # type: ignore[arg-type]
                if same_interval and sched.cycles is None and sched.start_day is None:
                    pass  # the label regimen's own interval: keep it (loading dose, number of doses)
                elif same_interval and len(phases) == 1:
                    cycles = sched.cycles if sched.cycles is not None else m.cycles
                    start = sched.start_day if sched.start_day is not None else m.start_day
                    if m.loading is not None and cycles is not None and cycles < m.loading_cycles:
                        raise TherapySpecError(
                            whole, "SCHEDULE", f"{cycles} administration(s) is fewer than the loading doses"
                        )
                    phases = (replace(m, cycles=cycles, start_day=start),)
                    label_key = None
                else:
                    cycles = sched.cycles if sched.cycles is not None else m.cycles
                    start = sched.start_day if sched.start_day is not None else phases[0].start_day
                    phases = (
                        replace(
                            m,
                            every_days=sched.every_days,
                            cycles=cycles,
                            start_day=start,
                            breaks=(),
                            loading_every_days=None,
                        ),
                    )
                    label_key = None
            elif sched is not None and sched.start_day is not None:
                phases = tuple(replace(p, start_day=p.start_day + sched.start_day) for p in phases)
                label_key = None
            if dose is not None:
                phases = tuple(_with_dose(p, dose, loading) for p in phases)
                label_key = None
        except ScheduleError as exc:
            if isinstance(exc, TherapySpecError):
                raise
            raise TherapySpecError(whole, "SCHEDULE", str(exc)) from None
        if loading is not None and all(p.loading is None for p in phases):
            try:
                phases = (replace(phases[0], loading=loading),) + phases[1:]
            except ScheduleError as exc:
                raise TherapySpecError(whole, "DOSE", str(exc)) from None
        if label_key is None:
            label_key = next((r.key for r in drug.regimens.values() if r.phases == phases), None)
        try:
            return cls(drug, phases, max_amount=base.max_amount, text=whole, label_key=label_key, **patient)
        except (ScheduleError, ParameterValueError) as exc:
            raise TherapySpecError(whole, "patient", str(exc)) from None

    # the schedule as events ------------------------------------------------------------------
    @property
    def key(self) -> str:
        """The drug's name (one regimen per drug in a combination)."""
        return self.drug.name

    @property
    def runs_until_stopped(self) -> bool:
        """Whether a phase has no fixed number of administrations (needs ``until``)."""
        return any(p.cycles is None for p in self.phases)

    def _until(self, until: float | None) -> float | None:
        u = self.until if until is None else until
        if u is None and self.runs_until_stopped:
            raise ScheduleError(
                f"{self.drug.name} regimen runs until stopped (the label doses until progression): pass until=<day> "
                "(e.g. the simulation horizon)"
            )
        return u

    def administrations(self, until: float | None = None) -> list[tuple[float, float, Schedule]]:
        """``(day, amount, phase)`` of every administration (amount in the drug's unit, caps applied)."""
        u = self._until(until)
        out = []
        for p in self.phases:
            for a in p.administrations(weight_kg=self.weight_kg, bsa_m2=self.bsa_m2, until=u):
                amt = a.amount_mg if self.max_amount is None else min(a.amount_mg, self.max_amount)
                out.append((a.time, amt, p))
        return sorted(out, key=lambda x: x[0])

    def events(self, until: float | None = None, *, model: Model | None = None) -> tuple[Event, ...]:
        """The dose events (exact jumps) for a model holding this drug's kinetics.

        ``model`` (the treated model) lets a cell product find the model's own CAR-T state.
        """
        u = self._until(until)
        d, k, prefix = self.drug, self.drug.kinetics, self.drug.prefix
        state_target = (
            k.resolve_exposure(model, prefix) if (model is not None and k.mechanism_creates_state) else None
        )
        unit = d.amount_unit
        out: list[Event] = []
        last_infusion_end = -math.inf
        for p in self.phases:
            adm = p.administrations(weight_kg=self.weight_kg, bsa_m2=self.bsa_m2, until=u)
            if not adm:
                continue
            inf = [a for a in adm if isinstance(a.route, IVInfusion)]
            inst = [a for a in adm if not isinstance(a.route, IVInfusion)]
            if inf:
                if inf[0].time < last_infusion_end:
                    raise ScheduleError(
                        f"{d.name}: infusions of consecutive phases overlap (day {inf[0].time:g}); make the phases "
                        "follow each other"
                    )
                last_infusion_end = max(a.end for a in inf)
                target = k.dose_target(prefix, inst[0].route) if inst else None
                evs = p.events(
                    target,
                    rate_parameter=k.rate_parameter(prefix),
                    weight_kg=self.weight_kg,
                    bsa_m2=self.bsa_m2,
                    until=u,
                )
                out.extend(e for e in evs if e.kind == "parameter")
            for a in inst:
                amt = a.amount_mg if self.max_amount is None else min(a.amount_mg, self.max_amount)
                target = k.dose_target(prefix, a.route)
                out.append(
                    Event(
                        a.time,
                        state_target or target,
                        "add",
                        amt,
                        kind="state",
                        label=f"{d.name} {amt:.6g} {unit} {a.route.kind} (dose {a.index + 1})",
                    )
                )
        if unit != "mg":
            out = [replace(e, label=e.label.replace(" mg ", f" {unit} ")) for e in out]
        first_param = k.first_dose_parameter(prefix)
        if first_param is not None and out:
            first = min(e.time for e in out)
            out.insert(
                0, Event(0.0, first_param, "set", first, kind="parameter", label=f"{d.name} first dose day")
            )
        return tuple(sorted(out, key=lambda e: e.time))

    # the intervention ------------------------------------------------------------------------
    def kinetics_model(self, model: Model) -> Model:
        """``model`` with this drug's kinetics only (no mechanism)."""
        return self.drug.kinetics.add_to(model, self.drug.prefix, weight_kg=self.weight_kg)

    def intervention(self, until: float | None = None, *, mechanism: bool = True) -> Intervention:
        """The :class:`Intervention`: kinetics + mechanism (``mechanism=False``: kinetics only) + dose events.

        Raises
        ------
        MechanismUnavailableError
            If the drug's mechanism is not available yet (with ``mechanism=True``).
        ScheduleError
            If the regimen runs until stopped and no ``until`` is known.
        """
        u = self._until(until)
        checked = self.events(u)  # validate the schedule against the kinetics now, not at simulation time
        fn = _require_mechanism(self.drug) if mechanism else None
        drug, k, params = self.drug, self.drug.kinetics, dict(self.mechanism_params)

        def events(m: Model) -> tuple[Event, ...]:
            # the treated model is read only to find a cell product's own state: otherwise the events are those
            # just checked (built once, not twice)
            return self.events(u, model=m) if k.mechanism_creates_state else checked

        def transform(m: Model) -> Model:
            if fn is None:
                return self.kinetics_model(m)
            expo = k.resolve_exposure(m, drug.prefix)
            out = m if k.mechanism_creates_state else self.kinetics_model(m)
            out = _call_mechanism(fn, out, drug, expo, params)
            if expo not in (*out.state_names, *out.parameter_names, *out.observable_names):
                out = self.kinetics_model(out)
            return out

        return Intervention(
            name=self.name,
            transform=transform,
            events=events,
            classes=drug.classes,
            description=self.describe(),
            metadata={"drug": drug.name, "regimen": self.text or self.name, "mechanism": drug.mechanism},
        )

    # explain ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Short label, e.g. ``"pembrolizumab 200 mg every 21 d"``."""
        m = self.phases[-1]
        return f"{self.drug.name} {self._dose_text(m.dose)} every {m.every_days:g} d"

    def _dose_text(self, dose: Dose) -> str:
        unit = self.drug.amount_unit
        u = dose.unit if unit == "mg" else dose.unit.replace("mg", unit)
        return f"{dose.amount:g} {u}"

    def describe(self) -> str:
        """The regimen in plain English."""
        d = self.drug
        parts = []
        for p in self.phases:
            n = "until stopped" if p.cycles is None else f"x{p.cycles}"
            load = f"loading {self._dose_text(p.loading)} then " if p.loading is not None else ""
            parts.append(
                f"{load}{self._dose_text(p.dose)} {p.route.describe()} every {p.every_days:g} d {n} from day "
                f"{p.start_day:g}"
            )
        cap = f"; at most {self.max_amount:g} {d.amount_unit} per administration" if self.max_amount else ""
        return (
            f"{d.display_name}: "
            + "; ".join(parts)
            + cap
            + f" (patient {self.weight_kg:g} kg, {self.bsa_m2:.3g} m2)"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for provenance."""
        return {
            "drug": self.drug.name,
            "text": self.text,
            "label_regimen": self.label_key,
            "phases": [p.to_dict() for p in self.phases],
            "amount_unit": self.drug.amount_unit,
            "weight_kg": self.weight_kg,
            "bsa_m2": self.bsa_m2,
            "until": self.until,
            "max_amount": self.max_amount,
        }


def _positive_float(what: str, value: Any, hint: str) -> float:
    if isinstance(value, bool):
        raise ParameterValueError(f"{what} must be a number ({hint}); got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterValueError(f"{what} must be a number ({hint}); got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ParameterValueError(f"{what} must be a finite number > 0 ({hint}); got {value!r}")
    return v


@dataclass(frozen=True)
class ChemotherapyCourse:
    """A chemotherapy regimen as a therapy text: ``carboplatin_paclitaxel[:UNITS][:SCHEDULE]``.

    ``UNITS`` is the number of de Pillis drug units per cycle (default 1, an
    assumption, see :mod:`~oncoimmune.therapy.chemotherapy`); ``SCHEDULE``
    overrides the cycle length, the number of cycles and the first day
    (``q3w*6@14``).
    """

    regimen: ChemoRegimen
    units_per_dose: float = 1.0
    cycles: int | None = None
    every_days: float | None = None
    start_day: float | None = None
    text: str = ""

    @property
    def key(self) -> str:
        return self.regimen.key

    @classmethod
    def parse(cls, text: str) -> ChemotherapyCourse:
        whole = text.strip()
        parts = [p.strip() for p in whole.split(":")]
        if len(parts) > 3:
            raise TherapySpecError(
                whole, "format", "expected REGIMEN[:UNITS][:SCHEDULE], e.g. carboplatin_paclitaxel:1:q3w*4"
            )
        reg = get_chemo_regimen(parts[0])
        units_txt = sched_txt = ""
        rest = parts[1:]
        if len(rest) == 2:
            units_txt, sched_txt = rest
        elif len(rest) == 1:
            if rest[0] and (rest[0][0].isdigit() or rest[0][0] == "."):
                units_txt = rest[0]
            else:
                sched_txt = rest[0]
        units = 1.0
        if units_txt:
            m = re.fullmatch(rf"({_NUM})\s*(u|units?)?", units_txt.strip(), re.IGNORECASE)
            if not m:
                raise TherapySpecError(
                    whole,
                    "DOSE",
                    f"{units_txt!r} is not a number of drug units per cycle, e.g. 1 or 0.5units",
                )
            units = float(m.group(1))
            if not math.isfinite(units) or units > MAX_LABEL_MULTIPLE:
                raise TherapySpecError(
                    whole,
                    "DOSE",
                    f"{units_txt!r} is more than {MAX_LABEL_MULTIPLE:g} times the regimen's label dose per cycle "
                    "(1 unit); give at most 100units",
                )
        every = cycles = start = None
        if sched_txt:
            st = _parse_schedule(sched_txt, None, whole)
            every, cycles, start = st.every_days, st.cycles, st.start_day
            if cycles is None and every is not None:
                cycles = reg.schedule.cycles
        course = cls(reg, units, cycles, every, start, whole)
        try:
            course.intervention()
        except (ScheduleError, ParameterValueError) as exc:
            raise TherapySpecError(whole, "SCHEDULE", str(exc)) from None
        return course

    def intervention(self, until: float | None = None, *, mechanism: bool = True) -> Intervention:
        """The chemotherapy :class:`Intervention` (``until`` and ``mechanism`` are accepted for symmetry)."""
        return chemotherapy(
            self.regimen,
            units_per_dose=self.units_per_dose,
            cycles=self.cycles,
            every_days=self.every_days,
            start_day=self.start_day,
        )


def parse_therapy(text: str, **patient: Any) -> Any:
    """A :class:`Regimen` (catalogue drug), a real-dose cytotoxic course or a :class:`ChemotherapyCourse`.

    ``docetaxel:75mg/m2:q3w`` and doublets with real doses
    (``carboplatin_paclitaxel:AUC6+200mg/m2:q3w*4``) are
    :class:`~oncoimmune.therapy.cytotoxic.CytotoxicCourse` objects; a doublet
    with a bare number of drug units (or none) keeps the de Pillis abstract-unit
    form of :mod:`~oncoimmune.therapy.chemotherapy`.
    """
    from .cytotoxic import CytotoxicCourse, is_cytotoxic_text

    if is_cytotoxic_text(text):
        return CytotoxicCourse.parse(text, **patient)
    if isinstance(text, str):
        name = text.strip().split(":", 1)[0]
        try:
            get_chemo_regimen(name)
        except UnknownNameError:
            pass
        else:
            return ChemotherapyCourse.parse(text)
    return Regimen.parse(text, **patient)


def needs_pdl1_brake(model: Model, regimens: Iterable[Any]) -> bool:
    """Whether a PD-1/PD-L1 blocker is among ``regimens`` and ``model`` has no PD-L1 brake yet."""
    return (
        any(isinstance(r, Regimen) and r.drug.mechanism in CHECKPOINT_AXIS for r in regimens)
        and "pdl1_engagement" not in model.parameter_names
    )


def treat_regimens(
    model: Model,
    *regimens: Regimen | ChemotherapyCourse | str,
    until: float | None = None,
    pdl1_engagement: float | None = None,
    mechanism: bool = True,
    **patient: Any,
) -> Treatment:
    """Apply several regimens to a model (combination therapy is composition).

    Parameters
    ----------
    model : Model
        The untreated model (unchanged).
    *regimens : Regimen, ChemotherapyCourse or str
        Regimens, or ``DRUG[:DOSE][:SCHEDULE]`` texts (parsed with ``**patient``).
    until : float, optional
        Last day of dosing for regimens that run until stopped (e.g. the horizon).
    pdl1_engagement : float, optional
        If a PD-1/PD-L1 blocker is given and the model has no PD-L1 brake, add
        :func:`~oncoimmune.biology.escape.pdl1_checkpoint` with this strength
        first. ``None`` (default) leaves the model as it is, and a blocker then
        refuses a model without the brake.
    mechanism : bool
        ``False`` adds the kinetics and events only.

    Returns
    -------
    Treatment
        The treated model and all events in time order.

    Raises
    ------
    ModelSpecError
        If one drug is given twice (combine the doses into one regimen).
    """
    from .cytotoxic import CytotoxicCourse

    regs = [parse_therapy(r, **patient) if isinstance(r, str) else r for r in regimens]
    seen: dict[str, int] = {}
    for r in regs:
        if not isinstance(r, (Regimen, ChemotherapyCourse, CytotoxicCourse)):
            raise ModelSpecError(
                "treat_regimens: expected Regimen, CytotoxicCourse or ChemotherapyCourse objects; got "
                f"{type(r).__name__}"
            )
        seen[r.key] = seen.get(r.key, 0) + 1
    twice = sorted(n for n, c in seen.items() if c > 1)
    if twice:
        raise ModelSpecError(
            f"drug(s) given twice: {', '.join(twice)}; give each drug once (use its schedule for several doses)"
        )
    m = model
    if mechanism and pdl1_engagement is not None and needs_pdl1_brake(model, regs):
        m = pdl1_checkpoint(m, pdl1_engagement)
    return treat(m, *(r.intervention(until, mechanism=mechanism) for r in regs))
