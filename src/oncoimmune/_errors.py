"""One exception hierarchy for oncoimmune.

Every error subclasses a builtin (``ValueError``, ``KeyError``, ``RuntimeError``)
so callers can catch them the usual way, and every message names the argument,
what came, and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "OncoimmuneError",
    "ModelSpecError",
    "UnknownNameError",
    "ParameterValueError",
    "ScheduleError",
    "EngineError",
    "SpecFileError",
    "ResultsFileError",
    "PatientInputError",
]


class OncoimmuneError(Exception):
    """Base class of every error raised on purpose by oncoimmune."""


class ModelSpecError(OncoimmuneError, ValueError):
    """A model declaration is inconsistent (unknown symbol, duplicate name, ...)."""


class UnknownNameError(OncoimmuneError, KeyError):
    """A name (model, parameter, state, engine, drug) is not known.

    The message lists the valid choices (the first ``show`` of them, 40 unless
    the caller asks for more, e.g. every cancer type).
    """

    def __init__(self, kind: str, name: str, choices: list[str] | tuple[str, ...], *, show: int = 40):
        self.kind = kind
        self.name = name
        self.choices = tuple(choices)
        shown = ", ".join(self.choices[:show])
        more = "" if len(self.choices) <= show else f", ... ({len(self.choices)} in all)"
        super().__init__(f"unknown {kind} {name!r}; valid choices: {shown}{more}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class ParameterValueError(OncoimmuneError, ValueError):
    """A parameter or initial value is NaN, infinite, negative or out of bounds."""


class ScheduleError(OncoimmuneError, ValueError):
    """A dose schedule or event list is invalid (unsorted, negative, empty, ...)."""


class EngineError(OncoimmuneError, RuntimeError):
    """An engine was misused (bad options); failures of a run are *statuses*, not errors."""


class SpecFileError(OncoimmuneError, ValueError):
    """An experiment spec file (TOML) is invalid; the message names the field."""


class ResultsFileError(OncoimmuneError, ValueError):
    """A results file or output directory cannot be written or read as asked."""


class PatientInputError(OncoimmuneError, ValueError):
    """A patient description is invalid (a number out of range, contradictory facts).

    The message names the field, what came, and what is accepted.
    """
