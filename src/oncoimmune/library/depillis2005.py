r"""de Pillis, Radunskaya & Wiseman (2005): NK and CD8+ T cells against a growing tumour.

Tumour cells ``T``, natural killer cells ``N`` and tumour-specific CD8+ T
cells ``L`` (mouse parameter set), time in days:

.. math::

    \frac{dT}{dt} &= a T (1 - b T) - c N T - D T \\
    \frac{dN}{dt} &= \sigma - f N + \frac{g T^2}{h + T^2} N - p N T \\
    \frac{dL}{dt} &= -m L + \frac{j (D T)^2}{k + (D T)^2} L - q L T + r N T \\
    D &= d \, \frac{(L/T)^\lambda}{s + (L/T)^\lambda}

``D`` is the *ratio-dependent* fraction of tumour cells lysed by CD8+ T cells
per day: it depends on the effector-to-target ratio ``L/T`` and saturates at
``d``. This is the model's main novelty: NK kill is mass-action (``c N T``),
CD8+ kill follows the ratio law fitted to chromium-release assays. ``D T``
(cells per day) also drives CD8+ recruitment.

Parameters
----------
=======  ===============  ==========================================================
name     value            meaning
=======  ===============  ==========================================================
a        0.514 /d         tumour growth rate
b        1.02e-9 /cell    inverse of the tumour carrying capacity
c        3.23e-7 /c/d     NK kill rate of tumour cells
d        1.43 /d          saturation level of the CD8+ lysis fraction
lam      0.58             exponent of the effector:target ratio in D (paper: lambda)
s        2.73             steepness of the CD8+ lysis curve (smaller: steeper)
sigma    1.3e4 cells/d    constant supply of NK cells
f        0.0412 /d        NK death rate
g        0.025 /d         maximal tumour-induced NK recruitment
h        2.02e7 cells^2   steepness of NK recruitment (T^2 at half maximum)
p        1e-7 /c/d        NK inactivation by tumour contact
m        0.02 /d          CD8+ death rate
j        0.0375 /d        maximal CD8+ recruitment by lysed tumour cells
k        2.02e7 c^2/d^2   steepness of CD8+ recruitment ((D T)^2 at half maximum)
q        3.42e-10 /c/d    CD8+ inactivation by tumour contact
r        1.1e-7 /c/d      CD8+ priming by NK-tumour encounters
=======  ===============  ==========================================================

``d``, ``lam`` and ``s`` are the values for wild-type (non-ligand-transduced)
tumour cells; the paper fits larger CD8+ lysis for NKG2D-ligand-transduced
tumours, which the model then controls.

Notes
-----
*Safety of* ``(L/T)^lambda`` *as* ``T -> 0``. With ``lambda < 1`` the ratio
power is singular: ``L/T`` blows up as the tumour is cleared, ``0/0`` appears
when both populations vanish, its derivative in ``L`` is infinite at
``L = 0`` (the usual start), and a slightly negative ``L`` from the solver
would give NaN. The module therefore computes the equivalent form

.. math::

    D = d \, \frac{L_+^\lambda}{s\, T_+^\lambda + L_+^\lambda}, \qquad
    L_+ = \max(L, \varepsilon),\; T_+ = \max(T, \varepsilon),\;
    \varepsilon = 10^{-12}\ \text{cells}

(numerator and denominator of the paper's ratio multiplied by ``T^lambda``).
``D`` stays in ``[0, d]``, the kill ``D T`` tends to 0 with ``T`` as it
should, and the Jacobian stays finite. The floor changes ``D`` only where
``L`` or ``T`` is below 1e-12 cells, i.e. nowhere that matters biologically
(at ``L = 0`` the spurious kill fraction is at most ``d (1e-12/T)^lambda / s``).

References
----------
.. [1] de Pillis LG, Radunskaya AE, Wiseman CL (2005). A validated
   mathematical model of cell-mediated immune response to tumor growth.
   Cancer Res 65(17):7950-7958. doi:10.1158/0008-5472.CAN-05-0564.
   Model equations (1)-(4); mouse parameter values, Table 1.
.. [2] BioModels MODEL1907260001 (SBML encoding of the mouse model; the
   values here are identical).
"""

from __future__ import annotations

from ..biology import roles
from ..biology.observables import tumour_diameter_mm
from ..model import Model, Num, Observable, Parameter, Source, State, Sym, Term, maximum

ID = "depillis2005"
TITLE = "de Pillis, Radunskaya & Wiseman 2005: NK and CD8+ T cells against a growing tumour (mouse)"
REFERENCE = Source(
    citation="de Pillis LG, Radunskaya AE, Wiseman CL (2005). A validated mathematical model of "
    "cell-mediated immune response to tumor growth. Cancer Res 65:7950-7958",
    location="equations (1)-(4), Table 1 (mouse parameters)",
    doi="10.1158/0008-5472.CAN-05-0564",
)
_CIT = "de Pillis et al. 2005, Cancer Res 65:7950"
_DOI = "10.1158/0008-5472.CAN-05-0564"
_CURATED = (
    "Value as curated in BioModels MODEL1907260001; the paper's table itself could not be re-read "
    "when this module was written (re-check against the PDF)."
)
_T1 = Source(
    citation=_CIT,
    location="Table 1, mouse parameters (identical in BioModels MODEL1907260001)",
    doi=_DOI,
    note=_CURATED,
)
_T1_WT = Source(
    citation=_CIT,
    location="Table 1, mouse CD8+ lysis parameters for non-ligand-transduced (wild-type) tumour "
    "(identical in BioModels MODEL1907260001)",
    doi=_DOI,
    note=_CURATED,
)

#: Floor (cells) on ``L`` and ``T`` inside the ratio power of the CD8+ lysis law.
RATIO_FLOOR = 1.0e-12

#: Horizon (days) of the default experiment: long enough for a wild-type challenge to reach its large equilibrium.
DEFAULT_DAYS = 200.0


def build() -> Model:
    """The de Pillis 2005 mouse model: wild-type tumour challenge of 1e6 cells, NK cells at rest."""
    T, N, L = Sym("T"), Sym("N"), Sym("L")
    a, b, c, d, lam, s = (Sym(x) for x in "a b c d lam s".split())
    sigma, f, g, h, p = (Sym(x) for x in "sigma f g h p".split())
    m, j, k, q, r = (Sym(x) for x in "m j k q r".split())
    params = (
        Parameter("a", 0.514, "1/day", "tumour growth rate", _T1),
        Parameter("b", 1.02e-9, "1/cell", "inverse of the tumour carrying capacity", _T1),
        Parameter("c", 3.23e-7, "1/(cell*day)", "rate at which NK cells kill tumour cells", _T1),
        Parameter(
            "d",
            1.43,
            "1/day",
            "saturation level of the fraction of tumour cells lysed by CD8+ T cells",
            _T1_WT,
        ),
        Parameter(
            "lam",
            0.58,
            "dimensionless",
            "exponent of the effector:target ratio L/T in the CD8+ lysis law (lambda in the paper)",
            _T1_WT,
        ),
        Parameter(
            "s",
            2.73,
            "dimensionless",
            "steepness of the CD8+ lysis curve: (L/T)^lambda giving half-maximal lysis",
            _T1_WT,
        ),
        Parameter("sigma", 1.3e4, "cells/day", "constant supply of NK cells", _T1),
        Parameter("f", 0.0412, "1/day", "death rate of NK cells", _T1),
        Parameter("g", 0.025, "1/day", "maximal tumour-induced NK recruitment rate", _T1),
        Parameter(
            "h", 2.02e7, "cells^2", "steepness of NK recruitment: T^2 giving half-maximal recruitment", _T1
        ),
        Parameter("p", 1.0e-7, "1/(cell*day)", "NK inactivation by contact with tumour cells", _T1),
        Parameter("m", 0.02, "1/day", "death rate of CD8+ T cells", _T1),
        Parameter("j", 0.0375, "1/day", "maximal CD8+ recruitment rate by lysed tumour cells", _T1),
        Parameter(
            "k",
            2.02e7,
            "cells^2/day^2",
            "steepness of CD8+ recruitment: (D*T)^2 giving half-maximal recruitment",
            _T1,
        ),
        Parameter("q", 3.42e-10, "1/(cell*day)", "CD8+ inactivation by contact with tumour cells", _T1),
        Parameter(
            "r", 1.1e-7, "1/(cell*day)", "CD8+ priming by encounters of NK cells with tumour cells", _T1
        ),
    )
    states = (
        State("T", 1.0e6, "cells", "tumour cells"),
        State("N", 1.3e4 / 0.0412, "cells", "natural killer (NK) cells"),
        State("L", 0.0, "cells", "tumour-specific CD8+ T cells"),
    )
    eps = Num(RATIO_FLOOR)
    Lp = maximum(L, eps) ** lam
    Tp = maximum(T, eps) ** lam
    D = Sym("cd8_lysis_fraction")
    DT = Sym("cd8_kill")
    observables = (
        Observable(
            "cd8_lysis_fraction",
            d * Lp / (s * Tp + Lp),
            "1/day",
            "fraction of tumour cells lysed by CD8+ T cells per day, D = d (L/T)^lam / (s + (L/T)^lam) "
            "(computed with L and T floored at 1e-12 cells)",
        ),
        Observable("cd8_kill", D * T, "cells/day", "tumour cells killed by CD8+ T cells per day, D*T"),
        tumour_diameter_mm("T"),
    )
    terms = (
        Term(
            "tumour_growth",
            a * T * (1 - b * T),
            {"T": 1},
            "tumour cells grow logistically",
            {roles.TUMOUR_GROWTH},
        ),
        Term(
            "nk_kill",
            c * N * T,
            {"T": -1},
            "NK cells kill tumour cells on contact (mass action)",
            {roles.NK_KILL},
        ),
        Term(
            "cd8_kill_term",
            DT,
            {"T": -1},
            "CD8+ T cells kill tumour cells at a rate set by the effector:target ratio",
            {roles.KILL},
        ),
        Term(
            "nk_supply", sigma, {"N": 1}, "NK cells are supplied at a constant rate", {roles.EFFECTOR_SUPPLY}
        ),
        Term("nk_death", f * N, {"N": -1}, "NK cells die", {roles.EFFECTOR_DEATH}),
        Term(
            "nk_recruitment",
            g * T**2 / (h + T**2) * N,
            {"N": 1},
            "the tumour recruits NK cells, sigmoidally in tumour size",
            {roles.RECRUITMENT},
        ),
        Term(
            "nk_inactivation",
            p * N * T,
            {"N": -1},
            "NK cells are inactivated by tumour contact",
            {roles.INACTIVATION},
        ),
        Term("cd8_death", m * L, {"L": -1}, "CD8+ T cells die", {roles.EFFECTOR_DEATH}),
        Term(
            "cd8_recruitment",
            j * DT**2 / (k + DT**2) * L,
            {"L": 1},
            "tumour cells lysed by CD8+ T cells recruit more CD8+ T cells",
            {roles.RECRUITMENT},
        ),
        Term(
            "cd8_inactivation",
            q * L * T,
            {"L": -1},
            "CD8+ T cells are inactivated by tumour contact",
            {roles.INACTIVATION},
        ),
        Term(
            "cd8_priming",
            r * N * T,
            {"L": 1},
            "debris of tumour cells killed by NK cells primes tumour-specific CD8+ T cells",
            {roles.RECRUITMENT},
        ),
    )
    return Model(
        id=ID,
        title=TITLE,
        states=states,
        parameters=params,
        terms=terms,
        observables=observables,
        description=(
            "Tumour cells, NK cells and tumour-specific CD8+ T cells in the mouse. NK cells are "
            "always present (constant supply) and kill by mass action; CD8+ T cells are primed "
            "when NK cells kill tumour cells, are recruited by the tumour cells they lyse, and kill "
            "with a saturating function of the effector:target ratio L/T. Default start: a "
            "challenge of 1e6 wild-type tumour cells, NK cells at their tumour-free level "
            "sigma/f and no tumour-specific CD8+ T cells."
        ),
        references=(
            REFERENCE,
            Source("BioModels MODEL1907260001 (SBML encoding of de Pillis et al. 2005, mouse)"),
        ),
        tumour_state="T",
        notes=(
            "(L/T)^lam is computed as L+^lam/(s T+^lam + L+^lam) with L+, T+ = max(., 1e-12 cells): "
            "finite for T -> 0 and at L = 0.",
        ),
    )
