"""Therapies: dose schedules, pharmacokinetics and the drug catalogue.

* :mod:`~oncoimmune.therapy.schedule`: dose schedules as data (routes, doses in
  mg, mg/kg or mg/m², loading, intervals, cycles, breaks) and their exact events;
* :mod:`~oncoimmune.therapy.pk`: a linear two-compartment PK module added to any
  model, with time-varying clearance (Bajaj 2017, Rozman 2017) and receptor occupancy;
* :mod:`~oncoimmune.therapy.drugs`: typical popPK values and label schedules of
  pembrolizumab, nivolumab, trastuzumab and rituximab, each with its sources.
"""

from .drugs import DRUGS, DrugPK, get_drug, list_drugs
from .pk import (
    AbstractClearance,
    ConstantClearance,
    DecayingClearance,
    SigmoidTimeClearance,
    add_two_compartment_pk,
    pk_dose_events,
    pk_model,
    pk_names,
    two_compartment_half_lives,
)
from .schedule import (
    AbstractRoute,
    Administration,
    Break,
    Dose,
    Intralesional,
    IVBolus,
    IVInfusion,
    Schedule,
    Subcutaneous,
    bsa_mosteller,
)

__all__ = [
    "DRUGS",
    "AbstractClearance",
    "AbstractRoute",
    "Administration",
    "Break",
    "ConstantClearance",
    "DecayingClearance",
    "Dose",
    "DrugPK",
    "IVBolus",
    "IVInfusion",
    "Intralesional",
    "Schedule",
    "SigmoidTimeClearance",
    "Subcutaneous",
    "add_two_compartment_pk",
    "bsa_mosteller",
    "get_drug",
    "list_drugs",
    "pk_dose_events",
    "pk_model",
    "pk_names",
    "two_compartment_half_lives",
]
