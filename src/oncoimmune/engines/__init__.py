"""Engines: the numbered contract, the registry, the SciPy reference engine and the batched engine."""

from .base import ENGINES, AbstractEngine, Problem, Solution, get_engine, register_engine
from .batched import BatchedEngine, BatchSolution, solve_batch
from ._time_events import unsupported_model_events
from .scipy_engine import ScipyEngine

try:  # the JAX/diffrax engine needs the 'jax' extra; without it the registry simply lacks "jax"
    from .jax_engine import JaxEngine, solve_final
except ImportError:  # pragma: no cover - depends on the environment
    JaxEngine = None  # type: ignore[assignment,misc]
    solve_final = None  # type: ignore[assignment]

__all__ = [
    "ENGINES",
    "JaxEngine",
    "solve_final",
    "AbstractEngine",
    "BatchSolution",
    "BatchedEngine",
    "Problem",
    "Solution",
    "ScipyEngine",
    "get_engine",
    "register_engine",
    "solve_batch",
    "unsupported_model_events",
]
