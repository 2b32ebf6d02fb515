"""Survival analysis of trial arms with lifelines: Kaplan-Meier, log-rank, Cox hazard ratios.

Every function takes a tidy table (one row per patient) and the names of its
time, event and arm columns; the defaults fit the PFS columns of
:func:`oncoimmune.trials.endpoint_table`. :func:`compare_to_trial` sets a
virtual trial beside a real trial's patient-level data (for example
reconstructed KEYNOTE-024 curves) and reports hazard ratios, medians and a
Kaplan-Meier overlay.

Conventions
-----------
* Kaplan-Meier estimates and their pointwise confidence intervals are
  lifelines' (Greenwood variance, exponential/log(-log) transform) [1]_.
* The median is the first time at which the estimate is at or below 0.5;
  ``inf`` means "not reached". Its interval is where the pointwise interval
  of the curve crosses 0.5 (lifelines ``median_survival_times`` of the
  confidence interval; a Brookmeyer-Crowley-type interval [2]_).
* Number at risk at time ``t`` is the number of patients whose time is
  ``>= t`` (still under observation just before ``t``).
* The log-rank test is unstratified; with more than two arms it is the
  k-sample test.
* Hazard ratios come from a Cox proportional-hazards model with arm as the
  only covariate (one indicator per non-reference arm), Efron's method for
  ties, Wald intervals [3]_, fitted on event and risk-set counts
  (:func:`oncoimmune.analysis.cox.fit_arm_cox`: the same estimate as
  lifelines' ``CoxPHFitter`` to about 1e-9, in well under a second for a
  million patients).

References
----------
.. [1] Kaplan EL, Meier P 1958, "Nonparametric estimation from incomplete
   observations", *J Am Stat Assoc* 53:457-481. doi:10.1080/01621459.1958.10501452
.. [2] Brookmeyer R, Crowley J 1982, "A confidence interval for the median
   survival time", *Biometrics* 38:29-41. doi:10.2307/2530286
.. [3] Cox DR 1972, "Regression models and life-tables", *J R Stat Soc B*
   34:187-220; Efron B 1977, *J Am Stat Assoc* 72:557-565.
.. [4] Davidson-Pilon C 2019, "lifelines: survival analysis in Python",
   *J Open Source Softw* 4(40):1317. doi:10.21105/joss.01317
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..trials.endpoints import check_endpoint_table
from ..trials.recist import TrialDataError

__all__ = [
    "KaplanMeier",
    "LogRank",
    "TrialComparison",
    "TrialDataError",
    "compare_to_trial",
    "MIN_EVENTS_PER_COMPARISON",
    "hazard_ratios",
    "kaplan_meier",
    "km_by_arm",
    "km_max_distance",
    "logrank",
    "read_patient_level",
    "survival_summary",
]


def _lifelines() -> Any:
    try:
        import lifelines
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "survival analysis needs lifelines; install it with: pip install 'oncoimmune[survival]'"
        ) from None
    return lifelines


# data checks ------------------------------------------------------------------------------------------


def _durations_events(durations: Any, events: Any, *, where: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        d = np.asarray(durations, dtype=float)
    except (TypeError, ValueError):
        raise TrialDataError(f"{where}: times must be numeric") from None
    if d.ndim != 1 or d.size == 0:
        raise TrialDataError(f"{where}: times must be a non-empty 1-D array; got shape {d.shape}")
    bad = ~np.isfinite(d) | (d < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise TrialDataError(f"{where}: times must be finite and >= 0; got {d[i]} at row {i}")
    if events is None:
        e = np.ones_like(d)
    else:
        try:
            e = np.asarray(events, dtype=float)
        except (TypeError, ValueError):
            raise TrialDataError(f"{where}: events must be 0/1 (1 = event, 0 = censored)") from None
        if e.shape != d.shape:
            raise TrialDataError(f"{where}: events must have the shape of times {d.shape}; got {e.shape}")
        bad_e = ~np.isin(e, (0.0, 1.0))
        if bad_e.any():
            i = int(np.argmax(bad_e))
            raise TrialDataError(
                f"{where}: events must be 0 or 1 (1 = event, 0 = censored); got {e[i]} at row {i}"
            )
    return d, e.astype(int)


def _arm_groups(
    table: Any, time: str, event: str, arm: str, order: Sequence[str] | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    import pandas as pd

    check_endpoint_table(table, (time, event, arm))
    # arms by their text, in order of first appearance: codes from one hashing pass (a million-patient
    # table's string comparisons, once per arm and call, took most of the survival analysis)
    codes, uniques = pd.factorize(table[arm], use_na_sentinel=False)
    text = np.array([str(u) for u in uniques], dtype=object)
    names = list(dict.fromkeys(text.tolist()))
    code_of = np.array([names.index(t) for t in text], dtype=np.int64)
    arms = code_of[codes] if codes.size else codes
    if order is not None:
        missing = [a for a in order if a not in names]
        if missing:
            raise TrialDataError(f"arm {missing[0]!r} is not in column {arm!r}; arms present: {names}")
    ordered = names if order is None else list(order) + [a for a in names if a not in order]
    out = {}
    for a in ordered:
        sel = arms == names.index(a)
        out[a] = _durations_events(
            table[time].to_numpy()[sel],
            table[event].to_numpy()[sel],
            where=f"{time!r}/{event!r} of arm {a!r}",
        )
    return out


# Kaplan-Meier ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan-Meier estimate for one group.

    Attributes
    ----------
    label : str
    n, events : int
    table : pandas.DataFrame
        One row per distinct time (with 0 first): ``time``, ``at_risk``,
        ``events``, ``censored``, ``survival``, ``lower``, ``upper``.
    median : float
        ``inf`` if not reached.
    median_ci : (float, float)
        ``inf`` for an upper (or lower) limit not reached.
    alpha : float
        1 - confidence level.
    durations, event_flags : ndarray
        The data (read-only).
    """

    label: str
    n: int
    events: int
    table: Any = field(repr=False)
    median: float
    median_ci: tuple[float, float]
    alpha: float
    durations: np.ndarray = field(repr=False)
    event_flags: np.ndarray = field(repr=False)

    def survival_at(self, times: Any) -> np.ndarray:
        """Estimated survival probability at ``times`` (right-continuous step function)."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        idx = np.searchsorted(self.table["time"].to_numpy(), t, side="right") - 1
        s = self.table["survival"].to_numpy()
        return np.where(idx >= 0, s[np.clip(idx, 0, None)], 1.0)

    def at_risk(self, times: Any) -> np.ndarray:
        """Number at risk at ``times``: patients with time ``>= t``."""
        t = np.atleast_1d(np.asarray(times, dtype=float))
        d = np.sort(self.durations)
        return (d.size - np.searchsorted(d, t, side="left")).astype(int)


def km_max_distance(a: KaplanMeier, b: KaplanMeier, until: float | None = None) -> tuple[float, float]:
    """Largest vertical distance between two Kaplan-Meier curves, and where it is.

    ``sup |S_a(t) - S_b(t)|`` over ``0 <= t <= horizon``, the horizon being the shorter of the two
    follow-ups (each curve's last observed time: beyond it a curve is not estimated) or ``until`` if
    earlier. Both curves are right-continuous steps, so the supremum is reached at a step of one of
    them; every step time up to the horizon is checked. The Kolmogorov-Smirnov form of the distance
    between a virtual arm and the real one.

    Parameters
    ----------
    a, b : KaplanMeier
    until : float, optional
        Last time compared (same unit as the curves).

    Returns
    -------
    (distance, time) : tuple of float
        ``distance`` in survival probability (0-1) and the earliest time it is reached.

    References
    ----------
    .. [1] Kaplan EL, Meier P (1958). J Am Stat Assoc 53:457-481. doi:10.1080/01621459.1958.10501452
    """
    horizon = min(float(np.max(a.durations, initial=0.0)), float(np.max(b.durations, initial=0.0)))
    if until is not None:
        if not (math.isfinite(until) and until >= 0):
            raise ValueError(f"km_max_distance: until must be a finite time >= 0; got {until!r}")
        horizon = min(horizon, float(until))
    t = np.union1d(a.table["time"].to_numpy(dtype=float), b.table["time"].to_numpy(dtype=float))
    t = np.concatenate([[0.0], t[(t >= 0) & (t <= horizon)]])
    d = np.abs(a.survival_at(t) - b.survival_at(t))
    i = int(np.argmax(d))
    return float(d[i]), float(t[i])


def kaplan_meier(
    durations: Any, events: Any = None, *, label: str = "all", alpha: float = 0.05
) -> KaplanMeier:
    """Fit a Kaplan-Meier curve (lifelines) with median and its confidence interval.

    Parameters
    ----------
    durations : array_like
        Times (any unit, >= 0).
    events : array_like of 0/1, optional
        1 = event, 0 = censored; all events if omitted.
    label : str
    alpha : float
        1 - confidence level (0.05).

    Returns
    -------
    KaplanMeier

    References
    ----------
    .. [1] Kaplan EL, Meier P 1958, *J Am Stat Assoc* 53:457-481.
    """
    lifelines = _lifelines()
    from lifelines.utils import median_survival_times

    if not (isinstance(alpha, float) and 0.0 < alpha < 1.0):
        raise TrialDataError(f"alpha must be a float in (0, 1), e.g. 0.05; got {alpha!r}")
    d, e = _durations_events(durations, events, where=f"kaplan_meier({label!r})")
    kmf = lifelines.KaplanMeierFitter(alpha=alpha).fit(d, e, label=label)
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    et = kmf.event_table
    table = _km_table(sf, ci, et)
    mci = median_survival_times(ci)
    lo, hi = float(mci.iloc[0, 0]), float(mci.iloc[0, 1])
    ro = d.copy()
    ro.flags.writeable = False
    re = e.copy()
    re.flags.writeable = False
    return KaplanMeier(
        label=str(label),
        n=int(d.size),
        events=int(e.sum()),
        table=table,
        median=float(kmf.median_survival_time_),
        median_ci=(lo, hi),
        alpha=alpha,
        durations=ro,
        event_flags=re,
    )


def _km_table(sf: Any, ci: Any, et: Any) -> Any:
    import pandas as pd

    return pd.DataFrame(
        {
            "time": sf.index.to_numpy(dtype=float),
            "at_risk": et["at_risk"].reindex(sf.index).to_numpy(dtype=int),
            "events": et["observed"].reindex(sf.index).to_numpy(dtype=int),
            "censored": et["censored"].reindex(sf.index).to_numpy(dtype=int),
            "survival": sf.to_numpy(dtype=float),
            "lower": ci.iloc[:, 0].to_numpy(dtype=float),
            "upper": ci.iloc[:, 1].to_numpy(dtype=float),
        }
    )


def km_by_arm(
    table: Any,
    *,
    time: str = "pfs_months",
    event: str = "pfs_event",
    arm: str = "arm",
    order: Sequence[str] | None = None,
    alpha: float = 0.05,
) -> dict[str, KaplanMeier]:
    """Kaplan-Meier per arm.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per patient.
    time, event, arm : str
        Column names (defaults: PFS of :func:`~oncoimmune.trials.endpoint_table`).
    order : sequence of str, optional
        Arms to put first (e.g. the reference); others follow in order of
        appearance.
    alpha : float
        1 - confidence level.

    Returns
    -------
    dict of str to KaplanMeier
    """
    groups = _arm_groups(table, time, event, arm, order)
    return {a: kaplan_meier(d, e, label=a, alpha=alpha) for a, (d, e) in groups.items()}


def survival_summary(
    table: Any,
    *,
    time: str = "pfs_months",
    event: str = "pfs_event",
    arm: str = "arm",
    at: Sequence[float] = (),
    order: Sequence[str] | None = None,
    alpha: float = 0.05,
) -> Any:
    """Per-arm median (with CI), events, survival and number at risk at chosen times.

    Parameters
    ----------
    table : pandas.DataFrame
    time, event, arm : str
        Column names.
    at : sequence of float
        Times (same unit as ``time``) for ``surv_<t>`` and ``at_risk_<t>`` columns.
    order : sequence of str, optional
        Arms to put first.
    alpha : float
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        Index arm; columns ``n``, ``events``, ``median``, ``median_lo``,
        ``median_hi`` (``inf``: not reached), then ``surv_<t>`` and
        ``at_risk_<t>`` for each ``t`` in ``at``.
    """
    import pandas as pd

    fits = km_by_arm(table, time=time, event=event, arm=arm, order=order, alpha=alpha)
    rows = []
    for a, f in fits.items():
        row: dict[str, Any] = {
            "arm": a,
            "n": f.n,
            "events": f.events,
            "median": f.median,
            "median_lo": f.median_ci[0],
            "median_hi": f.median_ci[1],
        }
        if len(at):
            s = f.survival_at(at)
            r = f.at_risk(at)
            for t, sv, rv in zip(at, s, r):
                row[f"surv_{t:g}"] = float(sv)
                row[f"at_risk_{t:g}"] = int(rv)
        rows.append(row)
    return pd.DataFrame(rows).set_index("arm")


# log-rank and Cox ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRank:
    """Result of a log-rank test: chi-squared ``statistic`` on ``df`` degrees of freedom, ``p_value``."""

    statistic: float
    df: int
    p_value: float
    arms: tuple[str, ...]


def logrank(table: Any, *, time: str = "pfs_months", event: str = "pfs_event", arm: str = "arm") -> LogRank:
    """Log-rank test of equal survival across arms (lifelines).

    Parameters
    ----------
    table : pandas.DataFrame
    time, event, arm : str
        Column names.

    Returns
    -------
    LogRank

    References
    ----------
    .. [1] Mantel N 1966, "Evaluation of survival data and two new rank order
       statistics arising in its consideration", *Cancer Chemother Rep* 50:163-170.
    """
    _lifelines()
    from lifelines.statistics import logrank_test, multivariate_logrank_test

    groups = _arm_groups(table, time, event, arm)
    if len(groups) < 2:
        raise TrialDataError(f"logrank needs at least two arms in column {arm!r}; got {list(groups)}")
    names = tuple(groups)
    if len(groups) == 2:
        (d1, e1), (d2, e2) = groups.values()
        res = logrank_test(d1, d2, event_observed_A=e1, event_observed_B=e2)
    else:
        d = np.concatenate([g[0] for g in groups.values()])
        e = np.concatenate([g[1] for g in groups.values()])
        lab = np.concatenate([np.full(g[0].size, a, dtype=object) for a, g in groups.items()])
        res = multivariate_logrank_test(d, lab, e)
    return LogRank(
        statistic=float(res.test_statistic),
        df=int(res.degrees_of_freedom),
        p_value=float(res.p_value),
        arms=names,
    )


#: Events per arm compared below which trial summaries report a hazard ratio as not estimable
#: (Peduzzi et al. 1995, J Clin Epidemiol 48:1503: ten events per variable).
MIN_EVENTS_PER_COMPARISON = 10


def hazard_ratios(
    table: Any,
    *,
    time: str = "pfs_months",
    event: str = "pfs_event",
    arm: str = "arm",
    reference: str | None = None,
    alpha: float = 0.05,
    min_events: int = 1,
) -> Any:
    """Cox proportional-hazards hazard ratios of each arm against a reference arm.

    Parameters
    ----------
    table : pandas.DataFrame
    time, event, arm : str
        Column names.
    reference : str, optional
        The control arm (hazard ratio 1); default the first arm in order of
        appearance. Name it explicitly in analyses.
    alpha : float
        1 - confidence level.
    min_events : int
        Fewest events (all arms together) per arm compared for the ratio to be
        reported; :data:`MIN_EVENTS_PER_COMPARISON` (10, Peduzzi 1995 [2]_) for
        trial summaries; 1 (default) for hand-worked checks.

    Returns
    -------
    pandas.DataFrame
        Index: the non-reference arms. Columns ``reference``, ``hr``,
        ``hr_lo``, ``hr_hi``, ``p`` (Wald), ``n``, ``events`` (of that arm).

    Raises
    ------
    TrialDataError
        If the reference arm is unknown, or the ratio is not estimable: an arm
        has no events (the ratio is then 0 or infinite), there are fewer than
        ``min_events`` events per comparison, or the fit does not converge or
        gives a non-finite interval (separation in a small trial). The fit's
        own warnings are never passed on.

    References
    ----------
    .. [1] Cox DR 1972, *J R Stat Soc B* 34:187-220.
    .. [2] Peduzzi P, Concato J, Feinstein AR, Holford TR (1995). Importance of events per independent
       variable in proportional hazards regression analysis II. *J Clin Epidemiol* 48:1503-1510.
    """
    import pandas as pd

    if not (isinstance(alpha, float) and 0.0 < alpha < 1.0):
        raise TrialDataError(f"alpha must be a float in (0, 1), e.g. 0.05; got {alpha!r}")
    groups = _arm_groups(table, time, event, arm, None if reference is None else [reference])
    names = list(groups)
    if len(names) < 2:
        raise TrialDataError(f"hazard_ratios needs at least two arms in column {arm!r}; got {names}")
    ref = names[0]
    for a, (_, e) in groups.items():
        if e.sum() == 0:
            raise TrialDataError(
                f"arm {a!r} has no events in {event!r}; a hazard ratio is not estimable (follow up longer or "
                "pool arms)"
            )
    total = int(sum(int(e.sum()) for _, e in groups.values()))
    if total < int(min_events) * (len(names) - 1):
        raise TrialDataError(
            f"only {total} events in {event!r}; a hazard ratio is not estimable with fewer than "
            f"{int(min_events) * (len(names) - 1)} ({int(min_events)} per comparison, Peduzzi 1995); enrol more "
            "patients or follow up longer"
        )
    from scipy.stats import norm

    from .cox import fit_arm_cox

    others = names[1:]
    fit = fit_arm_cox([groups[a][0] for a in names], [groups[a][1] for a in names])
    z = float(norm.ppf(1.0 - alpha / 2.0))
    with np.errstate(all="ignore"):
        est = np.stack([np.exp(fit.coef - z * fit.se), np.exp(fit.coef + z * fit.se), np.exp(fit.coef)])
        pval = 2.0 * norm.sf(np.abs(fit.coef / fit.se))
    if not fit.converged or not np.all(np.isfinite(est)) or np.any(est <= 0):
        why = "no convergence" if not fit.converged else "a non-finite confidence interval"
        raise TrialDataError(
            f"the hazard ratio on {event!r} is not estimable ({total} events; the Cox fit gave {why}); "
            "enrol more patients or follow up longer"
        )
    rows = []
    for j, o in enumerate(others):
        rows.append(
            {
                "arm": o,
                "reference": ref,
                "hr": float(est[2, j]),
                "hr_lo": float(est[0, j]),
                "hr_hi": float(est[1, j]),
                "p": float(pval[j]),
                "n": int(groups[o][0].size),
                "events": int(groups[o][1].sum()),
            }
        )
    return pd.DataFrame(rows).set_index("arm")


# real-trial comparison -------------------------------------------------------------------------------


def read_patient_level(
    path: str | os.PathLike[str], *, time: str = "time", event: str = "event", arm: str = "arm"
) -> Any:
    """Read patient-level survival data (CSV: one row per patient) and check it.

    Parameters
    ----------
    path : path-like
        A CSV file such as ``keynote024_pfs.csv`` (columns ``time`` in
        months, ``event`` 0/1, ``arm``).
    time, event, arm : str
        Its column names.

    Returns
    -------
    pandas.DataFrame
        Columns ``arm`` (str), ``time`` (float), ``event`` (int).

    Raises
    ------
    TrialDataError
        If the file is missing, or a column is missing or invalid.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise TrialDataError(f"patient-level file {os.fspath(p)!r} does not exist; check the path")
    df = pd.read_csv(p)
    check_endpoint_table(df, (time, event, arm))
    d, e = _durations_events(df[time].to_numpy(), df[event].to_numpy(), where=os.fspath(p))
    return pd.DataFrame({"arm": df[arm].astype(str).to_numpy(), "time": d, "event": e})


@dataclass(frozen=True)
class TrialComparison:
    """A virtual trial beside a real one, on one endpoint (from :func:`compare_to_trial`).

    Attributes
    ----------
    endpoint : str
        Label, e.g. ``"PFS"``.
    reference : str
        The control arm (real-trial names).
    hazard_ratios : pandas.DataFrame
        Rows ``(source, arm)`` with ``hr``, ``hr_lo``, ``hr_hi``, ``p``, ``n``,
        ``events`` of each arm against the reference, per source (``virtual``,
        ``real``).
    medians : pandas.DataFrame
        Rows ``(source, arm)``: ``n``, ``events``, ``median``, ``median_lo``,
        ``median_hi`` and survival / at risk at the chosen times.
    virtual_vs_real : pandas.DataFrame
        Per arm: hazard ratio of the virtual arm against the real arm of the
        same name, its CI, the log-rank p-value (is the virtual arm
        distinguishable from the real one?) and the largest vertical distance
        between the two Kaplan-Meier curves over the shorter follow-up
        (``km_max_distance``, at ``km_max_distance_at``; :func:`km_max_distance`).
    km : dict
        ``{(source, arm): KaplanMeier}``.
    time_unit : str
    """

    endpoint: str
    reference: str
    hazard_ratios: Any = field(repr=False)
    medians: Any = field(repr=False)
    virtual_vs_real: Any = field(repr=False)
    km: Mapping[tuple[str, str], KaplanMeier] = field(repr=False)
    time_unit: str = "months"
    # the Kaplan-Meier overlay figure is oncoimmune.plots.trials.plot_km_overlay(comparison):
    # analysis never imports plots


def compare_to_trial(
    virtual: Any,
    real: Any,
    *,
    reference: str,
    endpoint: str = "pfs",
    arm_map: Mapping[str, str] | None = None,
    virtual_time: str | None = None,
    virtual_event: str | None = None,
    real_time: str = "time",
    real_event: str = "event",
    arm: str = "arm",
    at: Sequence[float] = (),
    alpha: float = 0.05,
) -> TrialComparison:
    """Compare a virtual trial's survival with a real trial's patient-level data.

    Parameters
    ----------
    virtual : pandas.DataFrame
        An endpoint table (:func:`~oncoimmune.trials.endpoint_table`).
    real : pandas.DataFrame
        Patient-level data (:func:`read_patient_level`), times in the same
        unit as the virtual table (months).
    reference : str
        Control arm, as named in ``real``.
    endpoint : str
        ``"pfs"`` or ``"os"`` (picks ``<endpoint>_months``/``<endpoint>_event``
        in ``virtual``), or any label when ``virtual_time``/``virtual_event``
        are given.
    arm_map : mapping, optional
        Virtual arm name -> real arm name; arms not in the map keep their
        name. Every virtual arm must then name a real arm.
    virtual_time, virtual_event : str, optional
        Column names in ``virtual`` (defaults from ``endpoint``).
    real_time, real_event, arm : str
        Column names in ``real``; ``arm`` in both.
    at : sequence of float
        Times for survival and number at risk in :attr:`TrialComparison.medians`.
    alpha : float
        1 - confidence level.

    Returns
    -------
    TrialComparison

    Raises
    ------
    TrialDataError
        If a column is missing, the reference arm is absent from either
        source, or a virtual arm has no real counterpart.
    """
    import pandas as pd

    vt = virtual_time or f"{endpoint}_months"
    ve = virtual_event or f"{endpoint}_event"
    check_endpoint_table(virtual, (vt, ve, arm))
    check_endpoint_table(real, (real_time, real_event, arm))
    amap = dict(arm_map or {})
    v_arms = virtual[arm].astype(str).map(lambda a: amap.get(a, a))
    real_arms = [str(a) for a in pd.unique(real[arm].astype(str))]
    unmatched = sorted(set(v_arms) - set(real_arms))
    if unmatched:
        raise TrialDataError(
            f"virtual arm {unmatched[0]!r} has no counterpart in the real data (arms {real_arms}); pass "
            "arm_map={virtual_name: real_name}"
        )
    if reference not in real_arms:
        raise TrialDataError(f"reference arm {reference!r} is not in the real data; arms: {real_arms}")
    if reference not in set(v_arms):
        raise TrialDataError(
            f"reference arm {reference!r} is not in the virtual trial (after arm_map); "
            f"arms: {sorted(set(v_arms))}"
        )
    v = pd.DataFrame(
        {"arm": v_arms.to_numpy(), "time": virtual[vt].to_numpy(), "event": virtual[ve].to_numpy()}
    )
    r = pd.DataFrame(
        {
            "arm": real[arm].astype(str).to_numpy(),
            "time": real[real_time].to_numpy(),
            "event": real[real_event].to_numpy(),
        }
    )
    r = r[r["arm"].isin(set(v_arms))]
    order = [reference] + [a for a in real_arms if a != reference and a in set(v_arms)]

    hr_rows, med_rows, km = [], [], {}
    for source, df in (("virtual", v), ("real", r)):
        hr = hazard_ratios(df, time="time", event="event", arm="arm", reference=reference, alpha=alpha)
        hr_rows.append(hr.reset_index().assign(source=source))
        med = survival_summary(df, time="time", event="event", arm="arm", at=at, order=order, alpha=alpha)
        med_rows.append(med.reset_index().assign(source=source))
        for a, f in km_by_arm(df, time="time", event="event", arm="arm", order=order, alpha=alpha).items():
            km[(source, a)] = f
    hazard = pd.concat(hr_rows).set_index(["source", "arm"])
    medians = pd.concat(med_rows).set_index(["source", "arm"])

    vr_rows = []
    for a in order:
        both = pd.concat([v[v["arm"] == a].assign(src="virtual"), r[r["arm"] == a].assign(src="real")])
        row: dict[str, Any] = {"arm": a}
        try:
            h = hazard_ratios(both, time="time", event="event", arm="src", reference="real", alpha=alpha)
            row.update(hr=h["hr"].iloc[0], hr_lo=h["hr_lo"].iloc[0], hr_hi=h["hr_hi"].iloc[0])
        except TrialDataError:
            row.update(hr=np.nan, hr_lo=np.nan, hr_hi=np.nan)
        row["logrank_p"] = logrank(both, time="time", event="event", arm="src").p_value
        row["km_max_distance"], row["km_max_distance_at"] = km_max_distance(km[("virtual", a)], km[("real", a)])
        vr_rows.append(row)
    vvr = pd.DataFrame(vr_rows).set_index("arm")
    return TrialComparison(
        endpoint=endpoint.upper() if endpoint in ("pfs", "os") else endpoint,
        reference=reference,
        hazard_ratios=hazard,
        medians=medians,
        virtual_vs_real=vvr,
        km=km,
    )
