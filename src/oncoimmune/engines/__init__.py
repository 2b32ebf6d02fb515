"""Engines: the numbered contract, the registry, the SciPy reference engine and the batched engine."""

from .base import ENGINES, AbstractEngine, Problem, Solution, get_engine, register_engine
from .batched import BatchedEngine, BatchSolution, solve_batch
from .scipy_engine import ScipyEngine

__all__ = [
    "ENGINES",
    "AbstractEngine",
    "BatchSolution",
    "BatchedEngine",
    "Problem",
    "Solution",
    "ScipyEngine",
    "get_engine",
    "register_engine",
    "solve_batch",
]
