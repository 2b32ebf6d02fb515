"""The shipped joint calibration of the clinical NSCLC model (written by ``oncoimmune calibrate --write``).

A leaf module (no package imports) so that :mod:`oncoimmune.library.nsclc_clinical`,
:mod:`oncoimmune.therapy.cytotoxic` and :mod:`oncoimmune.trials.survival_link` can all read the
same fitted values from ``oncoimmune/data/nsclc_joint_calibration.json``. The file holds the fitted
``theta`` and its provenance (command, cohort sizes, seeds, objective, time); it is reproduced from
the data by ``oncoimmune calibrate`` (see docs/trial-validation.md).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Where the shipped calibration lives.
PATH = Path(__file__).resolve().parent / "data" / "nsclc_joint_calibration.json"


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    """The shipped calibration (``{"theta": {...}, "provenance": {...}}``); empty if absent."""
    if not PATH.is_file():
        return {"theta": {}, "provenance": {}}
    return json.loads(PATH.read_text(encoding="utf-8"))


def theta() -> dict[str, float]:
    """The fitted hyperparameters by name (empty if no calibration is shipped)."""
    return {k: float(v) for k, v in load().get("theta", {}).items()}


def leave_one_out_theta(trial: str) -> dict[str, float]:
    """The fit that left ``trial`` out (empty if none is shipped)."""
    loo = load().get("leave_one_out", {}).get(trial, {})
    return {k: float(v) for k, v in loo.get("theta", {}).items()}
