"""A small, closed expression language for rate laws.

Rate laws are built with Python operators on :class:`Sym` and :class:`Num`
objects, never parsed from strings with ``eval``.  An expression tree can be

* printed as a readable equation (:func:`to_text`),
* differentiated symbolically (:func:`diff`), which gives engines an exact
  Jacobian for stiff problems,
* compiled into a closure over an *array namespace* (:func:`compile_expr`),
  so the very same tree evaluates with NumPy (reference engine, scalars or
  batches) and with ``jax.numpy`` (traced once by ``jax.jit``).

Only the operations in :data:`OPERATIONS` exist; anything else is refused
when the tree is built.

Examples
--------
>>> from oncoimmune.model.expr import Sym, exp, to_text
>>> a, T, b = Sym("a"), Sym("T"), Sym("b")
>>> to_text(a * T * (1 - b * T))
'a*T*(1 - b*T)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Union

from .._errors import ModelSpecError

__all__ = [
    "Expr",
    "Num",
    "Sym",
    "Op",
    "as_expr",
    "exp",
    "log",
    "sqrt",
    "maximum",
    "minimum",
    "step",
    "positive",
    "symbols",
    "free_symbols",
    "substitute",
    "diff",
    "to_text",
    "compile_expr",
    "evaluate",
    "OPERATIONS",
    "call",
    "select",
    "relation",
]

ExprLike = Union["Expr", float, int]


class Expr:
    """Base of the expression tree; use operators to combine."""

    __slots__ = ()

    # arithmetic ----------------------------------------------------------
    def __add__(self, other: ExprLike) -> "Expr":
        return _add(self, as_expr(other))

    def __radd__(self, other: ExprLike) -> "Expr":
        return _add(as_expr(other), self)

    def __sub__(self, other: ExprLike) -> "Expr":
        return _sub(self, as_expr(other))

    def __rsub__(self, other: ExprLike) -> "Expr":
        return _sub(as_expr(other), self)

    def __mul__(self, other: ExprLike) -> "Expr":
        return _mul(self, as_expr(other))

    def __rmul__(self, other: ExprLike) -> "Expr":
        return _mul(as_expr(other), self)

    def __truediv__(self, other: ExprLike) -> "Expr":
        return _div(self, as_expr(other))

    def __rtruediv__(self, other: ExprLike) -> "Expr":
        return _div(as_expr(other), self)

    def __pow__(self, other: ExprLike) -> "Expr":
        return _pow(self, as_expr(other))

    def __rpow__(self, other: ExprLike) -> "Expr":
        return _pow(as_expr(other), self)

    def __neg__(self) -> "Expr":
        return _neg(self)

    def __pos__(self) -> "Expr":
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({to_text(self)!r})"

    def __bool__(self) -> bool:
        raise TypeError(
            "an Expr has no truth value; use maximum/minimum/step instead of if/else"
        )


@dataclass(frozen=True, repr=False)
class Num(Expr):
    """A numeric constant."""

    value: float

    def __post_init__(self) -> None:
        v = float(self.value)
        if not math.isfinite(v):
            raise ModelSpecError(f"Num: a constant must be finite; got {self.value!r}")
        object.__setattr__(self, "value", v)


@dataclass(frozen=True, repr=False)
class Sym(Expr):
    """A named quantity: a state, a parameter, an observable, or ``t``."""

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ModelSpecError(
                f"Sym: name must be a Python identifier such as 'T' or 'k_kill'; got {self.name!r}"
            )


@dataclass(frozen=True, repr=False)
class Op(Expr):
    """An operation from :data:`OPERATIONS` applied to argument expressions."""

    op: str
    args: tuple[Expr, ...]

    def __post_init__(self) -> None:
        if self.op not in OPERATIONS:
            raise ModelSpecError(
                f"Op: unknown operation {self.op!r}; valid: {', '.join(sorted(OPERATIONS))}"
            )
        arity = OPERATIONS[self.op][0]
        if len(self.args) != arity:
            raise ModelSpecError(f"Op {self.op!r} takes {arity} argument(s); got {len(self.args)}")

    def __hash__(self) -> int:
        # trees are immutable: the structural hash is computed once per node (models are keyed by
        # their terms when compiled); it is never pickled, since str hashes differ between processes
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((self.op, self.args))
            object.__setattr__(self, "_hash", h)
        return h

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_hash", None)
        return state


# name -> (arity, precedence for printing)
OPERATIONS: dict[str, tuple[int, int]] = {
    "add": (2, 1),
    "sub": (2, 1),
    "mul": (2, 2),
    "div": (2, 2),
    "neg": (1, 3),
    "pow": (2, 4),
    "exp": (1, 9),
    "log": (1, 9),
    "sqrt": (1, 9),
    "max": (2, 9),
    "min": (2, 9),
    "step": (1, 9),
    # relations and logic: values 1.0 (true) and 0.0 (false); any non-zero counts as true
    "lt": (2, 0),
    "le": (2, 0),
    "gt": (2, 0),
    "ge": (2, 0),
    "eq": (2, 0),
    "ne": (2, 0),
    "and": (2, -2),
    "or": (2, -3),
    "xor": (2, -3),
    "not": (1, -1),
    # select(c, a, b): a where c is true, else b (SBML piecewise); only the chosen branch counts
    "select": (3, 9),
    # further functions of MathML (SBML Level 3)
    "abs": (1, 9),
    "floor": (1, 9),
    "ceil": (1, 9),
    "sin": (1, 9),
    "cos": (1, 9),
    "tan": (1, 9),
    "asin": (1, 9),
    "acos": (1, 9),
    "atan": (1, 9),
    "sinh": (1, 9),
    "cosh": (1, 9),
    "tanh": (1, 9),
    "asinh": (1, 9),
    "acosh": (1, 9),
    "atanh": (1, 9),
    "factorial": (1, 9),
    "rem": (2, 9),
    "quotient": (2, 9),
}

#: operations added for imported models (relations, logic, piecewise and MathML functions)
EXTENDED = frozenset(OPERATIONS) - {
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "max", "min", "step"
}
_RELATIONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_LOGIC = {"and": " and ", "or": " or ", "xor": " xor "}


def _trunc_div(a: float, b: float) -> float:
    return float(math.trunc(a / b))


def _factorial(a: float) -> float:
    return math.gamma(a + 1.0)


#: scalar (Python float) meaning of every extended operation; also used for constant folding
_SCALAR: dict[str, Callable[..., float]] = {
    "lt": lambda a, b: float(a < b),
    "le": lambda a, b: float(a <= b),
    "gt": lambda a, b: float(a > b),
    "ge": lambda a, b: float(a >= b),
    "eq": lambda a, b: float(a == b),
    "ne": lambda a, b: float(a != b),
    "and": lambda a, b: float(bool(a) and bool(b)),
    "or": lambda a, b: float(bool(a) or bool(b)),
    "xor": lambda a, b: float(bool(a) != bool(b)),
    "not": lambda a: float(not a),
    "select": lambda c, a, b: a if c else b,
    "abs": abs,
    "floor": lambda a: float(math.floor(a)),
    "ceil": lambda a: float(math.ceil(a)),
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "asinh": math.asinh,
    "acosh": math.acosh,
    "atanh": math.atanh,
    "factorial": _factorial,
    "rem": math.fmod,
    "quotient": _trunc_div,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "neg": lambda a: -a,
    "pow": lambda a, b: a**b,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "max": max,
    "min": min,
    "step": lambda a: 1.0 if a > 0 else 0.0,
}


def as_expr(x: Any) -> Expr:
    """Turn a number into :class:`Num`; pass expressions through; refuse the rest."""
    if isinstance(x, Expr):
        return x
    if isinstance(x, bool):
        raise ModelSpecError(f"expected a number or expression; got the boolean {x!r}")
    if isinstance(x, (int, float)):
        return Num(float(x))
    try:  # numpy scalars
        import numpy as np

        if isinstance(x, np.generic) and np.ndim(x) == 0:
            return Num(float(x))
    except ImportError:  # pragma: no cover
        pass
    raise ModelSpecError(
        f"expected a number or expression; got {type(x).__name__} {x!r}. "
        "Strings are never evaluated: build expressions with Sym('name')."
    )


def _is(e: Expr, v: float) -> bool:
    return isinstance(e, Num) and e.value == v


# constructors with light constant folding ----------------------------------
def _add(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value + b.value)
    if _is(a, 0.0):
        return b
    if _is(b, 0.0):
        return a
    if isinstance(b, Op) and b.op == "neg":
        return _sub(a, b.args[0])
    return Op("add", (a, b))


def _sub(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value - b.value)
    if _is(b, 0.0):
        return a
    if _is(a, 0.0):
        return _neg(b)
    return Op("sub", (a, b))


def _mul(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value * b.value)
    if _is(a, 0.0) or _is(b, 0.0):
        return Num(0.0)
    if _is(a, 1.0):
        return b
    if _is(b, 1.0):
        return a
    if _is(a, -1.0):
        return _neg(b)
    if _is(b, -1.0):
        return _neg(a)
    return Op("mul", (a, b))


def _div(a: Expr, b: Expr) -> Expr:
    if _is(b, 0.0):
        raise ModelSpecError("division by the constant 0 in an expression")
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value / b.value)
    if _is(a, 0.0):
        return Num(0.0)
    if _is(b, 1.0):
        return a
    return Op("div", (a, b))


def _pow(a: Expr, b: Expr) -> Expr:
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value**b.value)
    if _is(b, 1.0):
        return a
    if _is(b, 0.0):
        return Num(1.0)
    return Op("pow", (a, b))


def _neg(a: Expr) -> Expr:
    if isinstance(a, Num):
        return Num(-a.value)
    if isinstance(a, Op) and a.op == "neg":
        return a.args[0]
    return Op("neg", (a,))


def exp(x: ExprLike) -> Expr:
    """Exponential."""
    x = as_expr(x)
    return Num(math.exp(x.value)) if isinstance(x, Num) else Op("exp", (x,))


def log(x: ExprLike) -> Expr:
    """Natural logarithm."""
    x = as_expr(x)
    return Num(math.log(x.value)) if isinstance(x, Num) else Op("log", (x,))


def sqrt(x: ExprLike) -> Expr:
    """Square root."""
    x = as_expr(x)
    return Num(math.sqrt(x.value)) if isinstance(x, Num) else Op("sqrt", (x,))


def maximum(a: ExprLike, b: ExprLike) -> Expr:
    """Element-wise maximum."""
    a, b = as_expr(a), as_expr(b)
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(max(a.value, b.value))
    return Op("max", (a, b))


def minimum(a: ExprLike, b: ExprLike) -> Expr:
    """Element-wise minimum."""
    a, b = as_expr(a), as_expr(b)
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(min(a.value, b.value))
    return Op("min", (a, b))


def step(x: ExprLike) -> Expr:
    """Heaviside step: 1 where ``x > 0``, else 0 (derivative taken as 0)."""
    x = as_expr(x)
    if isinstance(x, Num):
        return Num(1.0 if x.value > 0 else 0.0)
    return Op("step", (x,))


def positive(x: ExprLike) -> Expr:
    """``max(x, 0)``: the positive part, used for floors such as unbound receptors."""
    return maximum(x, 0.0)


def call(op: str, *args: ExprLike) -> Expr:
    """Apply an operation of :data:`OPERATIONS` by name, folding constant arguments.

    This is how importers build the relations, logic and MathML functions
    (``call("lt", Sym("T"), 5.0)``, ``call("sin", Sym("x"))``); the arithmetic
    operations keep their simplifying constructors.

    Raises
    ------
    ModelSpecError
        For an unknown operation or a wrong number of arguments.
    """
    xs = tuple(as_expr(a) for a in args)
    if op not in OPERATIONS:
        raise ModelSpecError(f"unknown operation {op!r}; valid: {', '.join(sorted(OPERATIONS))}")
    if op in _BUILDERS:
        return _BUILDERS[op](xs)
    if op == "select":
        c, a, b = xs
        if isinstance(c, Num):
            return a if c.value != 0.0 else b
        if a == b:
            return a
        return Op("select", xs)
    if all(isinstance(x, Num) for x in xs):
        try:
            v = _SCALAR[op](*(x.value for x in xs))
        except (ValueError, ZeroDivisionError, OverflowError):
            v = math.nan
        if isinstance(v, (int, float)) and math.isfinite(v):
            return Num(float(v))
    return Op(op, xs)


def select(cond: ExprLike, a: ExprLike, b: ExprLike) -> Expr:
    """``a`` where ``cond`` is true (non-zero), else ``b`` (SBML ``piecewise``)."""
    return call("select", cond, a, b)


def relation(op: str, a: ExprLike, b: ExprLike) -> Expr:
    """``a < b`` and friends as 1.0/0.0: ``op`` one of lt, le, gt, ge, eq, ne."""
    if op not in _RELATIONS:
        raise ModelSpecError(f"relation must be one of {', '.join(_RELATIONS)}; got {op!r}")
    return call(op, a, b)


def symbols(names: str) -> tuple[Sym, ...]:
    """Make several symbols from a space-separated list of names.

    >>> E, T = symbols("E T")
    """
    return tuple(Sym(n) for n in names.split())


# tree utilities --------------------------------------------------------------
def free_symbols(e: Expr) -> set[str]:
    """Names of every :class:`Sym` in ``e``.

    Expressions are immutable, so the answer for each operation node is kept
    on the node (``_free``) the first time it is asked for: models re-validate
    the same terms each time a value changes, and a trial builds thousands of
    models from the same expressions.
    """
    if isinstance(e, Sym):
        return {e.name}
    if not isinstance(e, Op):
        return set()
    return set(_free(e))


def _free(root: Op) -> frozenset[str]:
    """The cached free symbols of an operation node (iterative: deep SBML trees do not recurse)."""
    hit = root.__dict__.get("_free")
    if hit is not None:
        return hit
    stack: list[tuple[Op, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if "_free" in node.__dict__:
            continue
        if not ready:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if isinstance(a, Op) and "_free" not in a.__dict__)
            continue
        out: set[str] = set()
        for a in node.args:
            if isinstance(a, Sym):
                out.add(a.name)
            elif isinstance(a, Op):
                out |= a.__dict__["_free"]
        object.__setattr__(node, "_free", frozenset(out))
    return root.__dict__["_free"]


def _rebuild(op: str, args: tuple[Expr, ...]) -> Expr:
    if op not in _BUILDERS:
        return call(op, *args)
    return _BUILDERS[op](args)


_BUILDERS: dict[str, Callable[[tuple[Expr, ...]], Expr]] = {
        "add": lambda a: _add(*a),
        "sub": lambda a: _sub(*a),
        "mul": lambda a: _mul(*a),
        "div": lambda a: _div(*a),
        "pow": lambda a: _pow(*a),
        "neg": lambda a: _neg(*a),
        "exp": lambda a: exp(*a),
        "log": lambda a: log(*a),
        "sqrt": lambda a: sqrt(*a),
        "max": lambda a: maximum(*a),
        "min": lambda a: minimum(*a),
        "step": lambda a: step(*a),
}


def substitute(e: Expr, mapping: Mapping[str, Expr]) -> Expr:
    """Replace symbols by expressions (simultaneously)."""
    if isinstance(e, Sym):
        return mapping.get(e.name, e)
    if isinstance(e, Op):
        return _rebuild(e.op, tuple(substitute(a, mapping) for a in e.args))
    return e


def diff(e: Expr, name: str) -> Expr:
    """Symbolic derivative of ``e`` with respect to the symbol ``name``."""
    if isinstance(e, Num):
        return Num(0.0)
    if isinstance(e, Sym):
        return Num(1.0 if e.name == name else 0.0)
    assert isinstance(e, Op)
    a = e.args
    d = [diff(x, name) for x in a]
    op = e.op
    if op == "add":
        return d[0] + d[1]
    if op == "sub":
        return d[0] - d[1]
    if op == "mul":
        return d[0] * a[1] + a[0] * d[1]
    if op == "div":
        if _is(d[1], 0.0):
            return d[0] / a[1]
        return (d[0] * a[1] - a[0] * d[1]) / (a[1] ** 2)
    if op == "neg":
        return -d[0]
    if op == "pow":
        base, ex = a
        if _is(d[0], 0.0) and _is(d[1], 0.0):
            return Num(0.0)
        if _is(d[1], 0.0):
            return ex * base ** (ex - 1.0) * d[0]
        return e * (d[1] * log(base) + ex * d[0] / base)
    if op == "exp":
        return e * d[0]
    if op == "log":
        return d[0] / a[0]
    if op == "sqrt":
        return d[0] / (2.0 * e)
    if op == "max":
        return step(a[0] - a[1]) * d[0] + step(a[1] - a[0]) * d[1]
    if op == "min":
        return step(a[1] - a[0]) * d[0] + step(a[0] - a[1]) * d[1]
    if op == "step" or op in _RELATIONS or op in ("and", "or", "xor", "not", "floor", "ceil", "quotient"):
        return Num(0.0)
    if op == "select":
        return select(a[0], d[1], d[2])
    if op == "abs":
        return (step(a[0]) - step(-a[0])) * d[0]
    if op == "sin":
        return call("cos", a[0]) * d[0]
    if op == "cos":
        return -call("sin", a[0]) * d[0]
    if op == "tan":
        return d[0] / call("cos", a[0]) ** 2
    if op == "asin":
        return d[0] / sqrt(1.0 - a[0] ** 2)
    if op == "acos":
        return -d[0] / sqrt(1.0 - a[0] ** 2)
    if op == "atan":
        return d[0] / (1.0 + a[0] ** 2)
    if op == "sinh":
        return call("cosh", a[0]) * d[0]
    if op == "cosh":
        return call("sinh", a[0]) * d[0]
    if op == "tanh":
        return d[0] / call("cosh", a[0]) ** 2
    if op == "asinh":
        return d[0] / sqrt(a[0] ** 2 + 1.0)
    if op == "acosh":
        return d[0] / sqrt(a[0] ** 2 - 1.0)
    if op == "atanh":
        return d[0] / (1.0 - a[0] ** 2)
    if op == "rem":
        return d[0] - call("quotient", a[0], a[1]) * d[1]
    if op == "factorial":
        # the digamma function is outside the language; an inexact Jacobian entry only
        # slows a Newton iteration, it never changes the solution
        return Num(0.0)
    raise AssertionError(op)  # pragma: no cover


def _fmt_num(v: float) -> str:
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.6g}"


def to_text(e: Expr) -> str:
    """Render ``e`` as a compact, readable equation (Python-like syntax)."""
    return _text(e)[0]


def _text(e: Expr) -> tuple[str, int]:
    if isinstance(e, Num):
        s = _fmt_num(e.value)
        return (s, 3 if e.value < 0 else 10)
    if isinstance(e, Sym):
        return (e.name, 10)
    assert isinstance(e, Op)
    prec = OPERATIONS[e.op][1]
    parts = [_text(a) for a in e.args]

    def wrap(p: tuple[str, int], need: int) -> str:
        return f"({p[0]})" if p[1] < need else p[0]

    if e.op in ("add", "sub", "mul", "div"):
        sym = {"add": " + ", "sub": " - ", "mul": "*", "div": "/"}[e.op]
        left = wrap(parts[0], prec)
        # right operand of non-commutative ops needs strictly higher precedence
        right_need = prec + (1 if e.op in ("sub", "div") else 0)
        right = wrap(parts[1], right_need)
        return (f"{left}{sym}{right}", prec)
    if e.op == "neg":
        return (f"-{wrap(parts[0], prec + 1)}", prec)
    if e.op == "pow":
        return (f"{wrap(parts[0], prec + 1)}^{wrap(parts[1], prec + 1)}", prec)
    if e.op in _RELATIONS:
        return (f"{wrap(parts[0], prec + 1)} {_RELATIONS[e.op]} {wrap(parts[1], prec + 1)}", prec)
    if e.op in _LOGIC:
        return (f"{wrap(parts[0], prec)}{_LOGIC[e.op]}{wrap(parts[1], prec + 1)}", prec)
    if e.op == "not":
        return (f"not {wrap(parts[0], prec)}", prec)
    if e.op == "select":
        return (f"({parts[1][0]} if {parts[0][0]} else {parts[2][0]})", 10)
    return (f"{e.op}({', '.join(p[0] for p in parts)})", 10)


# compilation ---------------------------------------------------------------
Closure = Callable[[Any, Any, Any], Any]


def compile_expr(e: Expr, index: Mapping[str, tuple[str, int]], xp: Any) -> Closure:
    """Compile ``e`` into ``f(t, y, p)`` evaluated with the array namespace ``xp``.

    Parameters
    ----------
    e : Expr
        Expression whose free symbols are all in ``index`` (or ``t``).
    index : mapping
        ``name -> ("y", i)`` for states or ``("p", j)`` for parameters.
    xp : module
        ``numpy`` or ``jax.numpy`` (anything with ``exp``, ``log``, ``sqrt``,
        ``maximum``, ``minimum``, ``where``).

    Returns
    -------
    callable
        ``f(t, y, p)``; ``y[i]`` and ``p[j]`` may be scalars or arrays over a
        trailing batch axis.
    """
    if isinstance(e, Num):
        v = e.value
        return lambda t, y, p: v
    if isinstance(e, Sym):
        if e.name == "t":
            return lambda t, y, p: t
        if e.name not in index:
            raise ModelSpecError(f"symbol {e.name!r} is not a state, parameter or observable")
        where, i = index[e.name]
        if where == "y":
            return lambda t, y, p: y[i]
        return lambda t, y, p: p[i]
    assert isinstance(e, Op)
    fs = [compile_expr(a, index, xp) for a in e.args]
    op = e.op
    if op in EXTENDED:
        return _compile_extended(op, fs, xp)
    if len(fs) == 2:
        f, g = fs
        if op == "add":
            return lambda t, y, p: f(t, y, p) + g(t, y, p)
        if op == "sub":
            return lambda t, y, p: f(t, y, p) - g(t, y, p)
        if op == "mul":
            return lambda t, y, p: f(t, y, p) * g(t, y, p)
        if op == "div":
            return lambda t, y, p: f(t, y, p) / g(t, y, p)
        if op == "pow":
            ex = e.args[1]
            if isinstance(ex, Num) and ex.value == 2.0:
                return lambda t, y, p: (lambda u: u * u)(f(t, y, p))
            return lambda t, y, p: f(t, y, p) ** g(t, y, p)
        if op == "max":
            mx = xp.maximum
            return lambda t, y, p: mx(f(t, y, p), g(t, y, p))
        if op == "min":
            mn = xp.minimum
            return lambda t, y, p: mn(f(t, y, p), g(t, y, p))
    (f,) = fs
    if op == "neg":
        return lambda t, y, p: -f(t, y, p)
    if op == "exp":
        fn = xp.exp
    elif op == "log":
        fn = xp.log
    elif op == "sqrt":
        fn = xp.sqrt
    elif op == "step":
        wh = xp.where
        return lambda t, y, p: wh(f(t, y, p) > 0, 1.0, 0.0)
    else:  # pragma: no cover
        raise AssertionError(op)
    return lambda t, y, p: fn(f(t, y, p))


def _special(xp: Any, name: str) -> Any:
    if getattr(xp, "__name__", "").startswith("jax"):
        import jax.scipy.special as jss

        return getattr(jss, name)
    import scipy.special as ss

    return getattr(ss, name)


def _compile_extended(op: str, fs: list[Closure], xp: Any) -> Closure:
    wh = xp.where
    if op == "select":
        c, f, g = fs
        return lambda t, y, p: wh(c(t, y, p) != 0, f(t, y, p), g(t, y, p))
    if op == "not":
        (f,) = fs
        return lambda t, y, p: wh(f(t, y, p) != 0, 0.0, 1.0)
    if len(fs) == 2:
        f, g = fs
        binary = {
            "lt": lambda u, v: wh(u < v, 1.0, 0.0),
            "le": lambda u, v: wh(u <= v, 1.0, 0.0),
            "gt": lambda u, v: wh(u > v, 1.0, 0.0),
            "ge": lambda u, v: wh(u >= v, 1.0, 0.0),
            "eq": lambda u, v: wh(u == v, 1.0, 0.0),
            "ne": lambda u, v: wh(u != v, 1.0, 0.0),
            "and": lambda u, v: wh((u != 0) & (v != 0), 1.0, 0.0),
            "or": lambda u, v: wh((u != 0) | (v != 0), 1.0, 0.0),
            "xor": lambda u, v: wh((u != 0) != (v != 0), 1.0, 0.0),
            "rem": xp.fmod,
            "quotient": lambda u, v: xp.trunc(u / v),
        }[op]
        return lambda t, y, p: binary(f(t, y, p), g(t, y, p))
    (f,) = fs
    if op == "factorial":
        gamma = _special(xp, "gamma")
        return lambda t, y, p: gamma(f(t, y, p) + 1.0)
    fn = {
        "abs": xp.abs,
        "floor": xp.floor,
        "ceil": xp.ceil,
        "sin": xp.sin,
        "cos": xp.cos,
        "tan": xp.tan,
        "asin": xp.arcsin,
        "acos": xp.arccos,
        "atan": xp.arctan,
        "sinh": xp.sinh,
        "cosh": xp.cosh,
        "tanh": xp.tanh,
        "asinh": xp.arcsinh,
        "acosh": xp.arccosh,
        "atanh": xp.arctanh,
    }[op]
    return lambda t, y, p: fn(f(t, y, p))


def evaluate(e: Expr, values: Mapping[str, float]) -> float:
    """Value of ``e`` as a Python float, with symbols looked up in ``values``.

    Used for initial assignments and other one-off evaluations; a symbol
    missing from ``values`` raises :class:`ModelSpecError` naming it. Domain
    errors (``log(-1)``, ``1/0``) give NaN or an infinity, as IEEE arithmetic does.
    """
    memo: dict[int, float] = {}
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, ready = stack.pop()
        if id(node) in memo:
            continue
        if isinstance(node, Num):
            memo[id(node)] = node.value
            continue
        if isinstance(node, Sym):
            if node.name not in values:
                raise ModelSpecError(f"cannot evaluate: symbol {node.name!r} has no value")
            memo[id(node)] = float(values[node.name])
            continue
        assert isinstance(node, Op)
        if not ready:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args)
            continue
        args = [memo[id(a)] for a in node.args]
        try:
            v = _SCALAR[node.op](*args)
        except ZeroDivisionError:
            num = args[0]
            v = math.nan if num == 0 or math.isnan(num) else math.copysign(math.inf, num)
        except OverflowError:
            v = math.inf
        except ValueError:
            v = math.nan
        memo[id(node)] = float(v)
    return memo[id(e)]
