"""Dostarlimab, tremelimumab and tislelizumab popPK (issue 13, fourth pass) against published numbers.

The typical values were read in the nlmixr2lib transcriptions of each paper's
table (the paper tables themselves were not read); these tests hold them to
what the abstracts, the labels and independent NCA print. Numbers the paper
prints about the model itself (the maximal fall of clearance) are checked to
+/-1 percentage point; population summaries (geometric means over patients,
NCA means, another analysis' prediction) at +/-25 %, like the label checks of
``test_pk_published.py``. A published number that is not reproduced stays as
``xfail(strict=True)`` with the measured value in the reason.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import trapezoid

from oncoimmune import simulate
from oncoimmune.therapy import Dose, IVInfusion, Schedule, pk_dose_events
from oncoimmune.therapy.catalogue import CATALOGUE
from oncoimmune.therapy.drugs import get_drug, pk_model

POP = 0.25  # population summaries and label numbers
STEP = 20  # saved points per day


def rel(measured: float, published: float) -> float:
    return (measured - published) / published


def run(drug: str, schedule: Schedule, until: float) -> tuple[np.ndarray, np.ndarray]:
    m = pk_model(drug)
    t = np.linspace(0.0, until, int(until * STEP) + 1)
    ds = simulate(m, until, events=pk_dose_events(m, drug, schedule, until=until), saveat=t, rtol=1e-9, atol=1e-9)
    assert ds.attrs["status"] == "ok"
    return t, ds[f"{drug}_conc"].values


def at(day: float) -> int:
    return int(round(day * STEP))


def before(c: np.ndarray, day: float) -> float:
    """The concentration just before a dose given on ``day`` (continuous under infusion)."""
    return float(c[at(day)])


# the three are in the simulable catalogue, with their paper (avelumab: test_pk_avelumab.py) ----------------
@pytest.mark.parametrize("name,doi", [("dostarlimab", "10.1111/bcp.15339"), ("tremelimumab", "10.1111/bcp.15622"),
                                      ("tislelizumab", "10.1002/psp4.12880")])
def test_encoded_and_cited(name, doi):
    d = CATALOGUE[name]
    assert d.simulable and d.to_dict()["pk_status"] == "encoded"
    assert d.kinetics.source.doi == doi
    for k in get_drug(name).pk_keys:
        src = get_drug(name).sources[k]
        assert "Table 3" in src.location and "nlmixr2lib" in src.note


# dostarlimab: Melhem 2022 (Br J Clin Pharmacol 88:4142) -------------------------------------------------------
def test_dostarlimab_clearance_falls_by_at_most_14_9_percent():
    """Melhem 2022 abstract: 'Time-dependent clearance decreased over time to a maximum of 14.9 %'."""
    d = get_drug("dostarlimab")
    fall = 1.0 - d.clearance.value(d.CL, math.inf) / d.CL
    assert abs(fall - 0.149) <= 0.001
    assert d.clearance.value(d.CL, 108.0) / d.CL == pytest.approx(math.exp(-0.161 / 2), rel=1e-12)


def test_dostarlimab_against_the_abstract():
    """Melhem 2022 abstract (geometric means at steady state): Vss 5.3 L, terminal t1/2 23.5 d. ±25 %.

    Measured: V1 + V2 = 5.08 L (-4 %), late t1/2 24.3 d (+3 %). With the abstract's
    0.179 L/day read as the steady-state clearance instead, t1/2 would be 20.9 d.
    """
    d = get_drug("dostarlimab")
    assert abs(rel(d.vss, 5.3)) <= POP
    assert abs(rel(d.half_lives()["late"], 23.5)) <= 0.05  # closer than the population tolerance
    assert d.half_lives()["first_dose"] < d.half_lives()["late"]


def test_dostarlimab_first_troughs_are_about_40_ug_per_ml():
    """Patnaik A et al. (2022), Cancer Chemother Pharmacol 89:93-103, abstract: troughs after 500 mg Q3W and after
    1000 mg Q6W were similar, '≈40 µg/mL' (GARNET parts 1 and 2A). ±25 % on the first interval of each.

    Measured: 43.5 µg/mL on day 21 after 500 mg (+9 %), 43.2 µg/mL on day 42 after a single 1000 mg (+8 %).
    """
    d = get_drug("dostarlimab")
    _, c = run("dostarlimab", d.schedule("500mg_q3w_x4_then_1000mg_q6w"), 21.0)
    assert abs(rel(before(c, 21.0), 40.0)) <= POP
    s1000 = Schedule("dostarlimab", Dose(1000), every_days=42, cycles=1, route=IVInfusion.minutes(30))
    _, c = run("dostarlimab", s1000, 42.0)
    assert abs(rel(before(c, 42.0), 40.0)) <= POP


def test_dostarlimab_label_schedule_runs():
    """500 mg Q3W x4 then 1000 mg Q6W from day 84 (JEMPERLI USPI 2): troughs rise, then level off."""
    d = get_drug("dostarlimab")
    _, c = run("dostarlimab", d.schedule("500mg_q3w_x4_then_1000mg_q6w"), 84.0 + 42.0 * 8)
    q3w = [before(c, 21.0 * k) for k in range(1, 5)]
    q6w = [before(c, 84.0 + 42.0 * k) for k in range(1, 9)]
    assert all(b > a for a, b in zip(q3w, q3w[1:]))
    assert abs(rel(q6w[-1], q6w[-2])) < 0.02  # near steady state after a year


# tremelimumab: Hwang 2023 (Br J Clin Pharmacol 89:1601) ------------------------------------------------------
def test_tremelimumab_time_course_matches_the_abstract():
    """Hwang 2023 abstract (as summarised by MIMS): baseline CL 0.276 L/day; over a year clearance changes by
    about 16 % alone and about 17 % with durvalumab, in opposite directions. The encoded combination course
    (Tmax -0.187) gives -17.1 % at one year; the monotherapy Tmax of the transcription (+0.151) gives +16.3 %.
    """
    d = get_drug("tremelimumab")
    assert d.CL == 0.276
    one_year = d.clearance.value(d.CL, 365.0) / d.CL
    assert abs((1.0 - one_year) - 0.17) <= 0.01
    assert abs((math.exp(0.151) - 1.0) - 0.16) <= 0.01


def test_tremelimumab_against_the_label():
    """IMJUDO / EU SmPC 5.2 (pooled analysis, n = 1605): Vd 6.33 L, terminal t1/2 about 14.2 d. ±25 %.

    Measured: V1 + V2 = 6.04 L (-5 %); t1/2 at the first dose 17.4 d (+22 %).
    """
    d = get_drug("tremelimumab")
    assert abs(rel(d.vss, 6.33)) <= POP
    assert abs(rel(d.half_lives()["first_dose"], 14.2)) <= POP


def test_tremelimumab_stride_first_trough():
    """Song X et al. (2023), Clin Cancer Res 29:754-763, abstract: predicted Cmin1 of tremelimumab in the STRIDE
    regimen (300 mg once) 12.9 µg/mL (at day 28, the end of the first durvalumab cycle). ±25 %.

    Measured: 12.2 µg/mL (-6 %).
    """
    _, c = run("tremelimumab", get_drug("tremelimumab").schedule("300mg_once"), 28.0)
    assert abs(rel(before(c, 28.0), 12.9)) <= POP


# tislelizumab: Budha 2023 (CPT Pharmacometrics Syst Pharmacol 12:95) -----------------------------------------
def test_tislelizumab_against_the_smpc():
    """TEVIMBRA EU SmPC 5.2 (same popPK analysis): CL 0.153 L/day, Vss 6.42 L (both exact); steady-state
    accumulation about 2-fold (±25 %; measured AUC(tau) ratio 2.18)."""
    d = get_drug("tislelizumab")
    assert d.compartments == 3 and d.CL == 0.153
    assert d.vss == pytest.approx(6.42, abs=1e-12)
    t, c = run("tislelizumab", d.schedule("200mg_q3w"), 21.0 * 30)
    auc1 = trapezoid(c[: at(21) + 1], t[: at(21) + 1])
    auc_ss = trapezoid(c[at(21 * 29) :], t[at(21 * 29) :])
    assert abs(rel(auc_ss / auc1, 2.0)) <= POP


def test_tislelizumab_200mg_q3w_against_phase_1_nca():
    """Desai J et al. (2020), J Immunother Cancer 8:e000453, Table 2 (200 mg Q3W, NCA means): cycle 1 Cmax
    77.2 µg/mL and AUC(0-21 d) 674.7 µg·d/mL (n = 12), cycle 5 Cmax 90.9 µg/mL (n = 5). ±25 %.

    Measured: 65.0 (-16 %), 599 (-11 %), 100.6 (+11 %).
    """
    t, c = run("tislelizumab", get_drug("tislelizumab").schedule("200mg_q3w"), 105.0)
    assert abs(rel(c[: at(21)].max(), 77.2)) <= POP
    assert abs(rel(trapezoid(c[: at(21) + 1], t[: at(21) + 1]), 674.7)) <= POP
    assert abs(rel(c[at(84) : at(105)].max(), 90.9)) <= POP


@pytest.mark.xfail(
    strict=True,
    reason="measured 36.5 d: the typical patient's terminal (gamma-phase) half-life of the three-compartment "
    "model is +53 % above the SmPC's geometric-mean 23.8 d; the SmPC does not say how its half-life is "
    "computed (individual post hoc values, IIV on V2 75 % and V3 100 % CV); ln2*Vss/CL is 29.1 d",
)
def test_tislelizumab_terminal_half_life_against_the_smpc():
    """TEVIMBRA EU SmPC 5.2: geometric-mean terminal half-life about 23.8 d (CV 31 %). ±25 %."""
    assert abs(rel(get_drug("tislelizumab").half_lives()["late"], 23.8)) <= POP
