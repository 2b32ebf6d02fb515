r"""Clinical NSCLC model for first and later lines: net growth, chemotherapy sensitivity, released immunity.

The successor of :mod:`~oncoimmune.library.nsclc_tgi_immune`, built to carry
over between trials. It has the same states (two clones differing in
chemotherapy sensitivity, a braked effector pool, a new-lesion hazard) and the
same escape mechanisms linked to covariates (TPS -> PD-L1 brake ``q``, TMB ->
antigen loss ``a``, lymphocytes -> lymphopenia ``f_L``), with one structural
change: **the patient's untreated net growth rate is a drawn quantity**, the
one measured in lesion kinetics, and the immune kill present before treatment
is absorbed into it. Time in days.

.. math::

    \frac{dT}{dt} &= (g + k_0)\,T - k\,E\,T\,\phi\,(1-a) \qquad \text{(chemotherapy-sensitive clone)} \\
    \frac{dR}{dt} &= (g + k_0)\,R - k\,E\,R\,\phi\,(1-a) \qquad \text{(resistant clone)} \\
    \frac{dE}{dt} &= d_E (1 - f_L) + d_E\, r\, \phi\,(1-a) \frac{N}{h + N} - d_E E \\
    \frac{d\Lambda}{dt} &= \lambda_{NL} (N / N_{ref})^{2/3}, \qquad N = T + R

with ``phi = 1/(1 + q (1 - theta))`` the PD-L1 brake released by PD-(L)1
occupancy ``theta`` (catalogue drugs and their popPK) and ``k_0`` the immune
kill per tumour cell *before treatment*, ``k E_0 phi_0 (1 - a)``, set for each
patient by :func:`pretreatment_state`. Without treatment the tumour therefore
grows at exactly ``g`` whatever the patient's PD-L1, TMB or lymphocytes, and
chemotherapy (which acts on ``T`` and, weakly, on ``E``) sees a tumour whose
growth and sensitivity do not depend on PD-L1: the PD-L1-chemotherapy response
relation is flat, as published (e.g. KEYNOTE-010's docetaxel arm and OAK's,
whose response rates do not rise at low PD-L1). PD-L1 acts only through the
brake that blockade releases: the extra kill under blockade,
``k (E phi - E_0 phi_0)(1 - a)``, grows with ``q`` (TPS) and with antigenicity
(TMB), and is damped by lymphopenia. PD-L1 is therefore predictive for PD-(L)1
blockade and not prognostic.

Covariates (:func:`pretreatment_state` with the patient)
---------------------------------------------------------
* **line of therapy**: for patients with one or more earlier lines the
  chemotherapy-resistant fraction ``f_res`` is ``f_res * m_line`` (capped at
  1; tumours that progressed on a platinum doublet are selected for
  resistance) and the kill per effector ``k_kill`` is ``k_kill * k_line`` (an
  empirical line effect on the immune response: KEYNOTE-024's PD-L1 >= 50 %
  first-line patients respond to pembrolizumab far more often than
  KEYNOTE-010's PD-L1 >= 50 % previously treated ones); both factors are
  calibrated (:data:`CALIBRATED`).
* **PD-L1 TPS, TMB, lymphocytes**: through the link (brake, antigen loss,
  lymphopenia).
* **ECOG, histology, line, baseline burden**: prognostic for overall
  survival through the TGI-OS link (:mod:`oncoimmune.trials.survival_link`),
  not through the tumour dynamics.

Parameters
----------
==============  ==============  =========================================  ==========================================
name            value           meaning                                    source
==============  ==============  =========================================  ==========================================
g               see CALIBRATED  untreated net growth rate (lognormal)      Laleh 2022 lesions (step A)
k_kill          see CALIBRATED  kill per unit effector                     joint calibration
d_E             0.0412 /d       effector turnover                          Kuznetsov 1994
r_rec           see CALIBRATED  tumour-driven / homeostatic recruitment    joint calibration
h_rec           2.019e7 cells   half-maximal recruitment                   Kuznetsov 1994
f_res           see CALIBRATED  chemo-resistant fraction (first line)      joint calibration
m_line          see CALIBRATED  factor on f_res after >= 1 earlier line    joint calibration
k_line          see CALIBRATED  factor on k_kill after >= 1 earlier line   joint calibration
k0              per patient     pre-treatment immune kill (absorbed)       pretreatment_state
nl_rate         see CALIBRATED  new-lesion hazard at 1e11 cells            joint calibration
nl_ref          1e11 cells      reference burden                           assumption
nl_exponent     2/3             emission exponent                          Iwata 2000
==============  ==============  =========================================  ==========================================

References
----------
.. [1] Kuznetsov VA et al. (1994). Bull Math Biol 56:295-321. doi:10.1007/BF02460644
.. [2] Ghaffari Laleh N et al. (2022). PLoS Comput Biol 18:e1009822. doi:10.1371/journal.pcbi.1009822
.. [3] Stein WD et al. (2008). Oncologist 13:1046-1054. doi:10.1634/theoncologist.2008-0075
.. [4] Iwata K, Kawasaki K, Shigesada N (2000). J Theor Biol 203:177-186. doi:10.1006/jtbi.2000.1075
.. [5] Lai X, Friedman A (2017). PLoS ONE 12:e0178479 (PD-1-PD-L1 brake).
.. [6] Herbst RS et al. (2016). Lancet 387:1540-1550 (KEYNOTE-010). doi:10.1016/S0140-6736(15)01281-7
.. [7] Rittmeyer A et al. (2017). Lancet 389:255-265 (OAK). doi:10.1016/S0140-6736(16)32517-X
.. [8] Reck M et al. (2016). N Engl J Med 375:1823-1833 (KEYNOTE-024). doi:10.1056/NEJMoa1606774
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any

import numpy as np

from .._errors import ModelSpecError
from ..biology import roles
from ..biology.observables import tumour_diameter_mm
from ..model import Distribution, Model, Observable, Parameter, Source, State, Sym, Term, positive

ID = "nsclc_clinical"
TITLE = "Clinical NSCLC model (first and later lines): net growth, chemo-sensitive clone, released immunity"
REFERENCE = Source(
    citation="oncoimmune clinical NSCLC model (this package), calibrated jointly to KEYNOTE-024, KEYNOTE-010, "
    "OAK and the Laleh et al. 2022 lesion kinetics by oncoimmune.trials.joint",
    location="docs/trial-validation.md",
)

BURDEN = "tumour_cells"
NEW_LESION_STATE = "NL"

#: Population hyperparameters (median, cv) fitted by :mod:`oncoimmune.trials.joint`
#: (``oncoimmune calibrate``); ``g`` from the Laleh 2022 docetaxel-arm lesions (step A of
#: :mod:`oncoimmune.trials.calibration`). Single values have cv 0.
CALIBRATED: dict[str, tuple[float, float]] = {
    "g": (0.00937, 1.473),
    "k_kill": (0.0031, 0.17),
    "r_rec": (18.7, 0.5),
    "f_res": (0.2, 1.5),
    "m_line": (2.0, 0.0),
    "k_line": (1.0, 0.0),
    "nl_rate": (0.0009, 0.0),
}


def _apply_shipped() -> None:
    from .. import _calibration_data

    th = _calibration_data.theta()
    for name in ("k_kill", "r_rec", "m_line", "k_line", "nl_rate"):
        if name in th:
            CALIBRATED[name] = (th[name], CALIBRATED[name][1])
    if "f_res" in th:
        CALIBRATED["f_res"] = (th["f_res"], th.get("f_res_cv", CALIBRATED["f_res"][1]))


_apply_shipped()


def _link_defaults() -> dict[str, float]:
    from .. import _calibration_data

    th = _calibration_data.theta()
    return {"pdl1_engagement_floor": th["pdl1_engagement_floor"]} if "pdl1_engagement_floor" in th else {}


#: Link coefficients this model is calibrated with (a trial spec's ``[model.link]`` overrides them).
LINK_DEFAULTS: dict[str, float] = _link_defaults()

_KUZ = Source(
    citation="Kuznetsov VA, Makalkin IA, Taylor MA, Perelson AS (1994). Bull Math Biol 56:295-321",
    location="Section 3, parameter estimates (d = 0.0412 /day; g = 2.019e7 cells)",
    doi="10.1007/BF02460644",
)
_LALEH = Source(
    citation="Ghaffari Laleh N et al. (2022). PLoS Comput Biol 18:e1009822 (lesion data via TumorGrowth.jl, MIT)",
    location="docetaxel arms (POPLAR Study_2_Arm_1, OAK Study_4_Arm_1): per-lesion biexponential fits",
    doi="10.1371/journal.pcbi.1009822",
    note="calibrated to the Laleh 2022 docetaxel-arm lesion trajectories by trials/calibration.py (step A): "
    "median and spread of the regrowth rate, taken as the untreated net growth rate",
)
_JOINT = Source(
    citation="Reck 2016 (KEYNOTE-024), Herbst 2016 (KEYNOTE-010), Rittmeyer 2017 (OAK): published response "
    "rates, medians and hazard ratios; KEYNOTE-024 reconstructed PFS (kmdata, MIT)",
    location="docs/trial-validation.md (targets with table/page)",
    note="calibrated jointly to KEYNOTE-024, KEYNOTE-010 and OAK by trials/joint.py (oncoimmune calibrate)",
)
_IWATA = Source(
    citation="Iwata K, Kawasaki K, Shigesada N (2000). J Theor Biol 203:177-186",
    location="colonisation rate beta x^alpha, alpha = 0.663",
    doi="10.1006/jtbi.2000.1075",
    note="alpha rounded to 2/3; the emission law as the hazard of a visible new lesion is an assumption",
)
_ASSUMED_CV = Source(
    citation="oncoimmune assumption",
    note="between-patient cv 0.5 assumed, not fitted (the median is calibrated by trials/joint.py)",
)
_HOOK = Source(
    citation="oncoimmune clinical NSCLC model",
    note="set per patient by pretreatment_state: the immune kill per tumour cell before treatment, so that the "
    "untreated net growth rate equals g",
)


def _lognormal(cv: float, source: Source) -> Distribution:
    return Distribution("lognormal", cv=cv, source=source) if cv > 0 else Distribution()


def build(calibrated: dict[str, tuple[float, float]] | None = None) -> Model:
    """The model with the calibrated hyperparameters (or ``calibrated`` overrides ``{name: (median, cv)}``)."""
    cal = dict(CALIBRATED)
    for k, v in (calibrated or {}).items():
        if k not in cal:
            raise ModelSpecError(f"{ID}: unknown calibrated hyperparameter {k!r}; known: {', '.join(cal)}")
        cal[k] = (float(v[0]), float(v[1]))
    T, R, E = Sym("T"), Sym("R"), Sym("E")
    g, k0, k, dE, r, h = (Sym(x) for x in ("g", "k0", "k_kill", "d_E", "r_rec", "h_rec"))
    lam, nref, alpha = Sym("nl_rate"), Sym("nl_ref"), Sym("nl_exponent")
    N = T + R
    params = (
        Parameter("g", cal["g"][0], "1/day", "untreated net tumour growth rate (volume)", _LALEH,
                  bounds=(0.0, 0.2), distribution=_lognormal(cal["g"][1], _LALEH)),
        Parameter("k0", 0.0, "1/day", "immune kill per tumour cell before treatment (absorbed into growth)", _HOOK,
                  bounds=(0.0, 10.0)),
        Parameter("k_kill", cal["k_kill"][0], "1/day", "tumour-cell kill rate per unit effector activity", _JOINT,
                  bounds=(0.0, 5.0), distribution=_lognormal(cal["k_kill"][1], _JOINT)),
        Parameter("d_E", 0.0412, "1/day", "effector death (turnover) rate", _KUZ, bounds=(1e-6, 10.0)),
        Parameter("r_rec", cal["r_rec"][0], "1", "maximal tumour-driven recruitment relative to homeostatic supply",
                  _JOINT, bounds=(0.0, 200.0), distribution=_lognormal(cal["r_rec"][1], _ASSUMED_CV)),
        Parameter("h_rec", 2.019e7, "cells", "tumour size giving half-maximal recruitment", _KUZ,
                  bounds=(1.0, math.inf)),
        Parameter("f_res", cal["f_res"][0], "1", "chemo-resistant fraction of the baseline tumour (first line)",
                  _JOINT, bounds=(0.0, 1.0), distribution=_lognormal(cal["f_res"][1], _JOINT)),
        Parameter("m_line", cal["m_line"][0], "1", "factor on f_res after one or more earlier lines", _JOINT,
                  bounds=(0.0, 100.0)),
        Parameter("k_line", cal["k_line"][0], "1", "factor on k_kill after one or more earlier lines", _JOINT,
                  bounds=(0.0, 10.0)),
        Parameter("nl_rate", cal["nl_rate"][0], "1/day", "hazard of a new lesion at the reference burden", _JOINT,
                  bounds=(0.0, 1.0)),
        Parameter("nl_ref", 1.0e11, "cells", "reference burden of the new-lesion hazard",
                  Source("oncoimmune assumption", note="about a 5.8 cm sphere; only scales nl_rate"),
                  bounds=(1.0, math.inf)),
        Parameter("nl_exponent", 2.0 / 3.0, "1", "exponent of the new-lesion (emission) law", _IWATA,
                  bounds=(0.0, 2.0)),
    )
    states = (
        State("T", 1.0e11, "cells", "chemotherapy-sensitive tumour cells"),
        State("R", 0.0, "cells", "chemotherapy-resistant tumour cells"),
        State("E", 1.0, "1", "tumour-reactive effector activity (1 = healthy homeostatic level)"),
        State(NEW_LESION_STATE, 0.0, "1", "cumulative hazard of an unequivocal new lesion"),
    )
    terms = (
        Term("growth_T", (g + k0) * T, {"T": 1}, "sensitive cells proliferate (net of pre-treatment immunity "
             "+ that immunity)", {roles.TUMOUR_GROWTH}),
        Term("growth_R", (g + k0) * R, {"R": 1}, "resistant cells proliferate", {roles.TUMOUR_GROWTH}),
        Term("kill_T", k * E * T, {"T": -1}, "effectors kill sensitive tumour cells", {roles.KILL}),
        Term("kill_R", k * E * R, {"R": -1}, "effectors kill resistant tumour cells", {roles.KILL}),
        Term("effector_supply", dE, {"E": 1}, "homeostatic supply of effector activity", {roles.EFFECTOR_SUPPLY}),
        Term("effector_recruitment", dE * r * N / (h + N), {"E": 1},
             "tumour antigen drives priming and recruitment of effectors, saturating in tumour size",
             {roles.RECRUITMENT}),
        Term("effector_death", dE * E, {"E": -1}, "effector activity decays", {roles.EFFECTOR_DEATH}),
        Term("new_lesion_hazard", lam * (positive(N) / nref) ** alpha, {NEW_LESION_STATE: 1},
             "hazard of a new visible lesion grows with the tumour burden", {"new_lesion"}),
    )
    return Model(
        id=ID,
        title=TITLE,
        states=states,
        parameters=params,
        terms=terms,
        observables=(Observable(BURDEN, N, "cells", "all tumour cells"), tumour_diameter_mm(BURDEN)),
        description=(
            "Clinical-scale NSCLC for first and later lines: the untreated net growth rate is drawn (Laleh 2022 "
            "lesion kinetics) and the immune kill present before treatment is absorbed into it, so chemotherapy "
            "response does not depend on PD-L1; PD-(L)1 blockade releases a PD-L1-dependent brake."
        ),
        references=(REFERENCE, _KUZ, _LALEH, _JOINT, _IWATA),
        tumour_state="T",
        notes=(
            "Start patients with pretreatment_state(model, patient) after link_patient: it sets the line effect "
            "on f_res, splits the clones, starts E at its untreated steady state and sets k0.",
        ),
    )


def _rates(model: Model, n0: float) -> tuple[float, float]:
    """Untreated steady state of ``E`` and the immune kill per tumour cell there, for a tumour of ``n0`` cells."""
    cm = model.compile()
    rhs = cm.rhs(np)
    iE, iT, iR = cm.state_index("E"), cm.state_index("T"), cm.state_index("R")
    y = np.asarray(cm.y0, dtype=float).copy()
    y[iT], y[iR] = float(n0), 0.0
    p = np.asarray(cm.p0, dtype=float).copy()
    p[cm.param_index("g")] = 0.0
    p[cm.param_index("k0")] = 0.0
    y0, y1 = y.copy(), y.copy()
    y0[iE], y1[iE] = 0.0, 1.0
    f0 = np.asarray(rhs(0.0, y0, p))
    f1 = np.asarray(rhs(0.0, y1, p))
    loss = f0[iE] - f1[iE]
    if not (loss > 0 and math.isfinite(f0[iE])):
        raise ModelSpecError(f"{model.id}: effector equation has no stable steady state (loss {loss!r})")
    e_ss = f0[iE] / loss
    y1[iE] = e_ss
    kill_per_cell = -float(np.asarray(rhs(0.0, y1, p))[iT]) / float(n0)
    return float(e_ss), max(kill_per_cell, 0.0)


def line_factor_applies(patient: Any) -> bool:
    """Whether the patient had one or more earlier lines (the ``m_line`` effect)."""
    return patient is not None and int(getattr(patient, "prior_lines", 0) or 0) >= 1


def pretreatment_state(model: Model, patient: Any = None) -> Model:
    """Line effect on ``f_res``, split into clones, ``E`` at its untreated steady state, ``k0`` set.

    Parameters
    ----------
    model : Model
        This model after :func:`~oncoimmune.patients.link.link_patient`.
    patient : VirtualPatient, optional
        For the line-of-therapy effect (none: first line).
    """
    n0 = model.state("T").initial + model.state("R").initial
    f = model.parameter("f_res").value
    if line_factor_applies(patient):
        f = min(1.0, f * model.parameter("m_line").value)
        model = model.with_parameters(
            {"k_kill": model.parameter("k_kill").value * model.parameter("k_line").value, "k_line": 1.0}
        )
    e_ss, k0 = _rates(model, n0)
    return model.with_parameters({"f_res": f, "k0": k0}).with_initial(
        {"T": (1.0 - f) * n0, "R": f * n0, "E": e_ss}
    )


HOOKS = MappingProxyType({"pretreatment_state": pretreatment_state})


def describe_calibration() -> dict[str, Any]:
    """The calibrated hyperparameters as plain data (for reports)."""
    return {k: {"median": v[0], "cv": v[1]} for k, v in CALIBRATED.items()}
