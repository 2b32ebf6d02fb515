"""Published checks of CARTmath (Barros et al. 2021), library module ``barros2021_cartmath``.

Sources
-------
* Barros LRC et al. (2021). Cancers 13:2941 (doi:10.3390/cancers13122941):
  model equations, parameter table (HDLM-2 and RAJI columns), Fig. 3a
  (HDLM-2: CAR-T infusion, cure and rejection of a rechallenge at day 250
  by memory CAR-T cells, as in the mice of Ruella et al. 2017), Fig. 3b-d
  (RAJI, RAJI-IDO+, RAJI-IDO+ with 1-MT).
* The authors' CARTmath app v19 (github.com/tmglncc/CARTmath; manual and
  ``server.R``): the experiment of each figure (cell numbers, days) and the
  parameter values, which match BioModels BIOMD0000001019/1020.
* ``shared/validation.md`` section 5.1: numeric checks computed on the
  BioModels encoding ([RUN]/[REG]).

Where the catalogue and the paper disagree, the paper wins: the catalogue
(like BIOMD0000001019) injects the CAR-T cells at day 45, the paper's Fig. 3a
experiment (authors' app, dataset II: "CAR-T cell injection on day 42") at
day 42. The library's default experiment is therefore day 42; the
catalogue's numbers are checked on the day-45 variant
(``default_events(cart_day=45)``), whose published values they are.
"""

from __future__ import annotations


import numpy as np
import pytest

from oncoimmune._data import shared_dir
from oncoimmune import simulate
from oncoimmune.biology import roles
from oncoimmune.library import barros2021_cartmath as cartmath
from oncoimmune.library import default_days, default_events, get_model


@pytest.fixture(scope="module")
def model():
    return get_model("barros2021_cartmath")


def _first_below(t, y, level, after):
    """First time after ``after`` at which ``y`` falls below ``level`` (log-linear interpolation)."""
    idx = np.nonzero((t > after) & (y < level))[0]
    assert idx.size, f"never below {level} after day {after}"
    i = int(idx[0])
    y0, y1 = np.log(max(y[i - 1], 1e-300)), np.log(max(y[i], 1e-300))
    return float(t[i - 1] + (np.log(level) - y0) / (y1 - y0) * (t[i] - t[i - 1]))


@pytest.fixture(scope="module")
def biomodels_run(model):
    """HDLM-2 with the BioModels/catalogue timing: CAR-T 2e6 at day 45, rechallenge 1e6 at day 250."""
    save = np.unique(np.concatenate([np.arange(0.0, 400.0001, 1.0), np.arange(44.0, 50.0, 0.002)]))
    ds = simulate(model, 400.0, events=cartmath.default_events(cart_day=45.0), saveat=save)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    return ds


@pytest.fixture(scope="module")
def paper_run(model):
    """The library's default experiment (paper Fig. 3a): CAR-T at day 42, rechallenge at day 250, 500 days."""
    save = np.unique(np.concatenate([np.arange(0.0, 500.0001, 1.0), np.arange(41.0, 47.0, 0.002)]))
    ds = simulate(model, default_days(cartmath.ID), events=default_events(cartmath.ID), saveat=save)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    return ds


# parameters -------------------------------------------------------------------------------
PUBLISHED = {
    #           HDLM-2         RAJI
    "phi": (0.265, 0.83),
    "rho": (0.35, 0.8300536),
    "theta": (6.0e-6, 2.3e-4),
    "alpha": (4.5e-8, 1.248506e-8),
    "epsilon": (0.15, 1.59795),
    "mu": (5.0e-3, 6.89e-7),
    "r": (0.05650026, 0.5071721),
    "b": (1.404029e-12, 0.0),
    "gamma": (3.715843e-6, 3.365388e-8),
}


@pytest.mark.parametrize("line, col", [("hdlm2", 0), ("raji", 1)])
def test_parameters_are_the_published_sets(line, col):
    """Every value equals the paper's parameter table (HDLM-2 / RAJI columns) and cites the paper.

    Source: Barros et al. 2021, parameter table, as distributed in the authors'
    CARTmath app (server.R) and in BIOMD0000001019/1020.
    """
    m = cartmath.build(line)
    assert set(m.parameter_names) == set(PUBLISHED)
    for name, values in PUBLISHED.items():
        p = m.parameter(name)
        assert p.value == values[col], name
        assert "Barros" in p.source.citation and "table" in p.source.location, name
        assert p.source.doi == "10.3390/cancers13122941"


def test_raji_ido_scenarios_change_only_alpha():
    """RAJI-IDO+ (Fig. 3c) and RAJI-IDO+ with 1-MT (Fig. 3d) differ from RAJI only in alpha.

    Source: Barros et al. 2021 Fig. 3c,d; alpha = 1.461699e-8 and 1.261662e-8
    (authors' CARTmath app, datasets V and VI).
    """
    base = cartmath.build("raji").parameter_values
    for line, alpha in (("raji_ido", 1.461699e-8), ("raji_ido_1mt", 1.261662e-8)):
        vals = cartmath.build(line).parameter_values
        assert vals.pop("alpha") == alpha
        assert vals == {k: v for k, v in base.items() if k != "alpha"}


def test_unknown_cell_line_is_refused():
    """An unknown cell line or an infusion after the rechallenge is refused with the valid choices."""
    with pytest.raises(KeyError, match="valid choices: hdlm2, raji, raji_ido, raji_ido_1mt"):
        cartmath.build("jurkat")
    with pytest.raises(ValueError, match="cart_day must lie in"):
        cartmath.default_events(cart_day=300.0)


def test_roles_and_observables(model):
    """Terms carry the shared roles plus the documented CAR-T roles; tumour observables exist."""
    assert [t.name for t in model.terms_with_role(roles.KILL)] == ["tumour_kill"]
    assert [t.name for t in model.terms_with_role(roles.INACTIVATION)] == ["effector_inhibition"]
    assert [t.name for t in model.terms_with_role(cartmath.MEMORY_ACTIVATION)] == ["memory_activation"]
    assert [t.name for t in model.terms_with_role(cartmath.CART_EXPANSION)] == ["cart_proliferation"]
    assert model.tumour_state == "T"
    assert {"tumour_diameter", "tumour_kill_rate", "crs_risk_proxy"} <= set(model.observable_names)


# the default experiment ----------------------------------------------------------------------
def test_default_experiment_is_fig3a():
    """Default experiment: T0 = 2e6; 2e6 CAR-T cells at day 42; 1e6 tumour cells at day 250; 500 days.

    Source: Barros et al. 2021 Fig. 3a as set up by the authors' CARTmath app
    (manual, dataset II). validation.md and BIOMD0000001019 say day 45: the
    paper wins (module docstring).
    """
    evs = default_events(cartmath.ID)
    assert [(e.time, e.target, e.op, e.value) for e in evs] == [
        (42.0, "Ct", "add", 2.0e6),
        (250.0, "T", "add", 1.0e6),
    ]
    assert default_days(cartmath.ID) == 500.0
    assert get_model(cartmath.ID).initial_values == {"Ct": 0.0, "Cm": 0.0, "T": 2.0e6}
    raji = cartmath.default_events("raji")
    assert [(e.time, e.target, e.value) for e in raji] == [(7.0, "Ct", 1.0e7)]
    assert cartmath.build("raji").initial_values["T"] == 3.0e6


# catalogue checks on the BioModels timing (day 45) -------------------------------------------
def test_tumour_at_infusion_day45(biomodels_run):
    """T just before the day-45 infusion = 2.54e7 cells, tolerance 2 %.

    Source: validation.md 5.1 ([RUN] on BIOMD0000001019).
    """
    t = biomodels_run.time.values
    T = biomodels_run["T"].values
    T45 = np.exp(np.interp(45.0 - 1e-9, t[t < 45.0], np.log(T[t < 45.0])))
    assert T45 == pytest.approx(2.54e7, rel=0.02)


def test_clearance_day45(biomodels_run):
    """The tumour falls below one cell at day 47.8 +/- 0.5.

    Source: validation.md 5.1 ([RUN]); Barros et al. 2021 Fig. 3a shows the
    rapid elimination after the infusion.
    """
    day = _first_below(biomodels_run.time.values, biomodels_run["T"].values, 1.0, after=45.0)
    assert day == pytest.approx(47.8, abs=0.5)


@pytest.mark.parametrize("day, published", [(60.0, 2.10e6), (249.0, 1.19e6)])
def test_memory_pool_day45(biomodels_run, day, published):
    """Memory CAR-T cells Cm(60) = 2.10e6 and Cm(249) = 1.19e6, tolerance 2 %.

    Source: validation.md 5.1 ([RUN] on BIOMD0000001019).
    """
    assert biomodels_run["Cm"].sel(time=day).item() == pytest.approx(published, rel=0.02)


def test_rechallenge_rejected_day45(biomodels_run):
    """The 1e6-cell rechallenge at day 250 is rejected: T < 1 cell on days 260-400.

    Source: Barros et al. 2021 Fig. 3a (memory-mediated protection, as in
    Ruella et al. 2017) and validation.md 5.1.
    """
    ds = biomodels_run.sel(time=slice(260.0, 400.0))
    assert float(ds["T"].max()) < 1.0
    # memory cells were recruited: Ct jumps up after the rechallenge
    assert biomodels_run["Ct"].sel(time=252.0).item() > 1e5 > biomodels_run["Ct"].sel(time=249.0).item()


# the paper's timing (day 42, the library default) -------------------------------------------
def test_default_run_cures_and_protects(paper_run):
    """Default experiment: cure within 3 days of the day-42 infusion, a lasting memory pool, rejection.

    Source: Barros et al. 2021 Fig. 3a (qualitative: elimination after the
    infusion, memory CAR-T persistence, rechallenge at day 250 rejected).
    Regression values of this run are in docs/models/cart.md.
    """
    t, T = paper_run.time.values, paper_run["T"].values
    assert 42.0 < _first_below(t, T, 1.0, after=42.0) < 45.0
    assert paper_run["Cm"].sel(time=249.0).item() > 1e6
    assert float(paper_run["T"].sel(time=slice(260.0, 500.0)).max()) < 1.0


# RAJI ------------------------------------------------------------------------------------------
def test_raji_escape_regression():
    """RAJI (default alpha, Fig. 3b): Ct peaks at 1.28e7 near day 8.9, then the tumour escapes.

    T(21) = 1.97e10 cells.

    Source: validation.md 5.1 ([REG]: regression of the BioModels encoding,
    not a number printed in the paper); tolerance 2 % on values, 0.1 d on
    the peak time.
    """
    m = cartmath.build("raji")
    save = np.arange(0.0, 21.0001, 0.005)
    ds = simulate(m, 21.0, events=cartmath.default_events("raji"), saveat=save)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    Ct = ds["Ct"].values
    i = int(np.argmax(Ct))
    assert Ct[i] == pytest.approx(1.28e7, rel=0.02)
    assert save[i] == pytest.approx(8.9, abs=0.1)
    assert ds["T"].sel(time=21.0).item() == pytest.approx(1.97e10, rel=0.02)


def test_ido_inhibits_and_1mt_restores():
    """IDO (higher alpha) lowers the CAR-T peak; 1-MT brings it back towards RAJI.

    Source: Barros et al. 2021 Fig. 3b-d (Ninomiya et al. 2015: tumour IDO
    inhibits CD19 CAR-T cells, the IDO inhibitor 1-MT restores them).
    """
    peaks = {}
    for line in ("raji", "raji_ido", "raji_ido_1mt"):
        ds = simulate(
            cartmath.build(line),
            15.0,
            events=cartmath.default_events(line),
            saveat=np.arange(7.0, 15.0, 0.01),
        )
        assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
        peaks[line] = float(ds["Ct"].max())
    assert peaks["raji_ido"] < peaks["raji_ido_1mt"] < peaks["raji"]


# observables -------------------------------------------------------------------------------------
def test_crs_proxy_is_scaled_kill_rate(biomodels_run, model):
    """crs_risk_proxy = gamma*Ct*T / 1e6: zero before the infusion, peaking within days after it.

    Documented proxy (module docstring: Hanson et al. 2016, BIOMD0000000837,
    cytokine drive ~ tumour x effector CAR-T; Teachey et al. 2016).
    """
    ds = biomodels_run
    gamma = model.parameter("gamma").value
    expected = gamma * ds["Ct"].values * ds["T"].values / 1e6
    assert np.allclose(ds["crs_risk_proxy"].values, expected, rtol=1e-12, atol=0.0)
    assert np.allclose(ds["tumour_kill_rate"].values, expected * 1e6, rtol=1e-12, atol=0.0)
    assert float(ds["crs_risk_proxy"].sel(time=slice(0.0, 44.9)).max()) == 0.0
    t_peak = float(ds.time.values[int(np.argmax(ds["crs_risk_proxy"].values))])
    assert 45.0 <= t_peak < 48.0


def test_tumour_diameter(biomodels_run):
    """tumour_diameter is the sphere of T cells at 1e9 cells/cm^3 (2.54e7 cells: about 3.6 mm)."""
    ds = biomodels_run.sel(time=40.0)
    expected = 10.0 * (6.0 * ds["T"].item() / 1e9 / np.pi) ** (1.0 / 3.0)
    assert ds["tumour_diameter"].item() == pytest.approx(expected, rel=1e-9)


# SBML oracle ------------------------------------------------------------------------------------
BIOMODELS = shared_dir() / "data" / "biomodels"
FILES = {
    "hdlm2": "barros2021-cartmath-mathematical-of-car-t-immunotherapy-in-h__BIOMD0000001019.xml",
    "raji": "barros2021-cartmath-mathematical-of-car-t-immunotherapy-in-r__BIOMD0000001020.xml",
}
#: our parameter name -> SBML global parameter id (BioModels renames rho, r, b)
PARAMETER_MAP = {
    "phi": "phi",
    "rho": "pi",
    "theta": "theta",
    "alpha": "alpha",
    "epsilon": "epsilon",
    "mu": "mu",
    "r": "rho",
    "b": "beta",
    "gamma": "gamma",
}
#: our state -> SBML species id
STATE_MAP = {"Ct": "Ct", "Cm": "Cm", "T": "T"}
#: SBML-only parameters: the RAJI scenario switches (and their initial-assignment copies)
SWITCHES = {"Raji_IDO_CAT19", "Raji_IDO_CART_19_1MT", "ModelValue_9", "ModelValue_10"}
#: our cell line -> the SBML switch that selects its alpha
SCENARIO = {"raji": None, "raji_ido": "Raji_IDO_CAT19", "raji_ido_1mt": "Raji_IDO_CART_19_1MT"}


def _sbml_libs():
    libsbml = pytest.importorskip(
        "libsbml", reason="python-libsbml not installed (pip install oncoimmune[sbml])"
    )
    roadrunner = pytest.importorskip(
        "roadrunner", reason="libroadrunner not installed (pip install oncoimmune[sbml])"
    )
    return libsbml, roadrunner


def _document(line: str):
    libsbml, _ = _sbml_libs()
    path = BIOMODELS / FILES["hdlm2" if line == "hdlm2" else "raji"]
    if not path.is_file():
        pytest.skip(
            f"shared BioModels file not found: {path.resolve()} (needs <repo>/../shared/data/biomodels)"
        )
    doc = libsbml.readSBMLFromFile(str(path))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0, doc.getErrorLog().toString()
    switch = SCENARIO.get(line)
    if switch:
        assert doc.getModel().getParameter(switch).setValue(1.0) == libsbml.LIBSBML_OPERATION_SUCCESS
    return doc


def _runner(doc):
    libsbml, roadrunner = _sbml_libs()
    rr = roadrunner.RoadRunner(libsbml.writeSBMLToString(doc))
    rr.integrator.relative_tolerance = 1e-12
    rr.integrator.absolute_tolerance = 1e-12
    rr.integrator.maximum_num_steps = 1_000_000
    return rr


@pytest.mark.parametrize("line", ["hdlm2", "raji", "raji_ido", "raji_ido_1mt"])
def test_parameter_values_match_sbml(line):
    """Every parameter equals the SBML value through the explicit id map.

    Source: BIOMD0000001019 (HDLM-2) and BIOMD0000001020 (RAJI; alpha chosen
    by the scenario switches). Known difference: the SBML stores the 1-MT
    alpha rounded to 1.26166e-8; the paper/app value 1.261662e-8 is ours
    (relative difference 1.6e-6, checked separately).
    """
    rr = _runner(_document(line))
    sbml = {pid: float(rr[pid]) for pid in rr.model.getGlobalParameterIds()}
    ours = cartmath.build(line).parameter_values
    assert set(PARAMETER_MAP) == set(ours)
    diffs = []
    for k, sid in PARAMETER_MAP.items():
        if line == "raji_ido_1mt" and k == "alpha":
            assert sbml[sid] == 1.26166e-8 and ours[k] == 1.261662e-8
            continue
        if ours[k] != pytest.approx(sbml[sid], rel=1e-12, abs=0.0):
            diffs.append(f"{k} (SBML {sid}): ours {ours[k]!r}, SBML {sbml[sid]!r}")
    assert not diffs, "; ".join(diffs)
    unmapped = set(sbml) - set(PARAMETER_MAP.values()) - SWITCHES
    assert not unmapped, f"SBML parameters not accounted for: {sorted(unmapped)}"


def _set_trigger_day(doc, event_id: str, day: float):
    libsbml, _ = _sbml_libs()
    ev = doc.getModel().getEvent(event_id)
    ast = libsbml.parseL3Formula(f"time >= {day}")
    assert ev.getTrigger().setMath(ast) == libsbml.LIBSBML_OPERATION_SUCCESS
    return doc


def _sbml_event_times(doc) -> list[tuple[float, str, float]]:
    libsbml, _ = _sbml_libs()
    out = []
    for ev in doc.getModel().getListOfEvents():
        trig = libsbml.formulaToL3String(ev.getTrigger().getMath()).replace(" ", "")
        assert trig.startswith("time>="), trig
        for a in ev.getListOfEventAssignments():
            out.append((float(trig[6:]), a.getVariable(), libsbml.formulaToL3String(a.getMath())))
    return out


def test_sbml_experiments():
    """The SBML encodes CAR-T 2e6 at day 45, 1e6 tumour cells at day 250 (HDLM-2); CAR-T 1e7 at day 7 (RAJI).

    Note the SBML *sets* ``Ct = 2e6`` and ``T = 1e6`` where the paper adds
    cells; before the infusion Ct = 0 and before the rechallenge T is about
    1e-11 cells, so both agree to far below one cell. The HDLM-2 day differs
    from the paper's 42 (module docstring).
    """
    hd = _sbml_event_times(_document("hdlm2"))
    assert [(t, v, float(x)) for t, v, x in hd] == [(45.0, "Ct", 2e6), (250.0, "T", 1e6)]
    assert [(t, v) for t, v, _ in _sbml_event_times(_document("raji"))] == [(7.0, "Ct")]


# (cell line, SBML trigger override {event id: day}, our events, days)
ORACLE_CASES = [
    ("hdlm2", {}, cartmath.default_events(cart_day=45.0), 400.0),
    ("hdlm2", {"event1": 42.0}, cartmath.default_events(), 500.0),
    ("raji", {}, cartmath.default_events("raji"), 21.0),
    ("raji_ido", {}, cartmath.default_events("raji_ido"), 21.0),
    ("raji_ido_1mt", {}, cartmath.default_events("raji_ido_1mt"), 21.0),
]


@pytest.mark.parametrize("line, triggers, events, days", ORACLE_CASES)
def test_trajectories_match_roadrunner(line, triggers, events, days):
    """States agree with libroadrunner (CVODE) on the SBML, including its events.

    The SBML carries the experiment as events (for the day-42 case the
    trigger of the infusion is moved from 45 to 42 with libsbml). Compared on
    a grid that avoids the event instants; relative error with the
    denominator max(|y|, 1 cell) must stay below 1e-4. Below one cell (the
    cleared tumour falls to about 1e-11) CVODE in libroadrunner works at its
    absolute-tolerance floor (it returns T = -2.3e-12 at day 249), so sub-cell
    values are compared absolutely; ``test_subcell_tail_accuracy`` checks
    that range against an independent log-variable integration. For the 1-MT
    scenario our alpha differs from the SBML's rounded value by 1.6e-6
    (relative), so the SBML is given our value.
    """
    doc = _document(line)
    for ev_id, day in triggers.items():
        _set_trigger_day(doc, ev_id, day)
    if line == "raji_ido_1mt":
        doc.getModel().getParameter("alpha").setValue(1.261662e-8)
        rule = doc.getModel().getAssignmentRuleByVariable("alpha")
        libsbml, _ = _sbml_libs()
        rule.setMath(libsbml.parseL3Formula("1.261662e-8"))
    event_days = {e.time for e in events}
    step = 2.5 if days > 100 else 0.25
    times = np.array(
        [x for x in np.arange(0.0, days + 1e-9, step) if all(abs(x - d) > 1e-6 for d in event_days)]
    )
    times = np.union1d(times, [d + 0.1 for d in event_days] + [d + 1.0 for d in event_days])
    rr = _runner(doc)
    rr.timeCourseSelections = ["time"] + [f"[{STATE_MAP[k]}]" for k in STATE_MAP]
    ref = np.asarray(rr.simulate(times=times))
    assert np.allclose(ref[:, 0], times)

    ds = simulate(cartmath.build(line), days, events=events, saveat=times, rtol=1e-10, atol=1e-12)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    worst = []
    for col, name in enumerate(STATE_MAP, start=1):
        ours, theirs = ds[name].values, ref[:, col]
        err = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1.0)
        worst.append((float(err.max()), name, float(times[int(err.argmax())])))
    assert max(worst)[0] < 1e-4, f"largest relative error {max(worst)}"


def test_subcell_tail_accuracy(biomodels_run):
    """After the rechallenge T falls from 1e6 to 1e-11 cells; the default solver resolves this.

    Reference: an independent integration of the same equations in the
    variables (Ct, Cm, ln T) with SciPy's Radau at rtol 1e-13 (not a
    published value; it guards the numerics behind the rejection check).
    Agreement to 1e-4 relative down to 1e-9 cells (day 265).
    """
    from scipy.integrate import solve_ivp

    p = get_model(cartmath.ID).parameter_values

    def f(t, z):
        Ct, Cm, lT = z
        T = np.exp(lT)
        return [
            (p["phi"] - p["rho"]) * Ct + p["theta"] * T * Cm - p["alpha"] * T * Ct,
            p["epsilon"] * Ct - p["theta"] * T * Cm - p["mu"] * Cm,
            p["r"] * (1 - p["b"] * T) - p["gamma"] * Ct,
        ]

    z = solve_ivp(f, (0, 45), [0.0, 0.0, np.log(2e6)], method="Radau", rtol=1e-13, atol=1e-10).y[:, -1]
    z[0] += 2e6
    z = solve_ivp(f, (45, 250), z, method="Radau", rtol=1e-13, atol=1e-10).y[:, -1]
    z[2] = np.log(np.exp(z[2]) + 1e6)
    sol = solve_ivp(f, (250, 270), z, method="Radau", rtol=1e-13, atol=1e-10, dense_output=True)
    for day in (255.0, 258.0, 260.0, 265.0):
        ref = np.exp(sol.sol(day)[2])
        assert biomodels_run["T"].sel(time=day).item() == pytest.approx(ref, rel=1e-4), day
