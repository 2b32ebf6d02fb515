"""Therapies: dose schedules, pharmacokinetics and the drug catalogue.

* :mod:`~oncoimmune.therapy.schedule`: dose schedules as data (routes, doses in
  mg, mg/kg or mg/m², loading, intervals, cycles, breaks) and their exact events;
* :mod:`~oncoimmune.therapy.pk`: a linear two-compartment PK module added to any
  model, with time-varying clearance (Bajaj 2017, Rozman 2017) and receptor occupancy;
* :mod:`~oncoimmune.therapy.drugs`: typical popPK values and label schedules of
  the monoclonal antibodies with a published model (pembrolizumab, nivolumab,
  atezolizumab, ipilimumab, trastuzumab, rituximab, durvalumab, tremelimumab,
  avelumab, cemiplimab, dostarlimab, tislelizumab), each with its sources;
* :mod:`~oncoimmune.therapy.catalogue`: the drug catalogue (classes, target,
  mechanism key, kinetics, label regimens, sources): the simulable drugs and the
  label-only entries of every drug of the eligibility table
  (:func:`~oncoimmune.therapy.catalogue.catalogue_counts_markdown` counts them);
* :mod:`~oncoimmune.therapy.regimen`: ``DRUG[:DOSE][:SCHEDULE]`` regimens for a
  patient, turned into interventions (kinetics + mechanism + dose events);
  combinations by composition (:func:`treat_regimens`);
* :mod:`~oncoimmune.therapy.chemotherapy`: a cited platinum-doublet
  chemotherapy for combinations (de Pillis 2006/2009).
"""

from .catalogue import CATALOGUE, CLASSES, MECHANISM_KEYS, Drug, LabelRegimen, drugs_in_class, list_catalogue
from .catalogue import get_drug as get_catalogue_drug
from .chemotherapy import CHEMO_REGIMENS, chemotherapy
from .drugs import DRUGS, DrugPK, get_drug, list_drugs, pk_model
from .intervention import Intervention, Treatment, treat
from .pk import (
    AbstractClearance,
    ConstantClearance,
    DecayingClearance,
    SigmoidTimeClearance,
    add_three_compartment_pk,
    add_two_compartment_pk,
    linear_half_lives,
    pk_dose_events,
    pk_names,
    three_compartment_half_lives,
    two_compartment_half_lives,
)
from .regimen import (
    ChemotherapyCourse,
    MechanismUnavailableError,
    Regimen,
    TherapySpecError,
    parse_therapy,
    treat_regimens,
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
    "CATALOGUE",
    "CHEMO_REGIMENS",
    "CLASSES",
    "DRUGS",
    "MECHANISM_KEYS",
    "AbstractClearance",
    "AbstractRoute",
    "Administration",
    "Break",
    "ChemotherapyCourse",
    "ConstantClearance",
    "DecayingClearance",
    "Dose",
    "Drug",
    "DrugPK",
    "IVBolus",
    "IVInfusion",
    "Intervention",
    "Intralesional",
    "LabelRegimen",
    "MechanismUnavailableError",
    "Regimen",
    "Schedule",
    "SigmoidTimeClearance",
    "Subcutaneous",
    "TherapySpecError",
    "Treatment",
    "add_three_compartment_pk",
    "add_two_compartment_pk",
    "bsa_mosteller",
    "chemotherapy",
    "drugs_in_class",
    "get_catalogue_drug",
    "get_drug",
    "list_catalogue",
    "linear_half_lives",
    "list_drugs",
    "parse_therapy",
    "pk_dose_events",
    "pk_model",
    "pk_names",
    "treat",
    "three_compartment_half_lives",
    "treat_regimens",
    "two_compartment_half_lives",
]
