r"""Clinical NSCLC tumour-immune model for virtual trials (KEYNOTE-024), calibrated.

A reduced effector model in the clinical scale of a measurable human tumour
(1e10-1e12 cells), built so that the covariate link
(:mod:`oncoimmune.patients.link`), the escape mechanisms
(:mod:`oncoimmune.biology.escape`), the PD-1 blockers and the platinum-doublet
chemotherapy of the therapy catalogue act on it by role, without knowing its
equations. Time in days.

.. math::

    \frac{dT}{dt} &= g\,T - k\,E\,T \qquad \text{(chemotherapy-sensitive clone; the tumour state)} \\
    \frac{dR}{dt} &= g\,R - k\,E\,R \qquad \text{(chemotherapy-resistant clone)} \\
    \frac{dE}{dt} &= d_E\,(1 - f_L) + d_E\,r\,\phi\,(1-a)\,\frac{N}{h + N} - d_E\,E \\
    \frac{d\Lambda}{dt} &= \lambda_{NL} \left(\frac{N}{N_{ref}}\right)^{2/3}, \qquad N = T + R

with ``kill`` terms ``k E T`` and ``k E R`` multiplied by the PD-L1 brake
``phi = 1/(1 + q (1 - theta))`` and by ``1 - a`` (antigen loss), the
``recruitment`` term multiplied by the same two factors, and the
``effector_supply`` term ``d_E`` multiplied by ``1 - f_L`` (lymphopenia): the
three linked escape mechanisms, each set from a patient covariate by
:func:`~oncoimmune.patients.link.link_patient` (TPS -> ``q``, TMB -> ``a``,
lymphocyte count -> ``f_L``). Pembrolizumab's receptor occupancy ``theta``
(two-compartment popPK, Ahamadi 2017; occupancy ``C/(C + IC50)``) releases
the brake. Carboplatin + paclitaxel (catalogue
:func:`~oncoimmune.therapy.chemotherapy.chemotherapy`, de Pillis 2009 pulsed
saturating kill) kills the tumour state ``T`` and the effectors ``E``; the
clone ``R`` is resistant, so the tumour regrows from it after the cycles end
(a two-population chemotherapy model with pre-existing resistance, as in the
biexponential tumour-growth-inhibition models of Stein et al. 2008).

States
------
=====  =====  ================================================================
name   units  meaning
=====  =====  ================================================================
T      cells  chemotherapy-sensitive tumour cells (``tumour_state``)
R      cells  chemotherapy-resistant tumour cells
E      1      tumour-reactive effector activity, 1 = healthy homeostatic level
NL     1      cumulative hazard of an unequivocal new lesion (RECIST PD)
=====  =====  ================================================================

Observables: ``tumour_cells = T + R`` (what RECIST and the death rule read:
the runner takes an observable of that name in preference to the tumour
state) and ``tumour_diameter`` (mm, one sphere holding all tumour cells).

Parameters
----------
==============  ==============  =======================================  ==========================================
name            value           meaning                                  source
==============  ==============  =======================================  ==========================================
g               see CALIBRATED  tumour growth rate (lognormal)           Laleh 2022 lesions, step A of calibration
k_kill          see CALIBRATED  kill rate per unit effector (lognormal)  calibrated to KEYNOTE-024 (step B)
d_E             0.0412 /d       effector death (turnover) rate           Kuznetsov 1994 (d)
r_rec           see CALIBRATED  tumour-driven / homeostatic supply       calibrated (step B)
h_rec           2.019e7 cells   tumour size of half-maximal recruitment  Kuznetsov 1994 (g)
f_res           see CALIBRATED  chemo-resistant fraction at baseline     calibrated (step B)
nl_rate         see CALIBRATED  new-lesion hazard at 1e11 cells          calibrated (step B)
nl_ref          1e11 cells      reference burden of the hazard           assumption (about 6 cm sphere)
nl_exponent     2/3             exponent of the emission law             Iwata 2000 (alpha = 0.663)
==============  ==============  =======================================  ==========================================

The between-patient distributions (lognormal medians and coefficients of
variation) of ``g``, ``k_kill``, ``r_rec`` and ``f_res`` and the value of
``nl_rate`` are the population hyperparameters fitted by
:mod:`oncoimmune.trials.calibration` (see ``docs/keynote024.md``); they are
collected in :data:`CALIBRATED`.

Pre-treatment state
-------------------
:func:`pretreatment_state` (called by the trial runner after
:func:`~oncoimmune.patients.link.link_patient`) splits the patient's tumour
cells into the clones, ``T = (1 - f_res) N0`` and ``R = f_res N0``, and starts
the effectors at their steady state under the patient's own brake, antigen
loss and lymphopenia, so that nothing moves at ``t = 0`` except by treatment.

New lesions
-----------
Metastases are emitted at a rate proportional to ``N^alpha`` (Iwata et al.
2000); here the hazard of an unequivocal new lesion on imaging is taken as
``nl_rate (N / nl_ref)^(2/3)`` (immediate visibility is an assumption). The
state ``NL`` integrates it; the runner draws one unit-exponential threshold
per patient from the patient's ``events`` stream and records a new lesion (PD)
at the first scan at which ``NL`` has passed it.

References
----------
.. [1] Kuznetsov VA, Makalkin IA, Taylor MA, Perelson AS (1994). Nonlinear
   dynamics of immunogenic tumors: parameter estimation and global
   bifurcation analysis. Bull Math Biol 56:295-321. doi:10.1007/BF02460644
.. [2] Ghaffari Laleh N, Loeffler CML, Grajek J, et al. (2022). Classical
   mathematical models for prediction of response to chemotherapy and
   immunotherapy. PLoS Comput Biol 18(2):e1009822.
   doi:10.1371/journal.pcbi.1009822 (lesion data as packaged by TumorGrowth.jl,
   MIT licence)
.. [3] Stein WD, Figg WD, Dahut W, et al. (2008). Tumor growth rates derived
   from data for patients in a clinical trial correlate strongly with patient
   survival. Oncologist 13:1046-1054. doi:10.1634/theoncologist.2008-0075
.. [4] Iwata K, Kawasaki K, Shigesada N (2000). A dynamical model for the
   growth and size distribution of multiple metastatic tumors. J Theor Biol
   203:177-186. doi:10.1006/jtbi.2000.1075
.. [5] Reck M, Rodriguez-Abreu D, Robinson AG, et al. (2016). Pembrolizumab
   versus chemotherapy for PD-L1-positive non-small-cell lung cancer. N Engl J
   Med 375:1823-1833. doi:10.1056/NEJMoa1606774
.. [6] Lai X, Friedman A (2017). PLoS ONE 12:e0178479 (PD-1-PD-L1 brake).
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

ID = "nsclc_tgi_immune"
TITLE = (
    "Clinical NSCLC tumour-immune model: two chemo-sensitivity clones, a braked effector pool, new lesions"
)
REFERENCE = Source(
    citation="oncoimmune clinical NSCLC model (this package), calibrated to Laleh et al. 2022 lesion kinetics "
    "and the KEYNOTE-024 PFS curves (Reck et al. 2016) by oncoimmune.trials.calibration",
    location="docs/keynote024.md",
)

#: Name of the observable holding all tumour cells (read by the trial runner).
BURDEN = "tumour_cells"
#: Name of the state integrating the new-lesion hazard (read by the trial runner).
NEW_LESION_STATE = "NL"

#: Population hyperparameters fitted by :mod:`oncoimmune.trials.calibration`
#: (step A: ``g`` from the Laleh 2022 docetaxel-arm lesions; step B: the rest,
#: to the KEYNOTE-024 PFS curves of both arms and the two response rates).
#: Each entry: (median, coefficient of variation); ``nl_rate`` and
#: ``chemo_units`` are single values (cv 0).
CALIBRATED: dict[str, tuple[float, float]] = {
    "g": (0.00937, 1.473),  # step A: DerSimonian-Laird pooling of 74 docetaxel-arm lesions
    "k_kill": (0.003092, 0.1703),  # step B
    "r_rec": (18.68, 0.5),  # step B (median); cv 0.5 assumed, not fitted
    "f_res": (0.4609, 2.103),  # step B
    "nl_rate": (0.0009038, 0.0),  # step B
    "chemo_units": (0.5706, 0.0),  # step B; used in examples/keynote024.toml
}

_KUZ = Source(
    citation="Kuznetsov VA, Makalkin IA, Taylor MA, Perelson AS (1994). Bull Math Biol 56:295-321",
    location="Section 3, parameter estimates (d = 0.0412 /day; g = 2.019e7 cells)",
    doi="10.1007/BF02460644",
)
_LALEH = Source(
    citation="Ghaffari Laleh N et al. (2022). Classical mathematical models for prediction of response to "
    "chemotherapy and immunotherapy. PLoS Comput Biol 18:e1009822 (lesion data via TumorGrowth.jl, MIT)",
    location="docetaxel arms (POPLAR Study_2_Arm_1, OAK Study_4_Arm_1): per-lesion biexponential fits",
    doi="10.1371/journal.pcbi.1009822",
    note="calibrated to the Laleh 2022 docetaxel-arm lesion trajectories by trials/calibration.py (step A): "
    "median and spread of the regrowth rate of the resistant component",
)
_KN024 = Source(
    citation="Reck M et al. (2016). N Engl J Med 375:1823-1833 (KEYNOTE-024); reconstructed patient-level PFS "
    "(R package kmdata, Robert Redd, MIT)",
    location="Figure 1A (PFS, both arms) and the response rates 44.8 % / 27.8 %",
    doi="10.1056/NEJMoa1606774",
    note="calibrated to the KEYNOTE-024 PFS Kaplan-Meier curves of both arms and the two objective response "
    "rates by trials/calibration.py (step B); OS and the PFS hazard ratio were not fitted",
)
_IWATA = Source(
    citation="Iwata K, Kawasaki K, Shigesada N (2000). A dynamical model for the growth and size distribution "
    "of multiple metastatic tumors. J Theor Biol 203:177-186",
    location="colonisation rate beta * x^alpha with alpha = 0.663 (fractal dimension of the vasculature)",
    doi="10.1006/jtbi.2000.1075",
    note="alpha rounded to 2/3; using the emission law as the hazard of a visible new lesion is an assumption",
)
_ASSUMED_CV = Source(
    citation="oncoimmune assumption",
    note="between-patient coefficient of variation 0.5 assumed, not fitted (the median is calibrated to "
    "KEYNOTE-024 by trials/calibration.py, step B)",
)
_ASSUMED_REF = Source(
    citation="oncoimmune assumption",
    note="reference burden 1e11 cells (a 5.8 cm sphere, about the median KEYNOTE-024-like baseline SLD); "
    "only scales nl_rate",
)


def _lognormal(cv: float, source: Source) -> Distribution:
    return Distribution("lognormal", cv=cv, source=source) if cv > 0 else Distribution()


def build(calibrated: dict[str, tuple[float, float]] | None = None) -> Model:
    """The model with the calibrated population hyperparameters (or ``calibrated`` overrides).

    Parameters
    ----------
    calibrated : mapping, optional
        ``{name: (median, cv)}`` replacing entries of :data:`CALIBRATED`
        (used by the calibration itself).
    """
    cal = dict(CALIBRATED)
    for k, v in (calibrated or {}).items():
        if k not in cal:
            raise ModelSpecError(f"{ID}: unknown calibrated hyperparameter {k!r}; known: {', '.join(cal)}")
        cal[k] = (float(v[0]), float(v[1]))
    T, R, E = Sym("T"), Sym("R"), Sym("E")
    g, k, dE, r, h = (Sym(x) for x in ("g", "k_kill", "d_E", "r_rec", "h_rec"))
    lam, nref, alpha = Sym("nl_rate"), Sym("nl_ref"), Sym("nl_exponent")
    N = T + R
    params = (
        Parameter(
            "g",
            cal["g"][0],
            "1/day",
            "tumour growth rate (volume, both clones)",
            _LALEH,
            bounds=(0.0, 0.2),
            distribution=_lognormal(cal["g"][1], _LALEH),
        ),
        Parameter(
            "k_kill",
            cal["k_kill"][0],
            "1/day",
            "tumour-cell kill rate per unit effector activity",
            _KN024,
            bounds=(0.0, 5.0),
            distribution=_lognormal(cal["k_kill"][1], _KN024),
        ),
        Parameter("d_E", 0.0412, "1/day", "effector death (turnover) rate", _KUZ, bounds=(1e-6, 10.0)),
        Parameter(
            "r_rec",
            cal["r_rec"][0],
            "1",
            "maximal tumour-driven effector recruitment relative to the homeostatic supply",
            _KN024,
            bounds=(0.0, 100.0),
            distribution=_lognormal(cal["r_rec"][1], _ASSUMED_CV),
        ),
        Parameter(
            "h_rec",
            2.019e7,
            "cells",
            "tumour size giving half-maximal effector recruitment",
            _KUZ,
            bounds=(1.0, math.inf),
        ),
        Parameter(
            "f_res",
            cal["f_res"][0],
            "1",
            "fraction of the baseline tumour resistant to chemotherapy",
            _KN024,
            bounds=(0.0, 1.0),
            distribution=_lognormal(cal["f_res"][1], _KN024),
        ),
        Parameter(
            "nl_rate",
            cal["nl_rate"][0],
            "1/day",
            "hazard of a new lesion at the reference burden",
            _KN024,
            bounds=(0.0, 1.0),
        ),
        Parameter(
            "nl_ref",
            1.0e11,
            "cells",
            "reference tumour burden of the new-lesion hazard",
            _ASSUMED_REF,
            bounds=(1.0, math.inf),
        ),
        Parameter(
            "nl_exponent",
            2.0 / 3.0,
            "1",
            "exponent of the new-lesion (metastatic emission) law",
            _IWATA,
            bounds=(0.0, 2.0),
        ),
    )
    states = (
        State("T", 1.0e11, "cells", "chemotherapy-sensitive tumour cells"),
        State("R", 0.0, "cells", "chemotherapy-resistant tumour cells"),
        State("E", 1.0, "1", "tumour-reactive effector activity (1 = healthy homeostatic level)"),
        State(NEW_LESION_STATE, 0.0, "1", "cumulative hazard of an unequivocal new lesion"),
    )
    terms = (
        Term("growth_T", g * T, {"T": 1}, "sensitive tumour cells proliferate", {roles.TUMOUR_GROWTH}),
        Term("growth_R", g * R, {"R": 1}, "resistant tumour cells proliferate", {roles.TUMOUR_GROWTH}),
        Term("kill_T", k * E * T, {"T": -1}, "effectors kill sensitive tumour cells", {roles.KILL}),
        Term("kill_R", k * E * R, {"R": -1}, "effectors kill resistant tumour cells", {roles.KILL}),
        Term(
            "effector_supply",
            dE,
            {"E": 1},
            "homeostatic supply of effector activity",
            {roles.EFFECTOR_SUPPLY},
        ),
        Term(
            "effector_recruitment",
            dE * r * N / (h + N),
            {"E": 1},
            "tumour antigen drives priming and recruitment of effectors, saturating in tumour size",
            {roles.RECRUITMENT},
        ),
        Term("effector_death", dE * E, {"E": -1}, "effector activity decays", {roles.EFFECTOR_DEATH}),
        Term(
            "new_lesion_hazard",
            lam * (positive(N) / nref) ** alpha,
            {NEW_LESION_STATE: 1},
            "hazard of a new visible lesion grows with the tumour burden (metastatic emission)",
            {"new_lesion"},
        ),
    )
    obs = (
        Observable(BURDEN, N, "cells", "all tumour cells (sensitive + resistant)"),
        tumour_diameter_mm(BURDEN),
    )
    return Model(
        id=ID,
        title=TITLE,
        states=states,
        parameters=params,
        terms=terms,
        observables=obs,
        description=(
            "Clinical-scale NSCLC tumour (two clones differing in chemotherapy sensitivity) growing "
            "exponentially and killed by a tumour-reactive effector pool whose recruitment and killing the "
            "PD-L1 brake slows; anti-PD-1 releases the brake. Carries a new-lesion hazard for RECIST. "
            "Population hyperparameters calibrated to Laleh 2022 lesion kinetics and KEYNOTE-024 PFS."
        ),
        references=(REFERENCE, _KUZ, _LALEH, _KN024, _IWATA),
        tumour_state="T",
        notes=(
            (
                "Start patients with pretreatment_state(model) after link_patient: it splits the tumour into "
                "the two clones and starts E at its untreated steady state."
            ),
            "Population hyperparameters are fitted, not measured (see oncoimmune.trials.calibration).",
        ),
    )


def effector_steady_state(model: Model, tumour_cells: float) -> float:
    """Untreated steady state of ``E`` for a tumour of ``tumour_cells`` held fixed.

    ``dE/dt`` is linear in ``E`` for this model (whatever escape factors
    scale its terms), so the steady state is ``f(0) / (f(0) - f(1))`` with
    ``f(E) = dE/dt`` evaluated by the compiled model at ``t = 0`` with the
    model's own parameter values (no drug).
    """
    cm = model.compile()
    i_e = cm.state_index("E")
    de = cm.derivative("E")  # the E equation alone (its evaluator is cached per model structure)
    y = np.asarray(cm.y0, dtype=float).copy()
    y[cm.state_index("T")] = float(tumour_cells)
    y[cm.state_index("R")] = 0.0
    y0, y1 = y.copy(), y.copy()
    y0[i_e], y1[i_e] = 0.0, 1.0
    f0 = float(np.asarray(de(0.0, y0, cm.p0))[0])
    f1 = float(np.asarray(de(0.0, y1, cm.p0))[0])
    loss = f0 - f1
    if not (loss > 0 and math.isfinite(f0)):
        raise ModelSpecError(f"{model.id}: effector equation has no stable steady state (loss {loss!r})")
    return f0 / loss


def pretreatment_state(model: Model, patient: Any = None) -> Model:
    """Split the linked tumour into the two clones and start ``E`` at its untreated steady state.

    Parameters
    ----------
    model : Model
        This library model after :func:`~oncoimmune.patients.link.link_patient`
        (its ``T`` holds all of the patient's tumour cells, ``R`` is 0).
    patient : VirtualPatient, optional
        Not used (the trial runner's hook contract passes the patient to every
        library's ``pretreatment_state``; this model has no covariate effect here).

    Returns
    -------
    Model
        ``T = (1 - f_res) N0``, ``R = f_res N0``, ``E`` at steady state.
    """
    n0 = model.state("T").initial + model.state("R").initial
    f = model.parameter("f_res").value
    e_ss = effector_steady_state(model, n0)
    return model.with_initial({"T": (1.0 - f) * n0, "R": f * n0, "E": e_ss})


HOOKS = MappingProxyType({"pretreatment_state": pretreatment_state})


def describe_calibration() -> dict[str, Any]:
    """The calibrated hyperparameters as plain data (for reports)."""
    return {k: {"median": v[0], "cv": v[1]} for k, v in CALIBRATED.items()}
