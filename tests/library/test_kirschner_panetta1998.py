"""Published checks of the Kirschner & Panetta (1998) model (library module ``kirschner_panetta1998``).

Sources
-------
* Kirschner D, Panetta JC (1998). J Math Biol 37:235-252: equations (1)-(3),
  Table 1 (parameters), the ACI threshold for the tumour-free state, and the
  three antigenicity regimes (no control at low c, limit cycles at
  intermediate c, a stable small tumour at high c); high enough ACI
  (s1 about 550) clears the tumour for every antigenicity.
* ``shared/validation.md`` section 1.1: the threshold s1* = r2 mu2 g2 / a = 540
  and the simulation with c = 0 ([RUN]); the late-time behaviour against c
  from E = T = IL = 1 ([REG]: regression values of an independent run, not
  numbers printed in the paper).  Where the catalogue and the paper
  disagree, the paper wins.

Numerics: during the c = 0.02 oscillations T falls to about 1.3e-4 cells.
The default solver (LSODA, rtol 1e-8, atol 1e-10) resolves this: an
independent integration in log variables (``test_tiny_tumour_accuracy``)
agrees to 1e-4 relative on the minimum.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, root
from scipy.signal import find_peaks

from oncoimmune import simulate
from oncoimmune.library import get_model


@pytest.fixture(scope="module")
def model():
    return get_model("kirschner_panetta1998")


def _untreated(model, c, days, saveat):
    ds = simulate(model, days, parameters={"c": c}, initial={"E": 1.0, "T": 1.0, "IL": 1.0}, saveat=saveat)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    return ds.time.values, ds["T"].values


def test_every_parameter_cites_table1(model):
    """Every parameter cites the paper and Table 1; values as in Kirschner & Panetta 1998, Table 1."""
    for p in model.parameters:
        assert "Kirschner" in p.source.citation and "Table 1" in p.source.location, p.name
    published = {"mu2": 0.03, "p1": 0.1245, "g1": 2e7, "g2": 1e5, "r2": 0.18, "b": 1e-9,
                 "a": 1.0, "mu3": 10.0, "p2": 5.0, "g3": 1e3, "s1": 0.0, "s2": 0.0}
    for k, v in published.items():
        assert model.parameter(k).value == v, k
    assert 0.0 <= model.parameter("c").value <= 0.05  # Table 1: 0 <= c <= 0.05


def test_aci_threshold_from_linearisation(model):
    """ACI threshold s1* = r2 mu2 g2 / a = 540 cells/day, tolerance 1 %.

    Source: Kirschner & Panetta 1998 (stability of the tumour-free state with
    s2 = 0) and catalogue section 1.1 ([RUN]).  Measured here independently:
    the tumour-free equilibrium is root-found on the compiled RHS for each s1,
    and s1* is the zero of the largest real part of the compiled Jacobian's
    eigenvalues there.
    """
    cm = model.with_parameters(c=0.0).compile()
    f, J = cm.rhs(np), cm.jacobian(np)
    i_s1 = cm.param_index("s1")
    mu2 = model.parameter("mu2").value

    def leading_eigenvalue(s1):
        p = cm.p0.copy()
        p[i_s1] = s1
        sol = root(lambda y: f(0.0, y, p), [s1 / mu2, 0.0, 0.0], jac=lambda y: J(0.0, y, p), method="hybr")
        assert sol.success and abs(sol.x[1]) < 1e-9, sol
        return np.linalg.eigvals(J(0.0, sol.x, p)).real.max()

    s1_star = brentq(leading_eigenvalue, 100.0, 2000.0, xtol=1e-6)
    assert s1_star == pytest.approx(540.0, rel=0.01)
    P = model.parameter_values
    assert P["r2"] * P["mu2"] * P["g2"] / P["a"] == pytest.approx(540.0, rel=1e-12)


@pytest.mark.parametrize("s1, escapes", [(530.0, True), (550.0, False)])
def test_aci_threshold_by_simulation(model, s1, escapes):
    """c = 0, E(0) = s1/mu2, T(0) = 1e3, IL(0) = 0: s1 = 530 escapes towards 1e9, s1 = 550 clears.

    Source: catalogue section 1.1 ([RUN]) from the paper's threshold s1* = 540.
    'Escapes': T(1000 d) within 1 % of the carrying capacity 1/b = 1e9.
    'Clears': T decreases throughout and is below one cell by day 3000
    (the decay is slow, rate r2 - a s1/(mu2 g2) = -0.0033/day).
    """
    ds = simulate(
        model,
        3000,
        parameters={"c": 0.0, "s1": s1},
        initial={"E": s1 / 0.03, "T": 1e3, "IL": 0.0},
        saveat=np.arange(0.0, 3000.1, 10.0),
    )
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    t, T = ds.time.values, ds["T"].values
    if escapes:
        assert T[t == 1000.0][0] == pytest.approx(1e9, rel=0.01)
    else:
        assert np.all(np.diff(T) < 0)
        assert T[-1] < 1.0


@pytest.mark.parametrize("c", [0.0, 0.01, 0.02, 0.035, 0.05])
def test_aci_550_clears_for_every_antigenicity(model, c):
    """s1 = 550 clears the tumour for every antigenicity 0 <= c <= 0.05.

    Source: Kirschner & Panetta 1998 (ACI section; catalogue section 1.1
    [PAPER]).  Start E = T = IL = 1; 'clears': T(5000 d) < 1e-3 cells and
    never above 1e3 cells.
    """
    ds = simulate(model, 5000, parameters={"c": c, "s1": 550.0}, initial={"E": 1.0, "T": 1.0, "IL": 1.0},
                  saveat=np.arange(0.0, 5000.1, 5.0))
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    T = ds["T"].values
    assert T[-1] < 1e-3
    assert T.max() < 1e3


def test_no_antigenicity_escapes(model):
    """c = 0: the untreated tumour grows to its carrying capacity 1/b = 1e9.

    Source: Kirschner & Panetta 1998 (no immune control at low antigenicity);
    catalogue section 1.1 [REG]. Tolerance relative 1e-3 at day 3000.
    """
    t, T = _untreated(model, 0.0, 3000, [0.0, 3000.0])
    assert T[-1] == pytest.approx(1e9, rel=1e-3)


def test_intermediate_antigenicity_limit_cycle(model):
    """c = 0.02: sustained large oscillations (dormancy and recurrence), period about 242 d.

    Source: Kirschner & Panetta 1998 (limit cycles at intermediate
    antigenicity); catalogue section 1.1 [REG]: T in [1e-4, 3.8e5], period
    about 242 d.  Checked over days 1500-3000 (after the transient): period
    within 1 % of 242 d, every cycle the same to 0.5 % (a limit cycle, not a
    damped oscillation), maximum within 2 % of 3.8e5, minimum below 1e-3 and
    within a factor 2 of 1e-4.
    """
    t, T = _untreated(model, 0.02, 3000, np.arange(0.0, 3000.01, 0.1))
    late = t >= 1500.0
    tl, Tl = t[late], T[late]
    peaks, _ = find_peaks(Tl, prominence=1e4)
    assert len(peaks) >= 5
    periods = np.diff(tl[peaks])
    assert periods.mean() == pytest.approx(242.0, rel=0.01)
    assert np.ptp(periods) < 1.0
    assert np.ptp(Tl[peaks]) / Tl[peaks].mean() < 5e-3
    assert Tl.max() == pytest.approx(3.8e5, rel=0.02)
    assert 0.5e-4 < Tl.min() < 2e-4


def test_tiny_tumour_accuracy(model):
    """The c = 0.02 minimum (T about 1.3e-4) does not depend on the integration scheme.

    Cross-check, no published number: the engine's default run is compared
    with an independent integration of the same compiled RHS in log variables
    (u = log y, Radau, rtol 1e-10), where tiny values carry full relative
    precision.  Minimum and maximum of T over days 1000-1300 agree to 1e-4.
    """
    cm = model.with_parameters(c=0.02).compile()
    f, J, p = cm.rhs(np), cm.jacobian(np), cm.p0

    def g(t, u):
        y = np.exp(u)
        return f(t, y, p) / y

    def gjac(t, u):
        y = np.exp(u)
        return J(t, y, p) * y[None, :] / y[:, None] - np.diag(f(t, y, p) / y)

    ref = solve_ivp(g, (0.0, 1300.0), np.zeros(3), method="Radau", jac=gjac, rtol=1e-10, atol=1e-10,
                    dense_output=True)
    assert ref.success
    tt = np.arange(1000.0, 1300.0, 0.05)
    T_ref = np.exp(ref.sol(tt)[1])
    ds = simulate(model, 1300, parameters={"c": 0.02}, initial={"E": 1.0, "T": 1.0, "IL": 1.0}, saveat=tt)
    T = ds["T"].values
    assert T.min() == pytest.approx(T_ref.min(), rel=1e-4)
    assert T.max() == pytest.approx(T_ref.max(), rel=1e-4)


def test_c0035_damped_oscillation_window(model):
    """c = 0.035: oscillation with period about 94 d, T in [9.9e3, 2.9e4] over days 1000-1500.

    Source: catalogue section 1.1 [REG] (period about 94 d, range
    [9.9e3, 2.9e4]).  Measured: the range holds over days 1000-1500 (2 %),
    but the oscillation is damped: the equilibrium is a stable focus
    (T* = 1.82e4) whose eigenvalues give the period (2 pi / omega about 93 d,
    1 % of 94 d).  See ``test_c0035_late_time_range_catalogue`` for the
    catalogue's late-time reading.
    """
    ds = simulate(model, 1500, parameters={"c": 0.035}, initial={"E": 1.0, "T": 1.0, "IL": 1.0},
                  saveat=np.arange(0.0, 1500.01, 0.25))
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    t, T = ds.time.values, ds["T"].values
    w = (t >= 1000.0) & (t < 1500.0)
    assert T[w].min() == pytest.approx(9.9e3, rel=0.02)
    assert T[w].max() == pytest.approx(2.9e4, rel=0.02)
    peaks, _ = find_peaks(T[w])
    assert np.diff(t[w][peaks]).mean() == pytest.approx(94.0, rel=0.015)

    cm = model.with_parameters(c=0.035).compile()
    f, J, p = cm.rhs(np), cm.jacobian(np), cm.p0
    y_end = np.array([ds[k].values[-1] for k in cm.state_names])
    sol = root(lambda y: f(0.0, y, p), y_end, jac=lambda y: J(0.0, y, p), method="hybr")
    assert sol.success
    assert sol.x[1] == pytest.approx(1.82e4, rel=0.01)
    ev = np.linalg.eigvals(J(0.0, sol.x, p))
    focus = ev[np.abs(ev.imag) > 0]
    assert len(focus) == 2 and np.all(focus.real < 0)
    assert 2 * np.pi / np.abs(focus.imag).max() == pytest.approx(94.0, rel=0.015)


@pytest.mark.xfail(
    strict=True,
    reason="measured: at c = 0.035 the oscillation is damped; over days 5000-6000 T stays in "
    "[1.81e4, 1.83e4] (stable focus T* = 1.82e4), not the catalogue's late-time range "
    "[9.9e3, 2.9e4], which is the transient over days 1000-1500",
)
def test_c0035_late_time_range_catalogue(model):
    """c = 0.035 late-time behaviour 'oscillates in [9.9e3, 2.9e4]'.

    Source: catalogue section 1.1 [REG] table, column 'late-time behaviour'.
    Not a number from the paper.  Kept with the catalogue's values and marked
    xfail: the measured late-time range is far narrower (damped oscillation).
    """
    t, T = _untreated(model, 0.035, 6000, np.arange(5000.0, 6000.01, 0.25))
    assert T.min() == pytest.approx(9.9e3, rel=0.02)
    assert T.max() == pytest.approx(2.9e4, rel=0.02)


def test_high_antigenicity_small_stable_tumour(model):
    """c = 0.05: a small tumour of about 1.2e4 cells, near steady.

    Source: Kirschner & Panetta 1998 (stable small tumour at high
    antigenicity); catalogue section 1.1 [REG]: about 1.2e4.  Checked at
    days 2500-3000: within 1 % of 1.2e4 and varying by less than 0.1 %.
    """
    t, T = _untreated(model, 0.05, 3000, np.arange(2500.0, 3000.01, 1.0))
    assert T.mean() == pytest.approx(1.2e4, rel=0.01)
    assert np.ptp(T) / T.mean() < 1e-3
