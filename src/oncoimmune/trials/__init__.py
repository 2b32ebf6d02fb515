"""Virtual clinical trials: RECIST 1.1 response and trial endpoints as tidy tables.

:func:`assess_recist` turns target-lesion sums of diameters into responses;
:func:`endpoint_table` turns those (with death and follow-up times) into one
row per patient (best overall response, PFS, OS, duration of response);
:func:`response_summary` gives ORR and DCR with exact confidence intervals.
Survival analysis lives in :mod:`oncoimmune.analysis`, figures in
:mod:`oncoimmune.plots.trials`, the HTML report in
:mod:`oncoimmune.trials.report`.
"""

from .endpoints import (
    ENDPOINT_COLUMNS,
    check_endpoint_table,
    clopper_pearson,
    endpoint_table,
    response_summary,
)
from .recist import DAYS_PER_MONTH, RESPONSE_CODES, RecistResult, TrialDataError, assess_recist

__all__ = [
    "DAYS_PER_MONTH",
    "ENDPOINT_COLUMNS",
    "RESPONSE_CODES",
    "RecistResult",
    "TrialDataError",
    "assess_recist",
    "check_endpoint_table",
    "clopper_pearson",
    "endpoint_table",
    "response_summary",
]
