"""Published checks of the de Pillis, Radunskaya & Wiseman (2005) model (library module ``depillis2005``).

Sources
-------
* de Pillis LG, Radunskaya AE, Wiseman CL (2005). Cancer Res 65:7950-7958:
  equations (1)-(4), mouse parameters (Table 1), and the qualitative result
  that stronger CD8+ lysis (the fits for NKG2D-ligand-transduced tumours)
  lets the immune system control a challenge that wild-type tumours escape.
* de Pillis LG, Fister KR, Gu W, et al. (2008). J Biol Syst 16:51-80,
  Table 1: d = 5.00/day for mice 'primed with ligand-transduced cells,
  challenged with ligand-transduced cells' (same group, same Diefenbach
  2001 data), used below as the 'larger d'.
* ``shared/validation.md`` section 0.2: NK steady state sigma/f = 3.155e5 and
  the escape of challenges 1e4-1e8 to T = 9.77e8 with L = 4.5e4 by day 200
  ([RUN]).  Where the catalogue and the paper disagree, the paper wins; no
  disagreement was found for these checks.

Start of every simulation: NK cells at their tumour-free level sigma/f, no
tumour-specific CD8+ T cells (L = 0), and the tumour challenge.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import root

from oncoimmune import simulate
from oncoimmune.library import get_model


@pytest.fixture(scope="module")
def model():
    return get_model("depillis2005")


def test_every_parameter_cites_the_paper(model):
    """Every parameter cites de Pillis et al. 2005 and its table."""
    for p in model.parameters:
        assert "de Pillis" in p.source.citation and "Table 1" in p.source.location, p.name


def test_nk_steady_state(model):
    """Tumour-free NK level sigma/f = 3.155e5 cells, relative tolerance 1e-3.

    Source: catalogue section 0.2 ([RUN]), from sigma = 1.3e4 cells/day and
    f = 0.0412/day (de Pillis et al. 2005, Table 1).  Measured as the root of
    the compiled RHS at T = 0 (with L = 0 the CD8+ kill law is 0/0 in the
    paper's form; the module's floored form gives 0).
    """
    cm = model.compile()
    f, J, p = cm.rhs(np), cm.jacobian(np), cm.p0
    sol = root(lambda y: f(0.0, y, p), [0.0, 1e5, 0.0], jac=lambda y: J(0.0, y, p), method="hybr")
    assert sol.success
    T, N, L = sol.x
    assert abs(T) < 1e-9 and abs(L) < 1e-9
    assert N == pytest.approx(3.155e5, rel=1e-3)
    P = model.parameter_values
    assert P["sigma"] / P["f"] == pytest.approx(3.155e5, rel=1e-3)


@pytest.mark.parametrize("challenge", [1e4, 1e5, 1e6, 1e7, 1e8])
def test_wild_type_challenges_escape(model, challenge):
    """Wild-type challenges of 1e4-1e8 cells escape to T = 9.77e8 with L = 4.5e4 by day 200 (1 %).

    Source: catalogue section 0.2 ([RUN]) with the mouse set of de Pillis et
    al. 2005, Table 1 (d = 1.43, lambda = 0.58, s = 2.73).
    """
    P = model.parameter_values
    init = {"T": challenge, "N": P["sigma"] / P["f"], "L": 0.0}
    ds = simulate(model, 200, initial=init, saveat=[0.0, 200.0])
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    assert ds["T"].values[-1] == pytest.approx(9.77e8, rel=0.01)
    assert ds["L"].values[-1] == pytest.approx(4.5e4, rel=0.01)


@pytest.mark.parametrize("challenge", [1e4, 1e5, 1e6])
def test_larger_cd8_lysis_controls_the_tumour(model, challenge):
    """With a larger CD8+ lysis saturation d the same challenge is controlled.

    Source: de Pillis et al. 2005 (qualitative result: ligand-transduced
    tumours, fitted with stronger CD8+ lysis, are controlled; wild-type
    tumours escape); catalogue section 0.2 [PAPER].  Larger d = 5.00/day from
    de Pillis et al. 2008, J Biol Syst 16:51, Table 1 (ligand-primed,
    ligand-challenged mice), lambda and s kept at the 2005 values.
    'Escapes': T(200 d) > 9e8 at d = 1.43; 'controlled': T(200 d) < 1 cell at
    d = 5 and T never above ten times the challenge.
    """
    P = model.parameter_values
    init = {"T": challenge, "N": P["sigma"] / P["f"], "L": 0.0}
    wt = simulate(model, 200, initial=init, saveat=np.arange(0.0, 200.1, 1.0))
    strong = simulate(model, 200, initial=init, parameters={"d": 5.0}, saveat=np.arange(0.0, 200.1, 1.0))
    assert wt.attrs["status"] == "ok" and strong.attrs["status"] == "ok"
    assert wt["T"].values[-1] > 9e8
    assert strong["T"].values[-1] < 1.0
    assert strong["T"].values.max() < 10 * challenge


def test_final_tumour_decreases_with_d(model):
    """T(200 d) after a 1e6 challenge does not increase as d grows (1.43 to 10 /day).

    Property check of the CD8+ lysis law, no published number: the paper's
    qualitative result requires stronger lysis never to help the tumour.
    """
    P = model.parameter_values
    init = {"T": 1e6, "N": P["sigma"] / P["f"], "L": 0.0}
    finals = []
    for d in (1.43, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0):
        ds = simulate(model, 200, initial=init, parameters={"d": d}, saveat=[0.0, 200.0])
        assert ds.attrs["status"] == "ok"
        finals.append(ds["T"].values[-1])
    assert np.all(np.diff(finals) <= 1e-9 * np.max(finals))


def test_ratio_law_is_safe_at_zero(model):
    """The CD8+ lysis law stays finite at T = 0, at L = 0 and at both; D lies in [0, d].

    Property check of the documented floor (module docstring): the RHS, the
    Jacobian and the observables are finite without warnings at the corners,
    and a run that clears the tumour to below 1e-12 cells completes.
    """
    cm = model.compile()
    f, J, g, p = cm.rhs(np), cm.jacobian(np), cm.observables(np), cm.p0
    d = model.parameter("d").value
    i_D = cm.observable_names.index("cd8_lysis_fraction")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for y in ([0.0, 3e5, 0.0], [0.0, 3e5, 1e4], [1e6, 3e5, 0.0], [1e-20, 3e5, 1e-20], [1e6, 3e5, -1e-15]):
            y = np.array(y)
            assert np.all(np.isfinite(f(0.0, y, p)))
            assert np.all(np.isfinite(J(0.0, y, p)))
            D = g(0.0, y, p)[i_D]
            assert 0.0 <= D <= d
        ds = simulate(model, 200, parameters={"d": 5.0}, initial={"T": 1e4}, saveat=[0.0, 100.0, 200.0])
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    assert ds["T"].values[-1] < 1e-12
    # CD8+ kill fraction saturates at d as T -> 0 (L/T -> infinity)
    assert ds["cd8_lysis_fraction"].values[-1] == pytest.approx(5.0, rel=1e-6)
