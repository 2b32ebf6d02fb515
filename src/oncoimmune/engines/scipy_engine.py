"""Reference engine on :func:`scipy.integrate.solve_ivp`.

Integrates piecewise between event times with an exact symbolic Jacobian for
the implicit methods, counts right-hand-side evaluations against a work
budget, and reports every run as ``ok`` or ``failed`` with a reason.

References
----------
.. [1] Virtanen et al. (2020). SciPy 1.0. Nature Methods 17:261-272.
.. [2] Hindmarsh (1983); Petzold (1983). LSODA, automatic stiff/non-stiff switching.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.integrate import BDF, DOP853, LSODA, RK45, Radau

METHODS = {"LSODA": LSODA, "BDF": BDF, "Radau": Radau, "DOP853": DOP853, "RK45": RK45}

from ..model.events import segment_times
from ._scipy_common import Budget, CountedProblem, NonFinite, check_nonnegative, failure_reason
from .base import AbstractEngine, Problem, Solution, apply_events, register_engine

__all__ = ["ScipyEngine"]


@register_engine
class ScipyEngine(AbstractEngine):
    """SciPy ``solve_ivp`` reference engine (default method ``LSODA``)."""

    name = "scipy"
    methods = ("LSODA", "BDF", "Radau", "DOP853", "RK45")
    default_method = "LSODA"

    #: Method tried again, from the start, when the default method fails for a numerical reason
    #: (LSODA's stiffness switching occasionally stops on a non-finite Jacobian or a negative
    #: population in the calibrated NSCLC model where Radau, L-stable and fully implicit, succeeds).
    fallback_method = "Radau"

    def _solve_impl(self, pb: Problem) -> Solution:
        """``pb.method``, or the default with an automatic fallback (see :attr:`fallback_method`)."""
        if pb.method is not None:
            return self._solve_with(pb, pb.method)
        first = "BDF" if pb.compiled.stiff else self.default_method
        sol = self._solve_with(pb, first)
        if sol.ok or sol.reason.startswith("work budget"):
            return sol
        alt = self._solve_with(pb, self.fallback_method)
        if not alt.ok:
            return sol
        note = f"{first} failed ({sol.reason}); solved again from the start with {self.fallback_method}"
        return dataclasses.replace(
            alt,
            method=f"{first}->{self.fallback_method}",
            nfev=sol.nfev + alt.nfev,
            njev=sol.njev + alt.njev,
            nsteps=sol.nsteps + alt.nsteps,
            warnings=(note,),
        )

    def _solve_with(self, pb: Problem, method: str) -> Solution:
        cm = pb.compiled
        if cm.events or cm.time_breakpoints:  # model events, or a right-hand side that jumps at known times
            from ._triggered import solve_triggered

            return solve_triggered(pb, method, METHODS[method], self.name)
        cp = CountedProblem(pb, method)
        y, save, out = cp.y, cp.save, cp.out
        nsteps = 0
        scale = np.abs(y).copy()
        status, reason = "ok", ""
        solver_cls = METHODS[method]
        segments = segment_times(pb.t0, pb.t1, pb.events)
        for k, (ta, tb, evs) in enumerate(segments):
            apply_events(y, cp.p, evs, cm)
            last = k == len(segments) - 1
            # save points owned by this segment: [ta, tb) or [ta, tb] for the last
            mask = (save >= ta) & ((save <= tb) if last else (save < tb))
            idx = np.nonzero(mask)[0]
            at_start = idx[save[idx] - ta < 1e-12]
            out[at_start] = y
            pending = idx[save[idx] - ta >= 1e-12]
            try:
                solver = solver_cls(
                    cp.rhs, ta, y.copy(), tb, rtol=pb.rtol, atol=pb.atol, **cp.solver_kwargs(), **pb.options
                )
                while solver.status == "running":
                    msg = solver.step()
                    if solver.status == "failed":
                        status = "failed"
                        reason = f"solver {method} stopped at t={solver.t:.6g} d: {msg}"
                        break
                    nsteps += 1
                    # dense output of this step fills the save points it covers
                    n_done = int(np.searchsorted(save[pending], solver.t, side="right"))
                    if n_done:
                        dense = solver.dense_output()
                        out[pending[:n_done]] = np.atleast_2d(dense(save[pending[:n_done]])).T
                        pending = pending[n_done:]
                    scale = np.maximum(scale, np.abs(solver.y))
                    if not np.all(np.isfinite(solver.y)):
                        status, reason = "failed", f"non-finite state at t={solver.t:.6g} d"
                        break
            except (Budget, NonFinite, ArithmeticError, ValueError) as exc:
                status, reason = "failed", failure_reason(exc, pb, method, f"before t={tb:g} d")
            if status != "ok":
                break
            y = np.array(solver.y, dtype=float)
        # contract item 6: clip tiny undershoots of populations, report large ones
        status, reason = check_nonnegative(pb, out, save, status, reason, scale)
        return Solution(
            t=save,
            y=out,
            status=status,
            reason=reason,
            nfev=cp.counter["nfev"],
            njev=cp.counter["njev"],
            nsteps=nsteps,
            engine=self.name,
            method=method,
        )
