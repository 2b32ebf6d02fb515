"""Properties of treatments built from the catalogue.

* a zero dose equals no treatment (every drug class, chemotherapy too);
* an intervention changes nothing before its first dose;
* linear PK scales with dose (monoclonal antibody, IV cytokine, SC interferon).

"Equal" means equal to integration accuracy: the treated run has extra states
(all exactly zero here) and stops at the dose times, which changes the
solver's steps but not the solution.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncoimmune import simulate
from oncoimmune.biology.escape import pdl1_checkpoint
from oncoimmune.library import get_model
from oncoimmune.therapy.regimen import treat_regimens

TOL = {"rtol": 1e-6}


def kuz_brake():
    return pdl1_checkpoint(get_model("kuznetsov1994"), 1.0)


MODELS = {
    "kuznetsov_brake": kuz_brake,
    "kuznetsov": lambda: get_model("kuznetsov1994"),
    "depillis": lambda: get_model("depillis2005"),
    "kirschner": lambda: get_model("kirschner_panetta1998"),
    "andersen": lambda: get_model("andersen2017_mpn"),
    "wodarz": lambda: get_model("wodarz2001"),
}

ZERO = [
    ("kuznetsov_brake", "pembrolizumab:0mg"),
    ("kuznetsov_brake", "nivolumab:0mg:q2w"),
    ("kuznetsov_brake", "atezolizumab:0mg"),
    ("kuznetsov_brake", "ipilimumab:0mg/kg"),
    ("depillis", "rituximab:0mg/m2"),
    ("kuznetsov", "trastuzumab:0mg/kg"),
    ("kirschner", "aldesleukin:0iu/kg"),
    ("andersen", "ropeginterferon_alfa_2b:0ug:q2w"),
    ("wodarz", "talimogene_laherparepvec:0pfu"),
    ("kuznetsov", "tisagenlecleucel:0cells"),
    ("kuznetsov", "axicabtagene_ciloleucel:0cells/kg"),
    ("kuznetsov", "carboplatin_paclitaxel:0"),
]

DAYS = 100.0


def run(model, events=(), days=DAYS, grid=None):
    ds = simulate(model, days, events=events, saveat=grid, rtol=1e-10, atol=1e-12)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    return ds


def close(a, b, name):
    scale = max(float(np.max(np.abs(b))), 1e-30)
    np.testing.assert_allclose(a, b, rtol=TOL["rtol"], atol=TOL["rtol"] * scale, err_msg=name)


@pytest.mark.parametrize("model_key, therapy", ZERO, ids=[t for _, t in ZERO])
def test_zero_dose_equals_no_treatment(model_key, therapy):
    base = MODELS[model_key]()
    tr = treat_regimens(base, therapy, until=DAYS)
    treated = run(tr.model, tr.events)
    untreated = run(base, grid=treated.time.values)
    for name in (*base.state_names, *base.observable_names):
        close(treated[name].values, untreated[name].values, name)
    for name in set(tr.model.state_names) - set(base.state_names):  # drug, virus, cells: exactly absent
        assert float(np.max(np.abs(treated[name].values))) == 0.0, name


BEFORE = [
    ("kuznetsov_brake", "pembrolizumab:200mg:q3w@30"),
    ("kuznetsov_brake", "nivolumab:240mg:q2w@30"),
    ("depillis", "rituximab:375mg/m2:weekly*4@30"),
    ("kirschner", "aldesleukin:600000iu/kg:q8h*6@30"),
    ("wodarz", "talimogene_laherparepvec::label@30"),
    ("kuznetsov", "tisagenlecleucel::lbcl@30"),
    ("kuznetsov", "carboplatin_paclitaxel:1:q3w*4@30"),
]


@pytest.mark.parametrize("model_key, therapy", BEFORE, ids=[t for _, t in BEFORE])
def test_nothing_changes_before_the_first_dose(model_key, therapy):
    base = MODELS[model_key]()
    tr = treat_regimens(base, therapy, until=60.0)
    doses = [e for e in tr.events if e.kind == "state" or e.target.endswith("_infusion_rate")]
    assert min(e.time for e in doses) == 30.0
    grid = np.linspace(0.0, 60.0, 121)
    treated = run(tr.model, tr.events, days=60.0, grid=grid)
    untreated = run(base, days=60.0, grid=grid)
    before = grid < 30.0
    for name in (*base.state_names, *base.observable_names):
        close(treated[name].values[before], untreated[name].values[before], name)
    changed = any(
        not np.allclose(treated[n].values[~before], untreated[n].values[~before], rtol=1e-6, atol=0.0)
        for n in base.state_names
    )
    assert changed, "the treatment should act after its first dose"


@settings(max_examples=8, deadline=None)
@given(
    therapy=st.sampled_from(["pembrolizumab:{x}mg:q3w", "aldesleukin:{x}mg:q8h*6", "ropeg:{x}mg:q2w*3"]),
    factor=st.floats(0.05, 20.0),
)
def test_linear_pk_scales_with_dose(therapy, factor):
    """Clearance depends on time only, never on concentration, so C(k * dose) = k * C(dose)."""
    drug = therapy.split(":")[0]
    base = (
        kuz_brake()
        if drug == "pembrolizumab"
        else MODELS["kirschner" if drug == "aldesleukin" else "andersen"]()
    )
    prefix = {"pembrolizumab": "pembrolizumab", "aldesleukin": "aldesleukin", "ropeg": "ropeg"}[drug]
    x = {"pembrolizumab": 100.0, "aldesleukin": 1.0, "ropeg": 0.2}[drug]
    days = 42.0 if drug != "aldesleukin" else 3.0
    grid = np.linspace(0.0, days, 85)
    ref = treat_regimens(base, therapy.format(x=x), until=days)
    big = treat_regimens(base, therapy.format(x=x * factor), until=days)
    c_ref = run(ref.model, ref.events, days=days, grid=grid)[f"{prefix}_conc"].values
    c_big = run(big.model, big.events, days=days, grid=grid)[f"{prefix}_conc"].values
    assert c_ref.max() > 0
    np.testing.assert_allclose(c_big, factor * c_ref, rtol=1e-6, atol=1e-9 * c_ref.max() * factor)
