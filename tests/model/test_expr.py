"""The expression language: building, printing, differentiating, compiling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoimmune import ModelSpecError
from oncoimmune.model.expr import (
    Num,
    Op,
    Sym,
    compile_expr,
    diff,
    exp,
    free_symbols,
    log,
    maximum,
    minimum,
    sqrt,
    step,
    substitute,
    to_text,
)

x, y, a = Sym("x"), Sym("y"), Sym("a")
IDX = {"x": ("y", 0), "y": ("y", 1), "a": ("p", 0)}


def ev(e, xv=1.3, yv=0.7, av=2.5):
    return compile_expr(e, IDX, np)(0.0, np.array([xv, yv]), np.array([av]))


def test_printing_respects_precedence():
    assert to_text(a * x * (1 - y * x)) == "a*x*(1 - y*x)"
    assert to_text(x - (y - a)) == "x - (y - a)"
    assert to_text(x / (y * a)) == "x/(y*a)"
    assert to_text((x + y) ** 2) == "(x + y)^2"
    assert to_text(-x * y) == "-x*y"


def test_constant_folding():
    assert (Num(2) * 3) == Num(6.0)
    assert (x * 0) == Num(0.0)
    assert (x * 1) is x
    assert (x + 0) is x


def test_no_strings_and_no_truth_value():
    with pytest.raises(ModelSpecError, match="Strings are never evaluated"):
        x + "y"  # noqa: B018
    with pytest.raises(TypeError, match="no truth value"):
        bool(x)
    with pytest.raises(ModelSpecError):
        Sym("not an identifier")
    with pytest.raises(ModelSpecError):
        Op("eval", (x,))


def test_numeric_evaluation_matches_python():
    e = a * x ** 2 / (y + exp(-x)) - log(sqrt(x + y)) + maximum(x, y) * minimum(x, y) + step(x - y)
    xv, yv, av = 1.3, 0.7, 2.5
    want = av * xv**2 / (yv + math.exp(-xv)) - math.log(math.sqrt(xv + yv)) + max(xv, yv) * min(xv, yv) + 1.0
    assert ev(e) == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize(
    "e",
    [
        a * x * (1 - y * x),
        x * y / (a + x),
        exp(-a * x) * y,
        log(x + y) * sqrt(x),
        (x / y) ** 0.58,
        x ** y,
        maximum(x, y) * a,
    ],
)
def test_symbolic_derivative_matches_finite_difference(e):
    h = 1e-6
    for name, (xv, yv) in (("x", (1.3 + h, 0.7)), ("y", (1.3, 0.7 + h))):
        up = ev(e, *(xv, yv))
        dn = ev(e, *((xv - 2 * h, yv) if name == "x" else (xv, yv - 2 * h)))
        fd = (up - dn) / (2 * h)
        assert ev(diff(e, name)) == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_substitute_and_free_symbols():
    e = substitute(a * x, {"x": y + 1})
    assert free_symbols(e) == {"a", "y"}
    assert ev(e) == pytest.approx(2.5 * 1.7)


def test_batched_evaluation_broadcasts():
    e = a * x + y
    f = compile_expr(e, IDX, np)
    Y = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    P = np.array([[2.0, 2.0, 1.0]])
    np.testing.assert_allclose(f(0.0, Y, P), [2.5, 4.5, 3.5])


def test_unknown_symbol_refused_at_compile():
    with pytest.raises(ModelSpecError, match="'z'"):
        compile_expr(Sym("z") * x, IDX, np)
