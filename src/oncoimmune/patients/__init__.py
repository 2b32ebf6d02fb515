"""Patients: cancer types, biomarker assays and who could have which immunotherapy.

Whether a person can have an immunotherapy depends on the type of cancer, how
far it has spread (the stage), the treatments already had, and often on a test
of the tumour or blood that predicts whether the treatment is likely to work.
This subpackage models those three pieces as data:

- :mod:`~oncoimmune.patients.cancers`: cancer types with canonical ids,
  accepted aliases and stage vocabularies (:func:`resolve_cancer`).
- :mod:`~oncoimmune.patients.biomarkers`: clinical assays with sourced
  cut-offs (:class:`Assay`, :func:`test`).
- :mod:`~oncoimmune.patients.eligibility`: a table of approved and recommended
  indications for the UK (NICE/MHRA) and the US (FDA), each row with its
  source and date, and :func:`check_eligibility`, which lists the options a
  person could have and why the others do not apply.

Everything here is information, not medical advice.

Examples
--------
>>> from oncoimmune.patients import check_eligibility
>>> report = check_eligibility("nsclc", stage="IV", pdl1=60, prior_lines=0, age=64)
>>> [a.indication.id for a in report.eligible][:1]
['uk-pembrolizumab-nsclc-1l-mono']
"""

from .biomarkers import ASSAYS, Assay, AssayResult, MeasurementError, Misclassification, get_assay, test
from .cancers import CANCERS, CancerType, PatientInputError, cancer_ids, list_cancers, resolve_cancer
from .drugs import DRUGS, TREATMENTS, Drug, resolve_drug, resolve_treatment
from .eligibility import DISCLAIMER, Assessment, EligibilityReport, Patient, check_eligibility
from .indications import (
    REGIONS,
    Indication,
    IndicationTable,
    counts_markdown,
    coverage_markdown,
    indication_table_markdown,
    load_indications,
    smc_markdown,
    source_problems,
)
from .cohort import Inclusion, Population, ScreeningResult, patient_rng, sample_cohort, sample_patient, screen
from .link import LinkCoefficients, LinkedPatient, link_patient
from .virtual import VirtualPatient, draw_patient, get_profile, sld_from_cells, tumour_cells_from_burden

__all__ = [
    "Inclusion",
    "LinkCoefficients",
    "LinkedPatient",
    "Population",
    "ScreeningResult",
    "VirtualPatient",
    "draw_patient",
    "get_profile",
    "link_patient",
    "patient_rng",
    "sample_cohort",
    "sample_patient",
    "screen",
    "sld_from_cells",
    "tumour_cells_from_burden",
    "ASSAYS",
    "Assay",
    "AssayResult",
    "Assessment",
    "CANCERS",
    "CancerType",
    "DISCLAIMER",
    "DRUGS",
    "Drug",
    "EligibilityReport",
    "Indication",
    "IndicationTable",
    "MeasurementError",
    "Misclassification",
    "Patient",
    "PatientInputError",
    "REGIONS",
    "TREATMENTS",
    "cancer_ids",
    "check_eligibility",
    "get_assay",
    "indication_table_markdown",
    "counts_markdown",
    "coverage_markdown",
    "smc_markdown",
    "source_problems",
    "list_cancers",
    "load_indications",
    "resolve_cancer",
    "resolve_drug",
    "resolve_treatment",
    "test",
]
