"""Declarative core: expressions, components, :class:`Model` and its compiled form.

Nothing here imports an engine.
"""

from .components import Distribution, Observable, Parameter, Source, State, Term
from .compile import CompiledModel
from .events import Event, segment_times
from .expr import Expr, Num, Sym, exp, log, maximum, minimum, positive, sqrt, step, symbols, to_text
from .model import Model

__all__ = [
    "CompiledModel",
    "Distribution",
    "Event",
    "Expr",
    "Model",
    "Num",
    "Observable",
    "Parameter",
    "Source",
    "State",
    "Sym",
    "Term",
    "exp",
    "log",
    "maximum",
    "minimum",
    "positive",
    "segment_times",
    "sqrt",
    "step",
    "symbols",
    "to_text",
]
