r"""Checkpoint inhibitors: PD-1, PD-L1 and CTLA-4 blockade.

**PD-1 and PD-L1 blockade** act through the PD-L1 brake of
:func:`oncoimmune.biology.escape.pdl1_checkpoint`, which multiplies every
``kill`` and ``recruitment`` term by

.. math::

    \phi = \frac{1}{1 + q\,(1 - \theta)}, \qquad
    \theta = 1 - (1 - \theta_{PD1})(1 - \theta_{PDL1}).

The PD-1-PD-L1 complex is proportional to free PD-1 times free PD-L1 (law of
mass action, as in the complex ``Q = sigma P L`` of Lai & Friedman 2017), so an
anti-PD-1 that occupies a fraction ``theta_PD1`` of PD-1 and an anti-PD-L1 that
occupies ``theta_PDL1`` of PD-L1 leave the fraction
``(1 - theta_PD1)(1 - theta_PDL1)`` of the complex. The two occupancies are the
shared knobs ``checkpoint_pd1_occupancy`` and ``checkpoint_pdl1_occupancy``;
each drug binds its own knob to its exposure, so combining the two classes
does not depend on the order in which they are applied.

The occupancy comes from the exposure: an occupancy observable (units ``"1"``,
e.g. ``pembrolizumab_RO``) is used as it is (clipped to [0, 1]); a serum
concentration (``ug/mL``, e.g. ``pembrolizumab_conc``) becomes
``C/(C + IC50)`` with the IC50 of target engagement
(pembrolizumab: 0.535 ug/mL, Elassaiss-Schaap et al. 2017 Table 2;
atezolizumab: 0.316 ug/mL, from the 6 ug/mL trough that saturates 95 % of
tumour PD-L1, Deng et al. 2016).

Models that carry their own PD-1 axis are mapped onto the same knobs instead
of the brake. For Nikolopoulou et al. (2018) the free PD-1 and the complex
become

.. math::

    P = \max(\rho_P - \gamma A, 0)\,(1 - \theta_{PD1})\,T, \qquad
    Q = \sigma \rho_L P (T + \varepsilon_C C)\,(1 - \theta_{PDL1}),

which is the published model when both knobs are 0 and, with the model's own
antibody ``A`` switched off, is the published model again with
``theta_PD1 = gamma A / rho_P``: the paper's anti-PD-1 *is* an occupancy of
PD-1. ``tests/therapy/mechanisms/test_mech_checkpoint.py`` uses this to
reproduce the model's clearance threshold through the mechanism (2.763e-8
g/cm^3/day, as the library model and libroadrunner on the SBML give; the
catalogue's 2.86e-8 is not reproduced, see the strict xfail there).

**CTLA-4 blockade** acts in the priming phase: CTLA-4 on T cells out-competes
CD28 for B7 (CD80/CD86) on antigen-presenting cells. Following Lai et al.
(2018), where T-cell activation is inhibited by the CTLA-4-B7 complex as
``1/(1 + Q_CTLA4/K)``, every ``effector_supply`` and ``recruitment`` term is
multiplied by

.. math::

    \psi = \frac{1 + q_c}{1 + q_c (1 - \theta_{CTLA4})},

normalised so that the untreated model is the published one (``psi = 1`` at
``theta = 0``) and full blockade raises priming ``1 + q_c``-fold. With
``treg_state`` given, anti-CTLA-4 also depletes regulatory T cells by
Fc-mediated killing (Simpson et al. 2013; Arce Vargas et al. 2018), at rate
``k_treg * theta * Treg``.

References
----------
.. [1] Lai X, Friedman A (2017). Combination therapy of cancer with cancer
   vaccine and immune checkpoint inhibitors: a mathematical model. PLoS ONE
   12:e0178479. doi:10.1371/journal.pone.0178479
.. [2] Nikolopoulou E et al. (2018). Tumour-immune dynamics with an immune
   checkpoint inhibitor. Lett Biomath 5:S137-S159.
   doi:10.1080/23737867.2018.1440978
.. [3] Elassaiss-Schaap J et al. (2017). Using model-based "learn and
   confirm" to reveal the PK-PD relationship of pembrolizumab in the
   KEYNOTE-001 trial. CPT Pharmacometrics Syst Pharmacol 6:21-28.
   doi:10.1002/psp4.12132
.. [4] Deng R, Bumbaca D, Pastuskovas CV, et al. (2016). Preclinical
   pharmacokinetics, pharmacodynamics, tissue distribution, and tumor
   penetration of anti-PD-L1 monoclonal antibody, an immune checkpoint
   inhibitor. mAbs 8:593-603. doi:10.1080/19420862.2015.1136043
.. [5] Lai X, Stiff A, Duggan M, Wesolowski R, Carson WE, Friedman A (2018).
   Modeling combination therapy for breast cancer with BET and immune
   checkpoint inhibitors. Proc Natl Acad Sci USA 115:5534-5539.
   doi:10.1073/pnas.1721559115
.. [6] Simpson TR, Li F, Montalvo-Ortiz W, et al. (2013). Fc-dependent
   depletion of tumor-infiltrating regulatory T cells co-defines the efficacy
   of anti-CTLA-4 therapy against melanoma. J Exp Med 210:1695-1710.
   doi:10.1084/jem.20130579
"""

from __future__ import annotations

from typing import Any

from ..._errors import ModelSpecError
from ...biology import roles
from ...biology.escape import PD1_OCCUPANCY, pdl1_checkpoint
from ...model.components import Parameter, Source, Term
from ...model.expr import Expr, Sym, maximum, minimum, positive
from ...model.model import Model
from ._base import (
    ASSUMPTION,
    Mechanism,
    check_prefix,
    exposure_expr,
    exposure_units,
    known_names,
    prefixed_parameters,
    replace_observable,
    require_any_role,
    require_fresh,
)

__all__ = [
    "CTLA4_BLOCKADE",
    "CTLA4_KNOB",
    "PD1_BLOCKADE",
    "PD1_KNOB",
    "PDL1_BLOCKADE",
    "PDL1_KNOB",
    "ctla4_blockade",
    "occupancy_from_exposure",
    "pd1_blockade",
    "pdl1_blockade",
]

#: Shared knob: fraction of PD-1 occupied by blocking antibodies (0 = no anti-PD-1).
PD1_KNOB = "checkpoint_pd1_occupancy"
#: Shared knob: fraction of PD-L1 occupied by blocking antibodies (0 = no anti-PD-L1).
PDL1_KNOB = "checkpoint_pdl1_occupancy"
#: Shared knob: fraction of CTLA-4 occupied by blocking antibodies.
CTLA4_KNOB = "checkpoint_ctla4_occupancy"

_LAI = Source(
    "Lai X, Friedman A (2017). Combination therapy of cancer with cancer vaccine and immune checkpoint "
    "inhibitors: a mathematical model. PLoS ONE 12:e0178479",
    "model equations: complex Q = sigma*P*L of free PD-1 and PD-L1; activation x 1/(1 + Q/K_TQ)",
    "10.1371/journal.pone.0178479",
)
_ELASSAISS = Source(
    "Elassaiss-Schaap J, Rossenu S, Lindauer A, et al. (2017). Using model-based 'learn and confirm' to "
    "reveal the pharmacokinetics-pharmacodynamics relationship of pembrolizumab in the KEYNOTE-001 trial. "
    "CPT Pharmacometrics Syst Pharmacol 6:21-28",
    "Table 2: IC50 = 0.535 ug/mL (ex vivo IL-2 stimulation ratio, PD-1 target engagement in blood); "
    "abstract: 95 % target engagement at steady state needs 2 mg/kg Q3W",
    "10.1002/psp4.12132",
    "checked against the nlmixr2lib transcription Elassaiss-Schaap_2017_pembrolizumab.R (IC50 0.535 ug/mL). "
    "Occupancy C/(C + IC50) uses this IC50 with Imax taken as 1 (Table 2: Imax 0.961) - an approximation.",
)
_DENG = Source(
    "Deng R, Bumbaca D, Pastuskovas CV, et al. (2016). Preclinical pharmacokinetics, pharmacodynamics, "
    "tissue distribution, and tumor penetration of anti-PD-L1 monoclonal antibody. mAbs 8:593-603",
    "target trough 6 ug/mL for >= 95 % tumour PD-L1 saturation (restated by Genentech authors, "
    "Clin Cancer Res 2020, doi:10.1158/1078-0432.CCR-20-0298: 'Ctrough > 6 ug/mL')",
    "10.1080/19420862.2015.1136043",
    "IC50 = 6/19 = 0.316 ug/mL derived here so that C/(C + IC50) = 0.95 at 6 ug/mL (derived, not reported)",
)
_LAI2018 = Source(
    "Lai X, Stiff A, Duggan M, Wesolowski R, Carson WE, Friedman A (2018). Modeling combination therapy "
    "for breast cancer with BET and immune checkpoint inhibitors. PNAS 115:5534-5539",
    "model: CTLA-4 on T cells binds B7 on dendritic cells and inhibits T-cell activation; anti-CTLA-4 "
    "blocks CTLA-4",
    "10.1073/pnas.1721559115",
)
_SIMPSON = Source(
    "Simpson TR et al. (2013). Fc-dependent depletion of tumor-infiltrating regulatory T cells co-defines "
    "the efficacy of anti-CTLA-4 therapy against melanoma. J Exp Med 210:1695-1710",
    "intratumoral Treg depletion by anti-CTLA-4 through Fc-gamma receptors",
    "10.1084/jem.20130579",
)
_NIKO = Source(
    "Nikolopoulou E et al. (2018). Tumour-immune dynamics with an immune checkpoint inhibitor. "
    "Lett Biomath 5:S137-S159",
    "unbound PD-1 P = (rho_P - gamma*A)*T: the antibody occupies the fraction gamma*A/rho_P of PD-1",
    "10.1080/23737867.2018.1440978",
)


def occupancy_from_exposure(
    mechanism: str, model: Model, exposure: Any, ic50_symbol: Expr, kind: str = "auto"
) -> Expr:
    """Receptor occupancy (an expression clipped to [0, 1]) from an occupancy or a concentration.

    ``kind="auto"`` reads the units of a named exposure: ``"1"`` is an
    occupancy, ``"ug/mL"`` a concentration (``C/(C + IC50)``).
    """
    e = exposure_expr(mechanism, model, exposure)
    if kind == "auto":
        u = exposure_units(model, exposure)
        if u == "1":
            kind = "occupancy"
        elif u is not None and u.replace(" ", "").lower() in ("ug/ml", "mg/l", "µg/ml"):
            kind = "concentration"
        else:
            raise ModelSpecError(
                f"{mechanism}: cannot tell whether exposure {exposure!r} (units {u!r}) is an occupancy or a "
                "concentration; pass exposure_kind='occupancy' (fraction 0-1) or 'concentration' (ug/mL)"
            )
    if kind == "occupancy":
        return minimum(maximum(e, 0.0), 1.0)
    if kind == "concentration":
        c = positive(e)
        return c / (c + ic50_symbol)
    raise ModelSpecError(f"{mechanism}: exposure_kind must be 'auto', 'occupancy' or 'concentration'; got {kind!r}")


# ---------------------------------------------------------------------------------------
# shared PD-1/PD-L1 axis
def _is_nikolopoulou(model: Model) -> bool:
    need_p = {"rho_P", "gamma", "sigma", "rho_L", "epsilon_C", "K_TQ"}
    return (
        model.id.startswith("nikolopoulou2018")
        and need_p <= set(model.parameter_names)
        and {"P", "Q"} <= set(model.observable_names)
    )


def _knob(name: str, what: str) -> Parameter:
    return Parameter(
        name,
        0.0,
        "1",
        f"fraction of {what} occupied by blocking antibodies (0 = untreated); bound to a drug exposure",
        Source(
            _LAI.citation,
            _LAI.location,
            _LAI.doi,
            "0 = untreated. Complex proportional to free PD-1 x free PD-L1 (mass action, as in Q = sigma*P*L).",
        ),
        bounds=(0.0, 1.0),
    )


def _ensure_pd_axis(mechanism: str, model: Model, engagement: float | None) -> Model:
    """Add the two shared knobs and wire them into the model's PD-1 axis (once)."""
    names = known_names(model)
    if PD1_KNOB in names and PDL1_KNOB in names:
        return model
    knobs = (_knob(PD1_KNOB, "PD-1"), _knob(PDL1_KNOB, "PD-L1"))
    th_p, th_l = Sym(PD1_KNOB), Sym(PDL1_KNOB)
    if _is_nikolopoulou(model):
        m = model.add(
            parameters=knobs,
            references=(_NIKO, _LAI),
            notes=(
                (
                    "Checkpoint axis: free PD-1 P x (1 - checkpoint_pd1_occupancy), complex Q x "
                    "(1 - checkpoint_pdl1_occupancy)."
                ),
            ),
        )
        P_new = positive(Sym("rho_P") - Sym("gamma") * Sym("A")) * (1.0 - th_p) * Sym("T")
        m = replace_observable(m, "P", P_new, "unbound PD-1 on T cells (own antibody A and external blockade)")
        Q_new = Sym("sigma") * Sym("rho_L") * Sym("P") * (Sym("T") + Sym("epsilon_C") * Sym("C")) * (1.0 - th_l)
        return replace_observable(m, "Q", Q_new, "PD-1/PD-L1 complex (external PD-L1 blockade included)")
    if PD1_OCCUPANCY not in names:
        if engagement is None:
            raise ModelSpecError(
                f"{mechanism}: model {model.id!r} has no PD-L1 brake; apply "
                "oncoimmune.biology.escape.pdl1_checkpoint(model, q) first, or pass engagement=q "
                "(PD-1-PD-L1 engagement relative to its half-inhibition constant, e.g. 1.0)"
            )
        model = pdl1_checkpoint(model, engagement)
    if PD1_OCCUPANCY not in model.parameter_names:
        raise ModelSpecError(
            f"{mechanism}: {PD1_OCCUPANCY!r} of model {model.id!r} is already bound to another expression; "
            "bind it through the checkpoint mechanisms only (they combine PD-1 and PD-L1 blockade)"
        )
    m = model.add(parameters=knobs, references=(_LAI,))
    return m.bind_parameter(
        PD1_OCCUPANCY,
        1.0 - (1.0 - th_p) * (1.0 - th_l),
        description="effective blockade of the PD-1-PD-L1 complex: 1 - (1 - PD-1 occupancy)(1 - PD-L1 occupancy)",
    )


def _bind_knob(mechanism: str, model: Model, knob: str, occupancy: Expr) -> Model:
    if knob not in model.parameter_names:
        raise ModelSpecError(
            f"{mechanism}: {knob!r} of model {model.id!r} is already driven by another drug; give one exposure "
            "for the combined occupancy (e.g. the larger of the two drugs' occupancies) instead"
        )
    return model.bind_parameter(knob, occupancy)


def _blockade(
    mechanism: str,
    knob: str,
    defaults: tuple[Parameter, ...],
    model: Model,
    exposure: Any,
    prefix: str | None,
    engagement: float | None,
    exposure_kind: str,
    params: dict[str, Any],
) -> Model:
    pre = check_prefix(mechanism, prefix or mechanism)
    pars = prefixed_parameters(mechanism, defaults, pre, params)
    require_fresh(mechanism, model, [p.name for p in pars])
    m = _ensure_pd_axis(mechanism, model, engagement)
    m = m.add(parameters=pars, references=tuple(p.source for p in defaults))
    occ = occupancy_from_exposure(mechanism, m, exposure, Sym(f"{pre}_ic50"), exposure_kind)
    return _bind_knob(mechanism, m, knob, occ)


_PD1_DEFAULTS = (
    Parameter(
        "ic50",
        0.535,
        "ug/mL",
        "serum concentration giving half-maximal PD-1 target engagement (used when exposure is a concentration)",
        _ELASSAISS,
        bounds=(1e-12, float("inf")),
    ),
)
_PDL1_DEFAULTS = (
    Parameter(
        "ic50",
        6.0 / 19.0,
        "ug/mL",
        "serum concentration giving half-maximal PD-L1 occupancy (used when exposure is a concentration)",
        _DENG,
        bounds=(1e-12, float("inf")),
    ),
)


def pd1_blockade(
    model: Model,
    *,
    exposure: str | Expr,
    prefix: str | None = None,
    engagement: float | None = None,
    exposure_kind: str = "auto",
    **params: Any,
) -> Model:
    """Anti-PD-1 (pembrolizumab, nivolumab): PD-1 occupancy relieves the PD-L1 brake.

    Parameters
    ----------
    model : Model
        A model with the PD-L1 brake (``pdl1_checkpoint``) or its own PD-1 axis
        (Nikolopoulou 2018); otherwise give ``engagement`` to add the brake.
    exposure : str or Expr
        The drug's occupancy (units ``"1"``) or serum concentration (ug/mL).
    prefix : str, optional
        Name prefix of the added parameters (default ``"pd1_blockade"``).
    engagement : float, optional
        Strength ``q`` of the PD-L1 brake to add when the model has none.
    exposure_kind : {"auto", "occupancy", "concentration"}
    **params
        ``ic50`` (ug/mL).

    Returns
    -------
    Model
        ``checkpoint_pd1_occupancy`` becomes an observable equal to the occupancy.

    References
    ----------
    .. [1] Lai X, Friedman A (2017). PLoS ONE 12:e0178479.
    .. [2] Elassaiss-Schaap J et al. (2017). CPT Pharmacometrics Syst Pharmacol 6:21-28.
    """
    return _blockade(
        "pd1_blockade", PD1_KNOB, _PD1_DEFAULTS, model, exposure, prefix, engagement, exposure_kind, params
    )


def pdl1_blockade(
    model: Model,
    *,
    exposure: str | Expr,
    prefix: str | None = None,
    engagement: float | None = None,
    exposure_kind: str = "auto",
    **params: Any,
) -> Model:
    """Anti-PD-L1 (atezolizumab, durvalumab, avelumab): PD-L1 occupancy relieves the PD-L1 brake.

    Same arguments as :func:`pd1_blockade`; the default ``ic50`` is
    atezolizumab's (0.316 ug/mL, derived from Deng et al. 2016).

    References
    ----------
    .. [1] Lai X, Friedman A (2017). PLoS ONE 12:e0178479.
    .. [2] Deng R et al. (2016). mAbs 8:593-603.
    """
    return _blockade(
        "pdl1_blockade", PDL1_KNOB, _PDL1_DEFAULTS, model, exposure, prefix, engagement, exposure_kind, params
    )


# ---------------------------------------------------------------------------------------
_CTLA4_DEFAULTS = (
    Parameter(
        "engagement",
        1.0,
        "1",
        "CTLA-4-B7 complex relative to its half-inhibition constant without drug: full blockade raises "
        "priming (1 + engagement)-fold",
        Source(
            _LAI2018.citation,
            _LAI2018.location,
            _LAI2018.doi,
            ASSUMPTION + "the inhibition form 1/(1 + Q/K) is Lai et al. 2018's; the value 1 (priming doubles at "
            "full blockade) is a scenario choice, not fitted to data.",
        ),
    ),
    Parameter(
        "ic50",
        6.0 / 19.0,
        "ug/mL",
        "serum concentration giving half-maximal CTLA-4 occupancy (used when exposure is a concentration)",
        Source(
            "YERVOY (ipilimumab) US Prescribing Information, Bristol-Myers Squibb",
            "section 12.3 (pharmacokinetics)",
            note=ASSUMPTION + "no published exposure-occupancy IC50 found for ipilimumab; the anti-PD-L1 value "
            "(Deng et al. 2016) is reused. Prefer an occupancy exposure.",
        ),
        bounds=(1e-12, float("inf")),
    ),
    Parameter(
        "k_treg",
        0.0,
        "1/day",
        "maximal rate of Fc-mediated depletion of regulatory T cells at full CTLA-4 occupancy "
        "(used only with treg_state)",
        Source(
            _SIMPSON.citation,
            _SIMPSON.location,
            _SIMPSON.doi,
            ASSUMPTION + "mechanism from Simpson et al. 2013; no rate constant is published, default 0 (off).",
        ),
    ),
)


def ctla4_blockade(
    model: Model,
    *,
    exposure: str | Expr,
    prefix: str | None = None,
    exposure_kind: str = "auto",
    treg_state: str | None = None,
    **params: Any,
) -> Model:
    r"""Anti-CTLA-4 (ipilimumab): more priming of effector cells, optional Treg depletion.

    Every ``effector_supply`` and ``recruitment`` term is multiplied by
    ``(1 + q)/(1 + q (1 - theta))`` (``theta`` the CTLA-4 occupancy; 1 when
    untreated, ``1 + q`` at full blockade). With ``treg_state``, a term
    ``k_treg * theta * Treg`` removes regulatory T cells.

    Parameters
    ----------
    model : Model
        A model with ``effector_supply`` or ``recruitment`` terms.
    exposure : str or Expr
        Occupancy (units ``"1"``) or serum concentration (ug/mL).
    prefix : str, optional
        Default ``"ctla4_blockade"``.
    treg_state : str, optional
        State holding regulatory T cells, if the model has one.
    **params
        ``engagement``, ``ic50``, ``k_treg``.

    References
    ----------
    .. [1] Lai X et al. (2018). PNAS 115:5534-5539.
    .. [2] Simpson TR et al. (2013). J Exp Med 210:1695-1710.
    """
    mech = "ctla4_blockade"
    pre = check_prefix(mech, prefix or mech)
    require_any_role(mech, model, (roles.EFFECTOR_SUPPLY, roles.RECRUITMENT))
    if treg_state is not None and treg_state not in model.state_names:
        raise ModelSpecError(f"{mech}: treg_state {treg_state!r} is not a state of model {model.id!r}")
    pars = prefixed_parameters(mech, _CTLA4_DEFAULTS, pre, params)
    require_fresh(mech, model, [p.name for p in pars] + [CTLA4_KNOB])
    knob = Parameter(
        CTLA4_KNOB,
        0.0,
        "1",
        "fraction of CTLA-4 occupied by blocking antibodies (0 = untreated)",
        Source(_LAI2018.citation, _LAI2018.location, _LAI2018.doi, "0 = untreated; bound to the drug exposure"),
        bounds=(0.0, 1.0),
    )
    m = model.add(
        parameters=pars + (knob,),
        references=(_LAI2018, _SIMPSON),
        notes=(f"{mech}: effector_supply and recruitment x (1 + q)/(1 + q(1 - {CTLA4_KNOB})).",),
    )
    q, th = Sym(f"{pre}_engagement"), Sym(CTLA4_KNOB)
    factor = (1.0 + q) / (1.0 + q * (1.0 - th))
    m = m.scale_terms(roles.EFFECTOR_SUPPLY, factor, required=False)
    m = m.scale_terms(roles.RECRUITMENT, factor, required=False)
    if treg_state is not None:
        m = m.add(
            terms=(
                Term(
                    f"{pre}_treg_depletion",
                    Sym(f"{pre}_k_treg") * th * Sym(treg_state),
                    {treg_state: -1},
                    "anti-CTLA-4 depletes regulatory T cells through Fc-gamma receptors",
                ),
            )
        )
    occ = occupancy_from_exposure(mech, m, exposure, Sym(f"{pre}_ic50"), exposure_kind)
    return m.bind_parameter(CTLA4_KNOB, occ)


# ---------------------------------------------------------------------------------------
PD1_BLOCKADE = Mechanism(
    name="pd1_blockade",
    title="PD-1 blockade (pembrolizumab, nivolumab)",
    therapy_class="checkpoint_inhibitor",
    description=(
        "The antibody sits on PD-1 on T cells, so tumour PD-L1 can no longer switch them off: the PD-L1 brake "
        "on killing and expansion is released in proportion to the fraction of PD-1 covered. Needs the PD-L1 "
        "brake (roles kill/recruitment via pdl1_checkpoint) or a model with its own PD-1 axis (Nikolopoulou 2018)."
    ),
    exposure="PD-1 occupancy (observable in units '1', e.g. pembrolizumab_RO) or serum concentration in ug/mL "
    "(then C/(C + ic50))",
    required_roles=(roles.KILL,),
    parameters=_PD1_DEFAULTS,
    references=(_LAI, _ELASSAISS, _NIKO),
    apply=pd1_blockade,
)
PDL1_BLOCKADE = Mechanism(
    name="pdl1_blockade",
    title="PD-L1 blockade (atezolizumab, durvalumab, avelumab)",
    therapy_class="checkpoint_inhibitor",
    description=(
        "The antibody covers PD-L1 on tumour cells, so fewer PD-1-PD-L1 pairs form; combined with an anti-PD-1 "
        "the uncovered fractions multiply. Same requirements as PD-1 blockade."
    ),
    exposure="PD-L1 occupancy (units '1') or serum concentration in ug/mL (then C/(C + ic50))",
    required_roles=(roles.KILL,),
    parameters=_PDL1_DEFAULTS,
    references=(_LAI, _DENG),
    apply=pdl1_blockade,
)
CTLA4_BLOCKADE = Mechanism(
    name="ctla4_blockade",
    title="CTLA-4 blockade (ipilimumab)",
    therapy_class="checkpoint_inhibitor",
    description=(
        "The antibody blocks CTLA-4, the brake T cells use while they are being primed in lymph nodes, so more "
        "tumour-specific T cells are made (effector_supply and recruitment terms raised up to (1 + engagement)-"
        "fold); optionally it also removes regulatory T cells."
    ),
    exposure="CTLA-4 occupancy (units '1') or serum concentration in ug/mL",
    required_roles=(roles.EFFECTOR_SUPPLY, roles.RECRUITMENT),
    parameters=_CTLA4_DEFAULTS,
    references=(_LAI2018, _SIMPSON),
    apply=ctla4_blockade,
)
