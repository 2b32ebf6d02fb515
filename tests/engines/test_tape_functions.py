"""Elementary functions in the batched engine's tape (sin, cos, tan, their inverses, hyperbolic, floor, ceil).

Three checks, each against NumPy/SciPy:

1. every function's value, through the NumPy reference interpreter
   (:func:`~oncoimmune.engines.tape.eval_tape`) and through the compiled
   kernels (one column, and all lanes), equals NumPy's;
2. the tape of the symbolic Jacobian (derivative rules of
   :func:`oncoimmune.model.expr.diff`) agrees with central differences
   (:func:`scipy.optimize.approx_fprime`);
3. a forced ODE written with them (the periodic forcing ``sin(w t)`` of
   PEtab's Chen 2009 problem, saturations ``tanh``/``atan`` of the state)
   solved by the batched engine with DOPRI5 and Rodas4 (which uses the analytic
   Jacobian) agrees with SciPy's Radau at tight tolerances.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import approx_fprime

pytest.importorskip("numba")

from oncoimmune import Model, Parameter, Source, State, Sym, Term
from oncoimmune.engines._kernels import eval_lanes, eval_tape_batch
from oncoimmune.engines.batched import solve_batch
from oncoimmune.engines.tape import FUNCTIONS, build_tape, eval_tape, jacobian_tape, rhs_tape
from oncoimmune.model.expr import call, diff

SRC = Source("test problem")
NUMPY = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "asinh": np.arcsinh, "acosh": np.arccosh,
    "atanh": np.arctanh, "floor": np.floor, "ceil": np.ceil,
}
#: points inside each function's domain (away from the jumps of floor/ceil for the derivative check)
DOMAIN = {"asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atanh": (-0.9, 0.9), "acosh": (1.1, 4.0),
          "tan": (-1.2, 1.2), "floor": (0.1, 0.9), "ceil": (0.1, 0.9)}


def test_every_function_has_a_reference():
    assert set(FUNCTIONS) == set(NUMPY)


@pytest.mark.parametrize("name", sorted(NUMPY))
def test_value_in_numpy_interpreter_and_kernels(name):
    x, a = Sym("x"), Sym("a")
    index = {"x": ("y", 0), "a": ("p", 0)}
    # a + f(x) and f(x)*x: the function feeds further instructions
    tape = build_tape([a + call(name, x), call(name, x) * x], index, 1, 1)
    lo, hi = DOMAIN.get(name, (-3.0, 3.0))
    xs = np.linspace(lo, hi, 37) if name not in ("floor", "ceil") else np.linspace(-3.0, 3.0, 37)
    f = NUMPY[name](xs)
    want = np.stack([0.5 + f, f * xs])
    # (libm and NumPy may differ in the last bit)
    tol = dict(rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(eval_tape(tape, 0.0, xs[None, :], np.full((1, xs.size), 0.5)), want, **tol)
    # compiled: one column per point (eval_col) ...
    out = np.empty((xs.size, 2))
    eval_tape_batch(tape.code, tape.outputs, tape.initial_registers(), np.zeros(xs.size), xs[:, None],
                    np.full((xs.size, 1), 0.5), out)
    np.testing.assert_allclose(out.T, want, **tol)
    # ... and all lanes at once (eval_lanes, the solvers' interpreter)
    reg = np.repeat(tape.initial_registers()[:, None], xs.size, axis=1)
    reg[1] = xs
    reg[2] = 0.5
    eval_lanes(tape.code, reg)
    np.testing.assert_allclose(reg[tape.outputs], want, **tol)


@pytest.mark.parametrize("name", sorted(NUMPY))
def test_derivative_against_central_differences(name):
    x = Sym("x")
    e = call(name, 2.0 * x) * x  # chain and product rule
    tape = build_tape([diff(e, "x")], {"x": ("y", 0)}, 1, 0)
    value = build_tape([e], {"x": ("y", 0)}, 1, 0)
    lo, hi = DOMAIN.get(name, (-1.5, 1.5))
    for x0 in np.linspace(lo / 2.0, hi / 2.0, 7):
        fd = approx_fprime(np.array([x0]), lambda v: eval_tape(value, 0.0, v, np.zeros(0))[0], 1e-7)[0]
        got = eval_tape(tape, 0.0, np.array([x0]), np.zeros(0))[0]
        assert got == pytest.approx(fd, rel=1e-6, abs=1e-6), (name, x0)


def forced_model() -> Model:
    """``x' = k (1 + A sin(w t)) - d x - c tanh(x y)``,
    ``y' = atan(x) cos(w t)^2 - e sinh(y/4) + asinh(y)/10``."""
    x, y, t = Sym("x"), Sym("y"), Sym("t")
    k, A, w, d, c, e = (Sym(n) for n in ("k", "A", "w", "d", "c", "e"))
    return Model(
        id="forced_test",
        title="periodically forced test problem",
        states=(State("x", 0.5, "1", "x", nonnegative=False), State("y", 0.2, "1", "y", nonnegative=False)),
        parameters=tuple(Parameter(n, v, "1", n, SRC) for n, v in
                         (("k", 1.0), ("A", 0.8), ("w", 2.0), ("d", 0.3), ("c", 50.0), ("e", 0.5))),
        terms=(
            Term("source", k * (1.0 + A * call("sin", w * t)), {"x": 1}, "forced source"),
            Term("decay", d * x, {"x": -1}, "decay"),
            Term("binding", c * call("tanh", x * y), {"x": -1}, "fast saturating loss (stiff for large c)"),
            Term("gain", call("atan", x) * call("cos", w * t) ** 2 + call("asinh", y) / 10.0, {"y": 1},
                 "gain"),
            Term("loss", e * call("sinh", y / 4.0), {"y": -1}, "loss"),
        ),
    )


def test_jacobian_tape_against_finite_differences_on_a_model():
    cm = forced_model().compile()
    rt, jt = rhs_tape(cm), jacobian_tape(cm)
    for t in (0.0, 0.7, 3.1):
        y = np.array([0.8, 0.4])
        J = eval_tape(jt, t, y, cm.p0).reshape(2, 2)
        for i in range(2):
            fd = approx_fprime(y, lambda v, i=i: eval_tape(rt, t, v, cm.p0)[i], 1e-7)
            np.testing.assert_allclose(J[i], fd, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("method", ["dopri5", "rosenbrock", "auto"])
def test_forced_model_agrees_with_scipy_radau(method):
    cm = forced_model().compile()
    rhs = cm.rhs()
    jac = cm.jacobian()
    rng = np.random.default_rng(5)
    P = cm.p0 * np.exp(rng.normal(0.0, 0.3, (4, cm.n_params)))
    save = np.linspace(0.0, 20.0, 81)
    sol = solve_batch(cm, cm.y0, P, t1=20.0, saveat=save, rtol=1e-10, atol=1e-10, method=method)
    assert sol.ok.all()
    for i in range(P.shape[0]):
        ref = solve_ivp(lambda t, y, p=P[i]: rhs(t, y, p), (0.0, 20.0), cm.y0, method="Radau", t_eval=save,
                        jac=lambda t, y, p=P[i]: jac(t, y, p), rtol=1e-12, atol=1e-12)
        scale = np.abs(ref.y.T).max(axis=0)
        assert np.max(np.abs(sol.y[i] - ref.y.T) / scale) < 1e-7
    if method == "rosenbrock":
        assert sol.njev.min() > 0  # the analytic Jacobian ran


def test_functions_without_an_opcode_are_refused_naming_the_fix():
    from oncoimmune import ModelSpecError

    with pytest.raises(ModelSpecError, match=r"operation 'factorial' is not available .* use engine='scipy'"):
        build_tape([call("factorial", Sym("x"))], {"x": ("y", 0)}, 1, 0)


def test_division_by_a_parameter_becomes_a_multiplication_by_a_prelude_reciprocal():
    from oncoimmune.engines.tape import OP_DIV

    x, V = Sym("x"), Sym("V")
    index = {"x": ("y", 0), "V": ("p", 0)}
    exprs = [x / V, (x + 1.0) / (2.0 * V), V / x, call("sin", x) / V]
    tape = build_tape(exprs, index, 1, 1)
    plain = build_tape(exprs, index, 1, 1, reciprocal_divisors=False)
    # only V / x is still a division outside the prelude (1/V and 1/(2V) are computed once per patient)
    assert int((tape.code[tape.n_invariant:, 0] == OP_DIV).sum()) == 1
    assert int((plain.code[plain.n_invariant:, 0] == OP_DIV).sum()) == 4
    xs = np.linspace(0.1, 5.0, 50)[None, :]
    Vs = np.full((1, 50), 3.7)
    np.testing.assert_allclose(eval_tape(tape, 0.0, xs, Vs), eval_tape(plain, 0.0, xs, Vs), rtol=4e-16,
                               atol=0)
