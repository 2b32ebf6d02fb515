r"""Kuznetsov, Makalkin, Taylor & Perelson (1994): effector cells against an immunogenic tumour.

Cytotoxic effector cells ``E`` and tumour cells ``T`` (B-cell lymphoma BCL1
in the spleen of chimeric mice), time in days:

.. math::

    \frac{dE}{dt} &= s + \frac{p E T}{g + T} - m E T - d E \\
    \frac{dT}{dt} &= a T (1 - b T) - n E T

The system has up to four equilibria: tumour-free (a saddle), a small
"dormant" tumour (stable focus, about 8.19e6 cells), an escape threshold
(saddle, about 2.68e8 cells) and a large "escaped" tumour (stable, about
4.47e8 cells). Challenges of 1e5 to 1e7 cells settle into dormancy; 5e8
escapes.

Parameters
----------
=====  ===============  =========================================================
name   value            meaning
=====  ===============  =========================================================
s      1.3e4 cells/d    normal (tumour-independent) influx of effector cells
p      0.1245 /d        maximal tumour-stimulated effector recruitment
g      2.019e7 cells    tumour size giving half-maximal recruitment
m      3.422e-10 /c/d   effector inactivation by tumour contact
d      0.0412 /d        effector death rate
a      0.18 /d          maximal tumour growth rate
b      2.0e-9 /cell     1 / carrying capacity of the tumour
n      1.101e-7 /c/d    tumour cell kill rate by effectors
=====  ===============  =========================================================

References
----------
.. [1] Kuznetsov VA, Makalkin IA, Taylor MA, Perelson AS (1994). Nonlinear
   dynamics of immunogenic tumors: parameter estimation and global
   bifurcation analysis. Bull Math Biol 56(2):295-321.
   doi:10.1007/BF02460644. Parameter estimates: Section 3 ("Estimation of
   parameters", BCL1 data of Siu et al. 1986), eq. (2.6)-(2.7).
.. [2] BioModels BIOMD0000000762 (curated SBML encoding; same values).
"""

from __future__ import annotations

from ..biology import roles
from ..biology.observables import tumour_diameter_mm
from ..model import Model, Parameter, Source, State, Sym, Term

ID = "kuznetsov1994"
TITLE = "Kuznetsov et al. 1994: effector cells against an immunogenic tumour (BCL1 lymphoma)"
REFERENCE = Source(
    citation="Kuznetsov VA, Makalkin IA, Taylor MA, Perelson AS (1994). Nonlinear dynamics of "
    "immunogenic tumors: parameter estimation and global bifurcation analysis. Bull Math Biol 56:295-321",
    doi="10.1007/BF02460644",
)
_P = Source(
    citation="Kuznetsov et al. 1994, Bull Math Biol 56:295",
    location="Section 3, parameter estimates for BCL1 (checked against BioModels BIOMD0000000762)",
    doi="10.1007/BF02460644",
)


def build() -> Model:
    """The Kuznetsov 1994 model with its published BCL1 parameter estimates."""
    E, T = Sym("E"), Sym("T")
    s, p, g, m, d, a, b, n = (Sym(x) for x in "s p g m d a b n".split())
    params = (
        Parameter("s", 1.3e4, "cells/day", "normal influx of effector cells into the tumour site", _P),
        Parameter("p", 0.1245, "1/day", "maximal rate of tumour-stimulated effector recruitment", _P),
        Parameter("g", 2.019e7, "cells", "tumour size giving half-maximal effector recruitment", _P),
        Parameter("m", 3.422e-10, "1/(cell*day)", "effector inactivation by contact with tumour cells", _P),
        Parameter("d", 0.0412, "1/day", "death rate of effector cells", _P),
        Parameter("a", 0.18, "1/day", "maximal tumour growth rate", _P),
        Parameter("b", 2.0e-9, "1/cell", "inverse of the tumour carrying capacity", _P),
        Parameter("n", 1.101e-7, "1/(cell*day)", "rate at which effector cells kill tumour cells", _P),
    )
    states = (
        State("E", 1.3e4 / 0.0412, "cells", "cytotoxic effector cells (CTL and NK) at the tumour site"),
        State("T", 1.0e6, "cells", "tumour cells"),
    )
    terms = (
        Term("effector_influx", s, {"E": 1}, "effector cells arrive at a constant rate", {roles.EFFECTOR_SUPPLY}),
        Term(
            "effector_recruitment",
            p * E * T / (g + T),
            {"E": 1},
            "the tumour stimulates recruitment and proliferation of effectors, saturating in tumour size",
            {roles.RECRUITMENT},
        ),
        Term("effector_inactivation", m * E * T, {"E": -1}, "effectors are inactivated by tumour contact", {roles.INACTIVATION}),
        Term("effector_death", d * E, {"E": -1}, "effector cells die", {roles.EFFECTOR_DEATH}),
        Term("tumour_growth", a * T * (1 - b * T), {"T": 1}, "tumour cells grow logistically", {roles.TUMOUR_GROWTH}),
        Term("tumour_kill", n * E * T, {"T": -1}, "effector cells kill tumour cells on contact", {roles.KILL}),
    )
    return Model(
        id=ID,
        title=TITLE,
        states=states,
        parameters=params,
        terms=terms,
        observables=(tumour_diameter_mm("T"),),
        description=(
            "Two-population model of cytotoxic effector cells and an immunogenic tumour. "
            "Effectors arrive at a constant rate, are recruited by the tumour, are inactivated "
            "when they kill and die naturally; the tumour grows logistically and is killed on contact. "
            "Default start: naive effector level s/d and a challenge of 1e6 tumour cells."
        ),
        references=(REFERENCE, Source("BioModels BIOMD0000000762 (SBML encoding of Kuznetsov 1994)")),
        tumour_state="T",
    )
