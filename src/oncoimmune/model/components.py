"""Building blocks of a model: sources, distributions, states, parameters, terms, observables.

All are frozen dataclasses validated when built, so a bad value is refused at
the line that made it, not deep inside a solver.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np

from .._errors import ModelSpecError, ParameterValueError
from .expr import Expr, as_expr, free_symbols, to_text

__all__ = ["Source", "Distribution", "State", "Parameter", "Term", "Observable"]


def _check_name(kind: str, name: Any) -> None:
    if not isinstance(name, str) or not name.isidentifier() or name == "t":
        raise ModelSpecError(
            f"{kind}.name must be a Python identifier other than 't' (e.g. 'T', 'k_kill'); got {name!r}"
        )


@dataclass(frozen=True)
class Source:
    """Where a value or an equation comes from.

    Parameters
    ----------
    citation : str
        Short reference, e.g. ``"Kuznetsov et al. 1994, Bull Math Biol 56:295"``.
    location : str, optional
        Table, figure, equation or page in that source, e.g. ``"Table 1"``.
    doi : str, optional
        The DOI without the ``https://doi.org/`` prefix.
    note : str, optional
        How the value was derived (unit conversion, rescaling, assumption).
    """

    citation: str
    location: str = ""
    doi: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.citation, str) or not self.citation.strip():
            raise ModelSpecError("Source.citation must be a non-empty string naming the paper")

    def __str__(self) -> str:
        s = self.citation
        if self.location:
            s += f", {self.location}"
        if self.doi:
            s += f" (doi:{self.doi})"
        return s


_DIST_KINDS = ("fixed", "lognormal", "normal", "uniform", "loguniform")


@dataclass(frozen=True)
class Distribution:
    """Between-patient variability of a parameter.

    Parameters
    ----------
    kind : {"fixed", "lognormal", "normal", "uniform", "loguniform"}
        ``lognormal`` and ``normal`` are centred on the parameter's typical
        value (median for lognormal, mean for normal) with coefficient of
        variation ``cv``; ``uniform``/``loguniform`` span ``[low, high]``.
    cv : float, optional
        Coefficient of variation (e.g. ``0.3`` for 30 %).
    low, high : float, optional
        Bounds of the uniform kinds.
    source : Source, optional
        Where the variability comes from.
    """

    kind: str = "fixed"
    cv: float = 0.0
    low: float = math.nan
    high: float = math.nan
    source: Source | None = None

    def __post_init__(self) -> None:
        if self.kind not in _DIST_KINDS:
            raise ModelSpecError(
                f"Distribution.kind must be one of {', '.join(_DIST_KINDS)}; got {self.kind!r}"
            )
        if self.kind in ("lognormal", "normal") and not (math.isfinite(self.cv) and self.cv >= 0):
            raise ModelSpecError(f"Distribution.cv must be a finite number >= 0; got {self.cv!r}")
        if self.kind in ("uniform", "loguniform"):
            if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
                raise ModelSpecError(
                    f"Distribution: {self.kind} needs finite low < high; got low={self.low}, high={self.high}"
                )
            if self.kind == "loguniform" and self.low <= 0:
                raise ModelSpecError(f"Distribution: loguniform needs low > 0; got {self.low}")

    def sample(self, typical: float, rng: np.random.Generator, size: int | None = None) -> Any:
        """Draw values around ``typical`` with the generator ``rng``."""
        if self.kind == "fixed":
            return np.full(size, typical) if size is not None else typical
        if self.kind == "lognormal":
            sigma = math.sqrt(math.log1p(self.cv**2))
            return typical * np.exp(rng.normal(0.0, sigma, size))
        if self.kind == "normal":
            return rng.normal(typical, abs(typical) * self.cv, size)
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high, size)
        return np.exp(rng.uniform(math.log(self.low), math.log(self.high), size))


@dataclass(frozen=True)
class State:
    """A state variable (a population, a concentration, an amount).

    Parameters
    ----------
    name : str
        Identifier used in rate laws (``"T"``).
    initial : float
        Default initial value.
    units : str
        Units, e.g. ``"cells"`` or ``"mg"``.
    description : str
        Plain-English meaning, e.g. ``"tumour cells"``.
    nonnegative : bool
        Whether the state is a population or amount that may never be negative.
    """

    name: str
    initial: float
    units: str
    description: str
    nonnegative: bool = True

    def __post_init__(self) -> None:
        _check_name("State", self.name)
        v = _as_float(f"initial value of state {self.name!r}", self.initial)
        if self.nonnegative and v < 0:
            raise ParameterValueError(
                f"initial value of state {self.name!r} must be >= 0 (a population); got {v}"
            )
        object.__setattr__(self, "initial", v)

    def with_initial(self, value: Any) -> "State":
        """A copy with another initial value (validated as the constructor does; the rest is kept)."""
        v = _as_float(f"initial value of state {self.name!r}", value)
        if self.nonnegative and v < 0:
            raise ParameterValueError(
                f"initial value of state {self.name!r} must be >= 0 (a population); got {v}"
            )
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        object.__setattr__(new, "initial", v)
        return new


def _as_float(what: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterValueError(f"{what} must be a number; got {value!r}") from None
    if not math.isfinite(v):
        raise ParameterValueError(f"{what} must be finite; got {value!r}")
    return v


@dataclass(frozen=True)
class Parameter:
    """A model parameter with its units, meaning, bounds and source.

    Parameters
    ----------
    name : str
        Identifier used in rate laws.
    value : float
        Typical (published) value.
    units : str
        Units, e.g. ``"1/day"``.
    description : str
        Plain-English meaning.
    source : Source
        Paper and table the value comes from. Required: a value without a
        source is refused.
    bounds : (float, float)
        Allowed closed interval; default ``[0, inf)``.
    distribution : Distribution, optional
        Between-patient variability.
    """

    name: str
    value: float
    units: str
    description: str
    source: Source
    bounds: tuple[float, float] = (0.0, math.inf)
    distribution: Distribution = field(default_factory=Distribution)

    def __post_init__(self) -> None:
        _check_name("Parameter", self.name)
        if not isinstance(self.source, Source):
            raise ModelSpecError(
                f"Parameter {self.name!r}: source must be a Source(citation=..., location=...); "
                f"got {self.source!r}"
            )
        lo, hi = (float(b) for b in self.bounds)
        if math.isnan(lo) or math.isnan(hi) or lo > hi:
            raise ModelSpecError(f"Parameter {self.name!r}: bounds must be (low, high) with low <= high")
        object.__setattr__(self, "bounds", (lo, hi))
        v = _as_float(f"parameter {self.name!r}", self.value)
        check_in_bounds(self.name, v, (lo, hi))
        object.__setattr__(self, "value", v)

    def with_value(self, value: Any) -> "Parameter":
        """A copy with a new value, validated against the bounds.

        Only the value is checked (as the constructor checks it): the name,
        source and bounds are those of this parameter, already validated. A
        virtual trial makes a copy per varied parameter and patient.
        """
        v = _as_float(f"parameter {self.name!r}", value)
        check_in_bounds(self.name, v, self.bounds)
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        object.__setattr__(new, "value", v)
        return new


def check_in_bounds(name: str, v: float, bounds: tuple[float, float]) -> None:
    lo, hi = bounds
    if not (lo <= v <= hi):
        if lo == 0 and hi == math.inf:
            hint = "it must be >= 0"
        else:
            hint = f"it must lie in [{lo:g}, {hi:g}]"
        raise ParameterValueError(f"parameter {name!r}: value {v:g} is out of bounds; {hint}")


@dataclass(frozen=True)
class Term:
    """A process with a rate law and its effect on states.

    ``effects`` maps state names to stoichiometric coefficients, so the
    contribution of the term to ``d(state)/dt`` is ``coefficient * rate``.

    Parameters
    ----------
    name : str
        Identifier (unique within a model), e.g. ``"tumour_growth"``.
    rate : Expr
        Rate law built from symbols.
    effects : mapping of str to float
        ``{"T": -1.0}`` for a process that removes tumour cells.
    description : str
        Plain-English meaning of the process.
    roles : frozenset of str
        Tags that mechanisms and interventions act on, e.g. ``{"kill"}``,
        ``{"recruitment"}``, ``{"effector_supply"}``. See :mod:`oncoimmune.biology.roles`.
    """

    name: str
    rate: Expr
    effects: Mapping[str, float]
    description: str
    roles: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check_name("Term", self.name)
        object.__setattr__(self, "rate", as_expr(self.rate))
        if not self.effects:
            raise ModelSpecError(f"Term {self.name!r}: effects must name at least one state")
        eff = {}
        for k, v in dict(self.effects).items():
            c = float(v)
            if not math.isfinite(c) or c == 0:
                raise ModelSpecError(
                    f"Term {self.name!r}: coefficient for state {k!r} must be finite and non-zero; got {v!r}"
                )
            eff[k] = c
        object.__setattr__(self, "effects", MappingProxyType(eff))
        object.__setattr__(self, "roles", frozenset(self.roles))

    @property
    def symbols(self) -> set[str]:
        return free_symbols(self.rate)

    def __hash__(self) -> int:
        # cached (models are keyed by their terms when compiled); never pickled: str hashes differ by process
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((self.name, self.rate, tuple(sorted(self.effects.items())), self.roles))
            object.__setattr__(self, "_hash", h)
        return h

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_hash", None)
        return state

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Term):
            return NotImplemented
        return (
            self.name == other.name
            and self.rate == other.rate
            and dict(self.effects) == dict(other.effects)
            and self.roles == other.roles
        )


@dataclass(frozen=True)
class Observable:
    """A named quantity computed from states and parameters.

    Observables are reported in results and may be used inside rate laws
    (e.g. a kill fraction shared by several terms).
    """

    name: str
    expr: Expr
    units: str
    description: str

    def __post_init__(self) -> None:
        _check_name("Observable", self.name)
        object.__setattr__(self, "expr", as_expr(self.expr))
