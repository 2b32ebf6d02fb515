r"""Cohorts: reproducible virtual patients, tested and screened as in the clinic.

Seeding rule
------------
Patient ``i`` of a trial with seed ``s`` is drawn from its own random streams,
all derived from :class:`numpy.random.SeedSequence` keyed by ``(s, i)``:

================  =====================================================  ==========================
stream            seed sequence                                          used for
================  =====================================================  ==========================
``covariates``    ``SeedSequence([s, i])``                               covariates, stage, redraws
``assays``        ``SeedSequence([s, i], spawn_key=(1,))``               assay measurement error
``parameters``    ``SeedSequence([s, i], spawn_key=(2, crc32(name)))``   parameter variability, one
                                                                         stream per parameter name
``events``        ``SeedSequence([s, i], spawn_key=(3,))``               the trial runner: dropout,
                                                                         background death, crossover
================  =====================================================  ==========================

(``spawn_key=(k,)`` is exactly the ``k``-th child of ``SeedSequence([s, i]).spawn``.)
Nothing depends on other patients, on the cohort size, on the order in which
patients are drawn, on the worker that draws them or on a resumed run: patient
``i`` is the same in a cohort of 10 and of 1000, drawn forwards, backwards or
in chunks.

Plausibility filter (reject and redraw)
---------------------------------------
A candidate is drawn from the ``covariates`` stream; if it fails the
:class:`Plausibility` ranges (an adult aged 130, a BMI of 70), the next
candidate is drawn from the *same* generator, continuing where the last one
stopped. The number of draws per candidate is fixed, so the accepted patient
(and ``patient.draws``, the attempt that succeeded) is a deterministic
function of ``(s, i)``.

Testing and screening
---------------------
Screening tests every biomarker the patient has with the population's assays
(:func:`oncoimmune.patients.biomarkers.test`; a cited measurement error, if
attached, uses the ``assays`` stream), then applies the :class:`Inclusion`
criteria to the *reported* results, as a trial does. Patients are screened in
index order; :func:`screen` enrols the first ``n`` eligible ones and counts
screening failures by criterion. Screening a range of indices
(:func:`screen_range`) on several workers and merging by index gives the same
enrolment.

Examples
--------
>>> from oncoimmune.patients.cohort import Population, Inclusion, screen
>>> pop = Population("nsclc", stages=("IV",), prior_lines=0,
...                  inclusion=Inclusion(max_ecog=1, biomarkers={"pdl1": ("high",)},
...                                      exclude_drivers=("egfr", "alk")))
>>> s = screen(pop, trial_seed=24, n_enrol=10)
>>> len(s.enrolled), s.screened > 10
(10, True)
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from .._errors import PatientInputError, UnknownNameError
from .biomarkers import ASSAYS, Assay, AssayResult, categorise, get_assay, test
from .cancers import CANCERS, normalise_name, resolve_cancer
from .streams import STREAMS, patient_rng, patient_seed_sequence  # noqa: F401 - re-exported
from .virtual import BURDEN_MEASURES, CancerProfile, VirtualPatient, draw_patient, get_profile

__all__ = [
    "STREAMS",
    "Inclusion",
    "Plausibility",
    "Population",
    "Screening",
    "ScreeningResult",
    "as_population",
    "patient_rng",
    "patient_seed_sequence",
    "run_assays",
    "sample_cohort",
    "sample_patient",
    "iter_screening",
    "screen",
    "screen_patient",
    "screen_range",
]

#: Named per-patient streams and their spawn keys (see the module notes).
def _field_error(field_name: str, message: str) -> PatientInputError:
    err = PatientInputError(f"{field_name}: {message}")
    err.field = field_name  # type: ignore[attr-defined]
    err.reason = message  # type: ignore[attr-defined]
    return err


# ---------------------------------------------------------------------------
# plausibility
# ---------------------------------------------------------------------------
_BURDEN_RANGES = {
    "sld": (5.0, 600.0),
    "spd": (50.0, 1.0e5),
    "marrow_blasts": (0.5, 100.0),
    "jak2_vaf": (0.0, 100.0),
}


@dataclass(frozen=True)
class Plausibility:
    """Closed ranges a drawn patient must lie in (else it is redrawn).

    The defaults are physiological ranges chosen for this package
    (assumptions): they remove the tails of the fitted distributions that no
    trial would see, not real patients.

    Parameters
    ----------
    age : (float, float)
        Years.
    weight_kg, height_cm, bmi : (float, float)
    lymphocytes : (float, float)
        1e9 cells/L.
    burden : mapping of str to (float, float)
        Per burden measure (:data:`~oncoimmune.patients.virtual.BURDEN_MEASURES`).
    tmb : (float, float)
        mut/Mb.
    """

    age: tuple[float, float] = (18.0, 90.0)
    weight_kg: tuple[float, float] = (35.0, 200.0)
    height_cm: tuple[float, float] = (135.0, 210.0)
    bmi: tuple[float, float] = (14.0, 55.0)
    lymphocytes: tuple[float, float] = (0.01, 6.0)
    burden: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(_BURDEN_RANGES))
    tmb: tuple[float, float] = (0.0, 300.0)

    def __post_init__(self) -> None:
        for name in ("age", "weight_kg", "height_cm", "bmi", "lymphocytes", "tmb"):
            object.__setattr__(self, name, _range(f"plausibility.{name}", getattr(self, name)))
        b = {**_BURDEN_RANGES, **dict(self.burden)}
        for k, v in b.items():
            if k not in BURDEN_MEASURES:
                raise _field_error(
                    f"plausibility.burden.{k}", f"unknown burden measure; valid: {', '.join(BURDEN_MEASURES)}"
                )
            b[k] = _range(f"plausibility.burden.{k}", v)
        object.__setattr__(self, "burden", MappingProxyType(b))

    @classmethod
    def for_profile(cls, profile: CancerProfile) -> Plausibility:
        """Defaults for a profile: children's ranges for a paediatric profile."""
        if profile.body.paediatric:
            return cls(age=(1.0, 25.0), weight_kg=(8.0, 150.0), height_cm=(75.0, 210.0), bmi=(11.0, 45.0))
        return cls()

    def check(self, p: VirtualPatient) -> tuple[str, ...]:
        """Why ``p`` is implausible (empty when plausible)."""
        out = []
        checks = [
            ("age", p.age, self.age),
            ("weight_kg", p.weight_kg, self.weight_kg),
            ("height_cm", p.height_cm, self.height_cm),
            ("bmi", p.bmi, self.bmi),
            ("lymphocytes", p.lymphocytes, self.lymphocytes),
            (f"burden ({p.burden.measure})", p.burden.value, self.burden[p.burden.measure]),
        ]
        if "tmb" in p.biomarkers:
            checks.append(("tmb", float(p.biomarkers["tmb"]), self.tmb))
        for name, v, (lo, hi) in checks:
            if not (math.isfinite(v) and lo <= v <= hi):
                out.append(f"{name} {v:.4g} outside [{lo:g}, {hi:g}]")
        return tuple(out)


def _range(what: str, v: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in v)
    except (TypeError, ValueError):
        raise _field_error(what, f"must be a pair [low, high] of numbers; got {v!r}") from None
    if not (lo <= hi) or math.isnan(lo) or math.isnan(hi):
        raise _field_error(what, f"must be [low, high] with low <= high; got {v!r}")
    return (lo, hi)


# ---------------------------------------------------------------------------
# inclusion criteria
# ---------------------------------------------------------------------------
#: Minimum measurable burden by measure (RECIST 1.1: a target lesion is at
#: least 10 mm; Lugano: a measurable node is longer than 15 mm, taken as an SPD
#: of 225 mm²; ELIANA: at least 5 % marrow blasts). Assumption for JAK2: none.
MEASURABLE = MappingProxyType({"sld": 10.0, "spd": 225.0, "marrow_blasts": 5.0, "jak2_vaf": 0.0})


@dataclass(frozen=True)
class Inclusion:
    """Eligibility criteria applied at screening, to reported test results.

    Every criterion left at ``None`` (or empty) is not checked.

    Parameters
    ----------
    min_age, max_age : float, optional
        Years (inclusive).
    max_ecog : int, optional
        Highest ECOG performance status accepted.
    min_prior_lines, max_prior_lines : int, optional
        Earlier systemic treatment lines (0 = previously untreated).
    biomarkers : mapping of str to tuple of str
        Assay name -> accepted result categories, e.g. ``{"pdl1": ("high",)}``
        (PD-L1 TPS >= 50 % with the 22C3 cut-offs of
        :data:`~oncoimmune.patients.biomarkers.ASSAYS`). A patient without the
        test fails.
    exclude_drivers : tuple of str
        Driver alterations that exclude (``"egfr"``, ``"alk"``).
    excludes_prior, requires_prior : tuple of str
        Earlier treatment classes that exclude / are required.
    measurable_disease : bool
        Require a measurable baseline burden (see :data:`MEASURABLE`).
    min_lymphocytes : float, optional
        1e9 cells/L (e.g. for CAR T-cell manufacture).
    histology : tuple of str
        Accepted histologies (NSCLC: ``"squamous"``, ``"non-squamous"``); empty: any.
    indication : str, optional
        An indication-table row id (``"uk-pembrolizumab-nsclc-1l-mono"``) the
        patient must be eligible for by
        :func:`~oncoimmune.patients.check_eligibility` (region from the id).
    """

    min_age: float | None = None
    max_age: float | None = None
    max_ecog: int | None = None
    min_prior_lines: int | None = None
    max_prior_lines: int | None = None
    biomarkers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude_drivers: tuple[str, ...] = ()
    excludes_prior: tuple[str, ...] = ()
    requires_prior: tuple[str, ...] = ()
    measurable_disease: bool = True
    min_lymphocytes: float | None = None
    indication: str | None = None
    histology: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("min_age", "max_age", "min_lymphocytes"):
            v = getattr(self, name)
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0
            ):
                raise _field_error(f"inclusion.{name}", f"must be a number >= 0; got {v!r}")
        for name in ("max_ecog", "min_prior_lines", "max_prior_lines"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise _field_error(f"inclusion.{name}", f"must be a whole number >= 0; got {v!r}")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise _field_error("inclusion.min_age", f"is above max_age ({self.min_age} > {self.max_age})")
        if (
            self.min_prior_lines is not None
            and self.max_prior_lines is not None
            and self.min_prior_lines > self.max_prior_lines
        ):
            raise _field_error("inclusion.min_prior_lines", "is above max_prior_lines")
        bm: dict[str, tuple[str, ...]] = {}
        for name, cats in dict(self.biomarkers).items():
            where = f"inclusion.biomarkers.{name}"
            try:
                assay = get_assay(name)
            except UnknownNameError as exc:
                raise _field_error(where, str(exc)) from None
            if isinstance(cats, str):
                cats = (cats,)
            if not cats:
                raise _field_error(
                    where, f"must list at least one accepted category of {', '.join(assay.categories)}"
                )
            norm = []
            for c in cats:
                if c not in assay.categories:
                    try:
                        c = categorise(assay, c) if assay.kind == "categorical" else c
                    except (UnknownNameError, PatientInputError):
                        pass
                if c not in assay.categories:
                    raise _field_error(
                        where, f"unknown category {c!r}; valid categories: {', '.join(assay.categories)}"
                    )
                norm.append(c)
            bm[assay.name] = tuple(norm)
        object.__setattr__(self, "biomarkers", MappingProxyType(bm))
        for name in ("exclude_drivers", "excludes_prior", "requires_prior", "histology"):
            v = getattr(self, name)
            object.__setattr__(self, name, (v,) if isinstance(v, str) else tuple(v))
        for i, h in enumerate(self.histology):
            if not isinstance(h, str) or not h.strip():
                raise _field_error(f"inclusion.histology[{i}]", f"must be a histology name; got {h!r}")
        for d in self.exclude_drivers:
            if d not in ("egfr", "alk"):
                raise _field_error("inclusion.exclude_drivers", f"unknown driver {d!r}; valid: egfr, alk")
        from .drugs import TREATMENTS

        for name in ("excludes_prior", "requires_prior"):
            for t in getattr(self, name):
                if t not in TREATMENTS and t != "lymphodepletion":
                    raise _field_error(
                        f"inclusion.{name}", f"unknown treatment class {t!r}; valid: {', '.join(TREATMENTS)}"
                    )
        if self.indication is not None:
            from .indications import load_indications

            ids = [r.id for r in load_indications().rows]
            if self.indication not in ids:
                raise _field_error(
                    "inclusion.indication", str(UnknownNameError("indication", self.indication, ids))
                )

    def check(self, p: VirtualPatient) -> tuple[tuple[str, str], ...]:
        """``(criterion, reason)`` for every criterion ``p`` fails (empty: eligible).

        Criterion keys (used to count screening failures): ``age``, ``ecog``,
        ``histology``, ``prior_lines``, ``biomarker:<assay>``, ``driver:<name>``,
        ``prior:<class>``, ``measurable``, ``lymphocytes``, ``indication``.
        """
        out: list[tuple[str, str]] = []
        if self.min_age is not None and p.age < self.min_age:
            out.append(("age", f"age {p.age:.1f} y below {self.min_age:g}"))
        if self.max_age is not None and p.age > self.max_age:
            out.append(("age", f"age {p.age:.1f} y above {self.max_age:g}"))
        if self.max_ecog is not None and p.ecog > self.max_ecog:
            out.append(("ecog", f"ECOG {p.ecog} above {self.max_ecog}"))
        if self.histology and p.histology not in self.histology:
            out.append(("histology", f"histology {p.histology} not in {'/'.join(self.histology)}"))
        if self.min_prior_lines is not None and p.prior_lines < self.min_prior_lines:
            out.append(("prior_lines", f"{p.prior_lines} earlier lines, needs >= {self.min_prior_lines}"))
        if self.max_prior_lines is not None and p.prior_lines > self.max_prior_lines:
            out.append(("prior_lines", f"{p.prior_lines} earlier lines, allows <= {self.max_prior_lines}"))
        for name, accepted in self.biomarkers.items():
            r = p.assays.get(name)
            if r is None:
                out.append((f"biomarker:{name}", f"no {name} result (not tested)"))
            elif r.category not in accepted:
                out.append(
                    (
                        f"biomarker:{name}",
                        f"{name} {r.category} (reported {r.value}), needs {'/'.join(accepted)}",
                    )
                )
        for d in self.exclude_drivers:
            if p.drivers.get(d, False):
                out.append((f"driver:{d}", f"{d.upper()} alteration present"))
        for t in self.excludes_prior:
            if t in p.prior:
                out.append((f"prior:{t}", f"had {t}"))
        for t in self.requires_prior:
            if t not in p.prior:
                out.append((f"prior:{t}", f"has not had {t}"))
        if self.measurable_disease and p.burden.value < MEASURABLE[p.burden.measure]:
            out.append(
                ("measurable", f"{p.burden.describe()} below the measurable {MEASURABLE[p.burden.measure]:g}")
            )
        if self.min_lymphocytes is not None and p.lymphocytes < self.min_lymphocytes:
            out.append(("lymphocytes", f"lymphocytes {p.lymphocytes:.3g}e9/L below {self.min_lymphocytes:g}"))
        if self.indication is not None:
            from .eligibility import check_eligibility

            region = self.indication.split("-", 1)[0]
            rep = check_eligibility(**p.eligibility_inputs(), region=region)
            status = (
                rep.status_of(self.indication)
                if any(a.indication.id == self.indication for a in rep.assessments)
                else "not-eligible"
            )
            if status != "eligible":
                out.append(("indication", f"{self.indication}: {status}"))
        return tuple(out)


# ---------------------------------------------------------------------------
# the population
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Population:
    """Who is screened: a cancer type, its stages, and the inclusion criteria.

    Parameters
    ----------
    cancer : str
        Cancer id or alias (``"nsclc"``, ``"DLBCL"``, ...).
    stages : tuple of str
        Stages sampled (canonical spelling enforced); default the profile's.
    stage_weights : tuple of float, optional
        Relative frequency of each stage (default equal).
    setting : {"advanced", "adjuvant"}, optional
        Solid tumours; default ``"advanced"`` for metastatic stages.
    prior_lines : int or mapping of int to float, optional
        Fix the number of earlier lines of the screened population (e.g. 0
        for a first-line trial), or give their distribution (``{1: 0.75, 2: 0.25}``,
        weights normalised; each patient's count is drawn from their own stream);
        default drawn from the profile.
    regions : mapping of str to float, optional
        Region-of-enrolment probabilities (e.g. ``{"east_asia": 0.2, "rest_of_world": 0.8}``),
        replacing the profile's; each patient's region is drawn from their own stream.
    prior : tuple of str
        Treatment classes every patient has had (e.g. ``"lymphodepletion"``).
    inclusion : Inclusion
    plausibility : Plausibility, optional
        Default :meth:`Plausibility.for_profile`.
    assays : mapping of str to Assay
        Assays replacing the built-in ones (e.g. with a cited error model).
    profile : CancerProfile, optional
        Replace the built-in covariate profile of the cancer.
    max_draws : int
        Candidate draws before giving up on a patient.
    """

    cancer: str
    stages: tuple[str, ...] = ()
    stage_weights: tuple[float, ...] | None = None
    setting: str | None = None
    prior_lines: int | Mapping[int, float] | None = None
    prior: tuple[str, ...] = ()
    inclusion: Inclusion = field(default_factory=Inclusion)
    plausibility: Plausibility | None = None
    assays: Mapping[str, Assay] = field(default_factory=dict)
    profile: CancerProfile | None = None
    max_draws: int = 200
    regions: Mapping[str, float] | None = None

    def __post_init__(self) -> None:
        try:
            c = resolve_cancer(self.cancer)
        except UnknownNameError as exc:
            raise _field_error("population.cancer", str(exc)) from None
        object.__setattr__(self, "cancer", c.id)
        prof = self.profile if self.profile is not None else get_profile(c.id)
        if prof.cancer != c.id:
            raise _field_error("population.profile", f"is for {prof.cancer!r}, not {c.id!r}")
        object.__setattr__(self, "profile", prof)
        stages = (self.stages,) if isinstance(self.stages, str) else tuple(self.stages)
        if not stages:
            stages = prof.default_stages
        if stages and not c.has_stages:
            raise _field_error("population.stages", f"{c.name} is not staged here; leave stages out")
        canon = []
        for i, s in enumerate(stages):
            try:
                canon.append(c.resolve_stage(str(s)))
            except UnknownNameError as exc:
                raise _field_error(f"population.stages[{i}]", str(exc)) from None
        object.__setattr__(self, "stages", tuple(canon))
        if self.stage_weights is not None:
            w = tuple(float(x) for x in self.stage_weights)
            if len(w) != len(canon) or any(not (math.isfinite(x) and x >= 0) for x in w) or sum(w) <= 0:
                raise _field_error(
                    "population.stage_weights",
                    f"needs one weight >= 0 per stage ({len(canon)}), not all 0; got {self.stage_weights!r}",
                )
            object.__setattr__(self, "stage_weights", w)
        if self.setting is not None:
            if c.category == "blood":
                raise _field_error("population.setting", f"does not apply to {c.name}; leave it out")
            key = normalise_name(self.setting)
            if key not in ("advanced", "adjuvant"):
                raise _field_error(
                    "population.setting", f"must be 'advanced' or 'adjuvant'; got {self.setting!r}"
                )
            object.__setattr__(self, "setting", key)
        if isinstance(self.prior_lines, Mapping):
            object.__setattr__(self, "prior_lines", MappingProxyType(_prior_lines_weights(self.prior_lines)))
        elif self.prior_lines is not None and (
            isinstance(self.prior_lines, bool)
            or not isinstance(self.prior_lines, int)
            or self.prior_lines < 0
        ):
            raise _field_error(
                "population.prior_lines",
                f"must be a whole number >= 0 or a table of lines = weight (e.g. {{1 = 0.75, 2 = 0.25}}); "
                f"got {self.prior_lines!r}",
            )
        if self.regions is not None:
            object.__setattr__(self, "regions", MappingProxyType(_weights("population.regions", self.regions)))
        object.__setattr__(self, "prior", (self.prior,) if isinstance(self.prior, str) else tuple(self.prior))
        if not isinstance(self.inclusion, Inclusion):
            raise _field_error(
                "population.inclusion", f"must be an Inclusion; got {type(self.inclusion).__name__}"
            )
        if self.inclusion.histology:
            hist = []
            for i, h in enumerate(self.inclusion.histology):
                try:
                    hist.append(c.resolve_histology(h))
                except (UnknownNameError, PatientInputError) as exc:
                    raise _field_error(f"population.inclusion.histology[{i}]", str(exc)) from None
            object.__setattr__(self, "inclusion", replace(self.inclusion, histology=tuple(hist)))
        if self.plausibility is None:
            object.__setattr__(self, "plausibility", Plausibility.for_profile(prof))
        assays = {}
        for k, a in dict(self.assays).items():
            if not isinstance(a, Assay):
                raise _field_error(f"population.assays.{k}", f"must be an Assay; got {type(a).__name__}")
            assays[get_assay(k).name] = a
        object.__setattr__(self, "assays", MappingProxyType(assays))
        if isinstance(self.max_draws, bool) or not isinstance(self.max_draws, int) or self.max_draws < 1:
            raise _field_error("population.max_draws", f"must be a whole number >= 1; got {self.max_draws!r}")

    def setting_for(self, stage: str | None) -> str | None:
        c = CANCERS[self.cancer]
        if c.category == "blood":
            return None
        if self.setting is not None:
            return self.setting
        if stage is not None and c.is_metastatic(stage):
            return "advanced"
        return None

    def assay(self, name: str) -> Assay:
        """The assay used for biomarker ``name`` (the population's, else the built-in)."""
        return self.assays.get(name, ASSAYS[name])


def _weights(where: str, table: Any) -> dict[str, float]:
    """``{name: weight}`` checked: a non-empty table of numbers >= 0, not all 0 (not normalised)."""
    if not isinstance(table, Mapping) or not table:
        raise _field_error(where, f"must be a non-empty table of name = weight; got {table!r}")
    out: dict[str, float] = {}
    for k, w in table.items():
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            raise _field_error(f"{where}.{k}", f"must be a weight >= 0; got {w!r}")
        out[str(k)] = float(w)
    if sum(out.values()) <= 0:
        raise _field_error(where, "weights must not all be 0")
    return out


def _prior_lines_weights(table: Any) -> dict[int, float]:
    """A prior-lines distribution ``{lines: weight}`` (TOML keys are text: ``"1"`` -> 1)."""
    w = _weights("population.prior_lines", table)
    out: dict[int, float] = {}
    for k, v in w.items():
        try:
            n = int(k)
        except ValueError:
            n = -1
        if n < 0 or str(n) != str(k).strip():
            raise _field_error(
                f"population.prior_lines.{k}",
                "keys must be whole numbers of earlier lines >= 0, e.g. prior_lines = {1 = 0.75, 2 = 0.25}",
            )
        out[n] = v
    return dict(sorted(out.items()))


def as_population(population: Population | Mapping[str, Any]) -> Population:
    """A :class:`Population` from itself or from a plain mapping (as read from TOML).

    The mapping's ``inclusion`` and ``plausibility`` entries may be mappings too.
    """
    if isinstance(population, Population):
        return population
    if not isinstance(population, Mapping):
        raise _field_error("population", f"must be a Population or a table; got {type(population).__name__}")
    d = dict(population)
    if isinstance(d.get("inclusion"), Mapping):
        inc = dict(d["inclusion"])
        for k in ("exclude_drivers", "excludes_prior", "requires_prior", "histology"):
            if k in inc:
                inc[k] = (inc[k],) if isinstance(inc[k], str) else tuple(inc[k])
        if "biomarkers" in inc:
            inc["biomarkers"] = {
                k: tuple(v) if not isinstance(v, str) else (v,) for k, v in inc["biomarkers"].items()
            }
        try:
            d["inclusion"] = Inclusion(**inc)
        except TypeError as exc:
            raise _field_error(
                "population.inclusion", f"{exc}; see oncoimmune.patients.cohort.Inclusion"
            ) from None
    if isinstance(d.get("plausibility"), Mapping):
        try:
            d["plausibility"] = Plausibility(**dict(d["plausibility"]))
        except TypeError as exc:
            raise _field_error("population.plausibility", f"{exc}") from None
    for k in ("stages", "prior", "stage_weights"):
        if k in d and d[k] is not None and not isinstance(d[k], str):
            d[k] = tuple(d[k])
    try:
        return Population(**d)
    except TypeError as exc:
        raise _field_error("population", f"{exc}; see oncoimmune.patients.cohort.Population") from None


# ---------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------
def _choose_stage(pop: Population, rng: np.random.Generator) -> str | None:
    if not pop.stages:
        return None
    if len(pop.stages) == 1:
        return pop.stages[0]
    w = np.asarray(pop.stage_weights if pop.stage_weights is not None else [1.0] * len(pop.stages))
    cum = np.cumsum(w / w.sum())
    u = rng.random()
    return pop.stages[int(min(np.searchsorted(cum, u, side="right"), len(pop.stages) - 1))]


def sample_patient(population: Population | Mapping[str, Any], trial_seed: int, index: int) -> VirtualPatient:
    """Patient ``index`` of the trial seeded ``trial_seed`` (untested).

    The covariates come from ``numpy.random.default_rng(numpy.random.SeedSequence([trial_seed, index]))``;
    implausible candidates are redrawn from the same generator (see the
    module notes), so the result depends only on ``(population, trial_seed, index)``.

    Parameters
    ----------
    population : Population or mapping
    trial_seed, index : int
        Whole numbers >= 0.

    Returns
    -------
    VirtualPatient
        With ``assays`` empty (see :func:`run_assays`, :func:`screen_patient`).

    Raises
    ------
    PatientInputError
        If no plausible candidate is found within ``population.max_draws``
        draws (the message says how to widen the ranges).
    """
    pop = as_population(population)
    rng = np.random.default_rng(patient_seed_sequence(trial_seed, index, "covariates"))
    profile, plausibility = pop.profile, pop.plausibility  # both set by Population.__post_init__
    if profile is None or plausibility is None:  # pragma: no cover - guarded by __post_init__
        raise _field_error("population", "profile and plausibility must be set")
    last: tuple[str, ...] = ()
    for attempt in range(1, pop.max_draws + 1):
        stage = _choose_stage(pop, rng)
        cand = draw_patient(
            profile,
            rng,
            index=index,
            trial_seed=trial_seed,
            stage=stage,
            setting=pop.setting_for(stage),
            prior_lines=pop.prior_lines,
            prior=pop.prior,
            draws=attempt,
            regions=pop.regions,
        )
        last = plausibility.check(cand)
        if not last:
            return cand
    raise _field_error(
        "population.plausibility",
        f"patient {index} (trial_seed {trial_seed}) found no plausible candidate in {pop.max_draws} draws; "
        f"last failure: {'; '.join(last)}. Widen the plausibility ranges or check the profile",
    )


def run_assays(population: Population | Mapping[str, Any], patient: VirtualPatient) -> VirtualPatient:
    """Test every biomarker the patient has, as the clinic would, and return the tested patient.

    Each true value goes through the population's assay for it
    (:func:`oncoimmune.patients.biomarkers.test`). Assays with a cited error
    model draw from the patient's ``assays`` stream, in biomarker order.
    """
    pop = as_population(population)
    rng: np.random.Generator | None = None
    results: dict[str, AssayResult] = {}
    for name, value in patient.biomarkers.items():
        assay = pop.assay(name)
        if assay.error is not None:
            if rng is None:
                rng = patient_rng(patient.trial_seed, patient.index, "assays")
            results[name] = test(assay, value, rng=rng)
        else:
            results[name] = test(assay, value)
    return patient.with_assays(results)


@dataclass(frozen=True)
class ScreeningResult:
    """One screened patient: tested, with the criteria failed (empty if eligible)."""

    patient: VirtualPatient
    failures: tuple[tuple[str, str], ...]

    @property
    def eligible(self) -> bool:
        return not self.failures

    @property
    def index(self) -> int:
        return self.patient.index


def screen_patient(
    population: Population | Mapping[str, Any], trial_seed: int, index: int
) -> ScreeningResult:
    """Sample, test and check patient ``index`` against the inclusion criteria."""
    pop = as_population(population)
    p = run_assays(pop, sample_patient(pop, trial_seed, index))
    return ScreeningResult(p, pop.inclusion.check(p))


def screen_range(
    population: Population | Mapping[str, Any], trial_seed: int, start: int, stop: int
) -> tuple[ScreeningResult, ...]:
    """Screen patients ``start <= index < stop`` (one worker's chunk)."""
    pop = as_population(population)
    if stop < start:
        raise _field_error("stop", f"must be >= start ({start}); got {stop}")
    return tuple(screen_patient(pop, trial_seed, i) for i in range(start, stop))


def sample_cohort(
    population: Population | Mapping[str, Any], n: int, trial_seed: int, *, start: int = 0
) -> tuple[VirtualPatient, ...]:
    """Patients ``start, ..., start + n - 1`` (untested, unscreened).

    Patient ``i`` is the same whatever ``n``, ``start`` or the chunking.
    """
    pop = as_population(population)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise _field_error("n", f"must be a whole number >= 0; got {n!r}")
    return tuple(sample_patient(pop, trial_seed, i) for i in range(start, start + n))


@dataclass(frozen=True)
class Screening:
    """The outcome of screening: who was enrolled and why the others were not.

    Attributes
    ----------
    enrolled : tuple of VirtualPatient
        The first ``n_enrol`` eligible patients, in index order (tested).
    screened : int
        Patients screened up to and including the last one enrolled (or all
        screened, if too few were eligible).
    failures : mapping of str to int
        Screening failures by criterion (a patient failing two criteria counts
        under both).
    failed : tuple of ScreeningResult
        Every screen failure, in index order.
    n_target : int
    """

    enrolled: tuple[VirtualPatient, ...]
    screened: int
    failures: Mapping[str, int]
    failed: tuple[ScreeningResult, ...]
    n_target: int

    @property
    def complete(self) -> bool:
        """Whether ``n_target`` patients were enrolled."""
        return len(self.enrolled) >= self.n_target

    @property
    def n_failed(self) -> int:
        return len(self.failed)

    def summary(self) -> dict[str, Any]:
        """Plain data: counts and failure reasons (for reports and provenance)."""
        return {
            "screened": self.screened,
            "enrolled": len(self.enrolled),
            "screen_failures": self.n_failed,
            "failures_by_criterion": dict(self.failures),
            "target": self.n_target,
            "complete": self.complete,
        }


def screening_limit(n_enrol: int) -> int:
    """Candidates screened at most for ``n_enrol`` patients (then screening stops, incomplete)."""
    return 1000 * int(n_enrol) + 1000


def iter_screening(
    population: Population | Mapping[str, Any],
    trial_seed: int,
    n_enrol: int,
    *,
    max_screened: int | None = None,
    chunk: int = 256,
    start: int = 0,
) -> Iterator[ScreeningResult]:
    """Screen patients in index order, yielding each result, until ``n_enrol`` are eligible.

    What :func:`screen` collects; a caller that keeps less (a million-patient
    trial keeps only the enrolled indices) holds one chunk at a time. Arguments
    as :func:`screen` (not validated here).
    """
    limit = max_screened if max_screened is not None else screening_limit(n_enrol)
    n_eligible, i = 0, start
    while n_eligible < n_enrol and i < start + limit:
        stop = min(i + chunk, start + limit)
        for r in screen_range(population, trial_seed, i, stop):
            if n_eligible >= n_enrol:
                return
            n_eligible += r.eligible
            yield r
        i = stop


def screen(
    population: Population | Mapping[str, Any],
    trial_seed: int,
    n_enrol: int,
    *,
    max_screened: int | None = None,
    chunk: int = 256,
    start: int = 0,
) -> Screening:
    """Screen patients in index order until ``n_enrol`` are eligible.

    Parameters
    ----------
    population : Population or mapping
    trial_seed : int
    n_enrol : int
        Patients to enrol.
    max_screened : int, optional
        Give up after this many (default ``1000 * n_enrol + 1000``); the result
        is then incomplete and a warning says so.
    chunk : int
        Patients screened per batch (does not change the result).
    start : int
        First index screened.

    Returns
    -------
    Screening
    """
    pop = as_population(population)
    if isinstance(n_enrol, bool) or not isinstance(n_enrol, int) or n_enrol < 0:
        raise _field_error("n_enrol", f"must be a whole number >= 0; got {n_enrol!r}")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise _field_error("chunk", f"must be a whole number >= 1; got {chunk!r}")
    enrolled: list[VirtualPatient] = []
    failed: list[ScreeningResult] = []
    last = start - 1
    for r in iter_screening(pop, trial_seed, n_enrol, max_screened=max_screened, chunk=chunk, start=start):
        last = r.index
        if r.eligible:
            enrolled.append(r.patient)
        else:
            failed.append(r)
    counts = Counter(k for r in failed for k in dict.fromkeys(c for c, _ in r.failures))
    out = Screening(tuple(enrolled), last - start + 1, MappingProxyType(dict(counts)), tuple(failed), n_enrol)
    if not out.complete:
        warnings.warn(
            f"screen: only {len(enrolled)} of {n_enrol} patients eligible among {out.screened} screened "
            f"(failures: {dict(counts)}); raise max_screened or relax the inclusion criteria",
            UserWarning,
            stacklevel=2,
        )
    return out
