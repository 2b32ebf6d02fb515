"""Linear three-compartment PK (a second peripheral compartment, Q3 and V3): construction and exact references.

References: the amounts obey ``dA/dt = K A`` with a constant rate matrix
``K``, so after an IV bolus ``A(t) = expm(K t) A(0)`` (SciPy's matrix
exponential is the oracle); the terminal rate constants are the roots of the
cubic of Gibaldi & Perrier (1982), ch. 2; for a linear model the AUC after any
input equals ``dose / CL``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import trapezoid
from scipy.linalg import expm

from oncoimmune import ModelSpecError, ParameterValueError, Source, simulate
from oncoimmune.library import get_model
from oncoimmune.therapy import (
    Dose,
    DrugPK,
    IVBolus,
    IVInfusion,
    Schedule,
    add_three_compartment_pk,
    add_two_compartment_pk,
    linear_half_lives,
    pk_dose_events,
    pk_model,
    pk_names,
    three_compartment_half_lives,
    two_compartment_half_lives,
)
from oncoimmune.therapy.pk import DRUG_DISTRIBUTION

SRC = Source("test fixture", note="made-up PK values for a unit test")
# Budha 2023 Table 3 (tislelizumab, via nlmixr2lib), used here only as generic numbers
CL, V1, Q, V2, Q3, V3 = 0.153, 3.05, 0.740, 1.27, 0.092, 2.10


def rate_matrix(cl, v1, q, v2, q3, v3):
    return np.array(
        [
            [-(cl + q + q3) / v1, q / v2, q3 / v3],
            [q / v1, -q / v2, 0.0],
            [q3 / v1, 0.0, -q3 / v3],
        ]
    )


def three_pk(**kw):
    return add_three_compartment_pk(get_model("kuznetsov1994"), "drug", CL, V1, Q, V2, Q3, V3, source=SRC, **kw)


def test_adds_the_second_peripheral_compartment():
    base = get_model("kuznetsov1994")
    m = three_pk()
    n = pk_names("drug")
    assert {n.central, n.peripheral, n.peripheral2} <= set(m.state_names)
    assert {n.Q3, n.V3} <= set(m.parameter_names)
    assert m.parameter(n.Q3).value == Q3 and m.parameter(n.V3).value == V3
    dist = {t.name for t in m.terms_with_role(DRUG_DISTRIBUTION)}
    assert dist == {"drug_distribution", "drug_redistribution", "drug_distribution2", "drug_redistribution2"}
    for t in base.terms:
        assert m.term(t.name) == t
    # the two-compartment module is unchanged when Q3/V3 are not given
    m2 = add_two_compartment_pk(base, "drug", CL, V1, Q, V2, source=SRC)
    assert n.peripheral2 not in m2.state_names and n.Q3 not in m2.parameter_names


def test_q3_and_v3_come_together_and_are_positive():
    base = get_model("kuznetsov1994")
    with pytest.raises(ModelSpecError, match="both Q3.*and V3"):
        add_two_compartment_pk(base, "drug", CL, V1, Q, V2, source=SRC, Q3=0.1)
    with pytest.raises(ParameterValueError, match="V3"):
        add_three_compartment_pk(base, "drug", CL, V1, Q, V2, Q3, -1.0, source=SRC)
    with pytest.raises(ModelSpecError, match="unknown key"):
        add_three_compartment_pk(base, "drug", CL, V1, Q, V2, Q3, V3, source=SRC, sources={"Q2": SRC})
    m = add_three_compartment_pk(base, "drug", CL, V1, Q, V2, Q3, V3, source=SRC, sources={"V3": Source("V3 here")})
    assert m.parameter("drug_V3").source.citation == "V3 here" and m.parameter("drug_Q3").source is SRC


def test_iv_bolus_matches_the_matrix_exponential():
    """Concentration after a 200 mg bolus equals (expm(K t) A0)[0] / V1 (SciPy oracle), all three amounts too."""
    m = three_pk()
    s = Schedule("drug", Dose(200), every_days=21, cycles=1, route=IVBolus())
    t = np.linspace(0, 150, 151)
    ds = simulate(m, 150, events=pk_dose_events(m, "drug", s), saveat=t, rtol=1e-10, atol=1e-10)
    K = rate_matrix(CL, V1, Q, V2, Q3, V3)
    exact = np.array([expm(K * ti) @ np.array([200.0, 0.0, 0.0]) for ti in t])
    got = np.column_stack([ds.drug_central.values, ds.drug_peripheral.values, ds.drug_peripheral2.values])
    np.testing.assert_allclose(got, exact, rtol=1e-6, atol=1e-8)
    assert ds.drug_conc.values[0] == pytest.approx(200 / V1, rel=1e-12)


def test_infusion_auc_is_dose_over_clearance():
    """Linear PK: AUC(0, inf) = dose / CL for a 60-min infusion (the tail beyond day 1500 is < 1e-9 of it)."""
    m = three_pk()
    s = Schedule("drug", Dose(200), every_days=21, cycles=1, route=IVInfusion.minutes(60))
    t = np.concatenate([np.linspace(0, 1, 241), np.linspace(1, 1500, 30000)[1:]])
    ds = simulate(m, 1500, events=pk_dose_events(m, "drug", s), saveat=t, rtol=1e-10, atol=1e-12)
    auc = trapezoid(ds.drug_conc.values, t)
    assert auc == pytest.approx(200 / CL, rel=1e-4)


def test_half_lives_are_the_roots_of_the_cubic():
    """Gibaldi & Perrier ch. 2: x^3 - a2 x^2 + a1 x - a0 with the micro-constants; also the simulated slope."""
    k10, k12, k21, k13, k31 = CL / V1, Q / V1, Q / V2, Q3 / V1, Q3 / V3
    a2 = k10 + k12 + k13 + k21 + k31
    a1 = k10 * k21 + k10 * k31 + k12 * k31 + k13 * k21 + k21 * k31
    a0 = k10 * k21 * k31
    roots = np.sort(np.roots([1.0, -a2, a1, -a0]).real)[::-1]
    hl = three_compartment_half_lives(CL, V1, Q, V2, Q3, V3)
    np.testing.assert_allclose(hl, math.log(2) / roots, rtol=1e-10)
    assert hl[0] < hl[1] < hl[2]
    assert linear_half_lives(CL, V1, Q, V2, Q3, V3) == hl
    assert linear_half_lives(CL, V1, Q, V2) == two_compartment_half_lives(CL, V1, Q, V2)
    # terminal log-linear slope of the simulated curve
    m = three_pk()
    s = Schedule("drug", Dose(200), every_days=21, cycles=1, route=IVBolus())
    ds = simulate(m, 600, events=pk_dose_events(m, "drug", s), saveat=[400.0, 600.0], rtol=1e-10, atol=1e-14)
    c = ds.drug_conc.values
    assert math.log(2) * 200 / math.log(c[0] / c[1]) == pytest.approx(hl[2], rel=1e-4)


def test_a_vanishing_third_compartment_is_the_two_compartment_model():
    """Q3 -> 0 decouples the second peripheral compartment: the profile equals the two-compartment one."""
    s = Schedule("drug", Dose(200), every_days=21, cycles=3, route=IVInfusion.minutes(30))
    t = np.linspace(0, 84, 169)
    base = get_model("kuznetsov1994")
    m2 = add_two_compartment_pk(base, "drug", CL, V1, Q, V2, source=SRC)
    m3 = add_three_compartment_pk(base, "drug", CL, V1, Q, V2, 1e-12, V3, source=SRC)
    c2 = simulate(m2, 84, events=pk_dose_events(m2, "drug", s), saveat=t, rtol=1e-10, atol=1e-10).drug_conc.values
    c3 = simulate(m3, 84, events=pk_dose_events(m3, "drug", s), saveat=t, rtol=1e-10, atol=1e-10).drug_conc.values
    np.testing.assert_allclose(c3, c2, rtol=1e-8, atol=1e-10)


def test_drugpk_with_three_compartments():
    src = {k: SRC for k in ("CL", "V1", "Q", "V2", "Q3", "V3")}
    common = dict(
        name="x",
        CL=CL,
        V1=V1,
        Q=Q,
        V2=V2,
        citation=SRC,
        reference_weight_kg=65.0,
        reference_patient="fixture",
        label=SRC,
    )
    d = DrugPK(sources=src, Q3=Q3, V3=V3, weight_exponents={"V3": 1.0}, weight_source=SRC, **common)
    assert d.compartments == 3 and d.pk_keys == ("CL", "V1", "Q", "V2", "Q3", "V3")
    assert d.vss == pytest.approx(V1 + V2 + V3)
    assert d.typical(130.0)["V3"] == pytest.approx(2 * V3)
    assert d.half_lives()["late"] == pytest.approx(three_compartment_half_lives(CL, V1, Q, V2, Q3, V3)[2])
    m = pk_model(d)
    assert "drug" not in m.state_names and "x_peripheral2" in m.state_names and "three-compartment" in m.title
    with pytest.raises(ModelSpecError, match="both Q3 and V3"):
        DrugPK(sources=src, Q3=Q3, **common)
    with pytest.raises(ModelSpecError, match=r"sources\['V3'\]"):
        DrugPK(sources={k: SRC for k in ("CL", "V1", "Q", "V2", "Q3")}, Q3=Q3, V3=V3, **common)
    with pytest.raises(ModelSpecError, match="unknown key"):
        DrugPK(sources={k: SRC for k in ("CL", "V1", "Q", "V2")}, weight_exponents={"V3": 1.0}, weight_source=SRC, **common)
