"""Model declaration, validation, composition and description."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoimmune import (
    Model,
    ModelSpecError,
    Observable,
    Parameter,
    ParameterValueError,
    Source,
    State,
    Sym,
    Term,
    UnknownNameError,
)
from oncoimmune.library import get_model

SRC = Source("test fixture", note="made-up values for a unit test")


def growth_model(r=0.2) -> Model:
    T, rr = Sym("T"), Sym("r")
    return Model(
        id="exp_growth",
        title="exponential growth",
        states=(State("T", 1.0, "cells", "tumour cells"),),
        parameters=(Parameter("r", r, "1/day", "growth rate", SRC),),
        terms=(Term("growth", rr * T, {"T": 1}, "cells divide", {"tumour_growth"}),),
    )


def test_parameter_requires_source_and_valid_value():
    with pytest.raises(ModelSpecError, match="source"):
        Parameter("r", 1.0, "1/day", "rate", "a paper")  # type: ignore[arg-type]
    with pytest.raises(ParameterValueError, match="'r'.*finite"):
        Parameter("r", math.nan, "1/day", "rate", SRC)
    with pytest.raises(ParameterValueError, match="'r'.*out of bounds.*>= 0"):
        Parameter("r", -1.0, "1/day", "rate", SRC)
    with pytest.raises(ParameterValueError, match=r"\[0, 1\]"):
        Parameter("f", 2.0, "1", "fraction", SRC, bounds=(0, 1))


def test_state_nonnegative_initial():
    with pytest.raises(ParameterValueError, match="state 'T'.*>= 0"):
        State("T", -1.0, "cells", "tumour")


def test_model_validation_names_the_problem():
    m = growth_model()
    with pytest.raises(ModelSpecError, match="unknown symbol"):
        m.add(terms=[Term("bad", Sym("q") * Sym("T"), {"T": -1}, "x")])
    with pytest.raises(ModelSpecError, match="unknown state 'E'"):
        m.add(terms=[Term("bad", Sym("T"), {"E": 1}, "x")])
    with pytest.raises(ModelSpecError, match="unique"):
        m.add(observables=[Observable("r", Sym("T"), "1", "clash")])


def test_observable_cycle_detected():
    m = growth_model()
    with pytest.raises(ModelSpecError, match="cycle"):
        m.add(observables=[Observable("u", Sym("v"), "1", "u"), Observable("v", Sym("u"), "1", "v")])


def test_with_parameters_is_pure_and_validated():
    m = get_model("kuznetsov1994")
    m2 = m.with_parameters(s=5000.0)
    assert m.parameter("s").value == 1.3e4 and m2.parameter("s").value == 5000.0
    with pytest.raises(UnknownNameError) as ei:
        m.with_parameters(zz=1.0)
    assert "valid choices" in str(ei.value) and "'s'" not in str(ei.value).split("valid")[0]
    with pytest.raises(ParameterValueError, match="'s'"):
        m.with_parameters(s=-3.0)
    with pytest.raises(ParameterValueError, match="'s'"):
        m.with_parameters(s=float("nan"))


def test_compose_merges_and_refuses_conflicts():
    m = growth_model()
    D, k = Sym("D"), Sym("k")
    drug = Model(
        id="drug",
        title="drug",
        states=(State("D", 0.0, "mg", "drug"),),
        parameters=(Parameter("k", 0.1, "1/day", "elimination", SRC),),
        terms=(Term("elim", k * D, {"D": -1}, "cleared"),),
    )
    c = m.compose(drug)
    assert c.state_names == ("T", "D") and c.parameter_names == ("r", "k")
    assert m.compose(m).state_names == ("T",)  # identical definitions merge
    with pytest.raises(ModelSpecError, match="defined twice"):
        m.compose(growth_model(r=0.3))


def test_scale_terms_by_role():
    m = get_model("kuznetsov1994")
    m2 = m.scale_terms("kill", 0.5)
    assert "0.5" in m2.equations()[1]
    with pytest.raises(ModelSpecError, match="no term with role 'nope'"):
        m.scale_terms("nope", 0.5)


def test_describe_mentions_equations_parameters_sources():
    text = get_model("kuznetsov1994").describe()
    assert "dT/dt = a*T*(1 - b*T) - n*E*T" in text
    assert "dE/dt = s + p*E*T/(g + T) - m*E*T - d*E" in text
    assert "Bull Math Biol" in text and "death rate of effector cells" in text


def test_compiled_rhs_and_jacobian_agree_with_hand_written():
    m = get_model("kuznetsov1994")
    cm = m.compile()
    pv = m.parameter_values
    E, T = 2.0e5, 3.0e7
    s, p, g, mm, d, a, b, n = (pv[k] for k in "s p g m d a b n".split())
    want = [s + p * E * T / (g + T) - mm * E * T - d * E, a * T * (1 - b * T) - n * E * T]
    got = cm.rhs(np)(0.0, np.array([E, T]), cm.p0)
    np.testing.assert_allclose(got, want, rtol=1e-14)
    J = cm.jacobian(np)(0.0, np.array([E, T]), cm.p0)
    Jwant = [
        [p * T / (g + T) - mm * T - d, p * E * g / (g + T) ** 2 - mm * E],
        [-n * T, a - 2 * a * b * T - n * E],
    ]
    np.testing.assert_allclose(J, Jwant, rtol=1e-12)


def test_bind_parameter_turns_a_knob_into_an_expression():
    m = get_model("kuznetsov1994")
    bound = m.bind_parameter("s", Sym("E") * 0.0 + 2.0 * 1.3e4)
    assert "s" not in bound.parameter_names and "s" in bound.observable_names
    cm = bound.compile()
    y = np.array([1e5, 1e6])
    base = m.compile()
    diff = cm.rhs(np)(0.0, y, cm.p0) - base.rhs(np)(0.0, y, base.p0)
    np.testing.assert_allclose(diff, [1.3e4, 0.0], atol=1e-6)
    assert m.parameter("s").value == 1.3e4  # pure


def test_rename_rewrites_every_expression_and_allows_composition():
    m = get_model("kuznetsov1994")
    r = m.rename({"E": "CTL", "n": "k_kill", "tumour_kill": "ctl_kill"})
    assert r.state_names == ("CTL", "T") and "k_kill" in r.parameter_names
    assert "ctl_kill" in [t.name for t in r.terms]
    assert "dT/dt = a*T*(1 - b*T) - k_kill*CTL*T" in r.equations()
    y = np.array([2e5, 3e7])
    np.testing.assert_array_equal(r.compile().rhs(np)(0, y, r.compile().p0), m.compile().rhs(np)(0, y, m.compile().p0))
    with pytest.raises(UnknownNameError, match="'zz'"):
        m.rename({"zz": "q"})


def test_value_only_copies_share_one_structure_key_and_validate_in_model_order():
    """Equal structures built apart share one key instance (lookups end at the identity test); a key
    unpickles with its hash recomputed (it is the process's); with_parameters/with_initial keep their
    checks and messages."""
    import pickle

    from oncoimmune.model.compile import StructureKey, _structure_key

    m = get_model("kuznetsov1994")
    a = m.with_parameters(s=5000.0)
    b = get_model("kuznetsov1994").with_initial(T=1e6)  # built apart: a different Model
    assert _structure_key(a) is _structure_key(b) is _structure_key(m)
    plain = StructureKey(("id", ("s", "p"), 1.5))  # (model terms hold mapping proxies, which do not pickle)
    k = pickle.loads(pickle.dumps(plain))
    assert isinstance(k, StructureKey) and k == plain and hash(k) == hash(plain)
    two = m.with_parameters({"s": 5000.0, "d": 0.2}).with_initial({"T": 2e6, "E": 3e5})
    assert two.parameter("s").value == 5000.0 and two.parameter("d").value == 0.2
    assert two.state("T").initial == 2e6 and two.state("E").initial == 3e5
    assert m.parameter("s").value != 5000.0 and m.state("T").initial != 2e6  # pure
    assert two.compile().p0[two.compile().param_index("d")] == 0.2
    with pytest.raises(UnknownNameError, match="nope"):
        m.with_parameters(nope=1.0)
    with pytest.raises(UnknownNameError, match="nope"):
        m.with_initial(nope=1.0)
    with pytest.raises(ParameterValueError, match="'E'"):
        m.with_initial({"T": -1.0, "E": -1.0})  # the first state in model order is named
