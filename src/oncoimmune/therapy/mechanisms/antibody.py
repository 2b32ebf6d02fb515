r"""Monoclonal antibodies: antibody-dependent cellular cytotoxicity (ADCC).

An antibody coats tumour cells that express its target (CD20 for rituximab,
HER2 for trastuzumab); NK cells (and other Fc-receptor-bearing effectors) bind
the antibody's Fc part and kill the coated cell. Hoffman et al. (2018) model an
in vitro ADCC assay in which NK cells kill at a rate that saturates in the
amount of antibody bound per cancer cell,

.. math:: f = f_k \frac{R}{R + r_k},

``R`` the bound receptors as a fraction of a reference receptor number. A
tumour that expresses ``x`` times that reference number of target molecules,
of which the fraction ``theta`` is occupied by the drug, carries ``x theta``
bound antibodies (same scale), so this mechanism adds to the model the kill
term

.. math::

    \text{adcc} = g\,\Phi\,\sum_{\text{nk\_kill}} r_i, \qquad
    \Phi = \frac{x\,\theta}{x\,\theta + r_k},

where ``r_i`` are the rates of the model's ``nk_kill`` terms on the tumour
(or, in a model without NK cells, its ``kill`` terms: the generic effectors
then stand in for the Fc-receptor-bearing cells) and ``g`` is the fold
increase of that killing at saturating antibody. The new term carries the role
``nk_kill``: ADCC does not need MHC-presented antigen, so
:func:`~oncoimmune.biology.escape.antigen_loss` leaves it alone. At ``x = 0``
or ``theta = 0`` the term is exactly 0 and the untreated model is recovered.

``theta`` comes from the exposure: an occupancy observable (units ``"1"``) is
used as it is; a concentration (ug/mL) becomes ``C/(C + KD)`` with ``kd`` (the
catalogue affinities: rituximab 1.16 ug/mL from 8 nM, trastuzumab 0.0148
ug/mL from 0.1 nM).

:func:`hoffman2018_model` is the Hoffman et al. (2018) assay model itself (the
BioModels BIOMD0000000802 encoding), used in the tests as the reference: its
kill rate divided by ``fk`` is exactly ``Phi`` with ``x = 1``.

References
----------
.. [1] Hoffman F, Gavaghan D, Osborne J, Barrett IP, You T, Ghadially H,
   Sainson R, Wilkinson RW, Byrne HM (2018). A mathematical model of
   antibody-dependent cellular cytotoxicity (ADCC). J Theor Biol 436:39-50.
   doi:10.1016/j.jtbi.2017.09.031. BioModels BIOMD0000000802.
.. [2] Weiner GJ (2010). Rituximab: mechanism of action. Semin Hematol
   47:115-123. doi:10.1053/j.seminhematol.2010.01.011
.. [3] Clynes RA, Towers TL, Presta LG, Ravetch JV (2000). Inhibitory Fc
   receptors modulate in vivo cytotoxicity against tumor targets. Nat Med
   6:443-446. doi:10.1038/74704 (Fc-receptor dependence of trastuzumab and
   rituximab activity in vivo).
"""

from __future__ import annotations

from typing import Any

from ..._errors import ModelSpecError
from ...biology import roles
from ...model.components import Observable, Parameter, Source, State, Term
from ...model.expr import Expr, Num, Sym, exp, maximum, minimum, positive
from ...model.model import Model
from ._base import (
    ASSUMPTION,
    Mechanism,
    check_prefix,
    exposure_expr,
    exposure_units,
    prefixed_parameters,
    require_fresh,
)

__all__ = ["ADCC_CD20", "ADCC_HER2", "HOFFMAN_SOURCE", "adcc", "adcc_cd20", "adcc_her2", "hoffman2018_model"]

HOFFMAN_SOURCE = Source(
    "Hoffman F, Gavaghan D, Osborne J, et al. (2018). A mathematical model of antibody-dependent cellular "
    "cytotoxicity (ADCC). J Theor Biol 436:39-50",
    "model equations; parameter values as encoded in BioModels BIOMD0000000802",
    "10.1016/j.jtbi.2017.09.031",
    "paper text not read (not retrievable here); values and equations taken from the curated SBML",
)
_CLYNES = Source(
    "Clynes RA, Towers TL, Presta LG, Ravetch JV (2000). Inhibitory Fc receptors modulate in vivo "
    "cytotoxicity against tumor targets. Nat Med 6:443-446",
    "Fc-gamma-receptor dependence of trastuzumab and rituximab anti-tumour activity",
    "10.1038/74704",
)
_WEINER = Source(
    "Weiner GJ (2010). Rituximab: mechanism of action. Semin Hematol 47:115-123",
    "ADCC by NK cells as a mechanism of rituximab",
    "10.1053/j.seminhematol.2010.01.011",
)
_RITUXAN_KD = Source(
    "RITUXAN (rituximab) US Prescribing Information, Genentech",
    "section 11: binding affinity for CD20 approximately 8.0 nM; MW approximately 145 kDa",
    note="8.0 nM x 145 kDa / 1000 = 1.16 ug/mL (same value as the drug catalogue)",
)
_CARTER_KD = Source(
    "Carter P et al. (1992). Humanization of an anti-p185HER2 antibody for human cancer therapy. "
    "PNAS 89:4285-4289",
    "humAb4D5-8 binding to HER2: Kd = 0.1 nM",
    "10.1073/pnas.89.10.4285",
    "0.1 nM x 148 kDa / 1000 = 0.0148 ug/mL (same value as the drug catalogue)",
)


def _defaults(kd: float, kd_source: Source, target: str) -> tuple[Parameter, ...]:
    return (
        Parameter(
            "expression",
            1.0,
            "1",
            f"{target} molecules per tumour cell relative to the reference level of Hoffman et al. 2018 "
            "(0 = target-negative tumour)",
            Source(
                HOFFMAN_SOURCE.citation,
                "receptor scale of the non-dimensional model (R = bound fraction of the reference receptor number)",
                HOFFMAN_SOURCE.doi,
                ASSUMPTION + "1 = the assay's reference expression; set per patient or indication "
                "(e.g. from IHC or flow cytometry).",
            ),
        ),
        Parameter(
            "rk",
            0.5,
            "1",
            "bound antibody per cell (relative to the reference receptor number) giving half-maximal ADCC",
            Source(HOFFMAN_SOURCE.citation, "parameter rk (BIOMD0000000802)", HOFFMAN_SOURCE.doi,
                   HOFFMAN_SOURCE.note),
            bounds=(1e-12, float("inf")),
        ),
        Parameter(
            "gain",
            1.0,
            "1",
            "fold increase of the NK (or effector) kill rate at saturating bound antibody",
            Source(
                _CLYNES.citation,
                _CLYNES.location,
                _CLYNES.doi,
                ASSUMPTION + "no in vivo fold-increase is published in a form that maps onto these models; "
                "1 (killing doubles at saturation) is a scenario value.",
            ),
        ),
        Parameter(
            "kd",
            kd,
            "ug/mL",
            f"dissociation constant of the antibody for {target} (used when exposure is a concentration)",
            kd_source,
            bounds=(1e-12, float("inf")),
        ),
    )


_CD20_DEFAULTS = _defaults(8.0 * 145.0 / 1000.0, _RITUXAN_KD, "CD20")
_HER2_DEFAULTS = _defaults(0.1 * 148.0 / 1000.0, _CARTER_KD, "HER2")


def adcc(
    model: Model,
    *,
    exposure: str | Expr,
    target: str = "CD20",
    prefix: str | None = None,
    exposure_kind: str = "auto",
    **params: Any,
) -> Model:
    r"""Add antibody-dependent killing of target-expressing tumour cells.

    Parameters
    ----------
    model : Model
        A model with ``tumour_state`` and ``nk_kill`` (preferred) or ``kill``
        terms removing tumour cells.
    exposure : str or Expr
        Target occupancy (units ``"1"``) or serum concentration (ug/mL).
    target : {"CD20", "HER2"}
        Selects the default ``kd``.
    prefix : str, optional
        Default ``"adcc_cd20"`` / ``"adcc_her2"``.
    exposure_kind : {"auto", "occupancy", "concentration"}
    **params
        ``expression``, ``rk``, ``gain``, ``kd``.

    Returns
    -------
    Model
        With the term ``<prefix>_kill`` (role ``nk_kill``) and the observable
        ``<prefix>_phi`` (the saturation factor ``Phi``).

    References
    ----------
    .. [1] Hoffman F et al. (2018). J Theor Biol 436:39-50.
    """
    tgt = str(target).upper()
    if tgt not in ("CD20", "HER2"):
        raise ModelSpecError(f"adcc: target must be 'CD20' or 'HER2'; got {target!r}")
    mech = f"adcc_{tgt.lower()}"
    pre = check_prefix(mech, prefix or mech)
    defaults = _CD20_DEFAULTS if tgt == "CD20" else _HER2_DEFAULTS
    tumour = model.tumour_state
    if tumour is None:
        raise ModelSpecError(f"{mech}: model {model.id!r} has no tumour_state; ADCC needs the tumour cells")
    base = [t for t in model.terms_with_role(roles.NK_KILL) if t.effects.get(tumour, 0.0) < 0]
    if not base:
        base = [t for t in model.terms_with_role(roles.KILL) if t.effects.get(tumour, 0.0) < 0]
    if not base:
        raise ModelSpecError(
            f"{mech}: model {model.id!r} has no nk_kill or kill term removing {tumour!r}; ADCC arms existing "
            "effector killing"
        )
    pars = prefixed_parameters(mech, defaults, pre, params)
    require_fresh(mech, model, [p.name for p in pars] + [f"{pre}_phi", f"{pre}_occupancy"])
    m = model.add(parameters=pars, references=(HOFFMAN_SOURCE, _CLYNES, _WEINER, defaults[-1].source))
    e = exposure_expr(mech, m, exposure)
    kind = exposure_kind
    if kind == "auto":
        u = exposure_units(m, exposure)
        kind = "occupancy" if u == "1" else "concentration" if u and u.lower() in ("ug/ml", "mg/l") else ""
        if not kind:
            raise ModelSpecError(
                f"{mech}: cannot tell whether exposure {exposure!r} (units {u!r}) is an occupancy or a "
                "concentration; pass exposure_kind='occupancy' or 'concentration'"
            )
    if kind == "occupancy":
        occ = minimum(maximum(e, 0.0), 1.0)
    elif kind == "concentration":
        c = positive(e)
        occ = c / (c + Sym(f"{pre}_kd"))
    else:
        raise ModelSpecError(f"{mech}: exposure_kind must be 'auto', 'occupancy' or 'concentration'; got {kind!r}")
    bound = Sym(f"{pre}_expression") * Sym(f"{pre}_occupancy")
    phi = bound / (bound + Sym(f"{pre}_rk"))
    rate: Expr = Num(0.0)
    for t in base:
        rate = rate + (-t.effects[tumour]) * t.rate
    m = m.add(
        observables=(
            Observable(f"{pre}_occupancy", occ, "1", f"fraction of tumour {tgt} occupied by the antibody"),
            Observable(
                f"{pre}_phi",
                phi,
                "1",
                f"ADCC saturation x*theta/(x*theta + rk): bound antibody per cell ({tgt} expression x occupancy)",
            ),
        ),
        terms=(
            Term(
                f"{pre}_kill",
                Sym(f"{pre}_gain") * Sym(f"{pre}_phi") * rate,
                {tumour: -1},
                f"NK/effector cells kill antibody-coated {tgt}-positive tumour cells (ADCC)",
                {roles.NK_KILL},
            ),
        ),
        notes=(
            (
                f"{mech}: ADCC term = gain * phi * (rate of {', '.join(t.name for t in base)}), "
                "phi = x*theta/(x*theta + rk) (Hoffman et al. 2018)."
            ),
        ),
    )
    return m


def adcc_cd20(model: Model, *, exposure: str | Expr, **kw: Any) -> Model:
    """ADCC against CD20-positive tumour cells (rituximab); see :func:`adcc`."""
    return adcc(model, exposure=exposure, target="CD20", **kw)


def adcc_her2(model: Model, *, exposure: str | Expr, **kw: Any) -> Model:
    """ADCC against HER2-positive tumour cells (trastuzumab); see :func:`adcc`."""
    return adcc(model, exposure=exposure, target="HER2", **kw)


# ---------------------------------------------------------------------------------------
def hoffman2018_model() -> Model:
    r"""The Hoffman et al. (2018) in vitro ADCC assay model (BIOMD0000000802), non-dimensional.

    .. math::

        \dot A &= -a_1 (1 - R) A S + a_2 y R S \\
        \dot R &= \frac{a_1}{y} (1 - R) A - a_2 R \\
        \dot S &= -f C \\
        \dot C &= v_1 (u - C)(S - C) - v_2 C - f C, \qquad f = f_k \frac{R}{R + r_k},\ y = e^{n}

    ``A`` free antibody, ``R`` bound fraction of the target receptors, ``S``
    cancer cells, ``C`` NK-cancer-cell complexes; ``y`` the ratio of total
    receptors to antibody (``n = ln y``).

    Returns
    -------
    Model
        Start ``A = S = 1``, ``R = C = 0`` (the encoding's initial state).
    """
    A, R, S, C = (Sym(n) for n in ["A", "R", "S", "C"])
    a1, a2, v1, u, v2, fk, rk, n = (Sym(x) for x in ["a1", "a2", "v1", "u", "v2", "fk", "rk", "n"])
    src = Source(HOFFMAN_SOURCE.citation, "BIOMD0000000802 parameter values", HOFFMAN_SOURCE.doi, HOFFMAN_SOURCE.note)
    P = Parameter
    params = (
        P("a1", 1e-3, "1", "antibody-receptor association (non-dimensional)", src),
        P("a2", 1.44, "1", "antibody-receptor dissociation (non-dimensional)", src),
        P("n", 0.0, "1", "log of the receptor-to-antibody ratio y", src, bounds=(-50.0, 50.0)),
        P("v1", 120.0, "1", "NK-cancer-cell complex formation", src),
        P("u", 20.0, "1", "NK cells (effector:target scale)", src),
        P("v2", 14.4, "1", "complex dissociation without killing", src),
        P("fk", 1.0, "1", "maximal kill rate of a complex", src),
        P("rk", 0.5, "1", "bound fraction giving half-maximal kill", src),
    )
    y = exp(n)
    f = Sym("f_kill")
    return Model(
        id="hoffman2018_adcc",
        title="Hoffman et al. 2018: in vitro ADCC assay (antibody, bound receptors, cancer cells, NK complexes)",
        states=(
            State("A", 1.0, "1", "free antibody (scaled to its initial level)"),
            State("R", 0.0, "1", "fraction of target receptors bound by antibody"),
            State("S", 1.0, "1", "cancer cells (scaled)"),
            State("C", 0.0, "1", "NK-cancer-cell complexes (scaled)"),
        ),
        parameters=params,
        observables=(Observable("f_kill", fk * R / (R + rk), "1", "kill rate of a complex, fk R/(R + rk)"),),
        terms=(
            Term("antibody_association", a1 * (1 - R) * A * S, {"A": -1}, "antibody binds free receptors"),
            Term("antibody_dissociation", a2 * y * R * S, {"A": 1}, "bound antibody dissociates"),
            Term("complex_formation", a1 / y * (1 - R) * A, {"R": 1}, "receptors become bound"),
            Term("complex_dissociation", a2 * R, {"R": -1}, "receptors become free"),
            Term("nk_complex_formation", v1 * (u - C) * (S - C), {"C": 1}, "NK cells bind cancer cells"),
            Term("nk_complex_dissociation", v2 * C, {"C": -1}, "NK-cancer complexes fall apart"),
            Term("kill_complex", f * C, {"C": -1}, "killing frees the NK cell"),
            Term("kill_cancer", f * C, {"S": -1}, "NK cells kill antibody-coated cancer cells", {roles.NK_KILL}),
        ),
        description="Non-dimensional in vitro ADCC assay model of Hoffman et al. 2018 (BioModels BIOMD0000000802).",
        references=(HOFFMAN_SOURCE, Source("BioModels BIOMD0000000802 (SBML encoding of Hoffman et al. 2018)")),
        tumour_state="S",
    )


ADCC_CD20 = Mechanism(
    name="adcc_cd20",
    title="Antibody-dependent killing of CD20-positive cells (rituximab)",
    therapy_class="monoclonal_antibody",
    description=(
        "Rituximab coats CD20 on malignant B cells; NK cells grab the antibody and kill the coated cell. The extra "
        "killing grows with the antibody bound per cell (CD20 expression x occupancy) and saturates (Hoffman "
        "et al. 2018); a CD20-negative tumour gets none. Arms the model's nk_kill terms (else its kill terms)."
    ),
    exposure="CD20 occupancy (units '1') or serum rituximab concentration in ug/mL (then C/(C + kd))",
    required_roles=(roles.NK_KILL, roles.KILL),
    parameters=_CD20_DEFAULTS,
    references=(HOFFMAN_SOURCE, _WEINER, _CLYNES),
    apply=adcc_cd20,
)
ADCC_HER2 = Mechanism(
    name="adcc_her2",
    title="Antibody-dependent killing of HER2-positive cells (trastuzumab)",
    therapy_class="monoclonal_antibody",
    description=(
        "Trastuzumab coats HER2 on breast or gastric cancer cells; NK cells kill the coated cells. The extra "
        "killing grows with HER2 expression x occupancy and saturates; HER2-negative tumours get none. "
        "(Trastuzumab's direct anti-proliferative HER2 signalling block is not modelled.)"
    ),
    exposure="HER2 occupancy (units '1') or serum trastuzumab concentration in ug/mL (then C/(C + kd))",
    required_roles=(roles.NK_KILL, roles.KILL),
    parameters=_HER2_DEFAULTS,
    references=(HOFFMAN_SOURCE, _CLYNES),
    apply=adcc_her2,
)
