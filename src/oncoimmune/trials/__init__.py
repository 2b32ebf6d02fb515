"""Virtual clinical trials: RECIST 1.1 response and trial endpoints as tidy tables.

:func:`assess_recist` turns target-lesion sums of diameters into responses;
:func:`endpoint_table` turns those (with death and follow-up times) into one
row per patient (best overall response, PFS, OS, duration of response);
:func:`response_summary` gives ORR and DCR with exact confidence intervals.
Survival analysis lives in :mod:`oncoimmune.analysis`, figures in
:mod:`oncoimmune.plots.trials`, the HTML report in
:mod:`oncoimmune.trials.report`. :func:`run_trial` runs a whole virtual trial
from a :class:`TrialSpec` (:func:`load_trial_spec`, or a bundled one from
:func:`example_spec`).
"""

from .endpoints import (
    ENDPOINT_COLUMNS,
    check_endpoint_table,
    clopper_pearson,
    endpoint_table,
    response_summary,
)
from .calibration import KEYNOTE024_PUBLISHED, ReferenceTrial, keynote024_reference, reference_for
from .examples import example_spec, example_spec_names, example_spec_text
from .recist import DAYS_PER_MONTH, RESPONSE_CODES, RecistResult, TrialDataError, assess_recist
from .runner import TrialResult, run_trial
from .spec import TrialSpec, load_trial_spec

__all__ = [
    "DAYS_PER_MONTH",
    "KEYNOTE024_PUBLISHED",
    "ReferenceTrial",
    "keynote024_reference",
    "reference_for",
    "ENDPOINT_COLUMNS",
    "RESPONSE_CODES",
    "RecistResult",
    "TrialDataError",
    "TrialResult",
    "TrialSpec",
    "assess_recist",
    "check_endpoint_table",
    "clopper_pearson",
    "endpoint_table",
    "example_spec",
    "example_spec_names",
    "example_spec_text",
    "load_trial_spec",
    "response_summary",
    "run_trial",
]
