"""PEtab formulas to :class:`~oncoimmune.model.expr.Expr`, never through ``eval``.

PEtab observable and noise formulas are parsed by ``petab.v1.math.sympify_petab``
(an ANTLR grammar of the PEtab math language, not Python's ``eval``), and the
resulting SymPy tree is translated node by node into our expression AST; any
node outside the supported set is refused with its text.
"""

from __future__ import annotations

import math
from functools import reduce
from typing import Any

from ..model.expr import Expr, Num, Op, Sym

__all__ = ["FormulaError", "parse_formula"]


class FormulaError(ValueError):
    """A formula uses something the translation does not support (or does not parse)."""


def _fold(op: str, args: list[Expr]) -> Expr:
    return reduce(lambda a, b: Op(op, (a, b)), args)


def _convert(e: Any) -> Expr:
    import sympy as sp

    if e.is_Number:
        v = float(e)
        if not math.isfinite(v):
            raise FormulaError(f"non-finite number {e}")
        return Num(v)
    if e is sp.pi:
        return Num(math.pi)
    if e is sp.E:
        return Num(math.e)
    if e.is_Symbol:
        name = str(e)
        if name == "time":
            name = "t"
        return Sym(name)
    if isinstance(e, sp.Add):
        return _fold("add", [_convert(a) for a in e.args])
    if isinstance(e, sp.Mul):
        num, den = [], []
        for a in e.args:
            if isinstance(a, sp.Pow) and a.exp.is_Number and a.exp < 0:
                den.append(_convert(a.base) if a.exp == -1 else _convert(sp.Pow(a.base, -a.exp)))
            else:
                num.append(_convert(a))
        top = _fold("mul", num) if num else Num(1.0)
        return Op("div", (top, _fold("mul", den))) if den else top
    if isinstance(e, sp.Pow):
        if e.exp == sp.Rational(1, 2):
            return Op("sqrt", (_convert(e.base),))
        if e.exp == -1:
            return Op("div", (Num(1.0), _convert(e.base)))
        return Op("pow", (_convert(e.base), _convert(e.exp)))
    if isinstance(e, sp.exp):
        return Op("exp", (_convert(e.args[0]),))
    if isinstance(e, sp.log):
        if len(e.args) == 2:
            return Op("div", (Op("log", (_convert(e.args[0]),)), Op("log", (_convert(e.args[1]),))))
        return Op("log", (_convert(e.args[0]),))
    if isinstance(e, sp.Max):
        return _fold("max", [_convert(a) for a in e.args])
    if isinstance(e, sp.Min):
        return _fold("min", [_convert(a) for a in e.args])
    if isinstance(e, sp.Abs):
        x = _convert(e.args[0])
        return Op("max", (x, Op("neg", (x,))))
    raise FormulaError(f"unsupported operation {type(e).__name__} in {e}")


def parse_formula(text: Any) -> Expr:
    """Parse a PEtab formula (a string or a number) into an expression.

    Raises
    ------
    FormulaError
        If it does not parse or uses an unsupported function.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        if not math.isfinite(float(text)):
            raise FormulaError(f"non-finite number {text}")
        return Num(float(text))
    s = str(text).strip()
    if not s:
        raise FormulaError("empty formula")
    try:
        from petab.v1.math import sympify_petab
    except ImportError:  # pragma: no cover - depends on the environment
        raise FormulaError("reading PEtab formulas needs petab: pip install petab (or oncoimmune[fit])") from None
    try:
        e = sympify_petab(s)
    except Exception as exc:  # the grammar's own errors
        raise FormulaError(f"cannot parse {s!r}: {' '.join(str(exc).split())[:200]}") from None
    return _convert(e)
