"""Tumour-growth laws: closed forms against the ODEs they solve, fits recover known curves, the protocol."""

import math

import numpy as np
import pytest

from oncoimmune.fit.growth import LAWS, D_E_PER_WEEK, compare_laws, fit_law, summarise


@pytest.mark.parametrize("lam", [-1.0, 0.0, 1.0 / 3.0, 0.7])
def test_general_bertalanffy_solves_its_ode(lam):
    """dV/dt = (w/lam) V [(vinf/V)^lam - 1] (TumorGrowth.jl's bertalanffy ODE; lam -> 0 is Gompertz)."""
    from scipy.integrate import solve_ivp

    v0, vinf, w = 0.5, 3.0, 0.2
    law = LAWS["bertalanffy"]

    def rhs(t, v):
        if abs(lam) < 1e-12:
            return w * v * np.log(vinf / v)
        return (w / lam) * v * ((vinf / v) ** lam - 1.0)

    t = np.linspace(0, 20, 11)
    sol = solve_ivp(rhs, (0, 20), [v0], t_eval=t, rtol=1e-10, atol=1e-12)
    assert np.allclose(law.f(t, v0, vinf, w, lam), sol.y[0], rtol=1e-6)


def test_immune_law_is_the_library_model_without_chemotherapy():
    """The closed form of the 'immune' law equals nsclc_tgi_immune integrated by the engine (N >> h_rec)."""
    from oncoimmune import simulate
    from oncoimmune.library import get_model

    m = get_model("nsclc_tgi_immune")
    g, k, r = 0.01, 0.004, 3.0
    weeks = np.array([0.0, 3.0, 6.0, 12.0, 20.0])
    ds = simulate(m, 140.0, saveat=weeks * 7.0, parameters={"g": g, "k_kill": k, "r_rec": r, "h_rec": 1.0},
                  initial={"T": 1e10, "R": 0.0, "E": 1.0 + 0.5 * r}, rtol=1e-10, atol=1e-6)
    n = np.asarray(ds.T + ds.R)
    closed = LAWS["immune"].f(weeks, 1e10, 7 * g, 7 * k, r)
    assert D_E_PER_WEEK == pytest.approx(0.0412 * 7)
    assert np.allclose(closed, n, rtol=1e-5)


@pytest.mark.parametrize("name, p", [("gompertz", (0.01, 0.03, 0.15)), ("stein", (0.02, 0.3, 0.05)),
                                     ("exponential", (0.01, -0.05)), ("claret", (0.02, 0.03, 0.4, 0.2))])
def test_fit_recovers_a_noise_free_curve(name, p):
    law = LAWS[name]
    t = np.array([0.0, 6, 12, 18, 24, 30, 36])
    v = law.f(t, *p)
    est, rss = fit_law(law, t, v)
    assert rss < 1e-6 * float(np.sum(v**2))
    assert np.allclose(law.f(t, *est), v, rtol=1e-3, atol=1e-6 * v.max())


def test_protocol_on_three_synthetic_lesions():
    import pandas as pd

    t = np.array([0.0, 6, 12, 18, 24, 30])
    les = pd.DataFrame({"lesion": ["a", "b", "c"], "arm": ["x", "x", "y"],
                        "weeks": [t, t + 1.0, t],
                        "volume": [LAWS["gompertz"].f(t, 0.01, 0.02, 0.1), LAWS["stein"].f(t, 0.02, 0.2, 0.03),
                                   LAWS["exponential"].f(t, 0.005, 0.02)]})
    tab = compare_laws(les, laws=["exponential", "gompertz", "stein"])
    assert len(tab) == 9 and tab["mae_holdout"].notna().all()
    s = summarise(tab, n_boot=100)
    assert s["kept"] == 3 and set(s["by_arm"]) == {"x", "y"}
    # the law that generated lesion c predicts its held-out scans almost exactly
    c = tab[(tab.lesion == "c") & (tab.law == "exponential")]
    assert float(c["mae_holdout"].iloc[0]) < 1e-6
    assert math.isfinite(s["mean_holdout_mae"]["stein"])
