"""Engines: the numbered contract, the registry, and the SciPy reference engine."""

from .base import ENGINES, AbstractEngine, Problem, Solution, get_engine, register_engine
from .scipy_engine import ScipyEngine

__all__ = ["ENGINES", "AbstractEngine", "Problem", "Solution", "ScipyEngine", "get_engine", "register_engine"]
