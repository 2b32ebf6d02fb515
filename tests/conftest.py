"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncoimmune._data import SHARED_ENV, shared_dir

REPO = Path(__file__).resolve().parents[1]
#: ``$ONCOIMMUNE_SHARED`` or ``<repo>/../shared`` (see ``oncoimmune._data``)
SHARED = shared_dir()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.skip(f"shared data not found at {SHARED}; set {SHARED_ENV} to the folder holding data/")
    return SHARED
