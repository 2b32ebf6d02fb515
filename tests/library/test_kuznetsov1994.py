"""Published checks of the Kuznetsov et al. (1994) model (library module ``kuznetsov1994``).

Sources
-------
* Kuznetsov VA, Makalkin IA, Taylor MA, Perelson AS (1994). Bull Math Biol
  56:295-321: dimensional BCL1 parameter estimates (Section 3), the
  nondimensional form with E0 = T0 = 1e6 cells and t0 = 1/(n T0), and its
  nondimensional parameters (sigma, rho, eta, mu, delta, alpha, beta).
* ``shared/validation.md`` section 0.1: the four equilibria, the dormant
  eigenvalues and the basin checks, reproduced there with an independent
  SciPy script ([RUN]).  Where the catalogue and the paper disagree, the paper
  wins; no disagreement was found for these checks.

The equilibria are found by root-finding on the *compiled* right-hand side and
Jacobian (``model.compile().rhs(np)``, ``.jacobian(np)``), so these tests check
the code path every engine uses.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq, root

from oncoimmune import simulate
from oncoimmune.library import get_model

E0 = T0 = 1.0e6  # cells: the paper's scaling


@pytest.fixture(scope="module")
def model():
    return get_model("kuznetsov1994")


@pytest.fixture(scope="module")
def compiled(model):
    cm = model.compile()
    return cm, cm.rhs(np), cm.jacobian(np), cm.p0


def _t0(model) -> float:
    """The paper's time scale t0 = 1/(n T0) in days (about 9.08 d)."""
    return 1.0 / (model.parameter("n").value * T0)


def _equilibria(model, compiled):
    """All equilibria with T >= 0, each refined by a root-finder on the compiled RHS.

    Candidates come from the tumour nullcline E = a(1 - bT)/n substituted into
    dE/dt = 0 (a scalar function of T, bracketed on a log grid); each candidate
    is then refined on the full two-dimensional compiled RHS with its exact
    Jacobian, and the residual is checked there.
    """
    cm, f, J, p = compiled
    P = model.parameter_values
    s, pp, g, m, d, a, b, n = (P[k] for k in "s p g m d a b n".split())

    def h(T):
        E = a * (1 - b * T) / n
        return s + pp * E * T / (g + T) - m * E * T - d * E

    grid = np.logspace(2, np.log10(1 / b) - 1e-9, 4000)
    v = h(grid)
    Ts = [brentq(h, grid[i], grid[i + 1], xtol=1e-10, rtol=1e-14) for i in np.nonzero(np.diff(np.sign(v)))[0]]
    guesses = [np.array([s / d, 0.0])] + [np.array([a * (1 - b * T) / n, T]) for T in Ts]
    out = []
    for y0 in guesses:
        sol = root(
            lambda y: f(0.0, y, p), y0, jac=lambda y: J(0.0, y, p), method="hybr", options={"xtol": 1e-13}
        )
        assert sol.success, sol.message
        y = sol.x
        scale = np.abs(np.array([s, a * y[1]])) + 1.0
        assert np.all(np.abs(f(0.0, y, p)) < 1e-9 * scale), "root-finder did not converge on the compiled RHS"
        out.append(y)
    return sorted(out, key=lambda y: y[1])


def test_nondimensional_parameters_match_paper(model):
    """The dimensional values give the paper's nondimensional parameters.

    Source: Kuznetsov et al. 1994, nondimensionalisation with E0 = T0 = 1e6 and
    t0 = 1/(n T0): sigma = 0.1181, rho = 1.131, eta = 20.19, mu = 0.00311,
    delta = 0.3743, alpha = 1.636, beta = 2e-3 (also catalogue section 0.1).
    Tolerance: the rounding of the printed values (relative 1e-3).
    """
    P = model.parameter_values
    n = P["n"]
    measured = {
        "sigma": P["s"] / (n * E0 * T0),
        "rho": P["p"] / (n * T0),
        "eta": P["g"] / T0,
        "mu": P["m"] / n,
        "delta": P["d"] / (n * T0),
        "alpha": P["a"] / (n * T0),
        "beta": P["b"] * T0,
    }
    published = {
        "sigma": 0.1181,
        "rho": 1.131,
        "eta": 20.19,
        "mu": 0.00311,
        "delta": 0.3743,
        "alpha": 1.636,
        "beta": 2e-3,
    }
    for k, v in published.items():
        assert measured[k] == pytest.approx(v, rel=1e-3), k
    assert _t0(model) == pytest.approx(9.08, rel=1e-3)


def test_four_equilibria(model, compiled):
    """Tumour-free, dormant, threshold and escape equilibria, relative tolerance 1e-3.

    Source: catalogue section 0.1 ([RUN], independent SciPy reproduction of the
    paper's nondimensional system), in the paper's units (x, y) = (E, T)/1e6:
    (0.3155, 0), (1.6081, 8.1864), (0.7585, 268.02), (0.1732, 447.03).
    """
    eqs = _equilibria(model, compiled)
    assert len(eqs) == 4
    published = [(0.3155, 0.0), (1.6081, 8.1864), (0.7585, 268.02), (0.1732, 447.03)]
    for y, (x_pub, y_pub) in zip(eqs, published):
        assert y[0] / E0 == pytest.approx(x_pub, rel=1e-3)
        assert y[1] / T0 == pytest.approx(y_pub, rel=1e-3, abs=1e-12)


def test_stability_of_equilibria(model, compiled):
    """Tumour-free: saddle; dormant: stable focus; threshold: saddle; escape: stable node.

    Source: catalogue section 0.1; the dormant eigenvalues are quoted in the
    paper's nondimensional time (dimensional eigenvalues times t0 = 9.08 d):
    -0.050 +/- 0.576i, checked to half a unit of the last printed digit (5e-4).
    """
    cm, f, J, p = compiled
    free, dormant, threshold, escape = _equilibria(model, compiled)
    ev = {k: np.linalg.eigvals(J(0.0, y, p)) for k, y in
          (("free", free), ("dormant", dormant), ("threshold", threshold), ("escape", escape))}
    for k in ("free", "threshold"):
        assert np.all(np.isreal(ev[k])) and np.sum(ev[k].real > 0) == 1, (k, ev[k])
    assert np.all(np.isreal(ev["escape"])) and np.all(ev["escape"].real < 0), ev["escape"]
    lam = ev["dormant"] * _t0(model)
    assert np.all(lam.real < 0) and np.all(lam.imag != 0), lam
    assert lam.real.max() == pytest.approx(-0.050, abs=5e-4)
    assert np.abs(lam.imag).max() == pytest.approx(0.576, abs=5e-4)


@pytest.mark.parametrize("challenge", [1e5, 1e6, 1e7])
def test_small_challenges_go_dormant(model, challenge):
    """Challenges of 1e5, 1e6, 1e7 cells settle on the dormant state by day 2000.

    Source: catalogue section 0.1 basin check ([RUN]): from E(0) = s/d,
    T(2000 d) = 8.19e6 (dormant equilibrium 8.1864e6), relative tolerance 1e-3.
    """
    P = model.parameter_values
    ds = simulate(model, 2000, initial={"E": P["s"] / P["d"], "T": challenge}, saveat=[0.0, 1500.0, 2000.0])
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    assert ds["T"].values[-1] == pytest.approx(8.1864e6, rel=1e-3)
    assert ds["E"].values[-1] == pytest.approx(1.6081e6, rel=1e-3)


def test_large_challenge_escapes(model):
    """A challenge of 5e8 cells escapes to the large equilibrium 4.47e8 by day 2000.

    Source: catalogue section 0.1 basin check ([RUN]); escape equilibrium
    (0.1732, 447.03) x 1e6, relative tolerance 1e-3.
    """
    P = model.parameter_values
    ds = simulate(model, 2000, initial={"E": P["s"] / P["d"], "T": 5e8}, saveat=[0.0, 2000.0])
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    assert ds["T"].values[-1] == pytest.approx(447.03e6, rel=1e-3)
    assert ds["E"].values[-1] == pytest.approx(0.1732e6, rel=1e-3)
