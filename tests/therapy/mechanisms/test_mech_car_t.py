"""CAR-T: the CARTmath module through the mechanism, exhaustion, lymphodepletion, scenarios, CRS proxy.

References reproduced here
--------------------------
* Barros et al. 2021 (CARTmath, Cancers 13:2941), HDLM-2 experiment with
  CAR-T at day 45 and rechallenge at day 250 (BIOMD0000001019 timing):
  catalogue values (validation.md 5.1, [RUN]) T(45) = 2.54e7, T < 1 cell by
  day 47.8 (+-0.5 d), Cm(60) = 2.10e6, Cm(249) = 1.19e6 (2 %), rechallenge
  rejected; here the CAR-T dynamics come from the ``car_t`` mechanism added to
  a bare logistic tumour.
* Kimmel et al. 2021 (Proc R Soc B 288:20210229), after lymphodepletion
  (BIOMD0000001041): CAR-T peak 30.1 /uL at day 7.0, C(28) = 2.49, B < 1 at
  day 6.4 (validation.md 5.2, [REG]); without lymphodepletion CAR-T cells do
  not expand (the competition mechanism of the paper; Turtle et al. 2016
  clinically).
* Leon-Triana et al. 2021 B-ALL model: our implementation equals
  BIOMD0000001011 run by libroadrunner.
"""

from __future__ import annotations

import numpy as np
import pytest
from mech_oracle import rel_err, roadrunner_run

from oncoimmune import simulate
from oncoimmune._errors import ModelSpecError, ParameterValueError
from oncoimmune.biology import roles
from oncoimmune.library import get_model
from oncoimmune.model import Event, Model, Parameter, Source, State, Sym, Term
from oncoimmune.therapy.mechanisms import (
    ball_tisagenlecleucel,
    car_t,
    crs_peak,
    lbcl_axicel,
    leon_triana2021_model,
    lymphodepletion,
)

SRC = Source("Barros et al. 2021, HDLM-2 tumour growth (BIOMD0000001019)", note="test scaffolding")


def _hdlm2_tumour() -> Model:
    T = Sym("T")
    return Model(
        id="hdlm2_tumour",
        title="logistic HDLM-2 tumour",
        states=(State("T", 2.0e6, "cells", "tumour cells"),),
        parameters=(
            Parameter("r", 0.05650026, "1/day", "growth rate", SRC),
            Parameter("b", 1.404029e-12, "1/cell", "inverse capacity", SRC),
        ),
        terms=(Term("tumour_growth", Sym("r") * T * (1 - Sym("b") * T), {"T": 1}, "growth", {roles.TUMOUR_GROWTH}),),
        tumour_state="T",
    )


HDLM2_EVENTS = (Event(45.0, "Ct", "add", 2.0e6), Event(250.0, "T", "add", 1.0e6))


@pytest.fixture(scope="module")
def hdlm2_run():
    m = car_t(_hdlm2_tumour(), exposure="Ct", prefix="cart")
    t = np.unique(np.r_[np.linspace(0.0, 400.0, 4001), 47.8])
    return simulate(m, 400.0, events=HDLM2_EVENTS, saveat=t)


def test_cartmath_hdlm2_through_the_mechanism(hdlm2_run):
    ds = hdlm2_run

    def at(v, d):
        return float(ds[v].sel(time=d, method="nearest"))

    assert at("T", 45.0) == pytest.approx(2.54e7, rel=0.02)
    assert at("cart_memory", 60.0) == pytest.approx(2.10e6, rel=0.02)
    assert at("cart_memory", 249.0) == pytest.approx(1.19e6, rel=0.02)
    t, T = ds["time"].values, ds["T"].values
    day = t[np.argmax((t > 45.0) & (T < 1.0))]
    assert day == pytest.approx(47.8, abs=0.5)
    assert np.all(T[(t >= 260.0)] < 1.0)  # rechallenge rejected by memory


def test_mechanism_module_equals_the_library_cartmath(hdlm2_run):
    """The module's Ct, Cm, T and CRS proxy equal the library model's (exhausted pool is bookkeeping only)."""
    from oncoimmune.library.barros2021_cartmath import default_events

    lib = simulate(get_model("barros2021_cartmath"), 400.0, events=default_events(cart_day=45), saveat=[46.0, 60.0, 200.0])
    ds = hdlm2_run.sel(time=[46.0, 60.0, 200.0], method="nearest")
    np.testing.assert_allclose(ds["Ct"].values, lib["Ct"].values, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ds["cart_memory"].values, lib["Cm"].values, rtol=1e-6)
    np.testing.assert_allclose(ds["cart_crs_risk"].values, lib["crs_risk_proxy"].values, rtol=1e-6, atol=1e-12)


def test_exhaustion_worsens_control():
    """More tumour-induced exhaustion (alpha), fewer working CAR-T cells and more tumour at day 60."""
    out = []
    for alpha in (4.5e-8, 4.5e-7, 4.5e-6):
        m = car_t(_hdlm2_tumour(), exposure="Ct", prefix="cart", alpha=alpha)
        ds = simulate(m, 60.0, events=HDLM2_EVENTS[:1], saveat=[50.0, 60.0])
        out.append((float(ds["T"].values[-1]), float(ds["cart_exhausted"].values[0])))
    tumours = [o[0] for o in out]
    assert tumours[0] < tumours[1] < tumours[2]


def test_no_cells_no_effect():
    base = simulate(_hdlm2_tumour(), 100.0, saveat=[100.0])
    m = car_t(_hdlm2_tumour(), exposure="Ct")
    ds = simulate(m, 100.0, saveat=[100.0])
    assert float(ds["T"].values[-1]) == pytest.approx(float(base["T"].values[-1]), rel=1e-10)
    assert float(ds["car_t_crs_risk"].values[-1]) == 0.0


def test_existing_car_t_model_is_unchanged_by_default():
    """On Barros' own model the mechanism only adds the exhausted pool (rate 0) and the CRS proxy."""
    from oncoimmune.library.barros2021_cartmath import default_events

    lib = get_model("barros2021_cartmath")
    m = car_t(lib, exposure="Ct")
    a = simulate(lib, 100.0, events=default_events(), saveat=[50.0, 100.0])
    b = simulate(m, 100.0, events=default_events(), saveat=[50.0, 100.0])
    np.testing.assert_allclose(b["T"].values, a["T"].values, rtol=1e-8)
    np.testing.assert_allclose(b["car_t_crs_risk"].values, a["crs_risk_proxy"].values, rtol=1e-8)


def test_bare_dose_state_gets_the_module():
    """The catalogue's ``<prefix>_cells`` container (no terms) gets expansion, memory, exhaustion and killing."""
    m = _hdlm2_tumour().add(states=(State("kymriah_cells", 0.0, "cells", "infused cells"),))
    mt = car_t(m, exposure="kymriah_cells", prefix="kymriah")
    assert {"kymriah_proliferation", "kymriah_kill", "kymriah_memory_formation"} <= {t.name for t in mt.terms}


# ---------------------------------------------------------------------------------------
def test_kimmel_with_lymphodepletion_matches_catalogue():
    """Kimmel 2021 post-lymphodepletion: peak 30.1 /uL at day 7.0, C(28) = 2.49, B < 1 at day 6.4 (1 %)."""
    sc = lbcl_axicel()
    t = np.linspace(0.0, 60.0, 601)
    ds = simulate(sc.model, 60.0, events=sc.events, saveat=t)
    C, B = ds["C"].values, ds["B"].values
    assert C.max() == pytest.approx(30.1, rel=0.01)
    assert t[C.argmax()] == pytest.approx(7.0, abs=0.1)
    assert float(ds["C"].sel(time=28.0, method="nearest")) == pytest.approx(2.49, rel=0.01)
    assert t[np.argmax(B < 1.0)] == pytest.approx(6.4, abs=0.1)


def test_lymphodepletion_enables_expansion():
    """Without lymphodepletion (normal T cells at K_N) CAR-T cells do not expand and the tumour grows."""
    with_ld = lbcl_axicel()
    without = lbcl_axicel(lymphodepletion_done=False)
    a = simulate(with_ld.model, 90.0, saveat=np.linspace(0, 90, 181))
    b = simulate(without.model, 90.0, saveat=np.linspace(0, 90, 181))
    assert a["C"].values.max() > 50 * b["C"].values.max()
    assert b["B"].values[-1] > a["B"].values[-1]
    assert crs_peak(a)[0] > crs_peak(b)[0]


def test_lymphodepletion_needs_a_competition_model():
    with pytest.raises(ModelSpecError, match="lymphocyte_homeostasis"):
        lymphodepletion(get_model("kuznetsov1994"), lymphocytes_after=10.0)


def test_crs_proxy_rises_with_tumour_burden_and_dose():
    """Severe CRS goes with high tumour burden (Teachey 2016; Hay 2017): the proxy's peak rises with both."""
    peaks_b = []
    for burden in (30.0, 94.86, 300.0):
        sc = lbcl_axicel(tumour_burden=burden)
        peaks_b.append(crs_peak(simulate(sc.model, 30.0, saveat=np.linspace(0, 30, 301)))[0])
    assert peaks_b[0] < peaks_b[1] < peaks_b[2]
    peaks_d = []
    for dose in (0.5e6, 1.0e6, 2.0e6):
        sc = lbcl_axicel(dose_per_kg=dose)
        peaks_d.append(crs_peak(simulate(sc.model, 30.0, saveat=np.linspace(0, 30, 301)))[0])
    assert peaks_d[0] < peaks_d[1] < peaks_d[2]


def test_leon_triana_model_matches_biomodels_encoding():
    """BIOMD0000001011 (Leon-Triana et al. 2021) with libroadrunner, 180 days (cells; relative error < 1e-5)."""
    t = np.arange(0.0, 181.0, 5.0)
    ref = roadrunner_run("leon_triana2021", t, ["CAR_T_cells", "Leukaemic_B_cells", "B_cells_healthy"])
    ds = simulate(leon_triana2021_model(), 180.0, saveat=t, rtol=1e-10, atol=1e-6)
    for k, s in enumerate("CLB"):
        assert rel_err(ds[s].values, ref[:, k + 1], 1e-3) < 1e-5, s


def test_ball_scenario_remission_and_b_cell_aplasia():
    """Tisagenlecleucel 3.1e6/kg at 30 kg: leukaemia falls > 4 logs within 4 weeks; healthy B cells are depleted."""
    sc = ball_tisagenlecleucel()
    ds = simulate(sc.model, sc.days, events=sc.events, saveat=[0.0, 28.0, 60.0], atol=1e-6)
    L, B = ds["L"].values, ds["B"].values
    assert L[1] < 1e-4 * L[0]
    assert B[1] < 1e-3 * B[0]
    assert ds["car_t_crs_risk"].values.max() > 0.0
    low = ball_tisagenlecleucel(dose_per_kg=0.2e6)
    d2 = simulate(low.model, low.days, events=low.events, saveat=[0.0, 28.0], atol=1e-6)
    assert d2["L"].values[1] > L[1]


def test_ball_scenario_refuses_off_label_input():
    with pytest.raises(ParameterValueError, match="50"):
        ball_tisagenlecleucel(weight_kg=70.0)
    with pytest.raises(ParameterValueError, match="label"):
        ball_tisagenlecleucel(dose_per_kg=1e7)
