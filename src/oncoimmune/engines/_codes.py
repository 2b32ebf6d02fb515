"""Codes and settings shared by the batched engine's Python side and its Numba kernels.

``batched.py`` builds the inputs and reads the statuses; ``_kernels.py`` freezes these
values as compile-time constants. Both import them from here, so neither imports the other.
"""

from __future__ import annotations

import os
import sys

# status codes
STATUS_OK = 0
STATUS_BUDGET = 1
STATUS_NONFINITE = 2
STATUS_STEP_TOO_SMALL = 3
STATUS_BUDGET_STIFF = 4
STATUS_SINGULAR = 5
STATUS_NEGATIVE = 6  # set here by the clipping rule (contract item 6)
STATUS_NOT_RUN = 7
METHOD_AUTO, METHOD_DOPRI5, METHOD_ROSENBROCK = 0, 1, 2
#: DOP853 as the explicit method: alone, or switching with Rodas4 like METHOD_AUTO
METHOD_DOP853, METHOD_AUTO8 = 3, 4
EV_STATE, EV_PARAM = 0, 1
OP_ADD_EV, OP_SET_EV, OP_MUL_EV = 0, 1, 2


def numba_cache_dir() -> str:
    """Where the compiled kernels are cached: ``$NUMBA_CACHE_DIR`` if set, else a per-user cache folder.

    ``<platformdirs user cache>/oncoimmune/numba`` when platformdirs is installed, else
    ``$XDG_CACHE_HOME/oncoimmune/numba`` (default ``~/.cache``), ``%LOCALAPPDATA%`` on
    Windows and ``~/Library/Caches`` on macOS. Never the source tree: a read-only
    install, or a checkout shared between users, must not be written to.
    """
    env = os.environ.get("NUMBA_CACHE_DIR")
    if env:
        return env
    try:
        import platformdirs

        return os.path.join(platformdirs.user_cache_dir("oncoimmune", appauthor=False), "numba")
    except ImportError:
        pass
    if os.name == "nt":  # pragma: no cover - platform
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
    elif sys.platform == "darwin":  # pragma: no cover - platform
        base = os.path.expanduser("~/Library/Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(base, "oncoimmune", "numba")
