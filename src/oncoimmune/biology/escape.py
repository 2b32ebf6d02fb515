r"""How tumours escape immune control: switchable, tunable mechanisms ``Model -> Model``.

A tumour that the immune system would hold in check can still grow when

(a) there are too few white blood cells (**lymphopenia**),
(b) the tumour sends "stop" signals to the T cells that reach it
    (**PD-L1 on PD-1**, a checkpoint brake), or
(c) the tumour hides: it stops showing the antigens T cells recognise
    (**antigen loss**, or its gradual form, **immunoediting**).

Each mechanism here is a *pure* function ``f(model, strength) -> Model``. It
never edits its input: it adds its own strength parameter (with a
:class:`~oncoimmune.model.Source`) and multiplies the rates of every term with
a given role (:mod:`oncoimmune.biology.roles`) by a factor built from that
parameter, so it works on any library model whose terms carry the roles, and
the strength can later be changed with ``Model.with_parameters`` or swept with
``simulate(..., parameters=...)``. At strength 0 every factor is exactly 1, so
the baseline is reproduced bit for bit (except :func:`immunoediting`, which adds
a state; see there).

* ``lymphopenia``: ``lymphopenia_loss`` ``f``; ``effector_supply`` terms times ``1 - f``.
* ``pdl1_checkpoint``: ``pdl1_engagement`` ``q``; ``kill`` and ``recruitment``
  terms times ``1/(1 + q*(1 - pd1_occupancy))``.
* ``antigen_loss``: ``antigen_loss`` ``f``; ``kill`` and ``recruitment`` terms times ``1 - f``.
* ``immunoediting``: ``variant_antigen_loss`` ``lambda``; ``kill`` and
  ``recruitment`` terms times ``1 - lambda*nu(t)``, the variant fraction
  ``nu`` growing by immune selection.

PD-L1 and antigen loss act on the same processes, and in a model without
a checkpoint drug they can be indistinguishable. They differ in what a drug
can undo: the PD-L1 brake goes through the PD-1 receptor, and blocking PD-1
(``pd1_occupancy`` -> 1) releases it; a tumour that no longer presents the
antigen is invisible whatever the receptor occupancy (Zaretsky et al. 2016;
Sharma et al. 2017).

The registry :data:`MECHANISMS` (and :func:`get_mechanism`) describes each
mechanism in plain English for reports, demos and the CLI.
:func:`escape_threshold` finds, by bisection, the weakest strength at which
a tumour that is otherwise controlled escapes.

References
----------
.. [1] Dunn GP, Old LJ, Schreiber RD (2004). The three Es of cancer
   immunoediting. Annu Rev Immunol 22:329-360.
   doi:10.1146/annurev.immunol.22.012703.104803
.. [2] Menetrier-Caux C, Ray-Coquard I, Blay J-Y, Caux C (2019). Lymphopenia
   in cancer patients and its effects on response to immunotherapy: an
   opportunity for combination with cytokines? J Immunother Cancer 7:85.
   doi:10.1186/s40425-019-0549-5
.. [3] Lai X, Friedman A (2017). Combination therapy of cancer with cancer
   vaccine and immune checkpoint inhibitors: a mathematical model. PLoS ONE
   12(5):e0178479. doi:10.1371/journal.pone.0178479
.. [4] Nikolopoulou E, Johnson LR, Harris D, Nagy JD, Stites EC, Kuang Y
   (2018). Tumour-immune dynamics with an immune checkpoint inhibitor.
   Letters in Biomathematics 5(sup1):S137-S159.
.. [5] Pardoll DM (2012). The blockade of immune checkpoints in cancer
   immunotherapy. Nat Rev Cancer 12:252-264. doi:10.1038/nrc3239
.. [6] Zaretsky JM et al. (2016). Mutations associated with acquired
   resistance to PD-1 blockade in melanoma. N Engl J Med 375:819-829.
   doi:10.1056/NEJMoa1604958
.. [7] Sharma P, Hu-Lieskovan S, Wargo JA, Ribas A (2017). Primary, adaptive,
   and acquired resistance to cancer immunotherapy. Cell 168:707-723.
   doi:10.1016/j.cell.2017.01.017
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .._errors import ModelSpecError, ParameterValueError, UnknownNameError
from ..model.components import Parameter, Source, State, Term
from ..model.expr import Expr, Num, Sym, maximum
from ..model.model import Model
from . import roles

__all__ = [
    "EscapeMechanism",
    "MECHANISMS",
    "PD1_OCCUPANCY",
    "ESCAPE_CELLS",
    "VARIANT_STATE",
    "antigen_loss",
    "dose_response",
    "escape_threshold",
    "final_tumour_size",
    "get_mechanism",
    "immunoediting",
    "link_pd1_occupancy",
    "list_mechanisms",
    "lymphopenia",
    "pdl1_checkpoint",
]

#: Name of the PD-1 receptor-occupancy symbol through which checkpoint
#: inhibitors relieve the PD-L1 brake (fraction of PD-1 bound by a blocking
#: antibody, 0 = no drug).
PD1_OCCUPANCY = "pd1_occupancy"

#: Default tumour size (cells) above which a run counts as escaped in
#: :func:`escape_threshold`: 1e8 cells (about 0.1 cm^3, a 5.8 mm sphere) lies
#: between Kuznetsov's dormant (8.2e6) and escape-saddle (2.7e8) sizes.
ESCAPE_CELLS = 1.0e8

# ---------------------------------------------------------------------------
# sources
# ---------------------------------------------------------------------------
_DUNN = Source(
    citation="Dunn GP, Old LJ, Schreiber RD (2004). The three Es of cancer immunoediting. "
    "Annu Rev Immunol 22:329-360",
    location="sections on elimination, equilibrium and escape; antigen-loss variants",
    doi="10.1146/annurev.immunol.22.012703.104803",
)
_MENETRIER = Source(
    citation="Menetrier-Caux C, Ray-Coquard I, Blay J-Y, Caux C (2019). Lymphopenia in cancer patients "
    "and its effects on response to immunotherapy. J Immunother Cancer 7:85",
    location="review of the incidence and prognostic weight of low lymphocyte counts",
    doi="10.1186/s40425-019-0549-5",
)
_LAI = Source(
    citation="Lai X, Friedman A (2017). Combination therapy of cancer with cancer vaccine and immune "
    "checkpoint inhibitors: a mathematical model. PLoS ONE 12(5):e0178479",
    location="model equations: T-cell activation/proliferation multiplied by 1/(1 + Q/K_TQ), "
    "Q the PD-1-PD-L1 complex; anti-PD-1 lowers free PD-1 and hence Q",
    doi="10.1371/journal.pone.0178479",
)
_NIKOLOPOULOU = Source(
    citation="Nikolopoulou E, Johnson LR, Harris D, Nagy JD, Stites EC, Kuang Y (2018). Tumour-immune "
    "dynamics with an immune checkpoint inhibitor. Letters in Biomathematics 5(sup1):S137-S159",
    location="ODE tumour-T-cell model in which the PD-1-PD-L1 complex damps T-cell activity and "
    "anti-PD-1 relieves it",
)
_PARDOLL = Source(
    citation="Pardoll DM (2012). The blockade of immune checkpoints in cancer immunotherapy. "
    "Nat Rev Cancer 12:252-264",
    location="PD-1 limits effector T-cell activity in peripheral tissue and in tumours",
    doi="10.1038/nrc3239",
)
_ZARETSKY = Source(
    citation="Zaretsky JM et al. (2016). Mutations associated with acquired resistance to PD-1 "
    "blockade in melanoma. N Engl J Med 375:819-829",
    location="B2M loss (no MHC class I antigen presentation) in relapses under anti-PD-1",
    doi="10.1056/NEJMoa1604958",
)
_SHARMA = Source(
    citation="Sharma P, Hu-Lieskovan S, Wargo JA, Ribas A (2017). Primary, adaptive, and acquired "
    "resistance to cancer immunotherapy. Cell 168:707-723",
    location="loss of antigen presentation as a mechanism of resistance to checkpoint blockade",
    doi="10.1016/j.cell.2017.01.017",
)

_ASSUMED = (
    "Scenario knob, not a measured value (assumption): chosen by the user; the default 0 means "
    "the mechanism is switched off."
)


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------
def _check_strength(mechanism: str, strength: Any, low: float, high: float, meaning: str) -> float:
    """``strength`` as a float in ``[low, high]``, or a ParameterValueError naming it."""
    rng = f"[{low:g}, {'inf' if math.isinf(high) else f'{high:g}'}{')' if math.isinf(high) else ']'}"
    if isinstance(strength, bool):
        raise ParameterValueError(
            f"{mechanism}: `strength` must be a number in {rng} ({meaning}); got the bool {strength!r}"
        )
    try:
        v = float(strength)
    except (TypeError, ValueError):
        raise ParameterValueError(
            f"{mechanism}: `strength` must be a number in {rng} ({meaning}); got {strength!r}"
        ) from None
    if not math.isfinite(v) or not (low <= v <= high):
        raise ParameterValueError(
            f"{mechanism}: `strength` must be a number in {rng} ({meaning}); got {strength!r}"
        )
    return v


def _require_role(mechanism: str, model: Model, role: str) -> None:
    if not model.terms_with_role(role):
        present = sorted({r for t in model.terms for r in t.roles})
        raise ModelSpecError(
            f"{mechanism} needs a model with at least one term tagged {role!r}, but model "
            f"{model.id!r} has none (roles present: {', '.join(present) or 'none'}). "
            f"Tag the relevant terms with oncoimmune.biology.roles.{role.upper()}."
        )


def _require_fresh(mechanism: str, model: Model, name: str) -> None:
    taken = set(model.parameter_names) | set(model.state_names) | set(model.observable_names)
    if name in taken:
        raise ModelSpecError(
            f"{mechanism} is already applied to model {model.id!r} (it defines {name!r}); "
            f"change its strength with model.with_parameters({name}=...) instead of applying it twice"
        )


def _defines(model: Model, name: str) -> bool:
    return name in set(model.parameter_names) | set(model.state_names) | set(model.observable_names)


# ---------------------------------------------------------------------------
# (a) too few white cells
# ---------------------------------------------------------------------------
def lymphopenia(model: Model, strength: float, *, rescale_initial: bool = True) -> Model:
    r"""Too few white blood cells: cut the normal supply of effector cells.

    Every term with role ``effector_supply`` (tumour-independent influx of
    effector cells from thymus, lymph nodes and blood) is multiplied by
    ``1 - lymphopenia_loss``:

    .. math:: s \;\to\; (1 - f)\, s, \qquad f = \text{lymphopenia\_loss} \in [0, 1].

    Parameters
    ----------
    model : Model
        Any model with at least one ``effector_supply`` term. Not modified.
    strength : float
        ``f``, the fraction of the normal effector supply lost, in ``[0, 1]``
        (0: healthy, 1: no supply at all).
    rescale_initial : bool, default True
        Also scale the initial value of every state the supply terms feed
        (e.g. ``E``) by ``1 - f``: a lymphopenic host meets the tumour with a
        proportionally smaller resident effector pool. For Kuznetsov 1994
        this is exactly the new tumour-free equilibrium ``(1 - f) s / d``; for
        models whose effector equation is not linear in the supply it is an
        approximation. The rescaled initial value is fixed when the function
        is called: changing ``lymphopenia_loss`` afterwards with
        ``with_parameters`` does not rescale it again.

    Returns
    -------
    Model
        A new model with parameter ``lymphopenia_loss``.

    Raises
    ------
    ParameterValueError
        If ``strength`` is not a number in ``[0, 1]``.
    ModelSpecError
        If the model has no ``effector_supply`` term, or already carries the mechanism.

    Notes
    -----
    Lymphopenia is frequent in patients with cancer and is prognostic
    (Menetrier-Caux et al. 2019); modelling it as a proportional loss of
    effector supply is an assumption of this package.

    References
    ----------
    .. [1] Menetrier-Caux C et al. (2019). J Immunother Cancer 7:85.
       doi:10.1186/s40425-019-0549-5
    """
    name = "lymphopenia"
    f = _check_strength(name, strength, 0.0, 1.0, "fraction of the normal effector supply lost")
    _require_role(name, model, roles.EFFECTOR_SUPPLY)
    _require_fresh(name, model, "lymphopenia_loss")
    par = Parameter(
        "lymphopenia_loss",
        f,
        "1",
        "fraction of the normal (tumour-independent) effector-cell supply lost to lymphopenia",
        Source(
            citation=_MENETRIER.citation,
            location=_MENETRIER.location,
            doi=_MENETRIER.doi,
            note=_ASSUMED + " Proportional loss of supply is an assumption.",
        ),
        bounds=(0.0, 1.0),
    )
    out = model.add(
        parameters=(par,),
        references=(_MENETRIER,),
        notes=(
            "Escape mechanism 'lymphopenia': effector_supply terms multiplied by (1 - lymphopenia_loss).",
        ),
    ).scale_terms(roles.EFFECTOR_SUPPLY, 1.0 - Sym("lymphopenia_loss"))
    if rescale_initial:
        out = out.with_initial(_lymphopenia_initial(model, f))
    return out


def _lymphopenia_initial(model: Model, strength: float) -> dict[str, float]:
    """Initial values :func:`lymphopenia` gives the states its supply terms feed (their value times ``1 - f``)."""
    fed = {s for t in model.terms_with_role(roles.EFFECTOR_SUPPLY) for s, c in t.effects.items() if c > 0}
    return {s: model.state(s).initial * (1.0 - float(strength)) for s in sorted(fed)}


# ---------------------------------------------------------------------------
# (b) stop signals: PD-L1 on PD-1
# ---------------------------------------------------------------------------
def pdl1_checkpoint(model: Model, strength: float) -> Model:
    r"""Stop signals: tumour PD-L1 engages PD-1 and brakes effector killing and expansion.

    Every ``kill`` term and every ``recruitment`` term (if any) is multiplied by

    .. math::

        \phi = \frac{1}{1 + q\,(1 - \theta)}, \qquad
        q = \text{pdl1\_engagement} \ge 0,\quad \theta = \text{pd1\_occupancy} \in [0, 1].

    ``q`` is the PD-1-PD-L1 complex relative to its half-inhibition constant
    (``Q/K_TQ`` in Lai & Friedman 2017) when no drug is present; ``q = 1``
    halves killing and expansion, ``q = 9`` cuts them by 90 %. ``theta`` is
    the fraction of PD-1 receptors occupied by a blocking antibody: free PD-1,
    and with it the complex, scales as ``1 - theta``, so full blockade
    (``theta = 1``) restores ``phi = 1``. ``pd1_occupancy`` is added as a
    parameter defaulting to 0 (no drug); a therapy sets it (a parameter event)
    or, if the model already defines ``pd1_occupancy`` (parameter, state or
    observable, e.g. computed from a drug concentration), that definition is
    reused.

    Parameters
    ----------
    model : Model
        Any model with at least one ``kill`` term. Not modified.
    strength : float
        ``q`` in ``[0, inf)``.

    Returns
    -------
    Model
        A new model with parameters ``pdl1_engagement`` and (unless present) ``pd1_occupancy``.

    Raises
    ------
    ParameterValueError
        If ``strength`` is not a finite number >= 0.
    ModelSpecError
        If the model has no ``kill`` term, or already carries the mechanism.

    Notes
    -----
    Sourced: the saturating inhibition ``1/(1 + Q/K)`` by the PD-1-PD-L1
    complex, and blockade acting by lowering free PD-1 (Lai & Friedman 2017;
    used in an ODE tumour-T-cell model by Nikolopoulou et al. 2018).
    Assumed: (i) the complex per effector is constant (PD-L1 per tumour cell
    fixed, no interferon-induced up-regulation), so ``phi`` is constant in
    time; (ii) the same factor brakes killing and tumour-driven expansion
    (Lai & Friedman apply it to activation/proliferation; PD-1 also damps
    effector function in the tumour, Pardoll 2012); (iii) occupancy enters
    linearly.

    References
    ----------
    .. [1] Lai X, Friedman A (2017). PLoS ONE 12(5):e0178479. doi:10.1371/journal.pone.0178479
    .. [2] Nikolopoulou E et al. (2018). Letters in Biomathematics 5(sup1):S137-S159.
    .. [3] Pardoll DM (2012). Nat Rev Cancer 12:252-264. doi:10.1038/nrc3239
    """
    name = "pdl1_checkpoint"
    q = _check_strength(
        name, strength, 0.0, math.inf, "PD-1-PD-L1 engagement relative to its half-inhibition constant"
    )
    _require_role(name, model, roles.KILL)
    _require_fresh(name, model, "pdl1_engagement")
    params = [
        Parameter(
            "pdl1_engagement",
            q,
            "1",
            "PD-1-PD-L1 complex on effector cells relative to its half-inhibition constant, without blockade",
            Source(
                citation=_LAI.citation,
                location=_LAI.location,
                doi=_LAI.doi,
                note=_ASSUMED + " Functional form 1/(1 + Q/K_TQ) from Lai & Friedman 2017; "
                "constant engagement and applying it to killing as well as expansion are assumptions.",
            ),
        )
    ]
    if not _defines(model, PD1_OCCUPANCY):
        params.append(
            Parameter(
                PD1_OCCUPANCY,
                0.0,
                "1",
                "fraction of PD-1 receptors occupied by a blocking antibody (0 = no checkpoint inhibitor)",
                Source(
                    citation=_LAI.citation,
                    location="anti-PD-1 binds PD-1 and lowers the PD-1-PD-L1 complex",
                    doi=_LAI.doi,
                    note="Default 0 = untreated. Expressing blockade as a single occupancy fraction "
                    "that scales the complex by (1 - occupancy) is an assumption.",
                ),
                bounds=(0.0, 1.0),
            )
        )
    brake: Expr = 1.0 / (1.0 + Sym("pdl1_engagement") * (1.0 - Sym(PD1_OCCUPANCY)))
    out = model.add(
        parameters=params,
        references=(_LAI, _NIKOLOPOULOU, _PARDOLL),
        notes=(
            "Escape mechanism 'pdl1_checkpoint': kill and recruitment terms multiplied by "
            "1/(1 + pdl1_engagement*(1 - pd1_occupancy)).",
        ),
    )
    out = out.scale_terms(roles.KILL, brake)
    return out.scale_terms(roles.RECRUITMENT, brake, required=False)


def link_pd1_occupancy(model: Model, occupancy: str | Expr) -> Model:
    """Drive the PD-L1 brake's ``pd1_occupancy`` from a drug model's occupancy.

    Replaces the parameter ``pd1_occupancy`` (added by :func:`pdl1_checkpoint`)
    by an observable of the same name equal to ``occupancy``, e.g. the
    receptor-occupancy observable ``C/(C + KD)`` of an anti-PD-1
    pharmacokinetic model composed into ``model``. Pure: returns a new model.

    Parameters
    ----------
    model : Model
        A model carrying :func:`pdl1_checkpoint` and the drug's occupancy symbol.
    occupancy : str or Expr
        Name of a parameter, state or observable of ``model``, or an expression
        of them, with values in [0, 1].

    Returns
    -------
    Model

    Raises
    ------
    ModelSpecError
        If ``pd1_occupancy`` is not a parameter of ``model`` (apply
        :func:`pdl1_checkpoint` first, or it is already linked) or
        ``occupancy`` names an unknown symbol.
    """
    if PD1_OCCUPANCY not in model.parameter_names:
        raise ModelSpecError(
            f"link_pd1_occupancy: model {model.id!r} has no parameter {PD1_OCCUPANCY!r} to link; apply "
            "pdl1_checkpoint(model, strength) first (if it is already an observable, it is linked)"
        )
    expr = Sym(occupancy) if isinstance(occupancy, str) else occupancy
    if isinstance(occupancy, str) and occupancy == PD1_OCCUPANCY:
        raise ModelSpecError("link_pd1_occupancy: `occupancy` must name the drug's occupancy, not itself")
    return model.bind_parameter(
        PD1_OCCUPANCY,
        expr,
        description="fraction of PD-1 receptors occupied by a blocking antibody (from the drug model)",
    )


# ---------------------------------------------------------------------------
# (c) hiding: antigen loss
# ---------------------------------------------------------------------------
def antigen_loss(model: Model, strength: float) -> Model:
    r"""Hiding: the tumour shows less antigen, so fewer contacts lead to recognition.

    Every ``kill`` term and every ``recruitment`` term (if any) -- the
    processes that need T cells to *recognise* the tumour -- is multiplied by
    ``1 - antigen_loss``:

    .. math:: \text{kill},\ \text{recruitment} \;\to\; (1 - f)\,(\cdot), \qquad f \in [0, 1].

    Terms with role ``nk_kill`` (NK cells, which do not need MHC-presented
    antigen) are left alone.

    Parameters
    ----------
    model : Model
        Any model with at least one ``kill`` term. Not modified.
    strength : float
        ``f``, the fraction of antigenicity lost, in ``[0, 1]`` (1: invisible to T cells).

    Returns
    -------
    Model
        A new model with parameter ``antigen_loss``.

    Raises
    ------
    ParameterValueError
        If ``strength`` is not a number in ``[0, 1]``.
    ModelSpecError
        If the model has no ``kill`` term, or already carries the mechanism.

    Notes
    -----
    Why this is not the PD-L1 brake: in an untreated model both reduce the
    same processes, but antigen loss (down-regulated antigens, lost MHC class
    I or beta-2-microglobulin) removes the *signal* T cells need, so releasing
    the brake with anti-PD-1 does nothing; ``pd1_occupancy`` does not appear
    here. Such tumours relapse under PD-1 blockade (Zaretsky et al. 2016;
    Sharma et al. 2017). A uniform loss applied to the whole tumour at once is
    an assumption; :func:`immunoediting` lets the loss arise by selection.
    The increase of NK killing of MHC-I-negative cells ("missing self") is
    not modelled.

    References
    ----------
    .. [1] Dunn GP, Old LJ, Schreiber RD (2004). Annu Rev Immunol 22:329-360.
    .. [2] Zaretsky JM et al. (2016). N Engl J Med 375:819-829.
    .. [3] Sharma P et al. (2017). Cell 168:707-723.
    """
    name = "antigen_loss"
    f = _check_strength(name, strength, 0.0, 1.0, "fraction of tumour antigenicity lost")
    _require_role(name, model, roles.KILL)
    _require_fresh(name, model, "antigen_loss")
    par = Parameter(
        "antigen_loss",
        f,
        "1",
        "fraction of tumour antigenicity lost (fewer effector-tumour contacts lead to recognition)",
        Source(
            citation=_DUNN.citation,
            location=_DUNN.location,
            doi=_DUNN.doi,
            note=_ASSUMED + " A uniform, proportional loss of recognition is an assumption.",
        ),
        bounds=(0.0, 1.0),
    )
    factor = 1.0 - Sym("antigen_loss")
    out = model.add(
        parameters=(par,),
        references=(_DUNN, _ZARETSKY, _SHARMA),
        notes=(
            "Escape mechanism 'antigen_loss': kill and recruitment terms multiplied by (1 - antigen_loss).",
        ),
    )
    out = out.scale_terms(roles.KILL, factor)
    return out.scale_terms(roles.RECRUITMENT, factor, required=False)


#: Name of the state added by :func:`immunoediting`.
VARIANT_STATE = "variant_fraction"


def immunoediting(model: Model, strength: float, *, variant_fraction0: float = 1.0e-3) -> Model:
    r"""Hiding by selection: antigen-loss variants are spared by the immune system and take over.

    The tumour holds a fraction ``nu`` of variant cells whose antigenicity is
    reduced by ``lambda`` (``variant_antigen_loss``). Both clones grow alike;
    effectors kill antigen-positive cells at the per-cell rate ``k = r/T``
    (``r``: the model's full ``kill`` rate on the tumour) and variants at
    ``(1 - lambda) k``. Then, exactly for two such clones,

    .. math::

        \text{kill},\ \text{recruitment} &\;\to\; (1 - \lambda\nu)\,(\cdot) \\
        \frac{d\nu}{dt} &= \lambda\,\nu\,(1 - \nu)\,\frac{r}{T}

    so the mean antigenicity ``1 - lambda*nu`` falls as long as the immune
    system kills: the equilibrium -> escape route of cancer immunoediting
    (Dunn et al. 2004). Where :func:`antigen_loss` removes antigen at once,
    here it is lost over time, faster the harder the immune system works.

    Parameters
    ----------
    model : Model
        A model with ``tumour_state`` set and at least one ``kill`` term
        removing cells from it. Not modified.
    strength : float
        ``lambda`` in ``[0, 1]``: antigenicity lost by the variant clone.
    variant_fraction0 : float, default 1e-3
        Initial fraction of variant cells in the tumour, in ``[0, 1]``
        (assumption: no measured value for any library model).

    Returns
    -------
    Model
        A new model with state ``variant_fraction`` and parameter
        ``variant_antigen_loss``. The selection term carries role ``kill``, so
        any later factor on killing (a PD-L1 brake, a drug) scales the
        selection pressure in step with the killing itself.

    Raises
    ------
    ParameterValueError
        If ``strength`` or ``variant_fraction0`` is not a number in ``[0, 1]``.
    ModelSpecError
        If the model has no ``tumour_state`` or no ``kill`` term acting on it,
        or already carries the mechanism.

    Notes
    -----
    At strength 0 the tumour and effector trajectories equal the baseline's
    to solver tolerance (``nu`` stays constant and every factor is exactly 1),
    but not bit for bit: the extra state changes the solver's error norm.
    Assumed: equal growth of the two clones (no fitness cost of antigen
    loss), no mutation during the simulation, recruitment driven by mean
    antigenicity.

    References
    ----------
    .. [1] Dunn GP, Old LJ, Schreiber RD (2004). Annu Rev Immunol 22:329-360.
       doi:10.1146/annurev.immunol.22.012703.104803
    """
    name = "immunoediting"
    lam = _check_strength(name, strength, 0.0, 1.0, "antigenicity lost by the variant clone")
    try:
        nu0 = math.nan if isinstance(variant_fraction0, bool) else float(variant_fraction0)
    except (TypeError, ValueError):
        nu0 = math.nan
    if not (0.0 <= nu0 <= 1.0):
        raise ParameterValueError(
            f"{name}: `variant_fraction0` must be a number in [0, 1] (initial fraction of "
            f"antigen-loss variants); got {variant_fraction0!r}"
        )
    tumour = model.tumour_state
    if tumour is None:
        raise ModelSpecError(
            f"{name} needs a model whose tumour_state is set (the state holding tumour cells); "
            f"model {model.id!r} has tumour_state=None"
        )
    _require_role(name, model, roles.KILL)
    _require_fresh(name, model, VARIANT_STATE)
    _require_fresh(name, model, "variant_antigen_loss")
    kills = [t for t in model.terms_with_role(roles.KILL) if t.effects.get(tumour, 0.0) < 0]
    if not kills:
        raise ModelSpecError(
            f"{name}: no term with role 'kill' removes cells from the tumour state {tumour!r} "
            f"in model {model.id!r}"
        )
    r: Expr = Num(0.0)
    for t in kills:
        r = r + (-t.effects[tumour]) * t.rate
    lam_s, nu = Sym("variant_antigen_loss"), Sym(VARIANT_STATE)
    # r/T with a floor far below one cell, so T = 0 gives 0 (r vanishes with T), never 0/0.
    per_cell = r / maximum(Sym(tumour), 1.0e-12)
    selection = Term(
        "immunoediting_selection",
        lam_s * nu * (1.0 - nu) * per_cell,
        {VARIANT_STATE: 1.0},
        "effectors kill antigen-positive cells faster than antigen-loss variants, enriching the variants",
        {roles.KILL},
    )
    par = Parameter(
        "variant_antigen_loss",
        lam,
        "1",
        "fraction of antigenicity lost by the antigen-loss variant clone",
        Source(
            citation=_DUNN.citation,
            location=_DUNN.location,
            doi=_DUNN.doi,
            note=_ASSUMED + " Two-clone selection dynamics derived here (no fitness cost) are an assumption.",
        ),
        bounds=(0.0, 1.0),
    )
    state = State(
        VARIANT_STATE,
        nu0,
        "1",
        "fraction of tumour cells that are antigen-loss variants (assumed initial value)",
    )
    factor = 1.0 - lam_s * nu
    out = model.add(
        states=(state,),
        parameters=(par,),
        references=(_DUNN, _ZARETSKY),
        notes=(
            "Escape mechanism 'immunoediting': kill and recruitment scaled by (1 - variant_antigen_loss"
            "*variant_fraction); variant_fraction grows by selection.",
        ),
    )
    out = out.scale_terms(roles.KILL, factor)
    out = out.scale_terms(roles.RECRUITMENT, factor, required=False)
    return out.add(terms=(selection,))


# ---------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EscapeMechanism:
    """Plain-English description of one escape mechanism, and the function applying it.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"pdl1_checkpoint"``.
    title : str
        Short human-readable title.
    explanation : str
        What it means biologically, in plain English.
    strength_parameter : str
        Parameter holding the strength in the transformed model.
    strength_range : (float, float)
        Valid strengths (closed; ``inf`` allowed as the upper end).
    sweep_range : (float, float)
        Finite range used by demos and threshold searches.
    strength_meaning : str
        What a strength value means, for axis labels.
    reversible_by_checkpoint_blockade : bool
        Whether PD-1 blockade (``pd1_occupancy`` -> 1) undoes it.
    apply : callable
        ``apply(model, strength) -> Model``.
    """

    name: str
    title: str
    explanation: str
    strength_parameter: str
    strength_range: tuple[float, float]
    sweep_range: tuple[float, float]
    strength_meaning: str
    reversible_by_checkpoint_blockade: bool
    apply: Callable[[Model, float], Model]
    initial_effect: Callable[[Model, float], Mapping[str, float]] | None = None

    def values(self, model: Model, strength: float) -> tuple[dict[str, float], dict[str, float]]:
        """The values :meth:`apply` gives ``model`` at ``strength``: ``({strength_parameter: strength}, initial values)``.

        What a patient's model holds that depends on the strength; a trial that
        applies the mechanism to many patients of one model structure applies it
        once and sets these values on copies (checked against :meth:`apply`,
        :class:`oncoimmune.trials.sample.LinkTemplate`).
        """
        init = dict(self.initial_effect(model, strength)) if self.initial_effect is not None else {}
        return {self.strength_parameter: float(strength)}, init

    def __post_init__(self) -> None:
        lo, hi = self.strength_range
        slo, shi = self.sweep_range
        if not (lo <= slo < shi <= hi and math.isfinite(shi)):
            raise ModelSpecError(
                f"EscapeMechanism {self.name!r}: sweep_range {self.sweep_range} must be finite and "
                f"lie inside strength_range {self.strength_range}"
            )

    def __call__(self, model: Model, strength: float) -> Model:
        return self.apply(model, strength)

    def describe(self) -> str:
        """One paragraph in plain English."""
        hi = "inf" if math.isinf(self.strength_range[1]) else f"{self.strength_range[1]:g}"
        rev = "can" if self.reversible_by_checkpoint_blockade else "cannot"
        return (
            f"{self.title} [{self.name}]: {self.explanation} Strength `{self.strength_parameter}` in "
            f"[{self.strength_range[0]:g}, {hi}] ({self.strength_meaning}). "
            f"Checkpoint blockade {rev} reverse it."
        )


MECHANISMS: Mapping[str, EscapeMechanism] = MappingProxyType(
    {
        "lymphopenia": EscapeMechanism(
            name="lymphopenia",
            title="Too few white blood cells (lymphopenia)",
            explanation="The body sends fewer effector cells to the tumour, so fewer are there to kill it.",
            strength_parameter="lymphopenia_loss",
            strength_range=(0.0, 1.0),
            sweep_range=(0.0, 1.0),
            strength_meaning="fraction of the normal effector supply lost",
            reversible_by_checkpoint_blockade=False,
            apply=lymphopenia,
            initial_effect=_lymphopenia_initial,
        ),
        "pdl1_checkpoint": EscapeMechanism(
            name="pdl1_checkpoint",
            title="Stop signals (PD-L1 on PD-1)",
            explanation=(
                "Tumour cells carry PD-L1, which binds PD-1 on T cells and tells them to stop "
                "killing and multiplying."
            ),
            strength_parameter="pdl1_engagement",
            strength_range=(0.0, math.inf),
            sweep_range=(0.0, 4.0),
            strength_meaning="PD-1-PD-L1 engagement / half-inhibition constant; 1 halves killing",
            reversible_by_checkpoint_blockade=True,
            apply=pdl1_checkpoint,
        ),
        "antigen_loss": EscapeMechanism(
            name="antigen_loss",
            title="Hiding (antigen loss)",
            explanation=(
                "Tumour cells stop showing the markers T cells recognise, so T cells pass them by "
                "and are not called in."
            ),
            strength_parameter="antigen_loss",
            strength_range=(0.0, 1.0),
            sweep_range=(0.0, 1.0),
            strength_meaning="fraction of tumour antigenicity lost",
            reversible_by_checkpoint_blockade=False,
            apply=antigen_loss,
        ),
        "immunoediting": EscapeMechanism(
            name="immunoediting",
            title="Hiding by selection (immunoediting)",
            explanation=(
                "A few tumour cells show less antigen; the immune system kills the others, so these "
                "hidden cells gradually take over."
            ),
            strength_parameter="variant_antigen_loss",
            strength_range=(0.0, 1.0),
            sweep_range=(0.0, 1.0),
            strength_meaning="antigenicity lost by the variant clone, 0.1 % of the tumour at the start",
            reversible_by_checkpoint_blockade=False,
            apply=immunoediting,
        ),
    }
)


def get_mechanism(name: str | EscapeMechanism) -> EscapeMechanism:
    """The mechanism ``name`` (an :class:`EscapeMechanism` passes through).

    Raises
    ------
    UnknownNameError
        For an unknown name; the message lists the valid ones.
    """
    if isinstance(name, EscapeMechanism):
        return name
    try:
        return MECHANISMS[name]
    except (KeyError, TypeError):
        raise UnknownNameError("escape mechanism", str(name), sorted(MECHANISMS)) from None


def list_mechanisms() -> list[EscapeMechanism]:
    """Every registered mechanism, in registry order."""
    return list(MECHANISMS.values())


# ---------------------------------------------------------------------------
# measuring escape
# ---------------------------------------------------------------------------
def final_tumour_size(model: Model, days: float = 1500.0, **simulate_kw: Any) -> float:
    """Tumour size (in the tumour state's units) after ``days`` days.

    Raises
    ------
    ModelSpecError
        If the model has no ``tumour_state``.
    EngineError
        If the run fails.
    """
    from ..simulate import _check_ok, simulate

    if model.tumour_state is None:
        raise ModelSpecError(f"model {model.id!r} has no tumour_state; set it to measure tumour size")
    ds = simulate(model, days, saveat=[0.0, float(days)], **simulate_kw)
    _check_ok(ds)
    return float(ds[model.tumour_state].values[-1])


def escape_threshold(
    mechanism: str | EscapeMechanism,
    model: Model,
    *,
    days: float = 1500.0,
    escape_cells: float = ESCAPE_CELLS,
    bracket: Sequence[float] | None = None,
    xtol: float = 1e-4,
    max_iter: int = 60,
    **simulate_kw: Any,
) -> float:
    """Weakest strength at which the tumour exceeds ``escape_cells`` after ``days`` days (bisection).

    Parameters
    ----------
    mechanism : str or EscapeMechanism
    model : Model
        The untreated model (its own initial challenge is used).
    days : float
        Horizon. Near the threshold escape is slow (the tumour lingers near
        the vanishing dormant state), so the threshold depends weakly on it.
    escape_cells : float
        Tumour size counted as escaped.
    bracket : (low, high), optional
        Strengths with ``low`` controlled and ``high`` escaped; default the
        mechanism's ``sweep_range``.
    xtol : float
        Absolute tolerance on the strength.
    max_iter : int
        Maximum number of bisection steps.

    Returns
    -------
    float
        Upper end of the final bracket (an escaping strength), within ``xtol``
        of the threshold.

    Raises
    ------
    ParameterValueError
        If the bracket does not contain a switch from controlled to escaped.
    """
    mech = get_mechanism(mechanism)
    lo, hi = (float(b) for b in (bracket if bracket is not None else mech.sweep_range))

    def escaped(x: float) -> bool:
        return final_tumour_size(mech(model, x), days, **simulate_kw) > escape_cells

    if escaped(lo) or not escaped(hi):
        raise ParameterValueError(
            f"escape_threshold({mech.name!r}): `bracket` must hold a controlled strength and an escaping "
            f"one (tumour > {escape_cells:g} after {days:g} d); got [{lo:g}, {hi:g}] with "
            f"escaped(low)={escaped(lo)}, escaped(high)={escaped(hi)}. Try a wider bracket."
        )
    for _ in range(int(max_iter)):
        if hi - lo <= xtol:
            break
        mid = 0.5 * (lo + hi)
        if escaped(mid):
            hi = mid
        else:
            lo = mid
    return hi


def dose_response(
    mechanism: str | EscapeMechanism,
    model: Model,
    strengths: Sequence[float],
    *,
    days: float = 1500.0,
    **simulate_kw: Any,
) -> np.ndarray:
    """Final tumour size after ``days`` days for each strength."""
    mech = get_mechanism(mechanism)
    return np.array([final_tumour_size(mech(model, s), days, **simulate_kw) for s in strengths])
