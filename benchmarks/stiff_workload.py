r"""The stiff checkpoint-inhibitor cohort of issue 14, written with the package's public API.

Model (:func:`build`): six states.

1. **Kuznetsov et al. (1994)** effector cells ``E`` and tumour cells ``T``
   (:mod:`oncoimmune.library.kuznetsov1994`; 8 parameters).
2. **T-cell exhaustion**: the pool ``X`` of ``benchmarks/checkpoint_workload.py``
   (``k_ex E T/(g + T)`` in, ``d_X X`` dies, ``r_X * pd1_occupancy * X`` back to
   ``E``; Wherry 2011, Pauken 2016; scenario values).
3. **Pembrolizumab two-compartment PK** as explicit states: central and
   peripheral amounts ``A1``, ``A2`` (mg), ``dA1/dt = -CL/V1 A1 - Q (A1/V1 -
   A2/V2)``, ``dA2/dt = Q (A1/V1 - A2/V2)`` with Ahamadi 2017's typical values
   (Table 3: CL 0.22 L/day, Vc 3.48 L, Q 0.795 L/day, Vp 4.06 L; reference
   patient of 76.8 kg), doses of **200 mg as IV boluses every 21 days**
   (18 doses in a year, state events ``A1 += 200``).
4. **PD-1 binding as a state**: the occupied fraction ``pd1_occupancy`` (theta)
   follows ``dtheta/dt = k_on C (1 - theta) - k_off theta`` with the free serum
   concentration ``C = A1/V1`` (ug/mL = mg/L). ``k_on = k_off / IC50``, so the
   equilibrium is the target engagement ``C/(C + IC50)`` of Elassaiss-Schaap
   2017 (Table 2: IC50 = 0.535 ug/mL) that the package's ``pd1_blockade``
   mechanism uses. ``k_off = 1 /day`` is a scenario value (assumption): the
   complex dissociates within a day. Drug bound to receptors is neglected in
   the PK (receptor amount << antibody amount). This state makes the system
   stiff: its relaxation rate ``k_off (1 + C/IC50)`` is about 40-110 /day at the
   concentrations of 200 mg Q3W, against days to months for the cells, so an
   explicit method is held to steps of ~0.03-0.08 days by stability alone.
5. **The PD-L1 brake** :func:`oncoimmune.biology.escape.pdl1_checkpoint`
   (``q = 2``), which reuses the ``pd1_occupancy`` state.

Patients: 17 parameters (:data:`VARIED`: the 8 of Kuznetsov, the brake's ``q``,
3 exhaustion, 4 PK and ``k_off``; ``IC50`` stays at its published value) log-normal around
their typical values with CV 30 % (``sigma = sqrt(log(1 + 0.3^2))``), from the
per-patient stream ``SeedSequence([seed, i], spawn_key=(2,))``
(:func:`oncoimmune.patients.cohort.patient_rng`). Horizon 365 days, daily output,
``rtol = 1e-6``.

References
----------
.. [1] Kuznetsov VA et al. (1994). Bull Math Biol 56:295-321. doi:10.1007/BF02460644
.. [2] Wherry EJ (2011). Nat Immunol 12:492-499. doi:10.1038/ni.2035
.. [3] Pauken KE et al. (2016). Science 354:1160-1165. doi:10.1126/science.aaf2807
.. [4] Ahamadi M et al. (2017). CPT Pharmacometrics Syst Pharmacol 6:49-57. doi:10.1002/psp4.12139
.. [5] Elassaiss-Schaap J et al. (2017). CPT Pharmacometrics Syst Pharmacol 6:21-28. doi:10.1002/psp4.12132
.. [6] Lai X, Friedman A (2017). PLoS ONE 12:e0178479. doi:10.1371/journal.pone.0178479
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from oncoimmune.biology import roles
from oncoimmune.biology.escape import PD1_OCCUPANCY, pdl1_checkpoint
from oncoimmune.library import get_model
from oncoimmune.model import Event, Model, Parameter, Source, State, Sym, Term
from oncoimmune.model.compile import CompiledModel
from oncoimmune.patients.cohort import patient_rng

DAYS = 365.0
SAVE = np.arange(DAYS + 1.0)
CV = 0.30
T0 = 2.0e8
DOSE_MG = 200.0
EVERY = 21.0
PDL1_ENGAGEMENT = 2.0

_AHAMADI = Source(
    citation="Ahamadi M et al. (2017). Model-based characterization of the pharmacokinetics of pembrolizumab. "
    "CPT Pharmacometrics Syst Pharmacol 6:49-57",
    location="Table 3 (typical values, reference patient 76.8 kg)",
    doi="10.1002/psp4.12139",
)
_ELASSAISS = Source(
    citation="Elassaiss-Schaap J et al. (2017). CPT Pharmacometrics Syst Pharmacol 6:21-28",
    location="Table 2: IC50 = 0.535 ug/mL (PD-1 target engagement in blood)",
    doi="10.1002/psp4.12132",
)
_SCENARIO = Source(
    citation="benchmark scenario value (assumption), issue 14",
    location="-",
    note="not fitted; chosen so that the PD-1 complex dissociates within a day",
)
_EXHAUSTION = Source(
    citation="Wherry EJ (2011) T cell exhaustion, Nat Immunol 12:492; Pauken KE et al. (2016) Science 354:1160",
    location="chronic antigen stimulation drives exhaustion; PD-1 blockade reinvigorates exhausted cells",
    doi="10.1038/ni.2035",
    note="benchmark scenario value (assumption), as in benchmarks/checkpoint_workload.py",
)


def build() -> tuple[Model, tuple[Event, ...]]:
    """The six-state model and its 18 bolus doses."""
    E, T, X = Sym("E"), Sym("T"), Sym("X")
    A1, A2, occ = Sym("A1"), Sym("A2"), Sym(PD1_OCCUPANCY)
    CL, V1, Q, V2 = Sym("CL"), Sym("V1"), Sym("Q"), Sym("V2")
    k_off, ic50 = Sym("k_off"), Sym("ic50")
    k_ex, r_X, d_X, g = Sym("k_ex"), Sym("r_X"), Sym("d_X"), Sym("g")
    m = get_model("kuznetsov1994").add(
        id="stiff_checkpoint_cohort_benchmark",
        title="Kuznetsov 1994 + exhaustion + pembrolizumab PK with explicit PD-1 binding (stiff benchmark)",
        states=(
            State("X", 0.0, "cells", "exhausted effector cells"),
            State("A1", 0.0, "mg", "pembrolizumab, central compartment"),
            State("A2", 0.0, "mg", "pembrolizumab, peripheral compartment"),
            State(PD1_OCCUPANCY, 0.0, "1", "fraction of PD-1 bound by pembrolizumab"),
        ),
        parameters=(
            Parameter("k_ex", 0.05, "1/day", "maximal exhaustion rate under chronic tumour stimulation", _EXHAUSTION),
            Parameter("r_X", 0.1, "1/day", "reinvigoration rate at full PD-1 occupancy", _EXHAUSTION),
            Parameter("d_X", 0.02, "1/day", "death rate of exhausted cells", _EXHAUSTION),
            Parameter("CL", 0.22, "L/day", "pembrolizumab clearance", _AHAMADI),
            Parameter("V1", 3.48, "L", "central volume", _AHAMADI),
            Parameter("Q", 0.795, "L/day", "intercompartmental clearance", _AHAMADI),
            Parameter("V2", 4.06, "L", "peripheral volume", _AHAMADI),
            Parameter("k_off", 0.5, "1/day", "dissociation rate of the pembrolizumab-PD-1 complex", _SCENARIO),
            Parameter("ic50", 0.535, "ug/mL", "serum concentration of half target engagement (k_off/k_on)",
                      _ELASSAISS),
        ),
        terms=(
            Term("exhaustion", k_ex * E * T / (g + T), {"E": -1, "X": 1},
                 "chronic tumour stimulation exhausts effector cells", {roles.INACTIVATION}),
            Term("reinvigoration", r_X * occ * X, {"X": -1, "E": 1}, "PD-1 blockade reinvigorates exhausted cells"),
            Term("exhausted_death", d_X * X, {"X": -1}, "exhausted cells die"),
            Term("pk_elimination", CL / V1 * A1, {"A1": -1}, "linear clearance from the central compartment"),
            Term("pk_distribution", Q * (A1 / V1 - A2 / V2), {"A1": -1, "A2": 1},
                 "distribution between central and peripheral compartments"),
            Term("pd1_binding", k_off / ic50 * (A1 / V1) * (1 - occ), {PD1_OCCUPANCY: 1},
                 "free pembrolizumab binds free PD-1 (k_on = k_off/IC50)"),
            Term("pd1_unbinding", k_off * occ, {PD1_OCCUPANCY: -1}, "the complex dissociates"),
        ),
        references=(_AHAMADI, _ELASSAISS, _EXHAUSTION),
    ).with_initial({"T": T0})
    m = pdl1_checkpoint(m, PDL1_ENGAGEMENT)
    events = tuple(
        Event(EVERY * k, "A1", "add", DOSE_MG, label="pembrolizumab 200 mg IV bolus")
        for k in range(int(DAYS // EVERY) + 1)
        if EVERY * k < DAYS
    )
    return m, events


@dataclass(frozen=True, eq=False)
class Workload:
    """A cohort workload: the compiled model, its events and which parameters vary (log-normal, ``sigma``).

    Also used by ``library_workloads`` for the published stiff models."""

    model: Model
    compiled: CompiledModel
    events: tuple[Event, ...]
    varied: np.ndarray
    sigma: float
    days: float = DAYS
    save: np.ndarray = field(default_factory=SAVE.copy)
    title: str = ""

    @property
    def y0(self) -> np.ndarray:
        """Initial state shared by the patients."""
        return self.compiled.y0

    def parameters(self, lo: int, hi: int, seed: int = 2024) -> np.ndarray:
        """Parameter rows of patients ``lo..hi-1`` (each from its own SeedSequence stream)."""
        p0 = self.compiled.p0
        typ = p0[self.varied]
        P = np.tile(p0, (hi - lo, 1))
        for r, i in enumerate(range(lo, hi)):
            z = patient_rng(seed, i, "parameters").standard_normal(self.varied.size)
            P[r, self.varied] = typ * np.exp(self.sigma * z)
        return P


#: every parameter of the right-hand side varies (17)
VARIED = ("s", "p", "g", "m", "d", "a", "b", "n", "pdl1_engagement", "k_ex", "r_X", "d_X", "CL", "V1", "Q", "V2",
          "k_off")


def workload() -> Workload:
    """The stiff benchmark workload."""
    model, events = build()
    cm = model.compile()
    varied = np.array([cm.param_index(n) for n in VARIED], dtype=np.int64)
    return Workload(model, cm, events, varied, math.sqrt(math.log1p(CV**2)),
                    title="Stiff checkpoint cohort (issue 14): Kuznetsov + exhaustion + pembrolizumab PK + PD-1 binding")
