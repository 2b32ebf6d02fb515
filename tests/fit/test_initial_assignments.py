"""SBML features in PEtab problems. Initial assignments that depend on estimated parameters (e.g. ``x(0) = x0`` with ``x0`` in the
parameter table, as in Fujita 2010 and Fiedler 2016 of Benchmark-Models-PEtab): the initial state follows the
parameters, and the gradient includes ``d x(0) / d x0``.

Model: ``dx/dt = -k x``, ``x(0) = 2 * x0`` (initialAssignment), observable ``x``, Gaussian noise ``sigma``, so
the objective is known in closed form. SBML events are refused when the problem is read (the batched engine
that fits does not handle them), naming the model file.
"""

import math

import numpy as np
import pytest

pytest.importorskip("libsbml")

SBML = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="decay">
    <listOfCompartments><compartment id="c" size="1" constant="true" spatialDimensions="3"/></listOfCompartments>
    <listOfSpecies>
      <species id="x" compartment="c" initialConcentration="1" hasOnlySubstanceUnits="false"
               boundaryCondition="false" constant="false"/>
    </listOfSpecies>
    <listOfParameters>
      <parameter id="k" value="0.3" constant="true"/>
      <parameter id="x0" value="1" constant="true"/>
    </listOfParameters>
    <listOfInitialAssignments>
      <initialAssignment symbol="x">
        <math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><cn>2</cn><ci>x0</ci></apply></math>
      </initialAssignment>
    </listOfInitialAssignments>
    <listOfReactions>
      <reaction id="decay" reversible="false">
        <listOfReactants><speciesReference species="x" stoichiometry="1" constant="true"/></listOfReactants>
        <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><times/><ci>k</ci><ci>x</ci></apply></math></kineticLaw>
      </reaction>
    </listOfReactions>
  </model>
</sbml>
"""

TIMES = (0.0, 1.0, 2.0, 4.0)
DATA = (9.8, 7.5, 5.4, 3.1)  # near 2 * 5 * exp(-0.3 t)


@pytest.fixture
def problem(tmp_path):
    from oncoimmune.fit import load_problem

    (tmp_path / "model.xml").write_text(SBML)
    (tmp_path / "conditions.tsv").write_text("conditionId\nc1\n")
    (tmp_path / "observables.tsv").write_text(
        "observableId\tobservableFormula\tnoiseFormula\nobs_x\tx\tsigma\n"
    )
    (tmp_path / "measurements.tsv").write_text(
        "observableId\tsimulationConditionId\ttime\tmeasurement\n"
        + "".join(f"obs_x\tc1\t{t}\t{y}\n" for t, y in zip(TIMES, DATA))
    )
    (tmp_path / "parameters.tsv").write_text(
        "parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate\n"
        "k\tlog10\t0.01\t10\t0.3\t1\n"
        "x0\tlog10\t0.1\t100\t5\t1\n"
        "sigma\tlin\t0.01\t10\t0.5\t0\n"
    )
    (tmp_path / "problem.yaml").write_text(
        "format_version: 1\nparameter_file: parameters.tsv\nproblems:\n"
        "  - condition_files: [conditions.tsv]\n    measurement_files: [measurements.tsv]\n"
        "    observable_files: [observables.tsv]\n    sbml_files: [model.xml]\n"
    )
    return load_problem(tmp_path / "problem.yaml")


def closed_form(k: float, x0: float, sigma: float = 0.5) -> float:
    r = [(y - 2 * x0 * math.exp(-k * t)) / sigma for t, y in zip(TIMES, DATA)]
    return sum(0.5 * math.log(2 * math.pi * sigma**2) + 0.5 * v * v for v in r)


@pytest.mark.parametrize(("k", "x0"), [(0.3, 5.0), (0.1, 20.0)])
def test_initial_state_follows_the_estimated_parameter(problem, k, x0):
    x = problem.to_scaled(np.array([k, x0]))
    f, _ = problem.objective(x, gradient=False)
    assert f == pytest.approx(closed_form(k, x0), rel=1e-7)


def test_gradient_includes_the_initial_assignment(problem):
    x = problem.to_scaled(np.array([0.2, 8.0]))
    f, g = problem.objective(x)
    eps = 1e-6
    for i in range(2):
        e = np.zeros(2)
        e[i] = eps
        fd = (problem.objective(x + e, gradient=False)[0] - problem.objective(x - e, gradient=False)[0]) / (2 * eps)
        assert g[i] == pytest.approx(fd, rel=1e-5), i
    assert abs(g[1]) > 1.0  # x0 matters: a frozen initial state would give 0


def test_a_model_with_events_is_refused_naming_the_file(problem):
    from oncoimmune.fit import PetabInputError, load_problem

    event = """    <listOfEvents>
      <event id="dose" useValuesFromTriggerTime="true">
        <trigger initialValue="false" persistent="true"><math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><geq/><csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/time">t</csymbol>
          <cn>1.5</cn></apply></math></trigger>
        <listOfEventAssignments><eventAssignment variable="x"><math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><plus/><ci>x</ci><ci>x0</ci></apply></math></eventAssignment></listOfEventAssignments>
      </event>
    </listOfEvents>
  </model>"""
    d = problem.path.parent
    (d / "model.xml").write_text(SBML.replace("  </model>", event))
    with pytest.raises(PetabInputError, match=r"^model\.xml: the model has 1 SBML event\(s\) \(e\.g\. 'dose'\)"):
        load_problem(d / "problem.yaml")
