"""Where the shared data live (``shared/``: BioModels SBML, tumour kinetics, trial data).

Nothing from ``shared/`` is copied into the package. :func:`shared_dir` finds it:

1. ``$ONCOIMMUNE_SHARED`` (the folder holding ``data/``), if set;
2. ``$ONCOIMMUNE_SHARED_DATA`` (the ``data/`` folder itself), if set;
3. ``<repository>/../shared``, the usual checkout layout (a clone elsewhere sets 1).

Tests (``tests/conftest.py``), the calibration and the trial report use it, so a
clone outside the usual folder layout can point all of them at the data with one
variable instead of silently skipping the data tests.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SHARED_ENV", "shared_data_dir", "shared_dir"]

#: Environment variable naming the shared folder (the one holding ``data/``).
SHARED_ENV = "ONCOIMMUNE_SHARED"


def shared_dir() -> Path:
    """The shared folder (it may not exist; callers check and say which variable to set)."""
    env = os.environ.get(SHARED_ENV)
    if env:
        return Path(env)
    data = os.environ.get("ONCOIMMUNE_SHARED_DATA")
    if data:
        return Path(data).parent
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return (parent / ".." / "shared").resolve()
    return (here.parents[2] / ".." / "shared").resolve()


def shared_data_dir() -> Path | None:
    """``shared_dir() / "data"`` if it exists (``$ONCOIMMUNE_SHARED_DATA`` names it directly), else None."""
    data = os.environ.get("ONCOIMMUNE_SHARED_DATA")
    p = Path(data) if data and not os.environ.get(SHARED_ENV) else shared_dir() / "data"
    return p if p.is_dir() else None
