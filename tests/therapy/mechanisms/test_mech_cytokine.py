"""Cytokines: IL-2 on Kirschner & Panetta 1998, IFN-alpha on Andersen et al. 2017.

References reproduced here
--------------------------
* Kirschner & Panetta 1998 (J Math Biol 37:235): (i) IL-2 alone clears the
  tumour only at inputs that make effector cells grow without bound
  (s2 > mu3 g1 mu2/(p1 - mu2) = 6.349e7, derived here from the model's
  tumour-free state); (ii) with IL-2 the adoptive-cell-therapy threshold falls
  below 540 cells/day (validation.md 1.1: s1 > r2 mu2 g2/a = 540 with s2 = 0).
  Checked at antigenicity c = 0, the setting of the catalogue's ACI check.
* Andersen et al. 2017 MPN model with the library's fitted IFN effect: the
  mechanism at the reference exposure reproduces the library's fit to
  Kiladjian et al. 2008 (median %V617F 45 -> 22.5/17.5/5/3 % at 12/18/24/36
  months) exactly, and the fit's residuals stay within the catalogue's
  +-5 percentage points.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from oncoimmune import simulate
from oncoimmune._errors import ModelSpecError
from oncoimmune.library import andersen2017_mpn as mpn
from oncoimmune.analysis import mpn_ifn
from oncoimmune.library import get_model
from oncoimmune.model import Parameter, Source
from oncoimmune.therapy.mechanisms import ifn_alpha, il2, kp_aci_threshold, kp_il2_alone_threshold

SRC = Source("test input", note="test scaffolding")
#: The MPN model is stiff (dead-cell clearance ~7e9/day): an implicit method, as the library module uses.
BDF = {"method": "BDF", "rtol": 1e-10, "atol": 1e-12}


def _kp():
    m = get_model("kirschner_panetta1998").with_parameters(c=0.0)
    m = m.add(parameters=(Parameter("il2_dose", 0.0, "IL-2 units/day", "IL-2 input", SRC),))
    return il2(m, exposure="il2_dose")


def test_il2_alone_threshold_value():
    """s2* = mu3 g1 mu2/(p1 - mu2) = 10 * 2e7 * 0.03 / 0.0945 = 6.349e7 (KP Table 1 values)."""
    assert kp_il2_alone_threshold(_kp()) == pytest.approx(6.3492e7, rel=1e-4)


def test_il2_alone_clears_only_with_unbounded_effectors():
    """Below s2*: tumour at carrying capacity, E bounded; above: tumour cleared and E explodes (toxicity)."""
    m = _kp()
    thr = kp_il2_alone_threshold(m)
    init = {"E": 1.0, "T": 1.0e5, "IL": 1.0}
    low = simulate(m, 1000, parameters={"il2_dose": 0.9 * thr}, initial=init, saveat=[500.0, 1000.0])
    high = simulate(m, 1000, parameters={"il2_dose": 2.0 * thr}, initial=init, saveat=[750.0, 1000.0])
    assert low["T"].values[-1] > 0.99e9
    assert low["E"].values[-1] < low["E"].values[0] < 1.0
    assert high["T"].values[-1] < 1.0
    assert high["E"].values[-1] > 1e8 and high["E"].values[-1] > 10 * high["E"].values[0]


def test_il2_lowers_the_aci_threshold():
    """s1* = (r2 g2/a)(mu2 - p1 IL/(g1 + IL)), IL = s2/mu3: 540 at s2 = 0, 247.7 at s2 = 3e7.

    Simulation from the treated tumour-free state (E = s1/(mu2 - p1 IL/(g1+IL)), IL = s2/mu3) with
    T(0) = 1e3, as the catalogue's ACI check: 5 % below s1* escapes, 5 % above clears; s1 = 300
    escapes without IL-2 and clears with it.
    """
    m = _kp()
    assert kp_aci_threshold(m, 0.0) == pytest.approx(540.0, rel=1e-9)
    s2 = 3.0e7
    s1s = kp_aci_threshold(m, s2)
    assert s1s == pytest.approx(247.6957, rel=1e-5)
    v = m.parameter_values
    il = s2 / v["mu3"]
    net = v["mu2"] - v["p1"] * il / (v["g1"] + il)

    def t_final(s1, dose):
        n = net if dose else v["mu2"]
        ds = simulate(m, 600, parameters={"il2_dose": dose, "s1": s1},
                      initial={"E": s1 / n, "T": 1e3, "IL": dose / v["mu3"]}, saveat=[600.0])
        return float(ds["T"].values[-1])

    assert t_final(0.95 * s1s, s2) > 1e8
    assert t_final(1.05 * s1s, s2) < 10.0
    assert t_final(300.0, 0.0) > 1e8
    assert t_final(300.0, s2) < 1e-3


def test_il2_zero_exposure_is_untreated():
    m = _kp()
    base = simulate(get_model("kirschner_panetta1998").with_parameters(c=0.0), 300, initial={"T": 1e3}, saveat=[300.0])
    ds = simulate(m, 300, initial={"T": 1e3}, saveat=[300.0])
    assert float(ds["T"].values[-1]) == pytest.approx(float(base["T"].values[-1]), rel=1e-10)


def test_il2_needs_an_input_parameter():
    with pytest.raises(ModelSpecError, match="s2"):
        il2(get_model("kuznetsov1994"), exposure="E")


# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mpn_start():
    """The state at 45 % JAK2V617F burden from one mutated stem cell (Kiladjian 2008 baseline)."""
    _, state = mpn_ifn.state_at_burden()
    return state


def _ifn_response(exposure_value, start, months=mpn.KILADJIAN_2008_MONTHS):
    m = mpn.build().add(parameters=(Parameter("peg_ifn", 0.0, "fraction of regimen", "IFN exposure", SRC),))
    m = ifn_alpha(m, exposure="peg_ifn").with_initial(start)
    t = np.asarray(months) * mpn.MONTH
    ds = simulate(m, float(t[-1]), parameters={"peg_ifn": exposure_value}, saveat=np.r_[0.0, t], **BDF)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    return 100.0 * ds["jak2_burden"].values[1:]


def test_ifn_at_reference_exposure_reproduces_the_library_fit(mpn_start):
    """Mechanism at exposure = reference equals the library's u_IFN = 1 response (k_IFN fitted)."""
    ours = _ifn_response(1.0, mpn_start)
    lib = mpn_ifn.simulate_ifn_response(mpn.KIFN_FIT, start_state=mpn_start)
    np.testing.assert_allclose(ours, lib, rtol=1e-8)


def test_ifn_fit_within_catalogue_tolerance_of_kiladjian(mpn_start):
    """Kiladjian 2008 (Blood 112:3065) median %V617F 22.5/17.5/5/3 at 12/18/24/36 months, +-5 points."""
    ours = _ifn_response(1.0, mpn_start)
    np.testing.assert_allclose(ours, mpn.KILADJIAN_2008_BURDEN, atol=5.0)


def test_ifn_dose_response_and_zero_exposure(mpn_start):
    """No exposure: the burden keeps rising; more exposure, lower burden at 12 months."""
    at12 = [float(_ifn_response(x, mpn_start, months=(12.0,))[0]) for x in (0.0, 0.5, 1.0, 2.0)]
    assert at12[0] > 45.0
    assert all(a > b for a, b in pairwise(at12))


def test_ifn_needs_a_switch():
    with pytest.raises(ModelSpecError, match="u_IFN"):
        ifn_alpha(get_model("kuznetsov1994"), exposure="E")
