"""Wodarz 2001 (Cancer Res 61:3501): oncolytic virus with virus-specific CTL (virus-only submodel).

Numbers from ``shared/validation.md`` section 4.1 ([RUN]: analytic equilibria
of the BioModels BIOMD0000001043 parameter set, the paper's Fig. 3A
parameters); the CTL check is the paper's qualitative scenario (b) [PAPER].
The oracle is libroadrunner on that SBML file, with an explicit id map.
"""

from __future__ import annotations

import numpy as np
import pytest

from oncoimmune._errors import ScheduleError
from oncoimmune.library import get_model, list_models
from oncoimmune.library import wodarz2001 as wod
from oncoimmune.model import Event
from oncoimmune.simulate import simulate

SBML_NAME = "wodarz2001-viruses-as-antitumor-weapons__BIOMD0000001043.xml"
STATE_MAP = {"x": "uninfected_tumor_cells", "y": "infected_tumor_cells", "zv": "virus_specific_CTLs"}
PARAM_MAP = {
    "r": "r",
    "k": "k",
    "d": "d",
    "beta": "beta",
    "s": "s",
    "a": "a",
    "p_v": "p_v",
    "c_v": "c_v",
    "b": "b",
}

#: illustrative virus-specific CTL parameters (the paper's scenario (b) needs p_v, c_v, b > 0;
#: Fig. 3A values of these three are not in the encoding)
CTL = {"p_v": 1.0, "c_v": 0.5, "b": 0.1}


@pytest.fixture(scope="module")
def model():
    return wod.build()


@pytest.fixture(scope="module")
def sbml_path(shared_dir):
    p = shared_dir / "data" / "biomodels" / SBML_NAME
    if not p.exists():
        pytest.skip(f"{SBML_NAME} not in shared data")
    return p


@pytest.fixture(scope="module")
def rr_run(sbml_path):
    rr_mod = pytest.importorskip("roadrunner")
    rr = rr_mod.RoadRunner(str(sbml_path))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-16

    def run(params: dict[str, float], times: np.ndarray) -> dict[str, np.ndarray]:
        rr.resetAll()
        for k, v in params.items():
            rr[PARAM_MAP[k]] = v
        res = rr.simulate(float(times[0]), float(times[-1]), len(times), ["time"] + list(STATE_MAP.values()))
        return {k: np.asarray(res[:, 1 + i]) for i, k in enumerate(STATE_MAP)}

    return run


def test_registered_and_sourced(model):
    assert "wodarz2001" in {m["id"] for m in list_models()}
    assert get_model("wodarz2001").id == "wodarz2001"
    for p in model.parameters:
        assert p.source.citation and p.source.location, p.name
    assert model.terms_with_role("tumour_growth")


def test_untreated_equilibrium(model):
    """validation.md 4.1 [RUN]: without virus the tumour settles at k(1 - d/r) = 13.6."""
    assert 17.0 * (1 - 0.1 / 0.5) == pytest.approx(13.6)
    ds = simulate(model, 500.0, initial={"y": 0.0}, saveat=[0.0, 500.0])
    assert ds["x"].values[-1] == pytest.approx(13.6, rel=1e-3)


def test_virus_equilibrium(model):
    """validation.md 4.1 [RUN]: x* = a/beta = 0.2, y* = 0.7444, total 0.9444 = 93.1 % below 13.6; the
    simulation converges there by t = 2e4."""
    pv = model.parameter_values
    x_star = pv["a"] / pv["beta"]
    y_star = (pv["r"] - pv["d"] - pv["r"] * x_star / pv["k"]) / (pv["r"] / pv["k"] + pv["beta"])
    assert x_star == pytest.approx(0.2, rel=1e-3)
    assert y_star == pytest.approx(0.7444, rel=1e-3)
    ds = simulate(model, 2.0e4, saveat=[0.0, 2.0e4])
    assert ds["x"].values[-1] == pytest.approx(0.2, rel=1e-3)
    assert ds["y"].values[-1] == pytest.approx(0.7444, rel=1e-3)
    total = ds["tumour_total"].values[-1]
    assert total == pytest.approx(0.9444, rel=1e-3)
    assert 1 - total / 13.6 == pytest.approx(0.931, rel=1e-3)


def test_virus_specific_ctl_prevent_remission(model):
    """Wodarz 2001 scenario (b) [PAPER, qualitative]: an anti-viral CTL response can prevent remission.

    With CTL (seeded at t = 20 as in the BioModels event) the infected cells are held at b/c_v and the
    tumour regrows to k(1 - (d + beta b/c_v)/r) = 10.2, an order of magnitude above the virus-only 0.944.
    """
    evs = [wod.ctl_challenge_event()]
    ds = simulate(model, 2000.0, parameters=CTL, events=evs, saveat=np.linspace(0.0, 2000.0, 401))
    assert ds.attrs["status"] == "ok"
    total = ds["tumour_total"].values[-1]
    assert ds["y"].values[-1] == pytest.approx(CTL["b"] / CTL["c_v"], rel=1e-3)
    assert total == pytest.approx(17.0 * (1 - (0.1 + 0.5 * CTL["b"] / CTL["c_v"]) / 0.5), rel=1e-3)
    no_ctl = simulate(model, 2000.0, events=evs, saveat=[0.0, 2000.0])["tumour_total"].values[-1]
    assert total > 10 * no_ctl


def test_injection_events_drive_the_virus(model):
    """Intralesional injections into an established untreated tumour (x = 13.6): exact jumps of y."""
    evs = wod.injection_events([10.0, 31.0, 45.0], 0.05, label="T-VEC-like schedule")
    assert all(isinstance(e, Event) and e.target == "y" and e.op == "add" for e in evs)
    start = {"x": 13.6, "y": 0.0}
    t = np.array([0.0, 9.999, 10.0, 2.0e4])
    ds = simulate(model, 2.0e4, initial=start, events=evs, saveat=t)
    y = ds["y"].values
    assert y[1] == 0.0 and y[2] == pytest.approx(0.05)  # the dose lands at t = 10 exactly
    assert ds["tumour_total"].values[-1] == pytest.approx(0.9444, rel=1e-3)
    untreated = simulate(model, 2.0e4, initial=start, saveat=[0.0, 2.0e4])["x"].values[-1]
    assert untreated == pytest.approx(13.6, rel=1e-6)
    per_dose = wod.injection_events([1.0, 2.0], [0.1, 0.2])
    assert [e.value for e in per_dose] == [0.1, 0.2]
    with pytest.raises(ScheduleError):
        wod.injection_events([1.0, 2.0], [0.1])


def test_parameters_match_sbml(sbml_path, model):
    libsbml = pytest.importorskip("libsbml")
    sm = libsbml.readSBML(str(sbml_path)).getModel()
    for ours, theirs in PARAM_MAP.items():
        assert model.parameter(ours).value == pytest.approx(sm.getParameter(theirs).getValue(), rel=1e-12)
    for ours, theirs in STATE_MAP.items():
        assert model.state(ours).initial == pytest.approx(sm.getSpecies(theirs).getInitialConcentration())


@pytest.mark.parametrize("params", [{}, CTL], ids=["no_ctl", "ctl"])
def test_trajectories_match_oracle(model, rr_run, params):
    """libroadrunner on the SBML (which carries the CTL event zv := 0.001 at t = 20) vs this module.

    The virus-tumour oscillations have deep troughs (x ~ 3e-4) that amplify integration error, so two
    solvers at rtol 1e-10 agree to ~3e-5 over 400 days; the tolerance is 1e-4.
    """
    times = np.linspace(0.0, 400.0, 201)
    ref = rr_run(params, times)
    ds = simulate(
        model,
        400.0,
        parameters=params,
        events=[wod.ctl_challenge_event()],
        saveat=times,
        rtol=1e-10,
        atol=1e-16,
    )
    for k in STATE_MAP:
        np.testing.assert_allclose(ds[k].values, ref[k], rtol=1e-4, atol=1e-10, err_msg=k)
