"""Vectorised functions ``f(X) -> y`` over model outputs and trial endpoints, for the sensitivity methods.

:func:`model_output` turns a model, the factors (parameters or initial
values, by name) and one scalar output (a state or observable at a day, or
its final value, minimum, maximum or time average) into a function that
solves every row of ``X`` as one patient of the batched engine
(:func:`oncoimmune.engines.batched.solve_batch`), so a Sobol design of 10^5
points is one cohort run.

:func:`trial_endpoint` does the same for a trial endpoint (ORR, median PFS,
the PFS or OS hazard ratio) as a function of the population hyperparameters
of a calibrated trial model: each row of ``X`` is a whole virtual trial on a
fixed cohort (the calibration cohort of :mod:`oncoimmune.trials.calibration`),
so the sampling error of the cohort does not enter the indices; the trials
of all rows are solved together on the batched engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import UnknownNameError
from ._core import SensitivityError

__all__ = ["ModelOutput", "STATISTICS", "TRIAL_ENDPOINTS", "TRIAL_ENGINES", "model_output", "trial_endpoint"]

#: Summaries of a trajectory: the value at ``at`` (default: the last day), the
#: final value, the minimum, the maximum, the time average.
STATISTICS = ("value", "final", "min", "max", "mean")


@dataclass(frozen=True)
class ModelOutput:
    """A model output as a vectorised function of some parameters/initial values (see :func:`model_output`).

    Calling it with ``X`` of shape ``(n, k)`` returns ``y`` of shape ``(n,)``;
    patients whose run fails give NaN (the sensitivity methods refuse NaN and
    name the row). ``last_failures`` holds the reasons of the last call.
    """

    compiled: Any
    factors: tuple[str, ...]
    output: str
    statistic: str
    at: float
    days: float
    events: tuple[Any, ...]
    log10: bool
    rtol: float
    atol: float
    saveat: np.ndarray
    _kinds: tuple[tuple[str, int], ...]
    _base_p: np.ndarray
    _base_y: np.ndarray
    _failures: list

    @property
    def last_failures(self) -> list[str]:
        return list(self._failures)

    def describe(self) -> str:
        what = f"{self.output} at day {self.at:g}" if self.statistic == "value" else f"{self.statistic} of {self.output}"
        return f"{'log10 ' if self.log10 else ''}{what} (days 0-{self.days:g})"

    def __call__(self, X: Any) -> np.ndarray:
        from ..engines.batched import solve_batch

        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(self.factors):
            raise SensitivityError(f"X must have shape (n, {len(self.factors)}) for factors {self.factors}; got {X.shape}")
        cm = self.compiled
        n = X.shape[0]
        P = np.tile(self._base_p, (n, 1))
        Y = np.tile(self._base_y, (n, 1))
        for j, (kind, i) in enumerate(self._kinds):
            (P if kind == "p" else Y)[:, i] = X[:, j]
        sol = solve_batch(cm, Y, P, t1=self.days, saveat=self.saveat, events=self.events, rtol=self.rtol,
                          atol=self.atol)
        if self.output in cm.state_names:
            traj = sol.state(self.output)  # (n, t)
        else:
            obs = cm.observables(np)
            k = cm.observable_names.index(self.output)
            traj = np.stack([np.asarray(obs(t, sol.y[:, i, :].T, P.T)[k]) * np.ones(n)
                             for i, t in enumerate(sol.t)], axis=1)
        if self.statistic in ("value", "final"):
            v = traj[:, -1]
        elif self.statistic == "min":
            v = traj.min(axis=1)
        elif self.statistic == "max":
            v = traj.max(axis=1)
        else:
            v = np.trapezoid(traj, sol.t, axis=1) / (sol.t[-1] - sol.t[0])
        v = np.where(sol.ok, v, np.nan)
        self._failures[:] = [sol.reason(i) for i in np.flatnonzero(~sol.ok)]
        if self.log10:
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.log10(np.maximum(v, 1e-300))
        return v


def model_output(
    model: Any,
    factors: Sequence[str],
    output: str,
    *,
    days: float,
    statistic: str = "value",
    at: float | None = None,
    events: Sequence[Any] = (),
    log10: bool = False,
    parameters: Mapping[str, float] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    points: int = 201,
) -> ModelOutput:
    """A scalar output of ``model`` as a vectorised function of ``factors`` on the batched engine.

    Parameters
    ----------
    model : Model
        The (possibly treated) model.
    factors : sequence of str
        Parameter or state names (a state name varies its initial value).
    output : str
        A state or observable of the model.
    days : float
        Horizon (days).
    statistic : {"value", "final", "min", "max", "mean"}
        ``value``: at day ``at`` (default ``days``); ``mean``: time average.
    at : float, optional
        Day of ``value``; the run then stops there.
    events : sequence of Event
        Doses (shared by all rows).
    log10 : bool
        Return ``log10`` of the output (populations spanning decades).
    parameters : mapping, optional
        Fixed overrides of other parameters.
    rtol, atol : float
        Tolerances of the batched engine.
    points : int
        Save points on ``[0, days]`` (``min``, ``max``, ``mean`` are taken on them).

    Returns
    -------
    ModelOutput

    Raises
    ------
    UnknownNameError
        For an unknown factor, output or statistic.
    SensitivityError
        For a bad horizon.
    """
    cm = model.compile()
    if statistic not in STATISTICS:
        raise UnknownNameError("statistic", statistic, STATISTICS)
    names = tuple(cm.state_names) + tuple(cm.param_names)
    kinds = []
    for f in factors:
        if f in cm.param_names:
            kinds.append(("p", cm.param_index(f)))
        elif f in cm.state_names:
            kinds.append(("y", cm.state_index(f)))
        else:
            raise UnknownNameError(f"parameter or state of model {cm.model_id!r}", f, names)
    if output not in cm.state_names and output not in cm.observable_names:
        raise UnknownNameError(f"output of model {cm.model_id!r}", output, tuple(cm.state_names) + tuple(cm.observable_names))
    days = float(days)
    if statistic == "value" and at is not None:
        if not 0 < float(at) <= days:
            raise SensitivityError(f"at must lie in (0, {days:g}] days; got {at}")
        days = float(at)
    if not (math.isfinite(days) and days > 0):
        raise SensitivityError(f"days must be a finite number > 0; got {days}")
    base_p = cm.parameter_vector(dict(parameters or {}))
    return ModelOutput(
        compiled=cm, factors=tuple(factors), output=output, statistic=statistic, at=days, days=days,
        events=tuple(events), log10=bool(log10), rtol=float(rtol), atol=float(atol),
        saveat=np.linspace(0.0, days, int(points)), _kinds=tuple(kinds), _base_p=base_p,
        _base_y=cm.y0.copy(), _failures=[],
    )


#: Trial endpoints available to :func:`trial_endpoint`.
TRIAL_ENDPOINTS = ("orr", "pfs_median", "pfs_hr", "os_hr")
#: How :func:`trial_endpoint` integrates the cohort.
TRIAL_ENGINES = ("batched", "scipy")


def trial_endpoint(
    spec: Any,
    factors: Sequence[str],
    endpoint: str,
    *,
    arm: str | None = None,
    n_patients: int = 200,
    seed: int | None = None,
    engine: str = "batched",
    chunk_patients: int = 20_000,
) -> Callable[[np.ndarray], np.ndarray]:
    """A trial endpoint as a vectorised function of population hyperparameters.

    Each row of ``X`` sets hyperparameters of the calibrated NSCLC model
    (names of :data:`oncoimmune.trials.calibration.STEP_B` plus ``g`` and
    ``g_cv``: medians, ``*_cv`` coefficients of variation) and runs the whole
    trial on one fixed, screened cohort (both arms, the runner's own RECIST,
    death and dropout rules; :func:`oncoimmune.trials.calibration.cohort_endpoints`).

    Parameters
    ----------
    spec : TrialSpec
        A trial on the ``nsclc_tgi_immune`` model (e.g. ``examples/keynote024.toml``).
    factors : sequence of str
        Hyperparameter names.
    endpoint : {"orr", "pfs_median", "pfs_hr", "os_hr"}
        ``orr`` and ``pfs_median`` (months) of ``arm``; hazard ratios of
        ``arm`` against the other arm (Cox, lifelines).
    arm : str, optional
        Default: the spec's first arm.
    n_patients : int
        Size of the fixed cohort.
    seed : int, optional
        Cohort seed (default: the calibration seed).
    engine : {"batched", "scipy"}
        ``batched`` (default, as the trial runner): the rows of ``X`` are
        solved together, each arm's ``rows x n_patients`` patients in one call
        of the batched engine
        (:func:`oncoimmune.trials.calibration.cohort_endpoints_many`);
        ``scipy``: one stacked SciPy RK45 integration per row and arm
        (:func:`oncoimmune.trials.calibration.cohort_endpoints`, the former path).
    chunk_patients : int
        Most patients in one batched solve (rows are split to stay under it;
        memory grows with it). Results do not depend on it.
    """
    from ..trials import calibration as cal

    if endpoint not in TRIAL_ENDPOINTS:
        raise UnknownNameError("trial endpoint", endpoint, TRIAL_ENDPOINTS)
    if engine not in TRIAL_ENGINES:
        raise UnknownNameError("trial endpoint engine", engine, TRIAL_ENGINES)
    if int(chunk_patients) < 1:
        raise SensitivityError(f"chunk_patients must be >= 1; got {chunk_patients}")
    if getattr(spec.model, "id", None) != "nsclc_tgi_immune":
        raise SensitivityError(
            f"trial endpoints need a trial on the calibrated model 'nsclc_tgi_immune'; spec uses {spec.model.id!r}"
        )
    valid = tuple(cal.STEP_B) + ("g", "g_cv", "r_rec_cv")
    for f in factors:
        if f not in valid:
            raise UnknownNameError("trial hyperparameter", f, valid)
    arms = [a.name for a in spec.arms]
    arm = arm or arms[0]
    if arm not in arms:
        raise UnknownNameError("arm", arm, arms)
    other = next(a for a in arms if a != arm)
    cohort = cal.build_cohort(spec, int(n_patients), cal.CALIBRATION_SEED if seed is None else int(seed))

    rows_per_solve = max(1, int(chunk_patients) // max(1, len(cohort.indices)))

    def tables(X: np.ndarray) -> Any:
        thetas = [dict(zip(factors, map(float, row))) for row in X]
        if engine == "scipy":
            for theta in thetas:
                with np.errstate(all="ignore"):
                    yield cal.cohort_endpoints(cohort, theta)
            return
        for a in range(0, len(thetas), rows_per_solve):
            with np.errstate(all="ignore"):
                yield from cal.cohort_endpoints_many(cohort, thetas[a : a + rows_per_solve])

    def f(X: Any) -> np.ndarray:
        from ..analysis.survival import hazard_ratios, km_by_arm

        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(factors):
            raise SensitivityError(
                f"X must have shape (n, {len(factors)}) for factors {tuple(factors)}; got {X.shape}"
            )
        out = np.empty(X.shape[0])
        for r, tab in enumerate(tables(X)):
            if endpoint == "orr":
                out[r] = float(tab.loc[tab["arm"] == arm, "responder"].mean())
            elif endpoint == "pfs_median":
                out[r] = float(km_by_arm(tab)[arm].median)
            else:
                ep = endpoint.split("_")[0]
                hr = hazard_ratios(tab, time=f"{ep}_months", event=f"{ep}_event", reference=other)
                out[r] = float(hr.loc[arm, "hr"])
        return out

    f.__doc__ = f"{endpoint} of arm {arm!r} on a fixed cohort of {n_patients} patients ({engine} engine)"
    return f
