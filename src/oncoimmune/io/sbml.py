r"""Export a model (and its dose events) to SBML Level 3 for other simulators (libRoadRunner, COPASI).

The expression trees are translated node by node into libSBML's MathML
abstract syntax tree (:class:`libsbml.ASTNode`): nothing is printed to text
and parsed back, so every constant keeps its full double precision.

Encoding
--------
* **States** become SBML ``parameter`` elements (``constant="false"``) with a
  ``rateRule`` each (no species or compartments: every state of a model is a
  plain quantity in its own units, which SBML rate rules express exactly).
* **Observables** become ``assignmentRule`` elements; rate rules refer to them
  by name, as the model's terms do (``inline=True`` substitutes them instead).
* **Parameters** keep their values; those changed by a parameter event are
  ``constant="false"``.
* **Operations**: ``+ - * / ^ exp log sqrt`` map to MathML ``plus minus times
  divide power exp ln root``; ``max(a, b)``, ``min(a, b)`` and ``step(x)``
  (1 where ``x > 0``) become ``piecewise`` (SBML Level 3 Core has no
  max/min); the symbol ``t`` is MathML ``csymbol time``.
* **Events** (:class:`~oncoimmune.model.events.Event`) at the same time are
  grouped into one SBML ``event`` with trigger ``time >= t_e``
  (``initialValue="false"``, so an event at ``t0`` fires at the start;
  ``persistent="true"``; values from the trigger time). ``add`` becomes
  ``x := x + v``, ``multiply`` ``x := x * v``, ``set`` ``x := v``. Two events
  on one target at one time are composed in their order. The package's
  engines clip a population made negative by a jump to 0; the SBML has no such
  clip (doses only add, so it never matters for dosing).

Only the SBML document is produced here; simulating it is the other tool's
business. Requires ``python-libsbml`` (``pip install python-libsbml`` or
``oncoimmune[sbml]``).

Examples
--------
>>> from oncoimmune.library import get_model
>>> text = to_sbml(get_model("kuznetsov1994"))  # doctest: +SKIP
>>> text.startswith("<?xml")  # doctest: +SKIP
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from .._errors import ModelSpecError
from ..model.events import Event, sort_events
from ..model.expr import Expr, Num, Op, Sym
from ..model.model import Model

__all__ = ["to_sbml", "sbml_document", "expr_to_ast", "from_sbml", "import_sbml", "SBMLImportError", "UnsupportedSBMLError"]

_SID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _libsbml() -> Any:
    try:
        import libsbml
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ModelSpecError(
            f"SBML export needs python-libsbml: pip install python-libsbml (import failed with: {exc})"
        ) from None
    return libsbml


def _check(libsbml: Any, code: int, what: str) -> None:
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ModelSpecError(f"SBML export: {what} failed ({libsbml.OperationReturnValue_toString(code)})")


def _node(libsbml: Any, kind: int, *children: Any) -> Any:
    n = libsbml.ASTNode(kind)
    for c in children:
        n.addChild(c)
    return n


def _name(libsbml: Any, name: str) -> Any:
    n = libsbml.ASTNode(libsbml.AST_NAME)
    n.setName(name)
    return n


def _real(libsbml: Any, v: float) -> Any:
    n = libsbml.ASTNode(libsbml.AST_REAL)
    n.setValue(float(v))
    return n


def _piecewise(libsbml: Any, value: Any, cond: Any, otherwise: Any) -> Any:
    return _node(libsbml, libsbml.AST_FUNCTION_PIECEWISE, value, cond, otherwise)


def expr_to_ast(e: Expr) -> Any:
    """Translate an expression tree into a :class:`libsbml.ASTNode` (exact constants).

    Parameters
    ----------
    e : Expr

    Returns
    -------
    libsbml.ASTNode

    Raises
    ------
    ModelSpecError
        If a symbol is not a valid SBML identifier.
    """
    L = _libsbml()
    binary = {
        "add": L.AST_PLUS,
        "sub": L.AST_MINUS,
        "mul": L.AST_TIMES,
        "div": L.AST_DIVIDE,
        "pow": L.AST_POWER,
    }
    unary = {"exp": L.AST_FUNCTION_EXP, "log": L.AST_FUNCTION_LN}
    # iterative post-order (deep sums would exceed the recursion limit)
    done: dict[int, Any] = {}
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, Num):
            done[id(node)] = _real(L, node.value)
            continue
        if isinstance(node, Sym):
            if node.name == "t":
                n = L.ASTNode(L.AST_NAME_TIME)
                n.setName("time")
                done[id(node)] = n
            else:
                if not _SID.match(node.name):
                    raise ModelSpecError(
                        f"SBML export: symbol {node.name!r} is not an SBML identifier (ASCII letters, digits, _)"
                    )
                done[id(node)] = _name(L, node.name)
            continue
        assert isinstance(node, Op)
        if not ready:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args)
            continue
        # children may be shared subtrees: libSBML takes ownership, so copy them
        args = [done[id(a)].deepCopy() for a in node.args]
        op = node.op
        if op in binary:
            out = _node(L, binary[op], *args)
        elif op == "neg":
            out = _node(L, L.AST_MINUS, *args)
        elif op == "sqrt":
            deg = L.ASTNode(L.AST_INTEGER)
            deg.setValue(2)
            out = _node(L, L.AST_FUNCTION_ROOT, deg, *args)
        elif op in unary:
            out = _node(L, unary[op], *args)
        elif op in ("max", "min"):
            a, b = args
            rel = L.AST_RELATIONAL_GEQ if op == "max" else L.AST_RELATIONAL_LEQ
            out = _piecewise(L, a, _node(L, rel, a.deepCopy(), b.deepCopy()), b)
        elif op == "step":
            (a,) = args
            out = _piecewise(L, _real(L, 1.0), _node(L, L.AST_RELATIONAL_GT, a, _real(L, 0.0)), _real(L, 0.0))
        else:  # pragma: no cover - Op refuses unknown operations
            raise ModelSpecError(f"SBML export: operation {op!r} has no MathML form")
        done[id(node)] = out
    return done[id(e)]


def _event_groups(model: Model, events: Iterable[Event]) -> list[tuple[float, dict[str, Expr]]]:
    groups: list[tuple[float, dict[str, Expr]]] = []
    for ev in sort_events(tuple(events)):
        names = model.state_names if ev.kind == "state" else model.parameter_names
        if ev.target not in names:
            raise ModelSpecError(
                f"SBML export: event target {ev.target!r} is not a {ev.kind} of model {model.id!r}"
            )
        if not groups or groups[-1][0] != ev.time:
            groups.append((ev.time, {}))
        assign = groups[-1][1]
        cur = assign.get(ev.target, Sym(ev.target))
        v = Num(ev.value)
        assign[ev.target] = v if ev.op == "set" else (cur + v if ev.op == "add" else cur * v)
    return groups


def sbml_document(model: Model, events: Sequence[Event] = (), *, inline: bool = False) -> Any:
    """The :class:`libsbml.SBMLDocument` (Level 3 Version 2) of ``model`` with ``events``.

    Parameters
    ----------
    model : Model
    events : sequence of Event
        Dose events to encode as SBML events (see the module notes).
    inline : bool
        Substitute observables into the rate rules instead of referring to them.

    Returns
    -------
    libsbml.SBMLDocument

    Raises
    ------
    ModelSpecError
        For a name that is not an SBML identifier, an unknown event target, or
        a document that libSBML finds inconsistent.
    """
    L = _libsbml()
    if not isinstance(model, Model):
        raise ModelSpecError(f"sbml_document: model must be a Model; got {type(model).__name__}")
    groups = _event_groups(model, events)
    set_by_events = {name for _, a in groups for name in a}
    doc = L.SBMLDocument(3, 2)
    sm = doc.createModel()
    mid = model.id if _SID.match(model.id) else "model"
    _check(L, sm.setId(mid), f"model id {mid!r}")
    sm.setName(model.title)
    for name in (*model.state_names, *model.parameter_names, *model.observable_names):
        if not _SID.match(name):
            raise ModelSpecError(
                f"SBML export: name {name!r} is not an SBML identifier (ASCII letters, digits, _)"
            )
    for s in model.states:
        par = sm.createParameter()
        _check(L, par.setId(s.name), f"state {s.name!r}")
        par.setValue(float(s.initial))
        par.setConstant(False)
        par.setName(s.description)
    for p in model.parameters:
        par = sm.createParameter()
        _check(L, par.setId(p.name), f"parameter {p.name!r}")
        par.setValue(float(p.value))
        par.setConstant(p.name not in set_by_events)
        par.setName(p.description)
    if not inline:
        for o in model.observables:
            par = sm.createParameter()
            _check(L, par.setId(o.name), f"observable {o.name!r}")
            par.setConstant(False)
            par.setName(o.description)
            rule = sm.createAssignmentRule()
            rule.setVariable(o.name)
            _check(L, rule.setMath(expr_to_ast(o.expr)), f"assignment rule of {o.name!r}")
    for s in model.state_names:
        rule = sm.createRateRule()
        rule.setVariable(s)
        _check(L, rule.setMath(expr_to_ast(model.derivative(s, inline=inline))), f"rate rule of {s!r}")
    for k, (time, assign) in enumerate(groups):
        ev = sm.createEvent()
        ev.setId(f"dose_{k}")
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False)
        trig.setPersistent(True)
        tnode = L.ASTNode(L.AST_NAME_TIME)
        tnode.setName("time")
        _check(L, trig.setMath(_node(L, L.AST_RELATIONAL_GEQ, tnode, _real(L, time))), f"trigger at t={time}")
        for target, ex in assign.items():
            ea = ev.createEventAssignment()
            ea.setVariable(target)
            _check(L, ea.setMath(expr_to_ast(ex)), f"event assignment of {target!r} at t={time}")
    n_err = doc.checkInternalConsistency()
    errors = [doc.getError(i) for i in range(n_err)]
    errors = [e for e in errors if e.getSeverity() >= L.LIBSBML_SEV_ERROR]
    if errors:
        raise ModelSpecError(f"SBML export of {model.id!r} is inconsistent: {errors[0].getMessage().strip()}")
    return doc


def to_sbml(model: Model, events: Sequence[Event] = (), *, inline: bool = False) -> str:
    """SBML Level 3 Version 2 text of ``model`` with ``events`` (see :func:`sbml_document`)."""
    L = _libsbml()
    return L.writeSBMLToString(sbml_document(model, events, inline=inline))


from .sbml_import import SBMLImportError, UnsupportedSBMLError, from_sbml, import_sbml  # noqa: E402
