"""Expression trees as a linear instruction tape (a small register machine).

A :class:`Tape` is *data*: integer instructions ``(opcode, dst, a, b)`` over
one flat register file of float64 values, plus the constants to preload and
the registers that hold the outputs. Because a tape is just arrays, one
compiled kernel (``engines/batched.py``) interprets the tape of *every* model:
nothing is generated, compiled or ``exec``-ed per model.

Register layout (``n = n_states``, ``m = n_params``, ``c = len(consts)``)::

    reg[0]                       t
    reg[1 : 1+n]                 y
    reg[1+n : 1+n+m]             p
    reg[1+n+m : 1+n+m+c]         constants (copied once from ``consts``)
    reg[1+n+m+c : n_regs]        temporaries (reused after their last read)

The builder

* numbers values (hash-consing on ``(op, operand registers)``), so a
  subexpression shared by several outputs or repeated after inlining
  observables is computed once (common-subexpression elimination);
* writes ``x^2`` as ``x*x`` exactly as :func:`~oncoimmune.model.expr.compile_expr`
  does (the other powers call ``pow``);
* allocates temporaries by liveness, so the register file stays small
  (it lives in L1 cache inside the kernels), never writing a result into one
  of its own operands' registers (so the kernels' loops over lanes vectorise);
* hoists the instructions that depend only on parameters and constants
  (e.g. ``CL/V1``) to the front of the tape, the *prelude*
  (:attr:`Tape.n_invariant` instructions, whose results stay live to the end):
  a solver runs the prelude once per patient and after each parameter event,
  and only the rest of the tape at every evaluation. Moving an instruction
  does not change its operands, so every output is bit-for-bit the same;
* writes a division by such a value (``A1 / V1``) as a multiplication by its
  reciprocal, computed once in the prelude (a division costs several
  multiplications in the lane loops: the stiff cohort's right-hand side runs
  25 % faster), and a denominator shared by several divisions as one reciprocal;
  such an output may differ from :func:`~oncoimmune.model.expr.compile_expr`
  in the last bit (``reciprocal_divisors=False`` keeps the divisions).

:func:`eval_tape` is a plain NumPy interpreter used to validate tapes against
:func:`~oncoimmune.model.expr.compile_expr`; it accepts one patient
(``y`` of shape ``(n,)``) or a batch over a trailing axis (``(n, batch)``).

Examples
--------
>>> import numpy as np
>>> from oncoimmune.library import get_model
>>> cm = get_model("kuznetsov1994").compile()
>>> tape = rhs_tape(cm)
>>> np.allclose(eval_tape(tape, 0.0, cm.y0, cm.p0), cm.rhs()(0.0, cm.y0, cm.p0))
True
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .._errors import ModelSpecError
from ..model.compile import CompiledModel
from ..model.expr import EXTENDED, Expr, Num, Op, Sym, maximum, step

__all__ = [
    "Tape",
    "OPCODES",
    "FUNCTIONS",
    "build_tape",
    "rhs_tape",
    "jacobian_tape",
    "observables_tape",
    "eval_tape",
]

#: opcode numbers shared with the compiled kernels (``engines/batched.py``)
OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_NEG, OP_POW, OP_EXP, OP_LOG, OP_SQRT, OP_MAX, OP_MIN, OP_STEP, OP_SQUARE = range(13)
#: elementary functions of MathML (SBML), e.g. the periodic forcing of PEtab's Chen 2009 problem; the kernels
#: interpret them in one inlined helper after the arithmetic opcodes, so these never slow a model without them
(OP_SIN, OP_COS, OP_TAN, OP_ASIN, OP_ACOS, OP_ATAN, OP_SINH, OP_COSH, OP_TANH, OP_ASINH, OP_ACOSH, OP_ATANH,
 OP_FLOOR, OP_CEIL) = range(13, 27)
#: the unary functions of the previous line by their name in :data:`~oncoimmune.model.expr.OPERATIONS`
FUNCTIONS: dict[str, int] = {
    "sin": OP_SIN,
    "cos": OP_COS,
    "tan": OP_TAN,
    "asin": OP_ASIN,
    "acos": OP_ACOS,
    "atan": OP_ATAN,
    "sinh": OP_SINH,
    "cosh": OP_COSH,
    "tanh": OP_TANH,
    "asinh": OP_ASINH,
    "acosh": OP_ACOSH,
    "atanh": OP_ATANH,
    "floor": OP_FLOOR,
    "ceil": OP_CEIL,
}

#: expression operation -> opcode
OPCODES: dict[str, int] = {
    "add": OP_ADD,
    "sub": OP_SUB,
    "mul": OP_MUL,
    "div": OP_DIV,
    "neg": OP_NEG,
    "pow": OP_POW,
    "exp": OP_EXP,
    "log": OP_LOG,
    "sqrt": OP_SQRT,
    "max": OP_MAX,
    "min": OP_MIN,
    "step": OP_STEP,
    "square": OP_SQUARE,
    **FUNCTIONS,
}
_UNARY = {OP_NEG, OP_EXP, OP_LOG, OP_SQRT, OP_STEP, OP_SQUARE, *FUNCTIONS.values()}
_COMMUTATIVE = {OP_ADD, OP_MUL, OP_MAX, OP_MIN}


@dataclass(frozen=True, eq=False)
class Tape:
    """A straight-line program computing several outputs from ``(t, y, p)``.

    Attributes
    ----------
    n_states, n_params : int
        Sizes of ``y`` and ``p`` (registers ``1..n_states`` and the next ``n_params``).
    consts : ndarray of float64, shape (n_consts,)
        Values preloaded into registers ``const_base .. const_base + n_consts``.
    code : ndarray of int32, shape (n_instr, 4)
        ``(opcode, dst, a, b)``; unary operations ignore ``b``.
    outputs : ndarray of int32, shape (n_outputs,)
        Register holding each output after the program ran (may be an input
        or constant register, e.g. for a derivative that is a parameter or 0).
    n_regs : int
        Size of the register file.
    n_invariant : int
        Number of leading instructions that read only parameters and constants
        (the prelude); their results are never overwritten by later instructions.
    """

    n_states: int
    n_params: int
    consts: np.ndarray
    code: np.ndarray
    outputs: np.ndarray
    n_regs: int
    n_invariant: int = 0

    @property
    def const_base(self) -> int:
        return 1 + self.n_states + self.n_params

    @property
    def n_instr(self) -> int:
        return int(self.code.shape[0])

    @property
    def n_outputs(self) -> int:
        return int(self.outputs.shape[0])

    def initial_registers(self) -> np.ndarray:
        """A register file with the constants in place (inputs and temporaries 0)."""
        reg = np.zeros(self.n_regs)
        reg[self.const_base : self.const_base + self.consts.size] = self.consts
        return reg


def _const_key(v: float) -> bytes:
    # by bit pattern: keeps 0.0 and -0.0 apart
    return struct.pack("<d", v)


def build_tape(exprs: Sequence[Expr], index: Mapping[str, tuple[str, int]], n_states: int, n_params: int,
               reciprocal_divisors: bool = True) -> Tape:
    """Translate expression trees into one :class:`Tape` with an output per tree.

    Parameters
    ----------
    exprs : sequence of Expr
        The outputs, e.g. the derivatives of a compiled model.
    index : mapping
        ``name -> ("y", i)`` or ``("p", j)`` as in :attr:`CompiledModel.index`;
        the symbol ``t`` is time.
    n_states, n_params : int
        Sizes of the state and parameter vectors.
    reciprocal_divisors : bool
        Write a division by a value that depends only on parameters and
        constants (``A1 / V1``) as a multiplication by its reciprocal, which
        the prelude computes once per patient, and a denominator shared by
        several divisions (``p E T/(g + T)``, ``k E T/(g + T)``) as one
        reciprocal and multiplications. Outputs then agree with
        :func:`~oncoimmune.model.expr.compile_expr` to about one unit in the
        last place per such division instead of bit for bit.

    Raises
    ------
    ModelSpecError
        If a tree uses a symbol that is neither ``t`` nor in ``index``.
    """
    if n_states < 0 or n_params < 0:
        raise ModelSpecError(f"n_states and n_params must be >= 0; got {n_states}, {n_params}")
    lowered: dict[int, Expr] = {}
    exprs = [lower_extended(e, lowered) for e in exprs]
    tape, shared = _build_lowered(exprs, index, n_states, n_params, reciprocal_divisors, frozenset())
    if shared:
        # a denominator shared by several divisions (E*T/(g + T) and k_ex*E*T/(g + T)): one
        # reciprocal and a multiplication each (a second build, knowing which)
        tape, _ = _build_lowered(exprs, index, n_states, n_params, reciprocal_divisors, shared)
    return tape


def _build_lowered(exprs: Sequence[Expr], index: Mapping[str, tuple[str, int]], n_states: int, n_params: int,
                   reciprocal_divisors: bool, shared: frozenset[int]) -> tuple[Tape, frozenset[int]]:
    """:func:`build_tape` on lowered trees; ``shared``: ids of denominator nodes to invert once.

    Returns the tape and, when ``reciprocal_divisors``, the ids of the denominator nodes whose value
    divides two or more different numerators."""
    # values: ("in", reg) for inputs, ("const", k) for constants, ("tmp", k) for instruction results
    const_vals: list[float] = []
    const_ids: dict[bytes, int] = {}
    instrs: list[list[Any]] = []  # [opcode, a_value, b_value]
    numbering: dict[tuple, tuple[str, int]] = {}
    memo: dict[int, tuple[str, int]] = {}
    keep: list[Expr] = []  # keeps ids in memo valid
    div_numerators: dict[tuple[str, int], set[tuple[str, int]]] = {}  # denominator value -> numerators
    div_nodes: dict[tuple[str, int], set[int]] = {}  # denominator value -> ids of its nodes

    def const(v: float) -> tuple[str, int]:
        k = _const_key(v)
        if k not in const_ids:
            const_ids[k] = len(const_vals)
            const_vals.append(v)
        return ("const", const_ids[k])

    is_inv: list[bool] = []  # per instruction: reads only parameters and constants

    def param_only(v: tuple[str, int]) -> bool:
        kind, i = v
        return kind == "const" or (kind == "in" and i >= 1 + n_states) or (kind == "tmp" and is_inv[i])

    def emit(opcode: int, a: tuple[str, int], b: tuple[str, int]) -> tuple[str, int]:
        if opcode == OP_DIV and reciprocal_divisors and param_only(b) and not param_only(a):
            # x / b with b fixed per patient (e.g. A1 / V1): x * (1/b), the reciprocal in the prelude.
            # A division costs about 8x a multiplication in the lane loops (and is not pipelined);
            # the result may differ from x / b in the last bit
            return emit(OP_MUL, a, emit(OP_DIV, const(1.0), b))
        if opcode in _UNARY:
            key: tuple = (opcode, a)
        elif opcode in _COMMUTATIVE:
            key = (opcode,) + tuple(sorted((a, b)))
        else:
            key = (opcode, a, b)
        if key not in numbering:
            numbering[key] = ("tmp", len(instrs))
            instrs.append([opcode, a, b])
            is_inv.append(param_only(a) and param_only(b))
        return numbering[key]

    def leaf(e: Expr) -> tuple[str, int]:
        if isinstance(e, Num):
            return const(e.value)
        assert isinstance(e, Sym)
        if e.name == "t":
            return ("in", 0)
        if e.name not in index:
            raise ModelSpecError(f"symbol {e.name!r} is not a state, parameter or observable")
        where, i = index[e.name]
        if where == "y":
            if not 0 <= i < n_states:
                raise ModelSpecError(f"state {e.name!r} has index {i} outside 0..{n_states - 1}")
            return ("in", 1 + i)
        if not 0 <= i < n_params:
            raise ModelSpecError(f"parameter {e.name!r} has index {i} outside 0..{n_params - 1}")
        return ("in", 1 + n_states + i)

    def value_of(root: Expr) -> tuple[str, int]:
        # iterative post-order walk (no recursion limit on deep sums)
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in memo:
                continue
            if not isinstance(node, Op):
                memo[id(node)] = leaf(node)
                keep.append(node)
                continue
            if not ready:
                stack.append((node, True))
                for a in node.args:
                    if id(a) not in memo:
                        stack.append((a, False))
                continue
            args = [memo[id(a)] for a in node.args]
            op = node.op
            if op == "pow" and isinstance(node.args[1], Num) and node.args[1].value == 2.0:
                v = emit(OP_SQUARE, args[0], args[0])
            elif op in ("neg", "exp", "log", "sqrt", "step") or op in FUNCTIONS:
                v = emit(OPCODES[op], args[0], args[0])
            elif op == "div" and id(node.args[1]) in shared:
                r = emit(OP_DIV, const(1.0), args[1])
                v = r if args[0] == const(1.0) else emit(OP_MUL, args[0], r)
            elif op in OPCODES:
                if op == "div" and reciprocal_divisors:
                    div_numerators.setdefault(args[1], set()).add(args[0])
                    div_nodes.setdefault(args[1], set()).add(id(node.args[1]))
                v = emit(OPCODES[op], args[0], args[1])
            else:  # pragma: no cover - Op refuses unknown operations when built
                raise ModelSpecError(f"operation {op!r} has no opcode")
            memo[id(node)] = v
            keep.append(node)
        return memo[id(root)]

    out_values = [value_of(e) for e in exprs]
    n_in = 1 + n_states + n_params

    # hoist parameter-only instructions into a prelude ----------------------------
    # (the list is in dependency order, and so is each of its two parts)
    def invariant(v: tuple[str, int], inv: list[bool]) -> bool:
        kind, i = v
        if kind == "const":
            return True
        if kind == "in":
            return i >= 1 + n_states  # a parameter (register 0 is t, then the states)
        return inv[i]

    inv: list[bool] = []
    for opcode, a, b in instrs:
        inv.append(invariant(a, inv) and invariant(b, inv))
    order = [k for k in range(len(instrs)) if inv[k]] + [k for k in range(len(instrs)) if not inv[k]]
    new_index = {old: new for new, old in enumerate(order)}

    def renumber(v: tuple[str, int]) -> tuple[str, int]:
        return ("tmp", new_index[v[1]]) if v[0] == "tmp" else v

    instrs = [[instrs[k][0], renumber(instrs[k][1]), renumber(instrs[k][2])] for k in order]
    out_values = [renumber(v) for v in out_values]
    n_invariant = sum(inv)

    # register allocation by liveness --------------------------------------------
    const_base = n_in
    tmp_base = const_base + len(const_vals)
    last_use = [-1] * len(instrs)
    for k, (_, a, b) in enumerate(instrs):
        for v in (a, b):
            if v[0] == "tmp":
                last_use[v[1]] = k
    for v in out_values:
        if v[0] == "tmp":
            last_use[v[1]] = len(instrs)  # outputs live to the end
    for k in range(n_invariant):
        if last_use[k] != -1:
            last_use[k] = len(instrs)  # prelude results survive every run of the rest
    reg_of_tmp = [0] * len(instrs)
    free: list[int] = []
    n_tmp = 0
    frees_at: dict[int, list[int]] = {}
    for k in range(len(instrs)):
        frees_at.setdefault(last_use[k], []).append(k)

    def reg(v: tuple[str, int]) -> int:
        kind, i = v
        if kind == "in":
            return i
        if kind == "const":
            return const_base + i
        return reg_of_tmp[i]

    code = np.zeros((len(instrs), 4), dtype=np.int32)
    for k, (opcode, a, b) in enumerate(instrs):
        ra, rb = reg(a), reg(b)
        # the result never goes to an operand's register, even one whose last
        # reader is this instruction: with dst != a, b the compiler can prove the
        # kernels' loops over lanes free of overlap and vectorise them (about
        # 1.7x faster per instruction than the in-place form); operands dying
        # here are freed only after dst is chosen
        if free:
            dst = free.pop()
        else:
            dst = tmp_base + n_tmp
            n_tmp += 1
        for dead in frees_at.get(k, ()):
            if dead != k:
                free.append(reg_of_tmp[dead])
        reg_of_tmp[k] = dst
        if last_use[k] == -1:  # never read (cannot happen for reachable values)
            free.append(dst)  # pragma: no cover
        code[k] = (opcode, dst, ra, rb)
    outputs = np.array([reg(v) for v in out_values], dtype=np.int32)
    tape = Tape(
        n_states=n_states,
        n_params=n_params,
        consts=np.array(const_vals, dtype=np.float64),
        code=code,
        outputs=outputs,
        n_regs=tmp_base + n_tmp,
        n_invariant=n_invariant,
    )
    again = frozenset(
        i for b, nums in div_numerators.items() if len(nums) >= 2 and not param_only(b) for i in div_nodes[b]
    )
    return tape, again


_BOOLEAN = {"lt", "le", "gt", "ge", "eq", "ne", "and", "or", "xor", "not"}


def lower_extended(e: Expr, memo: dict[int, Expr] | None = None) -> Expr:
    """Rewrite relations, logic, ``select`` and ``abs`` with the tape's operations.

    The elementary functions of :data:`FUNCTIONS` (trigonometric, hyperbolic and
    their inverses, ``floor``, ``ceil``) have opcodes of their own and pass through.

    ``a > b`` is ``step(a - b)``, ``a >= b`` is ``1 - step(b - a)``, logic works on
    0/1 values, ``abs(x)`` is ``max(x, -x)`` and ``select(c, a, b)`` is
    ``c*a + (1 - c)*b``; the last is exact only where both branches are finite
    (a branch that is infinite or NaN where it is not chosen, e.g. a guard
    against division by zero, gives NaN: the batched engine then reports the
    patient failed, never a wrong value). The remaining functions
    (``factorial``, ``rem``, ``quotient``) have no opcode and are refused.

    Raises
    ------
    ModelSpecError
        For an operation the tape cannot express (use ``engine="scipy"``).
    """
    memo = {} if memo is None else memo
    keep: list[Expr] = []

    def truth(x: Expr) -> Expr:  # 1.0 where x != 0, else 0.0
        if isinstance(x, Op) and x.op in _BOOLEAN:
            return go(x)
        lx = go(x)
        return step(maximum(lx, -lx))

    def go(node: Expr) -> Expr:
        if not isinstance(node, Op):
            return node
        hit = memo.get(id(node))
        if hit is not None:
            return hit
        op = node.op
        if op not in EXTENDED or op in FUNCTIONS:
            args = tuple(go(a) for a in node.args)
            out = node if all(x is y for x, y in zip(args, node.args)) else Op(op, args)
        elif op in ("lt", "gt", "le", "ge", "eq", "ne"):
            a, b = (go(x) for x in node.args)
            out = {
                "gt": lambda: step(a - b),
                "lt": lambda: step(b - a),
                "ge": lambda: 1.0 - step(b - a),
                "le": lambda: 1.0 - step(a - b),
                "eq": lambda: (1.0 - step(a - b)) * (1.0 - step(b - a)),
                "ne": lambda: step(a - b) + step(b - a),
            }[op]()
        elif op == "not":
            out = 1.0 - truth(node.args[0])
        elif op in ("and", "or", "xor"):
            a, b = truth(node.args[0]), truth(node.args[1])
            out = {"and": lambda: a * b, "or": lambda: a + b - a * b, "xor": lambda: a + b - 2.0 * a * b}[op]()
        elif op == "select":
            c = truth(node.args[0])
            a, b = go(node.args[1]), go(node.args[2])
            out = c * a + (1.0 - c) * b
        elif op == "abs":
            a = go(node.args[0])
            out = maximum(a, -a)
        else:
            raise ModelSpecError(
                f"operation {op!r} is not available in the compiled tape of the batched engine; "
                "use engine='scipy' for this model"
            )
        memo[id(node)] = out
        keep.append(node)
        return out

    return go(e)


def _cached(cm: CompiledModel, key: str, exprs: tuple[Expr, ...]) -> Tape:
    ck = ("tape", key)
    if ck not in cm._cache:
        cm._cache[ck] = build_tape(exprs, cm.index, cm.n_states, cm.n_params)
    return cm._cache[ck]


def rhs_tape(cm: CompiledModel) -> Tape:
    """Tape of the right-hand side ``dy/dt`` (cached on the compiled model)."""
    return _cached(cm, "rhs", cm.derivatives)


def jacobian_tape(cm: CompiledModel) -> Tape:
    """Tape of the symbolic Jacobian, row-major: output ``i*n + j`` is ``d f_i / d y_j``."""
    return _cached(cm, "jac", tuple(e for row in cm.jacobian_exprs for e in row))


def observables_tape(cm: CompiledModel) -> Tape:
    """Tape of the observables (with observables inlined)."""
    return _cached(cm, "obs", cm.observable_exprs)


_NUMPY_FUNCTIONS = {
    OP_SIN: np.sin,
    OP_COS: np.cos,
    OP_TAN: np.tan,
    OP_ASIN: np.arcsin,
    OP_ACOS: np.arccos,
    OP_ATAN: np.arctan,
    OP_SINH: np.sinh,
    OP_COSH: np.cosh,
    OP_TANH: np.tanh,
    OP_ASINH: np.arcsinh,
    OP_ACOSH: np.arccosh,
    OP_ATANH: np.arctanh,
    OP_FLOOR: np.floor,
    OP_CEIL: np.ceil,
}


def eval_tape(tape: Tape, t: Any, y: Any, p: Any) -> np.ndarray:
    """Run ``tape`` with NumPy (reference interpreter, for tests and small jobs).

    Parameters
    ----------
    tape : Tape
    t : float or ndarray
        Time; an array broadcasts against the batch axis.
    y : ndarray, shape (n_states,) or (n_states, batch)
    p : ndarray, shape (n_params,) or (n_params, batch)

    Returns
    -------
    ndarray, shape (n_outputs,) or (n_outputs, batch)
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if y.shape[:1] != (tape.n_states,):
        raise ModelSpecError(f"eval_tape: y must have {tape.n_states} rows; got shape {y.shape}")
    if p.shape[:1] != (tape.n_params,):
        raise ModelSpecError(f"eval_tape: p must have {tape.n_params} rows; got shape {p.shape}")
    batch = np.broadcast_shapes(y.shape[1:], p.shape[1:], np.shape(t))
    reg = np.zeros((tape.n_regs,) + batch)
    reg[0] = t
    reg[1 : 1 + tape.n_states] = y.reshape(y.shape + (1,) * (len(batch) + 1 - y.ndim))
    reg[1 + tape.n_states : tape.const_base] = p.reshape(p.shape + (1,) * (len(batch) + 1 - p.ndim))
    c0 = tape.const_base
    reg[c0 : c0 + tape.consts.size] = tape.consts.reshape((-1,) + (1,) * len(batch))
    with np.errstate(all="ignore"):
        for opcode, dst, a, b in tape.code.tolist():
            x = reg[a]
            if opcode == OP_ADD:
                r = x + reg[b]
            elif opcode == OP_SUB:
                r = x - reg[b]
            elif opcode == OP_MUL:
                r = x * reg[b]
            elif opcode == OP_DIV:
                r = x / reg[b]
            elif opcode == OP_NEG:
                r = -x
            elif opcode == OP_POW:
                r = x ** reg[b]
            elif opcode == OP_EXP:
                r = np.exp(x)
            elif opcode == OP_LOG:
                r = np.log(x)
            elif opcode == OP_SQRT:
                r = np.sqrt(x)
            elif opcode == OP_MAX:
                r = np.maximum(x, reg[b])
            elif opcode == OP_MIN:
                r = np.minimum(x, reg[b])
            elif opcode == OP_STEP:
                r = np.where(x > 0, 1.0, 0.0)
            elif opcode == OP_SQUARE:
                r = x * x
            elif opcode in _NUMPY_FUNCTIONS:
                r = _NUMPY_FUNCTIONS[opcode](x)
            else:  # pragma: no cover
                raise ModelSpecError(f"eval_tape: unknown opcode {opcode}")
            reg[dst] = r
    return reg[tape.outputs].copy()
