r"""Stein et al. (2019): cellular kinetics of tisagenlecleucel (CD19 CAR-T) in paediatric B-ALL.

The population model fitted to transgene levels (qPCR, copies per microgram
of genomic DNA) of 90 patients of ELIANA and ENSIGN: exponential expansion
up to ``Tmax``, then a biphasic contraction in which effector cells decline
fast (``alpha``) and a fraction ``FB`` of the peak persists as memory-like
cells that decline slowly (``beta``).

Written as the paper's two-compartment ODE model (effector ``E``, memory
``M``), with time ``t`` in days after the infusion:

.. math::

    \frac{dE}{dt} &= \rho E \;\; (t < T_{max}), \qquad
    \frac{dE}{dt} = -\alpha E \;\; (t \ge T_{max}) \\
    \frac{dM}{dt} &= k E - \beta M \;\; (t \ge T_{max}), \qquad
    \rho = \frac{\ln(\mathrm{foldx})}{T_{max}}, \quad k = F_B (\alpha - \beta)

with ``E(0) = 1`` and ``M(0) = 0``. The states are measured in units of the
post-infusion baseline ``R0 = Cmax/foldx`` (so every published parameter,
``Cmax`` included, stays a parameter that between-patient variability can
act on); the observable ``transgene = R0 (E + M)`` is the qPCR level in
copies/ug. The analytical solution is

.. math::

    C(t) = \frac{C_{max}}{\mathrm{foldx}} e^{\rho t} \;\; (t < T_{max}), \qquad
    C(t) = C_{max}\left[(1 - F_B) e^{-\alpha (t - T_{max})} + F_B e^{-\beta (t - T_{max})}\right]
    \;\; (t \ge T_{max}).

The switch at ``Tmax`` is an exact discontinuity of the right-hand side,
written with the expression language's ``step`` and the time ``t``
(observable ``expansion_phase = step(Tmax - t)``), so the model needs no
events, stays correct when ``Tmax`` varies between patients, and composes
with other models (use ``transgene`` in their rate laws). Conversion to
memory (``k E``) is taken out of ``E``'s total decline ``alpha E``: the
effector pool loses ``(alpha - k) E`` to death and ``k E`` to the memory
pool, so ``dE/dt = -alpha E`` as in the paper and cells are conserved in the
conversion. The model requires ``alpha > beta`` (typical ratio 50).

Names: so that the model composes with tumour-immune models (which use
``E``, ``alpha``, ``beta``, ``rho``), the paper's ``E``, ``M``, ``alpha``,
``beta`` and ``rho`` are called ``CAR_E``, ``CAR_M``, ``alpha_CK``,
``beta_CK`` and ``rho_CK`` here (CK: cellular kinetics); ``foldx``,
``Tmax``, ``Cmax`` and ``FB`` keep the paper's names.

Parameters (typical values, Stein et al. 2019 Table 1)
------------------------------------------------------
=========  =========  ==========  =========  ==================================================
name       value      units       IIV ω²     meaning
=========  =========  ==========  =========  ==================================================
foldx      3900       1           2.4        fold expansion from the baseline R0 to Cmax
Tmax       9.3        day         0.38       time of the peak
Cmax       24000      copies/ug   0.65       peak transgene level
alpha_CK   0.16       1/day       0.91       rapid contraction rate (effector decline), paper α
FB         0.0079     1           0.8        fraction of the peak that persists (memory-like)
beta_CK    0.0032     1/day       0.86       slow (persistence) decline rate, paper β
=========  =========  ==========  =========  ==================================================

Derived: ``rho_CK = ln(3900)/9.3 = 0.889 /day`` (doubling time 0.78 d),
fast half-life ``ln 2/alpha = 4.3 d``, slow half-life ``ln 2/beta = 217 d``
(the paper quotes about 220 d), ``R0 = 6.15 copies/ug``. Between-patient
variability is log-normal with the Table 1 variances ω² on the log scale
(coefficient of variation ``sqrt(exp(ω²) - 1)``). Not implemented: the
tocilizumab and corticosteroid factors on ``rho`` (Table 1, ``Ftoci = 1.2``,
``Fster = 1.0``; the paper found no effect) and the residual error.

Roles: :data:`~oncoimmune.library.barros2021_cartmath.CART_EXPANSION`,
``effector_death``, :data:`~oncoimmune.library.barros2021_cartmath.MEMORY_FORMATION`
and :data:`~oncoimmune.library.barros2021_cartmath.MEMORY_DEATH`.

References
----------
.. [1] Stein AM, Grupp SA, Levine JE, Laetsch TW, Pulsipher MA, Boyer MW,
   et al. (2019). Tisagenlecleucel model-based cellular kinetic analysis of
   chimeric antigen receptor-T cells. CPT Pharmacometrics Syst Pharmacol
   8(5):285-295. doi:10.1002/psp4.12388. Fig. 2 (model), Table 1
   (estimates), Discussion (half-lives).
.. [2] nlmixr2lib model ``Stein_2019_Tisagenlecleucel`` and its vignette:
   an independent transcription of Table 1 and Fig. 2 (used to check the
   values here).
"""

from __future__ import annotations

import math

from ..biology import roles
from ..model import Distribution, Model, Observable, Parameter, Source, State, Sym, Term, log, step
from .barros2021_cartmath import CART_EXPANSION, MEMORY_DEATH, MEMORY_FORMATION

__all__ = ["ID", "TITLE", "REFERENCE", "DEFAULT_DAYS", "OMEGA2", "build"]

ID = "stein2019_tisagenlecleucel"
TITLE = "Stein et al. 2019: tisagenlecleucel cellular kinetics (expansion, biphasic contraction)"
REFERENCE = Source(
    citation="Stein AM, Grupp SA, Levine JE, et al. (2019). Tisagenlecleucel model-based cellular kinetic "
    "analysis of chimeric antigen receptor-T cells. CPT Pharmacometrics Syst Pharmacol 8:285-295",
    location="Fig. 2 (model), Table 1 (population estimates)",
    doi="10.1002/psp4.12388",
)
DEFAULT_DAYS = 365.0

_CIT = "Stein et al. 2019, CPT Pharmacometrics Syst Pharmacol 8:285"
_DOI = "10.1002/psp4.12388"
_NOTE = "typical value; checked against the nlmixr2lib transcription of Table 1"

#: Between-patient variances on the log scale (Table 1, random effects).
OMEGA2 = {"foldx": 2.4, "Tmax": 0.38, "Cmax": 0.65, "alpha_CK": 0.91, "FB": 0.8, "beta_CK": 0.86}


#: our name -> the paper's symbol where they differ (suffix _CK, "cellular kinetics": no clash on compose)
_PAPER = {"alpha_CK": "alpha", "beta_CK": "beta", "rho_CK": "rho", "CAR_E": "E", "CAR_M": "M"}


def _iiv(name: str) -> Distribution:
    w2 = OMEGA2[name]
    return Distribution(
        kind="lognormal",
        cv=math.sqrt(math.expm1(w2)),
        source=Source(
            _CIT,
            f"Table 1, random effect of {_PAPER.get(name, name)} (omega^2 = {w2} on the log scale)",
            _DOI,
        ),
    )


def _param(name: str, value: float, units: str, desc: str, bounds=(0.0, math.inf)) -> Parameter:
    return Parameter(
        name,
        value,
        units,
        desc,
        Source(_CIT, "Table 1", _DOI, _NOTE),
        bounds=bounds,
        distribution=_iiv(name),
    )


def build() -> Model:
    """The Stein 2019 cellular-kinetic model with the Table 1 typical values (and their variability)."""
    E, M, t = Sym("CAR_E"), Sym("CAR_M"), Sym("t")
    foldx, Tmax, Cmax, alpha, FB, beta = (
        Sym(n) for n in ("foldx", "Tmax", "Cmax", "alpha_CK", "FB", "beta_CK")
    )
    rho, k, phase = Sym("rho_CK"), Sym("k_memory"), Sym("expansion_phase")
    params = (
        _param(
            "foldx",
            3900.0,
            "1",
            "fold expansion from the post-infusion baseline to the peak",
            (1.0, math.inf),
        ),
        _param("Tmax", 9.3, "day", "time of the peak transgene level"),
        _param("Cmax", 24000.0, "copies/ug", "peak transgene level (qPCR, copies per ug genomic DNA)"),
        _param("alpha_CK", 0.16, "1/day", "rapid contraction rate of effector CAR-T cells"),
        _param("FB", 0.0079, "1", "fraction of the peak that persists as memory-like cells", (0.0, 1.0)),
        _param("beta_CK", 0.0032, "1/day", "slow decline rate of the persisting (memory-like) cells"),
    )
    states = (
        State(
            "CAR_E", 1.0, "R0", "effector CAR-T cells, in units of the post-infusion baseline R0 = Cmax/foldx"
        ),
        State("CAR_M", 0.0, "R0", "memory-like persisting CAR-T cells, in units of R0 = Cmax/foldx"),
    )
    observables = (
        Observable("rho_CK", log(foldx) / Tmax, "1/day", "expansion rate ln(foldx)/Tmax"),
        Observable(
            "k_memory", FB * (alpha - beta), "1/day", "effector-to-memory conversion rate FB*(alpha - beta)"
        ),
        Observable(
            "expansion_phase",
            step(Tmax - t),
            "1",
            "1 while t < Tmax (expansion), 0 from Tmax on (contraction): an exact switch",
        ),
        Observable("transgene", Cmax / foldx * (E + M), "copies/ug", "CAR transgene level in blood (qPCR)"),
    )
    terms = (
        Term(
            "expansion",
            rho * E * phase,
            {"CAR_E": 1},
            "effector CAR-T cells expand exponentially until Tmax",
            {CART_EXPANSION},
        ),
        Term(
            "contraction",
            (alpha - k) * E * (1 - phase),
            {"CAR_E": -1},
            "after Tmax effector cells die (rapid contraction)",
            {roles.EFFECTOR_DEATH},
        ),
        Term(
            "memory_formation",
            k * E * (1 - phase),
            {"CAR_E": -1, "CAR_M": 1},
            "after Tmax a fraction of effector cells becomes long-lived memory-like cells",
            {MEMORY_FORMATION},
        ),
        Term("memory_decline", beta * M, {"CAR_M": -1}, "memory-like cells decline slowly", {MEMORY_DEATH}),
    )
    return Model(
        id=ID,
        title=TITLE,
        states=states,
        parameters=params,
        terms=terms,
        observables=observables,
        description=(
            "Population cellular-kinetic model of tisagenlecleucel in paediatric and young-adult B-ALL "
            "(ELIANA and ENSIGN): after the infusion the CAR transgene expands exponentially up to Tmax, "
            "then contracts fast while a small memory-like fraction persists and declines slowly. States "
            "are in units "
            "of the post-infusion baseline R0 = Cmax/foldx; the observable 'transgene' is in copies/ug."
        ),
        references=(
            REFERENCE,
            Source(
                "nlmixr2lib, model Stein_2019_Tisagenlecleucel "
                "(independent transcription of Table 1 and Fig. 2)",
                "inst/modeldb/specificDrugs/Stein_2019_Tisagenlecleucel.R",
            ),
        ),
        tumour_state=None,
        notes=(
            "The switch at Tmax is step(Tmax - t): exact in the equations and valid for any Tmax.",
            "Not implemented: tocilizumab/corticosteroid factors on rho (Table 1; no effect found) "
            "and the residual error.",
            "Requires alpha > beta (memory conversion rate FB*(alpha - beta) >= 0).",
        ),
    )
