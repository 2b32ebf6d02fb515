"""Absolute tolerances per state, and the warning when a state sits below its tolerance.

One absolute tolerance for every state (the former default ``atol = 1e-10``)
is wrong for models whose states live on different scales, and worst for a
state that falls far below its usual size and then grows back: while it sits
below ``atol`` the error control ignores it, and the regrowth amplifies the
error. Measured (issue 9, SciPy LSODA, ``rtol = 1e-8``): Wodarz 2001 uninfected
cells ``x(263 d)`` = 0.2002 with ``atol = 1e-10`` against 0.1733 from a tight
run (15 %; ``x`` dips to 5.4e-11); Kimmel 2021 B cells ``B(3000 d)`` = 0.201
against 0.118 (71 %).

The default is therefore per state: ``atol_i = ATOL_PER_SCALE * scale_i``, with
``scale_i`` the state's typical magnitude (:func:`state_scales`). With
``ATOL_PER_SCALE = 1e-16`` both runs above agree with the tight run to better
than 1e-3 (``tests/engines/test_tolerances.py``) at a cost of 5-30 % more
right-hand-side evaluations. Where ``|y_i|`` is near its scale the relative
term ``rtol * |y_i|`` dominates, so accuracy there is unchanged.

After every run :func:`tolerance_warnings` reports a state that spends a
stretch of at least :data:`BELOW_ATOL_SHARE` of the saved times strictly between
0 and its absolute tolerance and later grows past ``100 * atol_i`` (the
pattern above); engines return it in ``Solution.warnings`` and
:func:`oncoimmune.simulate` in ``attrs["status_warning"]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ATOL_PER_SCALE", "BELOW_ATOL_SHARE", "default_atol", "state_scales", "tolerance_warnings"]

#: Default absolute tolerance per unit of a state's typical magnitude (see the module docstring).
ATOL_PER_SCALE = 1e-16
#: Share of the saved times below ``atol`` (then regrowth) that triggers the warning.
BELOW_ATOL_SHARE = 0.02


def state_scales(y0: Any, units: Any = None) -> np.ndarray:
    """Typical magnitude of each state: ``|y0_i|``; for a state starting at 0, the largest ``|y0|``
    among the states with the same units, else 1 (one unit of the state)."""
    y = np.abs(np.asarray(y0, dtype=float))
    units = tuple(units) if units else ("",) * y.size
    scale = y.copy()
    for i in np.flatnonzero(~(y > 0)):
        same = [y[j] for j in range(y.size) if units[j] == units[i] and units[i] and y[j] > 0]
        scale[i] = max(same) if same else 1.0
    return scale


def default_atol(compiled: Any, y0: Any = None) -> np.ndarray:
    """``ATOL_PER_SCALE * state_scales(compiled, y0)``: the absolute tolerance of each state."""
    return ATOL_PER_SCALE * state_scales(compiled.y0 if y0 is None else y0, compiled.state_units)


def tolerance_warnings(y: np.ndarray, atol: np.ndarray, names: tuple[str, ...]) -> tuple[str, ...]:
    """States that sat below their absolute tolerance for a stretch and grew back (one line each).

    Parameters
    ----------
    y : ndarray, shape (n_times, n_states)
        Saved trajectory (NaN where not reached).
    atol : ndarray, shape (n_states,)
    names : tuple of str
    """
    y = np.asarray(y, dtype=float)
    if y.ndim != 2 or y.shape[0] < 2:
        return ()
    a = np.broadcast_to(np.asarray(atol, dtype=float), (y.shape[1],))
    out = []
    with np.errstate(invalid="ignore"):
        mag = np.abs(y)
        below = (mag > 0) & (mag < a[None, :])
    for i in range(y.shape[1]):
        b = below[:, i]
        if b.mean() < BELOW_ATOL_SHARE or b.sum() < 2:
            continue
        later = mag[int(np.flatnonzero(b)[0]):, i]
        if not np.any(later[np.isfinite(later)] > 100 * a[i]):  # decayed and stayed small: harmless
            continue
        out.append(
            f"state {names[i]!r} spent {100 * b.mean():.0f} % of the saved times below its absolute tolerance "
            f"{a[i]:.3g} and then grew back: its later values may be inaccurate; pass a smaller atol "
            "(e.g. atol=None, the per-state default)"
        )
    return tuple(out)
