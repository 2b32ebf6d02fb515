"""Properties of dosing and PK: zero dose = no treatment, dose linearity, nothing before the first
dose, time-shift invariance, and the amount infused equals the dose."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncoimmune import Source, simulate
from oncoimmune.library import get_model
from oncoimmune.therapy import (
    DRUGS,
    Break,
    Dose,
    IVBolus,
    IVInfusion,
    Schedule,
    Subcutaneous,
    add_two_compartment_pk,
    get_drug,
    pk_dose_events,
    pk_model,
    pk_names,
)

SRC = Source("test fixture", note="made-up values for a property test")
SC_SRC = {"ka": SRC, "F": SRC}
ROUTES = {"bolus": IVBolus(), "infusion": IVInfusion.hours(2), "sc": Subcutaneous()}


def drug_on_tumour(drug: str):
    """Kuznetsov 1994 tumour model with a catalogue drug's PK (and a SC depot for the SC route)."""
    m = get_drug(drug).add_to(get_model("kuznetsov1994"))
    return add_two_compartment_pk(
        m, "sc", 0.2, 3.0, 0.5, 4.0, source=SRC, ka=0.3, bioavailability=0.7, sources=SC_SRC
    )


def run(model, prefix, schedule, days=120.0, saveat=None, **kw):
    evs = pk_dose_events(model, prefix, schedule, until=days, **kw)
    grid = np.linspace(0.0, days, int(days) * 2 + 1) if saveat is None else saveat
    ds = simulate(model, days, events=evs, saveat=grid, rtol=1e-10, atol=1e-10)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    return ds


@pytest.mark.parametrize("drug", sorted(DRUGS))
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_zero_dose_equals_no_treatment(drug, route):
    """Zero-amount events are kept (provenance records the doses), so the run is split at the dose times;
    it equals the untreated run to integration accuracy, and the drug stays exactly absent."""
    m = drug_on_tumour(drug)
    prefix = "sc" if route == "sc" else drug
    s = Schedule(drug, Dose(0), every_days=14, cycles=5, route=ROUTES[route])
    treated = run(m, prefix, s)
    untreated = simulate(m, 120.0, saveat=treated.time.values, rtol=1e-10, atol=1e-10)
    for name in (*m.state_names, *m.observable_names):
        np.testing.assert_allclose(
            treated[name].values, untreated[name].values, rtol=1e-8, atol=1e-12, err_msg=name
        )
    for name in (f"{prefix}_central", f"{prefix}_peripheral", f"{prefix}_conc"):
        assert float(np.abs(treated[name]).max()) == 0.0


@settings(max_examples=10, deadline=None)
@given(
    drug=st.sampled_from(sorted(DRUGS)),
    route=st.sampled_from(sorted(ROUTES)),
    factor=st.floats(0.05, 20.0),
    every=st.sampled_from([7.0, 14.0, 21.0, 42.0]),
)
def test_linear_pk_scales_with_dose(drug, route, factor, every):
    """Clearance depends on time, never on concentration, so C(k*dose) = k*C(dose)."""
    m = drug_on_tumour(drug)
    prefix = "sc" if route == "sc" else drug
    s = Schedule(drug, Dose(100), every_days=every, cycles=4, route=ROUTES[route])
    base = run(m, prefix, s)[f"{prefix}_conc"].values
    scaled = run(
        m, prefix, Schedule(drug, s.dose.scaled(factor), every_days=every, cycles=4, route=ROUTES[route])
    )
    np.testing.assert_allclose(scaled[f"{prefix}_conc"].values, factor * base, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("drug", sorted(DRUGS))
def test_nothing_changes_before_the_first_dose(drug):
    """Before day 30 the treated run equals the untreated one (to integration accuracy: the solver
    must stop at the dose time) and the drug is exactly absent."""
    m = drug_on_tumour(drug)
    s = Schedule(drug, Dose(240), every_days=21, cycles=3, start_day=30.0, route=IVInfusion.minutes(30))
    grid = np.linspace(0, 120, 241)
    treated = run(m, drug, s, saveat=grid)
    untreated = simulate(m, 120.0, saveat=grid, rtol=1e-10, atol=1e-10)
    before = grid <= 30.0
    # <drug>_clearance runs on time since the first dose, which an untreated run does not have
    for name in (*m.state_names, *(o for o in m.observable_names if o != f"{drug}_clearance")):
        np.testing.assert_allclose(
            treated[name].values[before], untreated[name].values[before], rtol=1e-8, atol=1e-12, err_msg=name
        )
    assert float(np.abs(treated[f"{drug}_central"].values[before]).max()) == 0.0
    assert np.all(treated[f"{drug}_conc"].values[~before] > 0)


@pytest.mark.parametrize("drug", ["nivolumab", "rituximab", "pembrolizumab"])
def test_starting_later_shifts_the_profile(drug):
    """With clearance on time since the first dose, a course started on day 40 is the day-0 course, shifted."""
    m = pk_model(drug)
    n = pk_names(drug)
    grid = np.linspace(0, 100, 201)
    s0 = Schedule(drug, Dose(200), every_days=14, cycles=4, route=IVInfusion.minutes(30))
    s40 = Schedule(drug, Dose(200), every_days=14, cycles=4, route=IVInfusion.minutes(30), start_day=40.0)
    a = run(m, drug, s0, days=100.0, saveat=grid)
    b = run(m, drug, s40, days=140.0, saveat=grid + 40.0)
    np.testing.assert_allclose(b[n.concentration].values, a[n.concentration].values, rtol=1e-6, atol=1e-9)


@settings(max_examples=10, deadline=None)
@given(
    dose=st.floats(1.0, 2000.0),
    minutes=st.floats(10.0, 6 * 1440.0),
    every=st.floats(1.0, 28.0),
    cycles=st.integers(1, 5),
)
def test_amount_infused_equals_the_dose(dose, minutes, every, cycles):
    """With (almost) no elimination, drug in the body after the last infusion equals the doses given,
    overlapping infusions included."""
    m = add_two_compartment_pk(get_model("kuznetsov1994"), "d", 1e-12, 3.0, 0.5, 4.0, source=SRC)
    s = Schedule("d", Dose(dose), every_days=every, cycles=cycles, route=IVInfusion.minutes(minutes))
    end = max(a.end for a in s.administrations()) + 1.0
    ds = run(m, "d", s, days=end, saveat=[0.0, end])
    body = ds.d_central.values[-1] + ds.d_peripheral.values[-1]
    assert body == pytest.approx(cycles * dose, rel=1e-7)


def test_skipped_doses_are_not_given_and_delayed_doses_are():
    m = pk_model("pembrolizumab")
    n = pk_names("pembrolizumab")
    skip = Schedule("p", Dose(200), every_days=21, cycles=3, breaks=[Break(20, 25)], route=IVBolus())
    delay = Schedule(
        "p", Dose(200), every_days=21, cycles=3, breaks=[Break(20, 25, "delay")], route=IVBolus()
    )
    a = run(m, "pembrolizumab", skip, days=80.0, saveat=[24.0, 80.0])
    b = run(m, "pembrolizumab", delay, days=80.0, saveat=[24.0, 80.0])
    single = run(
        m,
        "pembrolizumab",
        Schedule("p", Dose(200), every_days=42, cycles=2, route=IVBolus()),
        days=80.0,
        saveat=[24.0, 80.0],
    )
    np.testing.assert_allclose(a[n.central].values, single[n.central].values, rtol=1e-8)
    assert b[n.central].values[-1] > a[n.central].values[-1]
