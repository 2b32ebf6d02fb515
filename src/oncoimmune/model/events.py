"""Discontinuities: doses, challenges, infusions switched on and off.

An :class:`Event` changes a state (``add``, ``set``, ``multiply``) or a
parameter (``set``, e.g. an infusion rate) at an exact time. Engines integrate
piecewise between event times (:func:`segment_times`), so a dose is an exact
jump, never smeared by a step-size controller.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

from .._errors import ModelSpecError, ScheduleError
from .expr import Expr, as_expr, free_symbols

__all__ = ["Event", "TriggeredEvent", "segment_times", "sort_events"]

_OPS = ("add", "set", "multiply")
_KINDS = ("state", "parameter")


@dataclass(frozen=True)
class Event:
    """A jump at ``time`` (days).

    Parameters
    ----------
    time : float
        When, in days from the start of the simulation (>= 0).
    target : str
        Name of the state or parameter it changes.
    op : {"add", "set", "multiply"}
        ``add`` for a bolus dose or a cell challenge, ``set`` for switching an
        infusion rate on or off, ``multiply`` for e.g. a resection. Parameters
        accept ``set`` and ``add`` (overlapping infusions stack).
    value : float
        Amount added, new value, or factor.
    kind : {"state", "parameter"}
        What ``target`` names.
    label : str
        Free text shown in provenance, e.g. ``"pembrolizumab 200 mg"``.
    """

    time: float
    target: str
    op: str
    value: float
    kind: str = "state"
    label: str = ""

    def __post_init__(self) -> None:
        try:
            t = float(self.time)
        except (TypeError, ValueError):
            raise ScheduleError(f"Event.time must be a number of days; got {self.time!r}") from None
        if not math.isfinite(t) or t < 0:
            raise ScheduleError(f"Event.time must be finite and >= 0 days; got {self.time!r}")
        if self.op not in _OPS:
            raise ScheduleError(f"Event.op must be one of {', '.join(_OPS)}; got {self.op!r}")
        if self.kind not in _KINDS:
            raise ScheduleError(f"Event.kind must be one of {', '.join(_KINDS)}; got {self.kind!r}")
        if self.kind == "parameter" and self.op == "multiply":
            raise ScheduleError(
                f"Event on parameter {self.target!r}: op must be 'set' or 'add' for parameters "
                f"(e.g. switching or stacking infusion rates); got {self.op!r}"
            )
        try:
            v = float(self.value)
        except (TypeError, ValueError):
            raise ScheduleError(f"Event.value must be a number; got {self.value!r}") from None
        if not math.isfinite(v):
            raise ScheduleError(f"Event.value must be finite; got {self.value!r} for target {self.target!r}")
        object.__setattr__(self, "time", t)
        object.__setattr__(self, "value", v)

    def to_dict(self) -> dict:
        return {
            "time": self.time,
            "target": self.target,
            "op": self.op,
            "value": self.value,
            "kind": self.kind,
            "label": self.label,
        }


def sort_events(events: Iterable[Event]) -> tuple[Event, ...]:
    """Events in time order; simultaneous events keep their given order."""
    evs = tuple(events)
    for i, e in enumerate(evs):
        if not isinstance(e, Event):
            raise ScheduleError(f"events[{i}] must be an Event; got {type(e).__name__}")
    return tuple(sorted(evs, key=lambda e: e.time))


def segment_times(t0: float, t1: float, events: Sequence[Event]) -> list[tuple[float, float, tuple[Event, ...]]]:
    """Split ``[t0, t1]`` at event times.

    Returns a list of ``(start, end, events_applied_at_start)``; events at
    ``t0`` are applied before the first segment, events after ``t1`` are
    ignored. Shared by every engine so they all see the same jumps.
    """
    evs = sort_events(events)
    times = sorted({e.time for e in evs if t0 <= e.time < t1})
    if not times or times[0] > t0:
        times = [t0] + times
    out = []
    for k, start in enumerate(times):
        end = times[k + 1] if k + 1 < len(times) else t1
        at = tuple(e for e in evs if e.time == start)
        out.append((start, end, at))
    return out


@dataclass(frozen=True)
class TriggeredEvent:
    """A discontinuity that is part of a model: it fires when a condition becomes true.

    This is the event of SBML Level 3 [1]_ (section 4.12): when ``trigger``
    changes from false to true the event is *triggered*; after ``delay`` it is
    *executed*, setting each target state to its expression. Where several
    events execute at one instant, the one with the highest ``priority`` goes
    first and the triggers are re-checked after each.

    Parameters
    ----------
    name : str
        Identifier (unique within the model).
    trigger : Expr
        Condition built from relations and logic (true where non-zero).
    assignments : tuple of (str, Expr)
        ``(state, expression)`` pairs, executed simultaneously.
    delay : Expr, optional
        Time from triggering to execution (evaluated at the trigger time); none means 0.
    priority : Expr, optional
        Evaluated at execution; higher first; none ranks below every number.
    persistent : bool
        If false, a pending execution is cancelled when the trigger turns false first.
    initial_value : bool
        Value of the trigger just before the start: ``False`` lets an event whose
        trigger holds at the start fire then.
    use_values_from_trigger_time : bool
        Evaluate the assignments when triggered (``True``) or when executed.
    description : str

    References
    ----------
    .. [1] Hucka et al. (2019). The Systems Biology Markup Language (SBML):
       Language Specification for Level 3 Version 2 Core Release 2.
       J Integr Bioinform 16:20190021, section 4.12 (events).
    """

    name: str
    trigger: Expr
    assignments: tuple[tuple[str, Expr], ...]
    delay: Expr | None = None
    priority: Expr | None = None
    persistent: bool = True
    initial_value: bool = True
    use_values_from_trigger_time: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ModelSpecError(f"TriggeredEvent.name must be an identifier; got {self.name!r}")
        object.__setattr__(self, "trigger", as_expr(self.trigger))
        assigns = []
        for item in tuple(self.assignments):
            try:
                target, ex = item
            except (TypeError, ValueError):
                raise ModelSpecError(
                    f"TriggeredEvent {self.name!r}: assignments must be (state, expression) pairs; got {item!r}"
                ) from None
            if not isinstance(target, str):
                raise ModelSpecError(f"TriggeredEvent {self.name!r}: target must be a state name; got {target!r}")
            assigns.append((target, as_expr(ex)))
        object.__setattr__(self, "assignments", tuple(assigns))
        if self.delay is not None:
            object.__setattr__(self, "delay", as_expr(self.delay))
        if self.priority is not None:
            object.__setattr__(self, "priority", as_expr(self.priority))

    @property
    def symbols(self) -> set[str]:
        out = free_symbols(self.trigger)
        for _, ex in self.assignments:
            out |= free_symbols(ex)
        for ex in (self.delay, self.priority):
            if ex is not None:
                out |= free_symbols(ex)
        return out

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(t for t, _ in self.assignments)
