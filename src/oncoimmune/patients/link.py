r"""From a virtual patient to a parameterised model: covariates -> escape strengths, initial tumour.

:func:`link_patient` takes an untreated library model and a
:class:`~oncoimmune.patients.virtual.VirtualPatient` and returns the model
that patient *is*: the escape mechanisms of :mod:`oncoimmune.biology.escape`
switched on at strengths computed from the patient's covariates, the tumour
state started at the patient's tumour burden, and every parameter that
carries a between-patient :class:`~oncoimmune.model.Distribution` drawn from
the patient's own ``parameters`` stream.

Mappings (every coefficient is a named :class:`Coefficient` in
:class:`LinkCoefficients`, with its source or marked *calibrated*, so a later
calibration can tune it):

===================  ==========================  =============================================
covariate            model quantity              formula
===================  ==========================  =============================================
TMB (mut/Mb)         ``antigen_loss``            ``f_max * K / (K + TMB)``
PD-L1 TPS (%)        ``pdl1_engagement``         ``q0 + q_max * TPS / 100``
lymphocytes (1e9/L)  ``lymphopenia_loss``        ``min(l_max, max(0, 1 - ALC / ALC_ref))``
tumour cells         initial ``tumour_state``    ``cells * tumour_scale``
===================  ==========================  =============================================

(strength parameters of :func:`~oncoimmune.biology.escape.antigen_loss`,
:func:`~oncoimmune.biology.escape.pdl1_checkpoint` and
:func:`~oncoimmune.biology.escape.lymphopenia`.)

Rationale
---------
* **TMB -> antigenicity.** More coding mutations make more neoantigens, and
  the response rate to PD-1 blockade rises with the median TMB of a cancer
  type (Yarchoan et al. 2017). The saturating form (half-point ``K`` at the
  TMB-high cut-off of 10 mut/Mb) is an assumption: a tumour with TMB = K has
  lost ``f_max/2`` of full antigenicity, one with TMB >> K almost none.
* **PD-L1 -> inhibition.** The brake of :func:`~.escape.pdl1_checkpoint` is
  ``1/(1 + q)`` with ``q`` the PD-1-PD-L1 complex relative to its
  half-inhibition constant (Lai & Friedman 2017). Taking the complex as
  proportional to the fraction of PD-L1-positive tumour cells (TPS) plus a
  floor ``q0`` from PD-L1 on immune cells is an assumption.
* **Lymphocytes -> lymphopenia.** :func:`~.escape.lymphopenia` removes a
  fraction of the effector supply; taking that fraction as the shortfall of
  the blood lymphocyte count below a healthy reference is an assumption; low
  counts are frequent in patients with cancer and prognostic
  (Menetrier-Caux et al. 2019).
* **Burden -> initial tumour.** ``tumour_cells`` comes from the baseline
  burden (1e9 cells per cm³, Del Monte 2009). Library models are published
  with carrying capacities near 1e9 cells, far below a measurable human
  tumour (1e10-1e12 cells), so ``tumour_scale`` (model cells per real cell)
  is a *calibrated* coefficient; RECIST acts on relative diameter change, so
  divide the model's tumour by ``tumour_scale`` before converting to SLD
  (:attr:`LinkedPatient.tumour_scale`).

References
----------
.. [1] Yarchoan M, Hopkins A, Jaffee EM (2017). Tumor mutational burden and
   response rate to PD-1 inhibition. N Engl J Med 377:2500-2501.
   doi:10.1056/NEJMc1713444
.. [2] Lai X, Friedman A (2017). Combination therapy of cancer with cancer
   vaccine and immune checkpoint inhibitors: a mathematical model. PLoS ONE
   12(5):e0178479. doi:10.1371/journal.pone.0178479
.. [3] Menetrier-Caux C et al. (2019). Lymphopenia in cancer patients and its
   effects on response to immunotherapy. J Immunother Cancer 7:85.
   doi:10.1186/s40425-019-0549-5
.. [4] Del Monte U (2009). Cell Cycle 8:505-506.
.. [5] FDA, KEYTRUDA prescribing information: TMB-high >= 10 mut/Mb.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from .._errors import ModelSpecError, ParameterValueError, UnknownNameError
from ..biology import escape
from ..model.components import Source
from ..model.model import Model
from .virtual import VirtualPatient

__all__ = [
    "DEFAULT_COEFFICIENTS",
    "DEFAULT_ESCAPE",
    "Coefficient",
    "LinkCoefficients",
    "LinkedPatient",
    "antigen_loss_from_tmb",
    "initial_tumour",
    "link_like",
    "link_patient",
    "lymphopenia_from_lymphocytes",
    "pdl1_engagement_from_tps",
    "sample_parameters",
    "sample_parameters_many",
]

#: Escape mechanisms linked by default, in the order they are applied.
DEFAULT_ESCAPE = ("lymphopenia", "pdl1_checkpoint", "antigen_loss")

_CALIBRATED = (
    "Calibrated coefficient: a placeholder value chosen for this package, to be fitted to trial data "
    "(e.g. response rates by TMB/PD-L1 group); not a measured value"
)


@dataclass(frozen=True)
class Coefficient:
    """A named mapping coefficient with its units, meaning and source.

    Parameters
    ----------
    name : str
    value : float
    units : str
    description : str
    source : Source
    calibrated : bool
        ``True`` for a placeholder to be fitted (the source note says so).
    bounds : (float, float)
        Allowed closed interval.
    """

    name: str
    value: float
    units: str
    description: str
    source: Source
    calibrated: bool = False
    bounds: tuple[float, float] = (0.0, math.inf)

    def __post_init__(self) -> None:
        v = float(self.value)
        lo, hi = self.bounds
        if not (math.isfinite(v) and lo <= v <= hi):
            raise ParameterValueError(
                f"link coefficient {self.name!r} must be a finite number in [{lo:g}, {hi:g}] "
                f"({self.description}); got {self.value!r}"
            )
        object.__setattr__(self, "value", v)

    def with_value(self, value: Any) -> Coefficient:
        return replace(self, value=value)


def _c(
    name: str,
    value: float,
    units: str,
    description: str,
    source: Source,
    *,
    calibrated: bool = False,
    bounds: tuple[float, float] = (0.0, math.inf),
) -> Coefficient:
    return Coefficient(name, value, units, description, source, calibrated, bounds)


@dataclass(frozen=True)
class LinkCoefficients:
    """All coefficients of the covariate -> model mappings (see the module table).

    Change them with :meth:`with_values` (``coefficients.with_values(tumour_scale=1e-3)``),
    as a calibration or a trial spec's ``[model.link]`` table does.
    """

    tmb_half: Coefficient
    antigen_loss_max: Coefficient
    pdl1_engagement_max: Coefficient
    pdl1_engagement_floor: Coefficient
    pdl1_untested_tps: Coefficient
    lymphocytes_reference: Coefficient
    lymphopenia_max: Coefficient
    tumour_scale: Coefficient

    def __post_init__(self) -> None:
        for f in fields(self):
            c = getattr(self, f.name)
            if not isinstance(c, Coefficient) or c.name != f.name:
                raise ModelSpecError(f"LinkCoefficients.{f.name} must be a Coefficient named {f.name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self))

    def values(self) -> dict[str, float]:
        """Coefficient values by name."""
        return {n: getattr(self, n).value for n in self.names}

    def with_values(self, values: Mapping[str, Any] | None = None, **kw: Any) -> LinkCoefficients:
        """A copy with new values (validated against each coefficient's bounds).

        Raises
        ------
        UnknownNameError
            For a name that is not a coefficient (the message lists them).
        ParameterValueError
            For a value out of bounds.
        """
        updates = dict(values or {}, **kw)
        for k in updates:
            if k not in self.names:
                raise UnknownNameError("link coefficient", k, self.names)
        return replace(self, **{k: getattr(self, k).with_value(v) for k, v in updates.items()})

    def table(self) -> list[dict[str, Any]]:
        """One row per coefficient (name, value, units, meaning, source, calibrated)."""
        return [
            {
                "name": c.name,
                "value": c.value,
                "units": c.units,
                "description": c.description,
                "source": str(c.source),
                "note": c.source.note,
                "calibrated": c.calibrated,
            }
            for c in (getattr(self, n) for n in self.names)
        ]


_FDA_TMB = Source(
    "FDA label KEYTRUDA (pembrolizumab)",
    location="Indications: TMB-high >= 10 mut/Mb (accelerated approval 2020-06-16)",
    note=_CALIBRATED + "; the label cut-off taken as the half-point of antigenicity is an assumption",
)
_YARCHOAN = Source(
    "Yarchoan M, Hopkins A, Jaffee EM (2017). Tumor mutational burden and response rate to PD-1 inhibition. "
    "N Engl J Med 377:2500-2501",
    doi="10.1056/NEJMc1713444",
    note=_CALIBRATED + "; the direction (more TMB, more antigenic) is from the source",
)
_LAI = Source(
    "Lai X, Friedman A (2017). PLoS ONE 12(5):e0178479",
    location="T-cell activation multiplied by 1/(1 + Q/K_TQ), Q the PD-1-PD-L1 complex",
    doi="10.1371/journal.pone.0178479",
    note=_CALIBRATED + "; complex proportional to TPS is an assumption",
)
_ALC_REF = Source(
    "Adult reference interval of the blood lymphocyte count, about 1.0-4.0e9/L (laboratory reference ranges)",
    note="2.0e9/L taken as the healthy reference (about the middle of the interval on a log scale); "
    "assumption, not checked against a stored source",
)
_MENETRIER = Source(
    "Menetrier-Caux C et al. (2019). J Immunother Cancer 7:85",
    doi="10.1186/s40425-019-0549-5",
    note=_CALIBRATED + "; a ceiling below 1 keeps some supply in every patient",
)
_SCALE = Source(
    "Del Monte U (2009). Cell Cycle 8:505-506 (1e9 cells per cm^3)",
    note=_CALIBRATED + ". Default 1 (the model counts real tumour cells); library models saturate near "
    "1e9 cells, so trials set a smaller scale",
)

#: The default coefficients.
DEFAULT_COEFFICIENTS = LinkCoefficients(
    tmb_half=_c(
        "tmb_half",
        10.0,
        "mut/Mb",
        "TMB at which half of the maximal antigen loss remains",
        _FDA_TMB,
        calibrated=True,
        bounds=(1e-6, math.inf),
    ),
    antigen_loss_max=_c(
        "antigen_loss_max",
        0.9,
        "1",
        "antigen loss of a tumour without mutations",
        _YARCHOAN,
        calibrated=True,
        bounds=(0.0, 1.0),
    ),
    pdl1_engagement_max=_c(
        "pdl1_engagement_max",
        2.0,
        "1",
        "PD-1-PD-L1 engagement added by a tumour with TPS 100 %",
        _LAI,
        calibrated=True,
    ),
    pdl1_engagement_floor=_c(
        "pdl1_engagement_floor",
        0.1,
        "1",
        "engagement at TPS 0 (PD-L1 on immune cells)",
        _LAI,
        calibrated=True,
    ),
    pdl1_untested_tps=_c(
        "pdl1_untested_tps",
        10.0,
        "%",
        "TPS assumed when the patient has no PD-L1 value (cancers without a TPS profile)",
        Source("oncoimmune assumption", note=_CALIBRATED),
        calibrated=True,
        bounds=(0.0, 100.0),
    ),
    lymphocytes_reference=_c(
        "lymphocytes_reference",
        2.0,
        "1e9/L",
        "lymphocyte count with the full effector supply",
        _ALC_REF,
        bounds=(1e-6, math.inf),
    ),
    lymphopenia_max=_c(
        "lymphopenia_max",
        0.95,
        "1",
        "largest fraction of the effector supply lost",
        _MENETRIER,
        calibrated=True,
        bounds=(0.0, 1.0),
    ),
    tumour_scale=_c(
        "tumour_scale",
        1.0,
        "model cells per tumour cell",
        "converts the patient's tumour cells to the model's tumour state",
        _SCALE,
        calibrated=True,
        bounds=(1e-300, math.inf),
    ),
)


# ---------------------------------------------------------------------------
# the mappings (pure, vectorised)
# ---------------------------------------------------------------------------
def _checked(x: Any, low: float, high: float, message: str) -> Any:
    """``x`` as a float (a Python number: the common case, one patient) or a float array, within [low, high]."""
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        v = float(x)
        if not (math.isfinite(v) and low <= v <= high):
            raise ParameterValueError(f"{message}; got {x!r}")
        return v
    a = np.asarray(x, dtype=float)
    if np.any(~np.isfinite(a)) or np.any(a < low) or np.any(a > high):
        raise ParameterValueError(f"{message}; got {x!r}")
    return a


def antigen_loss_from_tmb(tmb: Any, c: LinkCoefficients = DEFAULT_COEFFICIENTS) -> Any:
    """``antigen_loss = f_max * K / (K + TMB)`` (TMB in mut/Mb, >= 0)."""
    t = _checked(tmb, 0.0, math.inf, "tmb must be finite numbers >= 0 (mut/Mb)")
    k = c.tmb_half.value
    out = c.antigen_loss_max.value * k / (k + t)
    return out if isinstance(out, float) else (float(out) if out.ndim == 0 else out)


def pdl1_engagement_from_tps(tps: Any, c: LinkCoefficients = DEFAULT_COEFFICIENTS) -> Any:
    """``pdl1_engagement = q0 + q_max * TPS / 100`` (TPS in %, 0-100)."""
    t = _checked(tps, 0.0, 100.0, "PD-L1 TPS must be numbers in [0, 100] %")
    out = c.pdl1_engagement_floor.value + c.pdl1_engagement_max.value * t / 100.0
    return out if isinstance(out, float) else (float(out) if out.ndim == 0 else out)


def lymphopenia_from_lymphocytes(alc: Any, c: LinkCoefficients = DEFAULT_COEFFICIENTS) -> Any:
    """``lymphopenia_loss = min(l_max, max(0, 1 - ALC / ALC_ref))`` (ALC in 1e9/L)."""
    a = _checked(alc, 0.0, math.inf, "lymphocyte counts must be finite numbers >= 0 (1e9/L)")
    x = 1.0 - a / c.lymphocytes_reference.value
    if isinstance(x, float):
        return min(max(x, 0.0), c.lymphopenia_max.value)
    out = np.clip(x, 0.0, c.lymphopenia_max.value)
    return float(out) if out.ndim == 0 else out


def initial_tumour(cells: Any, c: LinkCoefficients = DEFAULT_COEFFICIENTS) -> Any:
    """Initial tumour state: ``cells * tumour_scale``."""
    x = _checked(cells, 0.0, math.inf, "tumour cells must be finite numbers >= 0")
    out = x * c.tumour_scale.value
    return out if isinstance(out, float) else (float(out) if out.ndim == 0 else out)


# ---------------------------------------------------------------------------
# parameter variability
# ---------------------------------------------------------------------------
def sample_parameters(
    model: Model, trial_seed: int, index: int, *, max_redraws: int = 100
) -> dict[str, float]:
    """Draw every parameter that has a non-fixed :class:`~oncoimmune.model.Distribution`.

    Each parameter has its own stream,
    ``SeedSequence([trial_seed, index], spawn_key=(2, crc32(name)))``, so adding a
    variable parameter to a model does not change the draws of the others. A
    draw outside the parameter's bounds is redrawn from the same stream
    (truncation) up to ``max_redraws`` times.

    Returns
    -------
    dict
        ``{name: value}`` for the variable parameters only (empty if none vary).

    Raises
    ------
    ParameterValueError
        If no draw falls within the bounds (the message names the parameter).
    """
    from .cohort import patient_rng

    out: dict[str, float] = {}
    for p in model.parameters:
        d = p.distribution
        if d.kind == "fixed":
            continue
        rng = patient_rng(trial_seed, index, "parameters", p.name)
        lo, hi = p.bounds
        for _ in range(max_redraws):
            v = float(d.sample(p.value, rng))
            if math.isfinite(v) and lo <= v <= hi:
                out[p.name] = v
                break
        else:
            raise ParameterValueError(
                f"parameter {p.name!r} of model {model.id!r}: no draw of its {d.kind} distribution fell in "
                f"[{lo:g}, {hi:g}] in {max_redraws} tries; narrow the distribution or widen the bounds"
            )
    return out


def sample_parameters_many(
    model: Model, trial_seed: int, indices: Sequence[int], *, max_redraws: int = 100
) -> list[dict[str, float]]:
    """:func:`sample_parameters` for many patients at once (the same values, drawn in lanes).

    Each parameter's stream of every patient is advanced together
    (:class:`~oncoimmune.patients._pcg64.LaneStreams`, NumPy's generator bit for
    bit); a draw outside the bounds is redrawn from the same stream, lane by
    lane, as the one-by-one function does.

    Returns
    -------
    list of dict
        One ``{name: value}`` per index, in the model's parameter order.

    Raises
    ------
    ParameterValueError
        As :func:`sample_parameters` (the first patient with no draw within bounds).
    """
    from ._pcg64 import LaneStreams
    from .streams import patient_seed_sequence

    idx = np.asarray(indices, dtype=np.int64)
    columns: dict[str, np.ndarray] = {}
    for p in model.parameters:
        d = p.distribution
        if d.kind == "fixed":
            continue
        st = LaneStreams(trial_seed, idx, patient_seed_sequence(trial_seed, 0, "parameters", p.name).spawn_key)
        lo, hi = p.bounds
        values = np.full(idx.size, np.nan)
        todo = np.arange(idx.size)
        for _ in range(max_redraws):
            v = _distribution_lanes(d, p.value, st, todo)
            ok = np.isfinite(v) & (lo <= v) & (v <= hi)
            values[todo[ok]] = v[ok]
            todo = todo[~ok]
            if todo.size == 0:
                break
        else:
            sample_parameters(model, trial_seed, int(idx[todo[0]]), max_redraws=max_redraws)  # raises why
        columns[p.name] = values
    return [{name: float(col[k]) for name, col in columns.items()} for k in range(idx.size)]


def _distribution_lanes(d: Any, typical: float, st: Any, lanes: np.ndarray) -> np.ndarray:
    """:meth:`~oncoimmune.model.Distribution.sample` (one draw, no ``size``) for each lane."""
    if d.kind == "lognormal":
        sigma = math.sqrt(math.log1p(d.cv**2))
        return typical * np.exp(0.0 + sigma * st.standard_normal(lanes))
    if d.kind == "normal":
        return typical + abs(typical) * d.cv * st.standard_normal(lanes)
    if d.kind == "uniform":
        return d.low + (d.high - d.low) * st.random(lanes)
    lo, hi = math.log(d.low), math.log(d.high)
    return np.exp(lo + (hi - lo) * st.random(lanes))


# ---------------------------------------------------------------------------
# linking one patient
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkedPatient:
    """A patient's model and how it was derived.

    Attributes
    ----------
    patient : VirtualPatient
    model : Model
        The untreated model with the patient's escape strengths, parameter
        draws and initial tumour (compose therapies onto it).
    strengths : mapping of str to float
        Escape mechanism -> strength.
    parameters : mapping of str to float
        Parameter values drawn from their distributions (or given to
        :func:`link_patient` as ``parameters``).
    initial : mapping of str to float
        Initial values set from covariates.
    tumour_scale : float
        Model tumour units per real tumour cell (divide by it before RECIST).
    coefficients : LinkCoefficients
    """

    patient: VirtualPatient
    model: Model
    strengths: Mapping[str, float]
    parameters: Mapping[str, float]
    initial: Mapping[str, float]
    tumour_scale: float
    coefficients: LinkCoefficients

    def to_dict(self) -> dict[str, Any]:
        """Flat record (patient index, strengths, drawn parameters, initial values)."""
        out: dict[str, Any] = {
            "index": self.patient.index,
            "model_id": self.model.id,
            "tumour_scale": self.tumour_scale,
        }
        out.update({f"strength_{k}": v for k, v in self.strengths.items()})
        out.update({f"param_{k}": v for k, v in self.parameters.items()})
        out.update({f"initial_{k}": v for k, v in self.initial.items()})
        return out


def _strength(mechanism: str, p: VirtualPatient, c: LinkCoefficients) -> float:
    if mechanism == "lymphopenia":
        return lymphopenia_from_lymphocytes(p.lymphocytes, c)
    if mechanism == "pdl1_checkpoint":
        tps = p.biomarkers.get("pdl1")
        return pdl1_engagement_from_tps(c.pdl1_untested_tps.value if tps is None else float(tps), c)
    if mechanism == "antigen_loss":
        tmb = p.biomarkers.get("tmb")
        if tmb is None:
            raise ParameterValueError(
                f"antigen_loss is linked to TMB, but patient {p.index} ({p.cancer}) has no TMB value; "
                "add a 'tmb' distribution to the cancer profile or leave 'antigen_loss' out of escape"
            )
        return antigen_loss_from_tmb(float(tmb), c)
    raise UnknownNameError("linked escape mechanism", mechanism, DEFAULT_ESCAPE)


def link_patient(
    model: Model,
    patient: VirtualPatient,
    *,
    escape_mechanisms: Iterable[str] = DEFAULT_ESCAPE,
    coefficients: LinkCoefficients = DEFAULT_COEFFICIENTS,
    variability: bool = True,
    parameters: Mapping[str, float] | None = None,
    drawn: Mapping[str, float] | None = None,
) -> LinkedPatient:
    """The model of one patient: escape strengths, parameter draws and initial tumour.

    Parameters
    ----------
    model : Model
        An untreated library model *without* the escape mechanisms applied
        (they are applied here, so :func:`~oncoimmune.biology.escape.lymphopenia`
        also rescales the resident effector pool).
    patient : VirtualPatient
    escape_mechanisms : iterable of str
        Any of ``"lymphopenia"``, ``"pdl1_checkpoint"``, ``"antigen_loss"``.
    coefficients : LinkCoefficients
    variability : bool
        Draw parameters with a non-fixed distribution (:func:`sample_parameters`).
    parameters : mapping of str to float, optional
        Values that replace the draws of these parameters (or set them when
        they are not drawn), e.g. a virtual-population row
        (:func:`oncoimmune.trials.sample.vpop_draw`); applied before the
        escape mechanisms, and listed in :attr:`LinkedPatient.parameters`.
    drawn : mapping of str to float, optional
        The patient's draws when already made (:func:`sample_parameters_many`
        gives exactly :func:`sample_parameters`'s values); used in place of
        drawing them here when ``variability`` is on.

    Returns
    -------
    LinkedPatient

    Raises
    ------
    ModelSpecError
        If the model lacks the roles a mechanism needs, already carries the
        mechanism, has no ``tumour_state``, or its tumour state is not in cells
        while ``tumour_scale`` is left at 1.
    """
    mechs = tuple(escape_mechanisms)
    if model.tumour_state is None:
        raise ModelSpecError(
            f"link_patient: model {model.id!r} has no tumour_state; the initial tumour cannot be set"
        )
    units = model.state(model.tumour_state).units
    if units != "cells" and coefficients.tumour_scale.value == DEFAULT_COEFFICIENTS.tumour_scale.value:
        raise ModelSpecError(
            f"link_patient: the tumour state {model.tumour_state!r} of model {model.id!r} "
            f"is in {units!r}, not "
            "cells; set coefficients.with_values(tumour_scale=<model units per tumour cell>)"
        )
    drawn, strengths, t0 = _link_inputs(model, patient, mechs, coefficients, variability, parameters, drawn)
    m = model.with_parameters(drawn) if drawn else model
    for name, s in strengths.items():
        m = escape.get_mechanism(name)(m, s)
    m = m.with_initial({model.tumour_state: t0})
    return _linked(model, m, patient, strengths, drawn, t0, coefficients)


def _link_inputs(
    model: Model,
    patient: VirtualPatient,
    mechs: Sequence[str],
    coefficients: LinkCoefficients,
    variability: bool,
    parameters: Mapping[str, float] | None,
    predrawn: Mapping[str, float] | None = None,
) -> tuple[dict[str, float], dict[str, float], float]:
    """The patient's parameter draws, escape strengths and initial tumour (what :func:`link_patient` sets)."""
    if not variability:
        drawn: dict[str, float] = {}
    elif predrawn is not None:
        drawn = dict(predrawn)
    else:
        drawn = sample_parameters(model, patient.trial_seed, patient.index)
    if parameters:
        drawn = {**drawn, **{str(k): float(v) for k, v in parameters.items()}}
    strengths = {name: _strength(name, patient, coefficients) for name in mechs}
    return drawn, strengths, initial_tumour(patient.tumour_cells, coefficients)


def _linked(
    model: Model,
    m: Model,
    patient: VirtualPatient,
    strengths: dict[str, float],
    drawn: dict[str, float],
    t0: float,
    coefficients: LinkCoefficients,
) -> LinkedPatient:
    initial = {model.tumour_state: t0}
    for s in model.state_names:
        if s != model.tumour_state and m.state(s).initial != model.state(s).initial:
            initial[s] = m.state(s).initial
    return LinkedPatient(
        patient=patient,
        model=m,
        strengths=MappingProxyType(strengths),
        parameters=MappingProxyType(drawn),
        initial=MappingProxyType(initial),
        tumour_scale=coefficients.tumour_scale.value,
        coefficients=coefficients,
    )


def link_like(
    template: LinkedPatient,
    model: Model,
    patient: VirtualPatient,
    *,
    escape_mechanisms: Iterable[str] = DEFAULT_ESCAPE,
    coefficients: LinkCoefficients = DEFAULT_COEFFICIENTS,
    variability: bool = True,
    parameters: Mapping[str, float] | None = None,
    drawn: Mapping[str, float] | None = None,
) -> LinkedPatient:
    """:func:`link_patient` by setting ``patient``'s values on a copy of another patient's linked model.

    ``template`` is ``link_patient(model, other, ...)`` with the same arguments.
    The escape mechanisms are not applied again: their values
    (:meth:`~oncoimmune.biology.escape.EscapeMechanism.values`), the parameter
    draws and the initial tumour are set on ``template.model``. That equals
    :func:`link_patient` when the mechanisms add nothing else that depends on
    the patient, which a caller should check on a second patient (the trial
    runner does: :class:`oncoimmune.trials.sample.LinkTemplate`).
    """
    mechs = tuple(escape_mechanisms)
    drawn, strengths, t0 = _link_inputs(model, patient, mechs, coefficients, variability, parameters, drawn)
    params, inits = dict(drawn), {}
    for name, s in strengths.items():
        p, i = escape.get_mechanism(name).values(model, s)
        params.update(p)
        inits.update(i)
    inits[model.tumour_state] = t0
    m = template.model.with_parameters(params).with_initial(inits)
    return _linked(model, m, patient, strengths, drawn, t0, coefficients)
