r"""Dose schedules as data, validated when built, turned into exact jumps.

A :class:`Schedule` says *what* is given (a :class:`Dose`: flat mg, mg/kg or
mg/m²), *how* (a route: :class:`IVBolus`, :class:`IVInfusion` with a duration,
:class:`Subcutaneous`, :class:`Intralesional`), *when* (start day, interval,
number of administrations, an optional loading phase, pause windows) and for
*which drug*. It knows nothing about a model: :meth:`Schedule.events` turns it
into :class:`~oncoimmune.model.Event` objects for a state or an input-rate
parameter you name, so every dose stays an exact discontinuity.

* bolus, subcutaneous and intralesional doses are state ``add`` events (for
  subcutaneous dosing the state is an absorption depot);
* an infusion is a pair of parameter ``set`` events that switch an input-rate
  parameter (mg/day) on at the start and off at the end. Overlapping infusions
  of the same schedule are merged into one piecewise-constant rate, so the
  amount delivered always equals the dose.

Time is in days. Weeks are written as days (``every_days=21`` for Q3W).

Examples
--------
>>> from oncoimmune.therapy.schedule import Schedule, Dose, IVInfusion
>>> s = Schedule("trastuzumab", Dose(6, "mg/kg"), every_days=21, cycles=4,
...              loading=Dose(8, "mg/kg"), route=IVInfusion.minutes(30))
>>> [round(a.amount_mg) for a in s.administrations(weight_kg=70)]
[560, 420, 420, 420]
>>> s.dose_times()
(0.0, 21.0, 42.0, 63.0)

References
----------
.. [1] Mosteller RD (1987). Simplified calculation of body-surface area.
   N Engl J Med 317:1098. (:func:`bsa_mosteller`)
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .._errors import ScheduleError
from ..model.events import Event

__all__ = [
    "DOSE_UNITS",
    "ROUTES",
    "AbstractRoute",
    "Administration",
    "Break",
    "Dose",
    "IVBolus",
    "IVInfusion",
    "Intralesional",
    "Schedule",
    "Subcutaneous",
    "as_route",
    "bsa_mosteller",
]


def _finite(
    what: str, value: Any, *, low: float | None = None, strict: bool = False, hint: str = ""
) -> float:
    """``float(value)`` or a :class:`ScheduleError` naming ``what``, what came and the fix."""
    if isinstance(value, bool):
        raise ScheduleError(f"{what} must be a number; got the boolean {value!r}{hint}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ScheduleError(f"{what} must be a number; got {value!r}{hint}") from None
    if not math.isfinite(v):
        raise ScheduleError(f"{what} must be finite; got {value!r}{hint}")
    if low is not None and (v < low or (strict and v == low)):
        op = ">" if strict else ">="
        raise ScheduleError(f"{what} must be {op} {low:g}; got {v:g}{hint}")
    return v


# routes ----------------------------------------------------------------------------
class AbstractRoute(abc.ABC):
    """Base of the administration routes; concrete routes are frozen dataclasses."""

    kind: ClassVar[str] = "abstract"

    @property
    def duration(self) -> float:
        """Days over which one administration is delivered (0 for an instantaneous dose)."""
        return 0.0

    @abc.abstractmethod
    def describe(self) -> str:
        """Plain-English name of the route."""


@dataclass(frozen=True)
class IVBolus(AbstractRoute):
    """Intravenous bolus: the whole dose enters the central compartment at once."""

    kind: ClassVar[str] = "iv_bolus"

    def describe(self) -> str:
        return "intravenous bolus"


@dataclass(frozen=True)
class IVInfusion(AbstractRoute):
    """Intravenous infusion at a constant rate over ``duration_days``.

    Parameters
    ----------
    duration_days : float
        Infusion duration in days (> 0). Use :meth:`minutes` or :meth:`hours`
        for the usual clinical units: ``IVInfusion.minutes(30)``.
    """

    duration_days: float
    kind: ClassVar[str] = "iv_infusion"

    def __post_init__(self) -> None:
        d = _finite(
            "IVInfusion.duration_days",
            self.duration_days,
            low=0.0,
            strict=True,
            hint="; give the infusion time, e.g. IVInfusion.minutes(30), or use IVBolus()",
        )
        object.__setattr__(self, "duration_days", d)

    @classmethod
    def minutes(cls, minutes: float) -> IVInfusion:
        """An infusion lasting ``minutes`` minutes."""
        return cls(_finite("IVInfusion.minutes", minutes, low=0.0, strict=True) / 1440.0)

    @classmethod
    def hours(cls, hours: float) -> IVInfusion:
        """An infusion lasting ``hours`` hours."""
        return cls(_finite("IVInfusion.hours", hours, low=0.0, strict=True) / 24.0)

    @property
    def duration(self) -> float:
        return self.duration_days

    def describe(self) -> str:
        return f"intravenous infusion over {self.duration_days * 1440.0:.4g} min"


@dataclass(frozen=True)
class Subcutaneous(AbstractRoute):
    """Subcutaneous injection into an absorption depot (first-order absorption in the PK model)."""

    kind: ClassVar[str] = "subcutaneous"

    def describe(self) -> str:
        return "subcutaneous injection (first-order absorption)"


@dataclass(frozen=True)
class Intralesional(AbstractRoute):
    """Injection into a lesion (e.g. an oncolytic virus); the target is a tumour-site state."""

    kind: ClassVar[str] = "intralesional"

    def describe(self) -> str:
        return "intralesional injection"


#: Names accepted by :func:`as_route` (an infusion needs a duration, so it has no bare name).
ROUTES: dict[str, type[AbstractRoute]] = {
    "iv_bolus": IVBolus,
    "iv": IVBolus,
    "subcutaneous": Subcutaneous,
    "sc": Subcutaneous,
    "intralesional": Intralesional,
}


def as_route(route: Any, what: str = "route") -> AbstractRoute:
    """Resolve a route object or name (``"iv_bolus"``, ``"sc"``, ...) to a route object."""
    if isinstance(route, AbstractRoute):
        return route
    if isinstance(route, str):
        key = route.strip().lower()
        if key in ROUTES:
            return ROUTES[key]()
        if key in ("iv_infusion", "infusion"):
            raise ScheduleError(
                f"{what}={route!r} needs a duration; pass IVInfusion.minutes(30) (or .hours(...)) instead"
            )
        raise ScheduleError(
            f"{what} must be one of {', '.join(sorted(ROUTES))} or a route object "
            f"(IVBolus(), IVInfusion.minutes(30), Subcutaneous(), Intralesional()); got {route!r}"
        )
    raise ScheduleError(f"{what} must be a route object or name; got {type(route).__name__} {route!r}")


# doses -----------------------------------------------------------------------------
#: Dose units: flat, per kg body weight, per m² body-surface area.
DOSE_UNITS = ("mg", "mg/kg", "mg/m2")
_UNIT_ALIASES = {
    "mg": "mg",
    "mg/kg": "mg/kg",
    "mg/m2": "mg/m2",
    "mg/m^2": "mg/m2",
    "mg/m²": "mg/m2",
}


def _check_weight(weight_kg: Any) -> float:
    return _finite(
        "weight_kg", weight_kg, low=0.0, strict=True, hint=" (body weight in kg, e.g. weight_kg=70)"
    )


def _check_bsa(bsa_m2: Any) -> float:
    return _finite("bsa_m2", bsa_m2, low=0.0, strict=True, hint=" (body-surface area in m², e.g. bsa_m2=1.9)")


@dataclass(frozen=True)
class Dose:
    """An amount per administration: flat (mg), weight-based (mg/kg) or BSA-based (mg/m²).

    Parameters
    ----------
    amount : float
        Non-negative amount; ``0`` is allowed and equals no treatment.
    unit : {"mg", "mg/kg", "mg/m2"}
        ``"mg/m^2"`` and ``"mg/m²"`` are accepted as ``"mg/m2"``.
    """

    amount: float
    unit: str = "mg"

    def __post_init__(self) -> None:
        a = _finite("Dose.amount", self.amount, low=0.0, hint="; use 0 for no treatment")
        unit = (
            _UNIT_ALIASES.get(str(self.unit).strip().lower().replace(" ", ""))
            if isinstance(self.unit, str)
            else None
        )
        if unit is None:
            raise ScheduleError(f"Dose.unit must be one of {', '.join(DOSE_UNITS)}; got {self.unit!r}")
        object.__setattr__(self, "amount", a)
        object.__setattr__(self, "unit", unit)

    def resolve(self, weight_kg: float | None = None, bsa_m2: float | None = None) -> float:
        """The amount in mg for a patient of ``weight_kg`` (kg) and ``bsa_m2`` (m²)."""
        if self.unit == "mg":
            return self.amount
        if self.unit == "mg/kg":
            if weight_kg is None:
                raise ScheduleError(f"dose {self} is weight-based: pass weight_kg=... (e.g. weight_kg=70)")
            return self.amount * _check_weight(weight_kg)
        if bsa_m2 is None:
            raise ScheduleError(
                f"dose {self} is body-surface-based: pass bsa_m2=... (e.g. bsa_m2=1.9; see bsa_mosteller)"
            )
        return self.amount * _check_bsa(bsa_m2)

    def scaled(self, factor: float) -> Dose:
        """The same dose multiplied by ``factor`` (>= 0)."""
        return Dose(self.amount * _finite("factor", factor, low=0.0), self.unit)

    def __str__(self) -> str:
        return f"{self.amount:g} {self.unit}"


def _as_dose(value: Any, what: str) -> Dose:
    if isinstance(value, Dose):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Dose(float(value), "mg")
    raise ScheduleError(f"{what} must be a Dose (e.g. Dose(6, 'mg/kg')) or a number of mg; got {value!r}")


def bsa_mosteller(height_cm: float, weight_kg: float) -> float:
    """Body-surface area (m²) by Mosteller's formula ``sqrt(height_cm * weight_kg / 3600)``.

    References
    ----------
    .. [1] Mosteller RD (1987). N Engl J Med 317:1098.
    """
    h = _finite("height_cm", height_cm, low=0.0, strict=True)
    w = _check_weight(weight_kg)
    return math.sqrt(h * w / 3600.0)


# breaks ----------------------------------------------------------------------------
_POLICIES = ("skip", "delay")


@dataclass(frozen=True)
class Break:
    """A pause window ``[start_day, end_day)`` in a schedule (treatment held, then resumed).

    Parameters
    ----------
    start_day, end_day : float
        The window in days, ``0 <= start_day < end_day``.
    policy : {"skip", "delay"}
        ``"skip"``: doses falling in the window are not given (they still count
        towards ``cycles``; later doses keep their dates). ``"delay"``: the first
        dose falling in the window is given at ``end_day`` and every later dose
        moves by the same amount (nothing is lost).
    """

    start_day: float
    end_day: float
    policy: str = "skip"

    def __post_init__(self) -> None:
        a = _finite("Break.start_day", self.start_day, low=0.0)
        b = _finite("Break.end_day", self.end_day)
        if not b > a:
            raise ScheduleError(f"Break.end_day must be after start_day; got [{a:g}, {b:g}] d")
        if self.policy not in _POLICIES:
            raise ScheduleError(f"Break.policy must be one of {', '.join(_POLICIES)}; got {self.policy!r}")
        object.__setattr__(self, "start_day", a)
        object.__setattr__(self, "end_day", b)


# administrations -------------------------------------------------------------------
@dataclass(frozen=True)
class Administration:
    """One resolved administration: when, how much (mg), by which route."""

    time: float
    amount_mg: float
    route: AbstractRoute
    index: int
    loading: bool = False

    @property
    def end(self) -> float:
        """When delivery ends (``time`` for instantaneous routes)."""
        return self.time + self.route.duration


# schedule --------------------------------------------------------------------------
@dataclass(frozen=True)
class Schedule:
    """A dose schedule for one drug, validated when built.

    Parameters
    ----------
    drug : str
        Drug name (used in event labels and provenance).
    dose : Dose or float
        Maintenance dose; a bare number means mg.
    every_days : float
        Days between administrations (7 = weekly, 14 = Q2W, 21 = Q3W, 42 = Q6W).
    cycles : int or None
        Number of administrations in all, loading ones included. ``None``
        means "until stopped" (e.g. until progression); :meth:`events` then
        needs ``until``.
    route : route object or name
        :class:`IVBolus` (default), :class:`IVInfusion`, :class:`Subcutaneous`,
        :class:`Intralesional`, or one of the names in :data:`ROUTES`.
    loading : Dose or float, optional
        Loading dose given at the first ``loading_cycles`` administrations.
    loading_cycles : int
        How many administrations use the loading dose (default 1).
    loading_every_days : float, optional
        Days after each loading administration until the next one (default
        ``every_days``).
    loading_route : route, optional
        Route of the loading administrations (default ``route``), e.g. a
        90-min loading infusion before 30-min maintenance infusions.
    start_day : float
        Day of the first administration (>= 0).
    breaks : sequence of Break
        Pause windows, sorted and non-overlapping.

    Raises
    ------
    ScheduleError
        When a field is invalid; the message names the field, what came, and the fix.
    """

    drug: str
    dose: Dose
    every_days: float
    cycles: int | None = None
    route: AbstractRoute = field(default_factory=IVBolus)
    loading: Dose | None = None
    loading_cycles: int = 1
    loading_every_days: float | None = None
    loading_route: AbstractRoute | None = None
    start_day: float = 0.0
    breaks: tuple[Break, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.drug, str) or not self.drug.strip():
            raise ScheduleError(f"Schedule.drug must be a non-empty drug name; got {self.drug!r}")
        object.__setattr__(self, "dose", _as_dose(self.dose, "Schedule.dose"))
        object.__setattr__(
            self,
            "every_days",
            _finite(
                "Schedule.every_days",
                self.every_days,
                low=0.0,
                strict=True,
                hint=" (e.g. 21 for every 3 weeks)",
            ),
        )
        if self.cycles is not None and (
            isinstance(self.cycles, bool) or not isinstance(self.cycles, int) or self.cycles < 1
        ):
            raise ScheduleError(
                f"Schedule.cycles must be a whole number >= 1, or None for 'until stopped'; got {self.cycles!r}. "
                "A schedule with no administrations gives nothing: for a no-treatment arm use Dose(0)"
            )
        object.__setattr__(self, "route", as_route(self.route, "Schedule.route"))
        if self.loading is not None:
            object.__setattr__(self, "loading", _as_dose(self.loading, "Schedule.loading"))
        if (
            isinstance(self.loading_cycles, bool)
            or not isinstance(self.loading_cycles, int)
            or self.loading_cycles < 1
        ):
            raise ScheduleError(
                f"Schedule.loading_cycles must be a whole number >= 1; got {self.loading_cycles!r}"
            )
        if self.loading is None:
            if (
                self.loading_cycles != 1
                or self.loading_every_days is not None
                or self.loading_route is not None
            ):
                raise ScheduleError(
                    "Schedule: loading_cycles, loading_every_days and loading_route need a loading dose; "
                    "pass loading=Dose(...) or drop them"
                )
        elif self.cycles is not None and self.loading_cycles > self.cycles:
            raise ScheduleError(
                f"Schedule.loading_cycles ({self.loading_cycles}) exceeds cycles ({self.cycles}); "
                "cycles counts every administration, loading ones included"
            )
        if self.loading_every_days is not None:
            object.__setattr__(
                self,
                "loading_every_days",
                _finite("Schedule.loading_every_days", self.loading_every_days, low=0.0, strict=True),
            )
        if self.loading_route is not None:
            object.__setattr__(self, "loading_route", as_route(self.loading_route, "Schedule.loading_route"))
        object.__setattr__(self, "start_day", _finite("Schedule.start_day", self.start_day, low=0.0))
        brks = tuple(self.breaks) if not isinstance(self.breaks, Break) else (self.breaks,)
        for i, b in enumerate(brks):
            if not isinstance(b, Break):
                raise ScheduleError(f"Schedule.breaks[{i}] must be a Break(start_day, end_day); got {b!r}")
            if i and b.start_day < brks[i - 1].end_day:
                raise ScheduleError(
                    f"Schedule.breaks must be sorted and non-overlapping; breaks[{i}] starts at day "
                    f"{b.start_day:g}, before breaks[{i - 1}] ends (day {brks[i - 1].end_day:g})"
                )
        object.__setattr__(self, "breaks", brks)
        if self.cycles is not None and not self._slots(None):
            raise ScheduleError(
                "Schedule.breaks skip every administration: the schedule would give nothing; "
                "shorten the breaks or use policy='delay'"
            )

    # timing ------------------------------------------------------------------------
    @property
    def has_loading(self) -> bool:
        return self.loading is not None

    def _gap_after(self, k: int) -> float:
        """Days from administration ``k`` (0-based) to the next one, before breaks."""
        if self.loading is not None and k < self.loading_cycles and self.loading_every_days is not None:
            return self.loading_every_days
        return self.every_days

    def _slots(self, until: float | None) -> tuple[tuple[int, float], ...]:
        """``(k, time)`` of every administration given (after breaks), ``time < until``."""
        n = self.cycles if self.cycles is not None else math.inf
        if self.cycles is None and until is None:
            raise ScheduleError(
                f"schedule of {self.drug} runs until stopped (cycles=None): pass until=<day> to list its doses"
            )
        out: list[tuple[int, float]] = []
        nominal, shift, k = self.start_day, 0.0, 0
        while k < n:
            t = nominal + shift
            if until is not None and t >= until:
                break
            given = True
            for b in self.breaks:
                if b.start_day <= t < b.end_day:
                    if b.policy == "skip":
                        given = False
                        break
                    shift += b.end_day - t
                    t = b.end_day
            if given and (until is None or t < until):
                out.append((k, t))
            nominal += self._gap_after(k)
            k += 1
        return tuple(out)

    def dose_times(self, until: float | None = None) -> tuple[float, ...]:
        """Days of the administrations actually given (after breaks), earlier than ``until``."""
        return tuple(t for _, t in self._slots(until))

    def administrations(
        self,
        *,
        weight_kg: float | None = None,
        bsa_m2: float | None = None,
        until: float | None = None,
    ) -> tuple[Administration, ...]:
        """Every administration with its amount in mg for the given patient."""
        out = []
        maint = self.dose.resolve(weight_kg, bsa_m2)
        load = self.loading.resolve(weight_kg, bsa_m2) if self.loading is not None else None
        for k, t in self._slots(until):
            is_load = load is not None and k < self.loading_cycles
            route = (self.loading_route or self.route) if is_load else self.route
            out.append(Administration(t, load if is_load else maint, route, k, is_load))  # type: ignore[arg-type]
        return tuple(out)

    def total_mg(
        self, *, weight_kg: float | None = None, bsa_m2: float | None = None, until: float | None = None
    ) -> float:
        """Total amount (mg) given, earlier than ``until``."""
        return float(
            sum(a.amount_mg for a in self.administrations(weight_kg=weight_kg, bsa_m2=bsa_m2, until=until))
        )

    @property
    def routes(self) -> tuple[AbstractRoute, ...]:
        """The distinct routes this schedule uses."""
        rs = [self.route]
        if self.loading_route is not None and self.loading_route != self.route:
            rs.insert(0, self.loading_route)
        return tuple(rs)

    # events ------------------------------------------------------------------------
    def events(
        self,
        target_state: str | None = None,
        *,
        rate_parameter: str | None = None,
        weight_kg: float | None = None,
        bsa_m2: float | None = None,
        until: float | None = None,
    ) -> tuple[Event, ...]:
        """The schedule as exact jumps.

        Parameters
        ----------
        target_state : str
            State receiving bolus, subcutaneous (the depot) and intralesional
            doses (``add`` events, amounts in mg).
        rate_parameter : str
            Input-rate parameter (mg/day) switched by infusions (``set`` events).
        weight_kg, bsa_m2 : float, optional
            Patient size for weight- and BSA-based doses.
        until : float, optional
            Only administrations starting before this day (required for ``cycles=None``).

        Returns
        -------
        tuple of Event
            Sorted by time; infusions that overlap are merged into one rate.
        """
        adm = self.administrations(weight_kg=weight_kg, bsa_m2=bsa_m2, until=until)
        out: list[Event] = []
        infusions = [a for a in adm if isinstance(a.route, IVInfusion)]
        instant = [a for a in adm if not isinstance(a.route, IVInfusion)]
        if instant:
            if not isinstance(target_state, str) or not target_state:
                kinds = sorted({a.route.kind for a in instant})
                raise ScheduleError(
                    f"schedule of {self.drug} has {'/'.join(kinds)} doses: pass target_state=<state name> "
                    "(the central compartment, or the depot for subcutaneous doses)"
                )
            for a in instant:
                out.append(
                    Event(
                        a.time,
                        target_state,
                        "add",
                        a.amount_mg,
                        kind="state",
                        label=f"{self.drug} {a.amount_mg:.6g} mg {a.route.kind} (dose {a.index + 1})",
                    )
                )
        if infusions:
            if not isinstance(rate_parameter, str) or not rate_parameter:
                raise ScheduleError(
                    f"schedule of {self.drug} has infusions: pass rate_parameter=<input-rate parameter name> (mg/day)"
                )
            out.extend(_infusion_events(infusions, rate_parameter, self.drug))
        return tuple(sorted(out, key=lambda e: e.time))

    # explain -----------------------------------------------------------------------
    def describe(self) -> str:
        """The schedule in plain English."""
        n = "until stopped" if self.cycles is None else f"{self.cycles} administration(s) in all"
        parts = []
        if self.loading is not None:
            lr = (self.loading_route or self.route).describe()
            gap = self.loading_every_days if self.loading_every_days is not None else self.every_days
            parts.append(f"loading {self.loading} by {lr} x{self.loading_cycles} (every {gap:g} d), then")
        parts.append(f"{self.dose} by {self.route.describe()} every {self.every_days:g} d")
        s = f"{self.drug}: " + " ".join(parts) + f", from day {self.start_day:g}, {n}"
        for b in self.breaks:
            s += f"; break days {b.start_day:g}-{b.end_day:g} ({b.policy})"
        return s

    def to_dict(self) -> dict[str, Any]:
        """Plain data for provenance."""
        return {
            "drug": self.drug,
            "dose": str(self.dose),
            "every_days": self.every_days,
            "cycles": self.cycles,
            "route": self.route.kind,
            "route_duration_days": self.route.duration,
            "loading": None if self.loading is None else str(self.loading),
            "loading_cycles": self.loading_cycles if self.loading is not None else 0,
            "start_day": self.start_day,
            "breaks": [(b.start_day, b.end_day, b.policy) for b in self.breaks],
        }


def _sequential_infusion_events(ordered: list[Any], parameter: str, drug: str) -> list[Event]:
    """:func:`_infusion_events` for infusions that do not overlap (the usual case), in one pass:
    a ``set`` to the infusion's rate at its start and to 0 at its end unless the next one starts then."""
    out = []
    for k, (start, end, rate, a) in enumerate(ordered):
        label = f"{drug} {a.amount_mg:.6g} mg infusion start (dose {a.index + 1})"
        out.append(Event(start, parameter, "set", float(rate), kind="parameter", label=label))
        if k + 1 == len(ordered) or end < ordered[k + 1][0]:
            out.append(Event(end, parameter, "set", 0.0, kind="parameter", label=f"{drug} infusion end"))
    return out


def _infusion_events(infusions: Iterable[Administration], parameter: str, drug: str) -> list[Event]:
    """One ``set`` event per change of the summed infusion rate (mg/day)."""
    segs = [(a.time, a.end, a.amount_mg / a.route.duration, a) for a in infusions]
    ordered = sorted(segs, key=lambda s: s[0])
    if all(s[0] < s[1] for s in ordered) and all(a[1] <= b[0] for a, b in zip(ordered, ordered[1:])):
        return _sequential_infusion_events(ordered, parameter, drug)
    cuts = sorted({s[0] for s in segs} | {s[1] for s in segs})
    by_start = sorted(range(len(segs)), key=lambda i: segs[i][0])
    out = []
    running: set[int] = set()
    j = 0
    for c in cuts:  # one sweep over the cuts (a regimen of two years has about 70 of them)
        while j < len(by_start) and segs[by_start[j]][0] <= c:
            running.add(by_start[j])
            j += 1
        running = {i for i in running if c < segs[i][1]}
        active = [segs[i] for i in sorted(running)]  # the infusions running at c, in the order given
        rate = float(sum(s[2] for s in active))
        starting = [s[3] for s in active if s[0] == c]
        if starting:
            a = starting[0]
            label = f"{drug} {a.amount_mg:.6g} mg infusion start (dose {a.index + 1})"
        else:
            label = f"{drug} infusion rate change" if active else f"{drug} infusion end"
        out.append(Event(c, parameter, "set", rate, kind="parameter", label=label))
    return out
