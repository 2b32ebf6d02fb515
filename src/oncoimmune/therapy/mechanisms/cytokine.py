r"""Cytokines: interleukin-2 and interferon-alpha.

**IL-2** (aldesleukin) enters the Kirschner & Panetta (1998) model as the
external IL-2 source ``s2`` of

.. math:: \frac{dIL}{dt} = \frac{p_2 E T}{g_3 + T} - \mu_3 IL + s_2,

so the mechanism binds ``s2 = gain * exposure``. With the default
``gain = 1`` the exposure is the IL-2 input in the model's own units
(IL-2 units per day), which is how the paper states its doses; mapping serum
aldesleukin concentrations onto those units has no published calibration.

Kirschner & Panetta's IL-2 findings follow from the tumour-free state
``T = 0``, where ``IL = s2/mu3`` and ``dE/dt = s1 - (mu2 - p1 IL/(g1 + IL)) E``:

* IL-2 alone (``s1 = 0``) can clear the tumour only when IL-2-driven
  proliferation outpaces effector death, ``p1 IL/(g1 + IL) > mu2``, i.e.
  ``s2 > mu3 g1 mu2/(p1 - mu2)`` (:func:`kp_il2_alone_threshold`: 6.35e7 for the
  published values); then ``E`` grows without bound (the paper's toxicity).
* With adoptive cell therapy ``s1``, the tumour-free state is stable when
  ``a E*/g2 > r2`` with ``E* = s1/(mu2 - p1 IL/(g1 + IL))``, i.e.
  ``s1 > (r2 g2/a)(mu2 - p1 IL/(g1 + IL))`` (:func:`kp_aci_threshold`): IL-2
  lowers the ACI threshold from ``r2 mu2 g2/a = 540`` cells/day.

**IFN-alpha** acts in the Andersen et al. (2017) MPN model through the switch
``u_IFN`` on the exhaustion of JAK2V617F stem cells,
``d_y0 (1 + k_IFN u_IFN)``, with ``k_IFN`` fitted (by the library module) to
the pegylated IFN-alpha-2a responses of Kiladjian et al. (2008). The
mechanism binds ``u_IFN = exposure / reference``: the effect is proportional
to the exposure (dose or concentration) relative to the exposure of the
regimen the fit used, following the dose-dependent Cancitis treatment model
of Pedersen et al. (2021); linearity beyond the fitted regimen is an
assumption.

References
----------
.. [1] Kirschner D, Panetta JC (1998). Modeling immunotherapy of the
   tumor-immune interaction. J Math Biol 37:235-252. doi:10.1007/s002850050127
.. [2] Andersen M et al. (2017). Mathematical modelling as a proof of concept
   for MPNs as a human inflammation model for cancer development. PLoS ONE
   12:e0183620. doi:10.1371/journal.pone.0183620
.. [3] Kiladjian J-J et al. (2008). Pegylated interferon-alfa-2a induces
   complete hematologic and molecular responses with low toxicity in
   polycythemia vera. Blood 112:3065-3072. doi:10.1182/blood-2008-03-143537
.. [4] Pedersen RK et al. (2021). Dose-dependent mathematical modeling of
   interferon-alpha-treatment for personalized treatment of
   myeloproliferative neoplasms. Comput Syst Oncol 1:e1030. doi:10.1002/cso2.1030
"""

from __future__ import annotations

from typing import Any

from ..._errors import ModelSpecError
from ...biology import roles
from ...model.components import Parameter, Source
from ...model.expr import Expr, Sym, positive
from ...model.model import Model
from ._base import ASSUMPTION, Mechanism, check_prefix, exposure_expr, prefixed_parameters, require_fresh

__all__ = ["IFN_ALPHA", "IL2", "ifn_alpha", "il2", "kp_aci_threshold", "kp_il2_alone_threshold"]

_KP = Source(
    "Kirschner D, Panetta JC (1998). Modeling immunotherapy of the tumor-immune interaction. "
    "J Math Biol 37:235-252",
    "equation (3): IL-2 treatment input s2; Section 4 (IL-2 alone and with ACI)",
    "10.1007/s002850050127",
)
_ANDERSEN = Source(
    "Andersen M et al. (2017). PLoS ONE 12:e0183620; IFN-alpha effect d_y0*(1 + k_IFN*u_IFN) after Ottesen "
    "et al. 2020 (Cancers 12:2119), k_IFN fitted to Kiladjian et al. 2008 (library module andersen2017_mpn)",
    "u_IFN = 1: the pegylated IFN-alpha-2a regimen of Kiladjian et al. 2008",
    "10.1371/journal.pone.0183620",
)
_PEDERSEN = Source(
    "Pedersen RK, Andersen M, Knudsen TA, et al. (2021). Dose-dependent mathematical modeling of "
    "interferon-alpha-treatment for personalized treatment of myeloproliferative neoplasms. "
    "Comput Syst Oncol 1:e1030",
    "IFN effects scaled with the administered dose",
    "10.1002/cso2.1030",
)

_IL2_DEFAULTS = (
    Parameter(
        "gain",
        1.0,
        "IL-2 units/day per exposure unit",
        "IL-2 input to the tumour site per unit of exposure",
        Source(_KP.citation, _KP.location, _KP.doi,
               ASSUMPTION + "1 = the exposure is the IL-2 input in the paper's units; no published map from serum "
               "aldesleukin to these units."),
    ),
)
_IFN_DEFAULTS = (
    Parameter(
        "reference",
        1.0,
        "exposure units",
        "exposure of the regimen the IFN effect was fitted to (u_IFN = exposure/reference)",
        Source(_ANDERSEN.citation, _ANDERSEN.location, _ANDERSEN.doi,
               ASSUMPTION + "default 1: the exposure is the fraction of the Kiladjian 2008 regimen; give the "
               "regimen's dose or concentration in the exposure's units instead. Linear scaling with dose "
               "follows Pedersen et al. 2021 and is an assumption beyond the fitted regimen."),
        bounds=(1e-300, float("inf")),
    ),
)


def il2(model: Model, *, exposure: str | Expr, prefix: str | None = None, input_parameter: str = "s2",
        **params: Any) -> Model:
    """IL-2 therapy: the model's IL-2 input ``s2`` becomes ``gain * exposure``.

    Parameters
    ----------
    model : Model
        A model with an IL-2 input parameter (Kirschner & Panetta 1998: ``s2``).
    exposure : str or Expr
        IL-2 exposure (default scale: IL-2 units/day in the model's units).
    prefix : str, optional
        Default ``"il2"``.
    input_parameter : str
        Name of the model's IL-2 input parameter.
    **params
        ``gain``.

    References
    ----------
    .. [1] Kirschner D, Panetta JC (1998). J Math Biol 37:235-252.
    """
    mech = "il2"
    pre = check_prefix(mech, prefix or mech)
    if input_parameter not in model.parameter_names:
        raise ModelSpecError(
            f"{mech}: model {model.id!r} has no IL-2 input parameter {input_parameter!r} (Kirschner & Panetta "
            "1998 'kirschner_panetta1998' has s2); pass input_parameter=<name>"
        )
    pars = prefixed_parameters(mech, _IL2_DEFAULTS, pre, params)
    require_fresh(mech, model, [p.name for p in pars])
    m = model.add(parameters=pars, references=(_KP,))
    e = exposure_expr(mech, m, exposure)
    return m.bind_parameter(input_parameter, Sym(f"{pre}_gain") * positive(e),
                            description="IL-2 input driven by the IL-2 exposure (gain x exposure)")


def ifn_alpha(model: Model, *, exposure: str | Expr, prefix: str | None = None, switch_parameter: str = "u_IFN",
              **params: Any) -> Model:
    """Interferon-alpha: the model's IFN switch becomes ``exposure / reference``.

    Parameters
    ----------
    model : Model
        A model with an IFN switch (Andersen 2017 MPN: ``u_IFN``, effect size ``k_IFN``).
    exposure : str or Expr
        IFN-alpha exposure (dose rate or concentration, any units; ``reference`` in the same units).
    prefix : str, optional
        Default ``"ifn_alpha"``.
    switch_parameter : str
    **params
        ``reference``.

    References
    ----------
    .. [1] Andersen M et al. (2017). PLoS ONE 12:e0183620.
    .. [2] Pedersen RK et al. (2021). Comput Syst Oncol 1:e1030.
    """
    mech = "ifn_alpha"
    pre = check_prefix(mech, prefix or mech)
    if switch_parameter not in model.parameter_names:
        raise ModelSpecError(
            f"{mech}: model {model.id!r} has no IFN switch parameter {switch_parameter!r} (the Andersen 2017 MPN "
            "model 'andersen2017_mpn' has u_IFN); pass switch_parameter=<name>"
        )
    pars = prefixed_parameters(mech, _IFN_DEFAULTS, pre, params)
    require_fresh(mech, model, [p.name for p in pars])
    m = model.add(parameters=pars, references=(_ANDERSEN, _PEDERSEN))
    e = exposure_expr(mech, m, exposure)
    return m.bind_parameter(switch_parameter, positive(e) / Sym(f"{pre}_reference"),
                            description="IFN-alpha effect relative to the fitted regimen (exposure/reference)")


def kp_il2_alone_threshold(model: Model) -> float:
    """IL-2 input above which IL-2 alone makes effector cells grow without bound (Kirschner-Panetta).

    ``s2* = mu3 g1 mu2 / (p1 - mu2)`` (``inf`` if ``p1 <= mu2``).
    """
    v = model.parameter_values
    if v["p1"] <= v["mu2"]:
        return float("inf")
    return v["mu3"] * v["g1"] * v["mu2"] / (v["p1"] - v["mu2"])


def kp_aci_threshold(model: Model, s2: float = 0.0) -> float:
    """Adoptive-cell input ``s1`` above which the tumour-free state is stable, given IL-2 input ``s2``.

    ``s1* = (r2 g2 / a) (mu2 - p1 IL/(g1 + IL))``, ``IL = s2/mu3`` (0 when IL-2 alone suffices).
    """
    v = model.parameter_values
    il = float(s2) / v["mu3"]
    net = v["mu2"] - v["p1"] * il / (v["g1"] + il)
    return max(v["r2"] * v["g2"] / v["a"] * net, 0.0)


IL2 = Mechanism(
    name="il2",
    title="Interleukin-2 (aldesleukin)",
    therapy_class="cytokine",
    description=(
        "IL-2 makes activated T cells multiply. Given alone it clears the tumour only at doses that make T-cell "
        "numbers explode (toxicity); with adoptive T-cell therapy, far fewer infused cells are needed "
        "(Kirschner & Panetta 1998). Drives the model's IL-2 input."
    ),
    exposure="IL-2 input (IL-2 units/day in the model's units with gain 1)",
    required_roles=(roles.CYTOKINE,),
    parameters=_IL2_DEFAULTS,
    references=(_KP,),
    apply=il2,
)
IFN_ALPHA = Mechanism(
    name="ifn_alpha",
    title="Interferon-alpha (pegylated IFN-alpha-2a, ropeginterferon)",
    therapy_class="cytokine",
    description=(
        "Interferon-alpha pushes dormant JAK2V617F-mutated blood stem cells out of quiescence so that they "
        "exhaust, and the mutant fraction of blood cells falls over years (Andersen 2017 model, effect fitted to "
        "Kiladjian 2008). The effect scales with the exposure relative to the fitted regimen."
    ),
    exposure="IFN-alpha dose rate or concentration (any units; 'reference' gives the fitted regimen's value)",
    required_roles=(),
    parameters=_IFN_DEFAULTS,
    references=(_ANDERSEN, _PEDERSEN),
    apply=ifn_alpha,
)
