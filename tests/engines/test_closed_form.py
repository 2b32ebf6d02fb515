"""Reference engine against closed-form solutions, with tolerance-normalised errors.

The error measure follows SciPy's ``test_ivp.compute_error``:
``|y - y_exact| / (atol + rtol*|y_exact|)``, whose RMS must stay O(1).
"""

from __future__ import annotations

import numpy as np
import pytest

from oncoimmune import Event, Model, Parameter, Source, State, Sym, Term, simulate
from oncoimmune.library import get_model

SRC = Source("closed-form test problem")


def normalised_error(y, y_exact, rtol, atol):
    e = np.abs(y - y_exact) / (atol + rtol * np.abs(y_exact))
    return float(np.sqrt(np.mean(e**2)))


def one_compartment(k=0.1, rate=0.0) -> Model:
    A, kk, R = Sym("A"), Sym("k"), Sym("R")
    return Model(
        id="onecomp",
        title="one compartment",
        states=(State("A", 0.0, "mg", "drug amount"),),
        parameters=(
            Parameter("k", k, "1/day", "elimination rate", SRC),
            Parameter("R", rate, "mg/day", "infusion rate", SRC),
        ),
        terms=(
            Term("infusion", R, {"A": 1}, "infusion into the compartment"),
            Term("elimination", kk * A, {"A": -1}, "first-order elimination"),
        ),
    )


@pytest.mark.parametrize("method", ["LSODA", "BDF", "Radau", "DOP853"])
def test_logistic_growth_without_killing_is_exact(method):
    """With the kill rate n = 0 the Kuznetsov tumour follows the logistic law exactly."""
    rtol, atol = 1e-8, 1e-6
    m = get_model("kuznetsov1994").with_parameters(n=0.0)
    ds = simulate(m, 200, method=method, rtol=rtol, atol=atol)
    assert ds.attrs["status"] == "ok"
    a, b = m.parameter("a").value, m.parameter("b").value
    t, T0 = ds.time.values, m.state("T").initial
    K = 1.0 / b
    exact = K / (1.0 + (K / T0 - 1.0) * np.exp(-a * t))
    assert normalised_error(ds.T.values, exact, rtol, atol) < 20.0


def test_bolus_doses_are_exact_jumps():
    """Repeated IV boluses into a one-compartment model: superposition of exponentials."""
    k, dose, times = 0.1, 200.0, [0.0, 21.0, 42.0, 63.0]
    m = one_compartment(k)
    evs = [Event(ti, "A", "add", dose) for ti in times]
    save = np.linspace(0, 84, 337)  # contains the dose times
    rtol, atol = 1e-10, 1e-10
    ds = simulate(m, 84, events=evs, saveat=save, rtol=rtol, atol=atol)
    exact = sum(np.where(save >= ti, dose * np.exp(-k * (save - ti)), 0.0) for ti in times)
    assert normalised_error(ds.A.values, exact, rtol, atol) < 20.0
    # right-continuous at the jump: value at t=21 is after the second dose
    i = int(np.argmin(np.abs(save - 21.0)))
    assert ds.A.values[i] == pytest.approx(dose * np.exp(-k * 21) + dose, rel=1e-8)
    # nothing happens before the first dose when it is given later
    ds2 = simulate(m, 30, events=[Event(10.0, "A", "add", dose)])
    assert np.all(ds2.A.values[:10] == 0.0)


def test_infusion_switched_by_parameter_events():
    """Zero-order infusion R from t=1 to t=3 d: A = R/k (1 - e^{-k(t-1)}) then decay."""
    k, R = 0.5, 10.0
    m = one_compartment(k)
    evs = [Event(1.0, "R", "set", R, kind="parameter"), Event(3.0, "R", "set", 0.0, kind="parameter")]
    save = np.linspace(0, 6, 61)
    ds = simulate(m, 6, events=evs, saveat=save, rtol=1e-10, atol=1e-12)
    on = np.clip(save - 1.0, 0, 2.0)
    exact = R / k * (1 - np.exp(-k * on)) * np.exp(-k * np.clip(save - 3.0, 0, None))
    np.testing.assert_allclose(ds.A.values, exact, rtol=1e-7, atol=1e-9)


def test_error_decreases_with_tolerance():
    """Convergence: a tighter rtol gives a smaller error on the logistic problem."""
    m = get_model("kuznetsov1994").with_parameters(n=0.0)
    a, b, T0 = 0.18, 2e-9, m.state("T").initial
    errs = []
    for rtol in (1e-4, 1e-7, 1e-10):
        ds = simulate(m, 100, rtol=rtol, atol=1e-12, method="DOP853")
        t = ds.time.values
        exact = (1 / b) / (1 + ((1 / b) / T0 - 1) * np.exp(-a * t))
        errs.append(np.max(np.abs(ds.T.values - exact) / exact))
    assert errs[0] > errs[1] > errs[2]
    assert errs[2] < 1e-8
