r"""Oncolytic virus: intralesional injections (T-VEC) seeding an infection of the tumour.

Wodarz (2001) follows the infection from cell to cell (``beta x y``) and has
no free virus. An injection is free virus in the lesion; this mechanism adds
it as a state ``V`` (plaque-forming units, PFU) that infects uninfected tumour
cells and is lost:

.. math::

    \dot V &= -\delta_V V - \beta_V V \frac{x}{x + y} \\
    \dot x &\mathrel{-}= \frac{\beta_V V}{c}\frac{x}{x + y}, \qquad
    \dot y \mathrel{+}= \frac{\beta_V V}{c}\frac{x}{x + y}

(one PFU consumed per infection; ``c`` tumour cells per model unit). Each
injection is an exact jump ``V += volume x concentration`` (:func:`tvec_label_events`).
After an injection the infection runs on the model's own dynamics, so for
Wodarz (2001) a single visit lets the lesion settle at the published virus
equilibrium (``x* = 0.2``, ``y* = 0.7444``: 93.1 % below the untreated size);
with the full label course every visit re-infects the remaining cells and the
lesion is held far lower (below one cell in the continuous model at 6 months,
with the default ``cells_per_unit``).

T-VEC label (IMLYGIC prescribing information): up to 4 mL of 10^6 PFU/mL at
the first visit, up to 4 mL of 10^8 PFU/mL three weeks later, then up to 4 mL
of 10^8 PFU/mL every two weeks, for at least 6 months; the volume per lesion
follows the lesion's size (:func:`tvec_injection_volume_ml`).

References
----------
.. [1] Wodarz D (2001). Viruses as antitumor weapons: defining conditions for
   tumor remission. Cancer Res 61:3501-3507. PMID 11309314.
.. [2] IMLYGIC (talimogene laherparepvec) US Prescribing Information, Amgen:
   section 2 (Dosage and Administration), Tables 1 and 2.
.. [3] Gevertz JL, Wares JR (2018). Comput Math Methods Med 2018:8760371
   (infection beta*U*V/N and virus decay rates of an oncolytic adenovirus).
.. [4] Andtbacka RHI et al. (2015). Talimogene laherparepvec improves durable
   response rate in patients with advanced melanoma. J Clin Oncol
   33:2780-2788. doi:10.1200/JCO.2014.58.3377 (OPTiM).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..._errors import ModelSpecError, ScheduleError
from ...biology import roles
from ...model.components import Observable, Parameter, Source, State, Term
from ...model.events import Event
from ...model.expr import Sym, maximum
from ...model.model import Model
from ._base import ASSUMPTION, Mechanism, check_prefix, known_names, prefixed_parameters, require_fresh

__all__ = [
    "ONCOLYTIC_VIRUS",
    "TVEC_LABEL",
    "TVECLabel",
    "oncolytic_virus",
    "tvec_injection_volume_ml",
    "tvec_label_events",
]

IMLYGIC = Source(
    "IMLYGIC (talimogene laherparepvec) US Prescribing Information, Amgen",
    "section 2.1-2.2: Table 1 (schedule: initial up to 4 mL of 1e6 PFU/mL; second 3 weeks later, then every "
    "2 weeks, up to 4 mL of 1e8 PFU/mL; at least 6 months) and Table 2 (volume by lesion size)",
)
_GEVERTZ = Source(
    "Gevertz JL, Wares JR (2018). Comput Math Methods Med 2018:8760371",
    "infection beta*U*V/N (beta = 1.0085 /day) and virus decay delta_V = 2.3 /day (oncolytic adenovirus; "
    "values of BIOMD0000000816)",
    "10.1155/2018/8760371",
)
_WODARZ = Source(
    "Wodarz D (2001). Viruses as antitumor weapons: defining conditions for tumor remission. "
    "Cancer Res 61:3501-3507",
    "virus-only model; virus equilibrium x* = a/beta",
    note="PMID 11309314",
)


@dataclass(frozen=True)
class TVECLabel:
    """The IMLYGIC label regimen (times in days, concentrations in PFU/mL)."""

    first_concentration: float = 1.0e6
    later_concentration: float = 1.0e8
    second_dose_day: float = 21.0
    interval_days: float = 14.0
    max_volume_ml: float = 4.0
    minimum_days: float = 182.0
    source: Source = IMLYGIC

    def dose_days(self, until: float | None = None) -> tuple[float, ...]:
        """Visit days from day 0 up to ``until`` (default: the label's minimum 6 months)."""
        end = self.minimum_days if until is None else float(until)
        days = [0.0]
        d = self.second_dose_day
        while d < end:
            days.append(d)
            d += self.interval_days
        return tuple(days)


#: The label regimen.
TVEC_LABEL = TVECLabel()

#: Maximum injection volume (mL) by lesion longest diameter (cm), label Table 2: (upper bound, volume).
_VOLUME_TABLE = ((0.5, 0.1), (1.5, 0.5), (2.5, 1.0), (5.0, 2.0), (float("inf"), 4.0))


def tvec_injection_volume_ml(lesion_diameter_cm: float) -> float:
    """Maximum T-VEC volume for one lesion of the given longest diameter (label Table 2).

    ``<= 0.5`` cm: 0.1 mL; ``> 0.5-1.5``: 0.5 mL; ``> 1.5-2.5``: 1 mL;
    ``> 2.5-5``: 2 mL; ``> 5``: 4 mL.
    """
    try:
        d = float(lesion_diameter_cm)
    except (TypeError, ValueError):
        raise ScheduleError(f"lesion_diameter_cm must be a number > 0; got {lesion_diameter_cm!r}") from None
    if not d > 0:
        raise ScheduleError(f"lesion_diameter_cm must be > 0; got {lesion_diameter_cm!r}")
    for upper, vol in _VOLUME_TABLE:
        if d <= upper:
            return vol
    return 4.0  # pragma: no cover


def tvec_label_events(
    virus_state: str,
    *,
    volume_ml: float = 4.0,
    until: float | None = None,
    label: TVECLabel = TVEC_LABEL,
    start_day: float = 0.0,
) -> tuple[Event, ...]:
    """T-VEC label injections as exact jumps of the free-virus state (PFU).

    Parameters
    ----------
    virus_state : str
        The state created by :func:`oncolytic_virus` (its ``exposure``).
    volume_ml : float
        Volume per visit (at most 4 mL; see :func:`tvec_injection_volume_ml`).
    until : float, optional
        Last visit before this day (default: the label's minimum 6 months).
    start_day : float
        Day of the first visit.
    """
    try:
        v = float(volume_ml)
    except (TypeError, ValueError):
        raise ScheduleError(f"volume_ml must be a number in (0, 4]; got {volume_ml!r}") from None
    if not (0.0 <= v <= label.max_volume_ml):
        raise ScheduleError(f"volume_ml must lie in [0, {label.max_volume_ml:g}] mL (label maximum); got {v:g}")
    out = []
    for k, d in enumerate(label.dose_days(until)):
        conc = label.first_concentration if k == 0 else label.later_concentration
        out.append(
            Event(start_day + d, virus_state, "add", v * conc, label=f"T-VEC {v:g} mL of {conc:.0e} PFU/mL (visit {k + 1})")
        )
    return tuple(out)


_DEFAULTS = (
    Parameter(
        "beta_v",
        1.008538,
        "1/day",
        "rate at which free virus infects tumour cells (per PFU, scaled by the uninfected fraction)",
        Source(_GEVERTZ.citation, _GEVERTZ.location, _GEVERTZ.doi,
               ASSUMPTION + "adenovirus value of Gevertz & Wares 2018 reused for HSV-1 (T-VEC)."),
    ),
    Parameter(
        "delta_v",
        2.3,
        "1/day",
        "loss rate of free virus in the lesion",
        Source(_GEVERTZ.citation, _GEVERTZ.location, _GEVERTZ.doi,
               ASSUMPTION + "adenovirus value of Gevertz & Wares 2018 reused for HSV-1 (T-VEC)."),
    ),
    Parameter(
        "cells_per_unit",
        1.0e8,
        "cells/model unit",
        "tumour cells per unit of the model's tumour states (converts PFU into model units)",
        Source(_WODARZ.citation, "densities in arbitrary units (carrying capacity k = 17)", note=ASSUMPTION
               + "1 unit = 1e8 cells, so Wodarz's k = 17 is a 1.7e9-cell (about 1.5 cm) lesion."),
        bounds=(1e-30, 1e30),
    ),
)


def oncolytic_virus(
    model: Model,
    *,
    exposure: str,
    prefix: str | None = None,
    target_state: str | None = None,
    infected_state: str = "y",
    **params: Any,
) -> Model:
    """Free oncolytic virus injected into the lesion infects tumour cells.

    Parameters
    ----------
    model : Model
        A model with uninfected (``target_state``, default ``tumour_state``)
        and infected (``infected_state``) tumour-cell states, e.g. Wodarz 2001.
    exposure : str
        The free-virus state (PFU); created (start 0) if absent.
    prefix : str, optional
        Default ``"oncolytic_virus"``.
    **params
        ``beta_v``, ``delta_v``, ``cells_per_unit``.

    Returns
    -------
    Model
        With state ``exposure``, terms ``<prefix>_infection`` and
        ``<prefix>_virus_loss``, observable ``<prefix>_infections_per_day``.

    References
    ----------
    .. [1] Wodarz D (2001). Cancer Res 61:3501-3507.
    .. [2] IMLYGIC US Prescribing Information.
    """
    mech = "oncolytic_virus"
    pre = check_prefix(mech, prefix or mech)
    x = target_state or model.tumour_state
    if x is None or x not in model.state_names:
        raise ModelSpecError(f"{mech}: give target_state=<uninfected tumour cells>; model {model.id!r} has none set")
    if infected_state not in model.state_names:
        raise ModelSpecError(
            f"{mech}: infected_state {infected_state!r} is not a state of {model.id!r}; the virus needs a state "
            "for infected tumour cells (e.g. Wodarz 2001 'y')"
        )
    if not isinstance(exposure, str) or not exposure.isidentifier():
        raise ModelSpecError(f"{mech}: `exposure` must name the free-virus state; got {exposure!r}")
    pars = prefixed_parameters(mech, _DEFAULTS, pre, params)
    require_fresh(mech, model, [p.name for p in pars] + [f"{pre}_infections_per_day"])
    m = model.add(parameters=pars, references=(IMLYGIC, _GEVERTZ, _WODARZ))
    if exposure not in m.state_names:
        if exposure in known_names(m):
            raise ModelSpecError(f"{mech}: {exposure!r} is a parameter/observable of {m.id!r}, not a state")
        m = m.add(states=(State(exposure, 0.0, "PFU", "free oncolytic virus in the injected lesion"),))
    V, X, Y = Sym(exposure), Sym(x), Sym(infected_state)
    # fraction of uninfected cells; the floor (one cell) keeps it finite when the lesion is gone
    frac = X / maximum(X + Y, 1.0 / Sym(f"{pre}_cells_per_unit"))
    inf_pfu = Sym(f"{pre}_beta_v") * V * frac
    return m.add(
        observables=(Observable(f"{pre}_infections_per_day", inf_pfu, "cells/day", "new infections by free virus"),),
        terms=(
            Term(f"{pre}_virus_loss", Sym(f"{pre}_delta_v") * V, {exposure: -1}, "free virus is cleared"),
            Term(f"{pre}_virus_consumption", Sym(f"{pre}_infections_per_day"), {exposure: -1},
                 "each infection uses up one infectious virus"),
            Term(
                f"{pre}_infection",
                Sym(f"{pre}_infections_per_day") / Sym(f"{pre}_cells_per_unit"),
                {x: -1, infected_state: 1},
                "injected virus infects uninfected tumour cells",
            ),
        ),
        notes=(f"{mech}: free virus {exposure} (PFU) infects {x} -> {infected_state}.",),
    )


ONCOLYTIC_VIRUS = Mechanism(
    name="oncolytic_virus",
    title="Oncolytic virus injected into a lesion (T-VEC)",
    therapy_class="oncolytic_virus",
    description=(
        "Virus injected into a tumour infects tumour cells; infected cells make more virus and burst, and the "
        "infection spreads through the lesion on the model's own dynamics (Wodarz 2001). Doses follow the T-VEC "
        "label (1e6 then 1e8 PFU/mL, up to 4 mL per visit)."
    ),
    exposure="free-virus state in PFU (created, start 0, if absent); needs an infected-tumour-cell state",
    required_roles=(roles.TUMOUR_GROWTH,),
    parameters=_DEFAULTS,
    references=(_WODARZ, IMLYGIC, _GEVERTZ),
    apply=oncolytic_virus,
)
