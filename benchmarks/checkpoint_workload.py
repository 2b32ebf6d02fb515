r"""The checkpoint-inhibitor cohort workload shared by the benchmarks.

Model (built only with the package's public API; :func:`build_model`):

1. **Kuznetsov et al. (1994)** effector cells ``E`` and tumour cells ``T``
   (:mod:`oncoimmune.library.kuznetsov1994`).
2. **T-cell exhaustion** (this benchmark's addition, documented here): chronic
   antigen stimulation drives effectors into an exhausted pool ``X`` at the
   rate ``k_ex E T/(g + T)`` (the same saturating tumour stimulus as Kuznetsov's
   recruitment); exhausted cells die at ``d_X``; PD-1 blockade reinvigorates
   them back to ``E`` at ``r_X * pd1_occupancy * X``, i.e. partially and only
   while the drug occupies PD-1 (Wherry 2011; Pauken et al. 2016). This is the
   compartment form of the idea behind ``nikolopoulou2018(exhaustion=True)``:
   blocking PD-1 must not lift every limit on the effector pool. The three
   values are scenario values (assumptions), not fitted.
3. **The PD-L1 brake** :func:`oncoimmune.biology.escape.pdl1_checkpoint`
   (``kill`` and ``recruitment`` times ``1/(1 + q (1 - pd1_occupancy))``,
   Lai & Friedman 2017) at ``q = 2``.
4. **Pembrolizumab** through the therapy package,
   ``treat_regimens(model, "pembrolizumab:200mg:q3w", until=365)``: the
   Ahamadi 2017 two-compartment popPK (Table 3, scaled to 70 kg), 30-min IV
   infusions every 21 days as exact rate-switch events (18 doses, 36 events in
   a year), and the ``pd1_blockade`` mechanism, which binds ``pd1_occupancy``
   to the target engagement ``C/(C + IC50)`` (Elassaiss-Schaap 2017).

Five states (``E``, ``T``, two PK amounts, ``X``). Patients: every parameter
of the right-hand side except the dosing inputs is log-normal around its
typical value (median) with a CV of 30 % (``sigma = sqrt(log(1 + 0.3^2))``,
:class:`oncoimmune.model.Distribution` semantics), drawn from the patient's
own ``parameters`` stream ``SeedSequence([seed, i], spawn_key=(2,))``
(:func:`oncoimmune.patients.cohort.patient_rng`), so patient ``i`` is the same in
every cohort size, chunk and engine.

Initial state: the model's (``E = s/d`` of the typical patient, ``T = 2e8``
cells, no drug, no exhausted cells).

References
----------
.. [1] Kuznetsov VA et al. (1994). Bull Math Biol 56:295-321. doi:10.1007/BF02460644
.. [2] Wherry EJ (2011). T cell exhaustion. Nat Immunol 12:492-499. doi:10.1038/ni.2035
.. [3] Pauken KE et al. (2016). Science 354:1160-1165. doi:10.1126/science.aaf2807
.. [4] Lai X, Friedman A (2017). PLoS ONE 12:e0178479. doi:10.1371/journal.pone.0178479
.. [5] Ahamadi M et al. (2017). CPT Pharmacometrics Syst Pharmacol 6:49-57. doi:10.1002/psp4.12139
.. [6] Elassaiss-Schaap J et al. (2017). CPT Pharmacometrics Syst Pharmacol 6:21-28. doi:10.1002/psp4.12132
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from oncoimmune.biology import roles
from oncoimmune.biology.escape import PD1_OCCUPANCY, pdl1_checkpoint
from oncoimmune.library import get_model
from oncoimmune.model import Event, Model, Parameter, Source, State, Sym, Term
from oncoimmune.model.compile import CompiledModel
from oncoimmune.patients.cohort import patient_rng
from oncoimmune.therapy import treat_regimens

DAYS = 365.0
SAVE = np.arange(DAYS + 1.0)  # daily output, days 0..365
CV = 0.30
PDL1_ENGAGEMENT = 2.0
T0 = 2.0e8
REGIMEN = "pembrolizumab:200mg:q3w"
#: assessment days of a trial: tumour imaging every 6 weeks for a year (a common RECIST schedule)
ASSESS_DAYS = np.arange(0.0, DAYS + 1.0, 42.0)

EXHAUSTION = Source(
    citation="Wherry EJ (2011) T cell exhaustion, Nat Immunol 12:492; Pauken KE et al. (2016) Science 354:1160",
    location="chronic antigen stimulation drives exhaustion; PD-1 blockade reinvigorates exhausted cells "
    "partially and transiently",
    doi="10.1038/ni.2035",
    note="benchmark scenario value (assumption), not fitted; compartment form of the idea behind "
    "nikolopoulou2018(exhaustion=True)",
)


def build() -> tuple[Model, tuple[Event, ...]]:
    """Kuznetsov 1994 + exhaustion + PD-L1 brake + pembrolizumab; the model and its dose events."""
    E, T, X = Sym("E"), Sym("T"), Sym("X")
    k_ex, r_X, d_X, g = Sym("k_ex"), Sym("r_X"), Sym("d_X"), Sym("g")
    base = pdl1_checkpoint(get_model("kuznetsov1994"), PDL1_ENGAGEMENT)
    m = base.add(
        id="checkpoint_cohort_benchmark",
        title="Kuznetsov 1994 + T-cell exhaustion + PD-L1 brake (benchmark workload)",
        states=(State("X", 0.0, "cells", "exhausted effector cells"),),
        parameters=(
            Parameter(
                "k_ex", 0.05, "1/day", "maximal exhaustion rate under chronic tumour stimulation", EXHAUSTION
            ),
            Parameter(
                "r_X",
                0.1,
                "1/day",
                "reinvigoration rate of exhausted cells at full PD-1 occupancy",
                EXHAUSTION,
            ),
            Parameter("d_X", 0.02, "1/day", "death rate of exhausted cells", EXHAUSTION),
        ),
        terms=(
            Term(
                "exhaustion",
                k_ex * E * T / (g + T),
                {"E": -1, "X": 1},
                "chronic tumour stimulation exhausts effector cells",
                {roles.INACTIVATION},
            ),
            Term(
                "reinvigoration",
                r_X * Sym(PD1_OCCUPANCY) * X,
                {"X": -1, "E": 1},
                "PD-1 blockade reinvigorates exhausted cells",
            ),
            Term("exhausted_death", d_X * X, {"X": -1}, "exhausted cells die"),
        ),
        references=(EXHAUSTION,),
    ).with_initial({"T": T0})
    tr = treat_regimens(m, REGIMEN, until=DAYS)
    return tr.model, tuple(tr.events)


@dataclass(frozen=True)
class Workload:
    """The compiled model, its events and which parameters vary."""

    model: Model
    compiled: CompiledModel
    events: tuple[Event, ...]
    varied: np.ndarray  # indices into the parameter vector
    sigma: float

    def parameters(self, lo: int, hi: int, seed: int = 2024) -> np.ndarray:
        """Parameter rows of patients ``lo..hi-1`` (each from its own SeedSequence stream)."""
        p0 = self.compiled.p0
        typ = p0[self.varied]
        P = np.tile(p0, (hi - lo, 1))
        k = self.varied.size
        for r, i in enumerate(range(lo, hi)):
            z = patient_rng(seed, i, "parameters").standard_normal(k)
            P[r, self.varied] = typ * np.exp(self.sigma * z)
        return P


def workload() -> Workload:
    """The benchmark workload (model, compiled form, events, varied parameters)."""
    model, events = build()
    cm = model.compile()
    from oncoimmune.model.expr import free_symbols

    used: set[str] = set()
    for d in cm.derivatives:
        used |= free_symbols(d)
    fixed_inputs = {"pembrolizumab_infusion_rate", "checkpoint_pdl1_occupancy"}
    varied = np.array(
        [j for j, n in enumerate(cm.param_names) if n in used and n not in fixed_inputs and cm.p0[j] > 0],
        dtype=np.int64,
    )
    return Workload(model, cm, events, varied, math.sqrt(math.log1p(CV**2)))
