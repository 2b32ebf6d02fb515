"""The :class:`Model`: a tumour-immune system declared as data.

A model is an immutable bundle of states, parameters, terms (rate laws with
their effects) and observables, plus its citation. Changing a model means
making a new one (``with_parameters``, ``add``, ``scale_terms``, ``compose``),
so interventions are pure functions ``Model -> Model``.
"""

from __future__ import annotations

from collections import Counter

import textwrap
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Iterable, Mapping

from .._errors import ModelSpecError, UnknownNameError
from .components import Observable, Parameter, Source, State, Term
from .events import TriggeredEvent
from .expr import Expr, Num, Sym, as_expr, free_symbols, substitute, to_text

__all__ = ["Model"]


#: Dependency order of a set of observables (models built from one another share them).
_OBSERVABLE_ORDER: dict[tuple[Any, ...], tuple[Any, ...]] = {}


@dataclass(frozen=True)
class Model:
    """A declarative ODE model of tumour-immune dynamics (time in days).

    Parameters
    ----------
    id : str
        Short identifier, e.g. ``"kuznetsov1994"``.
    title : str
        Human-readable title.
    states, parameters, terms, observables : tuple
        The model's components; names are unique across states, parameters
        and observables.
    description : str
        Plain-English summary shown by :meth:`describe`.
    references : tuple of Source
        Papers the model comes from.
    tumour_state : str, optional
        Name of the state holding tumour cells (used by RECIST, escape
        mechanisms and plots).
    notes : tuple of str
        Caveats and modelling decisions shown by :meth:`describe`.
    stiff : bool
        Hint to engines that the model is stiff (time scales many orders of
        magnitude apart); the SciPy engine then defaults to ``BDF``.
    events : tuple of TriggeredEvent
        Discontinuities that belong to the model (e.g. the events of an SBML
        file): they fire when a condition on time, states and parameters
        becomes true. Doses stay outside the model (``simulate(events=...)``).
    initial_assignments : tuple of (str, Expr)
        States whose initial value is computed from parameters (and other
        initial values) when the model is compiled, so changing a parameter
        moves them too (SBML ``initialAssignment``); each state's ``initial``
        holds the value at the default parameters.
    time_units : str
        Units of the time axis (``"day"`` for the library; an imported model
        keeps its file's units).

    Examples
    --------
    >>> from oncoimmune.library import get_model
    >>> m = get_model("kuznetsov1994")
    >>> m2 = m.with_parameters(s=5000.0)
    >>> m2.parameter("s").value
    5000.0
    """

    id: str
    title: str
    states: tuple[State, ...]
    parameters: tuple[Parameter, ...]
    terms: tuple[Term, ...]
    observables: tuple[Observable, ...] = ()
    description: str = ""
    references: tuple[Source, ...] = ()
    tumour_state: str | None = None
    notes: tuple[str, ...] = field(default=())
    stiff: bool = False
    events: tuple[TriggeredEvent, ...] = ()
    initial_assignments: tuple[tuple[str, Expr], ...] = ()
    time_units: str = "day"

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ModelSpecError(f"Model.id must be a non-empty string; got {self.id!r}")
        for attr in ("states", "parameters", "terms", "observables", "references", "notes", "events"):
            object.__setattr__(self, attr, tuple(getattr(self, attr)))
        if not self.states:
            raise ModelSpecError(f"Model {self.id!r}: at least one state is required")
        names: dict[str, str] = {}
        for kind, items in (
            ("state", self.states),
            ("parameter", self.parameters),
            ("observable", self.observables),
        ):
            for it in items:
                if it.name in names:
                    raise ModelSpecError(
                        f"Model {self.id!r}: name {it.name!r} is used by a {names[it.name]} "
                        f"and a {kind}; names must be unique"
                    )
                names[it.name] = kind
        term_names = [t.name for t in self.terms]
        dup = {n for n, c in Counter(term_names).items() if c > 1} if len(set(term_names)) < len(term_names) else ()
        if dup:
            raise ModelSpecError(f"Model {self.id!r}: duplicate term name(s) {sorted(dup)}")
        state_names = {s.name for s in self.states}
        known = set(names) | {"t"}
        for term in self.terms:
            for s in term.effects:
                if s not in state_names:
                    raise ModelSpecError(
                        f"Model {self.id!r}: term {term.name!r} acts on unknown state {s!r}; "
                        f"states: {', '.join(sorted(state_names))}"
                    )
            missing = term.symbols - known
            if missing:
                raise ModelSpecError(
                    f"Model {self.id!r}: term {term.name!r} uses unknown symbol(s) {sorted(missing)}"
                )
        for ob in self.observables:
            missing = free_symbols(ob.expr) - known
            if missing:
                raise ModelSpecError(
                    f"Model {self.id!r}: observable {ob.name!r} uses unknown symbol(s) {sorted(missing)}"
                )
        ev_names: set[str] = set()
        for ev in self.events:
            if not isinstance(ev, TriggeredEvent):
                raise ModelSpecError(f"Model {self.id!r}: events must be TriggeredEvent; got {type(ev).__name__}")
            if ev.name in ev_names:
                raise ModelSpecError(f"Model {self.id!r}: duplicate event name {ev.name!r}")
            ev_names.add(ev.name)
            bad = [x for x in ev.targets if x not in state_names]
            if bad:
                raise ModelSpecError(
                    f"Model {self.id!r}: event {ev.name!r} assigns {bad[0]!r}, which is not a state"
                )
            missing = ev.symbols - known
            if missing:
                raise ModelSpecError(
                    f"Model {self.id!r}: event {ev.name!r} uses unknown symbol(s) {sorted(missing)}"
                )
        ias = []
        for item in tuple(self.initial_assignments):
            name, ex = item
            if name not in state_names:
                raise ModelSpecError(
                    f"Model {self.id!r}: initial assignment to {name!r}, which is not a state"
                )
            ex = as_expr(ex)
            missing = free_symbols(ex) - known
            if missing:
                raise ModelSpecError(
                    f"Model {self.id!r}: initial assignment of {name!r} uses unknown symbol(s) {sorted(missing)}"
                )
            ias.append((name, ex))
        object.__setattr__(self, "initial_assignments", tuple(ias))
        if self.tumour_state is not None and self.tumour_state not in state_names:
            raise ModelSpecError(
                f"Model {self.id!r}: tumour_state {self.tumour_state!r} is not a state"
            )
        _ = self._observable_order  # computing the order raises on cycles

    # lookup ------------------------------------------------------------------
    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def observable_names(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.observables)

    def state(self, name: str) -> State:
        k = self._state_index.get(name)
        if k is None:
            raise UnknownNameError(f"state of model {self.id!r}", name, self.state_names)
        return self.states[k]

    def parameter(self, name: str) -> Parameter:
        k = self._parameter_index.get(name)
        if k is None:
            raise UnknownNameError(f"parameter of model {self.id!r}", name, self.parameter_names)
        return self.parameters[k]

    @cached_property
    def _state_index(self) -> dict[str, int]:
        """Position of each state by name (value-only copies, :meth:`_evolve`, share it: names are kept)."""
        return {s.name: k for k, s in enumerate(self.states)}

    @cached_property
    def _parameter_index(self) -> dict[str, int]:
        """Position of each parameter by name (shared by value-only copies, as :attr:`_state_index`)."""
        return {p.name: k for k, p in enumerate(self.parameters)}

    def term(self, name: str) -> Term:
        for t in self.terms:
            if t.name == name:
                return t
        raise UnknownNameError(f"term of model {self.id!r}", name, [t.name for t in self.terms])

    def terms_with_role(self, role: str) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if role in t.roles)

    @property
    def parameter_values(self) -> dict[str, float]:
        return {p.name: p.value for p in self.parameters}

    @property
    def initial_values(self) -> dict[str, float]:
        return {s.name: s.initial for s in self.states}

    # derived equations ---------------------------------------------------------
    @cached_property
    def _observable_order(self) -> tuple[Observable, ...]:
        key = (self.id, self.observables)  # the id only names the model in the error message
        hit = _OBSERVABLE_ORDER.get(key)
        if hit is None:
            hit = self._order_observables()
            if len(_OBSERVABLE_ORDER) > 256:
                _OBSERVABLE_ORDER.clear()
            _OBSERVABLE_ORDER[key] = hit
        return hit

    def _order_observables(self) -> tuple[Observable, ...]:
        obs = {o.name: o for o in self.observables}
        order: list[Observable] = []
        state: dict[str, int] = {}

        def visit(name: str, path: tuple[str, ...]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                raise ModelSpecError(
                    f"Model {self.id!r}: observables depend on each other in a cycle: "
                    + " -> ".join(path + (name,))
                )
            state[name] = 1
            for dep in free_symbols(obs[name].expr) & obs.keys():
                visit(dep, path + (name,))
            state[name] = 2
            order.append(obs[name])

        for name in obs:
            visit(name, ())
        return tuple(order)

    @cached_property
    def _inlined_observables(self) -> dict[str, Expr]:
        """Observables with other observables substituted (states/params/t only)."""
        out: dict[str, Expr] = {}
        for ob in self._observable_order:
            out[ob.name] = substitute(ob.expr, out)
        return out

    def derivative(self, state: str, *, inline: bool = False) -> Expr:
        """Right-hand side of ``d(state)/dt`` as an expression."""
        self.state(state)
        rhs: Expr = Num(0.0)
        for term in self.terms:
            c = term.effects.get(state)
            if c is None:
                continue
            rate = substitute(term.rate, self._inlined_observables) if inline else term.rate
            if c == 1.0:
                rhs = rhs + rate
            elif c == -1.0:
                rhs = rhs - rate
            elif c < 0:
                rhs = rhs - Num(-c) * rate
            else:
                rhs = rhs + Num(c) * rate
        return rhs

    # making new models ---------------------------------------------------------
    def with_parameters(self, values: Mapping[str, Any] | None = None, **kw: Any) -> "Model":
        """A copy with new parameter values (validated against each parameter's bounds).

        Raises
        ------
        UnknownNameError
            For a name that is not a parameter (the message lists the valid ones).
        ParameterValueError
            For a NaN, an infinity or a value out of bounds.
        """
        updates = dict(values or {}, **kw)
        if not updates:
            return self
        index = self._parameter_index
        for k in updates:
            if k not in index:
                raise UnknownNameError(f"parameter of model {self.id!r}", k, self.parameter_names)
        params = list(self.parameters)
        for k, v in sorted((index[k], v) for k, v in updates.items()):  # in model order, as validated before
            params[k] = params[k].with_value(v)
        return self._evolve(parameters=params)

    def with_initial(self, values: Mapping[str, Any] | None = None, **kw: Any) -> "Model":
        """A copy with new initial values for states."""
        updates = dict(values or {}, **kw)
        if not updates:
            return self
        index = self._state_index
        for k in updates:
            if k not in index:
                raise UnknownNameError(f"state of model {self.id!r}", k, self.state_names)
        states = list(self.states)
        for k, v in sorted((index[k], v) for k, v in updates.items()):  # in model order, as validated before
            states[k] = states[k].with_initial(v)
        if not self.initial_assignments:
            return self._evolve(states=states)
        # a value given explicitly replaces the state's initial assignment
        ias = tuple((k, x) for k, x in self.initial_assignments if k not in updates)
        return self._evolve(states=states, initial_assignments=ias)

    def _evolve(self, **values: Any) -> "Model":
        """A copy with new values of fields whose change cannot break the structure.

        Used by :meth:`with_parameters` and :meth:`with_initial`: the parameter and
        state objects validate their own values, names and order are unchanged,
        and dropping an initial assignment leaves a valid model, so the model-level
        checks of ``__post_init__`` (which dominate the cost of building thousands
        of patient models in a trial) are not repeated. Cached derived equations
        depend on the terms and observables only and are kept.
        """
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        for k, v in values.items():
            object.__setattr__(new, k, tuple(v))
        # the compiled-structure key (model/compile.py) survives value changes only: parameters and states
        # are replaced here by copies with other values (same names, units and flags)
        for k in values:
            if k not in ("parameters", "states") and getattr(new, k) != getattr(self, k):
                new.__dict__.pop("_structure_key", None)
        return new

    def with_values(self, values: Mapping[str, Any]) -> "Model":
        """Set parameters and/or initial values by name (one namespace, as in the CLI's ``--set``)."""
        pnames, snames = set(self.parameter_names), set(self.state_names)
        params = {k: v for k, v in values.items() if k in pnames}
        inits = {k: v for k, v in values.items() if k in snames}
        unknown = [k for k in values if k not in pnames and k not in snames]
        if unknown:
            raise UnknownNameError(
                "parameter or state",
                unknown[0],
                list(self.parameter_names) + list(self.state_names),
            )
        return self.with_parameters(params).with_initial(inits)

    def add(
        self,
        *,
        states: Iterable[State] = (),
        parameters: Iterable[Parameter] = (),
        terms: Iterable[Term] = (),
        observables: Iterable[Observable] = (),
        references: Iterable[Source] = (),
        notes: Iterable[str] = (),
        id: str | None = None,
        title: str | None = None,
    ) -> "Model":
        """A new model with extra components; components already present with an
        identical definition are kept once, conflicting ones raise."""
        return replace(
            self,
            id=id or self.id,
            title=title or self.title,
            states=_merge("state", self.states, states),
            parameters=_merge("parameter", self.parameters, parameters),
            terms=_merge("term", self.terms, terms),
            observables=_merge("observable", self.observables, observables),
            references=tuple(dict.fromkeys(tuple(self.references) + tuple(references))),
            notes=tuple(dict.fromkeys(tuple(self.notes) + tuple(notes))),
        )

    def rename(self, mapping: Mapping[str, str]) -> "Model":
        """A copy with states, parameters, observables or terms renamed (``{"E": "CAR_E"}``).

        Every expression is rewritten, so two published models that both call a
        state ``E`` can be composed after renaming one of them.
        """
        known = set(self.state_names) | set(self.parameter_names) | set(self.observable_names)
        term_names = {t.name for t in self.terms}
        for old in mapping:
            if old not in known and old not in term_names:
                raise UnknownNameError(
                    f"name in model {self.id!r}", old, sorted(known | term_names)
                )
        subs = {old: Sym(new) for old, new in mapping.items() if old in known}

        def nm(name: str) -> str:
            return mapping.get(name, name)

        return replace(
            self,
            states=tuple(replace(s, name=nm(s.name)) for s in self.states),
            parameters=tuple(replace(p, name=nm(p.name)) for p in self.parameters),
            observables=tuple(
                replace(o, name=nm(o.name), expr=substitute(o.expr, subs)) for o in self.observables
            ),
            terms=tuple(
                replace(
                    t,
                    name=nm(t.name),
                    rate=substitute(t.rate, subs),
                    effects={nm(k): v for k, v in t.effects.items()},
                )
                for t in self.terms
            ),
            tumour_state=nm(self.tumour_state) if self.tumour_state else None,
            events=tuple(
                replace(
                    ev,
                    trigger=substitute(ev.trigger, subs),
                    assignments=tuple((nm(k), substitute(x, subs)) for k, x in ev.assignments),
                    delay=None if ev.delay is None else substitute(ev.delay, subs),
                    priority=None if ev.priority is None else substitute(ev.priority, subs),
                )
                for ev in self.events
            ),
            initial_assignments=tuple((nm(k), substitute(x, subs)) for k, x in self.initial_assignments),
        )

    def bind_parameter(self, name: str, expr: Expr | float, *, description: str | None = None) -> "Model":
        """Turn parameter ``name`` into an observable computed by ``expr``.

        Every term that used the constant now uses the expression, so a mechanism
        can expose a knob (e.g. ``pd1_occupancy``) that a therapy later drives from
        a drug concentration, without either knowing the other's equations.
        """
        par = self.parameter(name)
        ob = Observable(
            name=name,
            expr=as_expr(expr),
            units=par.units,
            description=description or par.description,
        )
        return replace(
            self,
            parameters=tuple(p for p in self.parameters if p.name != name),
            observables=self.observables + (ob,),
        )

    def replace_term(self, name: str, new: Term) -> "Model":
        """A copy with the term ``name`` replaced by ``new``."""
        self.term(name)
        return replace(self, terms=tuple(new if t.name == name else t for t in self.terms))

    def remove_terms(self, names: Iterable[str]) -> "Model":
        names = set(names)
        for n in names:
            self.term(n)
        return replace(self, terms=tuple(t for t in self.terms if t.name not in names))

    def scale_terms(self, role: str, factor: Expr | float, *, required: bool = True) -> "Model":
        """Multiply the rate of every term carrying ``role`` by ``factor``.

        This is how mechanisms act on a model without knowing its equations:
        a PD-L1 brake scales every ``"kill"`` term, lymphopenia scales
        ``"effector_supply"`` terms, and so on.
        """
        factor = as_expr(factor)
        hits = self.terms_with_role(role)
        if required and not hits:
            roles = sorted({r for t in self.terms for r in t.roles})
            raise ModelSpecError(
                f"Model {self.id!r} has no term with role {role!r}; roles present: {', '.join(roles)}"
            )
        missing = free_symbols(factor) - (set(self.state_names) | set(self.parameter_names)
                                          | set(self.observable_names) | {"t"})
        if missing and hits:
            raise ModelSpecError(
                f"Model {self.id!r}: term {hits[0].name!r} uses unknown symbol(s) {sorted(missing)}"
            )
        new_terms = tuple(
            replace(t, rate=t.rate * factor) if role in t.roles else t for t in self.terms
        )
        # only rates change, by a factor whose symbols were checked above: no model-level re-validation
        return self._evolve(terms=new_terms)

    def compose(self, other: "Model", *, id: str | None = None, title: str | None = None) -> "Model":
        """Union of two models; shared names must have identical definitions."""
        merged = self if not other.stiff else replace(self, stiff=True)
        out = merged.add(
            states=other.states,
            parameters=other.parameters,
            terms=other.terms,
            observables=other.observables,
            references=other.references,
            notes=other.notes,
            id=id or f"{self.id}+{other.id}",
            title=title or f"{self.title} + {other.title}",
        )
        if other.events or other.initial_assignments:
            out = replace(
                out,
                events=_merge("event", out.events, other.events),
                initial_assignments=tuple({**dict(out.initial_assignments), **dict(other.initial_assignments)}.items()),
            )
        return out

    # compile -------------------------------------------------------------------
    def compile(self) -> "CompiledModel":
        """Compile once into index maps, value vectors and one right-hand side."""
        return CompiledModel.from_model(self)

    # explain -------------------------------------------------------------------
    def equations(self) -> list[str]:
        """The ODEs as text, one per state."""
        return [f"d{s.name}/dt = {to_text(self.derivative(s.name))}" for s in self.states]

    def describe(self) -> str:
        """Equations, states, parameters (with sources) and observables in plain English."""
        w = textwrap.TextWrapper(width=96, subsequent_indent="      ")
        lines = [f"{self.title}  [{self.id}]", "=" * min(96, len(self.title) + len(self.id) + 4)]
        if self.description:
            lines += textwrap.wrap(" ".join(self.description.split()), 96)
        tu = "days" if self.time_units == "day" else self.time_units
        lines += ["", f"Equations (time t in {tu}):"]
        lines += [f"  {eq}" for eq in self.equations()]
        if self.observables:
            lines += ["", "where"]
            lines += [f"  {o.name} = {to_text(o.expr)}" for o in self.observables]
        lines += ["", "Processes:"]
        for t in self.terms:
            eff = ", ".join(
                f"{'+' if c > 0 else '-'}{'' if abs(c) == 1 else f'{abs(c):g}*'}{s}"
                for s, c in t.effects.items()
            )
            roles = f" [{', '.join(sorted(t.roles))}]" if t.roles else ""
            lines.append(w.fill(f"  {t.name}: {t.description} (rate {to_text(t.rate)}; {eff}){roles}"))
        lines += ["", "States:"]
        for s in self.states:
            lines.append(w.fill(f"  {s.name} [{s.units}]: {s.description}; starts at {s.initial:g}"))
        lines += ["", "Parameters:"]
        for p in self.parameters:
            lines.append(
                w.fill(f"  {p.name} = {p.value:g} {p.units}: {p.description}. Source: {p.source}")
            )
            if p.source.note:
                lines.append(w.fill(f"      note: {p.source.note}"))
        if self.observables:
            lines += ["", "Observables:"]
            for o in self.observables:
                lines.append(w.fill(f"  {o.name} [{o.units}]: {o.description}"))
        if self.initial_assignments:
            lines += ["", "Initial values computed from parameters:"]
            for k, x in self.initial_assignments:
                lines.append(w.fill(f"  {k}(0) = {to_text(x)}"))
        if self.events:
            lines += ["", "Events (fire when the condition becomes true):"]
            for ev in self.events:
                acts = "; ".join(f"{k} := {to_text(x)}" for k, x in ev.assignments)
                extra = []
                if ev.delay is not None:
                    extra.append(f"after a delay of {to_text(ev.delay)}")
                if ev.priority is not None:
                    extra.append(f"priority {to_text(ev.priority)}")
                if not ev.persistent:
                    extra.append("cancelled if the condition turns false first")
                if not ev.use_values_from_trigger_time:
                    extra.append("values computed when executed")
                tail = f" ({', '.join(extra)})" if extra else ""
                lines.append(w.fill(f"  {ev.name}: when {to_text(ev.trigger)}: {acts or 'nothing'}{tail}"))
        if self.notes:
            lines += ["", "Notes:"]
            for n in self.notes:
                lines.append(w.fill(f"  - {n}"))
        if self.references:
            lines += ["", "References:"]
            for r in self.references:
                lines.append(w.fill(f"  {r}"))
        return "\n".join(lines)

    def citation(self) -> str:
        """The model's references, one per line."""
        return "\n".join(str(r) for r in self.references)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data summary (for provenance and JSON output)."""
        return {
            "id": self.id,
            "title": self.title,
            "parameters": self.parameter_values,
            "initial": self.initial_values,
            "equations": self.equations(),
            "references": [str(r) for r in self.references],
        }


def _merge(kind: str, old: Iterable[Any], new: Iterable[Any]) -> tuple[Any, ...]:
    out = {x.name: x for x in old}
    for x in new:
        if x.name in out:
            if out[x.name] != x:
                raise ModelSpecError(
                    f"cannot compose: {kind} {x.name!r} is defined twice with different definitions; "
                    "rename one of them"
                )
            continue
        out[x.name] = x
    return tuple(out.values())


# late import (also used by Model.compile)
from .compile import CompiledModel  # noqa: E402
