"""Catalogue PK against published numbers.

Typical-value numbers (a paper's own, or validation.md's regression value of
the published model) are checked at +/-2 %; prescribing-information numbers
(geometric means or medians over patients, from other analyses) at +/-25 %.
Every docstring names the source. Where validation.md and the paper
disagree, the paper wins and the docstring says so. A published number that
is not reproduced keeps its published value and is marked
``xfail(strict=True)`` with the measured value in the reason.

The measurements live in ``pk_checks.py`` so that ``docs/pk.md`` is produced
by the same code (``.venv/bin/python tests/therapy/pk_checks.py``).
"""

from __future__ import annotations

import pytest
from pk_checks import PUBLISHED, measure, rel_err


def check(key: str) -> None:
    p = PUBLISHED[key]
    m = measure(key)
    assert abs(rel_err(m, p.value)) <= p.tol, (
        f"{p.quantity}: measured {m:.4g} {p.unit} vs published {p.value:.4g} {p.unit} "
        f"({100 * rel_err(m, p.value):+.1f} %, tolerance ±{100 * p.tol:.0f} %; {p.source})"
    )


def known(key: str):
    return pytest.mark.xfail(strict=True, reason=PUBLISHED[key].xfail)


# pembrolizumab (Ahamadi 2017, CPT:PSP 6:49, Table 3: CL 0.22 L/d, Vc 3.48 L, Q 0.795 L/d, Vp 4.06 L) -----
def test_pembrolizumab_terminal_half_life():
    """t1/2,beta = 25.8 d for the Ahamadi 2017 Table 3 typical patient (76.8 kg).

    Source: validation.md section 2 [RUN] from the Table 3 values; the paper's
    parameters, not a number printed in it. ±2 %.
    """
    check("pembro.t_half")


def test_pembrolizumab_200mg_q3w_first_cycle():
    """200 mg Q3W (30-min infusion, KEYTRUDA USPI 2): Cmax1 57 and Ctrough1 12.7 ug/mL.

    Source: validation.md section 2 [RUN] with Ahamadi 2017 Table 3 values. ±2 %.
    """
    check("pembro.cmax1")
    check("pembro.ctrough1")


def test_pembrolizumab_200mg_q3w_steady_state_trough_and_accumulation():
    """200 mg Q3W: Ctrough,ss 29.5 ug/mL and trough accumulation Ctrough,ss/Ctrough,1 = 2.32.

    Source: validation.md section 2 [RUN] with Ahamadi 2017 Table 3 values. ±2 %.
    Steady state = trough before the 31st dose (30 intervals).
    """
    check("pembro.ctrough_ss")
    check("pembro.acc")


def test_pembrolizumab_against_the_label():
    """KEYTRUDA USPI 12.3: t1/2 22 d (CV 32 %), accumulation 2.1-fold (Q3W), first-dose CL 252 mL/day. ±25 %.

    The label does not define 'systemic accumulation'; we compare the trough
    ratio (2.32). The AUC ratio of the same run is 2.09 (docs/pk.md).
    """
    check("pembro.label_t_half")
    check("pembro.label_acc")
    check("pembro.label_cl")


@known("pembro.label_vss")
def test_pembrolizumab_vss_against_the_label():
    """KEYTRUDA USPI 12.3: Vss 6.0 L (CV 20 %); Ahamadi 2017 Table 3 gives Vc + Vp = 7.54 L. ±25 %.

    Not reproduced (+26 %): the label value is a geometric mean over patients
    from a later time-varying-clearance analysis; Ahamadi's reference patient
    is a 76.8-kg man.
    """
    check("pembro.label_vss")


# nivolumab (Bajaj 2017, CPT:PSP 6:58, Table 1; 80-kg male) ---------------------------------------
def test_nivolumab_half_life_from_first_dose_to_steady_state():
    """t1/2 19.3 d with CL at the first dose (0.266 L/day) and 25.6 d with CLss = CL0 exp(-0.295).

    Source: validation.md section 2 [RUN] with Bajaj 2017 Table 1 values
    (CL_REF 9.4 mL/h x exp(0.165) male, VC 3.63 L x exp(0.152), Q 32.1 mL/h,
    VP 2.78 L; Emax -0.295, T50 1410 h, Hill 3.15 - verified against the
    DDMORE bundle of the paper as encoded in nlmixr2lib). ±2 %. Measured from
    the built model's clearance observable at t = 0 and t = 3000 d.
    """
    check("nivo.t_half0")
    check("nivo.t_half_ss")


def test_nivolumab_240mg_q2w_trough_accumulation():
    """240 mg Q2W (OPDIVO USPI 2): Ctrough,ss/Ctrough,1 = 3.68 with the time-varying clearance.

    Source: validation.md section 2 [RUN]. Definition verified: the ratio of
    the steady-state trough (before dose 53, two years) to the trough after
    the first dose reproduces 3.68; the AUC ratio would be 3.12 and the Cmax
    ratio 2.20, so validation.md's number is the trough ratio. ±2 %.
    """
    check("nivo.acc")


def test_nivolumab_against_the_label():
    """OPDIVO USPI 12.3: t1/2 25 d, accumulation 3.7-fold (3 mg/kg Q2W), Vss 6.6 L, CLss 7.9 mL/h. ±25 %.

    The late half-life (CLss) is compared with the label's 25 d; the label's
    accumulation is compared with the trough ratio (linear PK: 240 mg and
    3 mg/kg give the same ratio).
    """
    check("nivo.label_t_half")
    check("nivo.label_acc")
    check("nivo.label_vss")
    check("nivo.label_clss")


# trastuzumab (Bruno 2005, Cancer Chemother Pharmacol 56:361, Table 3; 70 kg) --------------------
def test_trastuzumab_terminal_half_life():
    """t1/2 = 28.5 d: Bruno 2005 abstract ('estimated terminal half-life ... 28.5 days'), paper value. ±2 %.

    V2 and Q come from Table 3's k12 = 0.164 and k21 = 0.101 /day (validation.md agrees).
    """
    check("trast.t_half")


def test_trastuzumab_8_then_6_mgkg_q3w_troughs():
    """8 mg/kg (90 min) then 6 mg/kg Q3W (30 min), HERCEPTIN USPI 2.3, 70 kg:
    Cmax1 189, Ctrough1 30, Ctrough at the end of cycle 18 56 ug/mL.

    Source: validation.md section 2 [RUN] with Bruno 2005 Table 3 values. ±2 %.
    """
    check("trast.cmax1")
    check("trast.ctrough1")
    check("trast.ctrough18")


def test_trastuzumab_against_the_label_cycle_1_and_steady_state_cmax():
    """HERCEPTIN EU SmPC 5.2 Tables 14-15 (MBC, 8+6 mg/kg q3w, population-predicted medians):
    cycle-1 Cmin 28.7 and Cmax 182, steady-state Cmax 179 ug/mL. ±25 %.
    """
    check("trast.label_cmin1")
    check("trast.label_cmax1")
    check("trast.label_cmax_ss")


@known("trast.label_cmin_ss")
def test_trastuzumab_steady_state_trough_against_the_label():
    """HERCEPTIN EU SmPC 5.2 Table 15: MBC Cmin,ss median 44.2 ug/mL. ±25 %.

    Not reproduced (+27 %): the SmPC medians come from a later popPK model with
    linear and nonlinear clearance over 805 MBC patients; Bruno's typical
    patient lies near the EBC median (53.8 ug/mL).
    """
    check("trast.label_cmin_ss")


# rituximab (Rozman 2017, Br J Clin Pharmacol 83:1782, Table 2) ------------------------------------
def test_rituximab_half_life_from_first_dose_to_late():
    """t1/2 21.5 d with CL(0) = 0.252 + 0.278 L/day and 40.3 d with the non-specific CL 0.252 L/day.

    Sources: 21.5 d from validation.md section 2 [RUN]; 40.3 d from the 2019
    review in Br J Clin Pharmacol 85:2002, Table 3 (Rozman 2017 T1/2-beta).
    validation.md rounds the late value to 40 d; the published 40.3 d is used. ±2 %.
    """
    check("ritux.t_half0")
    check("ritux.t_half_late")


def test_rituximab_700mg_q3w_troughs():
    """700 mg Q3W x8 (the median R-CHOP dose of Rozman 2017's cohort): Ctrough 24 after dose 1
    and 90 ug/mL before dose 8.

    Source: validation.md section 2 [RUN] ('Ctrough 24 -> 90'), given to two
    significant figures; the 4-h infusion of the catalogue is used. ±2 %.
    """
    check("ritux.ctrough1")
    check("ritux.ctrough7")


def test_rituximab_against_the_label():
    """RITUXAN USPI 12.3: median terminal t1/2 22 d (range 6.1-52 d) in 298 NHL patients. ±25 %.

    The label's popPK used a stationary clearance; it is compared with the
    first-dose half-life (21.5 d). Both the first-dose and the late (40.3 d)
    half-lives lie inside the label's range.
    """
    check("ritux.label_t_half")
    from pk_checks import half_lives

    early, late = half_lives("rituximab")
    assert 6.1 <= early <= 52.0 and 6.1 <= late <= 52.0


# durvalumab (Abegesah 2025, Cancer Chemother Pharmacol 95:23) and cemiplimab (Nguyen 2022, CPT:PSP 11:1458),
# encoded for issue 13 --------------------------------------------------------------------------------------
def test_durvalumab_clearance_falls_by_up_to_39_percent():
    """Abegesah 2025 abstract: 'the clearance could decrease up to 39% over the time course of treatment'.

    The encoded Table 4 time course (Tmax -0.498, TC50 61.3 d, LAM 1) gives
    1 - exp(-0.498) = 39.2 %; checked against the abstract's 39 % to ±1 point,
    and half of it is reached at TC50.
    """
    import math

    from oncoimmune.therapy.drugs import get_drug

    d = get_drug("durvalumab")
    late = d.clearance.value(d.CL, math.inf) / d.CL
    assert abs((1.0 - late) - 0.39) <= 0.01
    half = d.clearance.value(d.CL, 61.3) / d.CL
    assert half == pytest.approx(math.exp(-0.498 / 2), rel=1e-12)


def test_durvalumab_abstract_values_are_the_entry():
    """Abegesah 2025 abstract (Results): CL 0.298 L/day, V1 3.42 L, V2 1.99 L, Q 0.452 L/day (exact)."""
    from oncoimmune.therapy.drugs import get_drug

    assert get_drug("durvalumab").typical() == {"CL": 0.298, "V1": 3.42, "Q": 0.452, "V2": 1.99}


def test_cemiplimab_against_the_post_hoc_means():
    """Nguyen 2022 Table 2 (post hoc, all 1062 patients): Vss 5.89 L, t1/2 19.7 d at the first dose and
    22.3 d at steady state (means over patients, CV about 30-40 %).

    The typical patient of Table 1 is compared at the ±25 % of population numbers:
    Vss 5.87 L, t1/2 17.3 d first dose, 20.3 d late.
    """
    from pk_checks import half_lives

    from oncoimmune.therapy.drugs import get_drug

    assert abs(rel_err(get_drug("cemiplimab").vss, 5.89)) <= 0.25
    early, late = half_lives("cemiplimab")
    assert abs(rel_err(early, 19.7)) <= 0.25 and abs(rel_err(late, 22.3)) <= 0.25
    assert late > early  # clearance falls with time (TVEmax -0.174)


@pytest.mark.parametrize("drug,schedule,until", [("durvalumab", "1500mg_q4w", 112), ("cemiplimab", "350mg_q3w", 84)])
def test_issue13_drugs_simulate_their_label_schedule(drug, schedule, until):
    """The encoded popPK runs through the engine with the label schedule: troughs rise dose on dose,
    and the clearance observable follows the sigmoid time course."""
    import numpy as np

    from oncoimmune import simulate
    from oncoimmune.therapy.drugs import get_drug, pk_model
    from oncoimmune.therapy import pk_dose_events

    m = pk_model(drug)
    d = get_drug(drug)
    s = d.schedule(schedule)
    ds = simulate(m, until, events=pk_dose_events(m, drug, s, until=until), saveat=np.linspace(0, until, until + 1))
    c = ds[f"{drug}_conc"].values
    every = int(s.every_days)
    troughs = [c[k * every - 1] for k in range(1, until // every + 1)]
    assert all(b > a for a, b in zip(troughs, troughs[1:])), troughs
    assert np.all(c >= 0) and c.max() < 1500 / d.V1 * 1.5
