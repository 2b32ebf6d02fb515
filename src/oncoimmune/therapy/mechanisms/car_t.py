r"""CAR-T cells: expansion, memory, exhaustion and killing; lymphodepletion; B-ALL and LBCL scenarios.

**The CAR-T module** (``car_t``; CARTmath, Barros et al. 2021). Given a tumour
model without CAR-T cells, the mechanism adds effector CAR-T cells ``C``
(the state named by ``exposure``), memory CAR-T cells ``M`` and exhausted
CAR-T cells ``X``:

.. math::

    \dot C &= \phi C - \rho C + \theta T M - \alpha T C \\
    \dot M &= \varepsilon C - \theta T M - \mu M \\
    \dot X &= \alpha T C - \rho X \\
    \dot T &\mathrel{-}= \gamma C T

Effector cells proliferate (``phi``), die or differentiate (``rho``), seed
memory (``epsilon``), are driven into exhaustion by the tumour they meet
(``alpha``; CARTmath's tumour-induced inhibition, kept here as a separate
exhausted pool that no longer kills) and kill by mass action (``gamma``);
memory cells re-expand on antigen contact (``theta``). Defaults: the HDLM-2
fit of Barros et al. (2021) (cells in a mouse). Given a model that already has
its CAR-T state (Barros, Kimmel, Leon-Triana), the mechanism only adds the
exhausted pool (at rate ``alpha_extra * T * C``, default 0: the published
model is unchanged) and the cytokine-release observable.

**Cytokine-release risk** (``<prefix>_crs_risk``): the rate at which CAR-T
cells lyse tumour cells, divided by ``crs_scale``. A **proxy, not a CRS
model**: in the CAR-T models used here nothing represents cytokines. It rests
on Hanson et al. (2016), whose inflammatory drive is tumour burden times
effector CAR-T cells, and on the clinical association of severe CRS with high
tumour burden and high CAR-T expansion (Teachey et al. 2016; Hay et al. 2017).
Compare it within one model (schedules, doses, burdens), never across models
or as a grade.

**Lymphodepletion** (:func:`lymphodepletion`). Fludarabine/cyclophosphamide
before the infusion empties the lymphocyte compartment; CAR-T cells then
expand into the space (Kimmel et al. 2021: competition for the homeostatic
niche; clinically, Cy/Flu raised CAR-T expansion and persistence, Turtle et
al. 2016). In models with a ``lymphocyte_homeostasis`` role (Kimmel) it sets
the lymphocyte count at infusion.

**Scenarios.** :func:`lbcl_axicel` (adult large B-cell lymphoma,
axicabtagene ciloleucel, Kimmel et al. 2021 calibrated to ZUMA-1; label dose
2e6 CAR-T cells/kg after Cy/Flu) and :func:`ball_tisagenlecleucel` (paediatric
B-ALL, tisagenlecleucel; Leon-Triana et al. 2021 model in cell numbers;
label dose 0.2-5e6/kg for patients up to 50 kg, ELIANA median 3.1e6/kg).

References
----------
.. [1] Barros LRC et al. (2021). CARTmath. Cancers 13:2941. doi:10.3390/cancers13122941
.. [2] Kimmel GJ, Locke FL, Altrock PM (2021). Proc R Soc B 288:20210229. doi:10.1098/rspb.2021.0229
.. [3] Leon-Triana O, Sabir S, Calvo GF, et al. (2021). CAR T cell therapy in
   B-cell acute lymphoblastic leukaemia: insights from mathematical models.
   Commun Nonlinear Sci Numer Simul 94:105570. doi:10.1016/j.cnsns.2020.105570.
   BioModels BIOMD0000001011.
.. [4] Hanson S et al. (2016). Toxicity management in CAR T cell therapy for
   B-ALL. bioRxiv 049908. doi:10.1101/049908. BioModels BIOMD0000000837.
.. [5] Teachey DT et al. (2016). Identification of predictive biomarkers for
   cytokine release syndrome after CAR T-cell therapy for ALL. Cancer Discov
   6:664-679. doi:10.1158/2159-8290.CD-16-0040
.. [6] Hay KA et al. (2017). Kinetics and biomarkers of severe cytokine
   release syndrome after CD19 CAR-T cell therapy. Blood 130:2295-2306.
   doi:10.1182/blood-2017-06-793141
.. [7] Turtle CJ et al. (2016). Immunotherapy of non-Hodgkin's lymphoma with
   a defined ratio of CD8+ and CD4+ CD19-specific CAR-T cells. Sci Transl Med
   8:355ra116. doi:10.1126/scitranslmed.aaf8621
.. [8] Maude SL et al. (2018). Tisagenlecleucel in children and young adults
   with B-cell lymphoblastic leukemia. N Engl J Med 378:439-448.
   doi:10.1056/NEJMoa1709866
.. [9] YESCARTA (axicabtagene ciloleucel) and KYMRIAH (tisagenlecleucel) US
   Prescribing Information, section 2 (dose, lymphodepleting chemotherapy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..._errors import ModelSpecError, ParameterValueError
from ...biology import roles
from ...library.barros2021_cartmath import CART_EXPANSION, MEMORY_ACTIVATION, MEMORY_DEATH, MEMORY_FORMATION
from ...model.components import Observable, Parameter, Source, State, Term
from ...model.events import Event
from ...model.expr import Expr, Num, Sym, free_symbols
from ...model.model import Model
from ._base import (
    ASSUMPTION,
    Mechanism,
    check_prefix,
    finite_nonneg,
    known_names,
    prefixed_parameters,
    require_fresh,
)

__all__ = [
    "CAR_T",
    "CarTScenario",
    "ball_tisagenlecleucel",
    "car_t",
    "crs_peak",
    "lbcl_axicel",
    "leon_triana2021_model",
    "lymphodepletion",
]

LYMPHOCYTE_HOMEOSTASIS = "lymphocyte_homeostasis"  # the Kimmel 2021 role (library.kimmel2021_cart)

_BARROS = Source(
    "Barros LRC, Paixao EA, Valli AMP, et al. (2021). CARTmath - a mathematical model of CAR-T immunotherapy "
    "in preclinical studies of hematological cancers. Cancers 13:2941",
    "model equations; HDLM-2 parameter set (BIOMD0000001019)",
    "10.3390/cancers13122941",
)
_HANSON = Source(
    "Hanson S et al. (2016). Toxicity management in CAR T cell therapy for B-ALL: mathematical modelling as a "
    "new avenue for improvement. bioRxiv 049908",
    "inflammation stimulation p1*B*(Ce + He): cytokine drive ~ tumour x effector CAR-T (BIOMD0000000837)",
    "10.1101/049908",
)
_TEACHEY = Source(
    "Teachey DT et al. (2016). Identification of predictive biomarkers for cytokine release syndrome after "
    "chimeric antigen receptor T-cell therapy for acute lymphoblastic leukemia. Cancer Discov 6:664-679",
    "severe CRS associated with high disease burden",
    "10.1158/2159-8290.CD-16-0040",
)
_HAY = Source(
    "Hay KA et al. (2017). Kinetics and biomarkers of severe cytokine release syndrome after CD19 chimeric "
    "antigen receptor-modified T-cell therapy. Blood 130:2295-2306",
    "severe CRS associated with high marrow tumour burden, Cy/Flu lymphodepletion and higher CAR-T expansion",
    "10.1182/blood-2017-06-793141",
)
_KIMMEL = Source(
    "Kimmel GJ, Locke FL, Altrock PM (2021). The roles of T cell competition and stochastic extinction events "
    "in chimeric antigen receptor T cell therapy. Proc R Soc B 288:20210229",
    "model and ZUMA-1 calibration; post-lymphodepletion start N = 6, C = 0.36, B = 94.86 cells/uL "
    "(BIOMD0000001041); normal T-cell carrying capacity K_N = 500 cells/uL",
    "10.1098/rspb.2021.0229",
)
_TURTLE = Source(
    "Turtle CJ et al. (2016). Immunotherapy of non-Hodgkin's lymphoma with a defined ratio of CD8+ and CD4+ "
    "CD19-specific chimeric antigen receptor-modified T cells. Sci Transl Med 8:355ra116",
    "Cy/Flu lymphodepletion improved CAR-T expansion and persistence compared with Cy-based regimens",
    "10.1126/scitranslmed.aaf8621",
)
_LEON = Source(
    "Leon-Triana O, Sabir S, Calvo GF, et al. (2021). CAR T cell therapy in B-cell acute lymphoblastic "
    "leukaemia: insights from mathematical models. Commun Nonlinear Sci Numer Simul 94:105570",
    "model equations and parameters; values and initial state as encoded in BioModels BIOMD0000001011",
    "10.1016/j.cnsns.2020.105570",
    "paper not re-read here; values from the SBML encoding",
)
_YESCARTA = Source(
    "YESCARTA (axicabtagene ciloleucel) US Prescribing Information, Kite Pharma",
    "section 2: 2 x 10^6 CAR-positive viable T cells/kg (maximum 2 x 10^8) after cyclophosphamide 500 mg/m2 "
    "and fludarabine 30 mg/m2 on days -5, -4, -3",
)
_KYMRIAH = Source(
    "KYMRIAH (tisagenlecleucel) US Prescribing Information, Novartis",
    "section 2 (B-ALL): 0.2-5.0 x 10^6 CAR-positive viable T cells/kg for patients <= 50 kg, 0.1-2.5 x 10^8 "
    "for > 50 kg; fludarabine 30 mg/m2 x 4 days and cyclophosphamide 500 mg/m2 x 2 days before infusion",
)
_MAUDE = Source(
    "Maude SL et al. (2018). Tisagenlecleucel in children and young adults with B-cell lymphoblastic leukemia. "
    "N Engl J Med 378:439-448",
    "ELIANA: median infused dose 3.1 x 10^6 CAR T cells/kg; overall remission 81 % within 3 months",
    "10.1056/NEJMoa1709866",
    "median dose quoted from memory of the paper's Results; re-verify against the primary source",
)


def _b(name: str, value: float, units: str, desc: str) -> Parameter:
    return Parameter(name, value, units, desc, Source(_BARROS.citation, f"{name} (HDLM-2 fit, BIOMD0000001019)",
                                                      _BARROS.doi))


_DEFAULTS = (
    _b("phi", 0.265, "1/day", "effector CAR-T proliferation rate"),
    _b("rho", 0.35, "1/day", "effector CAR-T loss (death and differentiation)"),
    _b("epsilon", 0.15, "1/day", "memory formation from effector CAR-T cells"),
    _b("theta", 6.0e-6, "1/(cell*day)", "memory -> effector conversion on contact with tumour cells"),
    _b("alpha", 4.5e-8, "1/(cell*day)", "exhaustion (tumour-induced inhibition) of effector CAR-T cells"),
    _b("mu", 0.005, "1/day", "memory CAR-T death rate"),
    _b("gamma", 3.715843e-6, "1/(cell*day)", "tumour kill rate per effector CAR-T cell"),
    Parameter(
        "alpha_extra",
        0.0,
        "1/(tumour unit*day)",
        "extra exhaustion of an existing CAR-T state by the tumour (only when the model already has CAR-T cells)",
        Source(_BARROS.citation, "form of the alpha*T*Ct term", _BARROS.doi,
               ASSUMPTION + "default 0 keeps the published model unchanged."),
    ),
    Parameter(
        "crs_scale",
        1.0e6,
        "tumour units/day",
        "lysis rate taken as one unit of the cytokine-release proxy",
        Source(_HANSON.citation, _HANSON.location, _HANSON.doi,
               ASSUMPTION + "scale only (1e6 cells/day, as the Barros library model); the proxy is relative."),
        bounds=(1e-300, float("inf")),
    ),
)


def _kill_terms_of(model: Model, cart: str, tumour: str) -> list[Term]:
    return [
        t
        for t in model.terms
        if t.effects.get(tumour, 0.0) < 0 and cart in _term_symbols(model, t)
    ]


def _term_symbols(model: Model, t: Term) -> set[str]:
    """Symbols of a term's rate with observables expanded (states, parameters, t)."""
    obs = {o.name: o.expr for o in model.observables}
    out: set[str] = set()
    todo = list(free_symbols(t.rate))
    seen: set[str] = set()
    while todo:
        s = todo.pop()
        if s in seen:
            continue
        seen.add(s)
        if s in obs:
            todo.extend(free_symbols(obs[s]))
        else:
            out.add(s)
    return out


def car_t(
    model: Model,
    *,
    exposure: str,
    prefix: str | None = None,
    tumour_state: str | None = None,
    **params: Any,
) -> Model:
    """CAR-T cells against the model's tumour: the CARTmath module, or additions to an existing CAR-T model.

    Parameters
    ----------
    model : Model
        A model with a tumour state. If ``exposure`` is already a state with
        dynamics, it is taken as the effector CAR-T cells of a published CAR-T
        model; a state without any term (a dose container) gets the module.
    exposure : str
        Name of the effector CAR-T state (created with memory and exhausted
        pools if absent; give the dose as ``Event(t, exposure, "add", cells)``).
    prefix : str, optional
        Default ``"car_t"``.
    tumour_state : str, optional
        Default the model's ``tumour_state``.
    **params
        ``phi``, ``rho``, ``epsilon``, ``theta``, ``alpha``, ``mu``, ``gamma``,
        ``alpha_extra``, ``crs_scale``.

    Returns
    -------
    Model
        With states ``<prefix>_memory`` (new module only) and
        ``<prefix>_exhausted``, and the observable ``<prefix>_crs_risk``.

    References
    ----------
    .. [1] Barros LRC et al. (2021). Cancers 13:2941.
    .. [2] Hanson S et al. (2016). bioRxiv 049908.
    """
    mech = "car_t"
    pre = check_prefix(mech, prefix or mech)
    tum = tumour_state or model.tumour_state
    if tum is None or tum not in model.state_names:
        raise ModelSpecError(f"{mech}: model {model.id!r} has no tumour state; pass tumour_state=...")
    if not isinstance(exposure, str) or not exposure.isidentifier():
        raise ModelSpecError(f"{mech}: `exposure` must name the effector CAR-T state; got {exposure!r}")
    present = exposure in model.state_names
    if not present and exposure in known_names(model):
        raise ModelSpecError(f"{mech}: {exposure!r} is a parameter/observable of {model.id!r}, not a state")
    # a state with dynamics is a published model's CAR-T pool; a bare state (e.g. the dose container of the
    # drug catalogue, <prefix>_cells) gets the full CARTmath module
    existing = present and any(exposure in t.effects for t in model.terms)
    M, X = f"{pre}_memory", f"{pre}_exhausted"
    pars = prefixed_parameters(mech, _DEFAULTS, pre, params)
    if existing:
        keep = {f"{pre}_alpha_extra", f"{pre}_crs_scale", f"{pre}_rho"}
        pars = tuple(p for p in pars if p.name in keep)
    require_fresh(mech, model, [p.name for p in pars] + [X, f"{pre}_crs_risk"] + ([] if existing else [M]))
    p = {k: Sym(f"{pre}_{k}") for k in ("phi", "rho", "epsilon", "theta", "alpha", "mu", "gamma", "alpha_extra")}
    C, T, Ms, Xs = Sym(exposure), Sym(tum), Sym(M), Sym(X)
    m = model.add(parameters=pars, references=(_BARROS, _HANSON, _TEACHEY, _HAY))
    states = [State(X, 0.0, model.state(exposure).units if existing else "cells",
                    "exhausted CAR-T cells (no longer kill or expand)")]
    if existing:
        terms = [
            Term(f"{pre}_exhaustion", p["alpha_extra"] * T * C, {exposure: -1, X: 1},
                 "the tumour drives effector CAR-T cells into exhaustion", {roles.INACTIVATION}),
            Term(f"{pre}_exhausted_loss", p["rho"] * Xs, {X: -1}, "exhausted CAR-T cells die"),
        ]
    else:
        units = model.state(exposure).units if present else "cells"
        states = ([] if present else [State(exposure, 0.0, "cells", "effector CAR-T cells")]) + [
            State(M, 0.0, units, "memory CAR-T cells"),
        ] + states
        terms = [
            Term(f"{pre}_proliferation", p["phi"] * C, {exposure: 1}, "effector CAR-T cells proliferate",
                 {CART_EXPANSION}),
            Term(f"{pre}_loss", p["rho"] * C, {exposure: -1}, "effector CAR-T cells die or differentiate",
                 {roles.EFFECTOR_DEATH}),
            Term(f"{pre}_memory_formation", p["epsilon"] * C, {M: 1}, "effector CAR-T cells seed memory",
                 {MEMORY_FORMATION}),
            Term(f"{pre}_memory_activation", p["theta"] * T * Ms, {M: -1, exposure: 1},
                 "memory CAR-T cells turn into effectors on meeting tumour cells",
                 {MEMORY_ACTIVATION, roles.RECRUITMENT}),
            Term(f"{pre}_memory_death", p["mu"] * Ms, {M: -1}, "memory CAR-T cells die", {MEMORY_DEATH}),
            Term(f"{pre}_exhaustion", p["alpha"] * T * C, {exposure: -1, X: 1},
                 "the tumour drives effector CAR-T cells into exhaustion", {roles.INACTIVATION}),
            Term(f"{pre}_exhausted_loss", p["rho"] * Xs, {X: -1}, "exhausted CAR-T cells die"),
            Term(f"{pre}_kill", p["gamma"] * C * T, {tum: -1}, "effector CAR-T cells kill tumour cells",
                 {roles.KILL}),
        ]
    m = m.add(states=tuple(states), terms=tuple(terms))
    kills = _kill_terms_of(m, exposure, tum)
    if not kills:
        raise ModelSpecError(f"{mech}: no term of model {m.id!r} removes {tum!r} at a rate depending on {exposure!r}")
    lysis: Expr = Num(0.0)
    for t in kills:
        lysis = lysis + (-t.effects[tum]) * t.rate
    return m.add(
        observables=(
            Observable(
                f"{pre}_crs_risk",
                lysis / Sym(f"{pre}_crs_scale"),
                "1",
                "PROXY for cytokine-release risk: tumour lysis by CAR-T cells per day / crs_scale (Hanson 2016 "
                "drive ~ tumour x CAR-T; Teachey 2016, Hay 2017); not a probability or grade",
            ),
        ),
        notes=(f"{mech}: CAR-T state {exposure}; crs_risk = CAR-T lysis rate / crs_scale (a documented proxy).",),
    )


def crs_peak(ds: Any, prefix: str = "car_t") -> tuple[float, float]:
    """Peak of the cytokine-release proxy and its day, from a simulation result."""
    v = np.asarray(ds[f"{prefix}_crs_risk"].values, dtype=float)
    k = int(np.nanargmax(v))
    return float(v[k]), float(ds["time"].values[k])


def lymphodepletion(model: Model, *, lymphocytes_after: float) -> Model:
    """Set the normal-lymphocyte count at infusion (after lymphodepleting chemotherapy).

    Applies to models whose normal T-cell regrowth carries the role
    ``lymphocyte_homeostasis`` (Kimmel et al. 2021): the states it feeds start
    at ``lymphocytes_after`` (in the model's units). No lymphodepletion is
    ``lymphocytes_after = K_N`` (the homeostatic count).

    References
    ----------
    .. [1] Kimmel GJ et al. (2021). Proc R Soc B 288:20210229.
    .. [2] Turtle CJ et al. (2016). Sci Transl Med 8:355ra116.
    """
    v = finite_nonneg("lymphodepletion", "lymphocytes_after", lymphocytes_after)
    fed = sorted({s for t in model.terms_with_role(LYMPHOCYTE_HOMEOSTASIS) for s, c in t.effects.items() if c > 0})
    if not fed:
        raise ModelSpecError(
            f"lymphodepletion: model {model.id!r} has no term with role {LYMPHOCYTE_HOMEOSTASIS!r} (normal "
            "lymphocytes competing with CAR-T cells; e.g. kimmel2021_cart)"
        )
    return model.with_initial({s: v for s in fed})


# ---------------------------------------------------------------------------------------
def leon_triana2021_model() -> Model:
    r"""Leon-Triana et al. (2021): CAR-T cells, leukaemic and healthy B cells in B-ALL (BIOMD0000001011).

    .. math::

        \dot C &= \rho_C (L + B) C - C/\tau_C \\
        \dot L &= \rho_L L - \alpha L C \\
        \dot B &= -\alpha B C - B/\tau_B, \qquad \rho_C = \alpha/4

    Cells (whole body), days. Start: ``C = 1e7``, ``L = 5e10``, ``B = 2.5e10``.
    """
    C, L, B = Sym("C"), Sym("L"), Sym("B")
    src = _LEON
    P = Parameter
    params = (
        P("tau_B", 60.0, "day", "mean lifetime of healthy B cells", src),
        P("rho_L", 1.0 / 30.0, "1/day", "leukaemic cell proliferation rate", src),
        P("tau_C", 14.0, "day", "mean lifetime of CAR-T cells", src),
        P("alpha", 4.5e-11, "1/(cell*day)", "kill rate of CD19+ cells per CAR-T cell", src),
    )
    return Model(
        id="leon_triana2021_ball",
        title="Leon-Triana et al. 2021: CAR-T cells against B-cell acute lymphoblastic leukaemia",
        states=(
            State("C", 1.0e7, "cells", "CAR-T cells"),
            State("L", 5.0e10, "cells", "leukaemic (CD19+) B cells"),
            State("B", 2.5e10, "cells", "healthy (CD19+) B cells"),
        ),
        parameters=params,
        observables=(Observable("rho_C", Sym("alpha") / 4.0, "1/(cell*day)", "CAR-T stimulation by CD19+ cells, alpha/4"),),
        terms=(
            Term("cart_expansion", Sym("rho_C") * (L + B) * C, {"C": 1}, "CAR-T cells expand on meeting CD19+ cells",
                 {CART_EXPANSION}),
            Term("cart_death", C / Sym("tau_C"), {"C": -1}, "CAR-T cells die", {roles.EFFECTOR_DEATH}),
            Term("leukaemia_growth", Sym("rho_L") * L, {"L": 1}, "leukaemic cells proliferate", {roles.TUMOUR_GROWTH}),
            Term("leukaemia_kill", Sym("alpha") * L * C, {"L": -1}, "CAR-T cells kill leukaemic cells", {roles.KILL}),
            Term("b_cell_kill", Sym("alpha") * B * C, {"B": -1}, "CAR-T cells kill healthy B cells (B-cell aplasia)"),
            Term("b_cell_death", B / Sym("tau_B"), {"B": -1}, "healthy B cells die"),
        ),
        description="CD19 CAR-T cells expanding on leukaemic and healthy B cells and killing both (B-ALL).",
        references=(_LEON, Source("BioModels BIOMD0000001011 (SBML encoding of Leon-Triana et al. 2021)")),
        tumour_state="L",
    )


@dataclass(frozen=True)
class CarTScenario:
    """A CAR-T scenario: the model, its events, the horizon and what it stands for."""

    name: str
    model: Model
    events: tuple[Event, ...]
    days: float
    description: str
    sources: tuple[Source, ...] = field(default=())


def lbcl_axicel(
    *,
    dose_per_kg: float = 2.0e6,
    lymphodepletion_done: bool = True,
    tumour_burden: float | None = None,
    days: float = 365.0,
) -> CarTScenario:
    """Adult large B-cell lymphoma treated with axicabtagene ciloleucel (Kimmel et al. 2021 model).

    Parameters
    ----------
    dose_per_kg : float
        CAR-T cells per kg; the label dose 2e6/kg gives Kimmel's calibrated
        start ``C = 0.36`` cells/uL (blood-equivalent), other doses scale it linearly.
    lymphodepletion_done : bool
        ``True``: Cy/Flu before infusion (Kimmel's post-lymphodepletion
        ``N = 6`` cells/uL). ``False``: normal T cells at their homeostatic
        level ``K_N`` (no space for CAR-T expansion).
    tumour_burden : float, optional
        Tumour at infusion (cells/uL, blood-equivalent); default Kimmel's 94.86.
    days : float
    """
    from ...library import get_model

    d = finite_nonneg("lbcl_axicel", "dose_per_kg", dose_per_kg)
    if d > 2.0e8 / 40.0:
        raise ParameterValueError(f"lbcl_axicel: dose_per_kg {d:g} is far above the label (2e6/kg, max 2e8 total)")
    m = get_model("kimmel2021_cart")
    m = car_t(m, exposure="C", prefix="car_t", crs_scale=1.0)
    init: dict[str, float] = {"C": 0.36 * d / 2.0e6}
    if tumour_burden is not None:
        init["B"] = finite_nonneg("lbcl_axicel", "tumour_burden", tumour_burden)
    m = m.with_initial(init)
    if not lymphodepletion_done:
        m = lymphodepletion(m, lymphocytes_after=m.parameter("K_N").value)
    return CarTScenario(
        name="lbcl_axicel",
        model=m,
        events=(),
        days=float(days),
        description=(
            f"Large B-cell lymphoma, axi-cel {d:g} CAR-T cells/kg "
            f"({'after' if lymphodepletion_done else 'without'} Cy/Flu lymphodepletion); Kimmel 2021 (ZUMA-1)."
        ),
        sources=(_KIMMEL, _YESCARTA, _TURTLE),
    )


def ball_tisagenlecleucel(
    *,
    weight_kg: float = 30.0,
    dose_per_kg: float = 3.1e6,
    leukaemic_cells: float | None = None,
    days: float = 180.0,
) -> CarTScenario:
    """Paediatric B-ALL treated with tisagenlecleucel (Leon-Triana et al. 2021 model).

    Parameters
    ----------
    weight_kg : float
        Body weight; the label's weight-based dose applies up to 50 kg.
    dose_per_kg : float
        CAR-T cells per kg (label 0.2-5e6/kg; ELIANA median 3.1e6/kg).
    leukaemic_cells : float, optional
        Leukaemic burden at infusion (cells); default the model's 5e10.
    days : float

    Notes
    -----
    The model starts after lymphodepletion (the label's fludarabine and
    cyclophosphamide); it has no competing normal T cells, so the effect of
    lymphodepletion itself is shown with :func:`lbcl_axicel`.
    """
    w = finite_nonneg("ball_tisagenlecleucel", "weight_kg", weight_kg)
    d = finite_nonneg("ball_tisagenlecleucel", "dose_per_kg", dose_per_kg)
    if not (0 < w <= 50.0):
        raise ParameterValueError(
            f"ball_tisagenlecleucel: weight_kg must be in (0, 50] for the weight-based dose; got {weight_kg!r} "
            "(above 50 kg the label gives 0.1-2.5e8 cells in total)"
        )
    if not (0.2e6 <= d <= 5.0e6):
        raise ParameterValueError(
            f"ball_tisagenlecleucel: dose_per_kg must be within the label range 0.2e6-5e6; got {dose_per_kg!r}"
        )
    m = leon_triana2021_model()
    m = car_t(m, exposure="C", prefix="car_t")
    init = {"C": 0.0}
    if leukaemic_cells is not None:
        init["L"] = finite_nonneg("ball_tisagenlecleucel", "leukaemic_cells", leukaemic_cells)
    m = m.with_initial(init)
    ev = (Event(0.0, "C", "add", w * d, label=f"tisagenlecleucel {w * d:.3g} CAR-T cells"),)
    return CarTScenario(
        name="ball_tisagenlecleucel",
        model=m,
        events=ev,
        days=float(days),
        description=f"Paediatric B-ALL, {w:g} kg, tisagenlecleucel {d:g} cells/kg; Leon-Triana et al. 2021 model.",
        sources=(_LEON, _KYMRIAH, _MAUDE),
    )


CAR_T = Mechanism(
    name="car_t",
    title="CAR-T cells",
    therapy_class="car_t",
    description=(
        "Engineered T cells that recognise a surface protein (CD19, CD123) without MHC: they multiply on meeting "
        "the tumour, kill it, leave memory cells that re-expand on relapse, and are worn out (exhausted) by "
        "prolonged contact. Adds the CARTmath module (Barros 2021) to a tumour model, or an exhausted pool and "
        "the cytokine-release proxy to a model that already has CAR-T cells."
    ),
    exposure="effector CAR-T state (created with memory/exhausted pools if absent; dose = add event)",
    required_roles=(roles.TUMOUR_GROWTH,),
    parameters=_DEFAULTS,
    references=(_BARROS, _HANSON, _TEACHEY, _HAY, _KIMMEL),
    apply=car_t,
)
