"""Analysis of virtual trials: survival (lifelines), and comparison with real trials.

lifelines is imported only when a function needs it (``pip install
'oncoimmune[survival]'``).
"""

from .survival import (
    KaplanMeier,
    LogRank,
    TrialComparison,
    compare_to_trial,
    hazard_ratios,
    kaplan_meier,
    km_by_arm,
    km_max_distance,
    logrank,
    read_patient_level,
    survival_summary,
)

__all__ = [
    "KaplanMeier",
    "LogRank",
    "TrialComparison",
    "compare_to_trial",
    "hazard_ratios",
    "kaplan_meier",
    "km_by_arm",
    "km_max_distance",
    "logrank",
    "read_patient_level",
    "survival_summary",
]
