r"""Linear two-compartment pharmacokinetics added to any model.

:func:`add_two_compartment_pk` is a pure function ``Model -> Model`` that adds,
for a drug with prefix ``p`` (amounts in mg, volumes in L, time in days):

.. math::

    \frac{dA_d}{dt} &= -k_a A_d \\
    \frac{dA_1}{dt} &= R(t) + F k_a A_d - \frac{CL(\tau)}{V_1} A_1
                       - \frac{Q}{V_1} A_1 + \frac{Q}{V_2} A_2 \\
    \frac{dA_2}{dt} &= \frac{Q}{V_1} A_1 - \frac{Q}{V_2} A_2 \\
    C &= A_1 / V_1 \quad [\mathrm{mg/L} = \mu\mathrm{g/mL}], \qquad
    \mathrm{RO} = \frac{C}{C + K_D}

with states ``p_central`` (:math:`A_1`), ``p_peripheral`` (:math:`A_2`) and,
for subcutaneous dosing, ``p_depot`` (:math:`A_d`). Given ``Q3`` and ``V3``
the module has a second peripheral compartment ``p_peripheral2``
(:math:`A_3`; a linear three-compartment model, as in NONMEM ADVAN11):
:math:`dA_3/dt = (Q_3/V_1) A_1 - (Q_3/V_3) A_3`, with the opposite flux in
:math:`dA_1/dt` (:func:`add_three_compartment_pk`); ``p_infusion_rate``
(:math:`R`, mg/day) is the input parameter that infusion events switch on and
off. :math:`\tau = \max(t - t_{\mathrm{first\,dose}}, 0)` is the time since the
first dose. The clearance time course is one of

* :class:`ConstantClearance`: :math:`CL(\tau) = CL`;
* :class:`SigmoidTimeClearance` (Bajaj 2017, nivolumab):
  :math:`CL(\tau) = CL_0 \exp\!\big(E_{max}\,\tau^\gamma / (T_{50}^\gamma + \tau^\gamma)\big)`;
* :class:`DecayingClearance` (Rozman 2017, rituximab):
  :math:`CL(\tau) = CL_\infty + CL_t\, e^{-k_{des}\tau}`.

Both are written in the expression language (the symbol ``t`` is model time
in days), so the result stays a declarative :class:`~oncoimmune.model.Model`.
:func:`oncoimmune.therapy.drugs.pk_model` builds the PK alone for a catalogue drug, and
:func:`pk_dose_events` turns a :class:`~oncoimmune.therapy.schedule.Schedule`
into the right events for it (bolus into the central compartment,
subcutaneous into the depot, infusion as rate switches).

References
----------
.. [1] Bajaj G, Wang X, Agrawal S, Gupta M, Roy A, Feng Y (2017). Model-based
   population pharmacokinetic analysis of nivolumab in patients with solid
   tumors. CPT Pharmacometrics Syst Pharmacol 6:58-66, Table 1 and Eq. 8.
   doi:10.1002/psp4.12143
.. [2] Rozman S, Grabnar I, Novakovic S, Mrhar A, Jezersek Novakovic B (2017).
   Population pharmacokinetics of rituximab in patients with diffuse large
   B-cell lymphoma and association with clinical outcome. Br J Clin Pharmacol
   83:1782-1790, Table 2 and Eq. 1. doi:10.1111/bcp.13271
.. [3] Gibaldi M, Perrier D (1982). Pharmacokinetics, 2nd ed., chapter 2
   (two-compartment disposition, hybrid rate constants).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .._errors import ModelSpecError, ParameterValueError, ScheduleError
from ..model import Event, Model, Observable, Parameter, Source, State, Sym, Term, exp, positive
from ..model.expr import Expr
from .schedule import Intralesional, IVInfusion, Schedule, Subcutaneous

__all__ = [
    "DRUG_ABSORPTION",
    "DRUG_DISTRIBUTION",
    "DRUG_ELIMINATION",
    "DRUG_INPUT",
    "AbstractClearance",
    "ConstantClearance",
    "DecayingClearance",
    "PKNames",
    "SigmoidTimeClearance",
    "add_three_compartment_pk",
    "add_two_compartment_pk",
    "linear_half_lives",
    "pk_dose_events",
    "pk_names",
    "three_compartment_half_lives",
    "two_compartment_half_lives",
]

from ..biology.roles import DRUG_ABSORPTION, DRUG_DISTRIBUTION, DRUG_ELIMINATION, DRUG_INPUT  # noqa: E402

_DOSING_INPUT = Source(
    citation="oncoimmune dosing input (not a fitted value)",
    note="set at run time by the events of a dose schedule (Schedule.events / pk_dose_events)",
)


def _positive(what: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterValueError(f"{what} must be a number > 0; got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ParameterValueError(f"{what} must be a finite number > 0; got {value!r}")
    return v


# clearance time courses ---------------------------------------------------------------
class AbstractClearance(abc.ABC):
    """How clearance changes with time since the first dose.

    Implementations are frozen dataclasses that

    1. declare their extra parameters (:meth:`parameters`, each with a Source),
    2. build ``CL(tau)`` as an expression from the base clearance symbol and
       ``tau`` (:meth:`expression`),
    3. evaluate it numerically (:meth:`value`) for half-lives and checks.
    """

    @abc.abstractmethod
    def parameters(self, prefix: str) -> tuple[Parameter, ...]:
        """Extra parameters, named with the drug prefix."""

    @abc.abstractmethod
    def expression(self, cl: Expr, tau: Expr, prefix: str) -> Expr:
        """``CL(tau)`` in L/day, from the base clearance ``cl``."""

    @abc.abstractmethod
    def value(self, cl: float, tau: float) -> float:
        """``CL(tau)`` as a number (``tau`` in days; ``math.inf`` for the late limit)."""

    @property
    def time_varying(self) -> bool:
        return True

    def describe(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class ConstantClearance(AbstractClearance):
    """Time-invariant clearance."""

    def parameters(self, prefix: str) -> tuple[Parameter, ...]:
        return ()

    def expression(self, cl: Expr, tau: Expr, prefix: str) -> Expr:
        return cl

    def value(self, cl: float, tau: float) -> float:
        return cl

    @property
    def time_varying(self) -> bool:
        return False

    def describe(self) -> str:
        return "CL constant"


@dataclass(frozen=True)
class SigmoidTimeClearance(AbstractClearance):
    """``CL(tau) = CL0 * exp(emax * tau^hill / (t50^hill + tau^hill))`` (Bajaj 2017, Eq. 8).

    Parameters
    ----------
    emax : float
        Maximal change of log-clearance (Bajaj 2017 nivolumab: -0.295, so
        ``CL`` falls to ``exp(-0.295) = 0.745`` of baseline).
    t50_days : float
        Time since first dose of half the change, in days (Bajaj: 1410 h = 58.75 d).
    hill : float
        Sigmoidicity (Bajaj: 3.15).
    source : Source
        Where the three values come from.
    """

    emax: float
    t50_days: float
    hill: float
    source: Source

    def __post_init__(self) -> None:
        e = float(self.emax)
        if not math.isfinite(e):
            raise ParameterValueError(f"SigmoidTimeClearance.emax must be finite; got {self.emax!r}")
        object.__setattr__(self, "emax", e)
        object.__setattr__(self, "t50_days", _positive("SigmoidTimeClearance.t50_days", self.t50_days))
        object.__setattr__(self, "hill", _positive("SigmoidTimeClearance.hill", self.hill))
        if not isinstance(self.source, Source):
            raise ModelSpecError("SigmoidTimeClearance.source must be a Source naming the paper and table")

    def parameters(self, prefix: str) -> tuple[Parameter, ...]:
        return (
            Parameter(
                f"{prefix}_CL_emax",
                self.emax,
                "1",
                "maximal change of log-clearance with time since first dose",
                self.source,
                bounds=(-math.inf, math.inf),
            ),
            Parameter(
                f"{prefix}_CL_T50",
                self.t50_days,
                "day",
                "time since first dose of half the clearance change",
                self.source,
            ),
            Parameter(
                f"{prefix}_CL_hill", self.hill, "1", "Hill coefficient of the clearance change", self.source
            ),
        )

    def expression(self, cl: Expr, tau: Expr, prefix: str) -> Expr:
        em, t50, h = Sym(f"{prefix}_CL_emax"), Sym(f"{prefix}_CL_T50"), Sym(f"{prefix}_CL_hill")
        th = tau**h
        return cl * exp(em * th / (t50**h + th))

    def value(self, cl: float, tau: float) -> float:
        if math.isinf(tau):
            return cl * math.exp(self.emax)
        th = max(tau, 0.0) ** self.hill
        return cl * math.exp(self.emax * th / (self.t50_days**self.hill + th))

    def describe(self) -> str:
        return (
            f"CL(t) = CL0*exp({self.emax:g}*t^{self.hill:g}/({self.t50_days:g}^{self.hill:g} + t^{self.hill:g})), "
            f"t in days since first dose ({self.source})"
        )


@dataclass(frozen=True)
class DecayingClearance(AbstractClearance):
    """``CL(tau) = CL_inf + cl_t * exp(-kdes * tau)`` (Rozman 2017, Eq. 1).

    The base clearance passed to :func:`add_two_compartment_pk` is the
    time-stationary part ``CL_inf``; ``cl_t`` is the time-varying
    (target-mediated) part at the first dose.

    Parameters
    ----------
    cl_t : float
        Time-varying clearance at the first dose, L/day (Rozman: 0.278).
    kdes : float
        Its first-order decay rate, 1/day (Rozman: 0.143 in patients without
        progression).
    source : Source
    """

    cl_t: float
    kdes: float
    source: Source

    def __post_init__(self) -> None:
        c = float(self.cl_t)
        if not (math.isfinite(c) and c >= 0):
            raise ParameterValueError(
                f"DecayingClearance.cl_t must be a finite number >= 0 (L/day); got {self.cl_t!r}"
            )
        object.__setattr__(self, "cl_t", c)
        object.__setattr__(self, "kdes", _positive("DecayingClearance.kdes", self.kdes))
        if not isinstance(self.source, Source):
            raise ModelSpecError("DecayingClearance.source must be a Source naming the paper and table")

    def parameters(self, prefix: str) -> tuple[Parameter, ...]:
        return (
            Parameter(
                f"{prefix}_CL_t",
                self.cl_t,
                "L/day",
                "time-varying (target-mediated) clearance at the first dose",
                self.source,
            ),
            Parameter(
                f"{prefix}_kdes", self.kdes, "1/day", "decay rate of the time-varying clearance", self.source
            ),
        )

    def expression(self, cl: Expr, tau: Expr, prefix: str) -> Expr:
        return cl + Sym(f"{prefix}_CL_t") * exp(-Sym(f"{prefix}_kdes") * tau)

    def value(self, cl: float, tau: float) -> float:
        if math.isinf(tau):
            return cl
        return cl + self.cl_t * math.exp(-self.kdes * max(tau, 0.0))

    def describe(self) -> str:
        return f"CL(t) = CL_inf + {self.cl_t:g}*exp(-{self.kdes:g}*t), t in days since first dose ({self.source})"


# names ------------------------------------------------------------------------------
class PKNames(NamedTuple):
    """Names of the PK components for one drug prefix."""

    central: str
    peripheral: str
    depot: str
    infusion_rate: str
    t_first_dose: str
    CL: str
    V1: str
    Q: str
    V2: str
    ka: str
    F: str
    KD: str
    concentration: str
    clearance: str
    occupancy: str
    peripheral2: str
    Q3: str
    V3: str


def pk_names(prefix: str) -> PKNames:
    """The state, parameter and observable names :func:`add_two_compartment_pk` uses."""
    if not isinstance(prefix, str) or not prefix.isidentifier() or prefix == "t":
        raise ModelSpecError(
            f"drug_prefix must be a Python identifier such as 'pembrolizumab'; got {prefix!r}"
        )
    p = prefix
    return PKNames(
        central=f"{p}_central",
        peripheral=f"{p}_peripheral",
        depot=f"{p}_depot",
        infusion_rate=f"{p}_infusion_rate",
        t_first_dose=f"{p}_t_first_dose",
        CL=f"{p}_CL",
        V1=f"{p}_V1",
        Q=f"{p}_Q",
        V2=f"{p}_V2",
        ka=f"{p}_ka",
        F=f"{p}_F",
        KD=f"{p}_KD",
        concentration=f"{p}_conc",
        clearance=f"{p}_clearance",
        occupancy=f"{p}_RO",
        peripheral2=f"{p}_peripheral2",
        Q3=f"{p}_Q3",
        V3=f"{p}_V3",
    )


class _Parts(NamedTuple):
    states: tuple[State, ...]
    parameters: tuple[Parameter, ...]
    terms: tuple[Term, ...]
    observables: tuple[Observable, ...]
    references: tuple[Source, ...]


def _pk_parts(
    prefix: str,
    CL: float,
    V1: float,
    Q: float,
    V2: float,
    *,
    source: Source,
    sources: Mapping[str, Source] | None,
    clearance: AbstractClearance | None,
    ka: float | None,
    bioavailability: float | None,
    kd: float | None,
    kd_source: Source | None,
    drug_name: str,
    Q3: float | None = None,
    V3: float | None = None,
) -> _Parts:
    if not isinstance(source, Source):
        raise ModelSpecError(
            f"add_two_compartment_pk: source must be a Source(citation=..., location=...) naming the paper "
            f"and table of CL, V1, Q, V2; got {source!r}"
        )
    srcs = dict(sources or {})
    unknown = set(srcs) - {"CL", "V1", "Q", "V2", "Q3", "V3", "ka", "F"}
    if unknown:
        raise ModelSpecError(
            f"add_two_compartment_pk: sources has unknown key(s) {sorted(unknown)}; "
            "valid: CL, V1, Q, V2, Q3, V3, ka, F"
        )
    if (Q3 is None) != (V3 is None):
        raise ModelSpecError(
            "a second peripheral compartment needs both Q3 (L/day) and V3 (L); "
            f"got Q3={Q3!r}, V3={V3!r}: give both for a three-compartment model, or neither"
        )
    for k, s in srcs.items():
        if not isinstance(s, Source):
            raise ModelSpecError(f"add_two_compartment_pk: sources[{k!r}] must be a Source; got {s!r}")
    n = pk_names(prefix)
    cl_v = _positive("CL (L/day)", CL)
    v1_v = _positive("V1 (L)", V1)
    q_v = _positive("Q (L/day)", Q)
    v2_v = _positive("V2 (L)", V2)
    three = Q3 is not None
    q3_v = _positive("Q3 (L/day)", Q3) if three else None
    v3_v = _positive("V3 (L)", V3) if three else None
    clr = clearance if clearance is not None else ConstantClearance()
    if not isinstance(clr, AbstractClearance):
        raise ModelSpecError(
            "clearance must be ConstantClearance(), SigmoidTimeClearance(...) or DecayingClearance(...); "
            f"got {clearance!r}"
        )
    if ka is None and bioavailability is not None:
        raise ModelSpecError(
            "bioavailability is only used with subcutaneous dosing: give ka as well, or drop it"
        )
    what = drug_name or prefix

    cl_desc = (
        "time-stationary clearance (CL_inf)"
        if isinstance(clr, DecayingClearance)
        else "clearance at the first dose (CL0)"
        if clr.time_varying
        else "linear clearance"
    )
    params = [
        Parameter(n.CL, cl_v, "L/day", f"{what} {cl_desc}", srcs.get("CL", source)),
        Parameter(n.V1, v1_v, "L", f"{what} central volume of distribution", srcs.get("V1", source)),
        Parameter(n.Q, q_v, "L/day", f"{what} inter-compartmental clearance", srcs.get("Q", source)),
        Parameter(n.V2, v2_v, "L", f"{what} peripheral volume of distribution", srcs.get("V2", source)),
        *(
            (
                Parameter(
                    n.Q3,
                    q3_v,
                    "L/day",
                    f"{what} inter-compartmental clearance to the second peripheral compartment",
                    srcs.get("Q3", source),
                ),
                Parameter(
                    n.V3, v3_v, "L", f"{what} second peripheral volume of distribution", srcs.get("V3", source)
                ),
            )
            if three
            else ()
        ),
        Parameter(
            n.infusion_rate,
            0.0,
            "mg/day",
            f"{what} intravenous infusion rate (switched by dose events)",
            _DOSING_INPUT,
        ),
    ]
    A1, A2 = Sym(n.central), Sym(n.peripheral)
    cl, v1, q, v2 = Sym(n.CL), Sym(n.V1), Sym(n.Q), Sym(n.V2)
    states = [
        State(n.central, 0.0, "mg", f"{what} amount in the central (plasma) compartment"),
        State(n.peripheral, 0.0, "mg", f"{what} amount in the peripheral (tissue) compartment"),
    ]
    if three:
        states.append(
            State(n.peripheral2, 0.0, "mg", f"{what} amount in the second peripheral (tissue) compartment")
        )
    if clr.time_varying:
        params.append(
            Parameter(
                n.t_first_dose,
                0.0,
                "day",
                f"day of the first {what} dose (origin of the time-varying clearance)",
                _DOSING_INPUT,
            )
        )
        params.extend(clr.parameters(prefix))
        tau = positive(Sym("t") - Sym(n.t_first_dose))
        cl_expr = clr.expression(cl, tau, prefix)
    else:
        cl_expr = cl
    terms = [
        Term(
            f"{prefix}_infusion",
            Sym(n.infusion_rate),
            {n.central: 1},
            f"{what} enters the blood by intravenous infusion",
            frozenset({DRUG_INPUT}),
        ),
        Term(
            f"{prefix}_elimination",
            Sym(n.clearance) / v1 * A1,
            {n.central: -1},
            f"{what} is cleared from the central compartment",
            frozenset({DRUG_ELIMINATION}),
        ),
        Term(
            f"{prefix}_distribution",
            q / v1 * A1,
            {n.central: -1, n.peripheral: 1},
            f"{what} distributes into tissue",
            frozenset({DRUG_DISTRIBUTION}),
        ),
        Term(
            f"{prefix}_redistribution",
            q / v2 * A2,
            {n.peripheral: -1, n.central: 1},
            f"{what} returns from tissue to blood",
            frozenset({DRUG_DISTRIBUTION}),
        ),
    ]
    if three:
        q3, v3, A3 = Sym(n.Q3), Sym(n.V3), Sym(n.peripheral2)
        terms += [
            Term(
                f"{prefix}_distribution2",
                q3 / v1 * A1,
                {n.central: -1, n.peripheral2: 1},
                f"{what} distributes into the second (slow) tissue compartment",
                frozenset({DRUG_DISTRIBUTION}),
            ),
            Term(
                f"{prefix}_redistribution2",
                q3 / v3 * A3,
                {n.peripheral2: -1, n.central: 1},
                f"{what} returns from the second tissue compartment to blood",
                frozenset({DRUG_DISTRIBUTION}),
            ),
        ]
    observables = [
        Observable(n.clearance, cl_expr, "L/day", f"{what} clearance at time t ({clr.describe()})"),
        Observable(n.concentration, A1 / v1, "ug/mL", f"{what} serum concentration (mg/L = ug/mL)"),
    ]
    refs = [source, *srcs.values()]
    if ka is not None:
        ka_v = _positive("ka (1/day)", ka)
        f_v = 1.0 if bioavailability is None else float(bioavailability)
        if not (math.isfinite(f_v) and 0 < f_v <= 1):
            raise ParameterValueError(f"bioavailability must lie in (0, 1]; got {bioavailability!r}")
        if "ka" not in srcs or "F" not in srcs:
            raise ModelSpecError(
                "subcutaneous absorption needs its own sources: pass sources={'ka': Source(...), 'F': Source(...)}"
            )
        params += [
            Parameter(
                n.ka,
                ka_v,
                "1/day",
                f"{what} first-order absorption rate from the subcutaneous depot",
                srcs["ka"],
            ),
            Parameter(n.F, f_v, "1", f"{what} subcutaneous bioavailability", srcs["F"], bounds=(0.0, 1.0)),
        ]
        Ad = Sym(n.depot)
        states.append(State(n.depot, 0.0, "mg", f"{what} amount in the subcutaneous depot"))
        terms += [
            Term(
                f"{prefix}_absorption",
                Sym(n.ka) * Ad,
                {n.depot: -1},
                f"{what} leaves the subcutaneous depot",
                frozenset({DRUG_ABSORPTION}),
            ),
            Term(
                f"{prefix}_absorbed_input",
                Sym(n.F) * Sym(n.ka) * Ad,
                {n.central: 1},
                f"the bioavailable fraction of absorbed {what} reaches the blood",
                frozenset({DRUG_INPUT}),
            ),
        ]
    if kd is not None:
        if not isinstance(kd_source, Source):
            raise ModelSpecError("receptor occupancy needs kd_source=Source(...) naming where KD comes from")
        params.append(
            Parameter(
                n.KD,
                _positive("kd (ug/mL)", kd),
                "ug/mL",
                f"{what} equilibrium dissociation constant for its target",
                kd_source,
            )
        )
        C = Sym(n.concentration)
        observables.append(
            Observable(
                n.occupancy,
                C / (C + Sym(n.KD)),
                "1",
                f"{what} target occupancy C/(C + KD) at the serum concentration",
            )
        )
        refs.append(kd_source)
    if isinstance(clr, (SigmoidTimeClearance, DecayingClearance)):
        refs.append(clr.source)
    return _Parts(tuple(states), tuple(params), tuple(terms), tuple(observables), tuple(dict.fromkeys(refs)))


def add_two_compartment_pk(
    model: Model,
    drug_prefix: str,
    CL: float,
    V1: float,
    Q: float,
    V2: float,
    *,
    source: Source,
    sources: Mapping[str, Source] | None = None,
    clearance: AbstractClearance | None = None,
    ka: float | None = None,
    bioavailability: float | None = None,
    kd: float | None = None,
    kd_source: Source | None = None,
    drug_name: str = "",
    Q3: float | None = None,
    V3: float | None = None,
) -> Model:
    """A copy of ``model`` with a linear two-compartment PK module for one drug.

    Parameters
    ----------
    model : Model
        Any model; its own components are untouched.
    drug_prefix : str
        Identifier prefixed to every new name (``"pembrolizumab"`` gives
        ``pembrolizumab_central``, ``pembrolizumab_conc``, ...); see :func:`pk_names`.
    CL, V1, Q, V2 : float
        Clearance (L/day; with :class:`DecayingClearance` the time-stationary
        part, otherwise the value at the first dose), central volume (L),
        inter-compartmental clearance (L/day), peripheral volume (L). All > 0.
    source : Source
        Paper and table of CL, V1, Q and V2 (``sources`` may override per
        parameter: keys ``CL``, ``V1``, ``Q``, ``V2``, ``ka``, ``F``).
    clearance : AbstractClearance, optional
        Time course of clearance; default :class:`ConstantClearance`.
    ka, bioavailability : float, optional
        First-order absorption rate (1/day) and fraction absorbed for
        subcutaneous dosing; adds the ``<prefix>_depot`` state. Both need
        entries in ``sources``.
    kd, kd_source : float, Source, optional
        Equilibrium dissociation constant in ug/mL; adds the receptor
        occupancy observable ``<prefix>_RO = C/(C + KD)``.
    drug_name : str
        Name used in descriptions (default: the prefix).
    Q3, V3 : float, optional
        Inter-compartmental clearance (L/day) and volume (L) of a second
        peripheral compartment; both or neither. With them the module is the
        linear three-compartment model (state ``<prefix>_peripheral2``; see
        :func:`add_three_compartment_pk`).

    Returns
    -------
    Model
        The composed model. Its new observables are ``<prefix>_conc``
        (ug/mL), ``<prefix>_clearance`` (L/day) and, with ``kd``, ``<prefix>_RO``.

    Raises
    ------
    ParameterValueError
        For a non-positive or non-finite PK value.
    ModelSpecError
        For a missing source or a name already used by ``model``.

    References
    ----------
    .. [1] Gibaldi M, Perrier D (1982). Pharmacokinetics, 2nd ed., chapter 2.
    """
    if not isinstance(model, Model):
        raise ModelSpecError(f"add_two_compartment_pk: model must be a Model; got {type(model).__name__}")
    parts = _pk_parts(
        drug_prefix,
        CL,
        V1,
        Q,
        V2,
        source=source,
        sources=sources,
        clearance=clearance,
        ka=ka,
        bioavailability=bioavailability,
        kd=kd,
        kd_source=kd_source,
        drug_name=drug_name,
        Q3=Q3,
        V3=V3,
    )
    taken = set(model.state_names) | set(model.parameter_names) | set(model.observable_names)
    clash = sorted(taken & {x.name for x in (*parts.states, *parts.parameters, *parts.observables)})
    if clash:
        raise ModelSpecError(
            f"add_two_compartment_pk: model {model.id!r} already has {', '.join(clash)}; "
            "use another drug_prefix (each drug needs its own)"
        )
    return model.add(
        states=parts.states,
        parameters=parts.parameters,
        terms=parts.terms,
        observables=parts.observables,
        references=parts.references,
        notes=(
            f"{drug_name or drug_prefix}: linear {'three' if Q3 is not None else 'two'}-compartment PK "
            f"({(clearance or ConstantClearance()).describe()})",
        ),
    )


def add_three_compartment_pk(
    model: Model,
    drug_prefix: str,
    CL: float,
    V1: float,
    Q: float,
    V2: float,
    Q3: float,
    V3: float,
    **kwargs: Any,
) -> Model:
    """A copy of ``model`` with a linear three-compartment PK module for one drug.

    The two-compartment module of :func:`add_two_compartment_pk` with a
    second peripheral compartment ``<prefix>_peripheral2``:

    .. math::

        \\frac{dA_1}{dt} &= \\ldots - \\frac{Q_3}{V_1} A_1 + \\frac{Q_3}{V_3} A_3, \\qquad
        \\frac{dA_3}{dt} = \\frac{Q_3}{V_1} A_1 - \\frac{Q_3}{V_3} A_3

    Parameters
    ----------
    model, drug_prefix, CL, V1, Q, V2
        As for :func:`add_two_compartment_pk` (``Q`` and ``V2``: the first
        peripheral compartment).
    Q3, V3 : float
        Inter-compartmental clearance (L/day) and volume (L) of the second
        peripheral compartment. All other keyword arguments (``source``,
        ``sources`` with optional keys ``Q3`` and ``V3``, ``clearance``,
        ``kd``, ...) are those of :func:`add_two_compartment_pk`.

    Returns
    -------
    Model

    References
    ----------
    .. [1] Gibaldi M, Perrier D (1982). Pharmacokinetics, 2nd ed., chapter 2
       (multicompartment models).
    .. [2] Budha N, Wu CY, Tang Z, et al. (2023). Model-based population
       pharmacokinetic analysis of tislelizumab in patients with advanced
       tumors. CPT Pharmacometrics Syst Pharmacol 12:95-109 (a three-compartment
       antibody model). doi:10.1002/psp4.12880
    """
    return add_two_compartment_pk(model, drug_prefix, CL, V1, Q, V2, Q3=Q3, V3=V3, **kwargs)


def pk_dose_events(
    model: Model,
    drug_prefix: str,
    schedule: Schedule,
    *,
    weight_kg: float | None = None,
    bsa_m2: float | None = None,
    until: float | None = None,
) -> tuple[Event, ...]:
    """Events giving ``schedule`` to the PK module ``drug_prefix`` of ``model``.

    Bolus doses go to ``<prefix>_central``, subcutaneous doses to
    ``<prefix>_depot`` (the model needs ``ka``), infusions switch
    ``<prefix>_infusion_rate``. When the clearance is time-varying, a
    parameter event at day 0 sets ``<prefix>_t_first_dose`` to the first dose
    day, so ``CL(t)`` runs on time since the first dose as in the papers.

    Raises
    ------
    ScheduleError
        For an intralesional schedule (it targets a tumour-site state: use
        ``schedule.events(target_state=...)``) or a subcutaneous one on a model
        without a depot.
    """
    n = pk_names(drug_prefix)
    if n.central not in model.state_names:
        raise ScheduleError(
            f"model {model.id!r} has no PK module {drug_prefix!r} (state {n.central!r} missing); "
            "add one with add_two_compartment_pk"
        )
    for r in schedule.routes:
        if isinstance(r, Intralesional):
            raise ScheduleError(
                "an intralesional schedule targets a tumour-site state, not the blood PK: "
                "use schedule.events(target_state=<lesion state>)"
            )
        if isinstance(r, Subcutaneous) and n.depot not in model.state_names:
            raise ScheduleError(
                f"subcutaneous schedule but PK module {drug_prefix!r} has no depot; "
                "build it with add_two_compartment_pk(..., ka=..., bioavailability=...)"
            )
    has_sc = any(isinstance(r, Subcutaneous) for r in schedule.routes)
    has_bolus = any(not isinstance(r, (Subcutaneous, IVInfusion, Intralesional)) for r in schedule.routes)
    if has_sc and has_bolus:
        raise ScheduleError(
            "a schedule mixing subcutaneous and intravenous bolus doses needs two schedules (one per route)"
        )
    target = n.depot if has_sc else n.central
    evs = list(
        schedule.events(
            target, rate_parameter=n.infusion_rate, weight_kg=weight_kg, bsa_m2=bsa_m2, until=until
        )
    )
    if n.t_first_dose in model.parameter_names and evs:
        first = min(e.time for e in evs)
        evs.insert(
            0,
            Event(
                0.0, n.t_first_dose, "set", first, kind="parameter", label=f"{schedule.drug} first dose day"
            ),
        )
    return tuple(evs)


def two_compartment_half_lives(CL: float, V1: float, Q: float, V2: float) -> tuple[float, float]:
    """Distribution and terminal half-lives (days) of a linear two-compartment model.

    With ``k10 = CL/V1``, ``k12 = Q/V1``, ``k21 = Q/V2``, the hybrid rate
    constants are the roots ``alpha > beta`` of
    ``x^2 - (k10 + k12 + k21) x + k10*k21 = 0``; the half-lives are
    ``ln 2 / alpha`` and ``ln 2 / beta`` (Gibaldi & Perrier 1982, ch. 2).

    Returns
    -------
    (t_half_alpha, t_half_beta) : tuple of float
    """
    k10 = _positive("CL", CL) / _positive("V1", V1)
    k12 = _positive("Q", Q) / V1
    k21 = Q / _positive("V2", V2)
    s = k10 + k12 + k21
    disc = math.sqrt(s * s - 4.0 * k10 * k21)
    alpha = 0.5 * (s + disc)
    beta = (k10 * k21) / alpha  # product of the roots, stable for small beta
    return math.log(2.0) / alpha, math.log(2.0) / beta


def linear_half_lives(
    CL: float, V1: float, Q: float, V2: float, Q3: float | None = None, V3: float | None = None
) -> tuple[float, ...]:
    """Half-lives (days, shortest first) of the linear two- or three-compartment model.

    They are ``ln 2 / lambda`` for the eigenvalues ``-lambda`` of the rate
    matrix of the amounts ``(A1, A2[, A3])``. The matrix is similar to a
    symmetric one (scale by the volumes), so every ``lambda`` is real and > 0.
    The last entry is the terminal half-life. Without ``Q3``/``V3`` this equals
    :func:`two_compartment_half_lives`.

    References
    ----------
    .. [1] Gibaldi M, Perrier D (1982). Pharmacokinetics, 2nd ed., chapter 2.
    """
    if Q3 is None and V3 is None:
        return two_compartment_half_lives(CL, V1, Q, V2)
    if Q3 is None or V3 is None:
        raise ParameterValueError(f"give both Q3 and V3 for three compartments; got Q3={Q3!r}, V3={V3!r}")
    return three_compartment_half_lives(CL, V1, Q, V2, Q3, V3)


def three_compartment_half_lives(
    CL: float, V1: float, Q: float, V2: float, Q3: float, V3: float
) -> tuple[float, float, float]:
    """The three half-lives (days, shortest first) of a linear three-compartment model.

    With ``k10 = CL/V1``, ``k12 = Q/V1``, ``k21 = Q/V2``, ``k13 = Q3/V1``,
    ``k31 = Q3/V3``, the rate constants are the roots of
    ``x^3 - a2 x^2 + a1 x - a0 = 0`` with ``a2 = k10 + k12 + k13 + k21 + k31``,
    ``a1 = k10 k21 + k10 k31 + k12 k31 + k13 k21 + k21 k31`` and
    ``a0 = k10 k21 k31`` (Gibaldi & Perrier 1982, ch. 2); they are computed
    here as the eigenvalues of the symmetrised rate matrix.

    Returns
    -------
    (t_half_alpha, t_half_beta, t_half_gamma) : tuple of float
        ``t_half_gamma`` is the terminal half-life.
    """
    v1 = _positive("V1", V1)
    v2 = _positive("V2", V2)
    v3 = _positive("V3", V3)
    cl, q, q3 = _positive("CL", CL), _positive("Q", Q), _positive("Q3", Q3)
    # rate matrix of the concentrations scaled by sqrt(V): symmetric, same eigenvalues as d(A)/dt
    s12 = q / math.sqrt(v1 * v2)
    s13 = q3 / math.sqrt(v1 * v3)
    m = np.array(
        [
            [(cl + q + q3) / v1, -s12, -s13],
            [-s12, q / v2, 0.0],
            [-s13, 0.0, q3 / v3],
        ]
    )
    lam = np.sort(np.linalg.eigvalsh(m))[::-1]
    return tuple(float(math.log(2.0) / x) for x in lam)  # type: ignore[return-value]
