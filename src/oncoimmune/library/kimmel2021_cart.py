r"""Kimmel, Locke & Altrock (2021): T-cell competition drives CAR-T expansion after lymphodepletion.

Normal T cells ``N``, CAR-T cells ``C`` and antigen-presenting tumour cells
``B``, all in cells per microlitre of blood, time in days after the CAR-T
infusion (which follows lymphodepleting chemotherapy):

.. math::

    \frac{dN}{dt} &= -r_N N \ln\frac{N + C}{K_N} \\
    \frac{dC}{dt} &= -r_C(L)\, C \ln\frac{N + C}{K_C} \\
    \frac{dB}{dt} &= r_B B - \gamma_B B \frac{C}{k_B + C} \\
    r_C(L) &= \rho_C + \frac{b (L - K_N)^2}{a L^2 + (L - K_N)^2}, \qquad L = N + C

Both T-cell populations regrow by Gompertz-type homeostatic proliferation
into the space emptied by lymphodepletion, competing for the same resource
(the total lymphocyte count ``L``). CAR-T cells have the smaller carrying
capacity (``K_C < K_N``), so once ``L`` exceeds ``K_C`` they contract while
normal T cells keep growing to ``K_N``: the "emerging growth rate
disadvantage" of the paper. Their growth rate ``r_C`` is fast (about
``rho_C + b``) while ``L`` is far from ``K_N`` and falls to ``rho_C`` as the
lymphocyte pool refills. The tumour grows exponentially and is killed with
a saturating dependence on ``C``.

Tumour eradication is deterministically unstable: ``B`` falls by many
orders of magnitude but never reaches zero, and regrows once ``C`` drops
below ``k_B r_B / (gamma_B - r_B)`` (about 0.036 cells/uL). The paper
therefore defines cure as a stochastic extinction event; only the
deterministic skeleton is implemented here.

Parameters
----------
=========  ==========  =============  ====================================================
name       value       units          meaning
=========  ==========  =============  ====================================================
K_N        500         cells/uL       carrying capacity of normal T cells
K_C        139         cells/uL       carrying capacity of CAR-T cells
r_N        0.17        1/day          homeostatic growth rate of normal T cells
rho_C      0.0251      1/day          CAR-T growth rate at lymphocyte homeostasis
a          0.423       1              shape of the lymphodepletion boost of r_C
b          0.525       1/day          maximal lymphodepletion boost of r_C
r_B        0.01        1/day          tumour growth rate
gamma_B    1.15        1/day          maximal tumour kill rate
k_B        4.05        cells/uL       CAR-T level giving half-maximal kill
=========  ==========  =============  ====================================================

Initial state (after lymphodepletion, at infusion): ``N = 6``, ``C = 0.36``,
``B = 94.86`` (BIOMD0000001041).

Observables: ``L`` (total lymphocyte count N + C), ``r_C`` (CAR-T growth
rate) and ``tumour_kill_rate`` (``gamma_B B C/(k_B + C)``). There is no
``tumour_diameter``: ``B`` is a blood-scale density, not a cell count.

Roles: ``tumour_growth``, ``kill``, :data:`~oncoimmune.library.barros2021_cartmath.CART_EXPANSION`
(the CAR-T homeostatic growth term, which becomes negative, i.e. a
contraction, once ``L > K_C``) and :data:`LYMPHOCYTE_HOMEOSTASIS` (the
normal T-cell term).

Notes
-----
BioModels' curators reproduced the paper's Fig. 2(a),(b) with the fitted
parameter set of the Supplementary Material, Table 1, but with ``r_N`` and
``rho_C`` taken from Table 1 of the main text (0.17 and 0.0251), which
differ from the supplementary fit. This module uses the encoded set.

References
----------
.. [1] Kimmel GJ, Locke FL, Altrock PM (2021). The roles of T cell
   competition and stochastic extinction events in chimeric antigen
   receptor T cell therapy. Proc R Soc B 288(1947):20210229.
   doi:10.1098/rspb.2021.0229. Model (Section 2), Table 1, Supplementary
   Table 1, Fig. 2.
.. [2] BioModels BIOMD0000001041 (SBML encoding; the curators' note on
   ``r_N`` and ``rho_C`` is quoted above).
"""

from __future__ import annotations

from ..biology import roles
from ..model import Model, Observable, Parameter, Source, State, Sym, Term, log
from .barros2021_cartmath import CART_EXPANSION

__all__ = ["ID", "TITLE", "REFERENCE", "DEFAULT_DAYS", "LYMPHOCYTE_HOMEOSTASIS", "build"]

ID = "kimmel2021_cart"
TITLE = "Kimmel, Locke & Altrock 2021: CAR-T expansion by T-cell competition after lymphodepletion"
REFERENCE = Source(
    citation="Kimmel GJ, Locke FL, Altrock PM (2021). The roles of T cell competition and stochastic "
    "extinction events in chimeric antigen receptor T cell therapy. Proc R Soc B 288:20210229",
    location="model (Section 2), Table 1, Supplementary Table 1, Fig. 2",
    doi="10.1098/rspb.2021.0229",
)
DEFAULT_DAYS = 365.0

#: Role: homeostatic (Gompertz-type) regrowth of the normal T-cell pool.
LYMPHOCYTE_HOMEOSTASIS = roles.LYMPHOCYTE_HOMEOSTASIS

_CIT = "Kimmel, Locke & Altrock 2021, Proc R Soc B 288:20210229"
_DOI = "10.1098/rspb.2021.0229"
_SUPP = Source(
    _CIT,
    "Supplementary Material, Table 1 (fitted parameter set)",
    _DOI,
    "as encoded in BioModels BIOMD0000001041 (curated to reproduce Fig. 2a,b)",
)
_MAIN = Source(
    _CIT,
    "Table 1 (main text)",
    _DOI,
    "BIOMD0000001041 takes this value from the main-text Table 1 instead of the supplementary fit",
)


def build() -> Model:
    """The Kimmel 2021 model with the BioModels-curated parameter set (cells/uL, days)."""
    N, C, B, L = Sym("N"), Sym("C"), Sym("B"), Sym("L")
    K_N, K_C, r_N, rho_C, a, b, r_B, gamma_B, k_B = (
        Sym(n) for n in ("K_N", "K_C", "r_N", "rho_C", "a", "b", "r_B", "gamma_B", "k_B")
    )
    params = (
        Parameter("K_N", 500.0, "cells/uL", "carrying capacity of normal T cells", _SUPP),
        Parameter("K_C", 139.0, "cells/uL", "carrying capacity of CAR-T cells", _SUPP),
        Parameter("r_N", 0.17, "1/day", "homeostatic growth rate of normal T cells", _MAIN),
        Parameter("rho_C", 0.0251, "1/day", "CAR-T growth rate at lymphocyte homeostasis (L = K_N)", _MAIN),
        Parameter(
            "a", 0.423, "1", "shape of the lymphodepletion-driven boost of the CAR-T growth rate", _SUPP
        ),
        Parameter(
            "b", 0.525, "1/day", "maximal lymphodepletion-driven boost of the CAR-T growth rate", _SUPP
        ),
        Parameter("r_B", 0.01, "1/day", "tumour growth rate", _SUPP),
        Parameter("gamma_B", 1.15, "1/day", "maximal rate of tumour killing by CAR-T cells", _SUPP),
        Parameter("k_B", 4.05, "cells/uL", "CAR-T level giving half-maximal tumour killing", _SUPP),
    )
    ic = "initial value: post-lymphodepletion state at infusion, BIOMD0000001041"
    states = (
        State("N", 6.0, "cells/uL", f"normal (non-CAR) T cells in blood ({ic})"),
        State("C", 0.36, "cells/uL", f"CAR-T cells in blood ({ic})"),
        State("B", 94.86, "cells/uL", f"antigen-presenting tumour cells, blood-equivalent scale ({ic})"),
    )
    observables = (
        Observable("L", N + C, "cells/uL", "total lymphocyte count N + C"),
        Observable(
            "r_C",
            rho_C + b * (L - K_N) ** 2 / (a * L**2 + (L - K_N) ** 2),
            "1/day",
            "CAR-T growth rate: fast after lymphodepletion, rho_C at homeostasis",
        ),
        Observable(
            "tumour_kill_rate",
            gamma_B * B * C / (k_B + C),
            "cells/uL/day",
            "tumour cells killed per day by CAR-T cells",
        ),
    )
    terms = (
        Term(
            "normal_t_homeostasis",
            -r_N * N * log(L / K_N),
            {"N": 1},
            "normal T cells regrow towards K_N (Gompertz-type; shared lymphocyte resource)",
            {LYMPHOCYTE_HOMEOSTASIS},
        ),
        Term(
            "cart_homeostasis",
            -Sym("r_C") * C * log(L / K_C),
            {"C": 1},
            "CAR-T cells expand while L < K_C and contract once the lymphocyte pool exceeds K_C",
            {CART_EXPANSION},
        ),
        Term("tumour_growth", r_B * B, {"B": 1}, "tumour cells grow exponentially", {roles.TUMOUR_GROWTH}),
        Term(
            "tumour_kill",
            gamma_B * B * C / (k_B + C),
            {"B": -1},
            "CAR-T cells kill tumour cells, saturating in the CAR-T level",
            {roles.KILL},
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
            "Deterministic skeleton of the Kimmel-Locke-Altrock model of CAR-T therapy for large B-cell "
            "lymphoma (ZUMA-1): after lymphodepletion, normal and CAR-T cells regrow and compete for the "
            "lymphocyte pool; CAR-T cells expand quickly, kill the tumour with a saturating law and then "
            "contract because their carrying capacity is lower. Units: cells per microlitre of blood. "
            "Default start: the post-lymphodepletion state at infusion (N = 6, C = 0.36, B = 94.86)."
        ),
        references=(REFERENCE, Source("BioModels BIOMD0000001041 (SBML encoding of Kimmel et al. 2021)")),
        tumour_state="B",
        notes=(
            (
                "Cure in the paper is a stochastic extinction event; this deterministic model never "
                "reaches B = 0 and regrows once C < k_B*r_B/(gamma_B - r_B)."
            ),
            (
                "r_N and rho_C follow the main-text Table 1, the other values the supplementary fit "
                "(as in BIOMD0000001041)."
            ),
        ),
    )
