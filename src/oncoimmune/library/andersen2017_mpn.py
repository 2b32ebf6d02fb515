r"""Andersen et al. (2017) "Cancitis": inflammation-driven JAK2V617F MPN, with interferon-alpha.

Healthy haematopoietic stem cells ``x0`` and their mature progeny ``x1``,
JAK2V617F-mutated stem cells ``y0`` and mature cells ``y1``, dead cells ``a``
and an inflammatory cytokine level ``s``; cell counts, time in days:

.. math::

    \dot x_0 &= (r_x \psi_x s - d_{x0} - a_x) x_0 - r_m s x_0 \\
    \dot x_1 &= a_x A_x x_0 - d_{x1} x_1 \\
    \dot y_0 &= (r_y \psi_y s - d_{y0}(1 + k_{IFN}\, u_{IFN}) - a_y) y_0 + r_m s x_0 \\
    \dot y_1 &= a_y A_y y_0 - d_{y1} y_1 \\
    \dot a   &= d_{x0} x_0 + d_{x1} x_1 + d_{y0}(1 + k_{IFN}\, u_{IFN}) y_0 + d_{y1} y_1 - e_a a s \\
    \dot s   &= r_s a - e_s s + I \\
    \psi_x &= \frac{1}{1 + (c_{xx} x_0 + c_{xy} y_0)^2}, \qquad
    \psi_y = \frac{1}{1 + (c_{yx} x_0 + c_{yy} y_0)^2}

Stem cells self-renew under cytokine stimulation ``s`` with bone-marrow
niche feedback ``psi``, die or differentiate (``a_x``, amplified ``A_x``-fold
into mature cells); inflammation ``s`` also drives the JAK2V617F mutation
``r_m s x0``; dead cells stimulate cytokine release, which clears them. The
mutant clone outgrows the healthy one because ``r_y > r_x``. The JAK2V617F
burden is the mutant fraction of mature cells, ``y1/(x1 + y1)`` (observable
``jak2_burden``), used as a proxy of the JAK2V617F allele burden as in the
Cancitis papers (heterozygous vs homozygous clones are not resolved).

From one mutated stem cell in the healthy steady state the burden reaches
1 %, 2 %, 50 % and 90 % after 4114, 4821, 8962 and 11881 days (11.3, 13.2,
24.6 and 32.6 years of 365 days): regression values of the BioModels
encoding, reproduced with libroadrunner, not numbers printed in the paper.

The model is very stiff (dead-cell clearance ``ea*s`` is about 7e9 per day);
use ``method="BDF"`` for short runs that start away from the slow manifold
(LSODA may exhaust its work budget there).

Interferon-alpha (intervention, not in the 2017 paper)
------------------------------------------------------
IFN-alpha2 is modelled, following the Cancitis treatment papers (Ottesen et
al. 2020; Pedersen et al. 2021), as an increased exhaustion (death) rate of
the malignant stem cells, ``d_y0 -> d_y0 (1 + k_IFN u_IFN)``: IFN drives
dormant JAK2V617F stem cells out of quiescence into exhaustion (Mullally et
al. 2013; Mosca et al. 2021). ``u_IFN`` is the treatment switch (0 off,
1 on; switch with ``Event(kind="parameter", target="u_IFN", op="set")``,
see :func:`ifn_events`), ``k_IFN`` the effect size. Those papers fit
several parameters per patient; only this single multiplicative form is
used here, on the malignant stem-cell death rate; the extra dead cells feed
``a`` like every other death.

``k_IFN`` is **fitted** (:func:`oncoimmune.analysis.mpn_ifn.fit_ifn_effect`, ``scipy.optimize.least_squares``)
to one data set only: the median %JAK2V617F of the pegylated IFN-alpha-2a
phase 2 study of Kiladjian et al. (2008), 45 % before treatment and 22.5,
17.5, 5 and 3 % after 12, 18, 24 and 36 months (abstract). The
fit starts IFN when the simulated burden from one mutated stem cell reaches
45 % and minimises the squared differences in percentage points at the four
times. The stored default is the result of that fit (see ``KIFN_FIT``). The
data are a cohort median (29 patients), so ``k_IFN`` describes a typical
response, not an individual patient.

Parameters
----------
==========  ========  ==================================================================
name        value     meaning
==========  ========  ==================================================================
rx, ry      8.7e-4,   self-renewal rates of healthy / JAK2V617F stem cells (per unit s)
            1.3e-3
ax = ay     1.1e-5    differentiation rate of stem cells (/d)
Ax = Ay     4.7e13    amplification of a differentiating stem cell into mature cells
dx0 = dy0   2e-3      death (exhaustion) rate of stem cells (/d)
dx1 = dy1   129       death rate of mature cells (/d)
c..         7.5e-5    niche feedback of stem cells on self-renewal (1/cell)
rm          2e-8      mutation rate per unit cytokine (/d)
rs          3e-4      cytokine release per dead cell (/d)
es          2         cytokine elimination (/d)
ea          2e9       dead-cell clearance per unit cytokine (/d)
I           7         external inflammatory stimulus (/d)
k_IFN       fitted    IFN-induced increase of malignant stem-cell exhaustion
u_IFN       0         IFN switch (0 off, 1 on)
==========  ========  ==================================================================

References
----------
.. [1] Andersen M, Sajid Z, Pedersen RK, Gudmand-Hoeyer J, Ellervik C, Skov V,
   Kjaer L, Pallisgaard N, Kruse TA, Thomassen M, Troelsen J, Hasselbalch HC,
   Ottesen JT (2017). Mathematical modelling as a proof of concept for MPNs
   as a human inflammation model for cancer development. PLoS ONE
   12(8):e0183620. doi:10.1371/journal.pone.0183620. PMID 28859112.
   (The validation catalogue cites "Sci Rep 7:613"; the BioModels entry and
   its PubMed id point to this PLoS ONE paper.)
.. [2] BioModels BIOMD0000000852 (SBML encoding; parameter values and the
   healthy initial state used here).
.. [3] Ottesen JT, Pedersen RK, Dam MJB, Knudsen TA, Skov V, Kjaer L,
   Andersen M (2020). Mathematical modeling of MPNs offers understanding and
   decision support for personalized treatment. Cancers 12(8):2119.
   doi:10.3390/cancers12082119.
.. [4] Pedersen RK, Andersen M, Knudsen TA, Skov V, Kjaer L, Hasselbalch HC,
   Ottesen JT (2021). Dose-dependent mathematical modeling of
   interferon-alpha-treatment for personalized treatment of
   myeloproliferative neoplasms. Computational and Systems Oncology.
   doi:10.1002/cso2.1030.
.. [5] Kiladjian J-J, Cassinat B, Chevret S, et al. (2008). Pegylated
   interferon-alfa-2a induces complete hematologic and molecular responses
   with low toxicity in polycythemia vera. Blood 112(8):3065-3072.
   doi:10.1182/blood-2008-03-143537.
.. [6] Mullally A, Bruedigam C, Poveromo L, et al. (2013). Depletion of
   Jak2V617F myeloproliferative neoplasm-propagating stem cells by
   interferon-alpha in a murine model of polycythemia vera. Blood
   121(18):3692-3702.
.. [7] Mosca M, Hermange G, et al. (2021). Inferring the dynamics of mutated
   hematopoietic stem and progenitor cells induced by IFNalpha in
   myeloproliferative neoplasms. Blood 138(22):2231-2243 (IFN-alpha drives
   JAK2V617F stem cells out of quiescence into differentiation).
"""

from __future__ import annotations

from ..biology import roles
from ..model import Event, Model, Observable, Parameter, Source, State, Sym, Term, symbols

ID = "andersen2017_mpn"
TITLE = "Andersen et al. 2017 (Cancitis): inflammation-driven JAK2V617F MPN with interferon-alpha"
YEAR = 365.25
MONTH = YEAR / 12.0
DEFAULT_DAYS = 40 * YEAR
REFERENCE = Source(
    citation="Andersen M, Sajid Z, Pedersen RK, et al. (2017). Mathematical modelling as a proof of "
    "concept for MPNs as a human inflammation model for cancer development. PLoS ONE 12:e0183620",
    location="inflammatory-MPN (Cancitis) model equations and parameter table",
    doi="10.1371/journal.pone.0183620",
    note="PMID 28859112; BioModels BIOMD0000000852",
)
_CIT = "Andersen et al. 2017, PLoS ONE 12:e0183620"
_DOI = "10.1371/journal.pone.0183620"

#: Kiladjian et al. 2008 (Blood 112:3065), abstract: median %JAK2V617F on pegylated
#: IFN-alpha-2a. Months after the start of treatment -> percent.
KILADJIAN_2008_MONTHS = (12.0, 18.0, 24.0, 36.0)
KILADJIAN_2008_BURDEN = (22.5, 17.5, 5.0, 3.0)
KILADJIAN_2008_BASELINE = 45.0

#: Result of :func:`fit_ifn_effect` with the defaults (stored so that build() needs no fit).
KIFN_FIT = 1.9724067

KILADJIAN_SOURCE = Source(
    citation="Kiladjian J-J et al. (2008). Pegylated interferon-alfa-2a induces complete hematologic and "
    "molecular responses with low toxicity in polycythemia vera. Blood 112:3065-3072",
    location="abstract (median %V617F 45 -> 22.5/17.5/5/3 % at 12/18/24/36 months, 29 patients)",
    doi="10.1182/blood-2008-03-143537",
    note="fitted by oncoimmune.analysis.mpn_ifn.fit_ifn_effect(): least squares in percentage "
    "points, IFN started at a simulated burden of 45 % from one mutated stem cell; functional form "
    "d_y0*(1 + k_IFN*u_IFN) after Ottesen et al. 2020 (Cancers 12:2119) and Pedersen et al. 2021",
)


def _src(note: str = "value as curated in BioModels BIOMD0000000852") -> Source:
    return Source(citation=_CIT, location="parameter table (inflammatory-MPN model)", doi=_DOI, note=note)


def build() -> Model:
    """The Cancitis model with the BioModels parameters and the fitted IFN-alpha effect.

    Returns
    -------
    Model
        Default start: the healthy state of the BioModels encoding
        (``x0 = 1.01e4``, ``x1 = 3.84e10``, ``a = 699``, ``s = 3.61``) with no
        mutated cell (``y0 = y1 = 0``) and IFN off. Use
        ``with_initial(y0=1)`` for the one-mutated-stem-cell experiment.
    """
    x0, x1, y0, y1, a, s = symbols("x0 x1 y0 y1 a s")
    (rx, ry, ax, ay, Ax, Ay, dx0, dy0, dx1, dy1, cxx, cxy, cyx, cyy, rm, rs, es, ea, I, k_IFN, u_IFN) = (
        symbols("rx ry ax ay Ax Ay dx0 dy0 dx1 dy1 cxx cxy cyx cyy rm rs es ea I k_IFN u_IFN")
    )
    psi_x, psi_y = Sym("psi_x"), Sym("psi_y")
    P = Parameter
    params = (
        P("rx", 8.7e-4, "1/(day*s unit)", "self-renewal rate of healthy stem cells", _src()),
        P("ry", 1.3e-3, "1/(day*s unit)", "self-renewal rate of JAK2V617F stem cells", _src()),
        P("ax", 1.1e-5, "1/day", "differentiation rate of healthy stem cells", _src()),
        P("ay", 1.1e-5, "1/day", "differentiation rate of JAK2V617F stem cells", _src()),
        P(
            "Ax",
            4.7e13,
            "1",
            "amplification of a differentiating healthy stem cell into mature cells",
            _src(),
        ),
        P(
            "Ay",
            4.7e13,
            "1",
            "amplification of a differentiating JAK2V617F stem cell into mature cells",
            _src(),
        ),
        P("dx0", 2.0e-3, "1/day", "death (exhaustion) rate of healthy stem cells", _src()),
        P("dy0", 2.0e-3, "1/day", "death (exhaustion) rate of JAK2V617F stem cells", _src()),
        P("dx1", 129.0, "1/day", "death rate of healthy mature cells", _src()),
        P("dy1", 129.0, "1/day", "death rate of JAK2V617F mature cells", _src()),
        P("cxx", 7.5e-5, "1/cell", "niche feedback of healthy on healthy stem-cell self-renewal", _src()),
        P("cxy", 7.5e-5, "1/cell", "niche feedback of mutated on healthy stem-cell self-renewal", _src()),
        P("cyx", 7.5e-5, "1/cell", "niche feedback of healthy on mutated stem-cell self-renewal", _src()),
        P("cyy", 7.5e-5, "1/cell", "niche feedback of mutated on mutated stem-cell self-renewal", _src()),
        P(
            "rm",
            2.0e-8,
            "1/(day*s unit)",
            "JAK2V617F mutation rate of healthy stem cells per unit cytokine",
            _src(),
        ),
        P("rs", 3.0e-4, "s unit/(cell*day)", "cytokine release per dead cell", _src()),
        P("es", 2.0, "1/day", "elimination rate of the cytokine", _src()),
        P("ea", 2.0e9, "1/(s unit*day)", "dead-cell clearance per unit cytokine", _src()),
        P("I", 7.0, "s unit/day", "external inflammatory stimulus", _src("'inflammation' in BioModels")),
        P(
            "k_IFN",
            KIFN_FIT,
            "1",
            "relative increase of JAK2V617F stem-cell exhaustion under IFN-alpha",
            KILADJIAN_SOURCE,
        ),
        P(
            "u_IFN",
            0.0,
            "1",
            "IFN-alpha switch: 0 off, 1 on (treatment input)",
            Source(
                "Ottesen et al. 2020, Cancers 12:2119",
                location="IFN treatment as a switch on malignant stem-cell parameters",
                doi="10.3390/cancers12082119",
                note="0 = untreated; set to 1 by an event to start IFN",
            ),
            bounds=(0.0, 1.0e3),
        ),
    )
    states = (
        State("x0", 1.01e4, "cells", "healthy haematopoietic stem cells"),
        State("x1", 3.84e10, "cells", "healthy mature blood cells"),
        State("y0", 0.0, "cells", "JAK2V617F-mutated stem cells"),
        State("y1", 0.0, "cells", "JAK2V617F-mutated mature blood cells"),
        State("a", 699.0, "cells", "dead cells"),
        State("s", 3.61, "s unit", "inflammatory cytokine level"),
    )
    observables = (
        Observable(
            "psi_x", 1 / (1 + (cxx * x0 + cxy * y0) ** 2), "1", "niche feedback on healthy stem cells"
        ),
        Observable(
            "psi_y", 1 / (1 + (cyx * x0 + cyy * y0) ** 2), "1", "niche feedback on JAK2V617F stem cells"
        ),
        Observable(
            "jak2_burden",
            y1 / (x1 + y1),
            "1",
            "JAK2V617F fraction of mature cells (proxy of the allele burden)",
        ),
    )
    terms = (
        Term(
            "hsc_self_renewal",
            rx * psi_x * s * x0,
            {"x0": 1},
            "healthy stem cells self-renew under inflammation",
        ),
        Term("hsc_death", dx0 * x0, {"x0": -1, "a": 1}, "healthy stem cells die"),
        Term("hsc_differentiation", ax * x0, {"x0": -1}, "healthy stem cells differentiate"),
        Term("hsc_mutation", rm * s * x0, {"x0": -1, "y0": 1}, "inflammation-driven JAK2V617F mutation"),
        Term(
            "hmc_production", ax * Ax * x0, {"x1": 1}, "differentiating healthy stem cells give mature cells"
        ),
        Term("hmc_death", dx1 * x1, {"x1": -1, "a": 1}, "healthy mature cells die"),
        Term(
            "mpn_sc_self_renewal",
            ry * psi_y * s * y0,
            {"y0": 1},
            "JAK2V617F stem cells self-renew under inflammation",
            {roles.TUMOUR_GROWTH},
        ),
        Term("mpn_sc_death", dy0 * y0, {"y0": -1, "a": 1}, "JAK2V617F stem cells die"),
        Term(
            "ifn_mpn_sc_exhaustion",
            dy0 * k_IFN * u_IFN * y0,
            {"y0": -1, "a": 1},
            "IFN-alpha drives JAK2V617F stem cells into exhaustion",
        ),
        Term("mpn_sc_differentiation", ay * y0, {"y0": -1}, "JAK2V617F stem cells differentiate"),
        Term(
            "mpn_mc_production",
            ay * Ay * y0,
            {"y1": 1},
            "differentiating JAK2V617F stem cells give mature cells",
        ),
        Term("mpn_mc_death", dy1 * y1, {"y1": -1, "a": 1}, "JAK2V617F mature cells die"),
        Term(
            "dead_cell_clearance", ea * a * s, {"a": -1}, "dead cells are cleared, faster with inflammation"
        ),
        Term("cytokine_release", rs * a, {"s": 1}, "dead cells stimulate cytokine release", {roles.CYTOKINE}),
        Term("cytokine_elimination", es * s, {"s": -1}, "the cytokine is eliminated", {roles.CYTOKINE}),
        Term("inflammatory_stimulus", I, {"s": 1}, "external inflammatory stimulus", {roles.CYTOKINE}),
    )
    return Model(
        stiff=True,
        id=ID,
        title=TITLE,
        states=states,
        parameters=params,
        terms=terms,
        observables=observables,
        description=(
            "Haematopoietic stem cells self-renew under an inflammatory cytokine and feed mature blood "
            "cells; inflammation drives the JAK2V617F mutation, and the mutated clone out-renews the "
            "healthy one. Dead cells feed inflammation back. Interferon-alpha (switch u_IFN) raises the "
            "exhaustion of mutated stem cells; its effect size k_IFN is fitted to Kiladjian et al. 2008."
        ),
        references=(
            REFERENCE,
            Source("BioModels BIOMD0000000852 (SBML encoding of Andersen et al. 2017)"),
            Source(
                "Ottesen JT et al. (2020). Mathematical modeling of MPNs offers understanding and decision "
                "support for personalized treatment. Cancers 12:2119",
                doi="10.3390/cancers12082119",
            ),
            Source(
                "Pedersen RK et al. (2021). Dose-dependent mathematical modeling of "
                "interferon-alpha-treatment for personalized treatment of myeloproliferative "
                "neoplasms. Computational and Systems Oncology",
                doi="10.1002/cso2.1030",
            ),
            KILADJIAN_SOURCE,
        ),
        tumour_state="y1",
        notes=(
            "Cell counts span 1 to 1e11: keep rtol <= 1e-8 (atol is negligible next to x1).",
            "IFN-alpha (u_IFN, k_IFN) is an oncoimmune addition; k_IFN is fitted, not published.",
        ),
    )


def ifn_events(start: float, stop: float | None = None, level: float = 1.0) -> tuple[Event, ...]:
    """Switch IFN-alpha on at ``start`` (days) and, optionally, off at ``stop``."""
    evs = [Event(start, "u_IFN", "set", level, kind="parameter", label="interferon-alpha on")]
    if stop is not None:
        evs.append(Event(stop, "u_IFN", "set", 0.0, kind="parameter", label="interferon-alpha off"))
    return tuple(evs)


#: Integration settings of the helpers below. The model is very stiff (dead-cell clearance
#: ``ea*s`` is about 7e9 per day), so an implicit method is used throughout; LSODA can spend its
#: whole work budget on short spans that start away from the slow manifold.
SOLVER = {"method": "BDF", "rtol": 1e-10, "atol": 1e-12}
