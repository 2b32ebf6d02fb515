r"""Cytotoxic chemotherapy for combinations: a pulsed, saturating log-kill with first-order drug decay.

Following de Pillis et al. (2006, 2009), a chemotherapy drug ``M`` (in the
model's drug units) is given in pulses, decays at rate ``gamma`` and kills
tumour cells and lymphocytes with a saturating fractional kill:

.. math::

    \frac{dM}{dt} &= -\gamma M \quad (+\ \text{a pulse of } u \text{ units per administration}) \\
    \frac{dT}{dt} &= \dots - K_T\,(1 - e^{-\delta_T M})\,T \\
    \frac{dX}{dt} &= \dots - K_X\,(1 - e^{-\delta_X M})\,X \qquad \text{for every effector state } X

The effector states are those the model's ``effector_death`` terms remove
(T cells, NK cells); NK-cell states (those appearing in an ``nk_kill`` term)
get the NK kill ``K_N``, the others the CD8+ T-cell kill ``K_L``. The kill
terms carry the role ``chemotherapy_kill`` (not ``kill``: immune mechanisms
such as the PD-L1 brake act on immune killing only), so chemotherapy composes
with any immunotherapy in either order.

:func:`chemotherapy` builds the :class:`~oncoimmune.therapy.intervention.Intervention`
from a regimen of :data:`CHEMO_REGIMENS` (carboplatin + etoposide or
carboplatin + paclitaxel, day 1 of 21-day cycles, four cycles).

Parameters (de Pillis et al. 2009, as encoded in BioModels BIOMD0000000779)
-------------------------------------------------------------------------
=========  ===========  ==================================================
name       value        meaning
=========  ===========  ==================================================
K_T        0.9 /day     maximal fractional tumour-cell kill
delta_T    1.8328 /u    steepness of the tumour kill in drug units
K_L        0.0486 /day  maximal fractional CD8+ T-cell kill
K_N        0.0675 /day  maximal fractional NK-cell kill
delta_E    1.8328 /u    steepness of the lymphocyte kill (paper: delta_L = delta_N)
gamma      0.5199 /day  drug decay rate
=========  ===========  ==================================================

The drug enters in the paper's abstract units; how many units one cycle of
carboplatin/paclitaxel delivers has no published calibration: ``units_per_dose
= 1`` (default) is an ASSUMPTION, giving about 88 % tumour-cell kill and 11 %
lymphocyte loss per cycle.

References
----------
.. [1] de Pillis LG, Gu W, Radunskaya AE (2006). Mixed immunotherapy and
   chemotherapy of tumors: modeling, applications and biological
   interpretations. J Theor Biol 238:841-862. doi:10.1016/j.jtbi.2005.06.037
.. [2] de Pillis LG, Fister KR, Gu W, Collins C, Daub M, Gross D, Moore J,
   Preskill B (2009). Mathematical model creation for cancer
   chemo-immunotherapy. Comput Math Methods Med 10:165-184.
   doi:10.1080/17486700802216301 (BioModels BIOMD0000000779)
.. [3] Horn L et al. (2018). First-line atezolizumab plus chemotherapy in
   extensive-stage small-cell lung cancer (IMpower133). N Engl J Med
   379:2220-2229. doi:10.1056/NEJMoa1809064
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from .._errors import ModelSpecError, ParameterValueError, ScheduleError, UnknownNameError
from ..biology import roles
from ..model import Event, Model, Parameter, Source, State, Sym, Term, exp
from .intervention import Intervention
from .schedule import Dose, IVInfusion, Schedule

__all__ = [
    "CHEMO_KILL",
    "CHEMO_REGIMENS",
    "ChemoRegimen",
    "chemotherapy",
    "effector_states",
    "get_chemo_regimen",
]

#: Role of the chemotherapy kill terms (tumour and lymphocytes).
CHEMO_KILL = "chemotherapy_kill"

_DEPILLIS2009 = Source(
    citation="de Pillis LG, Fister KR, Gu W, et al. (2009). Mathematical model creation for cancer "
    "chemo-immunotherapy. Comput Math Methods Med 10:165-184",
    location="parameter table; values as encoded in BioModels BIOMD0000000779 (read from the SBML file)",
    doi="10.1080/17486700802216301",
)
_DEPILLIS2006 = Source(
    citation="de Pillis LG, Gu W, Radunskaya AE (2006). Mixed immunotherapy and chemotherapy of tumors. "
    "J Theor Biol 238:841-862",
    location="chemotherapy kill K(1 - exp(-M)) with first-order drug decay (the form updated in de Pillis 2009)",
    doi="10.1016/j.jtbi.2005.06.037",
)
_IMPOWER133 = Source(
    citation="Horn L et al. (2018). First-line atezolizumab plus chemotherapy in extensive-stage small-cell "
    "lung cancer (IMpower133). N Engl J Med 379:2220-2229",
    location="Methods: four 21-day cycles of carboplatin (AUC 5 mg/mL/min, day 1) and etoposide (100 mg/m2, "
    "days 1-3)",
    doi="10.1056/NEJMoa1809064",
)
_CARBO_PACLI = Source(
    citation="carboplatin + paclitaxel every 3 weeks for 4 cycles (platinum-doublet control arms of first-line "
    "NSCLC immunotherapy trials, e.g. KEYNOTE-407, IMpower150)",
    location="trial methods",
    note="UNVERIFIED here: the cycle count and doses were not confirmed by a search (4 to 6 cycles are used)",
)
_ASSUMED_UNITS = Source(
    citation="oncoimmune dosing assumption",
    note="ASSUMPTION: one administration adds units_per_dose drug units (default 1) to M; no published map "
    "from carboplatin AUC or mg/m2 to the de Pillis drug units",
)


@dataclass(frozen=True)
class ChemoRegimen:
    """A chemotherapy regimen: its cycles as a :class:`Schedule` (one pulse per cycle day 1).

    Parameters
    ----------
    key : str
    agents : str
        The drugs and doses in words.
    schedule : Schedule
        Cycle days (the ``Dose`` amount is 1 drug unit per administration).
    source : Source
    """

    key: str
    agents: str
    schedule: Schedule
    source: Source

    def describe(self) -> str:
        s = self.schedule
        return f"{self.agents}: day 1 of {s.every_days:g}-day cycles x{s.cycles} from day {s.start_day:g}"


def _cycles(name: str, n: int) -> Schedule:
    return Schedule(name, Dose(1.0, "mg"), every_days=21, cycles=n, route=IVInfusion.hours(1.0))


#: Platinum-doublet regimens for combinations.
CHEMO_REGIMENS: Mapping[str, ChemoRegimen] = MappingProxyType(
    {
        "carboplatin_etoposide": ChemoRegimen(
            "carboplatin_etoposide",
            "carboplatin AUC 5 (day 1) + etoposide 100 mg/m2 (days 1-3)",
            _cycles("carboplatin + etoposide", 4),
            _IMPOWER133,
        ),
        "carboplatin_paclitaxel": ChemoRegimen(
            "carboplatin_paclitaxel",
            "carboplatin AUC 5-6 + paclitaxel 175-200 mg/m2 (day 1)",
            _cycles("carboplatin + paclitaxel", 4),
            _CARBO_PACLI,
        ),
    }
)


def get_chemo_regimen(key: str) -> ChemoRegimen:
    """A regimen of :data:`CHEMO_REGIMENS` (the error lists them)."""
    k = (
        key.strip().lower().replace("-", "_").replace("/", "_").replace("+", "_")
        if isinstance(key, str)
        else key
    )
    if k in ("chemotherapy", "chemo", "platinum_doublet"):
        k = "carboplatin_paclitaxel"
    if k not in CHEMO_REGIMENS:
        raise UnknownNameError("chemotherapy regimen", str(key), sorted(CHEMO_REGIMENS))
    return CHEMO_REGIMENS[k]


def effector_states(model: Model) -> tuple[str, ...]:
    """States removed by the model's ``effector_death`` terms (its immune effector populations)."""
    tum = model.tumour_state
    out = sorted(
        {s for t in model.terms_with_role(roles.EFFECTOR_DEATH) for s, c in t.effects.items() if c < 0}
        - {tum}
    )
    return tuple(out)


def _nk_states(model: Model, candidates: Iterable[str]) -> set[str]:
    nk_syms = (
        set().union(*(t.symbols for t in model.terms_with_role(roles.NK_KILL)))
        if model.terms_with_role(roles.NK_KILL)
        else set()
    )
    return {s for s in candidates if s in nk_syms}


def _p(name: str, value: float, units: str, desc: str, loc: str) -> Parameter:
    return Parameter(name, value, units, desc, replace(_DEPILLIS2009, location=f"{loc}; BIOMD0000000779"))


def chemotherapy(
    regimen: str | ChemoRegimen = "carboplatin_paclitaxel",
    *,
    prefix: str = "chemo",
    units_per_dose: float = 1.0,
    cycles: int | None = None,
    every_days: float | None = None,
    start_day: float | None = None,
    lymphocytes: Iterable[str] | None = None,
    lymphocyte_kill: bool = True,
) -> Intervention:
    """The chemotherapy :class:`Intervention` (drug state, kill terms, cycle pulses).

    Parameters
    ----------
    regimen : str or ChemoRegimen
        A key of :data:`CHEMO_REGIMENS` (``"chemotherapy"`` means carboplatin + paclitaxel).
    prefix : str
        Prefix of the added names (``chemo_M``, ``chemo_K_T``, ...).
    units_per_dose : float
        Drug units added to ``M`` per administration (>= 0; 0 equals no treatment). ASSUMPTION, default 1.
    cycles, every_days, start_day : optional
        Override the regimen's number of cycles, cycle length and first day.
    lymphocytes : iterable of str, optional
        Lymphocyte states hit by the drug; default :func:`effector_states`.
    lymphocyte_kill : bool
        ``False`` spares the lymphocytes (tumour kill only).

    Returns
    -------
    Intervention
        Classes ``("chemotherapy",)``.

    Raises
    ------
    ModelSpecError
        When applied to a model without ``tumour_state``.
    ParameterValueError
        For a negative or non-finite ``units_per_dose``.

    References
    ----------
    .. [1] de Pillis LG et al. (2009). Comput Math Methods Med 10:165-184.
    .. [2] de Pillis LG, Gu W, Radunskaya AE (2006). J Theor Biol 238:841-862.
    """
    reg = regimen if isinstance(regimen, ChemoRegimen) else get_chemo_regimen(regimen)
    if not isinstance(prefix, str) or not prefix.isidentifier():
        raise ModelSpecError(f"chemotherapy: prefix must be an identifier such as 'chemo'; got {prefix!r}")
    try:
        u = float(units_per_dose)
    except (TypeError, ValueError):
        raise ParameterValueError(
            f"chemotherapy: units_per_dose must be a number >= 0; got {units_per_dose!r}"
        ) from None
    if isinstance(units_per_dose, bool) or not (math.isfinite(u) and u >= 0):
        raise ParameterValueError(
            f"chemotherapy: units_per_dose must be a finite number >= 0; got {units_per_dose!r}"
        )
    sched = reg.schedule
    changes: dict[str, Any] = {}
    if cycles is not None:
        changes["cycles"] = cycles
    if every_days is not None:
        changes["every_days"] = every_days
    if start_day is not None:
        changes["start_day"] = start_day
    if changes:
        try:
            sched = replace(sched, **changes)
        except ScheduleError as exc:
            raise ScheduleError(f"chemotherapy {reg.key}: {exc}") from None
    M = f"{prefix}_M"
    names = {k: f"{prefix}_{k}" for k in ("K_T", "delta_T", "K_L", "K_N", "delta_E", "gamma")}
    chosen = None if lymphocytes is None else tuple(lymphocytes)

    def transform(model: Model) -> Model:
        tum = model.tumour_state
        if tum is None:
            raise ModelSpecError(
                f"chemotherapy needs a model with tumour_state set; model {model.id!r} has none"
            )
        taken = set(model.state_names) | set(model.parameter_names) | set(model.observable_names)
        clash = sorted(taken & ({M} | set(names.values())))
        if clash:
            raise ModelSpecError(
                f"chemotherapy: model {model.id!r} already has {', '.join(clash)}; give another prefix"
            )
        effs = effector_states(model) if chosen is None else chosen
        for s in effs:
            if s not in model.state_names:
                raise ModelSpecError(f"chemotherapy: effector state {s!r} is not a state of {model.id!r}")
        if not lymphocyte_kill:
            effs = ()
        nk = _nk_states(model, effs)
        m_sym = Sym(M)
        params = [
            _p(
                names["K_T"], 0.9, "1/day", "maximal fractional tumour-cell kill by chemotherapy", "K_T = 0.9"
            ),
            _p(
                names["delta_T"],
                1.8328,
                "1/unit",
                "steepness of the tumour kill in drug units",
                "delta_T = 1.8328",
            ),
            _p(
                names["K_L"],
                0.0486,
                "1/day",
                "maximal fractional CD8+ T-cell kill by chemotherapy",
                "K_L = 0.0486",
            ),
            _p(
                names["K_N"],
                0.0675,
                "1/day",
                "maximal fractional NK-cell kill by chemotherapy",
                "K_N = 0.0675",
            ),
            _p(
                names["delta_E"],
                1.8328,
                "1/unit",
                "steepness of the lymphocyte kill in drug units",
                "delta_L = delta_N = 1.8328",
            ),
            _p(names["gamma"], 0.5199, "1/day", "decay rate of the chemotherapy drug", "gamma = 0.5199"),
        ]
        terms = [
            Term(
                f"{prefix}_decay",
                Sym(names["gamma"]) * m_sym,
                {M: -1},
                "the chemotherapy drug decays",
                {roles.DRUG_ELIMINATION},
            ),
            Term(
                f"{prefix}_tumour_kill",
                Sym(names["K_T"]) * (1.0 - exp(-Sym(names["delta_T"]) * m_sym)) * Sym(tum),
                {tum: -1},
                "chemotherapy kills tumour cells (saturating fractional kill)",
                {CHEMO_KILL},
            ),
        ]
        for s in effs:
            k = names["K_N"] if s in nk else names["K_L"]
            terms.append(
                Term(
                    f"{prefix}_kill_{s}",
                    Sym(k) * (1.0 - exp(-Sym(names["delta_E"]) * m_sym)) * Sym(s),
                    {s: -1},
                    f"chemotherapy kills {'NK cells' if s in nk else 'lymphocytes'} ({s})",
                    {CHEMO_KILL},
                )
            )
        return model.add(
            states=(
                State(M, 0.0, "drug units", "chemotherapy drug at the tumour site (de Pillis drug units)"),
            ),
            parameters=params,
            terms=terms,
            references=(_DEPILLIS2009, _DEPILLIS2006, reg.source, _ASSUMED_UNITS),
            notes=(
                (
                    f"chemotherapy {reg.key}: {u:g} drug unit(s) of {M} per cycle (ASSUMPTION), kill "
                    f"K(1 - exp(-delta M)) on {tum} and {', '.join(effs) or 'no lymphocytes'}"
                ),
            ),
        )

    evs = tuple(
        Event(t, M, "add", u, label=f"{reg.key} cycle {k + 1} ({u:g} drug units)")
        for k, t in enumerate(sched.dose_times())
    )
    return Intervention(
        name=f"{reg.key} x{sched.cycles} every {sched.every_days:g} d",
        transform=transform,
        events=evs,
        classes=("chemotherapy",),
        description=reg.describe(),
        metadata={"regimen": reg.key, "units_per_dose": u, "prefix": prefix},
    )
