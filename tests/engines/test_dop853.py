"""DOP853 lanes of the batched engine (methods ``"dop853"`` and ``"auto-dop853"``).

The coefficients are checked against the order conditions they must satisfy and
against SciPy's independent table; the method against tight reference runs,
with doses, save points between and on event times, and beside DOPRI5 for the
work it saves at tight tolerances (the reason it exists: issue 9).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("numba")

from oncoimmune import Event, simulate
from oncoimmune.engines import _dop853 as D
from oncoimmune.engines.batched import solve_batch
from oncoimmune.library import get_model

from .test_batched import pk_kill_model, scaled_error, states_of


def test_coefficients_satisfy_the_order_conditions():
    np.testing.assert_allclose(D.A.sum(axis=1), D.C, rtol=0, atol=1e-14)  # row sums are the nodes
    for q in range(1, 9):  # the quadrature conditions of order 8: sum b_i c_i^(q-1) = 1/q
        assert math.isclose(float(np.dot(D.B, D.C ** (q - 1))), 1.0 / q, rel_tol=1e-13), q
    # b^T A c^(q-1) = 1/(q(q+1)): the simplest tree of each higher order
    for q in range(1, 8):
        assert math.isclose(float(D.B @ (D.A @ D.C ** (q - 1))), 1.0 / (q * (q + 1)), rel_tol=1e-12), q
    # the error estimators are differences of consistent methods: their weights sum to zero
    assert abs(D.E5.sum()) < 1e-14 and abs(D.E3.sum()) < 1e-14
    assert np.all(np.triu(D.A) == 0.0) and D.C[-1] == 1.0


def test_coefficients_match_scipys_table():
    try:
        from scipy.integrate._ivp import dop853_coefficients as S
    except ImportError:  # a private SciPy module: its absence is not a failure of ours
        pytest.skip("scipy.integrate._ivp.dop853_coefficients not available in this SciPy")
    np.testing.assert_array_equal(D.A, S.A[:12, :12])
    np.testing.assert_array_equal(D.B, S.B)
    np.testing.assert_array_equal(D.C, S.C[:12])
    np.testing.assert_array_equal(D.E5, S.E5[:12])
    np.testing.assert_array_equal(D.E3, S.E3[:12])
    assert S.E5[12] == 0.0 and S.E3[12] == 0.0


@pytest.mark.parametrize("model_id", ["kuznetsov1994", "pk_kill"])
def test_accurate_and_cheaper_than_dopri5_at_tight_tolerances(model_id):
    """On non-stiff problems (on stiff ones both explicit methods are held by stability alike:
    de Pillis 2005 at 1e-10 took 42,602 evaluations against DOPRI5's 44,222)."""
    m = pk_kill_model() if model_id == "pk_kill" else get_model(model_id)
    evs = [Event(21.0 * k, "A", "add", 200.0) for k in range(10)] if model_id == "pk_kill" else []
    cm = m.compile()
    save = np.linspace(0.0, 200.0, 41)
    ref = simulate(m, 200.0, saveat=save, events=evs, rtol=1e-12, atol=1e-12)
    kw = dict(t1=200.0, saveat=save, events=evs, rtol=1e-10, atol=1e-10)
    hi = solve_batch(cm, cm.y0, cm.p0, method="dop853", **kw)
    lo = solve_batch(cm, cm.y0, cm.p0, method="dopri5", **kw)
    assert hi.ok.all() and lo.ok.all()
    assert scaled_error(hi.y[0], states_of(ref, cm.state_names)) < 1e-8
    assert hi.nfev[0] < 0.8 * lo.nfev[0], (hi.nfev[0], lo.nfev[0])


def test_doses_and_save_points_on_and_between_events():
    m = pk_kill_model()
    evs = [Event(21.0 * k, "A", "add", 200.0) for k in range(6)]
    evs += [Event(50.0, "emax", "set", 0.0, kind="parameter"), Event(63.5, "T", "multiply", 0.5)]
    save = np.unique(np.concatenate([np.arange(0.0, 121.0, 7.0), [21.0, 50.0, 63.5, 63.6, 120.0]]))
    ref = simulate(m, 120.0, saveat=save, events=evs, rtol=1e-12, atol=1e-12)
    cm = m.compile()
    sol = solve_batch(cm, cm.y0, cm.p0, t1=120.0, saveat=save, events=evs, rtol=1e-11, atol=1e-11, method="dop853")
    assert sol.ok.all(), sol.reason(0)
    assert scaled_error(sol.y[0], states_of(ref, cm.state_names)) < 1e-8
    i = int(np.searchsorted(sol.t, 21.0))  # right-continuous: the value at a dose time is after the dose
    assert sol.state("A")[0, i] > 200.0 > sol.state("A")[0, i - 1]


def test_save_points_are_step_ends_so_the_grid_moves_steps_not_accuracy():
    """DOP853 lands on every save point (no dense output): a denser grid changes the steps, and the
    values it shares with a sparse grid agree to the tolerance, not bit for bit (DOPRI5 interpolates
    and is grid-independent: ``test_batched``)."""
    cm = pk_kill_model().compile()
    evs = [Event(21.0 * k, "A", "add", 200.0) for k in range(5)]
    kw = dict(t1=100.0, events=evs, rtol=1e-10, atol=1e-10, method="dop853")
    daily = solve_batch(cm, cm.y0, cm.p0, saveat=np.arange(101.0), **kw)
    sparse = solve_batch(cm, cm.y0, cm.p0, saveat=np.array([0.0, 3.5, 21.0, 50.0, 77.25, 100.0]), **kw)
    common = np.array([0, 21, 50, 100])
    np.testing.assert_allclose(sparse.y[0, [0, 2, 3, 5]], daily.y[0, common], rtol=1e-8, atol=1e-12)
    assert daily.nsteps[0] > sparse.nsteps[0]
