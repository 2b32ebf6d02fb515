r"""Virtual patients: who they are, drawn from sourced distributions.

A :class:`VirtualPatient` is a frozen record of one simulated person as a
trial would describe them at screening: cancer type and stage, age, sex,
body size, performance status (ECOG), earlier treatments, blood lymphocyte
count, baseline tumour burden, and the *true* values of the biomarkers
(PD-L1 tumour proportion score, tumour mutational burden, MSI/MMR status,
HER2, CD19, CD20, JAK2 V617F allele burden). What a laboratory *reports* is
kept apart (:attr:`VirtualPatient.assays`), because eligibility in the clinic
depends on a test result, not on the truth; :mod:`oncoimmune.patients.cohort`
runs the tests (:func:`oncoimmune.patients.biomarkers.test`).

Covariates come from a :class:`CancerProfile` per cancer type
(:data:`PROFILES`). Every distribution carries a
:class:`~oncoimmune.model.Source`; a ``note`` says how a number was derived,
whether it was checked against a stored copy of the source ("checked") or
taken from memory of the paper ("not checked against a stored copy: verify"),
and marks every assumption as such. ``docs/virtual_patients.md`` tabulates
them all.

Tumour burden and tumour cells
------------------------------
Solid tumours: the sum of the longest diameters of the RECIST target lesions
(SLD, mm). Lymphomas: the sum of the products of the perpendicular diameters
(SPD, mm², Lugano). B-cell ALL: the percentage of blasts in the bone marrow.
Myeloproliferative neoplasms (PV, ET): the JAK2 V617F allele burden.
:func:`tumour_cells_from_burden` turns a burden into a number of tumour cells:

* SLD: the cells of one sphere whose diameter is the SLD, at 1e9 cells per
  cm³ (Del Monte 2009), the inverse of
  :func:`oncoimmune.biology.observables.tumour_diameter_mm`, so a model's
  ``tumour_diameter`` observable starts at the patient's baseline SLD. One
  sphere overstates the volume of *n* equal lesions by ``n**2``; RECIST acts
  on relative change of diameters, which is the same for both (assumption);
* SPD: a sphere of diameter ``sqrt(SPD)`` (assumption);
* marrow blasts: ``blast fraction * marrow cells per kg * weight`` (assumption
  of the marrow cellularity, see :data:`MARROW_CELLS_PER_KG`);
* JAK2 allele burden: the clone fraction ``min(1, 2 * VAF)`` (heterozygous
  clone; assumption) times a reference mature myeloid pool
  (:data:`MYELOID_POOL_CELLS`).

References
----------
.. [1] Del Monte U (2009). Does the cell number 10^9 still really fit one gram
   of tumor tissue? Cell Cycle 8:505-506.
.. [2] Eisenhauer EA et al. (2009). New response evaluation criteria in solid
   tumours: revised RECIST guideline (version 1.1). Eur J Cancer 45:228-247.
   doi:10.1016/j.ejca.2008.10.026
.. [3] Cheson BD et al. (2014). Recommendations for initial evaluation,
   staging, and response assessment of Hodgkin and non-Hodgkin lymphoma: the
   Lugano classification. J Clin Oncol 32:3059-3068.
.. [4] Reck M et al. (2016). Pembrolizumab versus chemotherapy for
   PD-L1-positive non-small-cell lung cancer. N Engl J Med 375:1823-1833.
   doi:10.1056/NEJMoa1606774
.. [5] Chalmers ZR et al. (2017). Analysis of 100,000 human cancer genomes
   reveals the landscape of tumor mutational burden. Genome Med 9:34.
   doi:10.1186/s13073-017-0424-2
"""

from __future__ import annotations

import abc
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from types import MappingProxyType
from typing import Any

import numpy as np

from .._errors import PatientInputError, UnknownNameError
from ..biology.observables import CELLS_PER_CM3
from ..model.components import Source
from .biomarkers import ASSAYS, AssayResult
from .cancers import CANCERS, resolve_cancer
from .streams import patient_rng

__all__ = [
    "BURDEN_MEASURES",
    "MARROW_CELLS_PER_KG",
    "MYELOID_POOL_CELLS",
    "PROFILES",
    "AbstractCovariate",
    "Bernoulli",
    "Beta",
    "Burden",
    "CancerProfile",
    "Categorical",
    "ConditionalOn",
    "Fixed",
    "LogNormal",
    "Normal",
    "PiecewiseUniform",
    "PriorTreatments",
    "SP142Relation",
    "SP142_LEVELS",
    "SP142_NSCLC",
    "VirtualPatient",
    "draw_patient",
    "get_profile",
    "sld_from_cells",
    "tumour_cells_from_burden",
]

_VERIFY = "not checked against a stored copy of the source: verify"
_CHECKED = "checked against a stored copy"


# ---------------------------------------------------------------------------
# sources
# ---------------------------------------------------------------------------
def _src(citation: str, location: str = "", doi: str = "", note: str = "") -> Source:
    return Source(citation=citation, location=location, doi=doi, note=note)


_ASSUMPTION = "Assumption of oncoimmune (no source gives this number)"

_RECK2016 = (
    "Reck M et al. (2016). Pembrolizumab versus chemotherapy for PD-L1-positive non-small-cell "
    "lung cancer (KEYNOTE-024). N Engl J Med 375:1823-1833"
)
_RECK2016_DOI = "10.1056/NEJMoa1606774"
_HUANG2021 = (
    "Huang RSP et al. (2021). A pan-cancer analysis of PD-L1 immunohistochemistry and gene "
    "amplification, tumor mutation burden and microsatellite instability in 48,782 cases. Mod Pathol"
)
_SALEM2017 = (
    "Salem ME et al. (2017). Characterization of tumor mutation load (TML) in solid tumors. "
    "ASCO Annual Meeting abstract (Caris Life Sciences, 7,748 tumours, 592-gene panel)"
)
_CHALMERS2017 = (
    "Chalmers ZR et al. (2017). Analysis of 100,000 human cancer genomes reveals the landscape of "
    "tumor mutational burden. Genome Med 9:34"
)
_CHALMERS_DOI = "10.1186/s13073-017-0424-2"
_JOSEPH2018 = (
    "Joseph RW et al. (2018). Baseline tumor size is an independent prognostic factor for overall "
    "survival in patients with melanoma treated with pembrolizumab. Clin Cancer Res 24:4960-4967"
)
_AHAMADI2017 = (
    "Ahamadi M et al. (2017). Model-based characterization of the pharmacokinetics of "
    "pembrolizumab. CPT Pharmacometrics Syst Pharmacol 6:49-57"
)
_HAKOZAKI2019 = (
    "Hakozaki T et al. (2019). Tumor burden as a prognostic factor in NSCLC patients treated with "
    "immune checkpoint inhibitors. Thorac Cancer (PMID 31679185)"
)
_ALC2024 = (
    "Exploring the prognostic impact of absolute lymphocyte count in patients treated with "
    "immune-checkpoint inhibitors. BJC Rep 2:31 (2024)"
)
_MENETRIER2019 = (
    "Menetrier-Caux C, Ray-Coquard I, Blay J-Y, Caux C (2019). Lymphopenia in cancer patients and its "
    "effects on response to immunotherapy. J Immunother Cancer 7:85"
)
_ELIANA = (
    "Tisagenlecleucel in pediatric and young adult relapsed/refractory ALL: updated analysis of the "
    "ELIANA trial (Grupp SA et al., ASH 2018 abstract; primary report Maude SL et al. 2018, "
    "N Engl J Med 378:439-448)"
)
_PIETRA2008 = (
    "Pietra D et al. (2008). Somatic mutations of JAK2 exon 12 in patients with JAK2 (V617F)-negative "
    "myeloproliferative disorders. Blood 111:1686-1689"
)
_BARLESI2016 = (
    "Barlesi F et al. (2016). Routine molecular profiling of patients with advanced non-small-cell "
    "lung cancer (IFCT Biomarkers France). Lancet 387:1415-1426"
)
_ZUMA1 = (
    "Neelapu SS et al. (2017). Axicabtagene ciloleucel CAR T-cell therapy in refractory large B-cell "
    "lymphoma (ZUMA-1). N Engl J Med 377:2531-2544; tumour burden: Locke FL et al. (2020). Blood Adv "
    "4:4898-4911"
)
_DELMONTE2009 = (
    "Del Monte U (2009). Does the cell number 10^9 still really fit one gram of tumor tissue? "
    "Cell Cycle 8:505-506"
)
_LUSCOMBE2007 = (
    "Luscombe M, Owens B (2007). Weight estimation in resuscitation: is the current formula still "
    "valid? Arch Dis Child 92:412-415 (weight = 3 x age + 7 kg); height = 6 x age + 77 cm (Weech's rule)"
)


# ---------------------------------------------------------------------------
# covariate distributions
# ---------------------------------------------------------------------------
class AbstractCovariate(abc.ABC):
    """A distribution of one covariate, with its source.

    Contract for implementers (concrete classes are frozen dataclasses):

    1. hold a ``source`` (:class:`~oncoimmune.model.Source`);
    2. validate parameters in ``__post_init__`` (raise :class:`PatientInputError`);
    3. ``sample(rng, context)`` draws one value from ``rng`` (a
       :class:`numpy.random.Generator`) using a fixed number of draws per call,
       so a patient stream is reproducible; ``context`` holds covariates
       already drawn (for conditional distributions);
    4. ``describe()`` returns the distribution in words for reports;
    5. optionally ``sample_lanes(streams, lanes, context)``: the same draws for many
       patients at once (:class:`~oncoimmune.patients._pcg64.LaneStreams`, one lane per
       patient), bit for bit what ``sample`` gives lane by lane. A profile whose
       distributions all have it can be screened in lanes (:mod:`oncoimmune.patients.lanes`).
    """

    source: Source

    @abc.abstractmethod
    def sample(self, rng: np.random.Generator, context: Mapping[str, Any] | None = None) -> Any:
        """Draw one value."""

    @abc.abstractmethod
    def describe(self) -> str:
        """The distribution in words."""


def _pos(what: str, v: Any) -> float:
    x = float(v)
    if not (math.isfinite(x) and x > 0):
        raise PatientInputError(f"{what} must be a finite number > 0; got {v!r}")
    return x


def _prob(what: str, v: Any) -> float:
    x = float(v)
    if not (0.0 <= x <= 1.0):
        raise PatientInputError(f"{what} must be a probability in [0, 1]; got {v!r}")
    return x


@dataclass(frozen=True)
class Fixed(AbstractCovariate):
    """Always the same value."""

    value: Any
    source: Source

    def sample(self, rng: np.random.Generator, context: Mapping[str, Any] | None = None) -> Any:
        return self.value

    def sample_lanes(self, st: Any, lanes: np.ndarray, context: Mapping[str, np.ndarray]) -> np.ndarray:
        kind = None if isinstance(self.value, (int, float)) else object
        return np.full(lanes.size, self.value, dtype=kind)

    def describe(self) -> str:
        return f"fixed at {self.value!r}"


@dataclass(frozen=True)
class Normal(AbstractCovariate):
    """Normal distribution ``N(mean, sd)`` (one draw per sample)."""

    mean: float
    sd: float
    source: Source

    def __post_init__(self) -> None:
        if not math.isfinite(float(self.mean)):
            raise PatientInputError(f"Normal.mean must be finite; got {self.mean!r}")
        _pos("Normal.sd", self.sd)

    def sample(self, rng: np.random.Generator, context: Mapping[str, Any] | None = None) -> float:
        return float(rng.normal(self.mean, self.sd))

    def sample_lanes(self, st: Any, lanes: np.ndarray, context: Mapping[str, np.ndarray]) -> np.ndarray:
        return self.mean + self.sd * st.standard_normal(lanes)

    def describe(self) -> str:
        return f"normal, mean {self.mean:g}, sd {self.sd:g}"


@dataclass(frozen=True)
class LogNormal(AbstractCovariate):
    """Log-normal distribution with ``median`` and ``sigma`` (sd of the log).

    The constructors :meth:`from_median_quantile` and :meth:`from_mean_tail`
    derive ``sigma`` (and the median) from the summary statistics a paper
    reports, so the derivation is in the code and the note.
    """

    median: float
    sigma: float
    source: Source

    def __post_init__(self) -> None:
        _pos("LogNormal.median", self.median)
        _pos("LogNormal.sigma", self.sigma)

    @property
    def mean(self) -> float:
        return self.median * math.exp(0.5 * self.sigma**2)

    def cdf(self, x: float) -> float:
        """``P(X <= x)``."""
        if x <= 0:
            return 0.0
        return NormalDist().cdf((math.log(x) - math.log(self.median)) / self.sigma)

    @classmethod
    def from_median_quantile(cls, median: float, value: float, prob: float, source: Source) -> LogNormal:
        """Median and one quantile: ``P(X <= value) = prob``."""
        z = NormalDist().inv_cdf(_prob("prob", prob))
        return cls(median, math.log(value / median) / z, source)

    @classmethod
    def from_mean_tail(
        cls, mean: float, threshold: float, tail: float, source: Source, *, root: str = "small"
    ) -> LogNormal:
        """Mean and one tail probability ``P(X >= threshold) = tail``.

        With ``mu = log(mean) - sigma**2/2`` the condition is the quadratic
        ``sigma**2/2 - z*sigma + log(threshold/mean) = 0`` (``z`` the standard
        normal quantile of ``1 - tail``); ``root`` picks its smaller or larger
        positive solution.
        """
        z = NormalDist().inv_cdf(1.0 - _prob("tail", tail))
        c = math.log(threshold / mean)
        disc = z * z - 2.0 * c
        if disc < 0:
            raise PatientInputError(
                f"LogNormal.from_mean_tail: no log-normal has mean {mean:g} and "
                f"P(X >= {threshold:g}) = {tail:g}"
            )
        roots = sorted(r for r in (z - math.sqrt(disc), z + math.sqrt(disc)) if r > 0)
        if not roots:
            raise PatientInputError("LogNormal.from_mean_tail: no positive sigma solves the condition")
        sigma = roots[0] if root == "small" else roots[-1]
        mu = math.log(mean) - 0.5 * sigma**2
        return cls(math.exp(mu), sigma, source)

    def sample(self, rng: np.random.Generator, context: Mapping[str, Any] | None = None) -> float:
        return float(self.median * math.exp(self.sigma * rng.standard_normal()))

    def sample_lanes(self, st: Any, lanes: np.ndarray, context: Mapping[str, np.ndarray]) -> np.ndarray:
        from ._pcg64 import lognormal_lanes

        return lognormal_lanes(self.median, self.sigma, st.standard_normal(lanes))

    def describe(self) -> str:
        return f"log-normal, median {self.median:.4g}, sigma(log) {self.sigma:.3g}"


@dataclass(frozen=True)
class Beta(AbstractCovariate):
    """Beta distribution ``Beta(a, b)`` scaled to ``[0, scale]``."""

    a: float
    b: float
    source: Source
    scale: float = 1.0

    def __post_init__(self) -> None:
        _pos("Beta.a", self.a)
        _pos("Beta.b", self.b)
        _pos("Beta.scale", self.scale)

    def sample(self, rng: np.random.Generator, context: Mapping[str, Any] | None = None) -> float:
        return float(self.scale * rng.beta(self.a, self.b))

    def describe(self) -> str:
        return f"beta({self.a:g}, {self.b:g}) on [0, {self.scale:g}]"


@dataclass(frozen=True)
class Categorical(AbstractCovariate):
    """A category drawn with the given probabilities (normalised; one uniform draw)."""

    probabilities: Mapping[Any, float]
    source: Source

    def __post_init__(self) -> None:
        probs = dict(self.probabilities)
        if not probs:
            raise PatientInputError("Categorical.probabilities must name at least one category")
        for k, p in probs.items():
            if not (math.isfinite(float(p)) and p >= 0):
                raise PatientInputError(f"Categorical probability of {k!r} must be >= 0; got {p!r}")
        total = float(sum(probs.values()))
        if total <= 0:
            raise PatientInputError("Categorical.probabilities must not all be 0")
        object.__setattr__(
            self, "probabilities", MappingProxyType({k: float(p) / total for k, p in probs.items()})
        )

    def sample(self, rng: np.random.Generator, context: Mapping[str, Any] | None = None) -> Any:
        u = rng.random()
        acc = 0.0
        keys = list(self.probabilities)
        for k in keys:
            acc += self.probabilities[k]
            if u < acc:
                return k
        return keys[-1]

    def sample_lanes(self, st: Any, lanes: np.ndarray, context: Mapping[str, np.ndarray]) -> np.ndarray:
        from ._pcg64 import categorical_lanes

        return categorical_lanes(self.probabilities, st.random(lanes))

    def describe(self) -> str:
        return ", ".join(f"{k}: {100 * p:.1f} %" for k, p in self.probabilities.items())


@dataclass(frozen=True)
class Bernoulli(AbstractCovariate):
    """``True`` with probability ``p`` (one uniform draw)."""

    p: float
    source: Source

    def __post_init__(self) -> None:
        _prob("Bernoulli.p", self.p)

    def sample(self, rng: np.random.Generator, context: Mapping[str, Any] | None = None) -> bool:
        return bool(rng.random() < self.p)

    def sample_lanes(self, st: Any, lanes: np.ndarray, context: Mapping[str, np.ndarray]) -> np.ndarray:
        return st.random(lanes) < self.p

    def describe(self) -> str:
        return f"yes with probability {self.p:.3g}"


@dataclass(frozen=True)
class PiecewiseUniform(AbstractCovariate):
    """A histogram: bins ``(low, high, probability)``, uniform within each bin (two draws).

    Used where a source reports the share of patients in clinical categories
    (PD-L1 TPS < 1 %, 1-49 %, >= 50 %) but not the shape within them; the
    uniform shape inside a bin is an assumption.
    """

    bins: tuple[tuple[float, float, float], ...]
    source: Source

    def __post_init__(self) -> None:
        bins = tuple((float(a), float(b), float(p)) for a, b, p in self.bins)
        if not bins:
            raise PatientInputError("PiecewiseUniform.bins must hold at least one (low, high, p) bin")
        for a, b, p in bins:
            if not (a <= b and p >= 0):
                raise PatientInputError(f"PiecewiseUniform bin ({a}, {b}, {p}) needs low <= high and p >= 0")
        total = sum(p for _, _, p in bins)
        object.__setattr__(self, "bins", tuple((a, b, p / total) for a, b, p in bins))

    def sample(self, rng: np.random.Generator, context: Mapping[str, Any] | None = None) -> float:
        u, v = rng.random(), rng.random()
        acc = 0.0
        for a, b, p in self.bins:
            acc += p
            if u < acc:
                return float(a + (b - a) * v)
        a, b, _ = self.bins[-1]
        return float(a + (b - a) * v)

    def sample_lanes(self, st: Any, lanes: np.ndarray, context: Mapping[str, np.ndarray]) -> np.ndarray:
        from ._pcg64 import categorical_lanes

        u, v = st.random(lanes), st.random(lanes)
        k = categorical_lanes({j: p for j, (_, _, p) in enumerate(self.bins)}, u).astype(np.int64)
        lo = np.array([a for a, _, _ in self.bins])[k]
        hi = np.array([h for _, h, _ in self.bins])[k]
        return lo + (hi - lo) * v

    def cdf(self, x: float) -> float:
        """``P(X <= x)`` (uniform within each bin)."""
        x = float(x)
        acc = 0.0
        for a, b, p in self.bins:
            if x >= b:
                acc += p
            elif x > a:
                acc += p * (x - a) / (b - a)
        return float(min(max(acc, 0.0), 1.0))

    def describe(self) -> str:
        return "; ".join(f"[{a:g}, {b:g}): {100 * p:.1f} %" for a, b, p in self.bins)


@dataclass(frozen=True)
class ConditionalOn(AbstractCovariate):
    """A distribution chosen by a covariate drawn before (e.g. TMB given MSI status)."""

    key: str
    cases: Mapping[Any, AbstractCovariate]
    source: Source

    def __post_init__(self) -> None:
        if not self.cases:
            raise PatientInputError("ConditionalOn.cases must not be empty")
        object.__setattr__(self, "cases", MappingProxyType(dict(self.cases)))

    def sample(self, rng: np.random.Generator, context: Mapping[str, Any] | None = None) -> Any:
        ctx = context or {}
        if self.key not in ctx or ctx[self.key] not in self.cases:
            raise PatientInputError(
                f"ConditionalOn: covariate {self.key!r} must be drawn first and be one of "
                f"{sorted(map(str, self.cases))}; got {ctx.get(self.key)!r}"
            )
        return self.cases[ctx[self.key]].sample(rng, ctx)

    def sample_lanes(self, st: Any, lanes: np.ndarray, context: Mapping[str, np.ndarray]) -> np.ndarray:
        key = context.get(self.key)
        if key is None or any(k not in self.cases for k in key):
            raise PatientInputError(
                f"ConditionalOn: covariate {self.key!r} must be drawn first and be one of "
                f"{sorted(map(str, self.cases))}"
            )
        out = np.empty(lanes.size, dtype=object)
        for case, sub in self.cases.items():
            sel = np.array([k == case for k in key], dtype=bool)
            if sel.any():
                out[sel] = list(sub.sample_lanes(st, lanes[sel], {k: v[sel] for k, v in context.items()}))
        return out

    @property
    def lanes_supported(self) -> bool:
        """Whether every case can be drawn in lanes."""
        return all(hasattr(c, "sample_lanes") and getattr(c, "lanes_supported", True) for c in self.cases.values())

    def describe(self) -> str:
        return "; ".join(f"if {self.key} = {k}: {d.describe()}" for k, d in self.cases.items())


# ---------------------------------------------------------------------------
# tumour burden
# ---------------------------------------------------------------------------
#: Burden measures: name -> (units, plain-English meaning).
BURDEN_MEASURES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "sld": ("mm", "sum of the longest diameters of the target lesions (RECIST 1.1)"),
        "spd": ("mm2", "sum of the products of the perpendicular diameters (Lugano 2014)"),
        "marrow_blasts": ("%", "leukaemic blasts in the bone marrow"),
        "jak2_vaf": ("%", "JAK2 V617F allele burden in blood granulocytes"),
    }
)

#: Nucleated bone-marrow cells per kg of body weight used to turn a blast
#: percentage into leukaemic cells. Assumption: an order-of-magnitude figure
#: (about 1e12 marrow cells in a 70-kg adult); no single source is used.
MARROW_CELLS_PER_KG = 1.0e10
_MARROW_SOURCE = _src(
    _ASSUMPTION,
    note="about 1e12 nucleated marrow cells in a 70-kg adult, scaled by body weight (order of magnitude)",
)

#: Mature myeloid cells (the malignant-clone reference pool) for JAK2-mutant
#: MPN. Assumption: the order of the mature-cell steady state of the Andersen
#: et al. 2017 MPN model (x1 = 3.84e10 cells in the library model).
MYELOID_POOL_CELLS = 4.0e10


@dataclass(frozen=True)
class Burden:
    """A baseline tumour-burden measurement.

    Parameters
    ----------
    measure : {"sld", "spd", "marrow_blasts", "jak2_vaf"}
        What was measured (see :data:`BURDEN_MEASURES`).
    value : float
        The measurement in the measure's units.
    """

    measure: str
    value: float

    def __post_init__(self) -> None:
        if self.measure not in BURDEN_MEASURES:
            raise UnknownNameError("burden measure", str(self.measure), tuple(BURDEN_MEASURES))
        v = float(self.value)
        if not (math.isfinite(v) and v >= 0):
            raise PatientInputError(f"Burden.value must be a finite number >= 0; got {self.value!r}")
        object.__setattr__(self, "value", v)

    @property
    def units(self) -> str:
        return BURDEN_MEASURES[self.measure][0]

    def describe(self) -> str:
        return f"{BURDEN_MEASURES[self.measure][1]}: {self.value:.4g} {self.units}"


def _sphere_cells(diameter_mm: float, cells_per_cm3: float = CELLS_PER_CM3) -> float:
    d_cm = diameter_mm / 10.0
    return math.pi / 6.0 * d_cm**3 * cells_per_cm3


def sld_from_cells(cells: float, cells_per_cm3: float = CELLS_PER_CM3) -> float:
    """Diameter (mm) of one sphere holding ``cells`` tumour cells (inverse of the SLD conversion)."""
    c = float(cells)
    if not (math.isfinite(c) and c >= 0):
        raise PatientInputError(f"cells must be a finite number >= 0; got {cells!r}")
    return 10.0 * (6.0 * c / (math.pi * cells_per_cm3)) ** (1.0 / 3.0)


def tumour_cells_from_burden(burden: Burden, *, weight_kg: float | None = None) -> float:
    """Tumour cells for a baseline burden (see the module notes for each conversion).

    Parameters
    ----------
    burden : Burden
    weight_kg : float, optional
        Needed for ``marrow_blasts`` (marrow cellularity scales with weight).

    Returns
    -------
    float
        Number of tumour cells.

    Examples
    --------
    >>> round(tumour_cells_from_burden(Burden("sld", 100.0)) / 1e11, 3)  # a 10-cm sphere
    5.236
    """
    v = burden.value
    if burden.measure == "sld":
        return _sphere_cells(v)
    if burden.measure == "spd":
        return _sphere_cells(math.sqrt(v))
    if burden.measure == "marrow_blasts":
        if weight_kg is None or not (math.isfinite(float(weight_kg)) and weight_kg > 0):
            raise PatientInputError(
                f"tumour_cells_from_burden: marrow_blasts needs weight_kg > 0; got {weight_kg!r}"
            )
        return v / 100.0 * MARROW_CELLS_PER_KG * float(weight_kg)
    clone = min(1.0, 2.0 * v / 100.0)
    return clone * MYELOID_POOL_CELLS


# ---------------------------------------------------------------------------
# the SP142 (TC/IC) score from the 22C3 TPS
# ---------------------------------------------------------------------------
_STD_NORMAL = NormalDist()
#: SP142 TC/IC levels, lowest first (the categories of the ``pdl1_sp142`` assay).
SP142_LEVELS = ("TC0/IC0", "TC1/IC1", "TC2/IC2", "TC3/IC3")


@dataclass(frozen=True)
class SP142Relation:
    r"""The SP142 TC/IC level of a patient from their 22C3 TPS and an immune-cell component.

    SP142 stains fewer tumour cells than 22C3 and adds a score on
    tumour-infiltrating immune cells (IC), so the two assays disagree on many
    tumours (Blueprint: Hirsch 2017; Xu 2017). The level is the higher of the
    TC and IC levels; it is modelled as a latent standard-normal score

    .. math::

        L = c\,\Phi^{-1}(F_{TPS}(\mathrm{TPS})) + \sqrt{1 - c^2}\,\varepsilon,
        \qquad \varepsilon \sim N(0, 1),

    (``F_TPS``: the population's TPS distribution, so ``L`` is standard normal)
    cut at the normal quantiles of the level shares ``shares`` (TC0/IC0 ...
    TC3/IC3). ``epsilon`` (the immune-cell and staining component) comes from
    the patient's stream of late-added covariates,
    ``patient_rng(trial_seed, index, "covariates", "design")`` (third number), so adding
    the SP142 level changes no other covariate.

    Parameters
    ----------
    correlation : float
        ``c`` in [0, 1].
    shares : tuple of 4 floats
        Share of each level in a PD-L1-unselected population (normalised).
    source : Source

    References
    ----------
    .. [1] Rittmeyer A et al. (2017). Lancet 389:255-265 (OAK, Table 1: SP142 subgroups).
       doi:10.1016/S0140-6736(16)32517-X
    .. [2] Xu H et al. (2017). Sci Rep 7:16956 (22C3 vs SP142 concordance). doi:10.1038/s41598-017-17034-5
    .. [3] Hirsch FR et al. (2017). J Thorac Oncol 12:208-222 (Blueprint). doi:10.1016/j.jtho.2016.11.2228
    """

    correlation: float
    shares: tuple[float, float, float, float]
    source: Source

    def __post_init__(self) -> None:
        c = float(self.correlation)
        if not (math.isfinite(c) and 0.0 <= c <= 1.0):
            raise PatientInputError(f"SP142Relation.correlation must be in [0, 1]; got {self.correlation!r}")
        sh = tuple(float(x) for x in self.shares)
        if len(sh) != len(SP142_LEVELS) or any(not (math.isfinite(x) and x >= 0) for x in sh) or sum(sh) <= 0:
            raise PatientInputError(
                f"SP142Relation.shares must be {len(SP142_LEVELS)} numbers >= 0, not all 0; got {self.shares!r}"
            )
        total = sum(sh)
        object.__setattr__(self, "shares", tuple(x / total for x in sh))
        nd = NormalDist()
        acc, cuts = 0.0, []
        for x in self.shares[:-1]:
            acc += x
            cuts.append(nd.inv_cdf(min(max(acc, 1e-12), 1 - 1e-12)))
        object.__setattr__(self, "_cuts", tuple(cuts))

    def thresholds(self) -> tuple[float, ...]:
        """Latent cut-offs between the levels (standard-normal quantiles of the cumulative shares)."""
        return self._cuts  # type: ignore[attr-defined, no-any-return]

    def level(self, tps_quantile: float, epsilon: float) -> str:
        """The SP142 level for the TPS's population quantile ``F_TPS(TPS)`` and the patient's ``epsilon``."""
        q = min(max(float(tps_quantile), 1e-9), 1 - 1e-9)
        c = float(self.correlation)
        latent = c * _STD_NORMAL.inv_cdf(q) + math.sqrt(1.0 - c * c) * float(epsilon)
        k = sum(latent >= t for t in self.thresholds())
        return SP142_LEVELS[k]


#: OAK's SP142 levels and the 22C3-SP142 agreement (see :class:`SP142Relation`).
SP142_NSCLC = SP142Relation(
    correlation=0.743,
    # OAK Table 1 (n = 842 with a result): TC0 and IC0 379; TC1/2/3 or IC1/2/3 463, of which TC2/3 or IC2/3 265,
    # of which TC3 or IC3 137 -> levels 379, 198, 128, 137
    shares=(379.0, 198.0, 128.0, 137.0),
    source=_src(
        "Rittmeyer A et al. (2017) Lancet 389:255-265 (OAK); Xu H et al. (2017) Sci Rep 7:16956; "
        "Hirsch FR et al. (2017) J Thorac Oncol 12:208-222 (Blueprint)",
        location=(
            "OAK Table 1: TC3 or IC3 137 (16 %), TC2/3 or IC2/3 265 (31 %), TC1/2/3 or IC1/2/3 463 (54 %), "
            "TC0 and IC0 379 (45 %) of 850; Xu 2017 abstract: 22C3 and SP142 agree on 105/135 tumours "
            "(77.8 %), kappa 0.481"
        ),
        doi="10.1016/S0140-6736(16)32517-X; 10.1038/s41598-017-17034-5; 10.1016/j.jtho.2016.11.2228",
        note=(
            f"{_CHECKED} (OAK Table 1, PMC6886121; Xu 2017 abstract). Level shares from OAK; the "
            "correlation c = 0.743 is the value at which Cohen's kappa between 22C3 TPS >= 1 % and SP142 "
            "TC1/2/3 or IC1/2/3 is 0.481 in the NSCLC TPS distribution (that Xu's kappa is for this positive/"
            "negative split is an assumption); Blueprint (Hirsch 2017) reports SP142 staining fewer tumour "
            "cells than 22C3 (not checked against a stored copy). The latent-normal form is an assumption"
        ),
    ),
)


# ---------------------------------------------------------------------------
# profiles
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PriorTreatments:
    """Earlier treatments of the screened population.

    Parameters
    ----------
    lines : Categorical
        Number of earlier systemic treatment lines (categories are ints).
    classes : mapping of str to float
        For a patient with at least one earlier line, the probability of having
        had each treatment class (vocabulary of
        :data:`oncoimmune.patients.drugs.TREATMENTS`, plus ``"lymphodepletion"``).
        One uniform draw per class, in this order.
    source : Source
    """

    lines: Categorical
    classes: Mapping[str, float]
    source: Source

    def __post_init__(self) -> None:
        for k, p in dict(self.classes).items():
            _prob(f"PriorTreatments.classes[{k!r}]", p)
        object.__setattr__(self, "classes", MappingProxyType(dict(self.classes)))


#: Extra earlier-treatment tag (not in the indication vocabulary) for the
#: fludarabine/cyclophosphamide conditioning given before CAR T cells.
LYMPHODEPLETION = "lymphodepletion"


@dataclass(frozen=True)
class BodySize:
    """Weight and height: adult values by sex, or paediatric formulas by age.

    Adults: weight log-normal and height normal by sex. For ``age < 18`` and
    ``paediatric=True`` the medians follow weight = 3*age + 7 kg and height =
    6*age + 77 cm up to age 12 (Luscombe & Owens 2007; Weech), then move
    linearly to the adult medians at 18 (assumption), with the same relative
    spread.
    """

    weight_median: Mapping[str, float]
    weight_sigma: float
    height_mean: Mapping[str, float]
    height_sd: float
    source: Source
    paediatric: bool = False

    def sample(self, rng: np.random.Generator, sex: str, age: float) -> tuple[float, float]:
        w_med = self.weight_median[sex]
        h_mean = self.height_mean[sex]
        if self.paediatric and age < 18:
            a = max(age, 1.0)
            w_child, h_child = 3.0 * min(a, 12.0) + 7.0, 6.0 * min(a, 12.0) + 77.0
            if a <= 12:
                w_med, h_mean = w_child, h_child
            else:
                f = (a - 12.0) / 6.0
                w_med = w_child + f * (w_med - w_child)
                h_mean = h_child + f * (h_mean - h_child)
        z1, z2 = rng.standard_normal(), rng.standard_normal()
        weight = w_med * math.exp(self.weight_sigma * z1)
        height = h_mean * (1.0 + self.height_sd / self.height_mean[sex] * z2)
        return float(weight), float(height)


@dataclass(frozen=True)
class CancerProfile:
    """Covariate distributions of the screened population for one cancer type.

    Parameters
    ----------
    cancer : str
        Canonical cancer id (:data:`oncoimmune.patients.cancers.CANCERS`).
    age : AbstractCovariate
        Age in years.
    male : Bernoulli
        Probability of male sex.
    body : BodySize
    ecog : Categorical
        ECOG performance status (categories 0, 1, 2).
    lymphocytes : AbstractCovariate
        Blood lymphocyte count, 1e9 cells/L, before the modifiers below.
    lymphocyte_factors : mapping of str to float
        Multiplier on the lymphocyte count for each earlier treatment class
        the patient had (e.g. chemotherapy); each an assumption or sourced in
        ``lymphocyte_source``.
    lymphocyte_source : Source
    burden_measure : str
        One of :data:`BURDEN_MEASURES`.
    burden : AbstractCovariate or None
        Burden for the reference stage (the most advanced stage). ``None``
        for ``"jak2_vaf"``: the burden is then the JAK2 allele burden drawn
        with the biomarkers.
    stage_factors : mapping of str to float
        Multiplier on the burden for a top-level stage (assumption unless sourced).
    biomarkers : mapping of str to AbstractCovariate
        True biomarker values, drawn in this order (assay names of
        :data:`oncoimmune.patients.biomarkers.ASSAYS`). Continuous ones are
        clipped to the assay's range.
    drivers : mapping of str to Bernoulli
        Driver alterations (``"egfr"``, ``"alk"``) that trials exclude.
    histology : Categorical, optional
        NSCLC: squamous or non-squamous.
    prior : PriorTreatments
    default_stages : tuple of str
        Stages sampled when a population names none.
    region : Categorical, optional
        Region of enrolment (a stratification factor of trials), from the patient's
        stream of late-added covariates (``"covariates", "design"``).
    sp142 : SP142Relation, optional
        The SP142 TC/IC level (biomarker ``pdl1_sp142``), drawn when the ``pdl1``
        distribution is a :class:`PiecewiseUniform` (its CDF gives the TPS quantile;
        a profile whose ``pdl1`` is overridden by another distribution has no SP142 level).
    """

    cancer: str
    age: AbstractCovariate
    male: Bernoulli
    body: BodySize
    ecog: Categorical
    lymphocytes: AbstractCovariate
    lymphocyte_factors: Mapping[str, float]
    lymphocyte_source: Source
    burden_measure: str
    burden: AbstractCovariate | None
    stage_factors: Mapping[str, float]
    biomarkers: Mapping[str, AbstractCovariate]
    prior: PriorTreatments
    drivers: Mapping[str, Bernoulli] = field(default_factory=dict)
    histology: Categorical | None = None
    default_stages: tuple[str, ...] = ()
    stage_source: Source | None = None
    region: Categorical | None = None
    sp142: SP142Relation | None = None

    def __post_init__(self) -> None:
        c = resolve_cancer(self.cancer)
        object.__setattr__(self, "cancer", c.id)
        if self.burden_measure not in BURDEN_MEASURES:
            raise UnknownNameError("burden measure", self.burden_measure, tuple(BURDEN_MEASURES))
        if self.burden is None and not (self.burden_measure == "jak2_vaf" and "jak2" in self.biomarkers):
            raise PatientInputError(
                f"CancerProfile {c.id!r}: burden may be None only for burden_measure 'jak2_vaf' with a "
                "'jak2' biomarker distribution; give a burden distribution"
            )
        for name in self.biomarkers:
            if name not in ASSAYS:
                raise UnknownNameError("biomarker (assay name)", name, tuple(ASSAYS))
        for s in self.default_stages:
            c.resolve_stage(s)
        for s in self.stage_factors:
            if s not in c.stages:
                raise UnknownNameError(f"stage for {c.id}", s, tuple(c.stages))
        for k in ("lymphocyte_factors", "stage_factors", "biomarkers", "drivers"):
            object.__setattr__(self, k, MappingProxyType(dict(getattr(self, k))))

    def with_overrides(self, **changes: Any) -> CancerProfile:
        """A copy with some distributions replaced (validated)."""
        return replace(self, **changes)

    def sources(self) -> dict[str, Source]:
        """Every covariate's source, by covariate name (for reports and docs)."""
        out = {
            "age": self.age.source,
            "sex": self.male.source,
            "weight/height": self.body.source,
            "ecog": self.ecog.source,
            "lymphocytes": self.lymphocytes.source,
            "lymphocyte modifiers": self.lymphocyte_source,
            f"burden ({self.burden_measure})": (
                self.burden.source if self.burden is not None else self.biomarkers["jak2"].source
            ),
            "prior treatments": self.prior.source,
        }
        if self.stage_source is not None:
            out["stage factors"] = self.stage_source
        if self.histology is not None:
            out["histology"] = self.histology.source
        if self.region is not None:
            out["region"] = self.region.source
        if self.sp142 is not None:
            out["biomarker pdl1_sp142"] = self.sp142.source
        for k, d in self.biomarkers.items():
            out[f"biomarker {k}"] = d.source
        for k, d in self.drivers.items():
            out[f"driver {k}"] = d.source
        return out


# ---------------------------------------------------------------------------
# the patient
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class VirtualPatient:
    """One virtual patient at screening (frozen).

    Attributes
    ----------
    index : int
        Patient index within the trial (the screening order).
    trial_seed : int
        The trial seed the patient was drawn with; ``(trial_seed, index)``
        identifies the patient's random streams
        (:func:`oncoimmune.patients.cohort.patient_rng`).
    cancer, stage, setting, histology : str or None
    age : float
        Years.
    sex : {"male", "female"}
    weight_kg, height_cm, bsa_m2 : float
        ``bsa_m2`` by Mosteller's formula.
    ecog : int
    prior_lines : int
        Earlier systemic treatment lines.
    prior : tuple of str
        Earlier treatment classes.
    lymphocytes : float
        Blood lymphocyte count, 1e9 cells/L.
    burden : Burden
        Baseline tumour burden.
    tumour_cells : float
        Tumour cells for the burden (:func:`tumour_cells_from_burden`).
    drivers : mapping of str to bool
    biomarkers : mapping of str to float or str
        True values (what a perfect test would read).
    assays : mapping of str to AssayResult
        What the laboratory reported (empty until tested).
    draws : int
        Candidate draws until one passed the plausibility filter (1 = first).
    region : str or None
        Region of enrolment (``"east_asia"``, ``"rest_of_world"``, ...), if the profile or
        population gives a distribution.
    """

    index: int
    trial_seed: int
    cancer: str
    stage: str | None
    setting: str | None
    histology: str | None
    age: float
    sex: str
    weight_kg: float
    height_cm: float
    bsa_m2: float
    ecog: int
    prior_lines: int
    prior: tuple[str, ...]
    lymphocytes: float
    burden: Burden
    tumour_cells: float
    drivers: Mapping[str, bool] = field(default_factory=dict)
    biomarkers: Mapping[str, Any] = field(default_factory=dict)
    assays: Mapping[str, AssayResult] = field(default_factory=dict)
    draws: int = 1
    region: str | None = None

    def __post_init__(self) -> None:
        for k in ("drivers", "biomarkers", "assays"):
            object.__setattr__(self, k, MappingProxyType(dict(getattr(self, k))))

    def __hash__(self) -> int:  # the mapping fields are not hashable; equal patients share these
        return hash((self.trial_seed, self.index, self.cancer, self.age, self.draws))

    @property
    def bmi(self) -> float:
        """Body-mass index, kg/m²."""
        return self.weight_kg / (self.height_cm / 100.0) ** 2

    @property
    def baseline_sld_mm(self) -> float | None:
        """Baseline SLD (mm) for solid tumours, else ``None``."""
        return self.burden.value if self.burden.measure == "sld" else None

    def with_assays(self, results: Mapping[str, AssayResult]) -> VirtualPatient:
        """A copy carrying laboratory results."""
        return replace(self, assays={**dict(self.assays), **dict(results)})

    def result(self, assay: str) -> AssayResult | None:
        """The reported result of ``assay`` (``None`` if not tested)."""
        return self.assays.get(assay)

    def to_dict(self) -> dict[str, Any]:
        """Flat, JSON/Parquet-ready record (one row of a patient table)."""
        out: dict[str, Any] = {
            "index": self.index,
            "trial_seed": self.trial_seed,
            "cancer": self.cancer,
            "stage": self.stage,
            "setting": self.setting,
            "histology": self.histology,
            "region": self.region,
            "age": self.age,
            "sex": self.sex,
            "weight_kg": self.weight_kg,
            "height_cm": self.height_cm,
            "bsa_m2": self.bsa_m2,
            "ecog": self.ecog,
            "prior_lines": self.prior_lines,
            "prior": ";".join(self.prior),
            "lymphocytes_1e9_per_L": self.lymphocytes,
            "burden_measure": self.burden.measure,
            "burden_value": self.burden.value,
            "burden_units": self.burden.units,
            "tumour_cells": self.tumour_cells,
            "draws": self.draws,
        }
        for k, v in self.drivers.items():
            out[f"driver_{k}"] = v
        for k, v in self.biomarkers.items():
            out[f"true_{k}"] = v
        for k, r in self.assays.items():
            out[f"assay_{k}"] = r.category
            out[f"assay_{k}_value"] = r.value
        return out

    def eligibility_inputs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`oncoimmune.patients.check_eligibility` from the reported results.

        Earlier treatments outside the indication vocabulary (``lymphodepletion``)
        are left out; biomarkers not tested are not given.
        """
        from .drugs import TREATMENTS

        kw: dict[str, Any] = {
            "cancer": self.cancer,
            "stage": self.stage,
            "age": self.age,
            "prior_lines": self.prior_lines,
            "prior": tuple(p for p in self.prior if p in TREATMENTS),
        }
        if self.setting is not None:
            kw["setting"] = self.setting
        if self.histology is not None:
            kw["histology"] = self.histology
        for name in ("pdl1", "msi", "tmb", "her2", "cd19", "cd20"):
            r = self.assays.get(name)
            if r is not None:
                kw[name] = r.value if ASSAYS[name].kind == "continuous" else r.category
        return kw


def _expand_classes(names: tuple[str, ...]) -> tuple[str, ...]:
    """Treatment classes with the classes they imply (``platinum-chemotherapy`` -> ``chemotherapy``).

    Names outside the indication vocabulary (``lymphodepletion``) are kept as given.
    """
    from .drugs import resolve_treatment

    out: list[str] = []
    for n in names:
        try:
            got = resolve_treatment(n)
        except UnknownNameError:
            got = (n,)
        for k in got:
            if k not in out:
                out.append(k)
    return tuple(out)


def _clip_to_assay(name: str, value: Any) -> Any:
    a = ASSAYS[name]
    if a.kind != "continuous":
        return value
    lo, hi = a.value_range
    return float(min(max(float(value), lo), hi))


def draw_patient(
    profile: CancerProfile,
    rng: np.random.Generator,
    *,
    index: int,
    trial_seed: int,
    stage: str | None = None,
    setting: str | None = None,
    prior_lines: int | Mapping[int, float] | None = None,
    prior: tuple[str, ...] = (),
    draws: int = 1,
    regions: Mapping[str, float] | None = None,
) -> VirtualPatient:
    """Draw one candidate patient from ``profile`` with ``rng``.

    The draws happen in a fixed order (sex, age, body, ECOG, histology,
    drivers, earlier treatments, lymphocytes, burden, biomarkers), so the same
    generator state always gives the same patient. Plausibility is checked by
    the caller (:func:`oncoimmune.patients.cohort.sample_patient`).

    Parameters
    ----------
    profile : CancerProfile
    rng : numpy.random.Generator
    index, trial_seed : int
        Recorded in the patient.
    stage : str, optional
        The patient's stage (already chosen by the caller), or ``None``.
    setting : str, optional
        ``"advanced"`` or ``"adjuvant"`` (solid tumours).
    prior_lines : int or mapping of int to float, optional
        Fix the number of earlier lines, or give their distribution
        (``{1: 0.75, 2: 0.25}``: the first uniform of the patient's stream of late-added
        covariates, ``patient_rng(trial_seed, index, "covariates", "design")``, which always
        draws a prior-lines uniform, a region uniform and the SP142 normal in this order, so
        no other covariate changes); otherwise drawn from the profile.
    prior : tuple of str
        Treatment classes every patient has had (added to those drawn).
    draws : int
        Attempt number, recorded in the patient.
    regions : mapping of str to float, optional
        Region of enrolment probabilities, replacing the profile's ``region``
        (the second uniform of the ``"covariates", "design"`` stream).

    Returns
    -------
    VirtualPatient
        Without assay results.
    """
    from ..therapy.schedule import bsa_mosteller

    c = CANCERS[profile.cancer]
    sex = "male" if profile.male.sample(rng) else "female"
    age = float(profile.age.sample(rng))
    weight, height = profile.body.sample(rng, sex, age)
    ecog = int(profile.ecog.sample(rng))
    histology = profile.histology.sample(rng) if profile.histology is not None else None
    drivers = {k: bool(d.sample(rng)) for k, d in profile.drivers.items()}

    lines_drawn = int(profile.prior.lines.sample(rng))
    # covariates added after the fixed draw order come from one stream of their own, always drawn in the same
    # order (prior lines, region, SP142 latent), so none depends on whether the others are used
    design = _side_rng(trial_seed, index, DESIGN_STREAM)
    u_lines, u_region, eps_sp142 = float(design.random()), float(design.random()), float(design.standard_normal())
    if prior_lines is None:
        lines = lines_drawn
    elif isinstance(prior_lines, Mapping):
        lines = int(_categorical_at(dict(prior_lines), u_lines))
    else:
        lines = int(prior_lines)
    drawn: list[str] = []
    for k, p in profile.prior.classes.items():
        had = rng.random() < p
        if had and lines > 0:
            drawn.append(k)
    classes = _expand_classes((*drawn, *prior))

    alc = float(profile.lymphocytes.sample(rng))
    for k in classes:
        alc *= profile.lymphocyte_factors.get(k, 1.0)

    raw_burden = float(profile.burden.sample(rng)) if profile.burden is not None else math.nan
    if stage is not None and c.has_stages:
        top = c.ancestors(stage)[-1]
        raw_burden *= profile.stage_factors.get(top, 1.0)

    markers: dict[str, Any] = {}
    ctx: dict[str, Any] = {}
    for name, dist in profile.biomarkers.items():
        v = dist.sample(rng, ctx)
        v = _clip_to_assay(name, v)
        markers[name] = v
        ctx[name] = v
    if profile.burden is None:  # JAK2-mutant MPN: the allele burden is the tumour burden
        raw_burden = float(markers["jak2"])
    if profile.burden_measure in ("marrow_blasts", "jak2_vaf"):
        raw_burden = min(raw_burden, 100.0)
    burden = Burden(profile.burden_measure, raw_burden)
    pdl1 = profile.biomarkers.get("pdl1")
    if profile.sp142 is not None and "pdl1" in markers and isinstance(pdl1, PiecewiseUniform):
        markers["pdl1_sp142"] = profile.sp142.level(pdl1.cdf(float(markers["pdl1"])), eps_sp142)
    region = None
    if regions is not None:
        region = str(_categorical_at(dict(regions), u_region))
    elif profile.region is not None:
        region = str(_categorical_at(dict(profile.region.probabilities), u_region))

    return VirtualPatient(
        index=int(index),
        trial_seed=int(trial_seed),
        cancer=c.id,
        stage=stage,
        setting=setting,
        histology=histology,
        age=age,
        sex=sex,
        weight_kg=weight,
        height_cm=height,
        bsa_m2=bsa_mosteller(height, weight) if height > 0 and weight > 0 else float("nan"),
        ecog=ecog,
        prior_lines=lines,
        prior=tuple(classes),
        lymphocytes=alc,
        burden=burden,
        tumour_cells=tumour_cells_from_burden(burden, weight_kg=weight) if weight > 0 else float("nan"),
        drivers=drivers,
        biomarkers=markers,
        draws=int(draws),
        region=region,
    )


#: Name of the stream of the covariates drawn after the fixed order (prior-lines mix, region, SP142 latent).
DESIGN_STREAM = "design"


def _side_rng(trial_seed: int, index: int, name: str) -> np.random.Generator:
    """The patient's own stream for covariates added after the fixed draw order:
    ``patient_rng(trial_seed, index, "covariates", name)``."""
    return patient_rng(trial_seed, index, "covariates", name)


def _categorical_at(probabilities: Mapping[Any, float], u: float) -> Any:
    """The category of uniform ``u`` (the cumulative rule of :meth:`Categorical.sample`; weights normalised)."""
    total = float(sum(probabilities.values()))
    acc = 0.0
    keys = list(probabilities)
    for k in keys:
        acc += float(probabilities[k]) / total
        if u < acc:
            return k
    return keys[-1]


# ---------------------------------------------------------------------------
# the sourced profiles
# ---------------------------------------------------------------------------
_ADULT_BODY = BodySize(
    weight_median={"male": 80.0, "female": 67.0},
    weight_sigma=0.18,
    height_mean={"male": 174.0, "female": 161.0},
    height_sd=7.0,
    source=_src(
        _AHAMADI2017,
        location="Table 3 footnotes: median body weight 76.8 kg in the pooled melanoma/NSCLC popPK dataset",
        doi="10.1002/psp4.12139",
        note=(
            "pooled median 76.8 kg as encoded in oncoimmune.therapy.drugs; the split by sex (80/67 kg), "
            "the spread (sigma 0.18) and the heights (174/161 cm, sd 7) are assumptions (typical adult "
            "values)"
        ),
    ),
)
_PAED_BODY = replace(
    _ADULT_BODY,
    paediatric=True,
    source=_src(
        _LUSCOMBE2007, note="paediatric medians by formula; blend to adult values 12-18 y is an assumption"
    ),
)

_ALC_SOURCE = _src(
    _ALC2024,
    location="abstract: 27 % of 179 ICI-treated patients (41 % melanoma, 40 % lung) had ALC < 1.0e9/L",
    doi="10.1038/s44276-024-00058-6",
    note=(
        f"{_CHECKED} (abstract). The median 1.4e9/L is an assumption; sigma solves P(ALC < 1.0) = 0.27 "
        "for that median"
    ),
)
_ALC_SOLID = LogNormal.from_median_quantile(1.4, 1.0, 0.27, _ALC_SOURCE)
_LYMPHO_FACTOR_SOURCE = _src(
    _MENETRIER2019,
    location="review: chemotherapy and radiotherapy lower lymphocyte counts; lymphopenia is frequent "
    "and prognostic",
    doi="10.1186/s40425-019-0549-5",
    note=(
        "the multipliers (chemotherapy x0.75, chemoimmunotherapy x0.6, allogeneic transplant x0.7, "
        "lymphodepletion x0.05) are assumptions; the direction is from the source"
    ),
)
_LYMPHO_FACTORS = {
    "chemotherapy": 0.75,
    "chemoimmunotherapy": 0.8,  # also implies 'chemotherapy' (x0.75): net x0.6
    "allogeneic-transplant": 0.7,
    LYMPHODEPLETION: 0.05,
}

_STAGE_SOURCE = _src(
    _ASSUMPTION,
    note=(
        "burden of stages below the reference (most advanced) stage: stage I x0.3, II x0.5, III x0.8 of the "
        "stage-IV median"
    ),
)
_SOLID_STAGE_FACTORS = {"I": 0.3, "II": 0.5, "III": 0.8, "IV": 1.0}
_LYMPHOMA_STAGE_FACTORS = {"I": 0.3, "II": 0.5, "III": 0.8, "IV": 1.0}

_PDL1_NSCLC = PiecewiseUniform(
    bins=((0.0, 1.0, 507.0), (1.0, 50.0, 646.0), (50.0, 100.0, 500.0)),
    source=_src(
        _HUANG2021,
        location=(
            "Table 2, clinical-trial column: KEYNOTE-024 screening, TPS >= 50 % in 500/1653 (30.2 %), "
            "TPS 1-49 % in 646/1653 (39.1 %)"
        ),
        doi="10.1038/s41379-020-00664-y",
        note=(
            f"{_CHECKED} of Table 2; TPS < 1 % = 507/1653 (30.7 %) by difference; the same screening is "
            "reported by Reck 2016. Uniform TPS within each category is an assumption"
        ),
    ),
)


def _tmb_salem(mean: float, tail: float, cancer: str) -> LogNormal:
    return LogNormal.from_mean_tail(
        mean,
        17.0,
        tail,
        _src(
            _SALEM2017,
            location=f"abstract: {cancer}: mean TML {mean:g} mut/Mb, TML >= 17 mut/Mb in {100 * tail:g} %",
            note=(
                f"{_CHECKED} (abstract). Log-normal fitted to the mean and the tail share (smaller-sigma "
                "root); taking the Caris panel scale as equal to FoundationOne CDx TMB (label cut-off 10) "
                "is an assumption"
            ),
        ),
        root="small",
    )


def _tmb_assumed(median: float, sigma: float, what: str) -> LogNormal:
    return LogNormal(
        median,
        sigma,
        _src(
            _CHALMERS2017,
            location="Figure 2 / Additional file 2: TMB distribution by disease",
            doi=_CHALMERS_DOI,
            note=(
                f"median {median:g} mut/Mb for {what} as recalled from the source; {_VERIFY}. "
                f"Sigma {sigma:g} is an assumption"
            ),
        ),
    )


def _age(mean: float, sd: float, citation: str, location: str, note: str, doi: str = "") -> Normal:
    return Normal(mean, sd, _src(citation, location=location, doi=doi, note=note))


def _ecog(p0: float, p1: float, p2: float, citation: str, note: str) -> Categorical:
    return Categorical({0: p0, 1: p1, 2: p2}, _src(citation, note=note))


def _lines(probs: Mapping[int, float], classes: Mapping[str, float], note: str) -> PriorTreatments:
    s = _src(_ASSUMPTION, note=note)
    return PriorTreatments(Categorical(probs, s), classes, s)


def _build_profiles() -> dict[str, CancerProfile]:
    ecog_note = (
        "enrolled ECOG 0/1 shares (as recalled from the trial's Table 1; "
        + _VERIFY
        + "); the 5 % ECOG 2 in the screened population is an assumption"
    )
    profiles = [
        CancerProfile(
            cancer="nsclc",
            age=_age(
                65.0,
                9.0,
                _RECK2016,
                "Table 1: median age 64.5 (pembrolizumab) and 66 (chemotherapy) years",
                f"{_VERIFY}; sd 9 y is an assumption",
                _RECK2016_DOI,
            ),
            male=Bernoulli(
                0.61,
                _src(_RECK2016, "Table 1: male 59.7 % and 62.9 %", _RECK2016_DOI, _VERIFY + "; pooled 61 %"),
            ),
            body=_ADULT_BODY,
            ecog=_ecog(0.33, 0.62, 0.05, _RECK2016 + ", Table 1 (ECOG 0 about 35 %)", ecog_note),
            lymphocytes=_ALC_SOLID,
            lymphocyte_factors=_LYMPHO_FACTORS,
            lymphocyte_source=_LYMPHO_FACTOR_SOURCE,
            burden_measure="sld",
            burden=LogNormal(
                89.6,
                0.6,
                _src(
                    _AHAMADI2017,
                    location="Table 3 footnotes: median baseline tumour burden 89.6 mm "
                    "(pooled melanoma/NSCLC)",
                    doi="10.1002/psp4.12139",
                    note=(
                        "median as encoded in oncoimmune.therapy.drugs; sigma 0.6 is an assumption, checked "
                        f"against {_HAKOZAKI2019} (62/83 below 120 mm; {_CHECKED} of the abstract): the "
                        "model gives 69 %"
                    ),
                ),
            ),
            stage_factors=_SOLID_STAGE_FACTORS,
            stage_source=_STAGE_SOURCE,
            biomarkers={"pdl1": _PDL1_NSCLC, "tmb": _tmb_salem(11.0, 0.15, "NSCLC")},
            drivers={
                "egfr": Bernoulli(0.11, _src(_BARLESI2016, "Results: EGFR mutation 11 %", note=_VERIFY)),
                "alk": Bernoulli(0.05, _src(_BARLESI2016, "Results: ALK rearrangement 5 %", note=_VERIFY)),
            },
            histology=Categorical(
                {"non-squamous": 0.81, "squamous": 0.19},
                _src(_RECK2016, "Table 1: squamous histology 18.8 % and 17.9 %", _RECK2016_DOI, _VERIFY),
            ),
            prior=_lines(
                {0: 0.6, 1: 0.3, 2: 0.1},
                {"platinum-chemotherapy": 0.95, "radiotherapy": 0.3, "anti-pd-1": 0.2},
                "advanced NSCLC screened population: earlier lines and classes",
            ),
            default_stages=("IV",),
            region=Categorical(
                {"east_asia": 180.0, "rest_of_world": 670.0},
                _src(
                    "Rittmeyer A et al. (2017) Lancet 389:255-265 (OAK)",
                    "Table 1: race Asian 180 of 850 (21 %)",
                    "10.1016/S0140-6736(16)32517-X",
                    f"{_CHECKED} (PMC6886121); Asian race is used as a proxy for enrolment in East Asia "
                    "(an assumption: OAK reports race, not region)",
                ),
            ),
            sp142=SP142_NSCLC,
        ),
        CancerProfile(
            cancer="melanoma",
            age=_age(
                62.0,
                13.0,
                "Robert C et al. (2015). Pembrolizumab versus ipilimumab in advanced melanoma (KEYNOTE-006). "
                "N Engl J Med 372:2521-2532",
                "Table 1: median age about 62 years",
                f"{_VERIFY}; sd 13 y is an assumption",
            ),
            male=Bernoulli(
                0.6, _src("Robert C et al. (2015) KEYNOTE-006, Table 1", note=_VERIFY + "; about 60 % male")
            ),
            body=_ADULT_BODY,
            ecog=_ecog(
                0.66, 0.29, 0.05, "Robert C et al. (2015) KEYNOTE-006, Table 1 (ECOG 0 about 70 %)", ecog_note
            ),
            lymphocytes=_ALC_SOLID,
            lymphocyte_factors=_LYMPHO_FACTORS,
            lymphocyte_source=_LYMPHO_FACTOR_SOURCE,
            burden_measure="sld",
            burden=LogNormal(
                102.0,
                0.8,
                _src(
                    _JOSEPH2018,
                    location="Results: median baseline tumour size 10.2 cm (range 1-89.5 cm), "
                    "n = 583, KEYNOTE-001",
                    doi="10.1158/1078-0432.CCR-17-2386",
                    note=f"{_CHECKED} (abstract); sigma 0.8 is an assumption matching the wide range",
                ),
            ),
            stage_factors=_SOLID_STAGE_FACTORS,
            stage_source=_STAGE_SOURCE,
            biomarkers={"tmb": _tmb_salem(21.0, 0.36, "melanoma")},
            prior=_lines(
                {0: 0.65, 1: 0.25, 2: 0.1},
                {"anti-ctla-4": 0.3, "braf-mek-inhibitor": 0.3, "anti-pd-1": 0.2},
                "advanced melanoma screened population: earlier lines and classes",
            ),
            default_stages=("IV",),
        ),
        CancerProfile(
            cancer="rcc",
            age=_age(
                62.0,
                10.0,
                "Motzer RJ et al. (2018). Nivolumab plus ipilimumab versus sunitinib in advanced renal-cell "
                "carcinoma (CheckMate 214). N Engl J Med 378:1277-1290",
                "Table 1: median age 62 years",
                f"{_VERIFY}; sd 10 y is an assumption",
            ),
            male=Bernoulli(
                0.74,
                _src("Motzer RJ et al. (2018) CheckMate 214, Table 1", note=_VERIFY + "; about 74 % male"),
            ),
            body=_ADULT_BODY,
            ecog=_ecog(
                0.6, 0.35, 0.05, "Motzer RJ et al. (2018) CheckMate 214 (Karnofsky >= 70 %)", ecog_note
            ),
            lymphocytes=_ALC_SOLID,
            lymphocyte_factors=_LYMPHO_FACTORS,
            lymphocyte_source=_LYMPHO_FACTOR_SOURCE,
            burden_measure="sld",
            burden=LogNormal(
                80.0, 0.6, _src(_ASSUMPTION, note="median SLD 80 mm, sigma 0.6 for advanced RCC")
            ),
            stage_factors=_SOLID_STAGE_FACTORS,
            stage_source=_STAGE_SOURCE,
            biomarkers={"tmb": _tmb_salem(6.0, 0.005, "RCC")},
            prior=_lines(
                {0: 0.7, 1: 0.2, 2: 0.1},
                {"surgery": 0.8, "vegf-tki": 0.8},
                "advanced RCC screened population: earlier lines and classes (nephrectomy common)",
            ),
            default_stages=("IV",),
        ),
        CancerProfile(
            cancer="her2-breast",
            age=_age(
                54.0,
                11.0,
                "Baselga J et al. (2012). Pertuzumab plus trastuzumab plus docetaxel for metastatic breast "
                "cancer (CLEOPATRA). N Engl J Med 366:109-119",
                "Table 1: median age 54 years",
                f"{_VERIFY}; sd 11 y is an assumption",
            ),
            male=Bernoulli(0.01, _src(_ASSUMPTION, note="about 1 % of breast cancers occur in men")),
            body=_ADULT_BODY,
            ecog=_ecog(
                0.62, 0.33, 0.05, "Baselga J et al. (2012) CLEOPATRA, Table 1 (ECOG 0 about 65 %)", ecog_note
            ),
            lymphocytes=_ALC_SOLID,
            lymphocyte_factors=_LYMPHO_FACTORS,
            lymphocyte_source=_LYMPHO_FACTOR_SOURCE,
            burden_measure="sld",
            burden=LogNormal(
                60.0, 0.6, _src(_ASSUMPTION, note="median SLD 60 mm, sigma 0.6 for metastatic breast cancer")
            ),
            stage_factors=_SOLID_STAGE_FACTORS,
            stage_source=_STAGE_SOURCE,
            biomarkers={
                "her2": Categorical(
                    {"3+": 0.85, "2+ ISH+": 0.15},
                    _src(
                        "Wolff AC et al. 2018, J Clin Oncol 36:2105 (ASCO/CAP HER2 testing)",
                        doi="10.1200/JCO.2018.77.8738",
                        note="HER2-positive by definition; the 85/15 split of IHC 3+ and IHC 2+/ISH+ "
                        "is an assumption",
                    ),
                ),
                "tmb": _tmb_assumed(2.5, 0.7, "breast carcinoma"),
            },
            prior=_lines(
                {0: 0.5, 1: 0.3, 2: 0.2},
                {"anti-her2": 0.6, "taxane": 0.7, "anthracycline": 0.4, "surgery": 0.7},
                "metastatic HER2+ breast screened population: earlier lines and classes",
            ),
            default_stages=("IV",),
        ),
        CancerProfile(
            cancer="crc",
            age=_age(
                63.0,
                12.0,
                "Andre T et al. (2020). Pembrolizumab in microsatellite-instability-high advanced colorectal "
                "cancer (KEYNOTE-177). N Engl J Med 383:2207-2218",
                "Table 1: median age about 63 years",
                f"{_VERIFY}; sd 12 y is an assumption",
            ),
            male=Bernoulli(
                0.5, _src("Andre T et al. (2020) KEYNOTE-177, Table 1", note=_VERIFY + "; about 50 % male")
            ),
            body=_ADULT_BODY,
            ecog=_ecog(
                0.5, 0.45, 0.05, "Andre T et al. (2020) KEYNOTE-177, Table 1 (ECOG 0 about 50 %)", ecog_note
            ),
            lymphocytes=_ALC_SOLID,
            lymphocyte_factors=_LYMPHO_FACTORS,
            lymphocyte_source=_LYMPHO_FACTOR_SOURCE,
            burden_measure="sld",
            burden=LogNormal(
                70.0, 0.7, _src(_ASSUMPTION, note="median SLD 70 mm, sigma 0.7 for metastatic CRC")
            ),
            stage_factors=_SOLID_STAGE_FACTORS,
            stage_source=_STAGE_SOURCE,
            biomarkers={
                "msi": Categorical(
                    {"msi-high": 0.04, "stable": 0.96},
                    _src(
                        "Koopman M et al. (2009). Deficient mismatch repair system in patients with sporadic "
                        "advanced colorectal cancer. Br J Cancer 100:266-273",
                        note=f"about 3.5-5 % of metastatic CRC are MSI-H/dMMR; {_VERIFY}; 4 % used",
                    ),
                ),
                "tmb": ConditionalOn(
                    "msi",
                    {
                        "msi-high": _tmb_assumed(45.0, 0.5, "MSI-high colorectal cancer"),
                        "stable": _tmb_assumed(3.6, 0.6, "microsatellite-stable colorectal cancer"),
                    },
                    _src(_CHALMERS2017, doi=_CHALMERS_DOI, note="MSI-high tumours are mostly TMB-high"),
                ),
            },
            prior=_lines(
                {0: 0.6, 1: 0.25, 2: 0.15},
                {"fluoropyrimidine-chemotherapy": 0.95, "surgery": 0.6},
                "metastatic CRC screened population: earlier lines and classes",
            ),
            default_stages=("IV",),
        ),
        CancerProfile(
            cancer="fl",
            age=_age(
                60.0,
                11.0,
                "Jacobson CA et al. (2022). Axicabtagene ciloleucel in relapsed or refractory indolent "
                "non-Hodgkin lymphoma (ZUMA-5). Lancet Oncol 23:91-103",
                "Table 1: median age about 60 years",
                f"{_VERIFY}; sd 11 y is an assumption",
            ),
            male=Bernoulli(
                0.55, _src("Jacobson CA et al. (2022) ZUMA-5, Table 1", note=_VERIFY + "; about 55 % male")
            ),
            body=_ADULT_BODY,
            ecog=_ecog(
                0.6, 0.35, 0.05, "Jacobson CA et al. (2022) ZUMA-5, Table 1 (ECOG 0 about 60 %)", ecog_note
            ),
            lymphocytes=_ALC_SOLID,
            lymphocyte_factors=_LYMPHO_FACTORS,
            lymphocyte_source=_LYMPHO_FACTOR_SOURCE,
            burden_measure="spd",
            burden=LogNormal(
                2500.0, 0.9, _src(_ASSUMPTION, note="median SPD 2,500 mm2, sigma 0.9 for relapsed FL")
            ),
            stage_factors=_LYMPHOMA_STAGE_FACTORS,
            stage_source=_STAGE_SOURCE,
            biomarkers={
                "cd20": Categorical(
                    {"positive": 0.99, "negative": 0.01},
                    _src(_ASSUMPTION, note="FL is CD20-positive in nearly all cases; 1 % negative assumed"),
                ),
                "cd19": Categorical(
                    {"positive": 0.99, "negative": 0.01},
                    _src(_ASSUMPTION, note="B-cell lineage; 1 % negative assumed"),
                ),
                "tmb": _tmb_assumed(3.0, 0.6, "follicular lymphoma"),
            },
            prior=_lines(
                {0: 0.3, 1: 0.3, 2: 0.2, 3: 0.2},
                {"chemoimmunotherapy": 0.95, "anti-cd20": 0.95, "radiotherapy": 0.2},
                "relapsed FL screened population: earlier lines and classes",
            ),
            default_stages=("III", "IV"),
        ),
        CancerProfile(
            cancer="lbcl",
            age=_age(
                58.0,
                12.0,
                _ZUMA1,
                "Neelapu 2017 Table 1: median age 58 years",
                f"{_VERIFY}; sd 12 y is an assumption",
            ),
            male=Bernoulli(0.67, _src(_ZUMA1, "Neelapu 2017 Table 1", note=_VERIFY + "; about 67 % male")),
            body=_ADULT_BODY,
            ecog=_ecog(0.4, 0.55, 0.05, _ZUMA1 + " (ECOG 0 about 42 %)", ecog_note),
            lymphocytes=_ALC_SOLID,
            lymphocyte_factors=_LYMPHO_FACTORS,
            lymphocyte_source=_LYMPHO_FACTOR_SOURCE,
            burden_measure="spd",
            burden=LogNormal(
                3721.0,
                1.0,
                _src(
                    _ZUMA1,
                    "Locke 2020: median baseline SPD about 3,721 mm2",
                    note=f"{_VERIFY}; sigma 1.0 is an assumption",
                ),
            ),
            stage_factors=_LYMPHOMA_STAGE_FACTORS,
            stage_source=_STAGE_SOURCE,
            biomarkers={
                "cd19": Categorical(
                    {"positive": 0.99, "negative": 0.01},
                    _src(_ASSUMPTION, note="B-cell lineage; 1 % negative assumed"),
                ),
                "cd20": Categorical(
                    {"positive": 0.95, "negative": 0.05},
                    _src(_ASSUMPTION, note="relapsed LBCL after anti-CD20; 5 % negative assumed"),
                ),
                "tmb": _tmb_assumed(5.0, 0.6, "diffuse large B-cell lymphoma"),
            },
            prior=_lines(
                {0: 0.1, 1: 0.2, 2: 0.4, 3: 0.3},
                {"chemoimmunotherapy": 1.0, "anti-cd20": 1.0, "autologous-transplant": 0.21},
                "relapsed/refractory LBCL screened population: earlier lines and classes (ZUMA-1-like)",
            ),
            default_stages=("III", "IV"),
        ),
        CancerProfile(
            cancer="b-all",
            age=LogNormal(
                11.0,
                0.45,
                _src(
                    _ELIANA,
                    location="abstract: median age 11 years (range 3-24)",
                    note=f"{_CHECKED} (abstract of the updated analysis); "
                    "log-normal spread 0.45 is an assumption",
                ),
            ),
            male=Bernoulli(0.57, _src(_ELIANA, note=_VERIFY + "; about 57 % male")),
            body=_PAED_BODY,
            ecog=_ecog(
                0.6,
                0.35,
                0.05,
                _ASSUMPTION,
                "paediatric trials report Lansky/Karnofsky scores; mapped shares are assumed",
            ),
            lymphocytes=LogNormal(
                1.0,
                0.7,
                _src(_ASSUMPTION, note="heavily pretreated relapsed B-ALL: median 1.0e9/L, sigma 0.7"),
            ),
            lymphocyte_factors=_LYMPHO_FACTORS,
            lymphocyte_source=_LYMPHO_FACTOR_SOURCE,
            burden_measure="marrow_blasts",
            burden=Beta(
                2.5,
                1.0,
                _src(
                    _ELIANA,
                    "Maude 2018 Table 1: median marrow blasts about 74 % (range 5-99)",
                    note=f"{_VERIFY}; Beta(2.5, 1) x 100 has median 76 %",
                ),
                scale=100.0,
            ),
            stage_factors={},
            biomarkers={
                "cd19": Categorical(
                    {"positive": 0.99, "negative": 0.01},
                    _src(
                        _ASSUMPTION, note="B-ALL is CD19-positive in nearly all cases; 1 % negative assumed"
                    ),
                ),
                "tmb": _tmb_assumed(0.5, 0.6, "paediatric B-ALL"),
            },
            prior=_lines(
                {1: 0.3, 2: 0.4, 3: 0.3},
                {"chemotherapy": 1.0, "allogeneic-transplant": 0.61, "blinatumomab": 0.1},
                "relapsed/refractory B-ALL: earlier lines (assumed); 61 % prior allogeneic transplant "
                "from the ELIANA abstract",
            ),
        ),
        CancerProfile(
            cancer="pv",
            age=_age(
                61.0,
                12.0,
                "Tefferi A et al. (2013). Survival and prognosis among 1545 patients with contemporary "
                "polycythemia vera. Leukemia 27:1874-1881",
                "Results: median age at diagnosis 61 years",
                f"{_VERIFY}; sd 12 y is an assumption",
            ),
            male=Bernoulli(
                0.5, _src("Tefferi A et al. (2013) Leukemia 27:1874", note=_VERIFY + "; about 50 % male")
            ),
            body=_ADULT_BODY,
            ecog=_ecog(0.75, 0.2, 0.05, _ASSUMPTION, "chronic MPN; shares assumed"),
            lymphocytes=LogNormal.from_median_quantile(
                1.8, 1.0, 0.1, _src(_ASSUMPTION, note="median 1.8e9/L, 10 % below 1.0e9/L")
            ),
            lymphocyte_factors=_LYMPHO_FACTORS,
            lymphocyte_source=_LYMPHO_FACTOR_SOURCE,
            burden_measure="jak2_vaf",
            burden=None,
            stage_factors={},
            biomarkers={"jak2": _JAK2_PV},
            prior=_lines(
                {0: 0.5, 1: 0.5},
                {"venesection": 0.9, "hydroxycarbamide": 0.5},
                "PV: earlier cytoreduction and venesection (assumed shares)",
            ),
        ),
        CancerProfile(
            cancer="et",
            age=_age(
                58.0,
                15.0,
                _ASSUMPTION,
                "",
                "median age at ET diagnosis about 58 years (commonly reported; no source checked); "
                "sd 15 y assumed",
            ),
            male=Bernoulli(0.4, _src(_ASSUMPTION, note="ET is more common in women; 40 % male assumed")),
            body=_ADULT_BODY,
            ecog=_ecog(0.75, 0.2, 0.05, _ASSUMPTION, "chronic MPN; shares assumed"),
            lymphocytes=LogNormal.from_median_quantile(
                1.8, 1.0, 0.1, _src(_ASSUMPTION, note="median 1.8e9/L, 10 % below 1.0e9/L")
            ),
            lymphocyte_factors=_LYMPHO_FACTORS,
            lymphocyte_source=_LYMPHO_FACTOR_SOURCE,
            burden_measure="jak2_vaf",
            burden=None,
            stage_factors={},
            biomarkers={"jak2": _JAK2_ET},
            prior=_lines(
                {0: 0.6, 1: 0.4},
                {"hydroxycarbamide": 0.6, "interferon-alfa": 0.1},
                "ET: earlier cytoreduction (assumed shares)",
            ),
        ),
    ]
    return {p.cancer: p for p in profiles}


_JAK2_PV = PiecewiseUniform(
    bins=((0.0, 0.9, 0.05), (1.0, 25.0, 0.3), (25.0, 60.0, 0.45), (60.0, 100.0, 0.2)),
    source=_src(
        _PIETRA2008,
        location="Introduction: JAK2 V617F detectable in about 95 % of patients with PV",
        doi="10.1182/blood-2007-07-101576",
        note=(
            f"{_CHECKED} (introduction) for the 95 % positive share (5 % below the 1 % detection limit); the "
            "allele-burden histogram among positives (1-25 %: 30 %, 25-60 %: 45 %, >= 60 %: 20 %) "
            "is an assumption"
        ),
    ),
)
_JAK2_ET = PiecewiseUniform(
    bins=((0.0, 0.9, 0.45), (1.0, 25.0, 0.45), (25.0, 50.0, 0.1)),
    source=_src(
        _PIETRA2008,
        location="Introduction: JAK2 V617F detectable in more than half of patients with ET",
        doi="10.1182/blood-2007-07-101576",
        note=(
            f"{_CHECKED} (introduction): 55 % positive used; allele burden among positives mostly below 25 % "
            "(histogram assumed)"
        ),
    ),
)

#: Covariate profile of each cancer type, by canonical id.
PROFILES: Mapping[str, CancerProfile] = MappingProxyType(_build_profiles())


def get_profile(cancer: str | CancerProfile) -> CancerProfile:
    """The :class:`CancerProfile` of a cancer id or alias (a profile passes through).

    Raises
    ------
    UnknownNameError
        If the cancer is unknown or has no profile; the message lists the valid ids.
    """
    if isinstance(cancer, CancerProfile):
        return cancer
    c = resolve_cancer(cancer)
    if c.id not in PROFILES:
        raise UnknownNameError("cancer with a virtual-patient profile", str(cancer), tuple(PROFILES))
    return PROFILES[c.id]
