"""Two-compartment PK module: construction, closed-form references, time-varying clearance, catalogue."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoimmune import ModelSpecError, ParameterValueError, ScheduleError, Source, UnknownNameError, simulate
from oncoimmune.library import get_model
from oncoimmune.therapy import (
    DRUGS,
    DecayingClearance,
    Dose,
    Intralesional,
    IVBolus,
    IVInfusion,
    Schedule,
    SigmoidTimeClearance,
    Subcutaneous,
    add_two_compartment_pk,
    get_drug,
    list_drugs,
    pk_dose_events,
    pk_model,
    pk_names,
    two_compartment_half_lives,
)
from oncoimmune.therapy.pk import DRUG_ELIMINATION

SRC = Source("test fixture", note="made-up PK values for a unit test")
SC_SRC = {"ka": Source("test fixture: ka"), "F": Source("test fixture: F")}
CL, V1, Q, V2 = 0.22, 3.48, 0.795, 4.06  # Ahamadi 2017 Table 3 (pembrolizumab), used as generic numbers here


def normalised_error(y, y_exact, rtol, atol):
    """SciPy test_ivp.compute_error: RMS of |y - y_exact| / (atol + rtol |y_exact|)."""
    e = np.abs(y - y_exact) / (atol + rtol * np.abs(y_exact))
    return float(np.sqrt(np.mean(e**2)))


def bolus_exact(t, dose, cl, v1, q, v2):
    """Biexponential solution of the two-compartment model after an IV bolus (Gibaldi & Perrier 1982, ch. 2)."""
    k10, k12, k21 = cl / v1, q / v1, q / v2
    s = k10 + k12 + k21
    disc = math.sqrt(s * s - 4 * k10 * k21)
    a, b = 0.5 * (s + disc), 0.5 * (s - disc)
    return dose / v1 * ((a - k21) / (a - b) * np.exp(-a * t) + (k21 - b) / (a - b) * np.exp(-b * t))


def base_pk(**kw):
    return add_two_compartment_pk(get_model("kuznetsov1994"), "drug", CL, V1, Q, V2, source=SRC, **kw)


# construction ---------------------------------------------------------------------------
def test_adds_states_parameters_observables_and_keeps_the_model():
    base = get_model("kuznetsov1994")
    m = base_pk(kd=0.5, kd_source=SRC)
    n = pk_names("drug")
    assert set(base.state_names) < set(m.state_names)
    assert {n.central, n.peripheral} <= set(m.state_names) and n.depot not in m.state_names
    assert {n.CL, n.V1, n.Q, n.V2, n.infusion_rate, n.KD} <= set(m.parameter_names)
    assert {n.concentration, n.clearance, n.occupancy} <= set(m.observable_names)
    assert [t.name for t in m.terms_with_role(DRUG_ELIMINATION)] == ["drug_elimination"]
    for t in base.terms:
        assert m.term(t.name) == t
    assert m.state(n.central).units == "mg"
    assert m.parameter(n.CL).source is SRC
    assert "dose" in m.parameter(n.infusion_rate).source.note  # a dosing input, not a fitted value


def test_every_pk_parameter_has_a_source():
    for name in DRUGS:
        m = pk_model(name)
        for p in m.parameters:
            assert isinstance(p.source, Source) and p.source.citation


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"CL": -1}, ParameterValueError, "CL"),
        ({"V1": 0}, ParameterValueError, "V1"),
        ({"Q": math.nan}, ParameterValueError, "Q"),
        ({"V2": math.inf}, ParameterValueError, "V2"),
        ({"source": "Ahamadi 2017"}, ModelSpecError, "source"),
        ({"drug_prefix": "2drug"}, ModelSpecError, "drug_prefix"),
        ({"sources": {"Vmax": SRC}}, ModelSpecError, "Vmax"),
        ({"ka": 0.3}, ModelSpecError, "sources"),
        ({"ka": 0.3, "bioavailability": 1.5, "sources": SC_SRC}, ParameterValueError, "bioavailability"),
        ({"bioavailability": 0.7}, ModelSpecError, "ka"),
        ({"kd": 0.5}, ModelSpecError, "kd_source"),
        ({"clearance": "bajaj"}, ModelSpecError, "clearance"),
    ],
)
def test_invalid_pk_arguments_are_refused(kwargs, error, match):
    args = {"drug_prefix": "drug", "CL": CL, "V1": V1, "Q": Q, "V2": V2, "source": SRC}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        add_two_compartment_pk(get_model("kuznetsov1994"), **args)


def test_two_drugs_need_two_prefixes():
    m = base_pk()
    with pytest.raises(ModelSpecError, match="drug_prefix"):
        add_two_compartment_pk(m, "drug", CL, V1, Q, V2, source=SRC)
    m2 = add_two_compartment_pk(m, "other", CL, V1, Q, V2, source=SRC)
    assert "other_conc" in m2.observable_names


def test_clearance_time_course_validation():
    with pytest.raises(ParameterValueError, match="t50_days"):
        SigmoidTimeClearance(-0.3, 0.0, 3.0, SRC)
    with pytest.raises(ParameterValueError, match="kdes"):
        DecayingClearance(0.2, -1.0, SRC)
    with pytest.raises(ModelSpecError, match="source"):
        DecayingClearance(0.2, 0.1, "Rozman")  # type: ignore[arg-type]


# closed-form references ---------------------------------------------------------------------
def test_iv_bolus_matches_the_biexponential_solution():
    rtol, atol = 1e-10, 1e-10
    m = pk_model("pembrolizumab")
    s = Schedule("pembrolizumab", Dose(200), every_days=21, cycles=1, route=IVBolus())
    t = np.linspace(0, 120, 241)
    ds = simulate(m, 120, events=pk_dose_events(m, "pembrolizumab", s), saveat=t, rtol=rtol, atol=atol)
    exact = bolus_exact(t, 200.0, CL, V1, Q, V2)
    assert normalised_error(ds.pembrolizumab_conc.values, exact, 1e-8, 1e-8) < 5.0
    assert ds.pembrolizumab_conc.values[0] == pytest.approx(200 / V1, rel=1e-12)  # right-continuous jump


def test_repeated_boluses_superpose():
    m = pk_model("pembrolizumab")
    s = Schedule("pembrolizumab", Dose(200), every_days=21, cycles=4, route=IVBolus())
    t = np.linspace(0, 100, 401)
    ds = simulate(m, 100, events=pk_dose_events(m, "pembrolizumab", s), saveat=t, rtol=1e-10, atol=1e-10)
    exact = sum(
        np.where(t >= d, bolus_exact(np.maximum(t - d, 0), 200.0, CL, V1, Q, V2), 0.0) for d in s.dose_times()
    )
    assert normalised_error(ds.pembrolizumab_conc.values, exact, 1e-8, 1e-8) < 5.0


def test_half_lives_closed_form_match_the_simulated_terminal_slope():
    """Terminal slope of ln C after one bolus equals -ln2 / t1/2,beta (stationary clearance)."""
    from pk_checks import simulated_terminal_half_life

    for drug in ("pembrolizumab", "trastuzumab"):
        d = get_drug(drug)
        closed = two_compartment_half_lives(d.CL, d.V1, d.Q, d.V2)[1]
        assert simulated_terminal_half_life(drug) == pytest.approx(closed, rel=1e-6)


@pytest.mark.parametrize(
    "route, extra",
    [
        (IVBolus(), {}),
        (IVInfusion.hours(6), {}),
        (Subcutaneous(), {"ka": 0.3, "bioavailability": 0.6, "sources": SC_SRC}),
    ],
)
def test_area_under_the_curve_is_f_dose_over_cl(route, extra):
    """Linear PK: AUC(0, inf) = F * dose / CL for any input route (Gibaldi & Perrier 1982, ch. 2)."""
    m = add_two_compartment_pk(pk_model("pembrolizumab"), "d", CL, V1, Q, V2, source=SRC, **extra)
    s = Schedule("d", Dose(100), every_days=1, cycles=1, route=route)
    t = np.linspace(0.0, 800.0, 64001)
    ds = simulate(m, 800.0, events=pk_dose_events(m, "d", s), saveat=t, rtol=1e-10, atol=1e-12)
    auc = np.trapezoid(ds.d_conc.values, t)
    f = extra.get("bioavailability", 1.0)
    assert auc == pytest.approx(f * 100.0 / CL, rel=2e-4)


def test_subcutaneous_depot_empties_into_the_blood():
    m = base_pk(ka=0.3, bioavailability=0.6, sources=SC_SRC)
    s = Schedule("d", Dose(600), every_days=21, cycles=1, route="sc")
    evs = pk_dose_events(m, "drug", s)
    assert [e.target for e in evs] == ["drug_depot"]
    ds = simulate(m, 60, events=evs, saveat=[0.0, 1.0, 60.0], rtol=1e-10, atol=1e-10)
    assert ds.drug_depot.values[0] == 600.0 and ds.drug_central.values[0] == 0.0
    assert ds.drug_depot.values[1] == pytest.approx(600 * math.exp(-0.3), rel=1e-7)
    assert ds.drug_depot.values[2] == pytest.approx(600 * math.exp(-18.0), rel=1e-5)


# time-varying clearance -----------------------------------------------------------------
def test_bajaj_clearance_expression():
    """Bajaj 2017 Eq. 8 with Table 1 values: CL(t) = CL0 exp(Emax t^g/(T50^g + t^g)), Emax -0.295,
    T50 1410 h (58.75 d), g 3.15; at t = T50 the change is half: CL0 exp(-0.295/2)."""
    m = pk_model("nivolumab")
    cl0 = m.parameter("nivolumab_CL").value
    ds = simulate(m, 3000, saveat=[0.0, 58.75, 3000.0])
    assert ds.nivolumab_clearance.values == pytest.approx(
        [
            cl0,
            cl0 * math.exp(-0.295 / 2),
            cl0 * math.exp(-0.295) * math.exp(0.295 * 58.75**3.15 / (58.75**3.15 + 3000**3.15)),
        ],
        rel=1e-12,
    )
    assert m.parameter("nivolumab_CL_T50").value == pytest.approx(1410 / 24)


def test_rozman_clearance_expression():
    """Rozman 2017 Eq. 1 with Table 2 values: CL(t) = 0.252 + 0.278 exp(-0.143 t) L/day."""
    m = pk_model("rituximab")
    t = np.array([0.0, 7.0, 400.0])
    ds = simulate(m, 400, saveat=t)
    assert ds.rituximab_clearance.values == pytest.approx(0.252 + 0.278 * np.exp(-0.143 * t), rel=1e-12)


def test_time_varying_clearance_runs_on_time_since_first_dose():
    m = pk_model("rituximab")
    s = Schedule("rituximab", Dose(700), every_days=21, cycles=2, start_day=30, route=IVBolus())
    evs = pk_dose_events(m, "rituximab", s)
    assert evs[0].target == "rituximab_t_first_dose" and evs[0].value == 30.0 and evs[0].time == 0.0
    ds = simulate(m, 40, events=evs, saveat=[0.0, 30.0, 37.0])
    assert ds.rituximab_clearance.values == pytest.approx(
        [0.53, 0.53, 0.252 + 0.278 * math.exp(-1.001)], rel=1e-12
    )


def test_pk_dose_events_refuse_routes_the_module_cannot_take():
    m = pk_model("pembrolizumab")
    with pytest.raises(ScheduleError, match="intralesional"):
        pk_dose_events(
            m, "pembrolizumab", Schedule("x", Dose(1), every_days=7, cycles=1, route=Intralesional())
        )
    with pytest.raises(ScheduleError, match="depot"):
        pk_dose_events(
            m, "pembrolizumab", Schedule("x", Dose(1), every_days=7, cycles=1, route=Subcutaneous())
        )
    with pytest.raises(ScheduleError, match="no PK module"):
        pk_dose_events(m, "nivolumab", Schedule("x", Dose(1), every_days=7, cycles=1))


# receptor occupancy, catalogue -----------------------------------------------------------------
def test_receptor_occupancy_is_c_over_c_plus_kd():
    m = pk_model("nivolumab")
    kd = m.parameter("nivolumab_KD").value
    assert kd == pytest.approx(3.06 * 146 / 1000)  # Wang 2014 KD 3.06 nM x 146 kDa (OPDIVO USPI 11)
    s = get_drug("nivolumab").schedule("240mg_q2w")
    ds = simulate(m, 28, events=pk_dose_events(m, "nivolumab", s, until=28), saveat=np.linspace(0, 28, 57))
    c, ro = ds.nivolumab_conc.values, ds.nivolumab_RO.values
    np.testing.assert_allclose(ro, c / (c + kd), rtol=1e-12)
    assert ro[0] == 0.0 and np.all(ro[1:] > 0.95) and np.all(ro < 1.0)


def test_catalogue_lookup_and_weight_scaling():
    with pytest.raises(UnknownNameError, match="pembrolizumab"):
        get_drug("relatlimab")  # non-linear popPK, no value read (issue 13): not in the PK catalogue
    assert {d["name"] for d in list_drugs()} == set(DRUGS)
    pem = get_drug("pembrolizumab")
    v = pem.typical(weight_kg=2 * 76.8)
    assert v["CL"] == pytest.approx(0.22 * 2**0.595) and v["V1"] == pytest.approx(3.48 * 2**0.489)
    m = pk_model("pembrolizumab", weight_kg=2 * 76.8)
    assert m.parameter("pembrolizumab_CL").value == pytest.approx(0.22 * 2**0.595)
    assert "scaled to 153.6 kg" in m.parameter("pembrolizumab_CL").source.note
    assert pem.typical() == {"CL": 0.22, "V1": 3.48, "Q": 0.795, "V2": 4.06}
    with pytest.raises(ParameterValueError, match="weight_kg"):
        pem.typical(weight_kg=-1)


def test_drug_pk_adds_to_a_tumour_model():
    m = get_drug("trastuzumab").add_to(get_model("kuznetsov1994"))
    assert {"T", "E", "trastuzumab_central", "trastuzumab_RO"} <= set(m.state_names) | set(m.observable_names)
    assert "Bruno" in m.citation()


def test_pk_model_describes_itself():
    text = pk_model("nivolumab").describe()
    assert "Bajaj" in text and "nivolumab_clearance" in text and "References" in text
    assert "19.3" in get_drug("nivolumab").describe() and "25.6" in get_drug("nivolumab").describe()
