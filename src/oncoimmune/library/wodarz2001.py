r"""Wodarz (2001): an oncolytic virus spreading through a tumour, with virus-specific CTL.

Uninfected tumour cells ``x``, virus-infected tumour cells ``y`` and
virus-specific cytotoxic T lymphocytes ``zv`` (the "virus-only" submodel,
scenarios (a) and (b) of the paper), in arbitrary density units; time units
are those of the paper's rate constants, read here as days:

.. math::

    \frac{dx}{dt}  &= r x \left(1 - \frac{x + y}{k}\right) - d x - \beta x y \\
    \frac{dy}{dt}  &= \beta x y + s y \left(1 - \frac{x + y}{k}\right) - a y - p_v y z_v \\
    \frac{dz_v}{dt} &= c_v y z_v - b z_v

Tumour cells grow logistically (shared carrying capacity ``k``) and die at
rate ``d``; the virus spreads by mass action (``beta``) from infected to
uninfected cells; infected cells may still divide (``s``), die from viral
cytotoxicity (``a``) and are killed by virus-specific CTL (``p_v``), which
expand on contact with infected cells (``c_v``) and decay (``b``).

Behaviour (published parameters, no CTL): the untreated tumour settles at
``x = k(1 - d/r) = 13.6``. With the virus it settles at ``x* = a/beta = 0.2``,
``y* = (r - d - r x*/k)/(r/k + beta) = 0.7444``: total ``0.9444``, 93.1 %
below the untreated size (a virus that replicates fast relative to its
cytotoxicity keeps the tumour small but does not eradicate it). A
virus-specific CTL response (``p_v, c_v > 0``) pins the infected cells at
``y = b/c_v`` and lets the uninfected population regrow towards
``k(1 - (d + beta b/c_v)/r)``: the anti-viral immune response can prevent
remission, the paper's scenario (b).

Intralesional injection
-----------------------
The model has no free-virus state: infection spreads cell to cell through
``beta x y``. An intralesional injection is therefore an input of infected
tumour cells, given as exact jumps by :func:`injection_events` (an
``Event(op="add")`` on ``y`` at each dose time). Converting a dose in
plaque-forming units into infected cells (multiplicity of infection, the
fraction of the lesion reached) belongs to the schedule that calls it, e.g. a
T-VEC regimen. :func:`ctl_challenge_event` seeds virus-specific CTL as the
BioModels encoding does at ``t = 20``.

Parameters
----------
=====  =======  ==================================================================
name   value    meaning
=====  =======  ==================================================================
r      0.5      growth rate of uninfected tumour cells
k      17       carrying capacity of the tumour (x + y)
d      0.1      death rate of uninfected tumour cells
beta   0.5      rate of virus spread (infection of x by y)
a      0.1      death rate of infected cells (viral cytotoxicity)
s      0        growth rate of infected cells (0: infection stops division)
p_v    0        rate at which virus-specific CTL kill infected cells
c_v    0        expansion rate of virus-specific CTL on infected cells
b      0        decay rate of virus-specific CTL
=====  =======  ==================================================================

References
----------
.. [1] Wodarz D (2001). Viruses as antitumor weapons: defining conditions for
   tumor remission. Cancer Res 61(8):3501-3507. PMID 11309314. Virus-only
   model with virus-specific CTL (scenarios (a) and (b)); parameter values
   of Fig. 3A as curated in BioModels.
.. [2] BioModels BIOMD0000001043 (SBML encoding of the virus-only submodel;
   parameter values, initial condition and the CTL event at t = 20 used here).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..biology import roles
from ..model import Event, Model, Observable, Parameter, Source, State, Sym, Term, symbols

ID = "wodarz2001"
TITLE = "Wodarz 2001: oncolytic virus spreading through a tumour, with virus-specific CTL"
DEFAULT_DAYS = 400.0
REFERENCE = Source(
    citation="Wodarz D (2001). Viruses as antitumor weapons: defining conditions for tumor remission. "
    "Cancer Res 61:3501-3507",
    location="virus-only model with virus-specific CTL; Fig. 3A",
    doi="",
    note="PMID 11309314",
)
_CIT = "Wodarz 2001, Cancer Res 61:3501"


def _src(note: str = "value as curated in BioModels BIOMD0000001043 (Fig. 3A parameter set)") -> Source:
    return Source(citation=_CIT, location="virus-only model, Fig. 3A parameters", note=note)


def build() -> Model:
    """The Wodarz 2001 virus-only model with the BioModels (Fig. 3A) parameters.

    Returns
    -------
    Model
        States ``x``, ``y``, ``zv``; default start ``x = 0.01``, ``y = 1e-4``,
        ``zv = 0`` (BioModels initial condition). CTL are off (``p_v = c_v =
        b = 0``) by default.
    """
    x, y, zv = Sym("x"), Sym("y"), Sym("zv")
    r, k, d, beta, s, a, p_v, c_v, b = symbols("r k d beta s a p_v c_v b")
    params = (
        Parameter("r", 0.5, "1/day", "growth rate of uninfected tumour cells", _src()),
        Parameter(
            "k", 17.0, "cells (a.u.)", "carrying capacity of the tumour (uninfected + infected)", _src()
        ),
        Parameter("d", 0.1, "1/day", "death rate of uninfected tumour cells", _src()),
        Parameter(
            "beta", 0.5, "1/(a.u.*day)", "rate of virus spread from infected to uninfected cells", _src()
        ),
        Parameter(
            "s",
            0.0,
            "1/day",
            "growth rate of infected tumour cells",
            _src("0 in BioModels: infected cells do not divide"),
        ),
        Parameter("a", 0.1, "1/day", "death rate of infected cells (viral cytotoxicity)", _src()),
        Parameter(
            "p_v",
            0.0,
            "1/(a.u.*day)",
            "rate at which virus-specific CTL kill infected cells",
            _src("0 in BioModels (CTL off); the paper's scenario (b) sets it > 0"),
        ),
        Parameter(
            "c_v",
            0.0,
            "1/(a.u.*day)",
            "expansion rate of virus-specific CTL on contact with infected cells",
            _src("0 in BioModels (CTL off); the paper's scenario (b) sets it > 0"),
        ),
        Parameter(
            "b",
            0.0,
            "1/day",
            "decay rate of virus-specific CTL",
            _src("0 in BioModels (CTL off)"),
        ),
    )
    states = (
        State("x", 0.01, "cells (a.u.)", "uninfected tumour cells"),
        State("y", 1.0e-4, "cells (a.u.)", "virus-infected tumour cells"),
        State("zv", 0.0, "cells (a.u.)", "virus-specific cytotoxic T lymphocytes"),
    )
    crowd = 1 - (x + y) / k
    terms = (
        Term(
            "uninfected_growth",
            r * x * crowd,
            {"x": 1},
            "uninfected tumour cells grow logistically",
            {roles.TUMOUR_GROWTH},
        ),
        Term("uninfected_death", d * x, {"x": -1}, "uninfected tumour cells die"),
        Term(
            "infection",
            beta * x * y,
            {"x": -1, "y": 1},
            "the virus spreads from infected to uninfected cells",
        ),
        Term(
            "infected_growth",
            s * y * crowd,
            {"y": 1},
            "infected tumour cells divide (if s > 0)",
            {roles.TUMOUR_GROWTH},
        ),
        Term("infected_death", a * y, {"y": -1}, "infected cells are killed by the virus"),
        Term(
            "ctl_kill_infected",
            p_v * y * zv,
            {"y": -1},
            "virus-specific CTL kill infected cells",
            {roles.KILL},
        ),
        Term(
            "ctl_expansion",
            c_v * y * zv,
            {"zv": 1},
            "virus-specific CTL expand on contact with infected cells",
            {roles.RECRUITMENT},
        ),
        Term("ctl_decay", b * zv, {"zv": -1}, "virus-specific CTL decay", {roles.EFFECTOR_DEATH}),
    )
    return Model(
        id=ID,
        title=TITLE,
        states=states,
        parameters=params,
        terms=terms,
        observables=(
            Observable("tumour_total", x + y, "cells (a.u.)", "uninfected plus infected tumour cells"),
        ),
        description=(
            "A replicating oncolytic virus spreads through a logistically growing tumour and kills the "
            "cells it infects; virus-specific CTL (off by default) kill infected cells and so fight the "
            "virus. Default start: a small tumour seeded with a few infected cells (BioModels)."
        ),
        references=(REFERENCE, Source("BioModels BIOMD0000001043 (SBML encoding of Wodarz 2001)")),
        tumour_state="x",
        notes=(
            "Intralesional injections enter as infected cells y; see injection_events().",
            "'tumour_state' is the uninfected population x; the total tumour is the observable tumour_total.",
        ),
    )


def injection_events(
    times: Iterable[float], amount: float | Iterable[float], *, label: str = "intralesional virus injection"
) -> tuple[Event, ...]:
    """Intralesional injections as jumps of infected tumour cells ``y``.

    Parameters
    ----------
    times : iterable of float
        Dose times in days.
    amount : float or iterable of float
        Infected cells added per dose (model units), one value for all doses
        or one per dose.
    label : str
        Provenance label, e.g. ``"T-VEC 1e8 PFU/mL"``.

    Returns
    -------
    tuple of Event
        ``Event(t, "y", "add", amount)`` for each dose, in time order.

    Examples
    --------
    >>> evs = injection_events([0, 21, 35], 0.05, label="T-VEC")
    >>> [e.time for e in evs]
    [0.0, 21.0, 35.0]
    """
    ts = [float(t) for t in times]
    if isinstance(amount, (int, float)):
        amounts = [float(amount)] * len(ts)
    else:
        amounts = [float(v) for v in amount]
        if len(amounts) != len(ts):
            from .._errors import ScheduleError

            raise ScheduleError(
                f"injection_events: {len(amounts)} amounts for {len(ts)} dose times; "
                "give one per dose or one for all"
            )
    evs = [Event(t, "y", "add", v, label=label) for t, v in zip(ts, amounts)]
    return tuple(sorted(evs, key=lambda e: e.time))


def ctl_challenge_event(time: float = 20.0, level: float = 1.0e-3) -> Event:
    """Set the virus-specific CTL to ``level`` at ``time`` (the BioModels event: 0.001 at t = 20)."""
    return Event(time, "zv", "set", level, label="virus-specific CTL appear")
