r"""Kirschner & Panetta (1998): effector cells, tumour and IL-2, with immunotherapy inputs.

Activated effector cells ``E``, tumour cells ``T`` and the concentration of
interleukin-2 ``IL`` in a single tumour-site compartment, time in days:

.. math::

    \frac{dE}{dt}  &= c T - \mu_2 E + \frac{p_1 E\, IL}{g_1 + IL} + s_1 \\
    \frac{dT}{dt}  &= r_2 T (1 - b T) - \frac{a E T}{g_2 + T} \\
    \frac{dIL}{dt} &= \frac{p_2 E T}{g_3 + T} - \mu_3 IL + s_2

``c`` is the *antigenicity* of the tumour (how strongly the immune system
recognises it); the paper varies it over ``0 <= c <= 0.05`` and finds three
regimes: no immune control at low ``c``, limit cycles (tumour dormancy and
recurrence) at intermediate ``c``, and a stable small tumour at high ``c``.
``s1`` is adoptive cellular immunotherapy (ACI, effector cells infused per
day) and ``s2`` is IL-2 given per day; both default to 0 (no treatment).

With ``s2 = 0`` the tumour-free state ``(E, T, IL) = (s1/mu2, 0, 0)`` is
linearly stable exactly when ``a s1 / (mu2 g2) > r2``, i.e. when
``s1 > r2 mu2 g2 / a = 540`` effector cells per day for the published values.

Parameters
----------
=====  =================  ==========================================================
name   value              meaning
=====  =================  ==========================================================
c      0.035 /d           antigenicity: tumour-driven effector recruitment
                          (paper: 0 to 0.05; 0.035 is the BioModels default)
mu2    0.03 /d            death rate of effector cells
p1     0.1245 /d          maximal IL-2-driven effector proliferation
g1     2e7 IL units       IL-2 level giving half-maximal proliferation
g2     1e5 cells          tumour size giving half-maximal kill
r2     0.18 /d            tumour growth rate
b      1e-9 /cell         inverse of the tumour carrying capacity
a      1 /d               maximal kill rate per effector cell
mu3    10 /d              IL-2 loss rate
p2     5 IL units/(c d)   maximal IL-2 production per effector cell
g3     1e3 cells          tumour size giving half-maximal IL-2 production
s1     0 cells/d          adoptive cellular immunotherapy (ACI) input
s2     0 IL units/d       IL-2 input (cytokine therapy)
=====  =================  ==========================================================

Notes
-----
The tumour can be driven to very small values (about 1e-4 cells) during the
oscillations at intermediate antigenicity; the model has no extinction
threshold, so these are continuous approximations, and accurate integration
needs a small absolute tolerance on ``T`` (the default ``atol=1e-10`` of
:func:`oncoimmune.simulate` is enough).

The BioModels encoding (BIOMD0000000732) writes the IL-2-driven proliferation
as ``p1 E IL / g1``, without the saturation ``g1 + IL`` of the paper's
equation (1); this module follows the paper.

References
----------
.. [1] Kirschner D, Panetta JC (1998). Modeling immunotherapy of the
   tumor-immune interaction. J Math Biol 37(3):235-252.
   doi:10.1007/s002850050127. Model equations (1)-(3); parameter values
   Table 1.
.. [2] BioModels BIOMD0000000732 (SBML encoding; same parameter values, see
   the note above on the proliferation term).
"""

from __future__ import annotations

from ..biology import roles
from ..biology.observables import tumour_diameter_mm
from ..model import Model, Parameter, Source, State, Sym, Term

ID = "kirschner_panetta1998"
TITLE = "Kirschner & Panetta 1998: effector cells, tumour and IL-2 with ACI and IL-2 therapy"
REFERENCE = Source(
    citation="Kirschner D, Panetta JC (1998). Modeling immunotherapy of the tumor-immune "
    "interaction. J Math Biol 37:235-252",
    location="equations (1)-(3), Table 1",
    doi="10.1007/s002850050127",
)
_CIT = "Kirschner & Panetta 1998, J Math Biol 37:235"
_DOI = "10.1007/s002850050127"
_T1 = Source(
    citation=_CIT,
    location="Table 1 (checked against BioModels BIOMD0000000732)",
    doi=_DOI,
    note="Identical to the BioModels encoding and the validation catalogue; the paper's table itself "
    "could not be re-read when this module was written (re-check against the PDF).",
)

#: Horizon (days) of the default experiment: several oscillation periods at the default antigenicity.
DEFAULT_DAYS = 1000.0


def build() -> Model:
    """The Kirschner-Panetta 1998 model with the paper's Table 1 values, untreated (``s1 = s2 = 0``)."""
    E, T, IL = Sym("E"), Sym("T"), Sym("IL")
    c, mu2, p1, g1, g2, r2, b, a, mu3, p2, g3, s1, s2 = (
        Sym(x) for x in "c mu2 p1 g1 g2 r2 b a mu3 p2 g3 s1 s2".split()
    )
    params = (
        Parameter(
            "c",
            0.035,
            "1/day",
            "antigenicity: rate at which tumour cells stimulate effector recruitment",
            Source(
                citation=_CIT,
                location="Table 1 (range 0 <= c <= 0.05)",
                doi=_DOI,
                note="The paper varies c over [0, 0.05]; the default 0.035 is the value in "
                "BioModels BIOMD0000000732 (intermediate antigenicity, oscillating regime).",
            ),
        ),
        Parameter("mu2", 0.03, "1/day", "death rate of effector cells", _T1),
        Parameter("p1", 0.1245, "1/day", "maximal rate of IL-2-driven effector proliferation", _T1),
        Parameter("g1", 2.0e7, "IL-2 units", "IL-2 level giving half-maximal effector proliferation", _T1),
        Parameter("g2", 1.0e5, "cells", "tumour size giving half-maximal killing", _T1),
        Parameter("r2", 0.18, "1/day", "tumour growth rate", _T1),
        Parameter("b", 1.0e-9, "1/cell", "inverse of the tumour carrying capacity", _T1),
        Parameter("a", 1.0, "1/day", "maximal rate at which one effector cell kills tumour cells", _T1),
        Parameter("mu3", 10.0, "1/day", "loss rate of IL-2", _T1),
        Parameter("p2", 5.0, "IL-2 units/(cell*day)", "maximal IL-2 production per effector cell", _T1),
        Parameter("g3", 1.0e3, "cells", "tumour size giving half-maximal IL-2 production", _T1),
        Parameter(
            "s1",
            0.0,
            "cells/day",
            "adoptive cellular immunotherapy: effector cells infused per day",
            Source(
                citation=_CIT,
                location="Table 1 and Section 4 (treatment term s1)",
                doi=_DOI,
                note="Treatment input; 0 means untreated.",
            ),
        ),
        Parameter(
            "s2",
            0.0,
            "IL-2 units/day",
            "IL-2 given per day (cytokine therapy)",
            Source(
                citation=_CIT,
                location="Table 1 and Section 4 (treatment term s2)",
                doi=_DOI,
                note="Treatment input; 0 means untreated.",
            ),
        ),
    )
    states = (
        State("E", 1.0, "cells", "activated immune-effector cells (CTL, NK, macrophages) at the tumour site"),
        State("T", 1.0, "cells", "tumour cells"),
        State("IL", 1.0, "IL-2 units", "interleukin-2 concentration in the tumour-site compartment"),
    )
    terms = (
        Term(
            "antigen_recruitment",
            c * T,
            {"E": 1},
            "the tumour's antigens stimulate effector recruitment, in proportion to antigenicity c",
            {roles.RECRUITMENT},
        ),
        Term(
            "il2_proliferation",
            p1 * E * IL / (g1 + IL),
            {"E": 1},
            "IL-2 drives effector-cell proliferation, saturating in IL-2",
            {roles.CYTOKINE},
        ),
        Term(
            "aci_infusion",
            s1,
            {"E": 1},
            "adoptive cellular immunotherapy adds effector cells at a constant rate",
            {roles.EFFECTOR_SUPPLY},
        ),
        Term("effector_death", mu2 * E, {"E": -1}, "effector cells die", {roles.EFFECTOR_DEATH}),
        Term(
            "tumour_growth",
            r2 * T * (1 - b * T),
            {"T": 1},
            "tumour cells grow logistically",
            {roles.TUMOUR_GROWTH},
        ),
        Term(
            "tumour_kill",
            a * E * T / (g2 + T),
            {"T": -1},
            "effector cells kill tumour cells, saturating in tumour size",
            {roles.KILL},
        ),
        Term(
            "il2_production",
            p2 * E * T / (g3 + T),
            {"IL": 1},
            "effector cells stimulated by the tumour secrete IL-2",
            {roles.CYTOKINE},
        ),
        Term("il2_decay", mu3 * IL, {"IL": -1}, "IL-2 is cleared", {roles.CYTOKINE}),
        Term(
            "il2_infusion",
            s2,
            {"IL": 1},
            "IL-2 therapy adds IL-2 at a constant rate",
            {roles.CYTOKINE},
        ),
    )
    return Model(
        id=ID,
        title=TITLE,
        states=states,
        parameters=params,
        terms=terms,
        observables=(tumour_diameter_mm("T"),),
        description=(
            "Three-population model of immune-effector cells, a tumour and the cytokine IL-2. "
            "Effectors are recruited in proportion to the tumour's antigenicity c, proliferate "
            "in response to IL-2 and die; the tumour grows logistically and is killed with a "
            "saturating rate; IL-2 is made by tumour-stimulated effectors and cleared quickly. "
            "s1 (adoptive cell therapy) and s2 (IL-2 therapy) are treatment inputs, 0 by default. "
            "Default start: E = T = IL = 1."
        ),
        references=(
            REFERENCE,
            Source(
                "BioModels BIOMD0000000732 (SBML encoding of Kirschner & Panetta 1998)",
                note="its IL-2 proliferation term is p1*E*IL/g1, without the paper's g1 + IL",
            ),
        ),
        tumour_state="T",
        notes=(
            "With s2 = 0 the tumour-free state is stable iff s1 > r2*mu2*g2/a (540 cells/day).",
            "Oscillations at intermediate antigenicity drive T to about 1e-4 cells; keep atol small.",
        ),
    )
