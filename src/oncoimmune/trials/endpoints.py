"""Trial endpoints as a per-patient table, and response rates with exact intervals.

:func:`endpoint_table` joins a :class:`~oncoimmune.trials.recist.RecistResult`
with each patient's arm, death time and last contact into one row per
patient (columns in :data:`ENDPOINT_COLUMNS`); :func:`response_summary` gives
best-overall-response counts, the objective response rate (ORR) and the
disease control rate (DCR) per arm with Clopper-Pearson intervals.

Endpoint definitions
--------------------
All times are measured from ``origin_days`` (randomisation or first dose;
default 0) and reported in months (days / :data:`DAYS_PER_MONTH`).

* **ORR**: best overall response CR or PR (confirmed when the RECIST
  evaluation used ``confirm=True``), over *all* patients of the arm
  (intention to treat: NE patients are non-responders).
* **DCR**: best overall response CR, PR or SD (SD meeting its minimum
  duration), over all patients of the arm.
* **OS**: death from any cause. Alive patients, and deaths after
  ``last_contact_days``, are censored at last contact.
* **PFS**: RECIST progression or death, whichever comes first, following the
  FDA censoring table [1]_ (Appendix, "PFS censoring"):

  1. no baseline tumour assessment: censored at the origin;
  2. documented progression: event at the time of the assessment that
     showed it (there are no unscheduled scans here);
  3. death before progression, including death before the first scheduled
     assessment: event at the time of death;
  4. progression or death after ``max_missed`` or more consecutive missed
     scheduled assessments (default 2, "more than one missed visit"):
     censored at the last adequate assessment;
  5. neither (alive without progression, dropout, death after last
     contact): censored at the last adequate assessment.

  The *last adequate assessment* is the last scan before progression with
  an evaluable response (CR/PR/SD), else the baseline; a censoring time
  before the origin (baseline scan before randomisation) is set to 0.
  A *missed* assessment is a scheduled one (finite time) with no
  measurement (NE), strictly between the last adequate assessment and the
  event. Discontinuation of treatment does not stop the clock here: if the
  runner stops scanning at some point, it should make later scans NaN (they
  then count as missed) or set ``last_contact_days``.
* **DoR** (responders only, best overall response CR or PR): from the first
  CR or PR to the PFS event (progression or death), censored as PFS is; NaN
  for non-responders.
* **TTR**: time to the first CR or PR, responders only.

References
----------
.. [1] U.S. Food and Drug Administration 2018, "Clinical Trial Endpoints for
   the Approval of Cancer Drugs and Biologics: Guidance for Industry",
   Appendix 3 (table of PFS censoring rules).
.. [2] Eisenhauer EA et al. 2009, "New response evaluation criteria in solid
   tumours: Revised RECIST guideline (version 1.1)", *Eur J Cancer*
   45:228-247. doi:10.1016/j.ejca.2008.10.026
.. [3] Clopper CJ, Pearson ES 1934, "The use of confidence or fiducial limits
   illustrated in the case of the binomial", *Biometrika* 26:404-413.
   doi:10.1093/biomet/26.4.404
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .recist import DAYS_PER_MONTH, RESPONSE_CODES, RecistResult, TrialDataError

__all__ = [
    "ENDPOINT_COLUMNS",
    "check_endpoint_table",
    "clopper_pearson",
    "endpoint_table",
    "response_summary",
]

ENDPOINT_COLUMNS: dict[str, str] = {
    "patient_id": "patient identifier",
    "arm": "trial arm (str)",
    "best_overall_response": "RECIST 1.1 best overall response: CR, PR, SD, PD or NE",
    "responder": "best overall response CR or PR (bool)",
    "disease_control": "best overall response CR, PR or SD (bool)",
    "best_percent_change": "best (smallest) % change from baseline in the sum of diameters",
    "ttr_months": "time to first CR/PR, months (responders only, else NaN)",
    "dor_months": "duration of response, months (responders only, else NaN)",
    "dor_event": "1 if the response ended in progression or death, 0 if censored (responders only)",
    "pfs_months": "progression-free survival time, months",
    "pfs_event": "1 = progression or death, 0 = censored",
    "pfs_reason": "progression | death | censored: <why>",
    "os_months": "overall survival time, months",
    "os_event": "1 = death, 0 = censored",
}
"""The columns of :func:`endpoint_table`, in order, with their meaning."""


def _per_patient(name: str, x: Any, n: int, *, default: float) -> np.ndarray:
    if x is None:
        return np.full(n, default)
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TrialDataError(f"{name} must be numeric (days; NaN for none); got {type(x).__name__}") from None
    if a.ndim == 0:
        a = np.full(n, float(a))
    if a.shape != (n,):
        raise TrialDataError(
            f"{name} must be a number or have shape ({n},) (one per patient); got shape {a.shape}"
        )
    if np.isinf(a).any():
        raise TrialDataError(
            f"{name} must be finite or NaN; got inf for patient {int(np.argmax(np.isinf(a)))}"
        )
    return a


def endpoint_table(
    recist: RecistResult,
    *,
    arm: str | Sequence[str],
    death_days: Any = None,
    last_contact_days: Any = None,
    origin_days: Any = 0.0,
    patient_id: Sequence[Any] | None = None,
    max_missed: int | None = 2,
) -> Any:
    """One row per patient: best overall response, PFS, OS, duration of response.

    Parameters
    ----------
    recist : RecistResult
        From :func:`~oncoimmune.trials.assess_recist` (times in days).
    arm : str or sequence of str
        The arm of every patient, or one name for all.
    death_days : float or array_like, shape (n,), optional
        Time of death, days; NaN (or None for all) if alive.
    last_contact_days : float or array_like, shape (n,), optional
        Last time the patient was known alive (end of follow-up, data cut-off
        or dropout), days; NaN or None: the last assessment with a
        measurement (or death). Deaths after it are not observed. No
        measured assessment may come after it.
    origin_days : float or array_like, shape (n,)
        Randomisation or first dose, days (0).
    patient_id : sequence, optional
        Identifiers; default ``0 .. n-1``.
    max_missed : int or None
        Censor a progression or death that follows this many or more
        consecutive missed scheduled assessments (FDA; default 2). None
        never censors for missed scans.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ENDPOINT_COLUMNS`; times in months, events as 0/1
        integers.

    Raises
    ------
    TrialDataError
        If shapes disagree, a measurement falls after death or last contact,
        or ``max_missed`` is not a positive integer.

    References
    ----------
    .. [1] FDA 2018, "Clinical Trial Endpoints for the Approval of Cancer Drugs
       and Biologics", Appendix 3.
    """
    import pandas as pd

    if not isinstance(recist, RecistResult):
        raise TrialDataError(
            f"recist must be a RecistResult from assess_recist(); got {type(recist).__name__}"
        )
    if max_missed is not None and not (isinstance(max_missed, (int, np.integer)) and max_missed >= 1):
        raise TrialDataError(f"max_missed must be a whole number >= 1 or None; got {max_missed!r}")
    n = recist.sums.shape[0]
    t = recist.times
    measured = np.isfinite(recist.sums)

    if isinstance(arm, str):
        arms = np.full(n, arm, dtype=object)
    else:
        arms = np.asarray(list(arm), dtype=object)
        if arms.shape != (n,):
            raise TrialDataError(
                f"arm must be one name or have {n} entries (one per patient); got {arms.shape[0]}"
            )
    bad_arm = [i for i, a in enumerate(arms) if not isinstance(a, str) or not a]
    if bad_arm:
        raise TrialDataError(
            f"arm must be non-empty strings; got {arms[bad_arm[0]]!r} for patient {bad_arm[0]}"
        )
    if patient_id is None:
        ids: Any = np.arange(n)
    else:
        ids = list(patient_id)
        if len(ids) != n:
            raise TrialDataError(f"patient_id must have {n} entries; got {len(ids)}")
        if len(set(ids)) != n:
            raise TrialDataError("patient_id must be unique")

    death = _per_patient("death_days", death_days, n, default=np.nan)
    origin = _per_patient("origin_days", origin_days, n, default=0.0)
    if np.isnan(origin).any():
        raise TrialDataError(f"origin_days must not be NaN (patient {int(np.argmax(np.isnan(origin)))})")
    last_meas = np.fmax.reduce(np.where(measured, t, np.nan), axis=1)
    contact = _per_patient("last_contact_days", last_contact_days, n, default=np.nan)
    contact = np.where(np.isnan(contact), np.fmax(last_meas, death), contact)
    contact = np.where(np.isnan(contact), np.fmax(t[:, 0], origin), contact)  # nothing measured at all
    died = np.isfinite(death) & (death <= contact)

    late = measured & (t > contact[:, None] + 1e-9)
    if late.any():
        i, k = (int(v) for v in np.argwhere(late)[0])
        raise TrialDataError(
            f"recist has a measurement at {t[i, k]} d (patient {i}, assessment {k}) after last_contact_days "
            f"{contact[i]} d; make later sums NaN or extend last_contact_days"
        )
    after_death = measured & np.isfinite(death)[:, None] & (t > death[:, None] + 1e-9)
    if after_death.any():
        i, k = (int(v) for v in np.argwhere(after_death)[0])
        raise TrialDataError(
            f"recist has a measurement at {t[i, k]} d (patient {i}, assessment {k}) after death at "
            f"{death[i]} d; make sums after death NaN"
        )

    bor = recist.best_overall_response.astype(str)
    has_base = np.isfinite(recist.sums[:, 0])
    t_prog = recist.time_progression
    t_death_obs = np.where(died, death, np.nan)
    t_event = np.fmin(t_prog, t_death_obs)
    is_prog = np.isfinite(t_prog) & ~(t_death_obs < t_prog)
    last_adequate = recist.time_last_adequate

    missed_mask = (
        (recist.responses == "NE")
        & np.isfinite(t)
        & (t > last_adequate[:, None] + 1e-9)
        & (t < t_event[:, None] - 1e-9)
    )
    # consecutive by construction: no evaluable scan lies between the last adequate one and the event
    n_missed = missed_mask.sum(axis=1)
    has_event = np.isfinite(t_event) & has_base
    too_late = np.zeros(n, dtype=bool) if max_missed is None else n_missed >= max_missed
    pfs_event = has_event & ~too_late
    pfs_end = np.where(pfs_event, t_event, np.where(has_base, last_adequate, origin))
    pfs_days = np.maximum(pfs_end - origin, 0.0)

    reason = np.full(n, "censored: no progression or death", dtype=object)
    reason[has_event & too_late] = "censored: event after missed assessments"
    reason[~has_base] = "censored: no baseline assessment"
    reason[pfs_event & is_prog] = "progression"
    reason[pfs_event & ~is_prog] = "death"

    os_end = np.where(died, death, contact)
    os_days = np.maximum(os_end - origin, 0.0)

    responder = np.isin(bor, ("CR", "PR"))
    dcr = np.isin(bor, ("CR", "PR", "SD"))
    t_resp = np.where(responder, recist.time_first_response, np.nan)
    dor_days = np.where(responder, pfs_end - t_resp, np.nan)
    ttr_days = np.where(responder, np.maximum(t_resp - origin, 0.0), np.nan)

    return pd.DataFrame(
        {
            "patient_id": ids,
            "arm": pd.Series(arms, dtype=str),
            "best_overall_response": bor,
            "responder": responder,
            "disease_control": dcr,
            "best_percent_change": recist.best_percent_change,
            "ttr_months": ttr_days / DAYS_PER_MONTH,
            "dor_months": dor_days / DAYS_PER_MONTH,
            "dor_event": np.where(responder, pfs_event.astype(float), np.nan),
            "pfs_months": pfs_days / DAYS_PER_MONTH,
            "pfs_event": pfs_event.astype(int),
            "pfs_reason": reason.astype(str),
            "os_months": os_days / DAYS_PER_MONTH,
            "os_event": died.astype(int),
        },
        columns=list(ENDPOINT_COLUMNS),
    )


def check_endpoint_table(table: Any, columns: Sequence[str] = ("arm",)) -> None:
    """Refuse a table that is not a DataFrame or lacks a needed column.

    Parameters
    ----------
    table : pandas.DataFrame
    columns : sequence of str
        The columns the caller needs.

    Raises
    ------
    TrialDataError
        Naming the first missing column and the columns present.
    """
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise TrialDataError(
            f"table must be a pandas DataFrame (from endpoint_table()); got {type(table).__name__}"
        )
    for c in columns:
        if c not in table.columns:
            raise TrialDataError(
                f"table has no column {c!r}; it has {list(map(str, table.columns))}. Build it with "
                "endpoint_table() or rename the column"
            )
    if len(table) == 0:
        raise TrialDataError("table is empty; it needs one row per patient")


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) confidence interval for a binomial proportion.

    Parameters
    ----------
    k : int
        Successes, ``0 <= k <= n``.
    n : int
        Trials, ``n >= 1``.
    level : float
        Confidence level in (0, 1); 0.95 by default.

    Returns
    -------
    (float, float)
        Lower and upper limits: the ``alpha/2`` quantile of Beta(k, n-k+1)
        and the ``1-alpha/2`` quantile of Beta(k+1, n-k), with 0 and 1 at
        ``k = 0`` and ``k = n``.

    References
    ----------
    .. [1] Clopper CJ, Pearson ES 1934, *Biometrika* 26:404-413.
    """
    from scipy.stats import beta

    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise TrialDataError(f"n must be a whole number >= 1; got {n!r}")
    if not (isinstance(k, (int, np.integer)) and 0 <= k <= n):
        raise TrialDataError(f"k must be a whole number in [0, n={n}]; got {k!r}")
    if not (isinstance(level, (int, float)) and 0.0 < level < 1.0):
        raise TrialDataError(f"level must be in (0, 1), e.g. 0.95; got {level!r}")
    alpha = 1.0 - float(level)
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2.0, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1.0 - alpha / 2.0, k + 1, n - k))
    return lo, hi


def response_summary(table: Any, *, arm: str = "arm", level: float = 0.95) -> Any:
    """Best-overall-response counts, ORR and DCR with exact intervals, per arm.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`endpoint_table` (needs ``arm`` and
        ``best_overall_response``).
    arm : str
        Column holding the arm.
    level : float
        Confidence level (0.95).

    Returns
    -------
    pandas.DataFrame
        Index: arm (in order of appearance). Columns ``n``, ``CR``, ``PR``,
        ``SD``, ``PD``, ``NE``, ``orr``, ``orr_lo``, ``orr_hi``, ``dcr``,
        ``dcr_lo``, ``dcr_hi`` (rates as fractions; denominators are all
        patients of the arm).
    """
    import pandas as pd

    check_endpoint_table(table, (arm, "best_overall_response"))
    bor = table["best_overall_response"].astype(str)
    unknown = sorted(set(bor) - set(RESPONSE_CODES))
    if unknown:
        raise TrialDataError(
            f"best_overall_response has {unknown[0]!r}; accepted: {', '.join(RESPONSE_CODES)}"
        )
    rows = []
    for name in pd.unique(table[arm]):
        b = bor[table[arm] == name]
        n = len(b)
        counts = {c: int((b == c).sum()) for c in RESPONSE_CODES}
        k_orr = counts["CR"] + counts["PR"]
        k_dcr = k_orr + counts["SD"]
        orr_lo, orr_hi = clopper_pearson(k_orr, n, level)
        dcr_lo, dcr_hi = clopper_pearson(k_dcr, n, level)
        rows.append(
            {
                "arm": str(name),
                "n": n,
                **counts,
                "orr": k_orr / n,
                "orr_lo": orr_lo,
                "orr_hi": orr_hi,
                "dcr": k_dcr / n,
                "dcr_lo": dcr_lo,
                "dcr_hi": dcr_hi,
            }
        )
    return pd.DataFrame(rows).set_index("arm")
