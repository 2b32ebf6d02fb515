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
import time

import numpy as np
from scipy.integrate import BDF, DOP853, LSODA, RK45, Radau

METHODS = {"LSODA": LSODA, "BDF": BDF, "Radau": Radau, "DOP853": DOP853, "RK45": RK45}

from ..model.events import segment_times
from .base import AbstractEngine, Problem, Solution, apply_events, register_engine

__all__ = ["ScipyEngine"]


class _Budget(Exception):
    pass


class _NonFinite(Exception):
    pass


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
        if cm.events:  # events that belong to the model (e.g. from an SBML file)
            from ._triggered import solve_triggered

            return solve_triggered(pb, method, METHODS[method], self.name)
        f = cm.rhs(np)
        jac_fn = cm.jacobian(np) if method in ("LSODA", "BDF", "Radau") else None
        p = np.array(pb.p, dtype=float)
        y = np.array(pb.y0, dtype=float)
        save = np.asarray(pb.saveat, dtype=float)
        out = np.full((save.size, cm.n_states), np.nan)
        counter = {"nfev": 0, "njev": 0}
        budget = int(pb.max_nfev)
        deadline = None if pb.max_seconds is None else time.monotonic() + float(pb.max_seconds)

        def rhs(t: float, yy: np.ndarray) -> np.ndarray:
            counter["nfev"] += 1
            if counter["nfev"] > budget:
                raise _Budget
            if deadline is not None and counter["nfev"] % 256 == 0 and time.monotonic() > deadline:
                raise _Budget("seconds")

            with np.errstate(all="ignore"):
                d = f(t, yy, p)
            if not np.all(np.isfinite(d)):
                raise _NonFinite(t)
            return d

        def jac(t: float, yy: np.ndarray) -> np.ndarray:
            counter["njev"] += 1

            with np.errstate(all="ignore"):
                J = jac_fn(t, yy, p)
            if not np.all(np.isfinite(J)):
                raise _NonFinite(t, "Jacobian")
            return J

        nsteps = 0
        scale = np.abs(y).copy()
        status, reason = "ok", ""
        solver_cls = METHODS[method]
        segments = segment_times(pb.t0, pb.t1, pb.events)
        for k, (ta, tb, evs) in enumerate(segments):
            apply_events(y, p, evs, cm)
            last = k == len(segments) - 1
            # save points owned by this segment: [ta, tb) or [ta, tb] for the last
            mask = (save >= ta) & ((save <= tb) if last else (save < tb))
            idx = np.nonzero(mask)[0]
            at_start = idx[save[idx] - ta < 1e-12]
            out[at_start] = y
            pending = idx[save[idx] - ta >= 1e-12]
            kw = {"jac": jac} if jac_fn is not None else {}
            try:
                solver = solver_cls(rhs, ta, y.copy(), tb, rtol=pb.rtol, atol=pb.atol, **kw, **pb.options)
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
            except _Budget as exc:
                status = "failed"
                if exc.args and exc.args[0] == "seconds":
                    reason = f"work budget exceeded: more than {pb.max_seconds:g} s (max_seconds) before t={tb:g} d"
                else:
                    reason = (
                        f"work budget exceeded: more than {budget} right-hand-side evaluations "
                        f"(max_nfev) before t={tb:g} d"
                    )
            except _NonFinite as exc:
                status = "failed"
                what = exc.args[1] if len(exc.args) > 1 else "derivative"
                reason = f"non-finite {what} at t={float(exc.args[0]):.6g} d"
            except (ArithmeticError, ValueError) as exc:  # e.g. FloatingPointError under np.seterr
                status = "failed"
                reason = f"numerical error in solver {method}: {exc}"
            if status != "ok":
                break
            y = np.array(solver.y, dtype=float)
        # contract item 6: clip tiny undershoots of populations, report large ones
        tol = 10.0 * (pb.atol + pb.rtol * scale)
        for i in np.nonzero(cm.nonnegative)[0]:
            col = out[:, i]
            finite = np.isfinite(col)
            if status == "ok" and np.any(col[finite] < -tol[i]):
                j = int(np.nonzero(finite & (col < -tol[i]))[0][0])
                status = "failed"
                reason = (
                    f"population {cm.state_names[i]!r} went negative ({col[j]:.3g}) at t={save[j]:g} d; "
                    "tighten rtol/atol or check the parameters"
                )
            col[finite & (col < 0)] = 0.0
        return Solution(
            t=save,
            y=out,
            status=status,
            reason=reason,
            nfev=counter["nfev"],
            njev=counter["njev"],
            nsteps=nsteps,
            engine=self.name,
            method=method,
        )
