"""RECIST 1.1 tumour response from target-lesion sums of diameters.

:func:`assess_recist` takes, for ``n`` patients and ``m`` assessments (column
0 is the baseline scan), the sum of diameters of the target lesions in mm and
the assessment times in days, and returns a :class:`RecistResult`: the
response at every assessment, the best overall response (BOR), the times of
first response, progression and last adequate assessment, and the percent
changes from baseline. Everything is vectorised over patients; a missed scan,
or any scan after death or dropout, is ``NaN``.

Rules (Eisenhauer et al. 2009 [1]_, section 4.3 and 4.4)
---------------------------------------------------------
Per assessment ``k >= 1`` with a measured sum ``S_k`` (baseline ``S_0``,
nadir ``N_k`` = the smallest sum *before* ``k``, baseline included):

1. **PD** if any of: an unequivocal new lesion (``new_lesions[i, k]``, which
   gives PD even at a scan whose target lesions were not measured);
   ``S_k >= 1.2 N_k`` *and* ``S_k - N_k >= 5 mm`` (both: the 20 % relative
   increase from the nadir and the 5 mm absolute increase); or, after an
   assessment of CR, the reappearance of non-nodal target disease
   (non-nodal sum above ``detection_limit_mm``) [2]_.
2. **CR** if the non-nodal target disease has disappeared (non-nodal sum
   ``<= detection_limit_mm``) and every nodal target lesion given in
   ``node_short_axes`` has a short axis ``< 10 mm``.
3. **PR** if ``S_k <= 0.7 S_0`` (a decrease of at least 30 % from baseline).
4. **SD** otherwise; **NE** when ``S_k`` is missing and there is no new lesion.

Assessments after the first PD are not evaluated (code ``""``): RECIST ends
response assessment at progression.

Best overall response, from the assessments up to and including the first PD:

* ``confirm=True`` (the rule for trials with response as primary endpoint):
  **CR** needs a CR at a later assessment at least ``confirm_days`` (28 d,
  "no less than 4 weeks") after the first CR; **PR** needs a CR or PR at a
  later assessment at least ``confirm_days`` after the first CR or PR. The
  confirming scan need not be the next one; intervening SD or NE scans are
  allowed, a PD is not (nothing after it counts).
* ``confirm=False``: the best single assessment (CR > PR).
* **SD** needs an assessment of CR, PR or SD at least ``sd_min_days`` after
  ``origin`` (default 42 d, "in general not less than 6-8 weeks"; set it to
  the protocol's value, which often subtracts the scan window). So an
  unconfirmed CR or PR counts as SD once the minimum is met.
* **PD** if progression came before any of the above was met; **NE** if
  there is neither (no baseline, no post-baseline scan, or only early SD
  followed by missing scans).

Nodal lesions and the detection limit
-------------------------------------
``sums`` is the RECIST sum: longest diameters of non-nodal targets plus short
axes of nodal targets. If ``node_short_axes`` (``n x m x k``, mm) is given,
their sum is taken to be part of ``sums`` and the CR rule uses them (a node
of short axis ``< 10 mm`` is normal); otherwise every target is non-nodal.
Simulated tumours shrink continuously and never reach exactly 0 mm, so set
``detection_limit_mm`` (e.g. 2-5 mm, the smallest size a CT reader would
record) for simulations: a non-nodal sum at or below it is *recorded* as
0 mm (disappeared). :attr:`RecistResult.sums` holds these recorded sums.
The limit applies to the non-nodal sum as a whole (all non-nodal targets
disappear together), which is exact for one-lesion models.

Times are in days; conversion to months for endpoints uses
:data:`DAYS_PER_MONTH` (365.25 / 12).

References
----------
.. [1] Eisenhauer EA, Therasse P, Bogaerts J, et al. 2009, "New response
   evaluation criteria in solid tumours: Revised RECIST guideline (version
   1.1)", *Eur J Cancer* 45:228-247. doi:10.1016/j.ejca.2008.10.026
.. [2] Schwartz LH, Litiere S, de Vries E, et al. 2016, "RECIST 1.1 - Update
   and clarification: From the RECIST committee", *Eur J Cancer* 62:132-137.
   doi:10.1016/j.ejca.2016.03.081
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import OncoimmuneError

__all__ = [
    "DAYS_PER_MONTH",
    "RESPONSE_CODES",
    "RecistResult",
    "TrialDataError",
    "assess_recist",
]

DAYS_PER_MONTH = 365.25 / 12.0
"""Days in a mean calendar month (30.4375 d), for converting days to months."""

RESPONSE_CODES = ("CR", "PR", "SD", "PD", "NE")
"""Response categories, best first (``NE`` last: not evaluable)."""

_TOL = 1e-9  # mm or days: absorbs rounding in 0.7 * S0, 1.2 * nadir, t2 - t1


class TrialDataError(OncoimmuneError, ValueError):
    """Trial data (assessment arrays, an endpoint table, patient-level survival data) is invalid.

    The message names the field, the first offending patient or row, what came
    and what is accepted.
    """


# validation -------------------------------------------------------------------------------------------


def _first_bad(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _as_float(name: str, x: Any) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise TrialDataError(f"{name} must be numeric; got {type(x).__name__}") from None
    if np.isinf(a).any():
        raise TrialDataError(
            f"{name} must be finite or NaN (missing); got inf at index {_first_bad(np.isinf(a))}"
        )
    return a


def _check_nonneg_limit(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TrialDataError(f"{name} must be a number >= 0; got {value!r}") from None
    if not (np.isfinite(v) and v >= 0):
        raise TrialDataError(f"{name} must be a finite number >= 0; got {value!r}")
    return v


def _check_inputs(
    times: Any, sums: Any, new_lesions: Any, node_short_axes: Any, origin: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    s = _as_float("sums", sums)
    if s.ndim == 1:
        s = s[None, :]
    if s.ndim != 2 or s.shape[1] < 1:
        raise TrialDataError(
            "sums must have shape (patients, assessments) with column 0 the baseline; "
            f"got shape {np.shape(sums)}"
        )
    n, m = s.shape
    neg = s < 0
    if neg.any():
        i, k = _first_bad(neg)
        raise TrialDataError(
            f"sums must be >= 0 mm (or NaN if missing); got {s[i, k]} at patient {i}, assessment {k}"
        )
    zero_base = s[:, 0] == 0
    if zero_base.any():
        i = int(np.argmax(zero_base))
        raise TrialDataError(
            f"sums[:, 0] (baseline) must be > 0 mm: RECIST needs measurable disease at baseline; got 0 for "
            f"patient {i} (use NaN for a patient without a baseline scan: not evaluable)"
        )

    t = _as_float("times", times)
    if t.ndim == 1:
        if t.shape != (m,):
            raise TrialDataError(
                f"times must have shape ({m},) or ({n}, {m}) to match sums; got shape {t.shape}"
            )
        if np.isnan(t).any():
            raise TrialDataError("times (1-D, shared by all patients) must not contain NaN")
        t = np.broadcast_to(t, (n, m))
    elif t.shape != (n, m):
        raise TrialDataError(f"times must have shape ({m},) or ({n}, {m}) to match sums; got shape {t.shape}")
    untimed = np.isnan(t) & np.isfinite(s)
    if untimed.any():
        i, k = _first_bad(untimed)
        raise TrialDataError(
            f"times is NaN where sums has a value (patient {i}, assessment {k}); give its time"
        )
    prev = np.fmax.accumulate(t, axis=1)
    unsorted = np.isfinite(t[:, 1:]) & ~(t[:, 1:] > prev[:, :-1])
    if unsorted.any():
        i, k = _first_bad(unsorted)
        raise TrialDataError(
            "times must increase strictly along each patient's assessments; "
            f"patient {i} has {t[i, k + 1]} d at assessment {k + 1} after {prev[i, k]} d"
        )

    if new_lesions is None:
        nl = np.zeros((n, m), dtype=bool)
    else:
        nl_raw = np.asarray(new_lesions)
        if nl_raw.ndim == 1 and n == 1:
            nl_raw = nl_raw[None, :]
        if nl_raw.shape != (n, m):
            raise TrialDataError(f"new_lesions must have shape ({n}, {m}) like sums; got {nl_raw.shape}")
        if nl_raw.dtype != bool:
            if not np.issubdtype(nl_raw.dtype, np.number) or not np.isin(nl_raw, (0, 1)).all():
                raise TrialDataError(
                    "new_lesions must be boolean (True = unequivocal new lesion at that assessment)"
                )
            nl_raw = nl_raw.astype(bool)
        nl = nl_raw
        if nl[:, 0].any():
            i = int(np.argmax(nl[:, 0]))
            raise TrialDataError(
                f"new_lesions[:, 0] must be False: lesions present at baseline are baseline lesions, not new "
                f"(patient {i})"
            )
        nl_untimed = nl & np.isnan(t)
        if nl_untimed.any():
            i, k = _first_bad(nl_untimed)
            raise TrialDataError(
                f"new_lesions is True where times is NaN (patient {i}, assessment {k}); give its time"
            )

    nodes = None
    if node_short_axes is not None:
        nodes = _as_float("node_short_axes", node_short_axes)
        if nodes.ndim == 2 and n == 1:
            nodes = nodes[None]
        if nodes.ndim != 3 or nodes.shape[:2] != (n, m):
            raise TrialDataError(
                f"node_short_axes must have shape ({n}, {m}, n_nodes); got {np.shape(node_short_axes)}"
            )
        if (nodes < 0).any():
            i, k, j = _first_bad(nodes < 0)
            raise TrialDataError(
                f"node_short_axes must be >= 0 mm; got {nodes[i, k, j]} (patient {i}, assessment {k})"
            )
        mismatch = np.isfinite(s)[..., None] & np.isnan(nodes)
        if mismatch.any():
            i, k, j = _first_bad(mismatch)
            raise TrialDataError(
                f"node_short_axes is NaN where sums has a value (patient {i}, assessment {k}, node {j}); "
                "nodal targets are part of the sum, so give every node's short axis"
            )
        over = np.isfinite(s) & (nodes.sum(axis=2) > s + 1e-6)
        if over.any():
            i, k = _first_bad(over)
            raise TrialDataError(
                f"node_short_axes sum to {nodes[i, k].sum()} mm > sums {s[i, k]} mm "
                f"(patient {i}, assessment {k}); sums must include the nodal short axes"
            )

    if origin is None:
        o = t[:, 0].copy()
    else:
        o = _as_float("origin", origin)
        if o.ndim == 0:
            o = np.full(n, float(o))
        if o.shape != (n,):
            raise TrialDataError(f"origin must be a number or have shape ({n},); got shape {o.shape}")
        if np.isnan(o).any():
            raise TrialDataError(f"origin must not be NaN (patient {int(np.argmax(np.isnan(o)))})")
    return np.array(t, dtype=float), s, nl, nodes, o


# result ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecistResult:
    """RECIST 1.1 evaluation of ``n`` patients over ``m`` assessments (from :func:`assess_recist`).

    Attributes
    ----------
    times : ndarray, shape (n, m)
        Assessment times, days (NaN: not scheduled).
    sums : ndarray, shape (n, m)
        Recorded sums of diameters, mm (non-nodal disease at or below the
        detection limit recorded as 0; NaN: missing).
    percent_change : ndarray, shape (n, m)
        ``100 * (sums / baseline - 1)``.
    responses : ndarray of str, shape (n, m)
        ``"BL"`` at baseline, then ``CR``/``PR``/``SD``/``PD``/``NE``; ``""``
        after the first PD (not evaluated).
    best_overall_response : ndarray of str, shape (n,)
        ``CR``, ``PR``, ``SD``, ``PD`` or ``NE``.
    best_percent_change : ndarray, shape (n,)
        Smallest percent change up to and including the first PD (NaN if no
        post-baseline sum).
    time_first_response : ndarray, shape (n,)
        Time of the first CR or PR before progression, confirmed or not (NaN
        if none); the start of the duration of response for patients whose
        best overall response is CR or PR.
    time_progression : ndarray, shape (n,)
        Time of the first PD (NaN if none).
    time_last_adequate : ndarray, shape (n,)
        Last assessment before progression with an evaluable response
        (CR/PR/SD), else the baseline; NaN without a baseline. PFS is
        censored here.
    origin : ndarray, shape (n,)
        Start of the clock for the SD minimum duration, days.
    confirm, confirm_days, sd_min_days, detection_limit_mm
        The settings used.
    """

    times: np.ndarray
    sums: np.ndarray
    percent_change: np.ndarray
    responses: np.ndarray
    best_overall_response: np.ndarray
    best_percent_change: np.ndarray
    time_first_response: np.ndarray
    time_progression: np.ndarray
    time_last_adequate: np.ndarray
    origin: np.ndarray
    confirm: bool
    confirm_days: float
    sd_min_days: float
    detection_limit_mm: float

    def __post_init__(self) -> None:
        for name in (
            "times",
            "sums",
            "percent_change",
            "responses",
            "best_overall_response",
            "best_percent_change",
            "time_first_response",
            "time_progression",
            "time_last_adequate",
            "origin",
        ):
            a = getattr(self, name)
            if isinstance(a, np.ndarray) and a.flags.writeable:
                a = a.copy()
                a.flags.writeable = False
                object.__setattr__(self, name, a)

    @property
    def n_patients(self) -> int:
        """Number of patients."""
        return int(self.sums.shape[0])

    def to_frame(self) -> Any:
        """Per-patient table (pandas): BOR, best percent change and the key times in days."""
        import pandas as pd

        return pd.DataFrame(
            {
                "best_overall_response": self.best_overall_response.astype(str),
                "best_percent_change": self.best_percent_change,
                "time_first_response_days": self.time_first_response,
                "time_progression_days": self.time_progression,
                "time_last_adequate_days": self.time_last_adequate,
            }
        )


# evaluation -------------------------------------------------------------------------------------------


def _row_reduce(values: np.ndarray, mask: np.ndarray, kind: str) -> np.ndarray:
    """Row-wise min/max of ``values`` where ``mask``, NaN for rows with none (no warnings)."""
    if values.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    v = np.where(mask, values, np.nan)
    return np.fmin.reduce(v, axis=1) if kind == "min" else np.fmax.reduce(v, axis=1)


def assess_recist(
    times: Any,
    sums: Any,
    *,
    new_lesions: Any = None,
    node_short_axes: Any = None,
    confirm: bool = True,
    confirm_days: float = 28.0,
    sd_min_days: float = 42.0,
    detection_limit_mm: float = 0.0,
    origin: Any = None,
) -> RecistResult:
    """Evaluate RECIST 1.1 target-lesion response for many patients at once.

    Parameters
    ----------
    times : array_like, shape (m,) or (n, m)
        Assessment times in days, column 0 the baseline scan. 1-D: one
        schedule for everyone. 2-D: per patient; NaN marks an assessment that
        was not scheduled (it does not count as *missed* for PFS censoring).
    sums : array_like, shape (n, m) or (m,)
        Sum of diameters of the target lesions, mm; NaN for a missed scan or
        any scan after death or dropout. A NaN baseline makes the patient not
        evaluable (NE throughout). A 1-D array is one patient.
    new_lesions : array_like of bool, shape (n, m), optional
        True where an unequivocal new lesion is found (PD); column 0 must be
        False.
    node_short_axes : array_like, shape (n, m, n_nodes), optional
        Short axes of the nodal target lesions, mm, included in ``sums``.
    confirm : bool
        Require confirmation of CR and PR (default True).
    confirm_days : float
        Minimum interval between a response and its confirmation, days (28).
    sd_min_days : float
        Minimum time from ``origin`` to an assessment of at least SD for a
        best response of SD, days (42).
    detection_limit_mm : float
        Non-nodal sums at or below this are recorded as 0 mm (disappeared).
        0 by default (exact disappearance); set 2-5 mm for simulations.
    origin : float or array_like, shape (n,), optional
        Start of treatment or randomisation, days; defaults to the baseline
        scan time.

    Returns
    -------
    RecistResult

    Raises
    ------
    TrialDataError
        For shapes that do not match, negative or infinite sizes, a zero
        baseline, unsorted times, or inconsistent nodal data; the message
        names the argument and the first offending patient.

    Notes
    -----
    The rules are in the module docstring. Comparisons carry a tolerance of
    1e-9 (mm or days) so that, e.g., 70 mm against a 100 mm baseline is a PR.

    References
    ----------
    .. [1] Eisenhauer EA et al. 2009, *Eur J Cancer* 45:228-247 (RECIST 1.1).
    .. [2] Schwartz LH et al. 2016, *Eur J Cancer* 62:132-137 (RECIST 1.1 update).

    Examples
    --------
    >>> r = assess_recist([0, 42, 84, 126], [[50, 30, 28, 40]])
    >>> r.responses.tolist()
    [['BL', 'PR', 'PR', 'PD']]
    >>> str(r.best_overall_response[0])
    'PR'
    """
    t, s_in, new, nodes, o = _check_inputs(times, sums, new_lesions, node_short_axes, origin)
    confirm_days = _check_nonneg_limit("confirm_days", confirm_days)
    sd_min_days = _check_nonneg_limit("sd_min_days", sd_min_days)
    detection_limit_mm = _check_nonneg_limit("detection_limit_mm", detection_limit_mm)
    if not isinstance(confirm, (bool, np.bool_)):
        raise TrialDataError(f"confirm must be True or False; got {confirm!r}")
    n, m = s_in.shape

    finite = np.isfinite(s_in)
    nodal = np.zeros((n, m)) if nodes is None else np.nan_to_num(nodes.sum(axis=2), nan=0.0)
    nonnodal = np.where(finite, np.maximum(s_in - nodal, 0.0), np.nan)
    gone = finite & (nonnodal <= detection_limit_mm + _TOL)
    s = np.where(gone, nodal, s_in)  # recorded sums
    nodes_normal = np.ones((n, m), dtype=bool) if nodes is None else np.all(~(nodes >= 10.0 - _TOL), axis=2)

    base = s[:, 0]
    has_base = np.isfinite(base)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = 100.0 * (s / base[:, None] - 1.0)

    # post-baseline columns
    sp, fp, tp, newp = s[:, 1:], finite[:, 1:], t[:, 1:], new[:, 1:] & has_base[:, None]
    nadir = np.fmin.accumulate(s, axis=1)[:, :-1]  # smallest sum before each post-baseline scan
    with np.errstate(invalid="ignore"):
        pd_size = fp & (sp - nadir >= 5.0 - _TOL) & (sp >= 1.2 * nadir - _TOL)
        is_pr = fp & (sp <= 0.7 * base[:, None] + _TOL)
    crish = fp & gone[:, 1:] & nodes_normal[:, 1:] & ~newp
    prior_cr = np.zeros_like(crish)
    if m > 2:
        prior_cr[:, 1:] = np.logical_or.accumulate(crish, axis=1)[:, :-1]
    pd_reappear = fp & prior_cr & ~gone[:, 1:]
    is_pd = (newp | pd_size | pd_reappear) & has_base[:, None]
    fp = fp & has_base[:, None]

    col = np.arange(m - 1)[None, :]
    any_pd = is_pd.any(axis=1)
    first_pd = np.argmax(np.concatenate([is_pd, np.ones((n, 1), dtype=bool)], axis=1), axis=1)  # m-1: none
    after = col > first_pd[:, None]
    upto = ~after  # columns that count (up to and including the first PD)

    resp = np.full((n, m - 1), "NE", dtype="<U2")
    resp[fp] = "SD"
    resp[is_pr & fp] = "PR"
    resp[crish & fp] = "CR"
    resp[is_pd] = "PD"
    resp[after] = ""
    responses = np.concatenate([np.full((n, 1), "BL", dtype="<U2"), resp], axis=1)

    is_cr = (resp == "CR") & upto
    is_resp = ((resp == "CR") | (resp == "PR")) & upto
    nonpd = is_resp | ((resp == "SD") & upto)

    first_cr, last_cr = _row_reduce(tp, is_cr, "min"), _row_reduce(tp, is_cr, "max")
    first_resp, last_resp = _row_reduce(tp, is_resp, "min"), _row_reduce(tp, is_resp, "max")
    last_nonpd = _row_reduce(tp, nonpd, "max")
    with np.errstate(invalid="ignore"):
        if confirm:
            cr_ok = last_cr - first_cr >= confirm_days - _TOL
            resp_ok = last_resp - first_resp >= confirm_days - _TOL
        else:
            cr_ok = np.isfinite(first_cr)
            resp_ok = np.isfinite(first_resp)
        sd_ok = last_nonpd - o >= sd_min_days - _TOL

    bor = np.full(n, "NE", dtype="<U2")
    bor[any_pd] = "PD"
    bor[sd_ok] = "SD"
    bor[resp_ok] = "PR"
    bor[cr_ok] = "CR"
    bor[~has_base] = "NE"

    time_pd = np.where(
        any_pd, tp[np.arange(n), np.minimum(first_pd, max(m - 2, 0))] if m > 1 else np.nan, np.nan
    )
    last_adequate = np.where(np.isfinite(last_nonpd), last_nonpd, t[:, 0])
    last_adequate = np.where(has_base, last_adequate, np.nan)
    best_pct = _row_reduce(pct[:, 1:], upto & fp, "min")

    return RecistResult(
        times=t,
        sums=s,
        percent_change=pct,
        responses=responses,
        best_overall_response=bor,
        best_percent_change=best_pct,
        time_first_response=np.where(has_base, first_resp, np.nan),
        time_progression=time_pd,
        time_last_adequate=last_adequate,
        origin=o,
        confirm=bool(confirm),
        confirm_days=confirm_days,
        sd_min_days=sd_min_days,
        detection_limit_mm=detection_limit_mm,
    )
