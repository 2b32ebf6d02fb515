"""The batched engine agrees with the SciPy reference on treated models, one per therapy class.

Same measure as ``test_batched.py``: per state, ``max_t |y - y_ref| / max_t |y_ref|``, at
rtol 1e-12 for both engines; the bound is 1e-6. The treated models are built with the public
therapy API (regimen strings from the drug catalogue, composed by ``treat_regimens``), so the PK
compartments, infusion switches (parameter events) and mechanisms are all exercised.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from oncoimmune import simulate
from oncoimmune.biology.escape import pdl1_checkpoint
from oncoimmune.library import get_model
from oncoimmune.therapy.regimen import treat_regimens

CASES = {
    # checkpoint inhibitor (mAb, 30-min infusions) on a model with the PD-L1 brake
    "checkpoint": (lambda: pdl1_checkpoint(get_model("kuznetsov1994"), 1.0), ("pembrolizumab:200mg:q3w",), 200.0),
    # checkpoint inhibitor + chemotherapy (combination by composition)
    "combination": (
        lambda: pdl1_checkpoint(get_model("kuznetsov1994"), 1.0).with_initial(T=3e8),
        ("pembrolizumab:200mg:q3w", "carboplatin_paclitaxel"),
        150.0,
    ),
    # monoclonal antibody with ADCC (weekly infusions) on NK + CD8 model
    "antibody": (lambda: get_model("depillis2005"), ("rituximab",), 60.0),
    # oncolytic virus, intralesional injections
    "virus": (lambda: get_model("wodarz2001"), ("talimogene_laherparepvec",), 60.0),
}


def scaled_error(y: np.ndarray, ref: np.ndarray) -> float:
    scale = np.nanmax(np.abs(ref), axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    return float(np.nanmax(np.abs(y - ref) / scale))


@pytest.mark.parametrize("case", sorted(CASES))
def test_batched_agrees_with_reference_on_treated_models(case):
    build, regimens, days = CASES[case]
    tr = treat_regimens(build(), *regimens, until=days, weight_kg=75.0, bsa_m2=1.9)
    kw = dict(events=tr.events, rtol=1e-12, atol=1e-15, saveat=np.linspace(0.0, days, 201))
    ref = simulate(tr.model, days, **kw)
    assert ref.attrs["status"] == "ok", ref.attrs["status_reason"]
    got = simulate(tr.model, days, engine="batched", **kw)
    assert got.attrs["status"] == "ok", got.attrs["status_reason"]
    names = tr.model.state_names
    err = scaled_error(
        np.stack([got[s].values for s in names], axis=-1), np.stack([ref[s].values for s in names], axis=-1)
    )
    assert err < 1e-6, f"{case}: scaled error {err:.2e}"
