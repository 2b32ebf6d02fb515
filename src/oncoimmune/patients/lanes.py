r"""Screening a block of candidates at once, with the patients :func:`~oncoimmune.patients.cohort.screen_patient` draws.

A million-patient trial screens about four million candidates; drawing each
one as a :class:`~oncoimmune.patients.virtual.VirtualPatient` costs about
0.1 ms of Python. :func:`screen_block` draws a whole block of candidates
column by column instead: every patient keeps their own random streams
(:class:`~oncoimmune.patients._pcg64.LaneStreams`, bit for bit NumPy's), every
covariate is drawn in the order of :func:`~oncoimmune.patients.virtual.draw_patient`,
implausible candidates are redrawn from the same streams, the assays report
and the inclusion criteria are applied as :meth:`~oncoimmune.patients.cohort.Inclusion.check`
does. The result for each candidate is what screening keeps: eligible or the
criteria failed, and the values of the stratification factors.

Exactness: arithmetic follows the scalar code operation by operation;
``exp`` runs in compiled code that calls the C library, as :func:`math.exp`
does (NumPy's vectorised ``exp`` differs in the last bit for a few per cent of
arguments); the body-mass index, whose scalar form uses ``pow``, is recomputed
the scalar way wherever it lies within 1e-9 of a plausibility bound.
:func:`supported` says when a population needs the one-by-one path (a
distribution without a lane form, such as ``Beta``; a paediatric body model;
an ``indication`` criterion); callers use the scalar path then.
``tests/patients/test_lanes.py`` compares the two on every cancer profile.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._pcg64 import LaneStreams, categorical_lanes, lognormal_lanes
from .biomarkers import ASSAYS, AssayResult, categorise
from .cancers import CANCERS
from .cohort import MEASURABLE, Population
from .streams import patient_seed_sequence
from .virtual import DESIGN_STREAM, PiecewiseUniform, _expand_classes

__all__ = ["BlockOutcome", "draw_patients", "screen_block", "supported"]


def _dist_supported(d: Any) -> bool:
    """Whether covariate ``d`` has a lane form (``sample_lanes``; a ``ConditionalOn`` also for every case)."""
    return hasattr(d, "sample_lanes") and getattr(d, "lanes_supported", True)


def supported(pop: Population) -> str | None:
    """Why ``pop`` must be screened one patient at a time (``None``: it can be screened in lanes)."""
    prof = pop.profile
    if prof is None:
        return "no profile"
    if prof.body.paediatric:
        return "paediatric body-size model"
    dists: dict[str, Any] = {
        "age": prof.age,
        "sex": prof.male,
        "ecog": prof.ecog,
        "lymphocytes": prof.lymphocytes,
        "prior lines": prof.prior.lines,
        **{f"biomarker {k}": d for k, d in prof.biomarkers.items()},
        **{f"driver {k}": d for k, d in prof.drivers.items()},
    }
    if prof.histology is not None:
        dists["histology"] = prof.histology
    if prof.burden is not None:
        dists["burden"] = prof.burden
    for name, d in dists.items():
        if not _dist_supported(d):
            return f"{name} is a {type(d).__name__} distribution"
    if pop.inclusion.indication is not None:
        return "an indication criterion"
    return None


def _categorical_normalised(probabilities: Mapping[Any, float], u: np.ndarray) -> np.ndarray:
    """:func:`~oncoimmune.patients.virtual._categorical_at` for many uniforms (weights normalised as it does)."""
    total = float(sum(probabilities.values()))
    return categorical_lanes({k: float(p) / total for k, p in probabilities.items()}, u)


def _sample(d: Any, st: LaneStreams, lanes: np.ndarray, ctx: Mapping[str, np.ndarray]) -> np.ndarray:
    """One draw of ``d`` for each lane in ``lanes`` (the covariate's own lane form of ``d.sample``)."""
    return d.sample_lanes(st, lanes, ctx)


@dataclass
class _Block:
    """Covariates of a block of candidates (one entry per lane)."""

    stage: np.ndarray
    sex: np.ndarray
    age: np.ndarray
    weight: np.ndarray
    height: np.ndarray
    ecog: np.ndarray
    histology: np.ndarray
    drivers: dict[str, np.ndarray]
    lines: np.ndarray
    classes: np.ndarray  # object: tuple of class names
    lymphocytes: np.ndarray
    burden: np.ndarray
    markers: dict[str, np.ndarray]
    region: np.ndarray
    eps_sp142: np.ndarray
    draws: np.ndarray | None = None  # the attempt that passed the plausibility filter


def _attempt(pop: Population, st: LaneStreams, lanes: np.ndarray, design: dict[str, np.ndarray]) -> _Block:
    """One candidate draw for each lane in ``lanes``, in :func:`~oncoimmune.patients.virtual.draw_patient`'s order."""
    prof = pop.profile
    assert prof is not None
    n = lanes.size
    stage = _stages(pop, st, lanes)
    male = st.random(lanes) < prof.male.p
    sex = np.where(male, "male", "female").astype(object)
    age = np.asarray(_sample(prof.age, st, lanes, {}), dtype=float)
    weight, height = _body(prof.body, st, lanes, male)
    ecog = np.array([int(e) for e in categorical_lanes(prof.ecog.probabilities, st.random(lanes))], dtype=np.int64)
    histology = (
        categorical_lanes(prof.histology.probabilities, st.random(lanes))
        if prof.histology is not None
        else np.full(n, None, dtype=object)
    )
    drivers = {k: np.asarray(_sample(d, st, lanes, {}), dtype=bool) for k, d in prof.drivers.items()}
    lines, classes, alc = _treatments_and_lymphocytes(pop, st, lanes, design)
    markers, raw = _markers_and_burden(pop, stage, st, lanes)
    return _Block(
        stage, sex, age, weight, height, ecog, histology, drivers, lines, classes, alc, raw, markers,
        design["region"], design["eps"],
    )


def _stages(pop: Population, st: LaneStreams, lanes: np.ndarray) -> np.ndarray:
    """:func:`~oncoimmune.patients.cohort._choose_stage` per lane (a uniform only with several stages)."""
    n = lanes.size
    if not pop.stages:
        return np.full(n, None, dtype=object)
    if len(pop.stages) == 1:
        return np.full(n, pop.stages[0], dtype=object)
    w = np.asarray(pop.stage_weights if pop.stage_weights is not None else [1.0] * len(pop.stages))
    cum = np.cumsum(w / w.sum())
    k = np.minimum(np.searchsorted(cum, st.random(lanes), side="right"), len(pop.stages) - 1)
    return np.asarray(pop.stages, dtype=object)[k]


def _body(body: Any, st: LaneStreams, lanes: np.ndarray, male: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:meth:`~oncoimmune.patients.virtual.BodySize.sample` for adults: weight and height per lane."""
    z1, z2 = st.standard_normal(lanes), st.standard_normal(lanes)
    weight = np.empty(lanes.size)
    for s, sel in (("male", male), ("female", ~male)):
        if sel.any():
            weight[sel] = lognormal_lanes(body.weight_median[s], body.weight_sigma, z1[sel])
    h_mean = np.where(male, body.height_mean["male"], body.height_mean["female"])
    ratio = np.where(male, body.height_sd / body.height_mean["male"], body.height_sd / body.height_mean["female"])
    return weight, h_mean * (1.0 + ratio * z2)


def _treatments_and_lymphocytes(
    pop: Population, st: LaneStreams, lanes: np.ndarray, design: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Earlier lines, earlier treatment classes (tuples) and the lymphocyte count they modify, per lane."""
    prof = pop.profile
    assert prof is not None
    n = lanes.size
    lines_drawn = categorical_lanes(prof.prior.lines.probabilities, st.random(lanes))  # always drawn
    if pop.prior_lines is None:
        lines = lines_drawn.astype(np.int64)
    elif isinstance(pop.prior_lines, Mapping):
        lines = design["lines"]
    else:
        lines = np.full(n, int(pop.prior_lines), dtype=np.int64)
    names = list(prof.prior.classes)
    codes = np.zeros(n, dtype=np.int64)  # bit j: had class j (one uniform per class, always drawn)
    for j, p in enumerate(prof.prior.classes.values()):
        codes |= ((st.random(lanes) < p) & (lines > 0)).astype(np.int64) << j
    classes = np.empty(n, dtype=object)
    alc = np.asarray(_sample(prof.lymphocytes, st, lanes, {}), dtype=float)
    for code in np.unique(codes).tolist():
        sel = codes == code
        expanded = _expand_classes((*(name for j, name in enumerate(names) if code >> j & 1), *pop.prior))
        for k in np.flatnonzero(sel):
            classes[k] = expanded
        for k in expanded:  # the scalar code multiplies in this order
            alc[sel] = alc[sel] * prof.lymphocyte_factors.get(k, 1.0)
    return lines, classes, alc


def _markers_and_burden(
    pop: Population, stage: np.ndarray, st: LaneStreams, lanes: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The burden (drawn first, scaled by stage) and the biomarkers in profile order, per lane."""
    prof = pop.profile
    assert prof is not None
    c = CANCERS[prof.cancer]
    if prof.burden is not None:
        raw = np.asarray(_sample(prof.burden, st, lanes, {}), dtype=float)
    else:
        raw = np.full(lanes.size, math.nan)
    if c.has_stages and pop.stages:
        by_stage = {s: 1.0 if s is None else prof.stage_factors.get(c.ancestors(s)[-1], 1.0) for s in set(stage)}
        raw = raw * np.array([by_stage[s] for s in stage])
    markers: dict[str, np.ndarray] = {}
    for name, d in prof.biomarkers.items():
        v = _sample(d, st, lanes, markers)
        if ASSAYS[name].kind == "continuous":  # _clip_to_assay: the built-in assay's range
            lo, hi = ASSAYS[name].value_range
            v = np.minimum(np.maximum(np.asarray(v, dtype=float), lo), hi)
        markers[name] = v
    if prof.burden is None:  # JAK2-mutant MPN: the allele burden is the tumour burden
        raw = np.asarray(markers["jak2"], dtype=float).copy()
    if prof.burden_measure in ("marrow_blasts", "jak2_vaf"):
        raw = np.minimum(raw, 100.0)
    return markers, raw


def _design(pop: Population, seed: int, indices: np.ndarray) -> dict[str, np.ndarray]:
    """The stream of late-added covariates: prior-lines uniform, region uniform, SP142 normal."""
    key = patient_seed_sequence(seed, 0, "covariates", DESIGN_STREAM).spawn_key
    st = LaneStreams(seed, indices, key)
    u_lines, u_region, eps = st.random(), st.random(), st.standard_normal()
    prof = pop.profile
    assert prof is not None
    out: dict[str, np.ndarray] = {"eps": eps}
    if isinstance(pop.prior_lines, Mapping):
        out["lines"] = _categorical_normalised(dict(pop.prior_lines), u_lines).astype(np.int64)
    if pop.regions is not None:
        out["region"] = _categorical_normalised(dict(pop.regions), u_region).astype(str).astype(object)
    elif prof.region is not None:
        out["region"] = _categorical_normalised(dict(prof.region.probabilities), u_region).astype(str).astype(object)
    else:
        out["region"] = np.full(indices.size, None, dtype=object)
    return out


def _implausible(pop: Population, b: _Block) -> np.ndarray:
    """Lanes :meth:`Plausibility.check` rejects."""
    pl = pop.plausibility
    prof = pop.profile
    assert pl is not None and prof is not None

    def out_of(v: np.ndarray, rng: tuple[float, float]) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        return ~(np.isfinite(v) & (rng[0] <= v) & (v <= rng[1]))

    bad = out_of(b.age, pl.age) | out_of(b.weight, pl.weight_kg) | out_of(b.height, pl.height_cm)
    h = b.height / 100.0
    bmi = b.weight / (h * h)
    near = np.zeros(bmi.shape, dtype=bool)
    for bound in pl.bmi:
        near |= np.abs(bmi - bound) <= 1e-9 * abs(bound)
    for k in np.flatnonzero(near):  # the scalar form: weight / (height / 100) ** 2 with C pow
        bmi[k] = float(b.weight[k]) / (float(b.height[k]) / 100.0) ** 2
    bad |= out_of(bmi, pl.bmi) | out_of(b.lymphocytes, pl.lymphocytes)
    bad |= out_of(b.burden, pl.burden[prof.burden_measure])
    if "tmb" in b.markers:
        bad |= out_of(b.markers["tmb"], pl.tmb)
    return bad


def _draw(pop: Population, seed: int, indices: np.ndarray) -> tuple[_Block, np.ndarray]:  # noqa: C901
    """Plausible candidates for ``indices``: the block and a mask of lanes that found none."""
    st = LaneStreams(seed, indices)
    design = _design(pop, seed, indices)
    n = indices.size
    lanes = np.arange(n)
    block: _Block | None = None
    exhausted = np.zeros(n, dtype=bool)
    attempts = np.ones(n, dtype=np.int64)
    for attempt in range(1, pop.max_draws + 1):
        sub = {k: v[lanes] for k, v in design.items()}
        cand = _attempt(pop, st, lanes, sub)
        bad = _implausible(pop, cand)
        attempts[lanes] = attempt
        if block is None:
            block = cand
        else:
            _assign(block, cand, lanes)
        lanes = lanes[bad]
        if lanes.size == 0:
            break
    else:
        exhausted[lanes] = True
    assert block is not None
    block.draws = attempts
    return block, exhausted


def _assign(block: _Block, cand: _Block, lanes: np.ndarray) -> None:
    for name in ("stage", "sex", "age", "weight", "height", "ecog", "histology", "lines", "classes",
                 "lymphocytes", "burden", "region", "eps_sp142"):
        getattr(block, name)[lanes] = getattr(cand, name)
    for group in ("drivers", "markers"):
        for k, v in getattr(cand, group).items():
            arr = getattr(block, group)[k]
            if arr.dtype != v.dtype and arr.dtype != object:
                arr = arr.astype(object)
                getattr(block, group)[k] = arr
            arr[lanes] = v


@dataclass(frozen=True)
class BlockOutcome:
    """Screening outcomes of candidates ``indices``.

    ``failed[k]``: the criteria candidate ``k`` failed (sorted; empty if eligible);
    ``strata[k]``: the stratum label for eligible candidates (``None`` otherwise);
    ``scalar``: lanes that must be screened one by one (no plausible candidate
    within ``max_draws``: the scalar path raises the error that says so).
    """

    indices: np.ndarray
    failed: list[tuple[str, ...]]
    strata: list[str | None]
    scalar: np.ndarray


def _sp142(pop: Population, b: _Block, lanes: np.ndarray) -> np.ndarray:
    prof = pop.profile
    assert prof is not None
    pdl1 = prof.biomarkers.get("pdl1")
    out = np.full(b.age.size, None, dtype=object)
    if prof.sp142 is None or "pdl1" not in b.markers or not isinstance(pdl1, PiecewiseUniform):
        return out
    for k in lanes:
        out[k] = prof.sp142.level(pdl1.cdf(float(b.markers["pdl1"][k])), float(b.eps_sp142[k]))
    return out


@dataclass
class _Reported:
    """One assay's results over the lanes: reported category and value, true value, exactness."""

    category: np.ndarray  # object; None where the patient has no such biomarker
    value: np.ndarray  # object
    true_value: np.ndarray  # object
    exact: bool


def _reported(pop: Population, seed: int, indices: np.ndarray, b: _Block, sp142: np.ndarray) -> dict[str, _Reported]:
    """Assay results per biomarker (run_assays: errors drawn from the assays stream in biomarker order)."""
    markers = dict(b.markers)
    if any(v is not None for v in sp142):
        markers["pdl1_sp142"] = sp142
    st: LaneStreams | None = None
    if any(pop.assay(n).error is not None for n in markers):
        st = LaneStreams(seed, indices, patient_seed_sequence(seed, 0, "assays").spawn_key)
    lanes = np.arange(indices.size)
    return {name: _assay_lanes(pop.assay(name), v, st, lanes) for name, v in markers.items()}


def _assay_lanes(a: Any, v: np.ndarray, st: LaneStreams | None, lanes: np.ndarray) -> _Reported:
    """:func:`oncoimmune.patients.biomarkers.test` over the lanes that have a value."""
    from .biomarkers import MeasurementError

    has = np.array([x is not None for x in v], dtype=bool) if v.dtype == object else np.ones(v.size, bool)
    cats = np.full(v.size, None, dtype=object)
    vals = np.full(v.size, None, dtype=object)
    true = np.full(v.size, None, dtype=object)
    if a.kind == "continuous":
        x = np.asarray(np.where(has, v, 0.0), dtype=float)
        true[has] = x[has].tolist()
        if a.error is not None:
            assert isinstance(a.error, MeasurementError) and st is not None
            z = st.standard_normal(lanes[has])
            sd = a.error.sd * np.abs(x[has]) if a.error.relative else np.full(int(has.sum()), a.error.sd)
            lo, hi = a.value_range
            x = x.copy()
            x[has] = np.minimum(np.maximum(x[has] + (0.0 + sd * z), lo), hi)
        cat = np.full(v.size, a.below, dtype=object)
        for cut, lab in a.cutoffs:
            cat[x >= cut] = lab
        cats[has] = cat[has]
        vals[has] = x[has].tolist()
        return _Reported(cats, vals, true, a.error is None)
    cache: dict[Any, str] = {}
    true[has] = [cache[x] if x in cache else cache.setdefault(x, categorise(a, x)) for x in v[has]]
    cats[has] = true[has]
    if a.error is not None:
        assert st is not None
        err = a.error
        neg = [c for c in a.categories if c != a.positive][0]
        u = st.random(lanes[has])
        pos = true[has] == a.positive
        kept = np.where(u < err.sensitivity, a.positive, neg)  # true positives reported positive
        flipped = np.where(u < err.specificity, neg, a.positive)  # true negatives reported negative
        cats[has] = np.where(pos, kept, flipped)
    vals[has] = cats[has]
    return _Reported(cats, vals, true, a.error is None)


def _failures(pop: Population, b: _Block, reported: Mapping[str, _Reported]) -> list[tuple[str, ...]]:
    """The criteria each lane fails (Inclusion.check's keys, each once, sorted; ``()``: eligible).

    Lanes failing the same criteria share one tuple (a bit mask per lane, decoded once per mask).
    """
    inc = pop.inclusion
    prof = pop.profile
    assert prof is not None
    n = b.age.size
    flags: list[tuple[str, np.ndarray]] = []
    if inc.min_age is not None:
        flags.append(("age", b.age < inc.min_age))
    if inc.max_age is not None:
        flags.append(("age", b.age > inc.max_age))
    if inc.max_ecog is not None:
        flags.append(("ecog", b.ecog > inc.max_ecog))
    if inc.histology:
        flags.append(("histology", np.array([h not in inc.histology for h in b.histology], dtype=bool)))
    if inc.min_prior_lines is not None:
        flags.append(("prior_lines", b.lines < inc.min_prior_lines))
    if inc.max_prior_lines is not None:
        flags.append(("prior_lines", b.lines > inc.max_prior_lines))
    for name, accepted in inc.biomarkers.items():
        r = reported.get(name)
        if r is None:
            flags.append((f"biomarker:{name}", np.ones(n, dtype=bool)))
        else:
            flags.append(
                (f"biomarker:{name}", np.array([c is None or c not in accepted for c in r.category], dtype=bool))
            )
    for d in inc.exclude_drivers:
        if d in b.drivers:
            flags.append((f"driver:{d}", np.asarray(b.drivers[d], dtype=bool)))
    for t in inc.excludes_prior:
        flags.append((f"prior:{t}", np.array([t in c for c in b.classes], dtype=bool)))
    for t in inc.requires_prior:
        flags.append((f"prior:{t}", np.array([t not in c for c in b.classes], dtype=bool)))
    if inc.measurable_disease:
        flags.append(("measurable", b.burden < MEASURABLE[prof.burden_measure]))
    if inc.min_lymphocytes is not None:
        flags.append(("lymphocytes", b.lymphocytes < inc.min_lymphocytes))
    keys = sorted({key for key, _ in flags})
    mask = np.zeros(n, dtype=np.int64)
    for key, f in flags:
        mask |= np.asarray(f, dtype=bool).astype(np.int64) << keys.index(key)
    decoded = {int(m): tuple(k for j, k in enumerate(keys) if int(m) >> j & 1) for m in np.unique(mask)}
    return [decoded[m] for m in mask.tolist()]


_ATTR = {"ecog": "ecog", "histology": "histology", "sex": "sex", "stage": "stage", "prior_lines": "lines",
         "region": "region"}


def _tested(
    pop: Population, seed: int, indices: Sequence[int] | np.ndarray, with_sp142: bool, instead: str
) -> tuple[np.ndarray, _Block, np.ndarray, np.ndarray, dict[str, _Reported]]:
    """Draw candidates ``indices`` and run their assays: indices, block, exhausted lanes, SP142 levels, results."""
    why = supported(pop)
    if why is not None:
        raise ValueError(f"population cannot be drawn in lanes ({why}); use {instead}")
    idx = np.asarray(indices, dtype=np.int64)
    b, exhausted = _draw(pop, seed, idx)
    sp142 = _sp142(pop, b, np.arange(idx.size)) if with_sp142 else np.full(idx.size, None, dtype=object)
    return idx, b, exhausted, sp142, _reported(pop, seed, idx, b, sp142)


def screen_block(
    pop: Population, seed: int, indices: Sequence[int] | np.ndarray, factors: Sequence[str] = ()
) -> BlockOutcome:
    """Screen candidates ``indices`` of ``pop`` (trial seed ``seed``) in lanes.

    Parameters
    ----------
    pop : Population
        One that :func:`supported` accepts.
    seed : int
    indices : sequence of int
    factors : sequence of str
        Stratification factors (``ecog``, ``histology``, ``sex``, ``stage``,
        ``prior_lines``, ``region``, ``pdl1``, ``pdl1_sp142``): the stratum label
        of an eligible candidate is ``"f1=v1|f2=v2"`` as
        :func:`oncoimmune.trials.plan.stratum_of` reads it (``"all"`` without factors).

    Returns
    -------
    BlockOutcome
    """
    # the SP142 level is the last assay run (its error draws come last): left out when nothing reads it
    needed = "pdl1_sp142" in factors or "pdl1_sp142" in pop.inclusion.biomarkers
    idx, b, exhausted, sp142, reported = _tested(pop, seed, indices, needed, "cohort.screen_patient")
    failed = _failures(pop, b, reported)
    strata: list[str | None] = []
    for k, f in enumerate(failed):
        if f or exhausted[k]:
            strata.append(None)
            continue
        if not factors:
            strata.append("all")
            continue
        parts = []
        for fac in factors:
            if fac in ("pdl1", "pdl1_sp142"):
                r = reported.get(fac)
                v = "untested" if r is None or r.category[k] is None else str(r.category[k])
            else:
                v = str(getattr(b, _ATTR[fac])[k])
            parts.append(f"{fac}={v}")
        strata.append("|".join(parts))
    return BlockOutcome(idx, failed, strata, np.flatnonzero(exhausted))


def draw_patients(pop: Population, seed: int, indices: Sequence[int] | np.ndarray) -> list[Any]:
    """Patients ``indices``, drawn and tested: ``run_assays(pop, sample_patient(pop, seed, i))`` for each.

    Parameters
    ----------
    pop : Population
        One that :func:`supported` accepts.
    seed : int
    indices : sequence of int

    Returns
    -------
    list of VirtualPatient
        Equal to the one-by-one patients (every field, every assay result).

    Raises
    ------
    PatientInputError
        As :func:`~oncoimmune.patients.cohort.sample_patient`, for a patient with
        no plausible candidate within ``max_draws``.
    """
    from ..therapy.schedule import bsa_mosteller
    from .cohort import sample_patient
    from .virtual import Burden, VirtualPatient, tumour_cells_from_burden

    idx, b, exhausted, sp142, reported = _tested(pop, seed, indices, True, "cohort.sample_patient")
    if exhausted.any():
        sample_patient(pop, seed, int(idx[np.flatnonzero(exhausted)[0]]))  # raises the one-by-one error
    prof = pop.profile
    assert prof is not None and b.draws is not None
    cancer = CANCERS[prof.cancer].id
    out = []
    for k in range(idx.size):
        weight, height = float(b.weight[k]), float(b.height[k])
        burden = Burden(prof.burden_measure, float(b.burden[k]))
        markers = {name: _marker(name, v[k]) for name, v in b.markers.items()}
        if sp142[k] is not None:
            markers["pdl1_sp142"] = sp142[k]
        stage = b.stage[k]
        results = {
            name: AssayResult(name, r.category[k], r.value[k], r.true_value[k], exact=r.exact)
            for name, r in reported.items()
            if r.category[k] is not None
        }
        out.append(VirtualPatient(  # with its results: what ``with_assays`` gives a patient with none
            index=int(idx[k]),
            trial_seed=int(seed),
            cancer=cancer,
            stage=stage,
            setting=pop.setting_for(stage),
            histology=b.histology[k],
            age=float(b.age[k]),
            sex=str(b.sex[k]),
            weight_kg=weight,
            height_cm=height,
            bsa_m2=bsa_mosteller(height, weight) if height > 0 and weight > 0 else float("nan"),
            ecog=int(b.ecog[k]),
            prior_lines=int(b.lines[k]),
            prior=tuple(b.classes[k]),
            lymphocytes=float(b.lymphocytes[k]),
            burden=burden,
            tumour_cells=tumour_cells_from_burden(burden, weight_kg=weight) if weight > 0 else float("nan"),
            drivers={name: bool(v[k]) for name, v in b.drivers.items()},
            biomarkers=markers,
            draws=int(b.draws[k]),
            region=b.region[k],
            assays=results,
        ))
    return out


def _marker(name: str, v: Any) -> Any:
    """A biomarker's true value as the scalar draw stores it (a float for continuous assays)."""
    if ASSAYS[name].kind == "continuous":
        return float(v)
    return v.item() if isinstance(v, np.generic) else v
