"""The :class:`Mechanism` record and the helpers every mechanism module shares.

A mechanism is a pure function ``apply(model, *, exposure, **params) -> Model``
plus the data that explain it (plain-English description, the roles it needs,
its default parameters with their sources). ``exposure`` names the quantity
that drives the effect: a drug concentration (ug/mL) or a receptor-occupancy
observable already in the model, or, for cell and virus therapies, a state.

Every parameter a mechanism adds is named ``<prefix>_<short name>``; the prefix
defaults to the mechanism key (``"pd1_blockade"``), so two drugs acting by the
same mechanism need two prefixes (``prefix="nivolumab"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..._errors import ModelSpecError, ParameterValueError, UnknownNameError
from ...model.components import Observable, Parameter, Source
from ...model.expr import Expr, Sym, as_expr, free_symbols
from ...model.model import Model

__all__ = [
    "ASSUMPTION",
    "Mechanism",
    "check_prefix",
    "exposure_expr",
    "exposure_units",
    "known_names",
    "prefixed_parameters",
    "replace_observable",
    "require_any_role",
    "require_fresh",
]

#: Prefix of ``Source.note`` for values that are modelling assumptions, not measurements.
ASSUMPTION = "ASSUMPTION (not a measured value): "


@dataclass(frozen=True)
class Mechanism:
    """One therapy mechanism: what it does, what it needs, and the function that applies it.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"pd1_blockade"``.
    title : str
        Short human-readable title.
    therapy_class : str
        ``"checkpoint_inhibitor"``, ``"monoclonal_antibody"``, ``"vaccine"``,
        ``"oncolytic_virus"``, ``"cytokine"`` or ``"car_t"``.
    description : str
        What the mechanism does, in plain English.
    exposure : str
        What the ``exposure`` argument must name (units and meaning).
    required_roles : tuple of str
        Roles the model must carry (any one of them, see ``description``);
        empty when the mechanism brings its own terms.
    parameters : tuple of Parameter
        Default parameters with short names (the model gets ``<prefix>_<name>``),
        each with its :class:`~oncoimmune.model.Source`.
    references : tuple of Source
        Papers behind the functional form.
    apply : callable
        ``apply(model, *, exposure, **params) -> Model``; pure.
    """

    name: str
    title: str
    therapy_class: str
    description: str
    exposure: str
    required_roles: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    references: tuple[Source, ...]
    apply: Callable[..., Model] = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ModelSpecError(f"Mechanism.name must be an identifier; got {self.name!r}")
        object.__setattr__(self, "required_roles", tuple(self.required_roles))
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "references", tuple(self.references))
        for p in self.parameters:
            if not isinstance(p, Parameter):
                raise ModelSpecError(f"Mechanism {self.name!r}: parameters must be Parameter objects; got {p!r}")
        if not callable(self.apply):
            raise ModelSpecError(f"Mechanism {self.name!r}: apply must be callable")

    def __call__(self, model: Model, *, exposure: str | Expr, **params: Any) -> Model:
        return self.apply(model, exposure=exposure, **params)

    @property
    def defaults(self) -> dict[str, float]:
        """Short parameter name -> default value."""
        return {p.name: p.value for p in self.parameters}

    def describe(self) -> str:
        """The mechanism in plain English, with its parameters and sources."""
        lines = [f"{self.title} [{self.name}, {self.therapy_class}]", f"  {self.description}"]
        lines.append(f"  exposure: {self.exposure}")
        if self.required_roles:
            lines.append(f"  needs terms with role(s): {', '.join(self.required_roles)}")
        for p in self.parameters:
            lines.append(f"  {p.name} = {p.value:g} {p.units}: {p.description}. Source: {p.source}")
            if p.source.note:
                lines.append(f"      note: {p.source.note}")
        for r in self.references:
            lines.append(f"  ref: {r}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
def known_names(model: Model) -> set[str]:
    """States, parameters and observables of ``model``."""
    return set(model.state_names) | set(model.parameter_names) | set(model.observable_names)


def check_prefix(mechanism: str, prefix: Any) -> str:
    if not isinstance(prefix, str) or not prefix.isidentifier():
        raise ModelSpecError(f"{mechanism}: `prefix` must be an identifier such as 'nivolumab'; got {prefix!r}")
    return prefix


def exposure_expr(mechanism: str, model: Model, exposure: Any) -> Expr:
    """``exposure`` as an expression over names of ``model`` (a name becomes a :class:`Sym`)."""
    if isinstance(exposure, str):
        if exposure not in known_names(model):
            raise UnknownNameError(
                f"{mechanism} exposure (a state, parameter or observable of model {model.id!r})",
                exposure,
                sorted(known_names(model)),
            )
        return Sym(exposure)
    if isinstance(exposure, Expr):
        missing = free_symbols(exposure) - known_names(model) - {"t"}
        if missing:
            raise ModelSpecError(
                f"{mechanism}: `exposure` uses name(s) {sorted(missing)} that model {model.id!r} does not define"
            )
        return exposure
    if isinstance(exposure, (int, float)) and not isinstance(exposure, bool):
        return as_expr(float(exposure))
    raise ModelSpecError(
        f"{mechanism}: `exposure` must name a state, parameter or observable of the model (e.g. "
        f"'pembrolizumab_conc') or be an expression of them; got {exposure!r}"
    )


def exposure_units(model: Model, exposure: Any) -> str | None:
    """Units of a named exposure (``None`` for an expression)."""
    if not isinstance(exposure, str):
        return None
    for coll in (model.observables, model.parameters, model.states):
        for it in coll:
            if it.name == exposure:
                return it.units
    return None


def prefixed_parameters(
    mechanism: str,
    defaults: Iterable[Parameter],
    prefix: str,
    overrides: Mapping[str, Any],
    *,
    skip: Iterable[str] = (),
) -> tuple[Parameter, ...]:
    """Copies of ``defaults`` named ``<prefix>_<name>`` with values from ``overrides``.

    Raises
    ------
    UnknownNameError
        For an override that is not a parameter of the mechanism.
    ParameterValueError
        For a value out of the parameter's bounds.
    """
    defs = {p.name: p for p in defaults}
    for k in overrides:
        if k not in defs:
            raise UnknownNameError(f"parameter of mechanism {mechanism!r}", k, sorted(defs))
    out = []
    skip = set(skip)
    for name, p in defs.items():
        if name in skip:
            continue
        v = overrides.get(name, p.value)
        try:
            out.append(replace(p, name=f"{prefix}_{name}", value=v))
        except ParameterValueError as exc:
            raise ParameterValueError(f"{mechanism}: {exc}") from None
    return tuple(out)


def require_fresh(mechanism: str, model: Model, names: Iterable[str]) -> None:
    taken = known_names(model)
    clash = sorted(set(names) & taken)
    if clash:
        raise ModelSpecError(
            f"{mechanism}: model {model.id!r} already defines {', '.join(clash)} (the mechanism was applied "
            f"already with this prefix?); pass another prefix=... or change values with with_parameters"
        )


def require_any_role(mechanism: str, model: Model, roles: Iterable[str]) -> str:
    """The first of ``roles`` that ``model`` carries, else a ModelSpecError listing the roles present."""
    roles = tuple(roles)
    for r in roles:
        if model.terms_with_role(r):
            return r
    present = sorted({r for t in model.terms for r in t.roles})
    raise ModelSpecError(
        f"{mechanism} needs a model with a term tagged {' or '.join(map(repr, roles))}; model {model.id!r} "
        f"has roles: {', '.join(present) or 'none'}"
    )


def replace_observable(model: Model, name: str, expr: Expr, description: str | None = None) -> Model:
    """A copy of ``model`` whose observable ``name`` computes ``expr`` (units kept)."""
    obs = []
    hit = False
    for o in model.observables:
        if o.name == name:
            obs.append(Observable(name, expr, o.units, description or o.description))
            hit = True
        else:
            obs.append(o)
    if not hit:
        raise UnknownNameError(f"observable of model {model.id!r}", name, model.observable_names)
    return replace(model, observables=tuple(obs))


def finite_nonneg(mechanism: str, what: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterValueError(f"{mechanism}: `{what}` must be a number >= 0; got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(v) or v < 0:
        raise ParameterValueError(f"{mechanism}: `{what}` must be a finite number >= 0; got {value!r}")
    return v
