"""Simulation specs: one run of one library model, as data (TOML <-> pydantic).

A :class:`SimulationSpec` holds everything needed to rerun a simulation: the
model id, the horizon, parameter and initial-value overrides (``set``), the
engine and its options, the seed and the version of oncoimmune that wrote it.
The CLI copies it next to its outputs as ``spec.toml``, so

.. code-block:: console

    $ oncoimmune simulate --spec run1/spec.toml --out run2

reproduces ``run1``. A spec file looks like::

    model = "kuznetsov1994"
    days = 100.0
    engine = "scipy"
    method = "LSODA"
    rtol = 1e-08
    atol = 1e-10
    max_nfev = 2000000
    seed = 1
    default_events = true
    oncoimmune_version = "0.1.0"

    [set]
    T = 5e8

A treated run adds ``therapies`` (each ``DRUG[:DOSE][:SCHEDULE]`` as given to
``oncoimmune simulate --therapy``, see :mod:`oncoimmune.therapy.regimen`) and
the patient's ``weight_kg`` and ``height_cm``::

    therapies = ["pembrolizumab:200mg:q3w", "carboplatin_paclitaxel"]
    weight_kg = 70.0
    height_cm = 170.0

The library model is treated first (regimens until the horizon; a PD-1/PD-L1
blocker on a model without the PD-L1 brake gets the brake with
``pdl1_engagement`` = :data:`oncoimmune.therapy.regimen.DEFAULT_PDL1_ENGAGEMENT`),
then ``set`` is applied to the treated model, so it can change drug and
mechanism parameters too (``set.pdl1_engagement``, ``set.pembrolizumab_CL``).

Every validation error is a :class:`~oncoimmune._errors.SpecFileError` whose
message names the field (``set.T``, ``days``), what came and the fix; the
error also carries ``field`` and ``reason`` attributes so front ends (the CLI)
can name the field in their own terms.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .._errors import OncoimmuneError, SpecFileError
from .._version import __version__

__all__ = ["SimulationSpec", "load_spec", "dumps_toml", "spec_error"]


def spec_error(
    field: str, reason: str, source: str | os.PathLike[str] | None = None, *, hint: str | None = None
) -> SpecFileError:
    """Build a :class:`SpecFileError` naming ``field`` (and the file, if any).

    Parameters
    ----------
    field : str
        Dotted field name, e.g. ``"days"`` or ``"set.T"``.
    reason : str
        What is wrong and how to fix it (one line).
    source : path-like, optional
        The spec file, prefixed to the message.
    hint : str, optional
        How to write the field in a spec file, appended as ``"; give {hint}"``.

    Returns
    -------
    SpecFileError
        With attributes ``field``, ``reason``, ``hint`` and ``source``.
    """
    where = f"{os.fspath(source)}: " if source is not None else ""
    tail = f"; give {hint}" if hint else ""
    err = SpecFileError(f"{where}field {field!r}: {reason}{tail}")
    err.field = field  # type: ignore[attr-defined]
    err.reason = reason  # type: ignore[attr-defined]
    err.hint = hint  # type: ignore[attr-defined]
    err.source = None if source is None else os.fspath(source)  # type: ignore[attr-defined]
    return err


_HINTS = {
    "model": "a library model id in quotes, e.g. model = \"kuznetsov1994\" (list them with `oncoimmune models`)",
    "days": "a number of days > 0, e.g. days = 100",
    "engine": "an engine name in quotes, e.g. engine = \"scipy\"",
    "method": "a method name in quotes, e.g. method = \"LSODA\"",
    "rtol": "a number > 0, e.g. rtol = 1e-8",
    "atol": "a number > 0, e.g. atol = 1e-10",
    "max_nfev": "a whole number > 0, e.g. max_nfev = 2000000",
    "seed": "a whole number >= 0, e.g. seed = 1 (or leave it out)",
    "default_events": "true or false, e.g. default_events = true",
    "oncoimmune_version": "a version string in quotes, e.g. oncoimmune_version = \"0.1.0\"",
    "set": "a table of NAME = number, e.g. [set] then T = 1e6",
    "therapies": "a list of therapy strings in quotes, e.g. therapies = [\"pembrolizumab:200mg:q3w\"]",
    "weight_kg": "a body weight in kg > 0, e.g. weight_kg = 70",
    "height_cm": "a height in cm > 0, e.g. height_cm = 170",
}


class SimulationSpec(BaseModel):
    """One simulation of a library model, validated when built.

    Parameters
    ----------
    model : str
        Library model id (see :func:`oncoimmune.library.list_models`).
    days : float
        Horizon in days (> 0).
    set : dict of str to float
        Parameter and initial-value overrides by name, applied with
        :meth:`~oncoimmune.model.Model.with_values` (so bounds and
        non-negativity are checked).
    engine : str
        Engine name (``"scipy"``).
    method : str, optional
        Engine method; ``None`` means the engine's default. Specs written by
        the CLI record the method actually used.
    rtol, atol : float
        Tolerances (> 0).
    max_nfev : int
        Work budget (> 0).
    seed : int, optional
        Recorded in the provenance.
    default_events : bool
        Apply the model's published default experiment (its
        :func:`~oncoimmune.library.default_events`, e.g. a cell infusion);
        ``False`` runs the bare model.
    therapies : list of str
        ``DRUG[:DOSE][:SCHEDULE]`` texts (catalogue drugs or chemotherapy
        regimens), applied in the given order (the result does not depend on it).
    weight_kg, height_cm : float
        The patient, for weight- and BSA-based doses and the PK covariates
        (defaults 70 kg, 170 cm: assumptions of a reference adult).
    oncoimmune_version : str
        Version of oncoimmune that wrote the spec.

    Raises
    ------
    SpecFileError
        For any invalid field; the message names the field and the fix.

    Examples
    --------
    >>> spec = SimulationSpec(model="kuznetsov1994", days=30, set={"T": 1e7})
    >>> spec.set
    {'T': 10000000.0}
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        allow_inf_nan=False,
        protected_namespaces=(),
    )

    model: str
    days: float = Field(gt=0)
    set: dict[str, float] = Field(default_factory=dict)
    engine: str = "scipy"
    method: str | None = None
    rtol: float = Field(default=1e-8, gt=0)
    atol: float | None = Field(default=None, gt=0)  # None: per state (engines.tolerance.default_atol)
    max_nfev: int = Field(default=2_000_000, gt=0)
    seed: int | None = Field(default=None, ge=0)
    default_events: bool = True
    therapies: list[str] = Field(default_factory=list)
    weight_kg: float = Field(default=70.0, gt=0)
    height_cm: float = Field(default=170.0, gt=0)
    oncoimmune_version: str = __version__

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _from_validation_error(exc, type(self)) from None
        self._check_against_library()

    # semantic checks (need the model library and engine registry) ---------------
    def _check_against_library(self) -> None:
        from ..engines.base import ENGINES
        from ..library import get_model

        try:
            get_model(self.model)
        except OncoimmuneError as exc:
            raise spec_error("model", str(exc)) from None
        model = self._treated_model()
        for name, value in self.set.items():
            try:
                model.with_values({name: value})
            except OncoimmuneError as exc:
                raise spec_error(f"set.{name}", str(exc)) from None
        if self.engine not in ENGINES:
            raise spec_error(
                "engine", f"unknown engine {self.engine!r}; valid choices: {', '.join(sorted(ENGINES))}"
            )
        methods = ENGINES[self.engine].methods
        if self.method is not None and methods and self.method not in methods:
            raise spec_error(
                "method",
                f"unknown method {self.method!r} of engine {self.engine!r}; valid choices: {', '.join(methods)}",
            )

    # treatment -----------------------------------------------------------------------
    def regimens(self) -> list[Any]:
        """The parsed therapies (:class:`~oncoimmune.therapy.regimen.Regimen` or chemotherapy courses).

        Raises
        ------
        SpecFileError
            Naming ``therapies[i]`` and what is wrong with it.
        """
        from ..therapy.regimen import parse_therapy
        from ..therapy.schedule import bsa_mosteller

        out = []
        for i, text in enumerate(self.therapies):
            try:
                out.append(
                    parse_therapy(
                        text,
                        weight_kg=self.weight_kg,
                        bsa_m2=bsa_mosteller(self.height_cm, self.weight_kg),
                        until=self.days,
                    )
                )
            except OncoimmuneError as exc:
                raise spec_error(f"therapies[{i}]", str(exc)) from None
        return out

    def treatment(self) -> Any:
        """The library model treated with :attr:`therapies` (``set`` not yet applied).

        Returns
        -------
        Treatment
            Model and dose events (no events when there are no therapies).
        """
        from ..library import get_model
        from ..therapy.intervention import Treatment
        from ..therapy.regimen import DEFAULT_PDL1_ENGAGEMENT, treat_regimens

        model = get_model(self.model)
        regs = self.regimens()
        if not regs:
            return Treatment(model=model, events=(), interventions=())
        try:
            return treat_regimens(model, *regs, until=self.days, pdl1_engagement=DEFAULT_PDL1_ENGAGEMENT)
        except OncoimmuneError as exc:
            raise spec_error("therapies", str(exc)) from None

    def _treated_model(self) -> Any:
        return self.treatment().model

    # running -----------------------------------------------------------------------
    def build_model(self) -> Any:
        """The library model, treated with :attr:`therapies`, with the ``set`` overrides applied.

        Returns
        -------
        Model
        """
        model = self._treated_model()
        return model.with_values(self.set) if self.set else model

    def run(self) -> Any:
        """Simulate this spec.

        Returns
        -------
        xarray.Dataset
            As :func:`oncoimmune.simulate`; ``attrs["spec"]`` holds the
            resolved spec (method used, this package's version) as TOML and,
            for a treated run, ``attrs["therapies"]`` the regimens as JSON.
        """
        import json

        from ..library import default_events
        from ..simulate import simulate

        tr = self.treatment()
        model = tr.model.with_values(self.set) if self.set else tr.model
        events = (tuple(default_events(self.model)) if self.default_events else ()) + tuple(tr.events)
        ds = simulate(
            model,
            self.days,
            events=events,
            engine=self.engine,
            method=self.method,
            rtol=self.rtol,
            atol=self.atol,
            max_nfev=self.max_nfev,
            seed=self.seed,
        )
        ds.attrs["spec"] = self.resolved(ds).to_toml()
        if self.therapies:
            ds.attrs["therapies"] = json.dumps(
                [r.to_dict() if hasattr(r, "to_dict") else {"regimen": r.key, "text": r.text} for r in self.regimens()]
            )
        return ds

    def resolved(self, ds: Any) -> "SimulationSpec":
        """This spec as actually run: the method the engine used and the running version.

        Parameters
        ----------
        ds : xarray.Dataset
            A result of :meth:`run` (its ``attrs["method"]`` is used).
        """
        method = ds.attrs.get("method") or self.method
        return self.model_copy(update={"method": method or None, "oncoimmune_version": __version__})

    # TOML ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data, ``None`` fields left out (TOML has no null); an untreated run leaves out the patient."""
        out = {k: v for k, v in self.model_dump().items() if v is not None}
        if not self.therapies:
            for k in ("therapies", "weight_kg", "height_cm"):
                out.pop(k, None)
        return out

    def to_toml(self) -> str:
        """The spec as TOML text (readable back by :meth:`from_toml`)."""
        header = (
            "# oncoimmune simulation spec: rerun with\n"
            "#   oncoimmune simulate --spec spec.toml --out NEW_DIR\n"
        )
        return header + dumps_toml(self.to_dict())

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the spec as TOML atomically (temp file, fsync, ``os.replace``)."""
        from .results import atomic_write

        data = self.to_toml().encode("utf-8")
        return atomic_write(path, lambda f: f.write(data))

    @classmethod
    def from_toml(cls, text: str, *, source: str | os.PathLike[str] | None = None) -> "SimulationSpec":
        """Parse and validate TOML text.

        Raises
        ------
        SpecFileError
            For invalid TOML (with line and column) or an invalid field.
        """
        return cls.from_dict(parse_toml_text(text, source), source=source)

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, source: str | os.PathLike[str] | None = None
    ) -> "SimulationSpec":
        """Validate a mapping (as read from TOML)."""
        return validate_mapping(cls, data, what="a spec", source=source)


def read_spec_text(path: str | os.PathLike[str], what: str = "spec file", hint: str = "give the spec.toml inside it") -> str:
    """The UTF-8 text of a spec file, or a :class:`SpecFileError` naming the path and the fix.

    Shared by every TOML spec (simulations, trials).
    """
    name = os.fspath(path)
    try:
        return Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SpecFileError(f"{what} {name!r} does not exist; check the path") from None
    except IsADirectoryError:
        raise SpecFileError(f"{what} {name!r} is a directory; {hint}") from None
    except UnicodeDecodeError:
        raise SpecFileError(f"{what} {name!r} is not UTF-8 text; give a TOML file") from None
    except OSError as exc:
        raise SpecFileError(f"{what} {name!r} cannot be read: {exc.strerror}") from None


def parse_toml_text(text: str, source: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Parse TOML with :mod:`tomllib`; a syntax error names the file, line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = f"{os.fspath(source)}: " if source is not None else ""
        raise SpecFileError(f"{where}not valid TOML: {exc}; fix the syntax at that line") from None


def validate_mapping(
    cls: Any, data: Any, *, what: str = "a spec", source: str | os.PathLike[str] | None = None
) -> Any:
    """``cls(**data)`` for a pydantic spec class, with errors that name the file and the field."""
    if not isinstance(data, Mapping):
        raise SpecFileError(f"{what} must be a table of fields; got {type(data).__name__}")
    try:
        return cls(**dict(data))
    except SpecFileError as exc:
        if source is None or getattr(exc, "field", None) is None:
            raise
        raise spec_error(exc.field, exc.reason, source, hint=exc.hint) from None  # type: ignore[attr-defined]


def load_spec(path: str | os.PathLike[str]) -> SimulationSpec:
    """Read a :class:`SimulationSpec` from a TOML file.

    Raises
    ------
    SpecFileError
        If the file cannot be read, is not TOML, or a field is invalid.
    """
    return SimulationSpec.from_toml(read_spec_text(path), source=path)


# pydantic errors -> one line naming the field ---------------------------------------------------------


def _from_validation_error(exc: ValidationError, cls: type[BaseModel]) -> SpecFileError:
    errors = exc.errors(include_url=False)
    err = errors[0]
    loc = tuple(str(x) for x in err.get("loc", ()))
    field = ".".join(loc) if loc else "(spec)"
    kind = err.get("type", "")
    got = err.get("input")
    top = loc[0] if loc else ""
    hint = _HINTS.get(top)
    if kind == "missing":
        reason = "is required"
        got = _NOTHING
    elif kind == "extra_forbidden":
        valid = ", ".join(cls.model_fields)
        reason = f"is not a known field; valid fields: {valid}"
        got, hint = _NOTHING, None
    else:
        reason = pydantic_reason(err)
    if got is not _NOTHING and not isinstance(got, (dict, list)):
        reason += f"; got {got!r}"
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more error(s))"
    return spec_error(field, reason, hint=hint)


#: pydantic error type -> how the one-line message describes the fix (shared by every spec)
_REASONS: dict[str, Any] = {
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "string_type": "must be a string in quotes",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "list_type": "must be a list [...]",
    "finite_number": "must be a finite number (not nan or inf)",
    "greater_than": lambda c: f"must be > {_num(c.get('gt'))}",
    "greater_than_equal": lambda c: f"must be >= {_num(c.get('ge'))}",
    "less_than_equal": lambda c: f"must be <= {_num(c.get('le'))}",
    "too_short": lambda c: f"must have at least {c.get('min_length')} item(s)",
    "string_too_short": "must not be empty",
    "literal_error": lambda c: f"must be one of {c.get('expected')}",
}


def pydantic_reason(err: Mapping[str, Any]) -> str:
    """The reason part of a one-line spec error for a pydantic error of a value's type or range."""
    r = _REASONS.get(err.get("type", ""))
    if r is None:
        return str(err.get("msg", "is invalid"))
    return r(err.get("ctx") or {}) if callable(r) else r


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


_NOTHING = object()


# a small TOML writer -------------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # used with fullmatch: "$" would also match before a final newline
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _key(k: Any) -> str:
    if not isinstance(k, str):
        raise SpecFileError(f"TOML keys must be strings; got {k!r}")
    return k if _BARE_KEY.fullmatch(k) else _string(k)


def _string(s: str) -> str:
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(v: Any, where: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)  # shortest round-trip form: 1e-08, 100.0, 1.5e+16
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x, f"{where}[]") for x in v) + "]"
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_value(x, f'{where}.{k}')}" for k, x in v.items() if x is not None) + "}"
    # numpy scalars and the like
    if hasattr(v, "item"):
        return _value(v.item(), where)
    raise SpecFileError(f"field {where!r}: cannot write a {type(v).__name__} to TOML; use numbers, strings, lists or tables")


def _is_table_array(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, Mapping) for x in v)


def _emit(data: Mapping[str, Any], prefix: tuple[str, ...], lines: list[str]) -> None:
    scalars = [(k, v) for k, v in data.items() if v is not None and not isinstance(v, Mapping) and not _is_table_array(v)]
    tables = [(k, v) for k, v in data.items() if isinstance(v, Mapping)]
    arrays = [(k, v) for k, v in data.items() if _is_table_array(v)]
    for k, v in scalars:
        lines.append(f"{_key(k)} = {_value(v, '.'.join(prefix + (str(k),)))}")
    for k, v in tables:
        path = prefix + (k,)
        lines.append("")
        lines.append("[" + ".".join(_key(x) for x in path) + "]")
        _emit(v, path, lines)
    for k, v in arrays:
        path = prefix + (k,)
        for item in v:
            lines.append("")
            lines.append("[[" + ".".join(_key(x) for x in path) + "]]")
            _emit(item, path, lines)


def dumps_toml(data: Mapping[str, Any]) -> str:
    """Write a mapping as TOML.

    Supports strings, booleans, integers, floats (shortest round-trip form),
    lists, nested tables and arrays of tables; ``None`` values are left out
    (TOML has no null). ``tomllib.loads(dumps_toml(d))`` gives ``d`` back.

    Parameters
    ----------
    data : mapping
        String keys to values.

    Returns
    -------
    str
    """
    lines: list[str] = []
    _emit(data, (), lines)
    return "\n".join(lines).lstrip("\n") + "\n"
