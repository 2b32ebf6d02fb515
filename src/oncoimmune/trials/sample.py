"""Stage 2: everything about one patient that is drawn, not solved.

Covariates and assays (:mod:`oncoimmune.patients.cohort`), the linked model
with the patient's parameter draws (:func:`oncoimmune.patients.link.link_patient`)
and the library's ``pretreatment_state`` hook (:func:`sample_patient`), the
arm's regimens at the patient's weight and body surface (:func:`regimens`),
and the four numbers of the ``events`` stream (:func:`event_draws`).
With a ``[vpop]`` section in the spec, :func:`vpop_draw` gives each patient
a row of the virtual-population table, whose values replace that patient's
parameter draws.
:func:`preflight` checks, on one patient per arm, that the arm's regimens can
be added to the model before anything is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import OncoimmuneError
from ..model.compile import _structure_key
from ..patients.link import link_like, link_patient, sample_parameters, sample_parameters_many
from ..therapy.cytotoxic import CytotoxicCourse, PKCovariates
from ..therapy.regimen import ChemotherapyCourse, Regimen, parse_therapy, treat_regimens
from .context import TrialContext, TrialRunError
from .plan import PlannedPatient, TrialPlan
from .templates import NoTemplate, TemplateCheck

__all__ = [
    "EventDraws",
    "LinkTemplate",
    "SampledPatient",
    "event_draws",
    "preflight",
    "post_progression_regimens",
    "regimen_texts",
    "regimens",
    "presample",
    "sample_patient",
    "vpop_draw",
]

@dataclass(frozen=True)
class EventDraws:
    """The four numbers drawn from a patient's ``events`` stream (arrays over patients).

    Attributes
    ----------
    dropout, background, crossover : ndarray
        Uniforms on [0, 1).
    new_lesion : ndarray
        Unit exponentials (the cumulative new-lesion hazard at which a new
        lesion appears).
    """

    dropout: np.ndarray
    background: np.ndarray
    crossover: np.ndarray
    new_lesion: np.ndarray

    def row(self, j: int) -> EventDraws:
        """Patient ``j``'s numbers (arrays of length 1)."""
        return EventDraws(*(getattr(self, n)[j : j + 1] for n in _EVENT_FIELDS))

    @staticmethod
    def concat(parts: Sequence[EventDraws]) -> EventDraws:
        """The patients of ``parts``, in order."""
        return EventDraws(*(np.concatenate([getattr(p, n) for p in parts]) for n in _EVENT_FIELDS))


#: The fields of :class:`EventDraws`, in order.
_EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(EventDraws))


def event_draws(seed: int, indices: Sequence[int]) -> EventDraws:
    """Draw each patient's event numbers from ``patient_rng(seed, i, "events")`` (fixed order).

    Three uniforms (``rng.random(3)``) then one ``rng.standard_exponential()``,
    drawn for all patients at once in lanes (the same numbers as one generator
    per patient: :class:`~oncoimmune.patients._pcg64.LaneStreams`).
    """
    from ..patients._pcg64 import LaneStreams
    from ..patients.streams import patient_seed_sequence

    idx = np.asarray(indices, dtype=np.int64).ravel()
    st = LaneStreams(int(seed), idx, patient_seed_sequence(int(seed), 0, "events").spawn_key)
    u = [st.random() for _ in range(3)]
    return EventDraws(u[0], u[1], u[2], st.standard_exponential())


def _shift(regimen: Any, days: float) -> Any:
    """A regimen whose first administration is ``days`` later."""
    if days == 0:
        return regimen
    if isinstance(regimen, Regimen):
        return dataclasses.replace(
            regimen,
            phases=tuple(dataclasses.replace(p, start_day=p.start_day + days) for p in regimen.phases),
        )
    if isinstance(regimen, ChemotherapyCourse):
        start = regimen.start_day if regimen.start_day is not None else regimen.regimen.schedule.start_day
        return dataclasses.replace(regimen, start_day=start + days)
    raise TrialRunError(f"cannot shift a regimen of type {type(regimen).__name__}")



def regimens(ctx: TrialContext, arm: str, patient: Any, start: float = 0.0) -> list[Any]:
    """The arm's regimens at the patient's weight and body surface, the first administration ``start`` days later."""
    texts = ctx.spec.arm(arm).regimens_for(getattr(patient, "histology", None))
    return [_therapy(ctx, text, patient.weight_kg, patient.bsa_m2, start) for text in texts]

def regimen_texts(ctx: TrialContext, texts: Sequence[str], patient: Any, start: float = 0.0) -> list[Any]:
    """Regimen strings at the patient's weight and body surface (parsed once per text, :func:`_parsed`),
    the first administration ``start`` days later."""
    return [_therapy(ctx, text, patient.weight_kg, patient.bsa_m2, start) for text in texts]


#: Shifted first parses kept per trial (text and start day: crossover starts fall on a few days).
MAX_SHIFTED = 256


def _therapy(ctx: TrialContext, text: str, weight_kg: float, bsa_m2: float, start: float) -> Any:
    """``_shift(_parsed(ctx, text, weight_kg, bsa_m2), start)``, the shift made once per text and day.

    Shifting (new phases, validated) and re-dosing (:func:`_for_patient`: weight and surface) change
    different fields, so they commute: a regimen or chemotherapy course that starts ``start`` days later
    (crossover, subsequent therapy) is the text's first parse shifted once, then given the patient's
    values, once that first parse is in use (:func:`_parsed`); its spot checks also compare this with
    the shifted fresh parse.
    """
    if start == 0:
        return _parsed(ctx, text, weight_kg, bsa_m2)
    hit = ctx.cache.get("parsed_therapies", {}).get(text)
    if hit is None or not isinstance(hit[0], (Regimen, ChemotherapyCourse)):
        return _shift(_parsed(ctx, text, weight_kg, bsa_m2), start)
    shifted = ctx.cache.setdefault("shifted_therapies", {})
    t = shifted.get((text, start))
    if t is None:
        t = _shift(hit[0], start)
        if len(shifted) < MAX_SHIFTED:
            shifted[(text, start)] = t
    if hit[1].use():
        return _for_patient(t, weight_kg, bsa_m2)
    full = _shift(_fresh(ctx, text, weight_kg, bsa_m2, hit), start)
    if hit[1].wanted:
        hit[1].record(_for_patient(t, weight_kg, bsa_m2) == full, f"therapy {text!r} from day {start:g}")
    return full


def post_progression_regimens(ctx: TrialContext, arm: str, patient: Any, plan: Any) -> list[Any]:
    """The arm's regimens plus what a :class:`~oncoimmune.trials.rules.PostProgression` starts."""
    regs = regimens(ctx, arm, patient)
    if plan.crossover_to is not None:
        regs += regimens(ctx, plan.crossover_to, patient, start=plan.start)
    if plan.subsequent:
        regs += regimen_texts(ctx, plan.subsequent, patient, start=plan.start)
    return regs



def _for_patient(template: Any, weight_kg: float, bsa_m2: float) -> Any:
    """``template`` (a parsed therapy text) for another weight and body surface, without parsing again."""
    if isinstance(template, Regimen):
        return template.for_patient(weight_kg, bsa_m2)
    if isinstance(template, CytotoxicCourse):
        cov = PKCovariates.from_patient(None, weight_kg=weight_kg, bsa_m2=bsa_m2)
        return dataclasses.replace(template, covariates=cov)
    if isinstance(template, ChemotherapyCourse):
        return template
    return None


def _parsed(ctx: TrialContext, text: str, weight_kg: float, bsa_m2: float) -> Any:
    """``parse_therapy(text, weight_kg=..., bsa_m2=...)``: from the text's first parse once that has reproduced
    a fresh parse for other patients (:class:`~oncoimmune.trials.templates.TemplateCheck`), else parsed."""
    hit = ctx.cache.get("parsed_therapies", {}).get(text)  # (first parse, its TemplateCheck)
    if hit is not None and hit[1].use():
        return _for_patient(hit[0], weight_kg, bsa_m2)
    return _fresh(ctx, text, weight_kg, bsa_m2, hit)


def _fresh(ctx: TrialContext, text: str, weight_kg: float, bsa_m2: float, hit: Any) -> Any:
    """``text`` parsed for this patient; the first parse is kept, later ones compared with it while wanted."""
    fresh = parse_therapy(text, weight_kg=weight_kg, bsa_m2=bsa_m2)
    if hit is None:
        check = TemplateCheck("therapy-text")
        check.failed = _for_patient(fresh, 1.0, 1.0) is None  # a kind of therapy it cannot re-dose: parse always
        hit = ctx.cache.setdefault("parsed_therapies", {})[text] = (fresh, check)
    if hit[1].wanted:
        hit[1].record(_for_patient(hit[0], weight_kg, bsa_m2) == fresh, f"therapy {text!r}")
    return fresh


def _covariates(p: Any) -> dict[str, Any]:
    return {
        "age": float(p.age),
        "sex": str(p.sex),
        "ecog": int(p.ecog),
        "histology": str(p.histology),
        "stage": str(p.stage),
        "weight_kg": float(p.weight_kg),
        "bsa_m2": float(p.bsa_m2),
        "lymphocytes": float(p.lymphocytes),
        "pdl1_tps": float(p.biomarkers.get("pdl1", np.nan))
        if p.biomarkers.get("pdl1") is not None
        else np.nan,
        "tmb": float(p.biomarkers.get("tmb", np.nan)) if p.biomarkers.get("tmb") is not None else np.nan,
        "baseline_sld_mm": float(p.burden.value) if p.burden.measure == "sld" else np.nan,
        "tumour_cells": float(p.tumour_cells),
        "prior_lines": int(p.prior_lines),
        "region": str(p.region) if p.region is not None else "",
        "pdl1_sp142": str(p.assays["pdl1_sp142"].category) if "pdl1_sp142" in p.assays else "",
    }



@dataclass(frozen=True)
class SampledPatient:
    """One enrolled patient ready to solve.

    Attributes
    ----------
    planned : PlannedPatient
    patient : VirtualPatient
        Covariates and assay results.
    model : Model
        The library model linked to the patient (their parameter draws), after
        the library's ``pretreatment_state`` hook.
    record : dict
        Covariates, escape strengths (``strength_*``) and drawn parameters (``param_*``).
    draws : EventDraws
        The patient's event numbers (arrays of length 1).
    """

    planned: PlannedPatient
    patient: Any
    model: Any
    record: dict[str, Any]
    draws: EventDraws


def drawn_patient(ctx: TrialContext, index: int) -> Any:
    """Covariates and assays of the patient with screening index ``index``."""
    from ..patients.cohort import run_assays
    from ..patients.cohort import sample_patient as draw

    return run_assays(ctx.population, draw(ctx.population, ctx.seed, index))


def vpop_draw(ctx: TrialContext, indices: Sequence[int]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Rows of the spec's virtual-population table for patients ``indices`` (screening indices).

    Patient ``i`` takes row ``patient_rng(seed, i, "parameters", "vpop_row").integers(n_rows)``
    (uniform, with replacement; ``seed`` is ``[vpop] seed`` if given, else the
    run's trial seed), so a patient's row does not depend on the other
    patients, the shard size or the engine.

    Returns
    -------
    rows : ndarray of int
        The table row of each patient (empty without a ``[vpop]`` section).
    values : dict of str to ndarray
        ``{parameter: value per patient}`` for the parameters ``[vpop]`` names.
    """
    from ..patients.cohort import patient_rng
    from .spec import _numeric, vpop_table

    v = ctx.spec.vpop
    if v is None:
        return np.zeros(0, dtype=np.int64), {}
    table = vpop_table(v.path, v.sha256 or "")
    seed = ctx.seed if v.seed is None else v.seed
    n = len(table)
    rows = np.array(
        [patient_rng(seed, int(i), "parameters", "vpop_row").integers(n) for i in indices], dtype=np.int64
    )
    return rows, {name: _numeric(table[name])[rows] for name in v.parameters}


def presample(ctx: TrialContext, planned: Sequence[PlannedPatient]) -> dict[int, tuple[Any, Any, EventDraws]]:
    """Covariates, assays, parameter and event draws of many patients, drawn in lanes.

    Returns ``{index: (patient, parameter draws, event draws)}``.

    The same values as :func:`drawn_patient` and
    :func:`~oncoimmune.patients.link.sample_parameters` give one by one
    (:func:`oncoimmune.patients.lanes.draw_patients`,
    :func:`~oncoimmune.patients.link.sample_parameters_many`), about ten times
    faster. Like the templates, the lanes are used only after they reproduced
    the one-by-one values for three patients, and one patient in 50 is still
    drawn both ways (:class:`~oncoimmune.trials.templates.TemplateCheck`).
    Empty (every patient drawn one by one) where the population needs the
    one-by-one path or a draw fails (that patient then fails on its own).
    The parameter draws are ``None`` where the parameters are not drawn (a ``[vpop]``
    with ``others = "nominal"``); the event draws are :func:`event_draws`'s.
    """
    from ..patients.lanes import draw_patients, supported

    pop = ctx.population
    if len(planned) < 2 or supported(pop) is not None:
        return {}
    idx = [p.index for p in planned]
    vp = ctx.spec.vpop
    variability = vp is None or vp.others == "drawn"
    try:
        patients = draw_patients(pop, ctx.seed, idx)
        drawn = sample_parameters_many(ctx.model, ctx.seed, idx) if variability else [None] * len(idx)
    except OncoimmuneError:
        return {}
    check = ctx.cache.get("lanes_check")
    if check is None:
        check = ctx.cache["lanes_check"] = TemplateCheck("patients-in-lanes")
    ev = event_draws(ctx.seed, idx)
    out: dict[int, tuple[Any, Any, EventDraws]] = {}
    for j, (i, pat, dr) in enumerate(zip(idx, patients, drawn)):
        if check.use():
            out[i] = (pat, dr, ev.row(j))
        elif check.wanted:
            full = drawn_patient(ctx, i)
            full_dr = sample_parameters(ctx.model, ctx.seed, i) if variability else None
            check.record(full == pat and full_dr == dr, f"patient {i}")
    return out


def sample_patient(
    ctx: TrialContext, planned: PlannedPatient, pre: tuple[Any, ...] | None = None
) -> SampledPatient:
    """Draw the patient, link them to the model and apply the library's pre-treatment hook.

    With a ``[vpop]`` section the patient's row of the virtual-population
    table (:func:`vpop_draw`) replaces their draws of the parameters it names
    (and the other parameters keep their typical values with ``others =
    "nominal"``); the row is recorded as ``vpop_row``. ``pre``: the patient, their
    parameter draws and their event draws from :func:`presample` (else drawn here).
    """
    patient = drawn_patient(ctx, planned.index) if pre is None else pre[0]
    rec: dict[str, Any] = _covariates(patient)
    draws = event_draws(ctx.seed, [planned.index]) if pre is None or len(pre) < 3 else pre[2]
    vp = ctx.spec.vpop
    fixed: dict[str, float] | None = None
    if vp is not None:
        rows, vals = vpop_draw(ctx, [planned.index])
        fixed = {k: float(a[0]) for k, a in vals.items()}
        rec["vpop_row"] = int(rows[0])
    lp = _link(
        ctx, patient, variability=vp is None or vp.others == "drawn", parameters=fixed,
        drawn=None if pre is None else pre[1],
    )
    model = lp.model
    hook = ctx.hooks.get("pretreatment_state")
    if hook is not None:
        model = hook(model, patient)
    rec.update({f"strength_{k}": float(v) for k, v in lp.strengths.items()})
    rec.update({f"param_{k}": float(v) for k, v in lp.parameters.items()})
    return SampledPatient(planned=planned, patient=patient, model=model, record=rec, draws=draws)


class LinkTemplate:
    """One patient's linked model, reused for the others of a trial by setting their values on copies.

    :func:`~oncoimmune.patients.link.link_like` gives a patient's linked model
    without applying the escape mechanisms again. It is used for a trial only
    after it has reproduced :func:`~oncoimmune.patients.link.link_patient`
    exactly (structure, every parameter and initial value, strengths, draws)
    for the first patients and in spot checks (:class:`~oncoimmune.trials.templates.TemplateCheck`);
    otherwise every patient is linked in full.
    """

    def __init__(self, linked: Any, ctx: TrialContext, kw: dict[str, Any]) -> None:
        self.linked = linked
        self.model = ctx.model
        self.kw = kw
        self.check = TemplateCheck("linked-model")

    def link(self, patient: Any, parameters: dict[str, float] | None, drawn: Any = None) -> Any:
        """``patient`` linked with ``parameters`` (their virtual-population values, if any) and their
        parameter ``drawn`` (if already made)."""
        return link_like(self.linked, self.model, patient, **self.kw, parameters=parameters, drawn=drawn)

    def reproduces(self, full: Any, parameters: dict[str, float] | None) -> bool:
        """Whether :meth:`link` gives exactly ``full`` (a :func:`link_patient` result) for its patient."""
        fast = self.link(full.patient, parameters)  # draws its own: a check of pre-drawn values too
        a, b = fast.model, full.model
        return (
            _structure_key(a) == _structure_key(b)
            and a.parameter_values == b.parameter_values
            and a.initial_values == b.initial_values
            and dict(fast.strengths) == dict(full.strengths)
            and dict(fast.parameters) == dict(full.parameters)
            and dict(fast.initial) == dict(full.initial)
        )


def _link(
    ctx: TrialContext, patient: Any, *, variability: bool, parameters: dict[str, float] | None, drawn: Any = None
) -> Any:
    """The patient's linked model: from the trial's :class:`LinkTemplate` once it is verified, else in full."""
    kw = {"escape_mechanisms": ctx.spec.model.escape, "coefficients": ctx.coefficients, "variability": variability}
    key = ("link_template", variability, None if parameters is None else tuple(sorted(parameters)))
    t = ctx.cache.get(key)
    if t is not None and t.check.use():
        return t.link(patient, parameters, drawn)
    lp = link_patient(ctx.model, patient, **kw, parameters=parameters, drawn=drawn)
    try:
        if t is None:  # the first patient
            t = ctx.cache[key] = LinkTemplate(lp, ctx, kw)
        ok = t.reproduces(lp, parameters) if t.check.wanted else None
    except Exception as exc:  # noqa: BLE001 - a template that cannot be built is not used; the patient is fine
        ok = False
        ctx.cache.setdefault("template_errors", []).append(f"link: {type(exc).__name__}: {exc}")
        if t is None:
            t = ctx.cache[key] = NoTemplate("linked-model")
    if ok is not None:
        t.check.record(ok, f"patient {patient.index}")
    return lp


def preflight(ctx: TrialContext, plan: TrialPlan) -> None:
    """Build the treated model of the first patient of each arm; a failure is a spec error."""
    seen: set[str] = set()
    for p in plan.patients:
        if p.arm in seen:
            continue
        seen.add(p.arm)
        where = f"arms[{[a.name for a in ctx.spec.arms].index(p.arm)}]"
        try:
            patient = drawn_patient(ctx, p.index)
            lp = link_patient(
                ctx.model, patient, escape_mechanisms=ctx.spec.model.escape, coefficients=ctx.coefficients
            )
            m = lp.model
            hook = ctx.hooks.get("pretreatment_state")
            if hook is not None:
                m = hook(m, patient)
            arm = ctx.spec.arm(p.arm)
            for texts in arm.regimen_variants():  # every histology's regimens (regimens_by_histology)
                treat_regimens(
                    m,
                    *regimen_texts(ctx, texts, patient),
                    until=ctx.horizon,
                    weight_kg=patient.weight_kg,
                    bsa_m2=patient.bsa_m2,
                )
            xo = arm.crossover
            if xo is not None:
                regs = regimens(ctx, p.arm, patient) + regimens(ctx, xo.to_arm, patient, start=1.0)
                treat_regimens(
                    m, *regs, until=ctx.horizon, weight_kg=patient.weight_kg, bsa_m2=patient.bsa_m2
                )
        except OncoimmuneError as exc:
            raise TrialRunError(
                f"{where} ({p.arm!r}): the model {ctx.spec.model.id!r} cannot be treated with this arm's "
                f"regimens: {exc}"
            ) from None
        if arm.subsequent is not None:
            try:
                regs = regimens(ctx, p.arm, patient) + regimen_texts(ctx, arm.subsequent.regimens, patient, start=1.0)
                treat_regimens(m, *regs, until=ctx.horizon, weight_kg=patient.weight_kg, bsa_m2=patient.bsa_m2)
            except OncoimmuneError as exc:
                raise TrialRunError(
                    f"{where}.subsequent ({p.arm!r}): the model {ctx.spec.model.id!r} cannot be treated with the "
                    f"subsequent regimens after the arm's: {exc}"
                ) from None



#: Former private name.
_regimens = regimens
