"""The library models agree with their BioModels SBML read by our own importer (``from_sbml``).

Same files, maps and scenarios as ``test_sbml_oracle.py`` (where libroadrunner is the oracle); here the
SBML goes through ``oncoimmune.io.sbml.from_sbml`` and our SciPy engine, so the importer is checked
against hand-written reimplementations of the papers. The Kirschner-Panetta SBML is corrected to the
paper's equation (1) first (the correction that ``kirschner_panetta1998`` documents).
"""

from __future__ import annotations

import numpy as np
import pytest

from oncoimmune import simulate
from oncoimmune.library import get_model

libsbml = pytest.importorskip("libsbml", reason="python-libsbml not installed (pip install oncoimmune[sbml])")
pytest.importorskip("roadrunner", reason="libroadrunner not installed (pip install oncoimmune[sbml])")

from oncoimmune.io.sbml import from_sbml  # noqa: E402

from .test_sbml_oracle import CASES, PARAMETER_MAP, STATE_MAP, _document, _kp_patched  # noqa: E402


@pytest.mark.parametrize("model_id, params, init, days", CASES)
def test_library_model_agrees_with_its_imported_sbml(model_id, params, init, days):
    """States agree to a relative error below 1e-6 (max(|y|, 1e-6) in the denominator)."""
    doc = _document(model_id)
    if model_id == "kirschner_panetta1998":
        doc = _kp_patched(doc)
    imported = from_sbml(libsbml.writeSBMLToString(doc))
    smap, pmap = STATE_MAP[model_id], PARAMETER_MAP[model_id]
    imported = imported.with_parameters({pmap[k]: v for k, v in params.items()})
    imported = imported.with_initial({smap[k]: v for k, v in init.items()})
    times = np.concatenate([[0.0, 1.0], np.arange(10.0, days + 0.1, 10.0)])
    ours = simulate(get_model(model_id), days, parameters=params, initial=init, saveat=times,
                    rtol=1e-11, atol=1e-12)
    theirs = simulate(imported, days, saveat=times, rtol=1e-11, atol=1e-12)
    assert ours.attrs["status"] == theirs.attrs["status"] == "ok"
    for name, sid in smap.items():
        a, b = ours[name].values, theirs[sid].values
        err = np.abs(a - b) / np.maximum(np.abs(b), 1e-6)
        assert err.max() < 1e-6, f"{name}: relative error {err.max():.2e} at t={times[int(err.argmax())]}"
