r"""Nikolopoulou, Johnson, Harris, Nagy, Stites & Kuang (2018): tumour, T cells and anti-PD-1.

A reduction of the Lai & Friedman (2017) PD-1/PD-L1 model to three
densities (g/cm^3), time in days: cancer cells ``C``, activated T cells ``T``
and the anti-PD-1 antibody ``A``:

.. math::

    \frac{dC}{dt} &= \lambda_C C \left(1 - \frac{C}{C_K}\right) - \eta T C \\
    \frac{dT}{dt} &= F(Q)\left[\lambda_{TI_{12}} T_N \frac{I_{12}}{K_{I_{12}} + I_{12}}
                     + \lambda_{TI_2} T \frac{I_2}{K_{I_2} + I_2}\right] - d_T T \\
    \frac{dA}{dt} &= \gamma_A - \mu_{PA} P A - d_A A

with the unbound PD-1 ``P``, the PD-1/PD-L1 complex ``Q`` and the checkpoint
inhibition factor ``F(Q)`` in quasi-steady state:

.. math::

    P = \max\big((\rho_P - \gamma A)\, T,\ 0\big), \qquad
    Q = \sigma \rho_L P (T + \varepsilon_C C), \qquad
    F(Q) = \frac{1}{1 + Q/K_{TQ}} .

The cytokines are frozen at their half-saturation levels (``I12 = K_I12``,
``I2 = K_I2``), so each saturating factor equals 1/2. ``gamma_A`` is a
constant anti-PD-1 input (g/cm^3/day, default 0 = untreated); a dosing
schedule can switch it with ``Event(kind="parameter", target="gamma_A", ...)``.

Behaviour (untreated, published parameters): a stable tumour-free state with
``T* = 0.10056``; two tumorous states, a saddle at ``C* = 0.0721,
T* = 6.78e-3`` and a stable state at ``C* = 0.6415, T* = 1.957e-3``
(bistability); from the BioModels initial condition the tumour settles at
``C = 0.6414`` by day 300. A constant anti-PD-1 input clears that tumour within
two years only above ``gamma_A = 2.763e-8`` g/cm^3/day (a saddle-node of the
tumorous states; at ``2e-8`` the tumour stays at ``C = 0.53``): anti-PD-1 alone
is a weak lever, as the paper concludes. (The project's validation catalogue
quotes 2.86e-8; this implementation and libroadrunner on the BioModels file
both give 2.763e-8.)

Known artefact and the ``exhaustion`` variant
---------------------------------------------
With the IL-2 level frozen, IL-2-driven proliferation (``lambda_TI2/2 =
0.25``/day) exceeds T-cell death (``d_T = 0.025``/day) at every density, and
the only brake on T-cell expansion is PD-1 signalling through ``F(Q)``. Under
full blockade (``P -> 0``, so ``F = 1``) the T-cell density grows without
bound, exponentially at ``0.225``/day: the reduced model has no resource or
exhaustion limit on the effector pool. In the parent Lai-Friedman model part
of this limitation came from IL-2 consumption, which the reduction removes.

``build(exhaustion=True)`` adds one term and one parameter, and changes
nothing else:

.. math::

    \text{exhaustion} = F(Q)\, \lambda_{TI_2} T \frac{I_2}{K_{I_2}+I_2}\,
                        \frac{T}{T_{\max}}
    \quad(\text{removed from } T)

so the net IL-2-driven expansion becomes logistic,
``F(Q) lambda_TI2 T/2 (1 - T/T_max)``. Reading: under chronic stimulation a
growing fraction ``T/T_max`` of the progeny of IL-2-driven divisions is
terminally exhausted and leaves the functional effector pool. Terminal
exhaustion is driven by chronic stimulation through several inhibitory
receptors besides PD-1 and is epigenetically fixed, so PD-1 blockade
reinvigorates exhausted T cells only transiently and partially (Wherry 2011;
Pauken et al. 2016): blocking PD-1 must not lift every limit on the effector
pool. ``T_max = 1 g/cm^3`` is the density of packed tissue (about 1e9 cells
per cm^3, Del Monte 2009), i.e. the loosest physical bound, not a fitted
value. Since ``F <= 1``, ``dT/dt <= a_0 + (lambda_TI2/2) T (1 - T/T_max) -
d_T T`` with ``a_0 = lambda_TI12 T_N/2``, so T stays below the positive root
of the right-hand side, ``0.9116 T_max``, for every anti-PD-1 input (reached
under full blockade). Because the new term is proportional to ``F``, it is
small when PD-1 signalling is intact (``F ~ 0.09`` at the tumour-free state):
the tumour-free ``T*`` moves from 0.1006 to 0.0959 (-4.6 %), the tumorous
equilibria by less than 0.3 % and the clearance threshold by +0.13 %.

Parameters
----------
===========  ===============  ============================================================
name         value            meaning
===========  ===============  ============================================================
lambda_C     0.425 /d         cancer-cell growth rate
C_K          0.8725 g/cm^3    cancer-cell carrying capacity
eta          57.5 cm^3/(g d)  kill rate of cancer cells by T cells
lambda_TI12  8.81 /d          IL-12-driven activation of naive T cells
T_N          6e-4 g/cm^3      naive T-cell density
I12, K_I12   1.5e-10 g/cm^3   IL-12 level and half-saturation (ratio 1/2)
lambda_TI2   0.5 /d           IL-2-driven T-cell proliferation
I2, K_I2     2.37e-11 g/cm^3  IL-2 level and half-saturation (ratio 1/2)
d_T          0.025 /d         T-cell death rate
K_TQ         1.365e-18        PD-1/PD-L1 complex level halving T-cell activation
rho_P        5.84e-7          PD-1 per T cell (mass ratio)
rho_L        1.1615e-6        PD-L1 per cell (mass ratio)
epsilon_C    50.5             PD-L1 expression of cancer cells relative to T cells
sigma        0.002            PD-1/PD-L1 binding constant in the complex QSSA
gamma        10 cm^3/g        PD-1 blocked per unit anti-PD-1
mu_PA        1.05954e8        anti-PD-1 consumption by binding PD-1, cm^3/(g d)
d_A          0.7115 /d        anti-PD-1 clearance
gamma_A      0 g/(cm^3 d)     anti-PD-1 input (treatment; 0 = untreated)
===========  ===============  ============================================================

Notes
-----
The BioModels encoding MODEL1908270001 writes the anti-PD-1 source as the
rate law ``A`` (a self-amplifying term) instead of the input ``gamma_A``; its
parameter ``gamma_A = 1e-10`` is unused. With ``A(0) = 0`` both give the
untreated trajectory. This module uses the input ``gamma_A`` as in the paper's
equation for ``A``. The floor ``max(., 0)`` on ``P`` keeps the inhibition
factor finite when the antibody exceeds ``rho_P/gamma`` (full blockade); the
encoding has no floor (it never reaches that regime with ``A = 0``).

References
----------
.. [1] Nikolopoulou E, Johnson LR, Harris D, Nagy JD, Stites EC, Kuang Y
   (2018). Tumour-immune dynamics with an immune checkpoint inhibitor.
   Letters in Biomathematics 5(sup1):S137-S159.
   doi:10.1080/23737867.2018.1440978. Model equations and parameter table.
.. [2] BioModels MODEL1908270001 (SBML encoding; parameter values and the
   initial condition used here).
.. [3] Lai X, Friedman A (2017). Combination therapy of cancer with cancer
   vaccine and immune checkpoint inhibitors: a mathematical model. PLoS ONE
   12(5):e0178479. doi:10.1371/journal.pone.0178479 (parent model).
.. [4] Wherry EJ (2011). T cell exhaustion. Nat Immunol 12:492-499.
   doi:10.1038/ni.2035.
.. [5] Pauken KE, Sammons MA, Odorizzi PM, et al. (2016). Epigenetic stability
   of exhausted T cells limits durability of reinvigoration by PD-1 blockade.
   Science 354:1160-1165. doi:10.1126/science.aaf2807.
.. [6] Del Monte U (2009). Does the cell number 10^9 still really fit one gram
   of tumor tissue? Cell Cycle 8:505-506. doi:10.4161/cc.8.3.7608.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..biology import roles
from ..model import Model, Observable, Parameter, Source, State, Sym, Term, positive, symbols

ID = "nikolopoulou2018"
TITLE = "Nikolopoulou et al. 2018: tumour, T cells and anti-PD-1 (reduced Lai-Friedman model)"
DEFAULT_DAYS = 730.0
REFERENCE = Source(
    citation="Nikolopoulou E, Johnson LR, Harris D, Nagy JD, Stites EC, Kuang Y (2018). "
    "Tumour-immune dynamics with an immune checkpoint inhibitor. Lett Biomath 5(sup1):S137-S159",
    location="model equations and parameter table",
    doi="10.1080/23737867.2018.1440978",
)
_CIT = "Nikolopoulou et al. 2018, Lett Biomath 5:S137"
_DOI = "10.1080/23737867.2018.1440978"
_NOTE = "value as curated in BioModels MODEL1908270001"


def _src(note: str = _NOTE) -> Source:
    return Source(citation=_CIT, location="parameter table", doi=_DOI, note=note)


EXHAUSTION_SOURCE = Source(
    citation="Wherry EJ (2011) T cell exhaustion, Nat Immunol 12:492; Pauken KE et al. (2016) "
    "Science 354:1160; bound: Del Monte U (2009) Cell Cycle 8:505",
    location="rationale for the exhaustion term; T_max = density of packed tissue (1e9 cells ~ 1 g ~ 1 cm^3)",
    doi="10.1038/ni.2035",
    note="oncoimmune fix of the unbounded T-cell growth under full PD-1 blockade; "
    "T_max is a physical upper bound, not fitted",
)


def build(*, exhaustion: bool = False) -> Model:
    """The Nikolopoulou 2018 anti-PD-1 model with its published parameters.

    Parameters
    ----------
    exhaustion : bool, optional
        If ``True``, add the T-cell exhaustion term (module docstring) so the
        T-cell density stays bounded under full PD-1 blockade. The model id
        becomes ``"nikolopoulou2018_exhaustion"``. Default ``False`` (the
        published model).

    Returns
    -------
    Model
        States ``C``, ``T``, ``A`` (g/cm^3); initial condition of the BioModels
        encoding (``C = 0.3968``, ``T = 0.006``, ``A = 0``).
    """
    C, T, A = Sym("C"), Sym("T"), Sym("A")
    (
        lambda_C,
        C_K,
        eta,
        lambda_TI12,
        T_N,
        I12,
        K_I12,
        lambda_TI2,
        I2,
        K_I2,
        d_T,
        K_TQ,
        rho_P,
        rho_L,
        epsilon_C,
        sigma,
        gamma,
        mu_PA,
        d_A,
        gamma_A,
    ) = symbols(
        "lambda_C C_K eta lambda_TI12 T_N I12 K_I12 lambda_TI2 I2 K_I2 d_T K_TQ rho_P rho_L "
        "epsilon_C sigma gamma mu_PA d_A gamma_A"
    )
    P, Q, F = Sym("P"), Sym("Q"), Sym("F_Q")
    params = [
        Parameter("lambda_C", 0.425, "1/day", "growth rate of cancer cells", _src()),
        Parameter("C_K", 0.8725, "g/cm^3", "carrying capacity of cancer cells", _src()),
        Parameter("eta", 57.5, "cm^3/(g*day)", "rate at which T cells kill cancer cells", _src()),
        Parameter("lambda_TI12", 8.81, "1/day", "activation rate of naive T cells by IL-12", _src()),
        Parameter("T_N", 6.0e-4, "g/cm^3", "density of naive T cells", _src()),
        Parameter("I12", 1.5e-10, "g/cm^3", "IL-12 level (frozen in the reduced model)", _src()),
        Parameter("K_I12", 1.5e-10, "g/cm^3", "IL-12 half-saturation level", _src()),
        Parameter("lambda_TI2", 0.5, "1/day", "IL-2-driven proliferation rate of T cells", _src()),
        Parameter("I2", 2.37e-11, "g/cm^3", "IL-2 level (frozen in the reduced model)", _src()),
        Parameter("K_I2", 2.37e-11, "g/cm^3", "IL-2 half-saturation level", _src()),
        Parameter("d_T", 0.025, "1/day", "death rate of T cells", _src()),
        Parameter(
            "K_TQ", 1.365e-18, "(g/cm^3)^2", "PD-1/PD-L1 complex level that halves T-cell activation", _src()
        ),
        Parameter("rho_P", 5.84e-7, "1", "PD-1 per T cell (mass ratio)", _src()),
        Parameter("rho_L", 1.1615e-6, "1", "PD-L1 per T cell (mass ratio)", _src()),
        Parameter("epsilon_C", 50.5, "1", "PD-L1 expression of cancer cells relative to T cells", _src()),
        Parameter("sigma", 0.002, "1", "PD-1/PD-L1 association constant in the complex QSSA", _src()),
        Parameter("gamma", 10.0, "cm^3/g", "PD-1 blocked per unit of anti-PD-1", _src()),
        Parameter("mu_PA", 1.05954e8, "cm^3/(g*day)", "anti-PD-1 consumed by binding PD-1", _src()),
        Parameter("d_A", 0.7115, "1/day", "clearance rate of anti-PD-1", _src()),
        Parameter(
            "gamma_A",
            0.0,
            "g/(cm^3*day)",
            "anti-PD-1 input rate (treatment); 0 means untreated",
            _src("treatment input of the paper's anti-PD-1 equation; 0 = untreated (the BioModels IC)"),
        ),
    ]
    observables = [
        Observable("P", positive((rho_P - gamma * A) * T), "g/cm^3", "unbound PD-1 on T cells"),
        Observable("Q", sigma * rho_L * P * (T + epsilon_C * C), "(g/cm^3)^2", "PD-1/PD-L1 complex"),
        Observable("F_Q", 1 / (1 + Q / K_TQ), "1", "fraction of T-cell activation left by PD-1 signalling"),
    ]
    il12 = I12 / (K_I12 + I12)
    il2 = I2 / (K_I2 + I2)
    terms = [
        Term(
            "cancer_growth",
            lambda_C * C * (1 - C / C_K),
            {"C": 1},
            "cancer cells grow logistically",
            {roles.TUMOUR_GROWTH},
        ),
        Term("cancer_kill", eta * T * C, {"C": -1}, "T cells kill cancer cells on contact", {roles.KILL}),
        Term(
            "t_cell_activation_il12",
            F * lambda_TI12 * T_N * il12,
            {"T": 1},
            "IL-12 activates naive T cells, inhibited by PD-1/PD-L1 signalling",
            {roles.EFFECTOR_SUPPLY},
        ),
        Term(
            "t_cell_proliferation_il2",
            F * lambda_TI2 * T * il2,
            {"T": 1},
            "IL-2 drives T-cell proliferation, inhibited by PD-1/PD-L1 signalling",
            {roles.RECRUITMENT},
        ),
        Term("t_cell_death", d_T * T, {"T": -1}, "T cells die", {roles.EFFECTOR_DEATH}),
        Term(
            "anti_pd1_input", gamma_A, {"A": 1}, "anti-PD-1 is given at a constant rate", {roles.DRUG_INPUT}
        ),
        Term("anti_pd1_binding", mu_PA * P * A, {"A": -1}, "anti-PD-1 is consumed by binding PD-1"),
        Term("anti_pd1_clearance", d_A * A, {"A": -1}, "anti-PD-1 is cleared", {roles.DRUG_ELIMINATION}),
    ]
    notes = [
        "Anti-PD-1 source is the input gamma_A, not the BioModels rate law 'A' (see docstring).",
        "Unbound PD-1 P is floored at 0 so that full blockade gives F(Q) = 1.",
    ]
    model_id, title = ID, TITLE
    references = [
        REFERENCE,
        Source("BioModels MODEL1908270001 (SBML encoding of Nikolopoulou et al. 2018)"),
        Source(
            "Lai X, Friedman A (2017). Combination therapy of cancer with cancer vaccine and immune "
            "checkpoint inhibitors: a mathematical model. PLoS ONE 12:e0178479",
            doi="10.1371/journal.pone.0178479",
        ),
    ]
    if exhaustion:
        T_max = Sym("T_max")
        params.append(
            Parameter(
                "T_max",
                1.0,
                "g/cm^3",
                "T-cell density at which every IL-2-driven division yields exhausted progeny",
                EXHAUSTION_SOURCE,
                bounds=(1e-12, math.inf),
            )
        )
        terms.append(
            Term(
                "t_cell_exhaustion",
                F * lambda_TI2 * T * il2 * (T / T_max),
                {"T": -1},
                "a fraction T/T_max of IL-2-driven progeny is terminally exhausted and leaves "
                "the effector pool",
                {roles.INACTIVATION},
            )
        )
        notes.append(
            "Variant 'exhaustion': adds t_cell_exhaustion so IL-2-driven expansion is logistic in T "
            "(bounded T under full PD-1 blockade); not part of the published model."
        )
        references += [
            Source("Wherry EJ (2011). T cell exhaustion. Nat Immunol 12:492-499", doi="10.1038/ni.2035"),
            Source(
                "Pauken KE et al. (2016). Epigenetic stability of exhausted T cells limits durability of "
                "reinvigoration by PD-1 blockade. Science 354:1160-1165",
                doi="10.1126/science.aaf2807",
            ),
        ]
        model_id = f"{ID}_exhaustion"
        title = TITLE + " + T-cell exhaustion (oncoimmune fix)"
    states = (
        State("C", 0.3968, "g/cm^3", "cancer cells"),
        State("T", 0.006, "g/cm^3", "activated T cells (CD4+ and CD8+)"),
        State("A", 0.0, "g/cm^3", "anti-PD-1 antibody"),
    )
    return Model(
        id=model_id,
        title=title,
        states=states,
        parameters=tuple(params),
        terms=tuple(terms),
        observables=tuple(observables),
        description=(
            "Cancer cells grow logistically and are killed by activated T cells; T cells are activated "
            "by IL-12 and expand on IL-2, both inhibited by the PD-1/PD-L1 complex; anti-PD-1 blocks "
            "PD-1 and so lifts the inhibition. Densities in g/cm^3, time in days. Default start: the "
            "BioModels initial condition, untreated."
        ),
        references=tuple(references),
        tumour_state="C",
        notes=tuple(notes),
    )


def equilibria(model: Model | None = None, *, n_grid: int = 4000) -> list[dict[str, Any]]:
    """Untreated equilibria (``A = 0``, ``gamma_A = 0``) with their stability.

    The tumour-free state solves ``dT/dt = 0`` at ``C = 0``; tumorous states
    satisfy ``T = lambda_C (1 - C/C_K)/eta`` and ``dT/dt = 0``, solved by a
    sign scan over ``0 < C < C_K`` refined with Brent's method. Stability comes
    from the eigenvalues of the exact Jacobian in ``(C, T)``.

    Returns
    -------
    list of dict
        ``{"C", "T", "kind" ("tumour-free" | "tumorous"), "eigenvalues",
        "stable" (bool), "saddle" (bool)}``, tumour-free first, then by ``C``.
    """
    from scipy.optimize import brentq

    m = (model or build()).with_parameters(gamma_A=0.0)
    cm = m.compile()
    p = cm.p0
    f = cm.rhs(np)
    J = cm.jacobian(np)
    iC, iT = cm.state_index("C"), cm.state_index("T")
    pv = m.parameter_values

    def dT(C: float, T: float) -> float:
        y = np.zeros(cm.n_states)
        y[iC], y[iT] = C, T
        return float(f(0.0, y, p)[iT])

    out: list[dict[str, Any]] = []

    def classify(C: float, T: float, kind: str) -> dict[str, Any]:
        y = np.zeros(cm.n_states)
        y[iC], y[iT] = C, T
        Jm = np.asarray(J(0.0, y, p))[np.ix_([iC, iT], [iC, iT])]
        ev = np.linalg.eigvals(Jm)
        re = np.sort(ev.real)
        return {
            "C": C,
            "T": T,
            "kind": kind,
            "eigenvalues": ev,
            "stable": bool(np.all(re < 0)),
            "saddle": bool(re[0] < 0 < re[-1]),
        }

    # tumour-free: dT/dt(0, T) changes sign once on (0, 10)
    T0 = brentq(lambda T: dT(0.0, T), 1e-9, 10.0, xtol=1e-15, rtol=1e-13)
    out.append(classify(0.0, T0, "tumour-free"))
    lam, CK, eta_v = pv["lambda_C"], pv["C_K"], pv["eta"]

    def g(C: float) -> float:
        return dT(C, lam * (1.0 - C / CK) / eta_v)

    grid = np.linspace(1e-9, CK * (1 - 1e-9), n_grid)
    vals = np.array([g(c) for c in grid])
    for k in np.nonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0)[0]:
        Cs = brentq(g, grid[k], grid[k + 1], xtol=1e-15, rtol=1e-13)
        out.append(classify(Cs, lam * (1.0 - Cs / CK) / eta_v, "tumorous"))
    return out
