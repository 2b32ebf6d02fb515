"""Fitting and simulation helpers of the Andersen 2017 MPN model with interferon-alpha.

Moved out of :mod:`oncoimmune.library.andersen2017_mpn` (a published model
declares itself; how it is solved and fitted lives here, with the other
calibrations): the burden crossing times from one mutated stem cell, the
state at a given burden, the response to IFN-alpha, and the fit of
``k_IFN`` to Kiladjian et al. 2008 (the value stored as
``andersen2017_mpn.KIFN_FIT``).

References
----------
.. [1] Andersen M et al. (2017). Mathematical modelling as a proof of concept for MPNs as a human
   inflammation model for cancer development. PLoS One 12:e0183620. doi:10.1371/journal.pone.0183620
.. [2] Kiladjian J-J et al. (2008). Pegylated interferon-alfa-2a induces complete hematologic and molecular
   responses with low toxicity in polycythemia vera. Blood 112:3065-3072. doi:10.1182/blood-2008-03-143537
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..library.andersen2017_mpn import (
    KILADJIAN_2008_BASELINE,
    KILADJIAN_2008_BURDEN,
    KILADJIAN_2008_MONTHS,
    MONTH,
    SOLVER,
    YEAR,
    build,
)
from ..model import Model
from ..simulate import simulate

__all__ = ["IFNFit", "burden_crossing_times", "fit_ifn_effect", "simulate_ifn_response", "state_at_burden"]


def burden_crossing_times(
    levels: Sequence[float], *, model: Model | None = None, years: float = 40.0
) -> list[float]:
    """Days until the JAK2V617F burden first reaches each level, from one mutated stem cell.

    The untreated model starts in the healthy state with ``y0 = 1`` and is
    saved on a grid of 0.25 day; each crossing is interpolated linearly in
    that grid (the burden changes by < 1e-4 per grid step, so the crossing
    time is exact to well below an hour).
    """
    m = (model or build()).with_initial(y0=1.0).with_parameters(u_IFN=0.0)
    days = years * YEAR
    grid = np.arange(0.0, np.floor(days) + 0.25, 0.25)
    ds = simulate(m, float(grid[-1]), saveat=grid, **SOLVER)
    if ds.attrs["status"] != "ok":  # pragma: no cover - defensive
        raise RuntimeError(f"andersen2017_mpn: simulation failed: {ds.attrs['status_reason']}")
    frac = ds["jak2_burden"].values
    out = []
    for lev in levels:
        k = int(np.argmax(frac >= lev))
        if frac[k] < lev or k == 0:
            out.append(float("nan"))
            continue
        f0, f1 = frac[k - 1], frac[k]
        out.append(float(grid[k - 1] + (lev - f0) * (grid[k] - grid[k - 1]) / (f1 - f0)))
    return out


@dataclass(frozen=True)
class IFNFit:
    """Result of :func:`fit_ifn_effect`."""

    k_IFN: float
    months: tuple[float, ...]
    data_percent: tuple[float, ...]
    model_percent: tuple[float, ...]
    residuals_points: tuple[float, ...]
    start_day: float
    success: bool
    message: str


def state_at_burden(
    burden: float = KILADJIAN_2008_BASELINE / 100.0, *, model: Model | None = None
) -> tuple[float, dict[str, float]]:
    """Time (days) and full state when the burden from one mutated stem cell first reaches ``burden``."""
    m = (model or build()).with_initial(y0=1.0).with_parameters(u_IFN=0.0)
    (t_b,) = burden_crossing_times([burden], model=m)
    ds = simulate(m, t_b, saveat=[0.0, t_b], **SOLVER)
    return t_b, {n: float(ds[n].values[-1]) for n in m.state_names}


def simulate_ifn_response(
    k_IFN: float,
    months: Sequence[float] = KILADJIAN_2008_MONTHS,
    *,
    start_state: dict[str, float] | None = None,
    model: Model | None = None,
) -> np.ndarray:
    """Burden (percent) at ``months`` after IFN-alpha starts from ``start_state`` (default: 45 % burden)."""
    m = model or build()
    if start_state is None:
        _, start_state = state_at_burden(model=m)
    mt = m.with_initial(start_state).with_parameters(k_IFN=float(k_IFN), u_IFN=1.0)
    t = np.asarray(months, dtype=float) * MONTH
    ds = simulate(mt, float(t[-1]), saveat=np.concatenate([[0.0], t]), **SOLVER)
    return 100.0 * ds["jak2_burden"].values[1:]


def fit_ifn_effect(
    months: Sequence[float] = KILADJIAN_2008_MONTHS,
    burden_percent: Sequence[float] = KILADJIAN_2008_BURDEN,
    baseline_percent: float = KILADJIAN_2008_BASELINE,
    *,
    k0: float = 1.0,
    model: Model | None = None,
) -> IFNFit:
    """Fit ``k_IFN`` to the Kiladjian et al. 2008 median %JAK2V617F on pegylated IFN-alpha-2a.

    Data used (and nothing else): baseline 45 %, then 22.5, 17.5, 5 and 3 %
    at 12, 18, 24 and 36 months (Kiladjian 2008, Blood 112:3065, abstract;
    median of 29 patients with sequential samples). The untreated model runs
    from one mutated stem cell until the simulated burden first equals the
    baseline; IFN (``u_IFN = 1``) then
    starts, and :func:`scipy.optimize.least_squares` minimises the sum of
    squared differences (percentage points) between simulated and reported
    burdens over ``k_IFN >= 0``.

    Returns
    -------
    IFNFit
        Fitted ``k_IFN``, model values and residuals (model minus data, in
        percentage points).
    """
    from scipy.optimize import least_squares

    m = (model or build()).with_parameters(u_IFN=0.0)
    t_start, start = state_at_burden(baseline_percent / 100.0, model=m)
    data = np.asarray(burden_percent, dtype=float)

    def resid(v: np.ndarray) -> np.ndarray:
        return simulate_ifn_response(float(v[0]), months, start_state=start, model=m) - data

    res = least_squares(
        resid, x0=[k0], bounds=([0.0], [1e3]), x_scale=[1.0], xtol=1e-12, ftol=1e-12, gtol=1e-12
    )
    k = float(res.x[0])
    model_vals = data + res.fun
    return IFNFit(
        k_IFN=k,
        months=tuple(float(x) for x in months),
        data_percent=tuple(float(x) for x in data),
        model_percent=tuple(float(x) for x in model_vals),
        residuals_points=tuple(float(x) for x in res.fun),
        start_day=float(t_start),
        success=bool(res.success),
        message=str(res.message),
    )
