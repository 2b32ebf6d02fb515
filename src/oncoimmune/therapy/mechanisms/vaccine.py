r"""Cancer vaccines: antigen (peptide or whole-cell) vaccines and dendritic-cell vaccines.

Both raise the supply of tumour-specific effector cells for as long as
antigen-presenting dendritic cells (DCs) made by the vaccine survive.

**Dendritic-cell vaccine** (``vaccine_dc``; Gevertz & Wares 2018). Injected,
antigen-loaded DCs ``D`` decay and prime effector T cells at a rate
proportional to their number:

.. math::

    \frac{dD}{dt} = -\delta_D D, \qquad
    \frac{dE}{dt} \mathrel{+}= \chi_D D,

each injection an exact jump ``D += dose``. ``chi_D = 4.675`` and
``delta_D = 0.35 /day`` are the fitted values of Gevertz & Wares (2018) (original
model; minimal model ``chi_D = 4.902``), in the units of their model
(tumour and T cells in tumour-volume units, mm^3, one DC dose = 1).

**Antigen vaccine** (``vaccine_peptide``; Kronik et al. 2010). Vaccine
antigen ``V`` at the injection site is taken up by dermal DCs, which migrate
to the lymph node (``Dm``), mature into functional antigen-presenting DCs
(``Dc``) that recruit CTLs, and then turn into regulatory DCs (``Dr``) that
recruit regulatory T cells (``R``), which inactivate CTLs:

.. math::

    \dot V &= -k_i V, \quad
    \dot D_m = k_i V - k_m D_m, \quad
    \dot D_c = \alpha_1 k_m D_m - k_{cr} D_c, \quad
    \dot D_r = k_{cr} D_c - \mu_d D_r, \\
    \dot R &= a_r D_r - \mu_r R, \qquad
    \dot E \mathrel{+}= a_c D_c - k_r E R.

Kronik et al. fitted this to a whole-cell (allogeneic prostate-cancer-cell)
vaccine; a peptide vaccine follows the same path (uptake by skin DCs,
migration, maturation), which is the assumption of using it here.

Both mechanisms add their terms to the state that the model's
``effector_supply`` terms feed (``effector_state=`` overrides). ``exposure``
names the vaccine state (DCs for ``vaccine_dc``, antigen depot for
``vaccine_peptide``): if the model has no such state, it is created (start 0,
first-order loss), and doses are ``Event(t, exposure, "add", amount)`` (see
:func:`vaccine_events`).

The reference models of the two papers are built here from a base model plus
the mechanism (:func:`gevertz2018_model`, :func:`kronik2010_model`) and are
checked in the tests against the BioModels SBML encodings with libroadrunner.

References
----------
.. [1] Gevertz JL, Wares JR (2018). Developing a minimally structured
   mathematical model of cancer treatment with oncolytic viruses and
   dendritic cell injections. Comput Math Methods Med 2018:8760371.
   doi:10.1155/2018/8760371. BioModels BIOMD0000000816 (original),
   BIOMD0000000817 (minimal).
.. [2] Kronik N, Kogan Y, Elishmereni M, Halevi-Tobias K, Vuk-Pavlovic S,
   Agur Z (2010). Predicting outcomes of prostate cancer immunotherapy by
   personalized mathematical models. PLoS ONE 5:e15482.
   doi:10.1371/journal.pone.0015482. BioModels MODEL2001130003.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..._errors import ModelSpecError, ScheduleError
from ...biology import roles
from ...model.components import Observable, Parameter, Source, State, Term
from ...model.events import Event
from ...model.expr import Sym
from ...model.model import Model
from ._base import Mechanism, check_prefix, known_names, prefixed_parameters, require_fresh

__all__ = [
    "GEVERTZ_SOURCE",
    "KRONIK_SOURCE",
    "VACCINE_DC",
    "VACCINE_PEPTIDE",
    "effector_state_of",
    "gevertz2018_model",
    "kronik2010_model",
    "vaccine_dc",
    "vaccine_events",
    "vaccine_peptide",
]

GEVERTZ_SOURCE = Source(
    "Gevertz JL, Wares JR (2018). Developing a minimally structured mathematical model of cancer treatment "
    "with oncolytic viruses and dendritic cell injections. Comput Math Methods Med 2018:8760371",
    "model equations and best-fit parameters (original model); values as encoded in BIOMD0000000816",
    "10.1155/2018/8760371",
)
GEVERTZ_MINIMAL_SOURCE = Source(
    GEVERTZ_SOURCE.citation,
    "minimal model (no naive T cells) and its best-fit parameters; values as encoded in BIOMD0000000817",
    GEVERTZ_SOURCE.doi,
)
KRONIK_SOURCE = Source(
    "Kronik N, Kogan Y, Elishmereni M, Halevi-Tobias K, Vuk-Pavlovic S, Agur Z (2010). Predicting outcomes "
    "of prostate cancer immunotherapy by personalized mathematical models. PLoS ONE 5:e15482",
    "model equations and parameter table; values as encoded in BioModels MODEL2001130003",
    "10.1371/journal.pone.0015482",
    "paper table not re-read here; values from the SBML encoding",
)


def effector_state_of(mechanism: str, model: Model, effector_state: str | None) -> str:
    """The state the vaccine primes: ``effector_state`` or the one the ``effector_supply`` terms feed."""
    if effector_state is not None:
        if effector_state not in model.state_names:
            raise ModelSpecError(f"{mechanism}: effector_state {effector_state!r} is not a state of {model.id!r}")
        return effector_state
    for role in (roles.EFFECTOR_SUPPLY, roles.RECRUITMENT):
        fed = sorted({s for t in model.terms_with_role(role) for s, c in t.effects.items() if c > 0})
        if len(fed) == 1:
            return fed[0]
        if len(fed) > 1:
            raise ModelSpecError(
                f"{mechanism}: the {role} terms of model {model.id!r} feed several states {fed}; "
                "pass effector_state=<the tumour-specific effector state>"
            )
    raise ModelSpecError(
        f"{mechanism}: model {model.id!r} has no effector_supply or recruitment term; pass effector_state=..."
    )


def _vaccine_state(mechanism: str, model: Model, exposure: Any, decay: str, what: str) -> tuple[Model, str]:
    """Use the state ``exposure`` or create it (with first-order loss at rate ``decay``)."""
    if not isinstance(exposure, str) or not exposure.isidentifier():
        raise ModelSpecError(
            f"{mechanism}: `exposure` must name the vaccine state (e.g. 'dc_vaccine_D'); got {exposure!r}"
        )
    if exposure in model.state_names:
        return model, exposure
    if exposure in known_names(model):
        raise ModelSpecError(f"{mechanism}: {exposure!r} is a parameter/observable of {model.id!r}, not a state")
    m = model.add(
        states=(State(exposure, 0.0, "vaccine units", what),),
        terms=(Term(f"{exposure}_loss", Sym(decay) * Sym(exposure), {exposure: -1}, f"{what}: loss"),),
    )
    return m, exposure


_DC_DEFAULTS = (
    Parameter(
        "chi",
        4.675397,
        "effector units/(DC unit*day)",
        "effector T cells primed per vaccine dendritic cell per day",
        Source(GEVERTZ_SOURCE.citation, "chi_D (original model best fit)", GEVERTZ_SOURCE.doi,
               "in Gevertz-Wares units (mm^3 of cells, one DC dose = 1); rescale for other models"),
    ),
    Parameter(
        "delta",
        0.35,
        "1/day",
        "loss rate of injected dendritic cells (used when the mechanism creates the DC state)",
        Source(GEVERTZ_SOURCE.citation, "delta_D", GEVERTZ_SOURCE.doi),
    ),
)


def vaccine_dc(
    model: Model,
    *,
    exposure: str,
    prefix: str | None = None,
    effector_state: str | None = None,
    **params: Any,
) -> Model:
    """Dendritic-cell vaccine: injected DCs prime effector cells while they survive.

    Parameters
    ----------
    model : Model
        Any model with an effector state (fed by ``effector_supply`` terms, or given).
    exposure : str
        The DC state; created (start 0, loss ``delta``) if absent.
    prefix : str, optional
        Default ``"vaccine_dc"``.
    effector_state : str, optional
    **params
        ``chi``, ``delta``.

    Returns
    -------
    Model
        With the term ``<prefix>_priming`` (role ``effector_supply``).

    References
    ----------
    .. [1] Gevertz JL, Wares JR (2018). Comput Math Methods Med 2018:8760371.
    """
    mech = "vaccine_dc"
    pre = check_prefix(mech, prefix or mech)
    eff = effector_state_of(mech, model, effector_state)
    pars = prefixed_parameters(mech, _DC_DEFAULTS, pre, params)
    require_fresh(mech, model, [p.name for p in pars])
    m = model.add(parameters=pars, references=(GEVERTZ_SOURCE,))
    m, D = _vaccine_state(mech, m, exposure, f"{pre}_delta", "antigen-loaded dendritic cells from the vaccine")
    return m.add(
        terms=(
            Term(
                f"{pre}_priming",
                Sym(f"{pre}_chi") * Sym(D),
                {eff: 1},
                "vaccine dendritic cells prime tumour-specific effector T cells",
                {roles.EFFECTOR_SUPPLY},
            ),
        ),
        notes=(f"{mech}: d{eff}/dt += chi*{D}; {D} decays (Gevertz & Wares 2018).",),
    )


def _kronik_src(name: str) -> Source:
    return Source(KRONIK_SOURCE.citation, f"parameter {name} (MODEL2001130003)", KRONIK_SOURCE.doi, KRONIK_SOURCE.note)


_PEPTIDE_DEFAULTS = (
    Parameter("ki", 0.06, "1/day", "uptake of vaccine antigen by dermal dendritic cells", _kronik_src("ki")),
    Parameter("km", 0.027, "1/day", "migration of antigen-loaded DCs to the lymph node", _kronik_src("km")),
    Parameter("alpha1", 0.03, "1", "fraction of migrating DCs that become functional antigen-presenting DCs",
              _kronik_src("alpha1"), bounds=(0.0, 1.0)),
    Parameter("kcr", 0.027, "1/day", "conversion of mature DCs into regulatory DCs", _kronik_src("kcr")),
    Parameter("mu_d", 0.014, "1/day", "loss of regulatory DCs", _kronik_src("mu_d")),
    Parameter("ac", 0.03, "effector cells/(DC*day)", "CTL recruitment and activation per mature DC",
              _kronik_src("ac")),
    Parameter("ar", 0.003, "Treg/(DC*day)", "regulatory T cells recruited per regulatory DC", _kronik_src("ar")),
    Parameter("mu_r", 0.03, "1/day", "loss of regulatory T cells", _kronik_src("mu_r")),
    Parameter("kr", 6.0e-7, "1/(cell*day)", "CTL inactivation by regulatory T cells", _kronik_src("kr")),
)


def vaccine_peptide(
    model: Model,
    *,
    exposure: str,
    prefix: str | None = None,
    effector_state: str | None = None,
    **params: Any,
) -> Model:
    """Antigen (peptide or whole-cell) vaccine: the Kronik 2010 dendritic-cell path to CTL priming.

    Adds states ``<prefix>_Dm``, ``<prefix>_Dc``, ``<prefix>_Dr`` (dendritic
    cells: migrating, mature, regulatory) and ``<prefix>_Treg``, the priming
    term ``ac*Dc`` (role ``effector_supply``) and the Treg inactivation term
    ``kr*E*Treg`` (role ``inactivation``).

    Parameters
    ----------
    model : Model
    exposure : str
        The vaccine-antigen depot state; created (start 0, uptake ``ki``) if absent.
    prefix : str, optional
        Default ``"vaccine_peptide"``.
    effector_state : str, optional
    **params
        ``ki``, ``km``, ``alpha1``, ``kcr``, ``mu_d``, ``ac``, ``ar``, ``mu_r``, ``kr``.

    References
    ----------
    .. [1] Kronik N et al. (2010). PLoS ONE 5:e15482.
    """
    mech = "vaccine_peptide"
    pre = check_prefix(mech, prefix or mech)
    eff = effector_state_of(mech, model, effector_state)
    pars = prefixed_parameters(mech, _PEPTIDE_DEFAULTS, pre, params)
    Dm, Dc, Dr, R = (f"{pre}_{s}" for s in ("Dm", "Dc", "Dr", "Treg"))
    require_fresh(mech, model, [p.name for p in pars] + [Dm, Dc, Dr, R])
    m = model.add(parameters=pars, references=(KRONIK_SOURCE,))
    m, V = _vaccine_state(mech, m, exposure, f"{pre}_ki", "vaccine antigen at the injection site")
    p = {k: Sym(f"{pre}_{k}") for k in ("ki", "km", "alpha1", "kcr", "mu_d", "ac", "ar", "mu_r", "kr")}
    S = {k: Sym(k) for k in (V, Dm, Dc, Dr, R, eff)}
    states = (
        State(Dm, 0.0, "cells", "antigen-loaded dermal dendritic cells migrating to the lymph node"),
        State(Dc, 0.0, "cells", "mature antigen-presenting dendritic cells in the lymph node"),
        State(Dr, 0.0, "cells", "regulatory dendritic cells"),
        State(R, 0.0, "cells", "vaccine-induced regulatory T cells"),
    )
    terms = (
        Term(f"{pre}_dc_loading", p["ki"] * S[V], {Dm: 1}, "dermal DCs take up vaccine antigen"),
        Term(f"{pre}_dc_migration", p["km"] * S[Dm], {Dm: -1}, "antigen-loaded DCs leave the skin"),
        Term(f"{pre}_dc_maturation", p["alpha1"] * p["km"] * S[Dm], {Dc: 1},
             "a fraction of migrating DCs become mature antigen-presenting DCs"),
        Term(f"{pre}_dc_to_regulatory", p["kcr"] * S[Dc], {Dc: -1, Dr: 1}, "mature DCs turn regulatory"),
        Term(f"{pre}_regulatory_dc_loss", p["mu_d"] * S[Dr], {Dr: -1}, "regulatory DCs are lost"),
        Term(f"{pre}_priming", p["ac"] * S[Dc], {eff: 1}, "mature DCs recruit and activate CTLs",
             {roles.EFFECTOR_SUPPLY}),
        Term(f"{pre}_treg_recruitment", p["ar"] * S[Dr], {R: 1}, "regulatory DCs recruit regulatory T cells"),
        Term(f"{pre}_treg_loss", p["mu_r"] * S[R], {R: -1}, "regulatory T cells are lost"),
        Term(f"{pre}_treg_suppression", p["kr"] * S[eff] * S[R], {eff: -1},
             "regulatory T cells inactivate CTLs", {roles.INACTIVATION}),
    )
    return m.add(
        states=states,
        terms=terms,
        notes=(f"{mech}: Kronik et al. 2010 DC path from antigen depot {V} to CTL priming of {eff}.",),
    )


def vaccine_events(state: str, times: Iterable[float], amount: float, *, label: str = "vaccine dose") -> tuple[Event, ...]:
    """Vaccine doses as exact jumps ``Event(t, state, "add", amount)``."""
    ts = sorted(float(t) for t in times)
    if not ts:
        raise ScheduleError("vaccine_events: `times` is empty; give at least one dose day")
    try:
        a = float(amount)
    except (TypeError, ValueError):
        raise ScheduleError(f"vaccine_events: `amount` must be a number >= 0; got {amount!r}") from None
    if not a >= 0:
        raise ScheduleError(f"vaccine_events: `amount` must be >= 0; got {amount!r}")
    return tuple(Event(t, state, "add", a, label=label) for t in ts)


# ---------------------------------------------------------------------------------------
# reference models
def gevertz2018_model(*, minimal: bool = False, with_dc_vaccine: bool = True) -> Model:
    r"""Gevertz & Wares (2018): oncolytic adenovirus plus DC vaccine in murine melanoma.

    .. math::

        \dot U &= r U - \beta \frac{U V}{N} - (k_0 + c_{kill} I)\frac{U T}{N}, \qquad N = U + I + T \\
        \dot I &= \beta \frac{U V}{N} - \delta_I I - (k_0 + c_{kill} I)\frac{I T}{N} \\
        \dot V &= \alpha \delta_I I - \delta_V V \\
        \dot T &= C_T I + \chi_A A - \delta_T T \;(+\chi_D D) \\
        \dot A &= C_A I - \delta_A A \qquad \text{(original model only)}

    The DC part (``D``, ``chi_D D``) is added by :func:`vaccine_dc` with
    ``exposure="D"``, so this model is also a test that the mechanism
    reproduces the published one.

    Parameters
    ----------
    minimal : bool
        The paper's minimal model (no naive T cells ``A``; BIOMD0000000817).
    with_dc_vaccine : bool
        Apply :func:`vaccine_dc` (``D`` with ``delta_D = 0.35``).

    Returns
    -------
    Model
        Start: ``U`` = the encoding's initial tumour volume, everything else 0.
        Doses (OV at days 0, 2, 4; DC at 1, 3, 5) come from
        :func:`gevertz2018_events`.
    """
    src = GEVERTZ_MINIMAL_SOURCE if minimal else GEVERTZ_SOURCE
    vals = (
        {"c_kill": 0.623397, "C_T": 1.428064, "chi_D": 4.901894, "U0": 57.414042}
        if minimal
        else {"c_kill": 0.595397, "C_T": 1.698362, "chi_D": 4.675397, "U0": 58.020755}
    )
    P = Parameter
    params = [
        P("r", 0.3198, "1/day", "tumour growth rate", src),
        P("beta", 1.008538, "1/day", "virus infection rate", src),
        P("k0", 2.0, "1/day", "baseline kill rate by tumour-targeting T cells", src),
        P("c_kill", vals["c_kill"], "1/(mm^3*day)", "increase of kill rate with infected cells (IL-12)", src),
        P("delta_I", 1.0, "1/day", "death rate of infected cells", src),
        P("alpha", 3.0, "1", "virions released per dying infected cell (burst)", src),
        P("delta_V", 2.3, "1/day", "virus decay rate", src),
        P("C_T", vals["C_T"], "1/day", "T-cell activation by infected cells (4-1BBL)", src),
        P("delta_T", 0.35, "1/day", "death rate of tumour-targeting T cells", src),
    ]
    U, I, V, T, A = (Sym(n) for n in ["U", "I", "V", "T", "A"])
    N = Sym("N")
    kill = (Sym("k0") + Sym("c_kill") * I) * T / N
    terms = [
        Term("tumour_growth", Sym("r") * U, {"U": 1}, "tumour cells grow exponentially", {roles.TUMOUR_GROWTH}),
        Term("infection", Sym("beta") * U * V / N, {"U": -1, "I": 1}, "virus infects tumour cells"),
        Term("kill_uninfected", kill * U, {"U": -1}, "T cells kill uninfected tumour cells", {roles.KILL}),
        Term("infected_death", Sym("delta_I") * I, {"I": -1}, "infected cells lyse"),
        Term("kill_infected", kill * I, {"I": -1}, "T cells kill infected tumour cells", {roles.KILL}),
        Term("virus_release", Sym("alpha") * Sym("delta_I") * I, {"V": 1}, "lysing cells release virus"),
        Term("virus_decay", Sym("delta_V") * V, {"V": -1}, "virus decays"),
        Term("t_activation_infected", Sym("C_T") * I, {"T": 1}, "infected cells (4-1BBL) activate T cells",
             {roles.RECRUITMENT}),
        Term("t_death", Sym("delta_T") * T, {"T": -1}, "T cells die", {roles.EFFECTOR_DEATH}),
    ]
    states = [
        State("U", vals["U0"], "mm^3", "uninfected tumour cells (volume)"),
        State("I", 0.0, "mm^3", "virus-infected tumour cells (volume)"),
        State("V", 0.0, "virus units", "oncolytic adenovirus"),
        State("T", 0.0, "mm^3", "tumour-targeting T cells (volume)"),
    ]
    n_expr = U + I + T
    if not minimal:
        params += [
            P("chi_A", 1.0, "1/day", "activation of naive T cells into tumour-targeting T cells (IL-12)", src),
            P("C_A", 0.000517, "1/day", "naive T-cell recruitment by infected cells (IL-12)", src),
            P("delta_A", 0.35, "1/day", "death rate of naive T cells", src),
        ]
        states.append(State("A", 0.0, "mm^3", "naive T cells"))
        terms += [
            Term("naive_recruitment", Sym("C_A") * I, {"A": 1}, "infected cells (IL-12) recruit naive T cells"),
            Term("naive_death", Sym("delta_A") * A, {"A": -1}, "naive T cells die"),
            Term("t_activation_naive", Sym("chi_A") * A, {"T": 1}, "naive T cells are activated",
                 {roles.EFFECTOR_SUPPLY}),
        ]
    m = Model(
        id="gevertz2018_minimal" if minimal else "gevertz2018",
        title="Gevertz & Wares 2018: oncolytic adenovirus and dendritic-cell vaccine in murine melanoma"
        + (" (minimal model)" if minimal else ""),
        states=tuple(states),
        parameters=tuple(params),
        terms=tuple(terms),
        observables=(
            Observable("N", n_expr, "mm^3", "all cells at the tumour site"),
            Observable("tumour_volume", U + I, "mm^3", "tumour volume (uninfected + infected)"),
        ),
        description="Oncolytic adenovirus (Ad/4-1BBL/IL-12) infecting a B16-F10 melanoma, with tumour-targeting "
        "T cells; dendritic-cell vaccine added by the vaccine_dc mechanism.",
        references=(src, Source("BioModels " + ("BIOMD0000000817" if minimal else "BIOMD0000000816"))),
        tumour_state="U",
    )
    if with_dc_vaccine:
        m = vaccine_dc(m, exposure="D", prefix="dc", effector_state="T", chi=vals["chi_D"], delta=0.35)
    return m


def gevertz2018_events(ov_dose: float = 2.5, dc_dose: float = 1.0) -> tuple[Event, ...]:
    """The treatment of Gevertz & Wares (2018) (BIOMD0000000816/817): OV days 0, 2, 4; DC days 1, 3, 5."""
    return tuple(
        sorted(
            [Event(t, "V", "add", ov_dose, label="oncolytic adenovirus") for t in (0.0, 2.0, 4.0)]
            + [Event(t, "D", "add", dc_dose, label="dendritic-cell vaccine") for t in (1.0, 3.0, 5.0)],
            key=lambda e: e.time,
        )
    )


def kronik2010_model(*, with_vaccine: bool = True) -> Model:
    r"""Kronik et al. (2010): prostate cancer, CTLs and the whole-cell vaccine (MODEL2001130003).

    Base: CTLs ``C`` die (``mu_c``) and kill prostate cancer cells ``P``
    (``a_p C P h_p/(h_p + P)``), which grow at rate ``r``. The vaccine part
    (``V -> Dm -> Dc -> Dr``, Tregs ``R``) is added by :func:`vaccine_peptide`
    with ``exposure="V"``; the states get the encoding's names through the
    prefix (``k_Dm`` ...), and the initial values of the encoding
    (``V = 1e6``, every other state 1) are set.
    """
    P_, C = Sym("P"), Sym("C")
    P = Parameter
    params = (
        P("mu_c", 0.007, "1/day", "CTL death rate", _kronik_src("mu_c")),
        P("r", 1.0e-5, "1/day", "prostate cancer growth rate", _kronik_src("r")),
        P("ap", 1.14e-6, "1/(cell*day)", "kill rate of cancer cells per CTL", _kronik_src("ap")),
        P("hp", 1.0e8, "cells", "saturation of killing in tumour size", _kronik_src("hp")),
    )
    m = Model(
        id="kronik2010",
        title="Kronik et al. 2010: prostate cancer immunotherapy with a whole-cell vaccine",
        states=(State("C", 1.0, "cells", "cytotoxic T lymphocytes"), State("P", 1.0, "cells", "prostate cancer cells")),
        parameters=params,
        terms=(
            Term("ctl_death", Sym("mu_c") * C, {"C": -1}, "CTLs die", {roles.EFFECTOR_DEATH}),
            Term("cancer_growth", Sym("r") * P_, {"P": 1}, "cancer cells grow", {roles.TUMOUR_GROWTH}),
            Term("cancer_kill", Sym("ap") * C * P_ * Sym("hp") / (Sym("hp") + P_), {"P": -1},
                 "CTLs kill cancer cells", {roles.KILL}),
        ),
        description="Prostate cancer and CTLs; vaccine dendritic-cell path added by vaccine_peptide.",
        references=(KRONIK_SOURCE, Source("BioModels MODEL2001130003")),
        tumour_state="P",
    )
    if with_vaccine:
        m = vaccine_peptide(m, exposure="V", prefix="k", effector_state="C")
        m = m.with_initial({"V": 1.0e6, "k_Dm": 1.0, "k_Dc": 1.0, "k_Dr": 1.0, "k_Treg": 1.0})
    return m


VACCINE_DC = Mechanism(
    name="vaccine_dc",
    title="Dendritic-cell vaccine",
    therapy_class="vaccine",
    description=(
        "Dendritic cells loaded with tumour antigen are injected; while they survive (days) they prime "
        "tumour-specific T cells, so the supply of effector cells rises for a while after each injection "
        "(Gevertz & Wares 2018)."
    ),
    exposure="state holding the injected dendritic cells (created, start 0, if absent); doses are add events",
    required_roles=(roles.EFFECTOR_SUPPLY, roles.RECRUITMENT),
    parameters=_DC_DEFAULTS,
    references=(GEVERTZ_SOURCE,),
    apply=vaccine_dc,
)
VACCINE_PEPTIDE = Mechanism(
    name="vaccine_peptide",
    title="Antigen (peptide or whole-cell) vaccine",
    therapy_class="vaccine",
    description=(
        "The vaccine's antigen is picked up by skin dendritic cells, which carry it to the lymph node, mature and "
        "call in tumour-specific T cells for a few weeks; later some turn regulatory and recruit suppressive "
        "T cells (Kronik et al. 2010)."
    ),
    exposure="state holding the vaccine antigen at the injection site (created, start 0, if absent)",
    required_roles=(roles.EFFECTOR_SUPPLY, roles.RECRUITMENT),
    parameters=_PEPTIDE_DEFAULTS,
    references=(KRONIK_SOURCE,),
    apply=vaccine_peptide,
)
