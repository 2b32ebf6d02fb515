"""Stage 4: from trajectories to scans, deaths, RECIST responses and the endpoint table.

:func:`derive_outcomes` turns tumour trajectories into target-lesion sums at
the scans (sphere-equivalent diameter of all tumour cells), new lesions, death
(the spec's lethal-burden rule or background mortality, whichever first),
dropout and last contact; :func:`assess` applies RECIST 1.1 with the runner's
settings; :func:`endpoints` builds the endpoint table of a finished trial.
Shared with the calibration (:mod:`oncoimmune.trials.calibration`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .context import DETECTION_LIMIT_MM, RECIST_SETTINGS, TrialRunError
from .recist import DAYS_PER_MONTH
from .sample import EventDraws

__all__ = ["assess", "derive_outcomes", "endpoints", "sld_from_cells_array"]


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

    Returns
    -------
    dict of ndarray
        ``sums`` (n, k) mm, NaN after death or last contact; ``new_lesions``
        (n, k) bool; ``death_day`` (NaN: alive at the horizon);
        ``death_cause`` ("tumour", "background" or ""); ``dropout_day`` (NaN:
        none); ``last_contact_day``.
    """
    grid = np.asarray(grid, dtype=float)
    burden = np.atleast_2d(np.asarray(burden, dtype=float))
    n = burden.shape[0]
    sld = sld_from_cells_array(burden)
    idx = np.searchsorted(grid, scan_days)
    if not np.allclose(grid[np.minimum(idx, grid.size - 1)], scan_days):
        raise TrialRunError("internal: the save grid must contain every scan day")
    with np.errstate(divide="ignore"):
        t_drop = -np.log(draws.dropout) / dropout_per_day if dropout_per_day > 0 else np.full(n, np.inf)
        t_bg = (
            -np.log(draws.background) / background_per_day if background_per_day > 0 else np.full(n, np.inf)
        )
    if death_rule is None or death_threshold is None:
        t_tum = np.full(n, np.inf)
    else:
        metric = burden if death_rule == "tumour_cells_above" else sld
        t_tum = _first_crossing(grid, metric, float(death_threshold))
    t_death = np.fmin(t_tum, t_bg)
    death = np.where(t_death <= horizon, t_death, np.nan)
    cause = np.where(np.isnan(death), "", np.where(t_tum <= t_bg, "tumour", "background"))
    dropout = np.where(t_drop < np.fmin(t_death, horizon), t_drop, np.nan)
    contact = np.where(np.isnan(dropout), horizon, dropout)
    contact = np.where(np.isfinite(death), np.fmin(contact, death), contact)
    sums = sld[:, idx].copy()
    observed = scan_days[None, :] <= contact[:, None] + 1e-9
    sums[~observed] = np.nan
    if new_lesion_hazard is not None:
        cum = np.atleast_2d(np.asarray(new_lesion_hazard, dtype=float))[:, idx]
        nl = (cum >= draws.new_lesion[:, None]) & observed
        nl[:, 0] = False
    else:
        nl = np.zeros_like(sums, dtype=bool)
    return {
        "sums": sums,
        "new_lesions": nl,
        "death_day": death,
        "death_cause": cause.astype(object),
        "dropout_day": dropout,
        "last_contact_day": contact,
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


def endpoints(frame: Any, scan_days: np.ndarray) -> tuple[Any, Any]:
    """RECIST and the endpoint table (one row per patient) of the shard records ``frame``."""
    from .endpoints import endpoint_table

    sums = np.array([np.asarray(v, dtype=float) for v in frame["sld_mm"]])
    nl = np.array([np.asarray(v, dtype=bool) for v in frame["new_lesion"]])
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
    table["new_lesion_progression"] = [
        bool(np.isfinite(tp) and flags[int(np.searchsorted(scan_days, tp))])
        for tp, flags in zip(r.time_progression, nl)
    ]
    return table, r

