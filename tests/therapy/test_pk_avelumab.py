"""Avelumab popPK (issue 13, fifth pass) against the BAVENCIO label.

Masters 2022 (CPT Pharmacometrics Syst Pharmacol 11:458, Table 1) was read
through the nlmixr2lib transcription ``Masters_2022_avelumab.R``; the label
section 12.3 prints the Wilkins 2019 analysis (CL 0.59 L/day, Vss 4.72 L,
terminal half-life 6.1 d). Label numbers are checked at ±25 % like the other
population summaries (``test_pk_issue13_encoded.py``); what is not reproduced
stays ``xfail(strict=True)`` with the measured value.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import trapezoid

from oncoimmune import simulate
from oncoimmune.therapy import pk_dose_events
from oncoimmune.therapy.catalogue import CATALOGUE
from oncoimmune.therapy.drugs import get_drug, pk_model

POP = 0.25
STEP = 20  # saved points per day
LABEL_CL, LABEL_VSS, LABEL_T12 = 0.59, 4.72, 6.1  # BAVENCIO USPI 12.3


def rel(measured: float, published: float) -> float:
    return (measured - published) / published


def test_encoded_and_cited():
    d = CATALOGUE["avelumab"]
    assert d.simulable and d.to_dict()["pk_status"] == "encoded"
    assert d.kinetics.source.doi == "10.1002/psp4.12771"
    a = get_drug("avelumab")
    for k in a.pk_keys:
        assert "Table 1" in a.sources[k].location and "nlmixr2lib" in a.sources[k].note
    assert "0.03352" in a.sources["Q"].location  # the corrected misprint is stated where the value is
    assert not a.weight_exponents  # the 80 kg reference is not the paper's: no weight scaling


def test_clearance_course_is_masters_linear_form():
    """Table 1: CL(t) = CL*(1 + Imax*S(t)), Imax -0.08533: the late clearance is CL*(1 - 0.08533)."""
    a = get_drug("avelumab")
    assert a.CL == pytest.approx(0.0269 * 24, rel=1e-12)
    assert a.clearance.value(a.CL, math.inf) == pytest.approx(a.CL * (1 - 0.08533), rel=1e-12)
    s50 = 0.5  # at T50 the linear form gives 1 - 0.08533/2
    assert a.clearance.value(a.CL, 99.24) / a.CL == pytest.approx(1 - 0.08533 * s50, abs=1e-3)


def test_steady_state_exposure_against_the_label():
    """800 mg Q2W for 40 weeks: AUC over the last interval against 800 mg / 0.59 L/day = 1356 mg·d/L (±20 %).

    Measured 2026-12-07: 1340 mg·d/L (-1.2 %); dose / late CL gives 1355 (-0.1 %), dose / first-dose CL 1239
    (-8.6 %). AUC accumulation (last / first interval) 1.21.
    """
    a = get_drug("avelumab")
    until = 14.0 * 20
    m = pk_model("avelumab")
    t = np.linspace(0.0, until, int(until * STEP) + 1)
    ds = simulate(m, until, events=pk_dose_events(m, "avelumab", a.schedule("800mg_q2w"), until=until),
                  saveat=t, rtol=1e-9, atol=1e-9)
    assert ds.attrs["status"] == "ok"
    c = ds["avelumab_conc"].values
    i0 = int(round((until - 14.0) * STEP))
    auc = trapezoid(c[i0:], t[i0:])
    assert abs(rel(auc, 800.0 / LABEL_CL)) <= 0.20


def test_volume_against_the_label():
    """V1 + V2 = 3.92 L against the label's Vss 4.72 L: -17 %, within the population tolerance."""
    assert abs(rel(get_drug("avelumab").vss, LABEL_VSS)) <= POP


@pytest.mark.xfail(
    strict=True,
    reason="measured 4.34 d at the first dose and 4.74 d late: -29 % and -22 % against the label's 6.1 d "
    "(Wilkins 2019 analysis; Masters 2022 re-estimated V2 at 0.73 L, which shortens the terminal phase)",
)
def test_terminal_half_life_against_the_label():
    """BAVENCIO USPI 12.3: terminal half-life 6.1 d. ±20 % (the brief's tolerance for half-life)."""
    hl = get_drug("avelumab").half_lives()
    assert abs(rel(hl["first_dose"], LABEL_T12)) <= 0.20 and abs(rel(hl["late"], LABEL_T12)) <= 0.20
