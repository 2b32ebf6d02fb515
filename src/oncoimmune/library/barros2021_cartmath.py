r"""Barros et al. (2021), CARTmath: effector and memory CAR-T cells against a haematological tumour.

Effector CAR-T cells ``Ct``, memory CAR-T cells ``Cm`` and tumour cells ``T``
(whole-mouse cell numbers in immunodeficient xenograft models), time in days:

.. math::

    \frac{dC_t}{dt} &= \phi C_t - \rho C_t + \theta T C_m - \alpha T C_t \\
    \frac{dC_m}{dt} &= \varepsilon C_t - \theta T C_m - \mu C_m \\
    \frac{dT}{dt}   &= r T (1 - b T) - \gamma C_t T

Effector cells proliferate (``phi``) and are lost (``rho``: natural death plus
differentiation, lumped), are inhibited by the tumour (``alpha``, e.g. PD-L1
signalling), and kill tumour cells by mass action (``gamma``). Memory cells
are formed from effectors (``epsilon``; the paper adds them to ``Cm``
without removing them from ``Ct``, differentiation being part of ``rho``),
die slowly (``mu``) and are converted back into effectors on antigen contact
(``theta``), which is what rejects a tumour rechallenge.

The notation is the paper's (equations as printed by the authors' CARTmath
app, ``report.Rmd``). BioModels renames three parameters: paper ``rho`` is
SBML ``pi``, paper ``r`` is SBML ``rho`` and paper ``b`` is SBML ``beta``.

Cell lines (``build(cell_line=...)``)
-------------------------------------
``"hdlm2"`` (default)
    Hodgkin lymphoma HDLM-2 in NSG mice with CD123-directed CAR-T cells
    (data of Ruella et al. 2017). Start: ``T = 2e6``; default experiment
    (paper Fig. 3a): ``Ct += 2e6`` at day 42 and a rechallenge ``T += 1e6`` at
    day 250, 500 days.
``"raji"``, ``"raji_ido"``, ``"raji_ido_1mt"``
    Burkitt lymphoma RAJI in SCID/Beige mice with CD19-directed CAR-T cells
    (data of Ninomiya et al. 2015); the three differ only in the tumour
    inhibition ``alpha`` (RAJI, RAJI-IDO+, RAJI-IDO+ treated with the IDO
    inhibitor 1-MT; paper Fig. 3b-d). Start: ``T = 3e6``; experiment:
    ``Ct += 1e7`` at day 7.

Parameters
----------
========  ============  ============  ================  ==========================================
name      HDLM-2        RAJI          units             meaning
========  ============  ============  ================  ==========================================
phi       0.265         0.83          1/day             effector CAR-T proliferation rate
rho       0.35          0.8300536     1/day             effector reduction (death + differentiation)
theta     6e-6          2.3e-4        1/(cell day)      memory -> effector conversion on tumour contact
alpha     4.5e-8        1.248506e-8   1/(cell day)      effector inhibition by the tumour
epsilon   0.15          1.59795       1/day             memory formation from effectors
mu        0.005         6.89e-7       1/day             memory CAR-T death rate
r         0.05650026    0.5071721     1/day             tumour growth rate
b         1.404029e-12  0             1/cell            inverse tumour carrying capacity
gamma     3.715843e-6   3.365388e-8   1/(cell day)      tumour kill by effector CAR-T cells
========  ============  ============  ================  ==========================================

RAJI-IDO+: ``alpha = 1.461699e-8``; RAJI-IDO+ with 1-MT: ``alpha = 1.261662e-8``.

Observables
-----------
``tumour_diameter``
    Diameter (mm) of a sphere holding the tumour cells (1e9 cells/cm^3). The
    xenografts are disseminated lymphomas, so this is a notional size.
``tumour_kill_rate``
    ``gamma*Ct*T``, tumour cells lysed per day.
``crs_risk_proxy``
    ``gamma*Ct*T / 1e6``: the kill rate in units of 1e6 lysed cells per day.
    **A proxy, not a CRS model**: CARTmath has no cytokines. It rests on the
    idea of Hanson et al. (2016, BioModels BIOMD0000000837), where the
    inflammatory-cytokine drive is proportional to tumour burden times
    effector CAR-T cells (``p1*B*(Ce + He)``), and on the clinical finding
    that CRS severity rises with tumour burden and CAR-T expansion (Teachey et
    al. 2016). Use it to compare schedules within this model, never as a
    probability or grade of CRS.

Roles
-----
Besides the shared roles of :mod:`oncoimmune.biology.roles` (``kill``,
``effector_death``, ``inactivation``, ``recruitment``, ``tumour_growth``),
CAR-T models tag terms with the role strings defined here:
:data:`CART_EXPANSION` (proliferation of the engineered cells),
:data:`MEMORY_FORMATION` (effector -> memory), :data:`MEMORY_ACTIVATION`
(memory -> effector on antigen contact; also tagged ``recruitment``) and
:data:`MEMORY_DEATH`.

Notes
-----
*Injection day.* The BioModels encoding (BIOMD0000001019) and
``shared/validation.md`` inject the CAR-T cells at day 45. The authors' own
CARTmath app (manual, dataset II "CAR-T Immunotherapy with Challenge in HDLM-2
tumor (Barros et al. 2021, Figure 3a)": "CAR-T cell injection on day 42";
``server.R`` likewise) uses day 42, so the default experiment follows the
paper (day 42); ``default_events(cart_day=45)`` gives the BioModels variant,
on which the catalogue's numeric checks were computed. The paper's own text
could not be consulted here.

*Extinction.* The CARTmath app sets any population below 1e-6 cells to zero
after each Runge-Kutta step. This module integrates the ODEs as written (no
threshold): after clearance ``T`` decays to about 1e-11 cells and a
rechallenge is rejected from there, which gives the same picture. Read values
below one cell as "extinct": they sit under the default absolute tolerance
(1e-10), and their slow regrowth once effectors have waned (rate ``r``, from
about 1e-13 cells; still 1e-9 at day 500) is not biology.

References
----------
.. [1] Barros LRC, Paixao EA, Valli AMP, Naozuka GT, Fassoni AC, Almeida RC
   (2021). CARTmath - A mathematical model of CAR-T immunotherapy in
   preclinical studies of hematological cancers. Cancers 13(12):2941.
   doi:10.3390/cancers13122941. Model equations (Section 2); parameter table
   (HDLM-2 and RAJI columns); Fig. 3a-d and 4.
.. [2] Paixao EA, Naozuka GT, Valli AMP, Barros LRC, Almeida RC (2020).
   CARTmath v1.0 (R/Shiny app), github.com/tmglncc/CARTmath,
   doi:10.5281/zenodo.4450376: equations (``report.Rmd``), parameter sets and
   experiment timings of the paper's figures (``server.R``, manual).
.. [3] BioModels BIOMD0000001019 (HDLM-2) and BIOMD0000001020 (RAJI): SBML
   encodings with the same parameter values.
.. [4] Hanson S et al. (2016). Toxicity management in CAR T cell therapy for
   B-ALL: mathematical modelling as a new avenue for improvement. bioRxiv
   049908, doi:10.1101/049908; BioModels BIOMD0000000837.
.. [5] Teachey DT et al. (2016). Identification of predictive biomarkers for
   cytokine release syndrome after chimeric antigen receptor T-cell therapy
   for acute lymphoblastic leukemia. Cancer Discov 6(6):664-679.
   doi:10.1158/2159-8290.CD-16-0040.
"""

from __future__ import annotations

from .._errors import ScheduleError, UnknownNameError
from ..biology import roles
from ..biology.observables import tumour_diameter_mm
from ..model import Event, Model, Observable, Parameter, Source, State, Sym, Term

__all__ = [
    "ID",
    "TITLE",
    "REFERENCE",
    "DEFAULT_DAYS",
    "CELL_LINES",
    "CART_EXPANSION",
    "MEMORY_FORMATION",
    "MEMORY_ACTIVATION",
    "MEMORY_DEATH",
    "CRS_RATE_SCALE",
    "build",
    "default_events",
]

ID = "barros2021_cartmath"
TITLE = "Barros et al. 2021 (CARTmath): effector and memory CAR-T cells against a haematological tumour"
REFERENCE = Source(
    citation="Barros LRC, Paixao EA, Valli AMP, Naozuka GT, Fassoni AC, Almeida RC (2021). CARTmath - "
    "A mathematical model of CAR-T immunotherapy in preclinical studies of hematological cancers. "
    "Cancers 13:2941",
    location="model equations (Section 2), parameter table, Fig. 3",
    doi="10.3390/cancers13122941",
)
#: Horizon of the default experiment (the CARTmath app's 500 days for Fig. 3a).
DEFAULT_DAYS = 500.0
CELL_LINES = ("hdlm2", "raji", "raji_ido", "raji_ido_1mt")

#: Role: proliferation/expansion of engineered CAR-T cells.
CART_EXPANSION = roles.CART_EXPANSION
#: Role: differentiation of effector cells into long-lived memory cells.
MEMORY_FORMATION = roles.MEMORY_FORMATION
#: Role: antigen-driven conversion of memory cells back into effectors.
MEMORY_ACTIVATION = roles.MEMORY_ACTIVATION
#: Role: death of memory cells.
MEMORY_DEATH = roles.MEMORY_DEATH

#: Scale of :data:`crs_risk_proxy`: 1e6 tumour cells lysed per day.
CRS_RATE_SCALE = 1.0e6

_CIT = "Barros et al. 2021, Cancers 13:2941"
_DOI = "10.3390/cancers13122941"
_CHECK = (
    "table number not verified from the paper text; value identical in the authors' CARTmath app v19 "
    "(server.R) and in BioModels {biomd}"
)

# paper name -> (HDLM-2, RAJI, units, description)
_VALUES = {
    "phi": (0.265, 0.83, "1/day", "proliferation rate of effector CAR-T cells"),
    "rho": (
        0.35,
        0.8300536,
        "1/day",
        "reduction rate of effector CAR-T cells (natural death plus differentiation)",
    ),
    "theta": (
        6.0e-6,
        2.3e-4,
        "1/(cell*day)",
        "conversion of memory into effector CAR-T cells on contact with tumour cells",
    ),
    "alpha": (4.5e-8, 1.248506e-8, "1/(cell*day)", "inhibition of effector CAR-T cells by tumour cells"),
    "epsilon": (0.15, 1.59795, "1/day", "formation rate of memory CAR-T cells from effector cells"),
    "mu": (5.0e-3, 6.89e-7, "1/day", "death rate of memory CAR-T cells"),
    "r": (0.05650026, 0.5071721, "1/day", "tumour growth rate"),
    "b": (1.404029e-12, 0.0, "1/cell", "inverse of the tumour carrying capacity"),
    "gamma": (
        3.715843e-6,
        3.365388e-8,
        "1/(cell*day)",
        "rate at which effector CAR-T cells kill tumour cells",
    ),
}
#: tumour inhibition alpha of the RAJI-IDO+ scenarios (paper Fig. 3c, 3d)
_ALPHA_IDO = {"raji_ido": 1.461699e-8, "raji_ido_1mt": 1.261662e-8}
_SBML_NAME = {"rho": "pi", "r": "rho", "b": "beta"}

_EXPERIMENT = {
    # cell line -> (initial tumour, CAR-T dose, CAR-T day, rechallenge size, rechallenge day)
    "hdlm2": (2.0e6, 2.0e6, 42.0, 1.0e6, 250.0),
    "raji": (3.0e6, 1.0e7, 7.0, 0.0, 0.0),
}
_FIGURE = {"hdlm2": "Fig. 3a", "raji": "Fig. 3b", "raji_ido": "Fig. 3c", "raji_ido_1mt": "Fig. 3d"}
_LABEL = {
    "hdlm2": "HDLM-2 (Hodgkin lymphoma, CD123 CAR-T)",
    "raji": "RAJI (Burkitt lymphoma, CD19 CAR-T)",
    "raji_ido": "RAJI-IDO+ (CD19 CAR-T)",
    "raji_ido_1mt": "RAJI-IDO+ with the IDO inhibitor 1-MT (CD19 CAR-T)",
}


def _check_line(cell_line: str) -> str:
    if cell_line not in CELL_LINES:
        raise UnknownNameError("CARTmath cell line (cell_line)", cell_line, CELL_LINES)
    return cell_line


def _parameters(cell_line: str) -> tuple[Parameter, ...]:
    hdlm2 = cell_line == "hdlm2"
    biomd = "BIOMD0000001019" if hdlm2 else "BIOMD0000001020"
    out = []
    for name, (v_h, v_r, units, desc) in _VALUES.items():
        value = v_h if hdlm2 else v_r
        location = f"parameter table, {'HDLM-2' if hdlm2 else 'RAJI'} column"
        note = _CHECK.format(biomd=biomd)
        if name in _SBML_NAME:
            note += f" (SBML id {_SBML_NAME[name]!r})"
        if name == "alpha" and cell_line in _ALPHA_IDO:
            value = _ALPHA_IDO[cell_line]
            location = f"parameter table, RAJI column, alpha for {_FIGURE[cell_line]}"
            note = (
                "value of the authors' CARTmath app v19 (server.R, datasets V/VI); BIOMD0000001020 switches "
                "alpha with an assignment rule (1.461699e-8 / 1.26166e-8, the latter rounded)"
            )
        out.append(Parameter(name, value, units, desc, Source(_CIT, location, _DOI, note)))
    return tuple(out)


def build(cell_line: str = "hdlm2") -> Model:
    """The CARTmath model for one cell line, with its published parameters.

    Parameters
    ----------
    cell_line : {"hdlm2", "raji", "raji_ido", "raji_ido_1mt"}
        Parameter set and initial tumour (see the module docstring). The
        library registry exposes ``"hdlm2"``.

    Returns
    -------
    Model
        States ``Ct``, ``Cm`` (no CAR-T cells before the infusion) and ``T``
        (2e6 HDLM-2 or 3e6 RAJI cells at day 0). The infusion and the
        rechallenge are events: see :func:`default_events`.
    """
    line = _check_line(cell_line)
    Ct, Cm, T = Sym("Ct"), Sym("Cm"), Sym("T")
    phi, rho, theta, alpha, epsilon, mu, r, b, gamma = (Sym(n) for n in _VALUES)
    t0_tumour = _EXPERIMENT["hdlm2" if line == "hdlm2" else "raji"][0]
    states = (
        State("Ct", 0.0, "cells", "effector CAR-T cells"),
        State("Cm", 0.0, "cells", "memory CAR-T cells"),
        State("T", t0_tumour, "cells", "tumour cells"),
    )
    terms = (
        Term("cart_proliferation", phi * Ct, {"Ct": 1}, "effector CAR-T cells proliferate", {CART_EXPANSION}),
        Term(
            "effector_reduction",
            rho * Ct,
            {"Ct": -1},
            "effector CAR-T cells die or differentiate (lumped reduction)",
            {roles.EFFECTOR_DEATH},
        ),
        Term(
            "memory_activation",
            theta * T * Cm,
            {"Cm": -1, "Ct": 1},
            "memory CAR-T cells meeting tumour antigen turn back into effector cells",
            {MEMORY_ACTIVATION, roles.RECRUITMENT},
        ),
        Term(
            "effector_inhibition",
            alpha * T * Ct,
            {"Ct": -1},
            "the tumour inhibits effector CAR-T cells (e.g. PD-L1 signalling)",
            {roles.INACTIVATION},
        ),
        Term(
            "memory_formation",
            epsilon * Ct,
            {"Cm": 1},
            "effector CAR-T cells give rise to long-lived memory cells",
            {MEMORY_FORMATION},
        ),
        Term("memory_death", mu * Cm, {"Cm": -1}, "memory CAR-T cells die", {MEMORY_DEATH}),
        Term(
            "tumour_growth",
            r * T * (1 - b * T),
            {"T": 1},
            "tumour cells grow logistically",
            {roles.TUMOUR_GROWTH},
        ),
        Term(
            "tumour_kill",
            gamma * Ct * T,
            {"T": -1},
            "effector CAR-T cells kill tumour cells on contact",
            {roles.KILL},
        ),
    )
    observables = (
        tumour_diameter_mm("T"),
        Observable(
            "tumour_kill_rate",
            gamma * Ct * T,
            "cells/day",
            "tumour cells lysed per day by effector CAR-T cells",
        ),
        Observable(
            "crs_risk_proxy",
            Sym("tumour_kill_rate") / CRS_RATE_SCALE,
            "1e6 cells/day",
            "PROXY for cytokine-release risk: tumour-lysis rate in units of 1e6 cells/day "
            "(cytokine drive ~ tumour x effector CAR-T, Hanson et al. 2016); not a CRS probability or grade",
        ),
    )
    fig = _FIGURE[line]
    return Model(
        id=ID if line == "hdlm2" else f"{ID}_{line}",
        title=f"{TITLE} - {_LABEL[line]}",
        states=states,
        parameters=_parameters(line),
        terms=terms,
        observables=observables,
        description=(
            "Three-population model of CAR-T immunotherapy in immunodeficient mice: effector CAR-T "
            "cells proliferate, kill tumour cells, are inhibited by the tumour and seed a memory pool; "
            "memory cells turn back into effectors on antigen contact and so protect against a tumour "
            "rechallenge. "
            f"Parameter set: {_LABEL[line]} ({fig}). CAR-T cells are given as events (default_events)."
        ),
        references=(
            REFERENCE,
            Source(
                "Paixao EA, Naozuka GT, Valli AMP, Barros LRC, Almeida RC (2020). "
                "CARTmath v1.0 (R/Shiny app)",
                "github.com/tmglncc/CARTmath: report.Rmd, server.R, manual",
                "10.5281/zenodo.4450376",
            ),
            Source(
                "BioModels "
                + ("BIOMD0000001019 (HDLM-2)" if line == "hdlm2" else "BIOMD0000001020 (RAJI)")
                + " (SBML encoding of Barros et al. 2021)"
            ),
            Source(
                "Hanson S et al. (2016). Toxicity management in CAR T cell therapy for B-ALL: mathematical "
                "modelling as a new avenue for improvement. bioRxiv 049908; BioModels BIOMD0000000837",
                "inflammation stimulation term p1*B*(Ce + He) (idea behind crs_risk_proxy)",
                "10.1101/049908",
            ),
        ),
        tumour_state="T",
        notes=(
            "crs_risk_proxy is a documented proxy (tumour-lysis rate), not a cytokine model.",
            (
                "The default experiment injects CAR-T cells at day 42 as in the paper's Fig. 3a (authors' "
                "CARTmath app); BioModels BIOMD0000001019 uses day 45 (default_events(cart_day=45))."
            ),
        ),
    )


def default_events(cell_line: str = "hdlm2", *, cart_day: float | None = None) -> tuple[Event, ...]:
    """The paper's experiment for ``cell_line`` as exact events.

    Parameters
    ----------
    cell_line : {"hdlm2", "raji", "raji_ido", "raji_ido_1mt"}
        ``"hdlm2"``: 2e6 CAR-T123 cells at day 42 and a rechallenge with 1e6
        HDLM-2 cells at day 250 (Fig. 3a). RAJI lines: 1e7 CAR-T19 cells at day
        7 (Fig. 3b-d).
    cart_day : float, optional
        Override of the infusion day; ``45`` reproduces the BioModels encoding
        of the HDLM-2 experiment (BIOMD0000001019).

    Returns
    -------
    tuple of Event
    """
    line = _check_line(cell_line)
    _t0, dose, day, rechallenge, re_day = _EXPERIMENT["hdlm2" if line == "hdlm2" else "raji"]
    if cart_day is not None:
        day = float(cart_day)
        if rechallenge and not 0.0 <= day < re_day:
            raise ScheduleError(
                f"cart_day must lie in [0, {re_day:g}) days (before the rechallenge); got {cart_day!r}"
            )
    fig = _FIGURE[line]
    events = [Event(day, "Ct", "add", dose, label=f"CAR-T infusion, {dose:.3g} cells ({fig})")]
    if rechallenge:
        events.append(
            Event(
                re_day, "T", "add", rechallenge, label=f"tumour rechallenge, {rechallenge:.3g} cells ({fig})"
            )
        )
    return tuple(events)
