r"""Import SBML (Levels 2 and 3, with hierarchical ``comp`` models flattened) as an ordinary :class:`Model`.

Every formula of the file is translated node by node from libSBML's MathML
tree into the package's own expression tree (:mod:`oncoimmune.model.expr`):
nothing is printed to text, evaluated, ``sympify``-ed or ``exec``-ed.

Encoding (SBML Level 3 Version 2 Core [1]_ semantics)
-----------------------------------------------------
* A symbol in a formula means what SBML says it means: a compartment its
  size, a species its concentration (its amount if ``hasOnlySubstanceUnits``),
  a parameter its value, a reaction its rate, a species reference its
  stoichiometry. The model names that quantity after its SBML id (an id that
  is not a valid name here, e.g. ``t``, gets a trailing ``_``).
* **Assignment rules** become observables; **rate rules** states with one
  term; the variables that **events** assign become states (with no term if
  nothing else changes them). Other quantities constant in time are
  parameters (value from the file) or, when an **initial assignment** computes
  them from parameters, observables of those parameters.
* **Species** changed by reactions are states: the concentration when their
  compartment has a constant size (reaction terms divided by the size), the
  amount ``<id>_amount`` when the compartment size varies (the concentration
  is then the observable ``<id>``, so dilution is exact). ``boundaryCondition``
  species are not changed by reactions; ``constant`` species never change.
* **Reactions**: the rate is the observable named by the reaction id; each
  species gets ``stoichiometry * rate`` (times a conversion factor, if any);
  local parameters become parameters ``<reaction>_<id>``. Variable
  stoichiometry (species-reference ids, Level 2 ``stoichiometryMath``) is kept
  as an expression.
* **Initial values** that depend on other quantities become the model's
  ``initial_assignments``, recomputed when parameters change.
* **Function definitions** are inlined; ``piecewise``, the relations, logic,
  ``abs floor ceiling factorial exp ln log root power`` and the trigonometric
  functions map onto the expression language; the csymbols ``time`` and
  ``avogadro`` (6.02214179e23, the value SBML Level 3 fixes) are supported, as is
  ``rateOf`` (the derivative by the chain rule).
* **Events**: trigger, delay, priority, persistence, ``initialValue`` and
  ``useValuesFromTriggerTime`` as :class:`~oncoimmune.model.events.TriggeredEvent`
  (run by the SciPy reference engine).

Refused with :class:`UnsupportedSBMLError`, naming the construct: the
``delay`` csymbol, algebraic rules, fast reactions, flux-balance models,
reactions without a kinetic law, unknown packages that change the maths.

Safety: see :func:`read_sbml_document` (size limit, no DTD or entities, no
other files read).

References
----------
.. [1] Hucka et al. (2019). The Systems Biology Markup Language (SBML):
   Language Specification for Level 3 Version 2 Core Release 2.
   J Integr Bioinform 16:20190021.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .._errors import ModelSpecError
from ..model.components import Observable, Parameter, Source, State, Term
from ..model.events import TriggeredEvent
from ..model.expr import Expr, Num, Op, Sym, call, diff, exp, free_symbols, log, sqrt, substitute
from ..model.model import Model

__all__ = [
    "SBMLImportError",
    "UnsupportedSBMLError",
    "SBMLInfo",
    "from_sbml",
    "import_sbml",
    "read_sbml_document",
    "MAX_BYTES",
]

#: largest SBML file read (bytes); BioModels' largest curated models are a few MB
MAX_BYTES = 64 * 1024 * 1024
#: most model elements (species + parameters + reactions + rules + events ...) accepted
MAX_ELEMENTS = 200_000
#: deepest formula accepted (MathML nesting)
MAX_DEPTH = 400
#: Avogadro's constant as SBML Level 3 fixes it (L3V1 section 3.4.6)
AVOGADRO = 6.02214179e23

_NAN = Op("acos", (Num(2.0),))  # NaN that survives constant folding (undefined piecewise)
_INF = Op("cosh", (Num(1e6),))  # +infinity likewise


def _const(v: float) -> Expr:
    if math.isnan(v):
        return _NAN
    if math.isinf(v):
        return _INF if v > 0 else -_INF
    return Num(v)


class SBMLImportError(ModelSpecError):
    """An SBML file cannot be read or is not a valid model (the message says why)."""


class UnsupportedSBMLError(SBMLImportError):
    """The file uses an SBML construct this importer does not simulate (named in the message)."""

    def __init__(self, construct: str, detail: str = ""):
        self.construct = construct
        msg = f"unsupported SBML construct: {construct}"
        super().__init__(msg + (f" ({detail})" if detail else ""))


def _libsbml() -> Any:
    try:
        import libsbml
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SBMLImportError(
            f"SBML import needs python-libsbml: pip install python-libsbml (import failed with: {exc})"
        ) from None
    return libsbml


# reading safely ------------------------------------------------------------------------------------

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_EXTERNAL = re.compile(rb"externalModelDefinition", re.IGNORECASE)


def _check_bytes(data: bytes, what: str, max_bytes: int) -> None:
    if len(data) > max_bytes:
        raise SBMLImportError(
            f"{what}: {len(data)} bytes is more than the limit of {max_bytes} bytes; "
            "pass max_bytes= to read a larger file"
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:200]:
        raise SBMLImportError(f"{what}: only UTF-8 SBML is read (the file looks like UTF-16)")
    m = _ENCODING.match(data)
    if m and m.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        raise SBMLImportError(f"{what}: only UTF-8 SBML is read; the file declares encoding {m.group(1).decode()!r}")
    if _DOCTYPE.search(data):
        raise SBMLImportError(
            f"{what}: the XML has a DOCTYPE or ENTITY declaration; SBML needs neither, and they are refused "
            "because entities can read other files or expand without bound"
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SBMLImportError(f"{what}: not valid UTF-8 (byte {exc.start})") from None


def read_sbml_document(source: str | os.PathLike, *, max_bytes: int = MAX_BYTES) -> tuple[Any, str]:
    """Parse SBML text or a file into a :class:`libsbml.SBMLDocument`, safely.

    Parameters
    ----------
    source : str or path-like
        SBML text (a string starting with ``<``) or the path of a file.
    max_bytes : int
        Size limit; larger input is refused before it is parsed.

    Returns
    -------
    (libsbml.SBMLDocument, str)
        The document (``comp`` submodels flattened) and a label for messages.

    Raises
    ------
    SBMLImportError
        For a missing or oversized file, non-UTF-8 text, a DOCTYPE or entity
        declaration (external entities, "billion laughs"), an external model
        definition that is not a plain file beside the main file, XML or SBML
        read errors, or more than :data:`MAX_ELEMENTS` elements.

    Notes
    -----
    DOCTYPE and ENTITY declarations are refused before libxml2 sees the text,
    so no entity is ever expanded and no other file or URL is opened. A
    hierarchical model may refer to other files (``externalModelDefinition``);
    those are read only when the main file was given as a path, only from its
    own directory, and after the same checks.
    """
    L = _libsbml()
    base_dir: Path | None = None
    if isinstance(source, (str, bytes)) and not isinstance(source, os.PathLike):
        text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
        if text.lstrip().startswith("<"):
            data = text.encode("utf-8")
            label = "SBML text"
        else:
            source = Path(text)
    if isinstance(source, os.PathLike) or not isinstance(source, str) or not source.lstrip().startswith("<"):
        path = Path(source)  # type: ignore[arg-type]
        label = str(path)
        if not path.is_file():
            raise SBMLImportError(f"SBML file {label!r} does not exist or is not a file")
        size = path.stat().st_size
        if size > max_bytes:
            raise SBMLImportError(
                f"{label}: {size} bytes is more than the limit of {max_bytes} bytes; "
                "pass max_bytes= to read a larger file"
            )
        data = path.read_bytes()
        base_dir = path.resolve().parent
    _check_bytes(data, label, max_bytes)
    if _EXTERNAL.search(data):
        _check_external(data, label, base_dir, max_bytes)
    if base_dir is not None:
        # libSBML resolves external model definitions relative to the document's location
        doc = L.readSBMLFromFile(str(Path(label).resolve()))
    else:
        doc = L.readSBMLFromString(data.decode("utf-8"))
    errors = [doc.getError(i) for i in range(doc.getNumErrors())]
    fatal = [e for e in errors if e.getSeverity() >= L.LIBSBML_SEV_ERROR]
    if fatal:
        e = fatal[0]
        raise SBMLImportError(f"{label}: not readable SBML (line {e.getLine()}): {e.getMessage().strip()}")
    m = doc.getModel()
    if m is None:
        raise SBMLImportError(f"{label}: the SBML document has no model")
    n = sum(
        getattr(m, f)()
        for f in (
            "getNumCompartments",
            "getNumSpecies",
            "getNumParameters",
            "getNumReactions",
            "getNumRules",
            "getNumEvents",
            "getNumInitialAssignments",
            "getNumFunctionDefinitions",
        )
    )
    if n > MAX_ELEMENTS:
        raise SBMLImportError(f"{label}: {n} model elements is more than the limit of {MAX_ELEMENTS}")
    comp = doc.getPlugin("comp")
    if comp is not None and (
        comp.getNumModelDefinitions() or comp.getNumExternalModelDefinitions()
        or (m.getPlugin("comp") is not None and m.getPlugin("comp").getNumSubmodels())
    ):
        props = L.ConversionProperties()
        props.addOption("flatten comp", True)
        props.addOption("leavePorts", False)
        code = doc.convert(props)
        if code != L.LIBSBML_OPERATION_SUCCESS:
            errs = [doc.getError(i) for i in range(doc.getNumErrors())]
            errs = [e.getMessage().strip() for e in errs if e.getSeverity() >= L.LIBSBML_SEV_ERROR]
            raise SBMLImportError(
                f"{label}: the hierarchical (comp) model could not be flattened"
                + (f": {errs[0]}" if errs else "")
            )
    return doc, label


_SOURCE_ATTR = re.compile(rb"source\s*=\s*[\"']([^\"']*)[\"']")


def _check_external(data: bytes, label: str, base_dir: Path | None, max_bytes: int, depth: int = 0) -> None:
    if base_dir is None:
        raise SBMLImportError(
            f"{label}: external model definitions refer to other files; read the model from its file path"
        )
    if depth > 8:
        raise SBMLImportError(f"{label}: external model definitions nest more than 8 deep")
    for m in re.finditer(rb"<[^>]*externalModelDefinition[^>]*>", data, re.IGNORECASE):
        src = _SOURCE_ATTR.search(m.group(0))
        if not src:
            continue
        name = src.group(1).decode("utf-8", "replace")
        if name.startswith("file:"):
            name = name[5:]
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name) or name.startswith(".."):
            raise SBMLImportError(
                f"{label}: external model definition source {name!r} is not a plain file name beside the model; "
                "only files in the same directory are read"
            )
        p = base_dir / name
        if not p.is_file():
            raise SBMLImportError(f"{label}: external model definition {name!r} not found beside the model")
        sub = p.read_bytes()
        _check_bytes(sub, str(p), max_bytes)
        if _EXTERNAL.search(sub):
            _check_external(sub, str(p), base_dir, max_bytes, depth + 1)


# maths -----------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    L: Any
    names: Mapping[str, str]  # SBML id -> model name
    functions: Mapping[str, Any]  # function id -> lambda ASTNode
    label: str
    rate_of: dict[str, str] = field(default_factory=dict)  # model name -> placeholder symbol
    fresh: Any = None
    undefined: set[str] = field(default_factory=set)


def _math(ctx: _Ctx, node: Any, scope: Mapping[str, Expr] | None = None, where: str = "") -> Expr:
    if node is None:
        raise SBMLImportError(f"{ctx.label}: {where} has no math")
    return _ast(ctx, node, dict(scope or {}), where, 0)


def _ast(ctx: _Ctx, node: Any, scope: dict[str, Expr], where: str, depth: int) -> Expr:
    L = ctx.L
    if depth > MAX_DEPTH:
        raise SBMLImportError(f"{ctx.label}: formula of {where} nests deeper than {MAX_DEPTH} levels")
    ty = node.getType()
    n = node.getNumChildren()

    def kid(i: int) -> Expr:
        return _ast(ctx, node.getChild(i), scope, where, depth + 1)

    def kids() -> list[Expr]:
        return [kid(i) for i in range(n)]

    if ty == L.AST_INTEGER:
        return Num(float(node.getInteger()))
    if ty in (L.AST_REAL, L.AST_REAL_E, L.AST_RATIONAL):
        v = node.getValue()
        if math.isnan(v):
            return _NAN
        if math.isinf(v):
            return _INF if v > 0 else -_INF
        return Num(v)
    if ty == L.AST_NAME_TIME:
        return Sym("t")
    if ty == L.AST_NAME_AVOGADRO:
        return Num(AVOGADRO)
    if ty == L.AST_NAME:
        name = node.getName()
        if name in scope:
            return scope[name]
        if name in ctx.names:
            mn = ctx.names[name]
            if mn in ctx.undefined:
                raise SBMLImportError(f"{ctx.label}: {where} uses {name!r}, which has no value in the file")
            return Sym(mn)
        raise SBMLImportError(f"{ctx.label}: {where} uses {name!r}, which is not defined in the model")
    if ty == L.AST_CONSTANT_E:
        return Num(math.e)
    if ty == L.AST_CONSTANT_PI:
        return Num(math.pi)
    if ty == L.AST_CONSTANT_TRUE:
        return Num(1.0)
    if ty == L.AST_CONSTANT_FALSE:
        return Num(0.0)
    if ty == L.AST_FUNCTION_DELAY:
        raise UnsupportedSBMLError("delay() (csymbol delay: delay differential equations)", where)
    if hasattr(L, "AST_FUNCTION_RATE_OF") and ty == L.AST_FUNCTION_RATE_OF:
        arg = node.getChild(0)
        if arg.getType() == L.AST_NAME and arg.getName() in scope:
            return Num(0.0)  # a local parameter (or a function argument bound to a constant) never changes
        if arg.getType() != L.AST_NAME or arg.getName() not in ctx.names:
            raise UnsupportedSBMLError("rateOf() of something other than a model variable", where)
        target = ctx.names[arg.getName()]
        if target not in ctx.rate_of:
            ctx.rate_of[target] = ctx.fresh(f"rateOf_{target}")
        return Sym(ctx.rate_of[target])
    if ty == L.AST_PLUS:
        out: Expr = Num(0.0)
        for x in kids():
            out = out + x
        return out
    if ty == L.AST_TIMES:
        out = Num(1.0)
        for x in kids():
            out = out * x
        return out
    if ty == L.AST_MINUS:
        if n == 1:
            return -kid(0)
        return kid(0) - kid(1)
    if ty == L.AST_DIVIDE:
        a, b = kid(0), kid(1)
        if isinstance(b, Num) and b.value == 0.0:
            return _NAN if isinstance(a, Num) and a.value == 0 else (a * _INF)
        return a / b
    if ty in (L.AST_POWER, L.AST_FUNCTION_POWER):
        return kid(0) ** kid(1)
    if ty == L.AST_FUNCTION_ROOT:
        if n == 1:
            return sqrt(kid(0))
        deg, x = kid(0), kid(1)
        if isinstance(deg, Num) and deg.value == 2.0:
            return sqrt(x)
        return x ** (1.0 / deg)
    if ty == L.AST_FUNCTION_EXP:
        return exp(kid(0))
    if ty == L.AST_FUNCTION_LN:
        return log(kid(0))
    if ty == L.AST_FUNCTION_LOG:
        if n == 1:
            return log(kid(0)) / math.log(10.0)
        base, x = kid(0), kid(1)
        if isinstance(base, Num) and base.value == 10.0:
            return log(x) / math.log(10.0)
        return log(x) / log(base)
    if ty == L.AST_FUNCTION_PIECEWISE:
        args = kids()
        otherwise: Expr = args[-1] if n % 2 == 1 else _NAN
        pairs = [(args[i], args[i + 1]) for i in range(0, n - (n % 2), 2)]
        out = otherwise
        for value, cond in reversed(pairs):
            out = call("select", cond, value, out)
        return out
    simple = {
        L.AST_FUNCTION_ABS: "abs",
        L.AST_FUNCTION_FLOOR: "floor",
        L.AST_FUNCTION_CEILING: "ceil",
        L.AST_FUNCTION_FACTORIAL: "factorial",
        L.AST_FUNCTION_SIN: "sin",
        L.AST_FUNCTION_COS: "cos",
        L.AST_FUNCTION_TAN: "tan",
        L.AST_FUNCTION_ARCSIN: "asin",
        L.AST_FUNCTION_ARCCOS: "acos",
        L.AST_FUNCTION_ARCTAN: "atan",
        L.AST_FUNCTION_SINH: "sinh",
        L.AST_FUNCTION_COSH: "cosh",
        L.AST_FUNCTION_TANH: "tanh",
        L.AST_FUNCTION_ARCSINH: "asinh",
        L.AST_FUNCTION_ARCCOSH: "acosh",
        L.AST_FUNCTION_ARCTANH: "atanh",
    }
    if ty in simple:
        return call(simple[ty], kid(0))
    recip = {
        L.AST_FUNCTION_SEC: "cos",
        L.AST_FUNCTION_CSC: "sin",
        L.AST_FUNCTION_COT: "tan",
        L.AST_FUNCTION_SECH: "cosh",
        L.AST_FUNCTION_CSCH: "sinh",
        L.AST_FUNCTION_COTH: "tanh",
    }
    if ty in recip:
        return 1.0 / call(recip[ty], kid(0))
    inv_recip = {
        L.AST_FUNCTION_ARCSEC: "acos",
        L.AST_FUNCTION_ARCCSC: "asin",
        L.AST_FUNCTION_ARCCOT: "atan",
        L.AST_FUNCTION_ARCSECH: "acosh",
        L.AST_FUNCTION_ARCCSCH: "asinh",
        L.AST_FUNCTION_ARCCOTH: "atanh",
    }
    if ty in inv_recip:
        return call(inv_recip[ty], 1.0 / kid(0))
    rel = {
        L.AST_RELATIONAL_EQ: "eq",
        L.AST_RELATIONAL_NEQ: "ne",
        L.AST_RELATIONAL_GT: "gt",
        L.AST_RELATIONAL_GEQ: "ge",
        L.AST_RELATIONAL_LT: "lt",
        L.AST_RELATIONAL_LEQ: "le",
    }
    if ty in rel:
        args = kids()
        if len(args) < 2:
            return Num(1.0)
        out = call(rel[ty], args[0], args[1])
        for a, b in zip(args[1:], args[2:]):
            out = call("and", out, call(rel[ty], a, b))
        return out
    if ty == L.AST_LOGICAL_NOT:
        return call("not", kid(0))
    logic = {L.AST_LOGICAL_AND: ("and", 1.0), L.AST_LOGICAL_OR: ("or", 0.0), L.AST_LOGICAL_XOR: ("xor", 0.0)}
    if ty in logic:
        op, empty = logic[ty]
        args = kids()
        if not args:
            return Num(empty)
        out = call("ne", args[0], 0.0) if len(args) == 1 else args[0]
        for a in args[1:]:
            out = call(op, out, a)
        return out
    if hasattr(L, "AST_LOGICAL_IMPLIES") and ty == L.AST_LOGICAL_IMPLIES:
        return call("or", call("not", kid(0)), kid(1))
    if hasattr(L, "AST_FUNCTION_MAX") and ty in (L.AST_FUNCTION_MAX, L.AST_FUNCTION_MIN):
        from ..model.expr import maximum, minimum

        fn = maximum if ty == L.AST_FUNCTION_MAX else minimum
        args = kids()
        if not args:
            raise SBMLImportError(f"{ctx.label}: {where}: max/min with no arguments")
        out = args[0]
        for a in args[1:]:
            out = fn(out, a)
        return out
    if hasattr(L, "AST_FUNCTION_REM") and ty == L.AST_FUNCTION_REM:
        return call("rem", kid(0), kid(1))
    if hasattr(L, "AST_FUNCTION_QUOTIENT") and ty == L.AST_FUNCTION_QUOTIENT:
        return call("quotient", kid(0), kid(1))
    if ty == L.AST_FUNCTION:
        fid = node.getName()
        lam = ctx.functions.get(fid)
        if lam is None:
            raise SBMLImportError(f"{ctx.label}: {where} calls {fid!r}, which is not a function definition")
        nb = lam.getNumBvars()
        if nb != n:
            raise SBMLImportError(
                f"{ctx.label}: {where} calls function {fid!r} with {n} argument(s); it takes {nb}"
            )
        args = kids()
        inner = {lam.getChild(i).getName(): args[i] for i in range(nb)}
        body = lam.getChild(lam.getNumChildren() - 1)
        return _ast(ctx, body, inner, f"{where} (in function {fid!r})", depth + 1)
    if ty == L.AST_LAMBDA:
        raise SBMLImportError(f"{ctx.label}: {where}: a lambda outside a function definition")
    raise UnsupportedSBMLError(f"MathML element {node.getName() or node.getType()!r}", where)


# the importer ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SBMLInfo:
    """How the SBML quantities map onto the imported model.

    ``value[id]``, ``amount[id]`` and ``concentration[id]`` are expressions in
    the model's states, parameters, observables and ``t`` (amount and
    concentration for species only), so any SBML quantity can be computed from
    a simulation.
    """

    value: Mapping[str, Expr]
    amount: Mapping[str, Expr]
    concentration: Mapping[str, Expr]
    names: Mapping[str, str]
    level: int
    version: int


@dataclass
class _Var:
    id: str
    kind: str  # compartment | species | parameter | sref
    name: str
    constant: bool
    value: float | None
    sbml_name: str = ""
    units: str = ""
    assign: Expr | None = None
    rate: Expr | None = None
    initial: Expr | None = None
    event_target: bool = False
    # species only
    compartment: str = ""
    hosu: bool = False
    boundary: bool = False
    conc0: float | None = None
    amount0: float | None = None
    conversion: str | None = None


def from_sbml(source: str | os.PathLike, *, max_bytes: int = MAX_BYTES) -> Model:
    """Read an SBML model (file path or text) as a :class:`Model`.

    Parameters
    ----------
    source : str or path-like
        A path, or SBML text starting with ``<``.
    max_bytes : int
        Size limit (see :func:`read_sbml_document`).

    Returns
    -------
    Model
        States, parameters (with their SBML ids and names), terms, observables,
        triggered events and initial assignments; time in the file's units
        (``model.time_units``). See the module notes for the encoding.

    Raises
    ------
    UnsupportedSBMLError
        For a construct not simulated here (``delay``, algebraic rules, fast reactions, ...).
    SBMLImportError
        For unreadable, unsafe or inconsistent input.

    Examples
    --------
    >>> from oncoimmune.io.sbml import from_sbml, to_sbml
    >>> from oncoimmune.library import get_model
    >>> m = from_sbml(to_sbml(get_model("kuznetsov1994")))  # doctest: +SKIP
    """
    return import_sbml(source, max_bytes=max_bytes)[0]


def import_sbml(source: str | os.PathLike, *, max_bytes: int = MAX_BYTES) -> tuple[Model, SBMLInfo]:
    """:func:`from_sbml` plus the :class:`SBMLInfo` that maps SBML ids onto the model."""
    doc, label = read_sbml_document(source, max_bytes=max_bytes)
    return _Importer(doc, label).run()


_NAME_OK = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Importer:
    def __init__(self, doc: Any, label: str) -> None:
        self.L = _libsbml()
        self.doc = doc
        self.m = doc.getModel()
        self.label = label
        self.level = doc.getLevel()
        self.version = doc.getVersion()
        self.used: set[str] = {"t"}
        self.vars: dict[str, _Var] = {}
        self.names: dict[str, str] = {}

    # names ----------------------------------------------------------------
    def fresh(self, base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]", "_", base)
        if not base or not (base[0].isalpha() or base[0] == "_"):
            base = "x_" + base
        name = base
        k = 1
        while name in self.used or not name.isidentifier():
            name = f"{base}_{k}" if k > 1 or name.isidentifier() else f"{base}_"
            k += 1
        self.used.add(name)
        return name

    def _reserve_ids(self) -> None:
        m = self.m
        ids: list[str] = []
        for lst in (m.getListOfCompartments(), m.getListOfSpecies(), m.getListOfParameters(), m.getListOfReactions()):
            ids += [x.getId() for x in lst]
        for r in m.getListOfReactions():
            for sr in list(r.getListOfReactants()) + list(r.getListOfProducts()):
                if sr.isSetId():
                    ids.append(sr.getId())
        self.sbml_ids = set(ids)
        self.used |= {i for i in ids if i != "t"}
        for i in ids:
            if i != "t" and _NAME_OK.match(i) and i.isidentifier():
                self.names[i] = i
            else:
                self.used.discard(i)
        for i in ids:
            if i not in self.names:
                self.names[i] = self.fresh(i + "_")

    # main -----------------------------------------------------------------
    def run(self) -> tuple[Model, SBMLInfo]:
        L, m = self.L, self.m
        self._refuse()
        self._reserve_ids()
        functions = {}
        for fd in m.getListOfFunctionDefinitions():
            if fd.getMath() is None or not fd.getMath().isLambda():
                continue  # refused only if called (unknown function)
            functions[fd.getId()] = fd.getMath()
        self.ctx = _Ctx(L=L, names=self.names, functions=functions, label=self.label, fresh=self.fresh)
        self._collect_vars()
        self._collect_rules()
        self._solve_algebraic()
        return self._build()

    def _refuse(self) -> None:
        L, m = self.L, self.m
        for r in m.getListOfReactions():
            if r.isSetFast() and r.getFast():
                raise UnsupportedSBMLError("fast reaction", f"reaction {r.getId()!r} has fast=\"true\"")
        fbc = m.getPlugin("fbc")
        if fbc is not None and fbc.getNumObjectives():
            raise UnsupportedSBMLError("flux balance constraints (fbc objectives)", "not a time-course model")
        for ev in m.getListOfEvents():
            for ea in ev.getListOfEventAssignments():
                pass

    def _collect_vars(self) -> None:
        m = self.m
        for c in m.getListOfCompartments():
            size = c.getSize() if c.isSetSize() else None
            if size is None and (self.level < 3 or c.getSpatialDimensions() == 0):
                size = 1.0 if self.level < 3 else None
            self.vars[c.getId()] = _Var(
                c.getId(), "compartment", self.names[c.getId()], c.getConstant(),
                None if size is None or math.isnan(size) else size, c.getName(), c.getUnits(),
            )
        for s in m.getListOfSpecies():
            v = _Var(
                s.getId(), "species", self.names[s.getId()], s.getConstant(), None, s.getName(), s.getSubstanceUnits(),
                compartment=s.getCompartment(), hosu=bool(s.getHasOnlySubstanceUnits()),
                boundary=bool(s.getBoundaryCondition()),
                conc0=s.getInitialConcentration() if s.isSetInitialConcentration() else None,
                amount0=s.getInitialAmount() if s.isSetInitialAmount() else None,
                conversion=s.getConversionFactor() if s.isSetConversionFactor() else None,
            )
            comp = m.getCompartment(s.getCompartment())
            if comp is not None and comp.isSetSpatialDimensions() and comp.getSpatialDimensions() == 0:
                v.hosu = True  # a species in a 0-dimensional compartment is always an amount
            if v.conversion is None and m.isSetConversionFactor():
                v.conversion = m.getConversionFactor()
            if s.getCompartment() not in self.vars:
                raise SBMLImportError(f"{self.label}: species {s.getId()!r} is in unknown compartment {s.getCompartment()!r}")
            self.vars[s.getId()] = v
        for p in m.getListOfParameters():
            val = p.getValue() if p.isSetValue() else None
            self.vars[p.getId()] = _Var(
                p.getId(), "parameter", self.names[p.getId()], p.getConstant(),
                val, p.getName(), p.getUnits(),
            )
        for r in m.getListOfReactions():
            for sr in list(r.getListOfReactants()) + list(r.getListOfProducts()):
                if sr.isSetId():
                    st = sr.getStoichiometry() if sr.isSetStoichiometry() else (1.0 if self.level < 3 else None)
                    const = sr.getConstant() if self.level >= 3 else True
                    self.vars[sr.getId()] = _Var(
                        sr.getId(), "sref", self.names[sr.getId()], const,
                        None if st is None or math.isnan(st) else st, sr.getName(),
                    )

    def _solve_algebraic(self) -> None:
        """Turn algebraic rules ``0 = f`` into assignment rules where ``f`` is linear in exactly one
        variable that nothing else determines (solved symbolically: ``x = -f(x=0) / (df/dx)``).

        Anything else (a rule nonlinear in its unknown, or several unknowns per rule) is a
        differential-algebraic system and is refused by name.
        """
        m = self.m
        rules = [r for r in m.getListOfRules() if r.isAlgebraic() and r.getMath() is not None]
        if not rules:
            return
        in_reaction: set[str] = set()
        for r in m.getListOfReactions():
            for sr in list(r.getListOfReactants()) + list(r.getListOfProducts()):
                in_reaction.add(sr.getSpecies())
        free = {
            v.name: v for v in self.vars.values()
            if not v.constant and v.assign is None and v.rate is None and not v.event_target
            and not (v.kind == "species" and not v.boundary and v.id in in_reaction)
        }
        pending = [(r, _math(self.ctx, r.getMath(), where="algebraic rule")) for r in rules]
        solved: set[str] = set()
        progress = True
        while pending and progress:
            progress = False
            for item in list(pending):
                _, f = item
                unknowns = (free_symbols(f) & free.keys()) - solved
                if len(unknowns) != 1:
                    continue
                (x,) = unknowns
                a = diff(f, x)
                if x in free_symbols(a) or (isinstance(a, Num) and a.value == 0.0):
                    raise UnsupportedSBMLError("algebraic rule", f"0 = {_short(f)} is not linear in {x}")
                free[x].assign = -substitute(f, {x: Num(0.0)}) / a
                solved.add(x)
                pending.remove(item)
                progress = True
        if pending:
            raise UnsupportedSBMLError(
                "algebraic rule",
                f"0 = {_short(pending[0][1])} does not determine exactly one otherwise undetermined variable "
                "(differential-algebraic systems are not simulated)",
            )

    def _collect_rules(self) -> None:
        m, ctx = self.m, None
        for r in m.getListOfRules():
            if r.isAlgebraic():
                continue  # see _solve_algebraic
            var = r.getVariable()
            if var not in self.vars:
                raise SBMLImportError(f"{self.label}: rule for {var!r}, which is not a compartment, species or parameter")
            v = self.vars[var]
            if r.getMath() is None:  # SBML L3V2: a rule without math has no effect
                continue
            expr = _math(self.ctx, r.getMath(), where=f"rule for {var!r}")
            if r.isAssignment():
                v.assign = expr
            elif r.isRate():
                v.rate = expr
        for ia in m.getListOfInitialAssignments():
            var = ia.getSymbol()
            if var not in self.vars:
                raise SBMLImportError(f"{self.label}: initial assignment to unknown {var!r}")
            if ia.getMath() is None:
                continue
            self.vars[var].initial = _math(self.ctx, ia.getMath(), where=f"initial assignment of {var!r}")
        for ev in m.getListOfEvents():
            for ea in ev.getListOfEventAssignments():
                var = ea.getVariable()
                if var not in self.vars:
                    raise SBMLImportError(f"{self.label}: event {ev.getId()!r} assigns unknown {var!r}")
                self.vars[var].event_target = True

    # building -------------------------------------------------------------
    def _build(self) -> tuple[Model, SBMLInfo]:
        L, m = self.L, self.m
        mid = m.getId() if m.isSetId() and m.getId() else "sbml_model"
        src = Source(citation=f"SBML model {mid!r} ({Path(self.label).name if self.label != 'SBML text' else 'text'})")
        states: dict[str, State] = {}
        state_init: dict[str, Expr] = {}
        params: dict[str, Parameter] = {}
        observables: dict[str, Observable] = {}
        rate_terms: list[Term] = []
        value: dict[str, Expr] = {}
        amount: dict[str, Expr] = {}
        conc: dict[str, Expr] = {}
        notes: list[str] = [f"Imported from SBML Level {self.level} Version {self.version} ({self.label})."]
        amount_state: dict[str, str] = {}  # species id -> amount state name
        V = self.vars

        def varying_comp(cid: str) -> bool:
            c = V[cid]
            return c.assign is not None or c.rate is not None or c.event_target

        def desc(v: _Var) -> str:
            return v.sbml_name or f"SBML {v.kind} {v.id}"

        # 1. classify ------------------------------------------------------
        constant_like: list[_Var] = []
        for v in V.values():
            if v.assign is not None:
                observables[v.name] = Observable(v.name, v.assign, v.units, desc(v))
                continue
            if v.kind == "species" and v.rate is None and not v.hosu and varying_comp(v.compartment):
                an = self.fresh(f"{v.name}_amount")
                amount_state[v.id] = an
                states[an] = None  # type: ignore[assignment]
                observables[v.name] = Observable(
                    v.name, Sym(an) / Sym(V[v.compartment].name), "", f"concentration of {desc(v)}"
                )
                continue
            if v.rate is not None or v.event_target or (v.kind == "species" and not v.constant):
                states[v.name] = None  # type: ignore[assignment]
                if v.rate is not None:
                    rate_terms.append(Term(self.fresh(f"rate_rule_{v.name}"), v.rate, {v.name: 1.0},
                                           f"rate rule of {v.id}"))
                continue
            constant_like.append(v)

        # constants: parameters, or observables / fixed states when an initial assignment computes them
        param_names: set[str] = set()
        pending = []
        for v in constant_like:
            if v.kind == "species":
                ini = self._species_initial(v, None)
                if ini is None:
                    self.ctx.undefined.add(v.name)
                    continue
                if isinstance(ini, Num):
                    params[v.name] = Parameter(v.name, ini.value, v.units or "", desc(v), replace(src, location=f"species {v.id}"), (-math.inf, math.inf))
                    param_names.add(v.name)
                else:
                    pending.append((v, ini))
            elif v.initial is not None:
                pending.append((v, v.initial))
            elif v.value is None:
                if v.kind == "sref":
                    params[v.name] = Parameter(v.name, 1.0, "1", desc(v), replace(src, location=f"species reference {v.id}"), (-math.inf, math.inf))
                    param_names.add(v.name)
                else:
                    self.ctx.undefined.add(v.name)
            elif not math.isfinite(v.value):  # INF / NaN values: kept as constant expressions
                special = _NAN if math.isnan(v.value) else (_INF if v.value > 0 else -_INF)
                observables[v.name] = Observable(v.name, special, v.units or "", desc(v))
            else:
                params[v.name] = Parameter(v.name, v.value, v.units or "", desc(v), replace(src, location=f"{v.kind} {v.id}"), (-math.inf, math.inf))
                param_names.add(v.name)
        # initial-assignment constants: observables of parameters where possible (to a fixed point)
        const_obs: set[str] = set()
        changed = True
        while changed:
            changed = False
            for v, ex in list(pending):
                if free_symbols(ex) <= (param_names | const_obs):
                    observables[v.name] = Observable(v.name, ex, v.units or "", desc(v) + " (initial assignment)")
                    const_obs.add(v.name)
                    pending.remove((v, ex))
                    changed = True
        for v, ex in pending:  # computed from initial values of states: fixed states
            states[v.name] = None  # type: ignore[assignment]
            state_init[v.name] = ex

        # 2. state initial values ------------------------------------------
        for v in V.values():
            if v.kind == "species" and v.id in amount_state:
                ini = self._species_initial(v, amount_rep=True)
                if ini is None:
                    raise SBMLImportError(f"{self.label}: species {v.id!r} has no initial amount or concentration")
                state_init[amount_state[v.id]] = ini
            elif v.name in states and v.name not in state_init:
                if v.kind == "species":
                    ini = self._species_initial(v, None)
                elif v.initial is not None:
                    ini = v.initial
                else:
                    ini = None if v.value is None else _const(v.value)
                if ini is None:
                    raise SBMLImportError(f"{self.label}: {v.kind} {v.id!r} has no initial value")
                state_init[v.name] = ini

        # 3. reactions -------------------------------------------------------
        terms: list[Term] = list(rate_terms)
        for r in m.getListOfReactions():
            rid = r.getId()
            rname = self.names[rid]
            kl = r.getKineticLaw()
            if kl is None or kl.getMath() is None:
                raise UnsupportedSBMLError("reaction without a kinetic law", f"reaction {rid!r}")
            scope: dict[str, Expr] = {}
            locals_ = list(kl.getListOfLocalParameters()) if self.level >= 3 else list(kl.getListOfParameters())
            for lp in locals_:
                pn = self.fresh(f"{rname}_{lp.getId()}")
                val = lp.getValue() if lp.isSetValue() else math.nan
                if math.isnan(val):
                    raise SBMLImportError(f"{self.label}: local parameter {lp.getId()!r} of reaction {rid!r} has no value")
                params[pn] = Parameter(pn, val, lp.getUnits() or "", lp.getName() or f"local parameter {lp.getId()} of reaction {rid}",
                                       replace(src, location=f"reaction {rid}, local parameter {lp.getId()}"), (-math.inf, math.inf))
                param_names.add(pn)
                scope[lp.getId()] = Sym(pn)
            rate = _math(self.ctx, kl.getMath(), scope, where=f"kinetic law of reaction {rid!r}")
            observables[rname] = Observable(rname, rate, "", r.getName() or f"rate of reaction {rid}")
            groups: dict[str, tuple[Expr, dict[str, float]]] = {}
            for sign, lst in ((-1.0, r.getListOfReactants()), (1.0, r.getListOfProducts())):
                for sr in lst:
                    sid = sr.getSpecies()
                    if sid not in V or V[sid].kind != "species":
                        raise SBMLImportError(f"{self.label}: reaction {rid!r} refers to unknown species {sid!r}")
                    sv = V[sid]
                    if sv.boundary or sv.constant or sv.assign is not None or sv.rate is not None:
                        continue
                    if self.level == 2 and sr.isSetStoichiometryMath():
                        st: Expr = _math(self.ctx, sr.getStoichiometryMath().getMath(), where=f"stoichiometry in {rid!r}")
                    elif sr.isSetId() and V[sr.getId()].name in params:
                        st = Num(params[V[sr.getId()].name].value)
                    elif sr.isSetId():
                        st = Sym(V[sr.getId()].name)
                    else:
                        s_ = sr.getStoichiometry() if sr.isSetStoichiometry() else 1.0
                        st = Num(1.0 if math.isnan(s_) else s_)
                    factor: Expr = Sym(rname)
                    if sv.conversion:
                        if sv.conversion not in self.names:
                            raise SBMLImportError(f"{self.label}: conversion factor {sv.conversion!r} is not a parameter")
                        factor = factor * Sym(self.names[sv.conversion])
                    target = amount_state.get(sid)
                    if target is None:
                        target = sv.name
                        if not sv.hosu:
                            factor = factor / Sym(V[sv.compartment].name)
                    coef = sign
                    if not isinstance(st, Num):
                        factor = factor * st
                    else:
                        coef = sign * st.value
                    key = repr(factor)
                    if key not in groups:
                        groups[key] = (factor, {})
                    eff = groups[key][1]
                    eff[target] = eff.get(target, 0.0) + coef
            for k, (factor, eff) in enumerate(groups.values()):
                eff = {s: c for s, c in eff.items() if c != 0.0}
                if not eff:
                    continue
                tn = self.fresh(rname if k == 0 else f"{rname}_{k}")
                terms.append(Term(tn, factor, eff, r.getName() or f"reaction {rid}"))

        # 4. events ----------------------------------------------------------
        events: list[TriggeredEvent] = []
        for k, ev in enumerate(m.getListOfEvents()):
            eid = ev.getId() if ev.isSetId() and ev.getId() else f"event_{k}"
            tr = ev.getTrigger()
            if tr is None or tr.getMath() is None:  # SBML L3V2: an event without a trigger never fires
                notes.append(f"Event {eid!r} has no trigger and never fires.")
                continue
            trig = _math(self.ctx, tr.getMath(), where=f"trigger of event {eid!r}")
            delay = _math(self.ctx, ev.getDelay().getMath(), where=f"delay of event {eid!r}") if ev.isSetDelay() and ev.getDelay().isSetMath() else None
            prio = (
                _math(self.ctx, ev.getPriority().getMath(), where=f"priority of event {eid!r}")
                if self.level >= 3 and ev.isSetPriority() and ev.getPriority().isSetMath() else None
            )
            persistent = bool(tr.getPersistent()) if self.level >= 3 else True
            initial_value = bool(tr.getInitialValue()) if self.level >= 3 else True
            uftt = bool(ev.getUseValuesFromTriggerTime()) if (self.level >= 3 or ev.isSetUseValuesFromTriggerTime()) else True
            raw: dict[str, Expr] = {}
            for ea in ev.getListOfEventAssignments():
                if ea.getMath() is None:
                    continue
                raw[ea.getVariable()] = _math(self.ctx, ea.getMath(), where=f"assignment to {ea.getVariable()!r} in event {eid!r}")
            assigns: list[tuple[str, Expr]] = []
            for var, ex in raw.items():
                v = V[var]
                if v.kind == "species" and var in amount_state:
                    # the concentration is converted with the size before the event (SBML L3V2 4.12.4)
                    assigns.append((amount_state[var], ex * Sym(V[v.compartment].name)))
                elif v.kind == "species" and not v.hosu and v.compartment in raw and v.name in states:
                    c = V[v.compartment]
                    assigns.append((v.name, ex * Sym(c.name) / raw[c.id]))
                else:
                    if v.name not in states:
                        raise SBMLImportError(f"{self.label}: event {eid!r} assigns {var!r}, which cannot change")
                    assigns.append((v.name, ex))
            # a concentration kept as a state (a species under a rate rule) in a compartment resized by
            # the event keeps its amount: c := c * V_before / V_after
            for cid in [c for c in raw if V[c].kind == "compartment"]:
                for sv in V.values():
                    if (sv.kind == "species" and sv.compartment == cid and not sv.hosu and sv.id not in raw
                            and sv.id not in amount_state and sv.name in states):
                        assigns.append((sv.name, Sym(sv.name) * Sym(V[cid].name) / raw[cid]))
            events.append(TriggeredEvent(
                self.fresh(eid) if eid in self.used or not _NAME_OK.match(eid) else eid,
                trig, tuple(assigns), delay, prio, persistent, initial_value, uftt, ev.getName(),
            ))
            self.used.add(events[-1].name)

        # 5. rateOf placeholders (derivatives by the chain rule) ----------------------
        state_deriv: dict[str, Expr] = {s: Num(0.0) for s in states}
        for t in terms:
            for s, c in t.effects.items():
                state_deriv[s] = state_deriv[s] + c * t.rate
        if self.ctx.rate_of:
            inl = _inline_all({k: o.expr for k, o in observables.items()})
            for target, ph in self.ctx.rate_of.items():
                if target in states:
                    d = state_deriv[target]
                elif target in observables:
                    full = inl[target]
                    d = diff(full, "t")
                    for s in free_symbols(full) & states.keys():
                        d = d + diff(full, s) * state_deriv[s]
                else:
                    d = Num(0.0)
                observables[ph] = Observable(ph, d, "", f"rate of change of {target}")

        # 6. assemble --------------------------------------------------------
        st_objs = []
        ias = []
        for name in states:
            ini = state_init[name]
            if isinstance(ini, Num):
                st_objs.append(State(name, ini.value, self._units_of(name), self._desc_of(name), nonnegative=False))
            else:
                st_objs.append(State(name, 0.0, self._units_of(name), self._desc_of(name), nonnegative=False))
                ias.append((name, ini))
        if not st_objs:
            ph = self.fresh("placeholder_state")
            st_objs.append(State(ph, 0.0, "1", "placeholder: the SBML model has no state variables (never changes)",
                                 nonnegative=False))
        title = m.getName() if m.isSetName() and m.getName() else mid
        tu = m.getTimeUnits() if self.level >= 3 and m.isSetTimeUnits() else ""
        time_units = tu or "time unit of the SBML file"
        model = Model(
            id=mid,
            title=title,
            states=tuple(st_objs),
            parameters=tuple(params.values()),
            terms=tuple(terms),
            observables=tuple(observables.values()),
            description=f"Imported from {Path(self.label).name if self.label != 'SBML text' else 'SBML text'}; "
            f"time in the file's units ({time_units}).",
            references=(src,),
            notes=tuple(notes),
            events=tuple(events),
            initial_assignments=tuple(ias),
            time_units=time_units,
        )
        if ias:
            y0 = model.compile().y0
            if not np.all(np.isfinite(y0)):
                bad = model.state_names[int(np.argmin(np.isfinite(y0)))]
                raise SBMLImportError(f"{self.label}: the initial value of {bad!r} is not finite ({y0})")
            model = replace(model, states=tuple(replace(s, initial=float(y)) for s, y in zip(model.states, y0)))
        # 7. the map from SBML ids to expressions --------------------------------
        for v in V.values():
            if v.name in self.ctx.undefined:
                continue
            value[v.id] = Sym(v.name)
            if v.kind == "species":
                size = Sym(V[v.compartment].name)
                if v.id in amount_state:
                    amount[v.id] = Sym(amount_state[v.id])
                    conc[v.id] = Sym(v.name)
                elif v.hosu:
                    amount[v.id] = Sym(v.name)
                    conc[v.id] = Sym(v.name) / size
                else:
                    conc[v.id] = Sym(v.name)
                    amount[v.id] = Sym(v.name) * size
        for r in m.getListOfReactions():
            value[r.getId()] = Sym(self.names[r.getId()])
        info = SBMLInfo(value=value, amount=amount, concentration=conc, names=dict(self.names),
                        level=self.level, version=self.version)
        return model, info

    def _species_initial(self, v: _Var, amount_rep: bool | None) -> Expr | None:
        """Initial value of species ``v`` in its state's units (amount if ``amount_rep`` or hOSU)."""
        size = Sym(self.vars[v.compartment].name)
        as_amount = bool(amount_rep) or v.hosu
        if v.initial is not None:  # the initial assignment gives the species' SBML value
            if amount_rep and not v.hosu:
                return v.initial * size
            return v.initial
        if v.conc0 is not None and not math.isnan(v.conc0):
            c = Num(v.conc0)
            return c * size if as_amount else c
        if v.amount0 is not None and not math.isnan(v.amount0):
            a = Num(v.amount0)
            return a if as_amount else a / size
        return None

    def _units_of(self, name: str) -> str:
        for v in self.vars.values():
            if v.name == name:
                return v.units or ""
        return ""

    def _desc_of(self, name: str) -> str:
        for v in self.vars.values():
            if v.name == name:
                return v.sbml_name or f"SBML {v.kind} {v.id}"
            if name.endswith("_amount") and v.kind == "species" and name.startswith(v.name):
                return f"amount of {v.sbml_name or v.id}"
        return name


def _short(e: Expr) -> str:
    from ..model.expr import to_text

    t = to_text(e)
    return t if len(t) < 80 else t[:77] + "..."


def _inline_all(obs: Mapping[str, Expr]) -> dict[str, Expr]:
    out: dict[str, Expr] = {}
    visiting: set[str] = set()

    def get(name: str) -> Expr:
        if name in out:
            return out[name]
        if name in visiting:
            raise SBMLImportError(f"assignment rules depend on each other in a cycle through {name!r}")
        visiting.add(name)
        ex = obs[name]
        deps = free_symbols(ex) & obs.keys()
        out[name] = substitute(ex, {d: get(d) for d in deps})
        visiting.discard(name)
        return out[name]

    for k in obs:
        get(k)
    return out
