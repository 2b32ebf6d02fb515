"""Checks of the Kimmel, Locke & Altrock (2021) model, library module ``kimmel2021_cart``.

Sources
-------
* Kimmel GJ, Locke FL, Altrock PM (2021). Proc R Soc B 288:20210229
  (doi:10.1098/rspb.2021.0229): model (Section 2), Table 1, Supplementary
  Table 1, Fig. 2(a,b) (fit to ZUMA-1 population data) and the statements of
  the abstract checked qualitatively below: CAR-T cells "rapidly grow ... but
  experience an emerging growth rate disadvantage compared to normal T
  cells"; "tumour eradication is deterministically unstable"; "LD before a
  second CAR T injection is necessary".
* BioModels BIOMD0000001041: the curated SBML, whose note says it reproduces
  Fig. 2(a,b) with the Supplementary Table 1 fit but ``r_N`` and ``rho_C``
  from the main-text Table 1. It serves as the independent oracle.
* ``shared/validation.md`` section 5.2 ([REG]: regression values of an
  independent run of the encoded equations, not numbers printed in the
  paper). The catalogue's event times (B < 1 "at day 6.4", B < 0.01 "at day
  11.1") are the first points of a 0.1-day grid past the crossing; measured
  crossings are 6.35 and 11.04 d, so the checks assert the crossing lies in
  the grid interval ending at the catalogue value.

The paper's ZUMA-1 outcome numbers (durable responses, progression-free
survival) come from its stochastic extinction model, which is not
implemented here.
"""

from __future__ import annotations


import numpy as np
import pytest

from oncoimmune._data import shared_dir
from oncoimmune import simulate
from oncoimmune.biology import roles
from oncoimmune.library import get_model
from oncoimmune.library import kimmel2021_cart as kimmel
from oncoimmune.library.barros2021_cartmath import CART_EXPANSION
from oncoimmune.model import Event


@pytest.fixture(scope="module")
def model():
    return get_model("kimmel2021_cart")


@pytest.fixture(scope="module")
def run(model):
    save = np.unique(np.concatenate([np.arange(0.0, 30.0, 0.001), np.arange(30.0, 3000.0001, 1.0)]))
    # atol far below the default: the tumour passes through 1e-13 cells/uL (eradication check)
    ds = simulate(model, 3000.0, saveat=save, rtol=1e-10, atol=1e-18)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    return ds


def _crossing(t, y, level):
    i = int(np.nonzero(y < level)[0][0])
    a, b = np.log(y[i - 1]), np.log(y[i])
    return float(t[i - 1] + (np.log(level) - a) / (b - a) * (t[i] - t[i - 1]))


def test_parameters_and_initial_state(model):
    """Values as encoded in BIOMD0000001041 (Table 1 / Supplementary Table 1); each cites the paper.

    Source: Kimmel et al. 2021, Table 1 (r_N = 0.17, rho_C = 0.0251) and
    Supplementary Table 1 (the others), as curated by BioModels; initial
    post-lymphodepletion state N = 6, C = 0.36, B = 94.86 cells/uL.
    """
    published = {
        "K_N": 500.0,
        "K_C": 139.0,
        "r_N": 0.17,
        "rho_C": 0.0251,
        "a": 0.423,
        "b": 0.525,
        "r_B": 0.01,
        "gamma_B": 1.15,
        "k_B": 4.05,
    }
    assert model.parameter_values == published
    for p in model.parameters:
        assert "Kimmel" in p.source.citation and "Table 1" in p.source.location, p.name
    assert model.parameter("r_N").source.location == "Table 1 (main text)"
    assert model.initial_values == {"N": 6.0, "C": 0.36, "B": 94.86}
    assert model.tumour_state == "B"
    assert [t.name for t in model.terms_with_role(roles.KILL)] == ["tumour_kill"]
    assert [t.name for t in model.terms_with_role(CART_EXPANSION)] == ["cart_homeostasis"]
    assert [t.name for t in model.terms_with_role(kimmel.LYMPHOCYTE_HOMEOSTASIS)] == ["normal_t_homeostasis"]


def test_initial_cart_growth_rate(run):
    """r_C at infusion = 0.550063139372721 /day (the value BIOMD0000001041 stores for the rule).

    Source: BIOMD0000001041 (r_C = rho_C + b (L - K_N)^2/(a L^2 + (L - K_N)^2)
    at L = 6.36); tolerance 1e-12.
    """
    assert run["r_C"].values[0] == pytest.approx(0.550063139372721, rel=1e-12)
    assert run["L"].values[0] == pytest.approx(6.36, rel=1e-12)


def test_cart_peak(run):
    """CAR-T peak 30.1 cells/uL at day 7.0 (2 % on the level, 0.05 d on the time).

    Source: validation.md 5.2 ([REG]); Kimmel et al. 2021 Fig. 2(a) shows the
    fitted expansion peaking about a week after infusion.
    """
    t, C = run.time.values, run["C"].values
    i = int(np.argmax(C))
    assert C[i] == pytest.approx(30.1, rel=0.02)
    assert t[i] == pytest.approx(7.0, abs=0.05)


def test_cart_day28(run):
    """C(28) = 2.49 cells/uL, tolerance 2 %. Source: validation.md 5.2 ([REG])."""
    assert run["C"].sel(time=28.0).item() == pytest.approx(2.49, rel=0.02)


@pytest.mark.parametrize("level, grid_day", [(1.0, 6.4), (0.01, 11.1)])
def test_tumour_falls_below(run, level, grid_day):
    """B < 1 by day 6.4 and B < 0.01 by day 11.1 (catalogue values on a 0.1-day grid).

    Source: validation.md 5.2 ([REG]). Measured crossings 6.35 d and 11.04 d:
    the check asserts grid_day - 0.1 < crossing <= grid_day.
    """
    day = _crossing(run.time.values, run["B"].values, level)
    assert grid_day - 0.1 < day <= grid_day


def test_normal_t_cells_recover_to_kn(run, model):
    """N recovers to K_N = 500 cells/uL and CAR-T cells die out deterministically.

    Source: validation.md 5.2 ([REG]); Kimmel et al. 2021 (reconstitution of
    the lymphocyte pool after lymphodepletion).
    """
    assert run["N"].sel(time=365.0).item() == pytest.approx(model.parameter("K_N").value, rel=1e-6)
    assert run["C"].sel(time=365.0).item() < 1e-3


def test_growth_rate_disadvantage_emerges(run):
    """Per-capita growth of CAR-T cells falls below that of normal T cells and turns negative after the peak.

    Source: Kimmel et al. 2021, abstract ("an emerging growth rate
    disadvantage compared to normal T cells"). Per-capita rates
    -r_C ln(L/K_C) and -r_N ln(L/K_N).
    """
    p = get_model(kimmel.ID).parameter_values
    ds = run.sel(time=[1.0, 7.5, 14.0, 28.0])
    L, rC = ds["L"].values, ds["r_C"].values
    g_car = -rC * np.log(L / p["K_C"])
    g_nor = -p["r_N"] * np.log(L / p["K_N"])
    assert g_car[0] > g_nor[0]  # early: CAR-T cells grow faster
    assert np.all(g_car[1:] < 0) and np.all(g_nor[1:] > 0)  # after the peak: CAR-T contract, normal T grow
    # the boost of r_C fades as the lymphocyte pool refills (0.55 -> rho_C)
    assert run["r_C"].sel(time=365.0).item() == pytest.approx(p["rho_C"], rel=1e-3)


def test_eradication_is_deterministically_unstable(run):
    """B never reaches 0: it bottoms out and regrows once C < k_B r_B/(gamma_B - r_B).

    Source: Kimmel et al. 2021, abstract ("tumour eradication is
    deterministically unstable in our model, we define cure as a stochastic
    event"). The threshold follows from dB/dt = B (r_B - gamma_B C/(k_B + C)).
    """
    p = get_model(kimmel.ID).parameter_values
    c_star = p["k_B"] * p["r_B"] / (p["gamma_B"] - p["r_B"])
    B, C = run["B"].values, run["C"].values
    i = int(np.argmin(B))
    assert 1e-14 < B[i] < 1e-12  # minimum 7.5e-14 cells/uL near day 160
    # the minimum is where C crosses c_star (daily grid)
    assert C[i - 1] > c_star * 0.99 and C[i + 1] < c_star * 1.01
    assert B[-1] > 1e3 * B[i]  # regrowth by day 3000


def test_second_infusion_needs_lymphodepletion():
    """A second CAR-T dose at day 180 expands only if lymphodepletion resets the normal T cells.

    Source: Kimmel et al. 2021, abstract ("our model implies that LD before a
    second CAR T injection is necessary"). Modelled as events: C += 0.36 at
    day 180, with or without N set to its post-LD value 6 cells/uL.
    """
    m = get_model(kimmel.ID)
    dose = Event(180.0, "C", "add", 0.36, label="second CAR-T infusion")
    ld = Event(180.0, "N", "set", 6.0, label="lymphodepletion")
    save = np.arange(180.0, 240.0, 0.05)
    peaks = {}
    for name, evs in (("no_ld", (dose,)), ("ld", (ld, dose))):
        ds = simulate(m, 240.0, events=evs, saveat=save)
        assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
        peaks[name] = float(ds["C"].max()) / ds["C"].values[0]
    assert peaks["no_ld"] == pytest.approx(1.0, abs=1e-9)  # no expansion: the infused level is the maximum
    assert peaks["ld"] > 10.0


# SBML oracle ---------------------------------------------------------------------------------------
SBML = (
    shared_dir()
    / "data"
    / "biomodels"
    / "kimmel2021-t-cell-competition-and-stochastic-extinction-even__BIOMD0000001041.xml"
)
#: our parameter -> SBML global parameter id
PARAMETER_MAP = {k: k for k in ("K_N", "K_C", "r_N", "rho_C", "a", "b", "r_B", "gamma_B", "k_B")}
#: our observable -> SBML assignment-rule target
RULE_MAP = {"r_C": "r_C", "L": "Total_lymphocyte_count"}
#: our state -> SBML species id
STATE_MAP = {"N": "Normal_T_cells", "C": "CAR_T_cells", "B": "Antigen_presenting_tumour_cells"}


def _runner():
    libsbml = pytest.importorskip(
        "libsbml", reason="python-libsbml not installed (pip install oncoimmune[sbml])"
    )
    roadrunner = pytest.importorskip(
        "roadrunner", reason="libroadrunner not installed (pip install oncoimmune[sbml])"
    )
    if not SBML.is_file():
        pytest.skip(
            f"shared BioModels file not found: {SBML.resolve()} (needs <repo>/../shared/data/biomodels)"
        )
    doc = libsbml.readSBMLFromFile(str(SBML))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0, doc.getErrorLog().toString()
    rr = roadrunner.RoadRunner(libsbml.writeSBMLToString(doc))
    rr.integrator.relative_tolerance = 1e-12
    rr.integrator.absolute_tolerance = 1e-12
    rr.integrator.maximum_num_steps = 1_000_000
    return rr


def test_parameter_values_match_sbml(model):
    """Every parameter and initial value equals BIOMD0000001041 (explicit id maps)."""
    rr = _runner()
    sbml = {pid: float(rr[pid]) for pid in rr.model.getGlobalParameterIds()}
    ours = model.parameter_values
    assert set(PARAMETER_MAP) == set(ours)
    diffs = [
        f"{k}: ours {ours[k]!r}, SBML {sbml[s]!r}" for k, s in PARAMETER_MAP.items() if ours[k] != sbml[s]
    ]
    assert not diffs, "; ".join(diffs)
    assert set(sbml) - set(PARAMETER_MAP.values()) == {"r_C"}  # the rule target: our observable r_C
    for k, sid in STATE_MAP.items():
        assert model.initial_values[k] == pytest.approx(float(rr[f"init([{sid}])"]), rel=1e-12), k


def test_trajectories_match_roadrunner(model):
    """States and the rule quantities (r_C, L) agree with libroadrunner on the SBML over 365 days.

    Relative error with denominator max(|y|, 1e-6 cells/uL) below 1e-4 on a
    grid of 0.5 d to day 30, then every 5 d. Our rtol 1e-10, atol 1e-12.
    """
    rr = _runner()
    times = np.unique(np.concatenate([np.arange(0.0, 30.0, 0.5), np.arange(30.0, 365.0001, 5.0)]))
    cols = {**STATE_MAP, **RULE_MAP}
    rr.timeCourseSelections = ["time"] + [
        f"[{s}]" if k in STATE_MAP or k == "L" else s for k, s in cols.items()
    ]
    ref = np.asarray(rr.simulate(times=times))
    assert np.allclose(ref[:, 0], times)
    ds = simulate(model, 365.0, saveat=times, rtol=1e-10, atol=1e-12)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    worst = []
    for col, name in enumerate(cols, start=1):
        ours, theirs = ds[name].values, ref[:, col]
        err = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-6)
        worst.append((float(err.max()), name, float(times[int(err.argmax())])))
    assert max(worst)[0] < 1e-4, f"largest relative error {max(worst)}"
