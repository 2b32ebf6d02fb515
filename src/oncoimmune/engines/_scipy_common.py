"""What the two SciPy integration loops share: counted right-hand side and Jacobian, failure reasons,
and the negativity check of populations.

:mod:`oncoimmune.engines.scipy_engine` integrates between known dose times;
:mod:`oncoimmune.engines._triggered` also locates state-dependent events. Both
wrap the compiled model's functions in :class:`CountedProblem` (work budget,
wall-clock budget, non-finite values), turn the exceptions it raises into a
status line with :func:`failure_reason`, and end with :func:`check_nonnegative`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .base import Problem

__all__ = ["Budget", "CountedProblem", "NonFinite", "check_nonnegative", "failure_reason"]


class Budget(Exception):
    """The right-hand-side evaluation budget (``max_nfev``) or the time budget (``"seconds"``) ran out."""


class NonFinite(Exception):
    """A non-finite derivative, Jacobian or state: ``NonFinite(t, what)``."""


class CountedProblem:
    """The problem's right-hand side and Jacobian for SciPy, counted and checked.

    Attributes
    ----------
    p : ndarray
        The parameter vector (events may change it in place).
    y, save, out : ndarray
        Initial state (a copy), save times, and the output array (NaN until filled).
    counter : dict
        ``nfev`` and ``njev``.
    jac_fn : callable or None
        The symbolic Jacobian for the implicit methods, else None.
    """

    def __init__(self, pb: Problem, method: str, *, quiet: bool = True) -> None:
        cm = pb.compiled
        self.f = cm.rhs(np)
        self.jac_fn = cm.jacobian(np) if method in ("LSODA", "BDF", "Radau") else None
        self.p = np.array(pb.p, dtype=float)
        self.y = np.array(pb.y0, dtype=float)
        self.save = np.asarray(pb.saveat, dtype=float)
        self.out = np.full((self.save.size, cm.n_states), np.nan)
        self.counter = {"nfev": 0, "njev": 0}
        self.budget = int(pb.max_nfev)
        self.deadline = None if pb.max_seconds is None else time.monotonic() + float(pb.max_seconds)
        self._quiet = quiet

    def rhs(self, t: float, yy: np.ndarray) -> np.ndarray:
        c = self.counter
        c["nfev"] += 1
        if c["nfev"] > self.budget:
            raise Budget
        if self.deadline is not None and c["nfev"] % 256 == 0 and time.monotonic() > self.deadline:
            raise Budget("seconds")
        if self._quiet:
            with np.errstate(all="ignore"):
                d = self.f(t, yy, self.p)
        else:
            d = self.f(t, yy, self.p)
        if not np.all(np.isfinite(d)):
            raise NonFinite(t)
        return d

    def jac(self, t: float, yy: np.ndarray) -> np.ndarray:
        self.counter["njev"] += 1
        if self._quiet:
            with np.errstate(all="ignore"):
                J = self.jac_fn(t, yy, self.p)  # type: ignore[misc]
        else:
            J = self.jac_fn(t, yy, self.p)  # type: ignore[misc]
        if not np.all(np.isfinite(J)):
            raise NonFinite(t, "Jacobian")
        return J

    def solver_kwargs(self) -> dict[str, Any]:
        """``{"jac": ...}`` for the implicit methods, else nothing."""
        return {"jac": self.jac} if self.jac_fn is not None else {}


def failure_reason(exc: BaseException, pb: Problem, method: str, where: str) -> str:
    """The status line for an exception from a SciPy loop (``where``: e.g. ``"before t=12 d"``)."""
    if isinstance(exc, Budget):
        if exc.args and exc.args[0] == "seconds":
            return f"work budget exceeded: more than {pb.max_seconds:g} s (max_seconds) {where}"
        return f"work budget exceeded: more than {int(pb.max_nfev)} right-hand-side evaluations (max_nfev) {where}"
    if isinstance(exc, NonFinite):
        what = exc.args[1] if len(exc.args) > 1 else "derivative"
        return f"non-finite {what} at t={float(exc.args[0]):.6g} d"
    return f"numerical error in solver {method}: {exc}"  # e.g. FloatingPointError under np.seterr


def check_nonnegative(
    pb: Problem, out: np.ndarray, save: np.ndarray, status: str, reason: str, scale: np.ndarray | None = None
) -> tuple[str, str]:
    """Clip round-off undershoots of populations in ``out`` (in place); a larger one fails the run.

    The tolerance is ``10 (atol_i + rtol scale_i)`` with ``scale_i`` the largest
    ``|y_i|`` seen (``scale``, or the saved values).
    """
    cm = pb.compiled
    atol = np.broadcast_to(np.asarray(pb.atol, dtype=float), (cm.n_states,))
    for i in np.nonzero(cm.nonnegative)[0]:
        col = out[:, i]
        finite = np.isfinite(col)
        s = float(scale[i]) if scale is not None else float(np.nanmax(np.abs(col), initial=0.0))
        tol_i = 10.0 * (float(atol[i]) + pb.rtol * s)
        if status == "ok" and np.any(col[finite] < -tol_i):
            j = int(np.nonzero(finite & (col < -tol_i))[0][0])
            status = "failed"
            reason = (
                f"population {cm.state_names[i]!r} went negative ({col[j]:.3g}) at t={save[j]:g} d; "
                "tighten rtol/atol or check the parameters"
            )
        col[finite & (col < 0)] = 0.0
    return status, reason
