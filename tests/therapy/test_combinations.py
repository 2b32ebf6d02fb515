"""Combination therapy is composition, and the order of composition does not change the result.

Each drug adds its own prefixed names and acts on the model through roles or
through explicitly combined knobs (PD-1 and PD-L1 occupancy), so ``treat(m, a,
b)`` and ``treat(m, b, a)`` are the same equations with the states listed in a
different order: trajectories agree to solver tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

from oncoimmune import simulate
from oncoimmune.biology.escape import pdl1_checkpoint
from oncoimmune.library import get_model
from oncoimmune.therapy.chemotherapy import chemotherapy
from oncoimmune.therapy.intervention import Intervention, treat
from oncoimmune.therapy.mechanisms import MECHANISMS, vaccine_events
from oncoimmune.therapy.regimen import Regimen, treat_regimens

RTOL = 1e-6


def run(tr, days):
    ds = simulate(tr.model, days, events=tr.events, rtol=1e-9, atol=1e-9)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    return ds


def assert_same(ds1, ds2):
    assert set(ds1.data_vars) == set(ds2.data_vars)
    for name in ds1.data_vars:
        a, b = ds1[name].values, ds2[name].values
        scale = max(float(np.nanmax(np.abs(a))), 1e-300)
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=RTOL * scale, err_msg=name)


def both_orders(model, a, b, days):
    tr_ab, tr_ba = treat(model, a, b), treat(model, b, a)
    assert set(tr_ab.model.state_names) == set(tr_ba.model.state_names)
    assert [e.time for e in tr_ab.events] == [e.time for e in tr_ba.events]
    return run(tr_ab, days), run(tr_ba, days)


def peptide_vaccine(days=(7.0, 14.0, 28.0, 56.0), amount=1.0e6):
    """Kronik 2010 antigen vaccine (mechanism ``vaccine_peptide``): doses of antigen at the injection site."""
    return Intervention(
        "peptide vaccine",
        lambda m: MECHANISMS["vaccine_peptide"](m, exposure="vax_V", prefix="vax"),
        vaccine_events("vax_V", days, amount),
        classes=("vaccine",),
    )


def test_checkpoint_inhibitor_and_vaccine_commute():
    m = pdl1_checkpoint(get_model("kuznetsov1994"), 1.0).with_initial(T=2.0e8)
    pembro = Regimen.parse("pembrolizumab:200mg:q3w").intervention(until=150)
    ds_ab, ds_ba = both_orders(m, pembro, peptide_vaccine(), 150.0)
    assert_same(ds_ab, ds_ba)
    # and the combination is not a no-op
    alone = run(treat(m, pembro), 150.0)
    assert not np.allclose(alone["E"].values, ds_ab["E"].values, rtol=1e-3)


@pytest.mark.parametrize("chemo", ["carboplatin_paclitaxel", "carboplatin_etoposide"])
def test_immunotherapy_and_chemotherapy_commute(chemo):
    m = pdl1_checkpoint(get_model("kuznetsov1994"), 1.0).with_initial(T=3.0e8)
    pembro = Regimen.parse("pembrolizumab").intervention(until=200)
    ds_ab, ds_ba = both_orders(m, pembro, chemotherapy(chemo), 200.0)
    assert_same(ds_ab, ds_ba)
    # chemotherapy also kills lymphocytes (de Pillis 2009): sparing them leaves more effectors
    spared = run(treat(m, pembro, chemotherapy(chemo, lymphocyte_kill=False)), 200.0)
    assert float(ds_ab["E"].values[5]) < float(spared["E"].values[5])
    assert float(ds_ab["T"].values[30]) < 0.5 * float(run(treat(m, pembro), 200.0)["T"].values[30])


def test_combinations_through_text_commute():
    m = get_model("kuznetsov1994").with_initial(T=3.0e8)
    a = treat_regimens(m, "pembrolizumab", "carboplatin_paclitaxel", until=120, pdl1_engagement=1.0)
    b = treat_regimens(m, "carboplatin_paclitaxel", "pembrolizumab", until=120, pdl1_engagement=1.0)
    assert_same(run(a, 120.0), run(b, 120.0))


def test_pd1_and_pdl1_blockers_combine_in_either_order():
    """Anti-PD-1 and anti-PD-L1 combine as 1 - (1 - theta_PD1)(1 - theta_PDL1), order-free."""
    m = pdl1_checkpoint(get_model("kuznetsov1994"), 2.0)
    a = treat_regimens(m, "pembrolizumab:2mg/kg:q3w", "atezolizumab", until=100)
    b = treat_regimens(m, "atezolizumab", "pembrolizumab:2mg/kg:q3w", until=100)
    ds_a, ds_b = run(a, 100.0), run(b, 100.0)
    assert_same(ds_a, ds_b)
    occ = ds_a["pd1_occupancy"].values[1:]
    assert np.all(occ >= ds_a["checkpoint_pd1_occupancy"].values[1:] - 1e-12)


def test_pd1_and_ctla4_blockers_commute():
    m = pdl1_checkpoint(get_model("kuznetsov1994"), 1.0)
    a = treat_regimens(m, "nivolumab:1mg/kg:q3w*4", "ipilimumab", until=120)
    b = treat_regimens(m, "ipilimumab", "nivolumab:1mg/kg:q3w*4", until=120)
    assert_same(run(a, 120.0), run(b, 120.0))


def test_adcc_antibody_and_chemotherapy_commute():
    m = get_model("depillis2005")
    ritux = Regimen.parse("rituximab").intervention(until=60)
    ds_ab, ds_ba = both_orders(m, ritux, chemotherapy("carboplatin_etoposide", cycles=2), 60.0)
    assert_same(ds_ab, ds_ba)
