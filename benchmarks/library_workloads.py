"""Published stiff models of the library as cohort workloads (for ``bench_stiff.py``).

* ``depillis2005_chemo``: de Pillis, Radunskaya & Wiseman (2005) tumour / NK / CD8+ model
  (:mod:`oncoimmune.library.depillis2005`) under the package's carboplatin + paclitaxel
  chemotherapy (:func:`oncoimmune.therapy.chemotherapy`: de Pillis 2006/2009 pulsed
  saturating kill, drug decay 0.52 /day; pulses every 21 days for the year, 18 in all,
  ``cycles=18`` being this benchmark's choice, not the regimen's four), 365 days, daily output.
  The ratio-dependent CD8+ lysis makes it stiff when the tumour is small.
* ``kimmel2021_cart``: Kimmel, Locke & Altrock (2021) CAR-T / normal T / tumour model
  (:mod:`oncoimmune.library.kimmel2021_cart`) with its published default infusion,
  over a year (365 days), daily output.

Patients: every parameter of the right-hand side with a positive typical value is
log-normal with CV 30 % around it, from the per-patient streams of
:func:`oncoimmune.patients.cohort.patient_rng`, as in the other workloads.

References
----------
.. [1] de Pillis LG, Radunskaya AE, Wiseman CL (2005). Cancer Res 65:7950-7958. doi:10.1158/0008-5472.CAN-05-0564
.. [2] de Pillis LG, Gu W, Radunskaya AE (2006). J Theor Biol 238:841-862. doi:10.1016/j.jtbi.2005.06.037
.. [3] Kimmel GJ, Locke FL, Altrock PM (2021). Proc R Soc B 288:20210229. doi:10.1098/rspb.2021.0229
"""

from __future__ import annotations

import math

import numpy as np

from oncoimmune.library import default_events, get_model
from oncoimmune.model.compile import CompiledModel
from oncoimmune.model.expr import free_symbols
from oncoimmune.therapy import chemotherapy, treat
from stiff_workload import Workload  # one workload type for every benchmark model

CV = 0.30
DAYS = 365.0


def _varied(cm: CompiledModel, fixed: set[str]) -> np.ndarray:
    used: set[str] = set()
    for d in cm.derivatives:
        used |= free_symbols(d)
    return np.array([j for j, n in enumerate(cm.param_names) if n in used and n not in fixed and cm.p0[j] > 0],
                    dtype=np.int64)


def workload(name: str) -> Workload:
    """The workload ``name`` (``depillis2005_chemo`` or ``kimmel2021_cart``)."""
    sigma = math.sqrt(math.log1p(CV**2))
    if name == "depillis2005_chemo":
        tr = treat(get_model("depillis2005"), chemotherapy("carboplatin_paclitaxel", cycles=18))
        model, events = tr.model, tuple(e for e in tr.events if e.time < DAYS)
        cm = model.compile()
        return Workload(model, cm, events, _varied(cm, set()), sigma,
                        title="de Pillis 2005 (tumour, NK, CD8+) under carboplatin + paclitaxel every 21 days")
    if name == "kimmel2021_cart":
        model = get_model("kimmel2021_cart")
        events = tuple(e for e in default_events("kimmel2021_cart") if e.time < DAYS)
        cm = model.compile()
        return Workload(model, cm, events, _varied(cm, set()), sigma,
                        title="Kimmel 2021 CAR-T (CAR-T, normal T, tumour) over a year")
    raise ValueError(f"unknown workload {name!r}; choose depillis2005_chemo or kimmel2021_cart")
