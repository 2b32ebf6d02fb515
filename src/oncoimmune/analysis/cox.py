"""Cox proportional-hazards fit with arm indicators as the only covariates (Efron ties), in counts.

With one indicator per non-reference arm, every quantity of the partial
likelihood depends on the data only through, at each distinct event time, the
number of patients at risk and the number of events in each arm. The fit
therefore sorts the times once (``O(n log n)``) and iterates Newton-Raphson on
those counts (``O(events x arms)`` per iteration), where a general-purpose
fitter such as lifelines iterates over every patient. On a million patients
it takes well under a second; it agrees with lifelines' ``CoxPHFitter`` (same
tie method, Wald intervals) to about 1e-9 in the log hazard ratio
(``tests/analysis/test_cox.py``), which stays the test oracle.

Efron's approximation for ``d`` tied events at one time with risk-set sum
``S0 = sum_a n_a exp(b_a)`` and tied sum ``D = sum_a d_a exp(b_a)`` replaces
the ``d`` denominators by ``S0 - (l / d) D`` for ``l = 0..d-1`` [1]_ [2]_.

References
----------
.. [1] Cox DR 1972, "Regression models and life-tables", *J R Stat Soc B* 34:187-220.
.. [2] Efron B 1977, "The efficiency of Cox's likelihood function for censored data",
   *J Am Stat Assoc* 72:557-565. doi:10.1080/01621459.1977.10480613
.. [3] Therneau TM, Grambsch PM 2000, *Modeling Survival Data: Extending the Cox Model*,
   Springer, section 3.3 (ties).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ArmCoxFit", "fit_arm_cox"]


@dataclass(frozen=True)
class ArmCoxFit:
    """Result of :func:`fit_arm_cox`.

    Attributes
    ----------
    coef : ndarray, shape (k,)
        Log hazard ratio of each non-reference group against the reference (group 0).
    se : ndarray, shape (k,)
        Standard errors from the observed information at the estimate.
    log_likelihood : float
        Efron partial log-likelihood at ``coef``.
    iterations : int
        Newton-Raphson iterations taken.
    converged : bool
        Whether the step fell below the tolerance within the iteration limit.
    """

    coef: np.ndarray
    se: np.ndarray
    log_likelihood: float
    iterations: int
    converged: bool


def _counts(durations: Sequence[np.ndarray], events: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """At each distinct event time: patients at risk (J, g) and events (J, g) per group."""
    g = len(durations)
    t_all = np.concatenate([np.asarray(d, dtype=float) for d in durations])
    e_all = np.concatenate([np.asarray(e, dtype=bool) for e in events])
    grp = np.concatenate([np.full(len(d), j, dtype=np.int64) for j, d in enumerate(durations)])
    times = np.unique(t_all[e_all])
    n_risk = np.empty((times.size, g))
    n_event = np.empty((times.size, g))
    for j in range(g):
        tj, ej = t_all[grp == j], e_all[grp == j]
        st = np.sort(tj)
        # at risk at time t: time >= t
        n_risk[:, j] = tj.size - np.searchsorted(st, times, side="left")
        te = np.sort(tj[ej])
        n_event[:, j] = np.searchsorted(te, times, side="right") - np.searchsorted(te, times, side="left")
    return n_risk, n_event


def _efron(beta: np.ndarray, n_risk: np.ndarray, n_event: np.ndarray, rows: np.ndarray, frac: np.ndarray):
    """Log-likelihood, gradient and Hessian (non-reference groups) at ``beta``."""
    w = np.concatenate([[1.0], np.exp(beta)])  # (g,)
    s1 = n_risk * w  # (J, g): risk-set sums per group
    d1 = n_event * w  # (J, g): tied-event sums per group
    # one row per (event time, l) pair: denominators S0 - f D and numerators S1_a - f D1_a
    num = s1[rows] - frac[:, None] * d1[rows]  # (E, g)
    den = num.sum(axis=1)
    if np.any(den <= 0) or not np.all(np.isfinite(den)):
        return -np.inf, None, None
    ll = float(n_event[:, 1:].sum(axis=0) @ beta - np.log(den).sum())
    p = num[:, 1:] / den[:, None]  # (E, k)
    grad = n_event[:, 1:].sum(axis=0) - p.sum(axis=0)
    hess = -(np.diag(p.sum(axis=0)) - p.T @ p)
    return ll, grad, hess


def fit_arm_cox(
    durations: Sequence[np.ndarray],
    events: Sequence[np.ndarray],
    *,
    ties: str = "efron",
    tol: float = 1e-12,
    max_iter: int = 100,
) -> ArmCoxFit:
    """Fit a Cox model whose covariates are indicators of groups 1..g-1 (group 0 the reference).

    Parameters
    ----------
    durations, events : sequence of ndarray
        One array of follow-up times and one of event flags per group; group 0
        is the reference.
    ties : {"efron", "breslow"}
        Efron's approximation (lifelines' and R's default) or Breslow's (every tied
        event sees the whole risk set: the ``l / d`` terms are 0) [3]_.
    tol : float
        Stop when the largest Newton step in the log hazard ratios is below ``tol``.
    max_iter : int
        Iteration limit (then ``converged`` is False).

    Returns
    -------
    ArmCoxFit

    References
    ----------
    .. [1] Efron B 1977, *J Am Stat Assoc* 72:557-565.
    .. [2] Breslow NE 1974, *Biometrics* 30:89-99. doi:10.2307/2529620
    .. [3] Therneau TM, Grambsch PM 2000, *Modeling Survival Data*, section 3.3.
    """
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow'; got {ties!r}")
    if len(durations) != len(events) or len(durations) < 2:
        raise ValueError(f"durations and events must give the same number (>= 2) of groups; got "
                         f"{len(durations)} and {len(events)}")
    n_risk, n_event = _counts(durations, events)
    d = n_event.sum(axis=1).astype(np.int64)
    rows = np.repeat(np.arange(d.size), d)
    start = np.cumsum(d) - d
    frac = (np.arange(rows.size) - start[rows]) / d[rows] if ties == "efron" else np.zeros(rows.size)
    k = len(durations) - 1
    beta = np.zeros(k)
    ll, grad, hess = _efron(beta, n_risk, n_event, rows, frac)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(-hess, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        t = 1.0
        while True:  # step halving keeps the log-likelihood from falling (it is concave)
            ll_new, g_new, h_new = _efron(beta + t * step, n_risk, n_event, rows, frac)
            if ll_new >= ll - 1e-12 * abs(ll) or t < 1e-8:
                break
            t *= 0.5
        if g_new is None:
            break
        beta = beta + t * step
        ll, grad, hess = ll_new, g_new, h_new
        if np.max(np.abs(t * step)) < tol:
            converged = True
            break
    try:
        cov = np.linalg.inv(-hess)
        se = np.sqrt(np.diag(cov))
    except (np.linalg.LinAlgError, TypeError):
        se = np.full(k, np.nan)
    if not np.all(np.isfinite(beta)) or np.any(np.abs(beta) > 30):
        converged = False
    return ArmCoxFit(coef=beta, se=se, log_likelihood=float(ll), iterations=it, converged=converged)
