"""Stage 4: from trajectories to scans, deaths, RECIST responses and the endpoint table.

:func:`derive_outcomes` turns tumour trajectories into target-lesion sums at
the scans (sphere-equivalent diameter of all tumour cells), new lesions, death
(the TGI-OS link of ``[survival]``, or the spec's lethal-burden rule, and
background mortality, whichever first), dropout, the data cut-off of
``[accrual]`` and last contact; :func:`assess` applies RECIST 1.1 with the
runner's settings; :func:`endpoints` builds the endpoint table of a finished
trial. Shared with the calibrations (:mod:`oncoimmune.trials.calibration`,
:mod:`oncoimmune.trials.joint`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .context import DETECTION_LIMIT_MM, RECIST_SETTINGS, TrialRunError
from .recist import DAYS_PER_MONTH
from .sample import EventDraws
from .survival_link import LinkCovariates, TGIOSLink, link_death_days, link_death_days_on_treatment

__all__ = ["SurvivalInputs", "assess", "derive_outcomes", "endpoints", "scan_matrix", "sld_from_cells_array"]

#: ``death_cause`` of a death drawn from the TGI-OS link (deaths of any cause).
LINK_DEATH_CAUSE = "tgi_os"


@dataclass(frozen=True)
class SurvivalInputs:
    """What the TGI-OS link needs besides the trajectories: the link, each patient's draw and covariates.

    Attributes
    ----------
    link : TGIOSLink
    z : ndarray, shape (n,)
        Standard-normal draws (:func:`oncoimmune.trials.survival_link.survival_draws`).
    covariates : LinkCovariates
    course : TreatmentCourse, optional
        Each patient's randomised treatment (:class:`oncoimmune.trials.rules.TreatmentCourse`): ``KG``
        is then read over the on-treatment course up to its end (``[survival] kg_read =
        "on_treatment"``, :func:`~oncoimmune.trials.survival_link.link_death_days_on_treatment`);
        ``None``: before the first progression (the default).
    """

    link: TGIOSLink
    z: np.ndarray
    covariates: LinkCovariates
    course: Any = None


def sld_from_cells_array(cells: Any) -> np.ndarray:
    """Vectorised :func:`oncoimmune.patients.virtual.sld_from_cells` (mm; negative undershoots -> 0)."""
    from ..biology.observables import CELLS_PER_CM3

    c = np.maximum(np.asarray(cells, dtype=float), 0.0)
    return 10.0 * (6.0 * c / (math.pi * CELLS_PER_CM3)) ** (1.0 / 3.0)


def _first_crossing(grid: np.ndarray, metric: np.ndarray, threshold: float) -> np.ndarray:
    """First time each row of ``metric`` reaches ``threshold`` (log-linear interpolation); inf if never."""
    n = metric.shape[0]
    out = np.full(n, np.inf)
    above = metric >= threshold
    hit = above.any(axis=1)
    j = np.argmax(above, axis=1)
    for r in np.flatnonzero(hit):
        k = int(j[r])
        if k == 0:
            out[r] = grid[0]
            continue
        a, b = metric[r, k - 1], metric[r, k]
        if a > 0 and b > a:
            w = (math.log(threshold) - math.log(a)) / (math.log(b) - math.log(a))
        else:
            w = 1.0
        out[r] = grid[k - 1] + min(max(w, 0.0), 1.0) * (grid[k] - grid[k - 1])
    return out


def derive_outcomes(
    grid: np.ndarray,
    burden: np.ndarray,
    new_lesion_hazard: np.ndarray | None,
    scan_days: np.ndarray,
    draws: EventDraws,
    *,
    horizon: float,
    dropout_per_day: float,
    background_per_day: float,
    death_rule: str | None,
    death_threshold: float | None,
    follow_up: np.ndarray | None = None,
    survival: SurvivalInputs | None = None,
) -> dict[str, np.ndarray]:
    """Scans, new lesions, death, dropout and last contact from tumour trajectories.

    Parameters
    ----------
    grid : ndarray, shape (m,)
        Save times (days), containing every scan day.
    burden : ndarray, shape (n, m)
        Tumour cells.
    new_lesion_hazard : ndarray, shape (n, m), optional
        Cumulative new-lesion hazard; a new lesion is found at the first scan
        (after baseline) at which it has reached the patient's exponential draw.
    scan_days : ndarray, shape (k,)
        Scan days, 0 (baseline) first.
    draws : EventDraws
    horizon : float
        Days of follow-up.
    dropout_per_day, background_per_day : float
        Constant hazards (exponential times from the uniforms: ``-log(u)/h``).
    death_rule : {"tumour_cells_above", "sld_above"} or None
    death_threshold : float or None
    follow_up : ndarray, shape (n,), optional
        Each patient's days from randomisation to the data cut-off
        (:meth:`~oncoimmune.trials.spec.TrialSpec.follow_up_days`, ``[accrual]``);
        capped at ``horizon``. Nothing after it is observed: scans, progression
        and death are censored there (administrative censoring). Default: ``horizon``.
    survival : SurvivalInputs, optional
        Death from the TGI-OS link (``[survival]``; then ``death_rule`` must be None):
        ``KG`` is read before the first progression documented by the scans
        observed up to the earlier of the cut-off and dropout (what the trial
        would have seen, as in the fitted link of :mod:`oncoimmune.trials.joint`),
        and the death time is the link's log-normal draw for the patient's ``z``.

    Returns
    -------
    dict of ndarray
        ``sums`` (n, k) mm, NaN after death or last contact; ``new_lesions``
        (n, k) bool; ``death_day`` (NaN: alive at the end of follow-up);
        ``death_cause`` ("tumour", "tgi_os", "background" or ""); ``dropout_day``
        (NaN: none); ``last_contact_day``; ``kg_per_day`` (the link's growth rate
        constant, NaN without ``survival``).
    """
    grid = np.asarray(grid, dtype=float)
    burden = np.atleast_2d(np.asarray(burden, dtype=float))
    n = burden.shape[0]
    sld = sld_from_cells_array(burden)
    idx = np.searchsorted(grid, scan_days)
    if not np.allclose(grid[np.minimum(idx, grid.size - 1)], scan_days):
        raise TrialRunError("internal: the save grid must contain every scan day")
    if survival is not None and death_rule is not None:
        raise TrialRunError("internal: a lethal-burden death_rule and the TGI-OS link cannot both give deaths")
    end = np.full(n, float(horizon))
    if follow_up is not None:
        end = np.minimum(np.asarray(follow_up, dtype=float).reshape(n), float(horizon))
    with np.errstate(divide="ignore"):
        t_drop = -np.log(draws.dropout) / dropout_per_day if dropout_per_day > 0 else np.full(n, np.inf)
        t_bg = (
            -np.log(draws.background) / background_per_day if background_per_day > 0 else np.full(n, np.inf)
        )
    all_sums = sld[:, idx]
    if new_lesion_hazard is not None:
        cum = np.atleast_2d(np.asarray(new_lesion_hazard, dtype=float))[:, idx]
        all_nl = cum >= draws.new_lesion[:, None]
        all_nl[:, 0] = False
    else:
        all_nl = np.zeros_like(all_sums, dtype=bool)
    kg = np.full(n, np.nan)
    if survival is not None:
        seen = scan_days[None, :] <= np.fmin(end, t_drop)[:, None] + 1e-9
        r0 = assess(scan_days, np.where(seen, all_sums, np.nan), all_nl & seen)
        t_prog = np.asarray(r0.time_progression, dtype=float)
        if survival.course is None:
            t_tum, kg = link_death_days(survival.link, grid, burden, t_prog, survival.z, survival.covariates)
        else:  # over the randomised treatment, at most to the end of the observed course
            t_kg = np.fmin(survival.course.end_day(t_prog), np.fmin(end, t_drop))
            t_tum, kg = link_death_days_on_treatment(
                survival.link, grid, burden, t_kg, survival.z, survival.covariates
            )
        tum_cause = LINK_DEATH_CAUSE
    elif death_rule is None or death_threshold is None:
        t_tum, tum_cause = np.full(n, np.inf), "tumour"
    else:
        metric = burden if death_rule == "tumour_cells_above" else sld
        t_tum, tum_cause = _first_crossing(grid, metric, float(death_threshold)), "tumour"
    t_death = np.fmin(t_tum, t_bg)
    death = np.where(t_death <= end, t_death, np.nan)
    cause = np.where(np.isnan(death), "", np.where(t_tum <= t_bg, tum_cause, "background"))
    dropout = np.where(t_drop < np.fmin(t_death, end), t_drop, np.nan)
    contact = np.where(np.isnan(dropout), end, dropout)
    contact = np.where(np.isfinite(death), np.fmin(contact, death), contact)
    observed = scan_days[None, :] <= contact[:, None] + 1e-9
    sums = np.where(observed, all_sums, np.nan)
    nl = all_nl & observed
    return {
        "sums": sums,
        "new_lesions": nl,
        "death_day": death,
        "death_cause": cause.astype(object),
        "dropout_day": dropout,
        "last_contact_day": contact,
        "kg_per_day": kg,
    }


def assess(scan_days: np.ndarray, sums: np.ndarray, new_lesions: np.ndarray) -> Any:
    """RECIST 1.1 with the runner's settings (:data:`RECIST_SETTINGS`, :data:`DETECTION_LIMIT_MM`)."""
    from .recist import assess_recist

    return assess_recist(
        scan_days,
        sums,
        new_lesions=new_lesions,
        detection_limit_mm=DETECTION_LIMIT_MM,
        origin=0.0,
        **RECIST_SETTINGS,
    )


def scan_matrix(column: Any, dtype: Any) -> np.ndarray:
    """A column of per-patient scan lists (all of one length) as an array of shape (patients, scans)."""
    values = list(column)
    if not values:
        return np.zeros((0, 0), dtype=dtype)
    if all(isinstance(v, np.ndarray) and v.ndim == 1 for v in values):  # as read from Parquet: one pass
        m = values[0].size
        if all(v.size == m for v in values):
            return np.concatenate(values).astype(dtype, copy=False).reshape(len(values), m)
    return np.stack([np.asarray(v, dtype=dtype) for v in values])


def endpoints(frame: Any, scan_days: np.ndarray) -> tuple[Any, Any]:
    """RECIST and the endpoint table (one row per patient) of the shard records ``frame``."""
    from .endpoints import endpoint_table

    sums = scan_matrix(frame["sld_mm"], float)
    nl = scan_matrix(frame["new_lesion"], bool)
    r = assess(scan_days, sums, nl)
    table = endpoint_table(
        r,
        arm=list(frame["arm"].astype(str)),
        death_days=frame["death_day"].to_numpy(dtype=float),
        last_contact_days=frame["last_contact_day"].to_numpy(dtype=float),
        patient_id=list(frame["patient_id"].astype(int)),
    )
    for col in ("status", "reason", "patient_index", "stratum", "crossover", "death_cause"):
        table[col] = frame[col].to_numpy()
    table["crossover_months"] = frame["crossover_day"].to_numpy(dtype=float) / DAYS_PER_MONTH
    if "toxicity_stop_day" in frame:  # treatment rules (oncoimmune.trials.rules); older shards lack them
        tox = frame["toxicity_stop_day"].to_numpy(dtype=float)
        stop = frame["treatment_stop_day"].to_numpy(dtype=float)
        seen = frame["last_contact_day"].to_numpy(dtype=float)
        # stopped for toxicity: the toxicity stop came first (not progression) and while the patient was followed
        table["toxicity_stopped"] = np.isfinite(tox) & (tox <= stop) & (tox <= seen)
        table["treatment_stop_months"] = frame["treatment_stop_day"].to_numpy(dtype=float) / DAYS_PER_MONTH
        table["beyond_progression"] = frame["beyond_progression"].to_numpy(dtype=bool)
        table["subsequent"] = frame["subsequent"].to_numpy(dtype=bool)
        table["subsequent_months"] = frame["subsequent_day"].to_numpy(dtype=float) / DAYS_PER_MONTH
    if "follow_up_day" in frame:  # shards written before [accrual]/[survival] reached the runner lack these
        table["follow_up_months"] = frame["follow_up_day"].to_numpy(dtype=float) / DAYS_PER_MONTH
        table["kg_per_day"] = frame["kg_per_day"].to_numpy(dtype=float)
    tp = np.asarray(r.time_progression, dtype=float)
    k = np.minimum(np.searchsorted(scan_days, np.where(np.isfinite(tp), tp, scan_days[0])), nl.shape[1] - 1)
    table["new_lesion_progression"] = np.isfinite(tp) & nl[np.arange(len(tp)), k] if len(tp) else np.zeros(0, bool)
    return table, r

