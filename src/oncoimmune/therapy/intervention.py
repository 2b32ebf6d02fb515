"""Interventions: a pure function ``Model -> Model`` plus the events of a dose schedule.

An :class:`Intervention` is what a therapy *is* to the simulator: a
transformation that adds what the drug needs (PK compartments, an effect on
terms by role) and the exact jumps its schedule produces. Combination therapy
is composition: :func:`treat` applies interventions in turn and concatenates
their events. Composition must not depend on order for independent drugs;
every intervention therefore names its additions with its own prefix, and
shared knobs (e.g. ``pd1_occupancy``) are combined explicitly (never
overwritten silently).

Examples
--------
>>> from oncoimmune.therapy.intervention import Intervention, treat
>>> # an intervention that only doubles effector supply (no drug, no events)
>>> double = Intervention("double_supply", lambda m: m.scale_terms("effector_supply", 2.0))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from .._errors import ModelSpecError
from ..model.events import Event, sort_events
from ..model.model import Model

__all__ = ["Intervention", "Treatment", "treat"]


@dataclass(frozen=True)
class Intervention:
    """A named model transformation and the events it brings.

    Parameters
    ----------
    name : str
        Short label, e.g. ``"pembrolizumab 200 mg Q3W"``.
    transform : callable
        Pure function ``Model -> Model``; it must not mutate its argument.
    events : callable or tuple of Event, optional
        The dose events, or a function ``Model -> tuple[Event, ...]`` computing
        them from the transformed model (e.g. to find a state by name).
    classes : tuple of str
        Therapy classes (``"monoclonal_antibody"``, ``"checkpoint_inhibitor"``,
        ``"vaccine"``, ``"oncolytic_virus"``, ``"cytokine"``, ``"car_t"``,
        ``"chemotherapy"``, ...).
    description : str
        Plain-English summary.
    """

    name: str
    transform: Callable[[Model], Model]
    events: Callable[[Model], Iterable[Event]] | tuple[Event, ...] = ()
    classes: tuple[str, ...] = ()
    description: str = ""
    metadata: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ModelSpecError("Intervention.name must be a non-empty string")
        if not callable(self.transform):
            raise ModelSpecError(f"Intervention {self.name!r}: transform must be a function Model -> Model")
        object.__setattr__(self, "classes", tuple(self.classes))

    def apply(self, model: Model) -> tuple[Model, tuple[Event, ...]]:
        """The transformed model and this intervention's events."""
        new = self.transform(model)
        if not isinstance(new, Model):
            raise ModelSpecError(
                f"Intervention {self.name!r}: transform returned {type(new).__name__}, not a Model"
            )
        evs = self.events(new) if callable(self.events) else self.events
        return new, tuple(evs)


@dataclass(frozen=True)
class Treatment:
    """A model with interventions applied, and all their events in time order."""

    model: Model
    events: tuple[Event, ...]
    interventions: tuple[Intervention, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.interventions)


def treat(model: Model, *interventions: Intervention) -> Treatment:
    """Apply interventions in turn (combination therapy is composition).

    Parameters
    ----------
    model : Model
        The untreated model (unchanged by this call).
    *interventions : Intervention

    Returns
    -------
    Treatment
        The treated model and the merged, time-sorted events.
    """
    events: list[Event] = []
    m = model
    for iv in interventions:
        if not isinstance(iv, Intervention):
            raise ModelSpecError(f"treat: expected Intervention objects; got {type(iv).__name__}")
        m, evs = iv.apply(m)
        events.extend(evs)
    return Treatment(model=m, events=sort_events(events), interventions=tuple(interventions))
