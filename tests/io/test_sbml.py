"""SBML export: exact constants, every operation, dose events; libRoadRunner on the export agrees with our engines."""

from __future__ import annotations

import numpy as np
import pytest

libsbml = pytest.importorskip("libsbml")

from oncoimmune import Event, Model, ModelSpecError, Parameter, Source, State, Sym, Term, simulate  # noqa: E402
from oncoimmune.biology.escape import pdl1_checkpoint  # noqa: E402
from oncoimmune.io.sbml import sbml_document, to_sbml  # noqa: E402
from oncoimmune.library import get_model  # noqa: E402
from oncoimmune.model.expr import exp, log, maximum, minimum, sqrt, step  # noqa: E402
from oncoimmune.therapy import treat_regimens  # noqa: E402

SRC = Source("test problem")


def every_operation() -> Model:
    """One state per operation of the expression language, all smooth enough to integrate tightly."""
    x, y, z, k = Sym("x"), Sym("y"), Sym("z"), Sym("k")
    t = Sym("t")
    return Model(
        id="ops",
        title="every operation",
        states=(State("x", 1.0, "1", "x"), State("y", 2.0, "1", "y"), State("z", 0.5, "1", "z")),
        parameters=(
            Parameter("k", 0.3, "1/day", "rate", SRC),
            Parameter("c", 1.234567890123e-7, "1", "c", SRC),
        ),
        terms=(
            Term("a", k * exp(-x) + log(1 + y) * sqrt(z) - x**1.5 / 10, {"x": 1}, "a"),
            Term("b", maximum(x, y) * 0.1 - minimum(x, z) * 0.05 + (-y) * 0.01 + Sym("c"), {"y": 1}, "b"),
            Term("s", step(t - 2.5) * 0.2 * z + 0.01 * z * z, {"z": -1}, "s"),
        ),
    )


def roadrunner_run(model: Model, events, days: float, n: int, tol: float = 1e-11) -> np.ndarray:
    roadrunner = pytest.importorskip("roadrunner")
    rr = roadrunner.RoadRunner(to_sbml(model, events))
    rr.integrator.relative_tolerance = tol
    rr.integrator.absolute_tolerance = tol
    rr.integrator.setValue("maximum_num_steps", 1_000_000)
    rr.timeCourseSelections = ["time"] + list(model.state_names)
    return np.asarray(rr.simulate(0.0, days, n))[:, 1:]


def scaled_error(y: np.ndarray, ref: np.ndarray) -> float:
    scale = np.max(np.abs(ref), axis=0)
    return float(np.max(np.abs(y - ref) / np.where(scale > 0, scale, 1.0)))


def test_constants_are_exact_and_document_is_valid():
    m = get_model("kuznetsov1994")
    doc = sbml_document(m)
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    back = libsbml.readSBMLFromString(to_sbml(m))  # keep the document alive while its children are used
    sm = back.getModel()
    assert sm.getParameter("m").getValue() == 3.422e-10
    assert sm.getNumRules() == len(m.state_names) + len(m.observable_names)
    # the rate rule of T refers to the same symbols as the model
    formula = libsbml.formulaToL3String(sm.getRateRule("T").getMath())
    for name in ("a", "b", "n", "E", "T"):
        assert name in formula


def test_every_operation_agrees_with_the_reference_engine():
    m = every_operation()
    days = 6.0
    save = np.linspace(0.0, days, 61)
    ds = simulate(m, days, saveat=save, rtol=1e-12, atol=1e-12)
    ref = np.stack([ds[s].values for s in m.state_names], axis=-1)
    got = roadrunner_run(m, (), days, save.size)
    assert scaled_error(got, ref) < 1e-7


def test_treated_model_with_infusion_events_agrees_with_the_batched_engine():
    from oncoimmune.engines.batched import solve_batch

    m = pdl1_checkpoint(get_model("kuznetsov1994"), 1.0)
    tr = treat_regimens(m, "pembrolizumab:200mg:q3w", until=60.0)
    cm = tr.model.compile()
    save = np.arange(61.0)
    ref = solve_batch(cm, cm.y0, cm.p0, t1=60.0, saveat=save, events=tr.events, rtol=1e-12, atol=1e-12).y[0]
    got = roadrunner_run(tr.model, tr.events, 60.0, save.size)
    assert scaled_error(got, ref) < 1e-7
    back = libsbml.readSBMLFromString(to_sbml(tr.model, tr.events))
    # 3 doses by day 60, each an infusion start and end: one SBML event per time
    assert back.getModel().getNumEvents() == 6


def test_state_events_compose_in_order():
    T = Sym("T")
    m = Model(
        id="decay",
        title="decay",
        states=(State("T", 1.0, "cells", "cells"),),
        parameters=(Parameter("d", 0.1, "1/day", "death", SRC),),
        terms=(Term("death", Sym("d") * T, {"T": -1}, "death"),),
    )
    evs = [
        Event(1.0, "T", "add", 2.0),
        Event(1.0, "T", "multiply", 3.0),
        Event(2.0, "d", "set", 0.0, kind="parameter"),
    ]
    back = libsbml.readSBMLFromString(to_sbml(m, evs))
    ea = back.getModel().getEvent(0).getEventAssignment(0)
    assert libsbml.formulaToL3String(ea.getMath()).replace(" ", "") == "(T+2)*3"
    save = np.linspace(0.0, 3.0, 31)
    ds = simulate(m, 3.0, saveat=save, events=evs, rtol=1e-12, atol=1e-12)
    got = roadrunner_run(m, evs, 3.0, save.size)
    assert scaled_error(got, ds["T"].values[:, None]) < 1e-8


def test_errors_name_the_problem():
    m = get_model("kuznetsov1994")
    with pytest.raises(ModelSpecError, match="'X'"):
        to_sbml(m, [Event(1.0, "X", "add", 1.0)])
    with pytest.raises(ModelSpecError, match="Model"):
        to_sbml("kuznetsov1994")  # type: ignore[arg-type]
