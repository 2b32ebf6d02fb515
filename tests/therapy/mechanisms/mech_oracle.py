"""libroadrunner runs of the shared BioModels SBML files, for the mechanism tests.

Skips (with the reason) when libsbml/libroadrunner or the shared data are missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pytest

from oncoimmune._data import shared_dir

BIOMODELS = shared_dir() / "data" / "biomodels"

FILES = {
    "hoffman2018": "hoffman2018-adcc-against-cancer__BIOMD0000000802.xml",
    "gevertz2018": "gevertz2018-cancer-treatment-with-oncolytic-viruses-and-dend__BIOMD0000000816.xml",
    "gevertz2018_minimal": "gevertz2018-cancer-treatment-with-oncolytic-viruses-and-dend__BIOMD0000000817.xml",
    "kronik2010": "kronik2010-predicting-outcomes-of-prostate-cancer-immunother__MODEL2001130003.xml",
    "leon_triana2021": "leon-triana2020-car-t-cell-therapy-in-b-cell__BIOMD0000001011.xml",
    "barros2021_hdlm2": "barros2021-cartmath-mathematical-of-car-t-immunotherapy-in-h__BIOMD0000001019.xml",
}


def sbml_path(key: str) -> Path:
    path = BIOMODELS / FILES[key]
    if not path.is_file():
        pytest.skip(f"shared BioModels file not found: {path.resolve()}")
    return path


def roadrunner_run(
    key: str,
    times: Iterable[float],
    species: Iterable[str],
    *,
    parameters: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
) -> np.ndarray:
    """Simulate the SBML with CVODE (rtol = atol = 1e-12); columns: time, then ``species``."""
    pytest.importorskip("libsbml", reason="python-libsbml not installed (pip install oncoimmune[sbml])")
    roadrunner = pytest.importorskip("roadrunner", reason="libroadrunner not installed (pip install oncoimmune[sbml])")
    rr = roadrunner.RoadRunner(str(sbml_path(key)))
    rr.integrator.relative_tolerance = 1e-12
    rr.integrator.absolute_tolerance = 1e-12
    rr.integrator.maximum_num_steps = 1_000_000
    for pid, v in (parameters or {}).items():
        rr[pid] = v
    for sid, v in (initial or {}).items():
        rr.model[f"init([{sid}])"] = v
    rr.reset()
    species = list(species)
    rr.timeCourseSelections = ["time"] + [f"[{s}]" for s in species]
    out = np.asarray(rr.simulate(times=np.asarray(list(times), dtype=float)))
    return out


def rel_err(a: np.ndarray, b: np.ndarray, floor: float) -> float:
    """max |a - b| / max(|b|, floor)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))
