r"""Overall survival from tumour dynamics: a log-normal TGI-OS link of the Claret/Bruno family.

Claret et al. (2018) linked the on-treatment tumour growth rate constant
``KG`` (estimated from the sum of longest diameters under treatment) and
baseline prognostic factors to overall survival in atezolizumab and docetaxel
NSCLC patients (POPLAR, predicting OAK) with a **log-normal** parametric
model; Chan et al. (2021) extended the framework across atezolizumab studies
(``KG`` the strongest predictor; ECOG, tumour burden, inflammation markers and
metastatic sites as baseline factors). This module uses that structure:

.. math::

    \log \mathrm{OS}_i = \beta_0 + \beta_{KG} \log\frac{KG_i}{KG_{ref}}
        + \beta_{ECOG}\,\mathrm{ECOG}_i + \beta_{line}\,[\text{line} \ge 2]_i
        + \beta_{sq}\,[\text{squamous}]_i + \beta_{SLD} \log\frac{SLD_{0,i}}{90\,\mathrm{mm}}
        + \sigma z_i, \qquad z_i \sim N(0, 1)

with OS in months. ``KG_i`` is read off the patient's simulated tumour
trajectory (:func:`growth_rate_constant`): the log-slope of the tumour burden
over the six weeks before the patient's first documented progression (or
the end of the trajectory without progression), floored at
:data:`KG_FLOOR` -- an on-treatment growth rate, as the biexponential
``KG`` estimated up to progression in the published models. Everything
after progression (subsequent therapies, crossover, clinical decline) is in
the link's fitted intercept and spread, as in the published models, whose
trials had the same kinds of post-progression care.

The coefficients are **fitted** (the published models' coefficients are not
transferable: their ``KG`` is estimated from noisy SLD series, ours read off a
noise-free trajectory) jointly to the three trials' published OS figures by
:mod:`oncoimmune.trials.joint`; :data:`CALIBRATED_LINK` holds the fitted values.

References
----------
.. [1] Claret L, Jin JY, Ferté C, et al. (2018). A model of overall survival
   predicts treatment outcomes with atezolizumab versus chemotherapy in
   non-small cell lung cancer based on early tumor kinetics. Clin Cancer Res
   24:3292-3298. doi:10.1158/1078-0432.CCR-17-3662
.. [2] Chan P, Marchand M, Yoshida K, et al. (2021). Prediction of overall
   survival in patients across solid tumors following atezolizumab
   treatments: a tumor growth inhibition-overall survival modeling framework.
   CPT Pharmacometrics Syst Pharmacol 10:1171-1182. doi:10.1002/psp4.12686
.. [3] Claret L, Girard P, Hoff PM, et al. (2009). J Clin Oncol 27:4103-4108.
   doi:10.1200/JCO.2008.21.0807
.. [4] Stein WD et al. (2008). Oncologist 13:1046-1054 (biexponential KG).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np

from .._errors import ParameterValueError

__all__ = [
    "CALIBRATED_LINK",
    "KG_FLOOR",
    "KG_REF",
    "LinkCovariates",
    "TGIOSLink",
    "growth_rate_constant",
    "KG_READ_OPTIONS",
    "link_death_days",
    "link_death_days_on_treatment",
    "survival_draws",
]

#: Floor of the growth rate constant (1/day): tumours still shrinking at progression/end count as this.
KG_FLOOR = 2.0e-4
#: Reference growth rate constant (1/day) of the link.
KG_REF = 0.01
#: Window (days) of the log-slope that estimates KG.
KG_WINDOW_DAYS = 42.0
_DAYS_PER_MONTH = 365.25 / 12.0
#: Where ``[survival] kg_read`` reads ``KG``: before the first progression (default) or over the
#: randomised treatment (:func:`link_death_days_on_treatment`).
KG_READ_OPTIONS = ("progression", "on_treatment")


@dataclass(frozen=True)
class TGIOSLink:
    """Log-normal TGI-OS link (see the module docstring); OS in months.

    Parameters
    ----------
    intercept : float
        ``beta_0``: log median OS (months) of the reference patient (KG = KG_REF,
        ECOG 0, first line, non-squamous, SLD 90 mm).
    beta_kg, beta_ecog, beta_line, beta_squamous, beta_sld : float
    sigma : float
        Standard deviation of log OS (> 0).
    """

    intercept: float = 2.6
    beta_kg: float = -0.5
    beta_ecog: float = -0.3
    beta_line: float = -0.3
    beta_squamous: float = -0.3
    beta_sld: float = -0.2
    sigma: float = 0.9

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ParameterValueError(f"TGIOSLink.{f.name} must be a finite number; got {v!r}")
        if not self.sigma > 0:
            raise ParameterValueError(f"TGIOSLink.sigma must be > 0; got {self.sigma!r}")

    def with_values(self, **kw: float) -> TGIOSLink:
        return replace(self, **kw)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    def mu(self, kg: Any, ecog: Any, prior_lines: Any, squamous: Any, sld0_mm: Any) -> np.ndarray:
        """``log`` median OS (months) of each patient."""
        kg = np.maximum(np.asarray(kg, dtype=float), KG_FLOOR)
        return (
            self.intercept
            + self.beta_kg * np.log(kg / KG_REF)
            + self.beta_ecog * np.asarray(ecog, dtype=float)
            + self.beta_line * (np.asarray(prior_lines, dtype=float) >= 1)
            + self.beta_squamous * np.asarray(squamous, dtype=float)
            + self.beta_sld * np.log(np.maximum(np.asarray(sld0_mm, dtype=float), 1.0) / 90.0)
        )

    def os_days(self, z: Any, kg: Any, ecog: Any, prior_lines: Any, squamous: Any, sld0_mm: Any) -> np.ndarray:
        """Each patient's time of death (days) for standard-normal draws ``z``."""
        return np.exp(self.mu(kg, ecog, prior_lines, squamous, sld0_mm) + self.sigma * np.asarray(z)) * _DAYS_PER_MONTH


def _shipped() -> TGIOSLink:
    from .. import _calibration_data

    th = _calibration_data.theta()
    return TGIOSLink(**{k: th[k] for k in TGIOSLink.__dataclass_fields__ if k in th})


#: The link fitted by :mod:`oncoimmune.trials.joint` (``oncoimmune calibrate``); defaults without a shipped fit.
CALIBRATED_LINK = _shipped()


def growth_rate_constant(grid: Any, burden: Any, t_end: Any, window: float = KG_WINDOW_DAYS) -> np.ndarray:
    """On-treatment growth rate constant ``KG`` (1/day) of each trajectory.

    Parameters
    ----------
    grid : ndarray, shape (m,)
        Save times (days).
    burden : ndarray, shape (n, m)
        Tumour cells.
    t_end : ndarray, shape (n,)
        First documented progression (day), or ``inf`` (then the last grid time).
    window : float
        Days of the log-slope.

    Returns
    -------
    ndarray, shape (n,)
        ``(log N(t_end) - log N(t_end - window)) / window``, floored at :data:`KG_FLOOR`.
    """
    grid = np.asarray(grid, dtype=float)
    lb = np.log(np.maximum(np.atleast_2d(np.asarray(burden, dtype=float)), 1.0))
    te = np.asarray(t_end, dtype=float).reshape(lb.shape[0])
    te = np.where(np.isfinite(te), np.minimum(te, grid[-1]), grid[-1])
    return _kg_at(grid, lb, te, window)


def _kg_at(grid: np.ndarray, lb: np.ndarray, te: np.ndarray, window: float) -> np.ndarray:
    """The floored log-slope of each row of ``lb`` (log burden) over ``window`` days ending at ``te``
    (shape (n,), one time per row, or (n, k), several per row; within the grid)."""
    ts = np.maximum(te - window, grid[0])
    dt = np.maximum(te - ts, 1.0)
    return np.maximum((_interp_rows(grid, lb, te) - _interp_rows(grid, lb, ts)) / dt, KG_FLOOR)


def _interp_rows(grid: np.ndarray, lb: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Row ``i`` of ``lb`` linearly interpolated at ``t[i]`` (a time or a row of times), with the
    arithmetic of :func:`numpy.interp` (the same bits), for all rows at once."""
    rows = np.arange(lb.shape[0]).reshape((-1,) + (1,) * (t.ndim - 1))
    if grid.size == 1:
        return np.broadcast_to(lb[rows, 0], t.shape).astype(float)
    j = np.clip(np.searchsorted(grid, t, side="right") - 1, 0, grid.size - 2)
    slope = (lb[rows, j + 1] - lb[rows, j]) / (grid[j + 1] - grid[j])
    v = np.where(t == grid[j], lb[rows, j], slope * (t - grid[j]) + lb[rows, j])
    return np.where(t >= grid[-1], lb[rows, -1], np.where(t <= grid[0], lb[rows, 0], v))


@dataclass(frozen=True)
class LinkCovariates:
    """The baseline covariates the link reads, one entry per patient (arrays of equal length).

    Attributes
    ----------
    ecog, prior_lines : ndarray
    squamous : ndarray
        1.0 for squamous histology, else 0.0.
    sld0_mm : ndarray
        Baseline sum of longest diameters (mm).
    """

    ecog: np.ndarray
    prior_lines: np.ndarray
    squamous: np.ndarray
    sld0_mm: np.ndarray

    @classmethod
    def of_patients(cls, patients: Any) -> LinkCovariates:
        """From :class:`~oncoimmune.patients.virtual.VirtualPatient` objects (baseline SLD from the
        patient's burden when it is an SLD, else the sphere-equivalent diameter of its tumour cells)."""
        from ..patients.virtual import sld_from_cells

        ps = list(patients)

        def sld0(p: Any) -> float:
            return float(p.burden.value) if p.burden.measure == "sld" else float(sld_from_cells(p.tumour_cells))

        return cls(
            ecog=np.array([float(p.ecog) for p in ps]),
            prior_lines=np.array([float(p.prior_lines) for p in ps]),
            squamous=np.array([1.0 if p.histology == "squamous" else 0.0 for p in ps]),
            sld0_mm=np.array([sld0(p) for p in ps]),
        )

    @classmethod
    def concat(cls, parts: Any) -> LinkCovariates:
        """The covariates of several groups of patients, in order."""
        ps = list(parts)
        return cls(*(np.concatenate([getattr(p, f.name) for p in ps]) for f in fields(cls)))

    def take(self, rows: Any) -> LinkCovariates:
        """The covariates of the patients ``rows`` (an index array or a slice)."""
        return LinkCovariates(*(getattr(self, f.name)[rows] for f in fields(self)))


def survival_draws(seed: int, indices: Any) -> np.ndarray:
    """Each patient's standard-normal draw ``z`` of the link (``patient_rng(seed, i, "events", "survival")``).

    A stream of its own, keyed by the trial seed and the patient's screening index (not by the
    shard, the worker or the trial size), so a patient's death time is reproducible everywhere
    (the staged runner, :mod:`oncoimmune.trials.joint`).
    """
    from ..patients.cohort import patient_rng

    return np.array([patient_rng(int(seed), int(i), "events", "survival").standard_normal() for i in indices],
                    dtype=float)


def link_death_days(
    link: TGIOSLink,
    grid: Any,
    burden: Any,
    t_progression: Any,
    z: Any,
    covariates: LinkCovariates,
) -> tuple[np.ndarray, np.ndarray]:
    """Death times (days) from the link, and the growth rate constants they used.

    Parameters
    ----------
    link : TGIOSLink
    grid : ndarray, shape (m,)
        Save times (days).
    burden : ndarray, shape (n, m)
        Tumour cells.
    t_progression : ndarray, shape (n,)
        First documented progression (day), ``inf`` if none (``KG`` is then read at the end of the
        trajectory; :func:`growth_rate_constant`).
    z : ndarray, shape (n,)
        The patients' standard-normal draws (:func:`survival_draws`).
    covariates : LinkCovariates

    Returns
    -------
    t_death, kg : ndarray, shape (n,)
    """
    kg = growth_rate_constant(grid, burden, t_progression)
    c = covariates
    return link.os_days(z, kg, c.ecog, c.prior_lines, c.squamous, c.sld0_mm), kg


def link_death_days_on_treatment(
    link: TGIOSLink,
    grid: Any,
    burden: Any,
    t_end: Any,
    z: Any,
    covariates: LinkCovariates,
) -> tuple[np.ndarray, np.ndarray]:
    """Death times (days) from the link with ``KG`` read over the on-treatment course, without circularity.

    ``KG(t)`` is the log-slope of the burden over the :data:`KG_WINDOW_DAYS` ending at ``t`` (floored
    at :data:`KG_FLOOR`), read at most up to ``t_end`` (the end of the randomised treatment, e.g.
    :meth:`oncoimmune.trials.rules.TreatmentCourse.end_day`). A growth rate read after the patient's
    death would make the death time depend on the trajectory of a dead patient, so death is the
    first save time ``t <= t_end`` at which the link's death time for ``KG(t)`` has passed
    (``os(KG(t)) <= t``; the death is then ``max(os(KG(t)), previous save time)``); a patient for
    whom that never happens dies at ``os(KG(t_end))``. This uses only the trajectory up to the death
    (or up to ``t_end``), as Claret 2018 estimated ``KG`` from the SLD observed on treatment while
    the patient was alive.

    Parameters
    ----------
    link : TGIOSLink
    grid : ndarray, shape (m,)
    burden : ndarray, shape (n, m)
        Tumour cells.
    t_end : ndarray, shape (n,)
        Last day ``KG`` may be read (``inf``: the last grid time).
    z : ndarray, shape (n,)
    covariates : LinkCovariates

    Returns
    -------
    t_death, kg : ndarray, shape (n,)
        ``kg``: the growth rate constant the death time used.

    References
    ----------
    .. [1] Claret L et al. (2018). Clin Cancer Res 24:3292-3298 (KG from the on-treatment SLD course).
    .. [2] Stein WD et al. (2008). Oncologist 13:1046-1054.
    """
    grid = np.asarray(grid, dtype=float)
    b = np.maximum(np.atleast_2d(np.asarray(burden, dtype=float)), 1.0)
    n = b.shape[0]
    te = np.asarray(t_end, dtype=float).reshape(n)
    te = np.where(np.isfinite(te), np.minimum(te, grid[-1]), grid[-1])
    lb = np.log(b)
    kg_all = _kg_at(grid, lb, np.broadcast_to(grid, lb.shape), KG_WINDOW_DAYS)  # KG(t_k) at every save time
    c = covariates
    col = (lambda a: np.asarray(a, dtype=float)[:, None])
    os_all = link.os_days(col(z), kg_all, col(c.ecog), col(c.prior_lines), col(c.squamous), col(c.sld0_mm))
    passed = (os_all <= grid[None, :]) & (grid[None, :] <= te[:, None] + 1e-9)
    hit = passed.any(axis=1)
    k = np.argmax(passed, axis=1)
    rows = np.arange(n)
    kg_end = _kg_at(grid, lb, te, KG_WINDOW_DAYS)
    t_at_end = link.os_days(z, kg_end, c.ecog, c.prior_lines, c.squamous, c.sld0_mm)
    last = grid[np.maximum(np.searchsorted(grid, te + 1e-9, side="right") - 1, 0)]
    t_first = np.maximum(os_all[rows, k], grid[np.maximum(k - 1, 0)])
    t_death = np.where(hit, t_first, np.maximum(t_at_end, last))
    kg = np.where(hit, kg_all[rows, k], kg_end)
    return t_death, kg
