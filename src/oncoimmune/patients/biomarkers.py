"""Biomarker assays as the clinic runs them, and their categorical results.

An :class:`Assay` is a frozen description of a test: what it measures (the
analyte), on what (the specimen), how (the method), the cut-offs that turn a
number into a category, and where those cut-offs come from. :func:`test`
applies an assay to a patient's *true* value and returns an
:class:`AssayResult` whose ``category`` is what drives eligibility.

Measurement error is optional and must be cited: attach a
:class:`MeasurementError` (continuous assays) or a :class:`Misclassification`
(sensitivity/specificity, categorical assays) with a
:class:`~oncoimmune.model.Source` using :meth:`Assay.with_error`, and pass an
``rng``. The built-in assays carry no error model, because no single published
figure applies across laboratories; with them a result is exact, and an ``rng``
passed to :func:`test` is ignored with a warning.

Built-in assays (:data:`ASSAYS`)
--------------------------------
``pdl1``  PD-L1 tumour proportion score (22C3), % of viable tumour cells:
          negative < 1 %, low 1-49 %, high >= 50 %.
``msi``   microsatellite instability / mismatch-repair status: ``msi-high``
          (MSI-H or dMMR) or ``stable`` (MSS, MSI-L or pMMR).
``tmb``   tumour mutational burden, mutations per megabase: high >= 10.
``her2``  HER2 by IHC with reflex ISH (ASCO/CAP 2018): positive = IHC 3+ or
          ISH-amplified; IHC 2+ without ISH = equivocal.
``cd19``  CD19 on the malignant B cells (flow cytometry or IHC).
``cd20``  CD20 on the malignant B cells (IHC or flow cytometry).
``jak2``  JAK2 V617F variant allele fraction in blood, %.
``cps``   PD-L1 combined positive score (22C3; 28-8 for nivolumab in gastric
          cancer): under 1, 1-4, 5-9, 10 or more.
``pdl1_ic`` PD-L1 on tumour-infiltrating immune cells (SP142), % of tumour
          area: under 1, 1-4, 5-9, 10 or more.
``bcma``  BCMA on myeloma cells (assumed positive in myeloma; no test needed).

References
----------
.. [1] FDA, KEYTRUDA (pembrolizumab) prescribing information; PD-L1 IHC 22C3
   pharmDx as companion diagnostic (TPS >= 1 %, >= 50 %); TMB-H >= 10 mut/Mb
   by FoundationOne CDx (accelerated approval 2020-06-16).
.. [2] Wolff AC et al. 2018, "Human epidermal growth factor receptor 2 testing
   in breast cancer: ASCO/CAP clinical practice guideline focused update",
   *J Clin Oncol* 36:2105. doi:10.1200/JCO.2018.77.8738
.. [3] Arber DA et al. 2016, "The 2016 revision to the WHO classification of
   myeloid neoplasms and acute leukemia", *Blood* 127:2391.
   doi:10.1182/blood-2016-03-643544
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from .._errors import UnknownNameError
from ..model.components import Source
from .cancers import PatientInputError, normalise_name

__all__ = [
    "MeasurementError",
    "Misclassification",
    "Assay",
    "AssayResult",
    "ASSAYS",
    "get_assay",
    "test",
    "categorise",
]


@dataclass(frozen=True)
class MeasurementError:
    """Gaussian error on a continuous assay, clipped to the assay's range.

    Parameters
    ----------
    sd : float
        Standard deviation, in the assay's units (or as a fraction of the true
        value if ``relative``).
    source : Source
        Where the figure comes from. Required.
    relative : bool
        Whether ``sd`` is a coefficient of variation.
    """

    sd: float
    source: Source
    relative: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.sd, (int, float)) and math.isfinite(self.sd) and self.sd >= 0):
            raise PatientInputError(f"MeasurementError.sd must be a finite number >= 0; got {self.sd!r}")
        if not isinstance(self.source, Source):
            raise PatientInputError("MeasurementError.source must be a Source naming the study")


@dataclass(frozen=True)
class Misclassification:
    """Sensitivity and specificity of a two-category assay.

    Parameters
    ----------
    sensitivity, specificity : float
        Probabilities in [0, 1].
    source : Source
        Where the figures come from. Required.
    """

    sensitivity: float
    specificity: float
    source: Source

    def __post_init__(self) -> None:
        for name in ("sensitivity", "specificity"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0.0 <= v <= 1.0):
                raise PatientInputError(f"Misclassification.{name} must lie in [0, 1]; got {v!r}")
        if not isinstance(self.source, Source):
            raise PatientInputError("Misclassification.source must be a Source naming the study")


@dataclass(frozen=True)
class Assay:
    """A clinical biomarker test.

    Parameters
    ----------
    name : str
        Short id, e.g. ``"pdl1"``.
    label : str
        Plain-English name, e.g. ``"PD-L1 tumour proportion score (22C3)"``.
    analyte : str
        What is measured.
    specimen : str
        What it is measured on (tumour tissue, blood, bone marrow).
    method : str
        Technique (IHC, PCR, NGS, flow cytometry).
    source : Source
        Where the cut-offs come from.
    kind : {"continuous", "categorical"}
        A continuous assay maps a number to a category through ``cutoffs``; a
        categorical assay reads a category from text.
    units : str
        Units of a continuous value.
    value_range : (float, float)
        Allowed closed range of a continuous value.
    cutoffs : tuple of (float, str)
        Ascending thresholds; a value at or above a threshold takes its
        category (``value >= cutoff``), below the first takes ``below``.
    below : str
        Category below the first cut-off.
    categories : tuple of str
        All result categories, in order.
    synonyms : mapping of str to str
        For categorical assays: accepted spellings -> category.
    positive : str
        For two-category assays, the category that counts as positive (used by
        :class:`Misclassification`).
    error : MeasurementError or Misclassification, optional
        Cited measurement error; ``None`` means results are exact.
    """

    name: str
    label: str
    analyte: str
    specimen: str
    method: str
    source: Source
    kind: str = "continuous"
    units: str = ""
    value_range: tuple[float, float] = (0.0, math.inf)
    cutoffs: tuple[tuple[float, str], ...] = ()
    below: str = ""
    categories: tuple[str, ...] = ()
    synonyms: Mapping[str, str] = field(default_factory=dict)
    positive: str = ""
    error: MeasurementError | Misclassification | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("continuous", "categorical"):
            raise PatientInputError(f"Assay.kind must be 'continuous' or 'categorical'; got {self.kind!r}")
        if not isinstance(self.source, Source):
            raise PatientInputError(f"Assay {self.name!r}: source must be a Source")
        if self.kind == "continuous":
            th = [c for c, _ in self.cutoffs]
            if not th or th != sorted(th) or len(set(th)) != len(th):
                raise PatientInputError(
                    f"Assay {self.name!r}: cutoffs must be strictly ascending and non-empty"
                )
            cats = (self.below, *[lab for _, lab in self.cutoffs])
            if not self.categories:
                object.__setattr__(self, "categories", cats)
            if isinstance(self.error, Misclassification):
                raise PatientInputError(f"Assay {self.name!r}: a continuous assay takes a MeasurementError")
        else:
            if isinstance(self.error, MeasurementError):
                raise PatientInputError(f"Assay {self.name!r}: a categorical assay takes a Misclassification")
            if isinstance(self.error, Misclassification) and (len(self.categories) != 2 or not self.positive):
                raise PatientInputError(
                    f"Assay {self.name!r}: Misclassification needs exactly two categories and a positive one"
                )
        syn = {normalise_name(k): v for k, v in dict(self.synonyms).items()}
        for c in self.categories:
            syn.setdefault(normalise_name(c), c)
        object.__setattr__(self, "synonyms", MappingProxyType(syn))

    def with_error(self, error: MeasurementError | Misclassification | None) -> Assay:
        """A copy with a (cited) error model attached."""
        return replace(self, error=error)

    def category_of(self, value: Any) -> str:
        """The category of an exact value (a number, or text for categorical assays)."""
        return categorise(self, value)

    def describe_category(self, category: str) -> str:
        """``"high (>= 50 %)"``-style description of a category."""
        if self.kind == "categorical":
            return category
        lo = None
        hi = None
        bounds = [c for c, _ in self.cutoffs]
        labels = [self.below, *[lab for _, lab in self.cutoffs]]
        i = labels.index(category)
        lo = bounds[i - 1] if i > 0 else None
        hi = bounds[i] if i < len(bounds) else None
        u = "%" if self.units == "%" else (f" {self.units}" if self.units else "")
        if lo is None:
            return f"{category} (under {hi:g}{u})"
        if hi is None:
            return f"{category} ({lo:g}{u} or more)"
        return f"{category} ({lo:g}{u} to under {hi:g}{u})"


@dataclass(frozen=True)
class AssayResult:
    """What a test reports.

    Attributes
    ----------
    assay : str
        The assay's name.
    category : str
        The categorical result that drives eligibility.
    value : float or str
        The reported value (number for continuous assays, the category for
        categorical ones).
    true_value : float or str
        What was tested.
    exact : bool
        Whether no measurement error was applied.
    """

    assay: str
    category: str
    value: float | str
    true_value: float | str
    exact: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "assay": self.assay,
            "category": self.category,
            "value": self.value,
            "true_value": self.true_value,
            "exact": self.exact,
        }


def _as_number(assay: Assay, value: Any) -> float:
    if isinstance(value, bool):
        raise PatientInputError(f"{assay.name} must be a number in {assay.units}; got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise PatientInputError(
            f"{assay.name} must be a number ({assay.label}, {assay.units}); got {value!r}"
        ) from None
    lo, hi = assay.value_range
    if not math.isfinite(v) or not (lo <= v <= hi):
        rng = f"[{lo:g}, {hi:g}]" if math.isfinite(hi) else f">= {lo:g}"
        units = f" {assay.units}" if assay.units else ""
        raise PatientInputError(f"{assay.name} must be a finite number {rng}{units}; got {value!r}")
    return v


def categorise(assay: Assay, value: Any) -> str:
    """The category of an exact value under ``assay``'s cut-offs.

    A value exactly at a cut-off takes the upper category (``>=``), as the
    labels word it (PD-L1 TPS 50 % is "high", 49 % is "low").

    Raises
    ------
    PatientInputError
        If a number is outside the assay's range.
    UnknownNameError
        If a categorical value is not an accepted spelling.
    """
    if assay.kind == "continuous":
        v = _as_number(assay, value)
        cat = assay.below
        for cut, lab in assay.cutoffs:
            if v >= cut:
                cat = lab
        return cat
    if assay.name == "her2":
        return _her2_category(value)
    if isinstance(value, bool):
        if len(assay.categories) == 2 and assay.positive:
            neg = [c for c in assay.categories if c != assay.positive][0]
            return assay.positive if value else neg
    key = normalise_name(str(value))
    if key in assay.synonyms:
        return assay.synonyms[key]
    # the categories first, then the other spellings as typed ("-" normalises to the empty key)
    others = sorted({k or "-" for k in assay.synonyms} - set(assay.categories))
    raise UnknownNameError(f"{assay.name} result", str(value), [*assay.categories, *others])


_HER2_TOKEN = re.compile(
    r"(?P<pos2>her2[\s-]*pos(?:itive)?)|(?P<neg2>her2[\s-]*neg(?:ative)?)"
    r"|(?P<ihc>(?:ihc\s*)?(?P<score>[0-3])\s*\+?)"
    r"|(?P<ishneg>f?ish\s*(?:-|neg(?:ative)?|not[\s-]*amplified|non[\s-]*amplified)|not[\s-]*amplified"
    r"|non[\s-]*amplified)"
    r"|(?P<ishpos>f?ish\s*(?:\+|pos(?:itive)?|amplified)|amplified)"
    r"|(?P<pos>(?:her2\s*)?(?:\+|pos(?:itive)?))"
    r"|(?P<neg>(?:her2\s*)?(?:-|neg(?:ative)?))"
    r"|(?P<eqv>equivocal)"
)


def _her2_category(value: Any) -> str:
    """HER2 status from IHC score and/or ISH result (ASCO/CAP 2018 algorithm, simplified).

    Accepts ``"positive"``/``"negative"``/``"equivocal"``, an IHC score
    (``"0"``, ``"1+"``, ``"2+"``, ``"3+"``, ``"IHC 3+"``), an ISH result
    (``"ISH+"``, ``"ISH-"``, ``"amplified"``), or both (``"2+ ISH+"``,
    ``("2+", "ISH-")``). IHC 3+ is positive; otherwise an ISH result decides;
    IHC 2+ without ISH is equivocal; IHC 0 or 1+ is negative.
    """
    text = " ".join(str(v) for v in value) if isinstance(value, (tuple, list)) else str(value)
    text = text.strip().lower().replace("_", " ")
    choices = ["positive", "negative", "equivocal", "0", "1+", "2+", "3+", "ISH+", "ISH-", "2+ ISH+"]
    ihc: int | None = None
    ish: bool | None = None
    direct: str | None = None
    pos = 0
    text_len = len(text)
    while pos < text_len:
        if text[pos] in " ,;/":
            pos += 1
            continue
        m = _HER2_TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise UnknownNameError("her2 result", str(value), choices)
        if m.group("ihc"):
            ihc = int(m.group("score"))
        elif m.group("ishneg"):
            ish = False
        elif m.group("ishpos"):
            ish = True
        elif m.group("pos") or m.group("pos2"):
            direct = "positive"
        elif m.group("neg") or m.group("neg2"):
            direct = "negative"
        else:
            direct = "equivocal"
        pos = m.end()
    if ihc is None and ish is None:
        if direct is None:
            raise UnknownNameError("her2 result", str(value), choices)
        return direct
    if ihc == 3:
        return "positive"
    if ish is not None:
        return "positive" if ish else "negative"
    return {0: "negative", 1: "negative", 2: "equivocal"}[ihc]  # type: ignore[index]


def test(assay: Assay | str, true_value: Any, rng: np.random.Generator | None = None) -> AssayResult:
    """Run ``assay`` on a patient's true value and report the result.

    Parameters
    ----------
    assay : Assay or str
        An :class:`Assay` or the name of a built-in one (``"pdl1"``, ...).
    true_value : float, str or bool
        The patient's true value: a number for continuous assays, a category
        (or accepted spelling) for categorical ones.
    rng : numpy.random.Generator, optional
        Randomness for the assay's error model. Without an error model the
        result is exact and ``rng`` is ignored (with a warning).

    Returns
    -------
    AssayResult
        ``category`` is the result that eligibility uses.

    Examples
    --------
    >>> test("pdl1", 50).category
    'high'
    >>> test("pdl1", 49).category
    'low'
    """
    a = get_assay(assay) if isinstance(assay, str) else assay
    if not isinstance(a, Assay):
        raise PatientInputError(f"assay must be an Assay or a built-in name; got {assay!r}")
    true_cat = categorise(a, true_value)
    true_v: float | str = _as_number(a, true_value) if a.kind == "continuous" else true_cat
    if a.error is None:
        if rng is not None:
            warnings.warn(
                f"rng ignored: assay {a.name!r} has no cited error model, so the result is exact; "
                f"attach one with Assay.with_error(...) to simulate measurement error",
                UserWarning,
                stacklevel=2,
            )
        return AssayResult(a.name, true_cat, true_v, true_v, exact=True)
    if rng is None:
        raise PatientInputError(
            f"assay {a.name!r} has an error model; pass rng=numpy.random.default_rng(seed) to test()"
        )
    if isinstance(a.error, MeasurementError):
        v = float(true_v)  # type: ignore[arg-type]
        sd = a.error.sd * abs(v) if a.error.relative else a.error.sd
        lo, hi = a.value_range
        measured = float(min(max(v + rng.normal(0.0, sd), lo), hi))
        return AssayResult(a.name, categorise(a, measured), measured, v, exact=False)
    err = a.error
    neg = [c for c in a.categories if c != a.positive][0]
    u = rng.random()
    if true_cat == a.positive:
        cat = a.positive if u < err.sensitivity else neg
    else:
        cat = neg if u < err.specificity else a.positive
    return AssayResult(a.name, cat, cat, true_cat, exact=False)


test.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


_KEYTRUDA = "FDA label KEYTRUDA (pembrolizumab)"

ASSAYS: Mapping[str, Assay] = MappingProxyType(
    {
        a.name: a
        for a in (
            Assay(
                name="pdl1",
                label="PD-L1 tumour proportion score (22C3)",
                analyte="PD-L1 protein on the membrane of viable tumour cells",
                specimen="formalin-fixed tumour tissue (biopsy or resection)",
                method="immunohistochemistry (22C3 pharmDx); score = % of viable tumour cells stained",
                units="%",
                value_range=(0.0, 100.0),
                cutoffs=((1.0, "low"), (50.0, "high")),
                below="negative",
                source=Source(
                    _KEYTRUDA,
                    location="Indications (NSCLC): TPS >= 1 % and >= 50 %",
                    note="NICE TA531 uses the same >= 50 % cut-off; the US added TPS >= 1 % on 2019-04-11",
                ),
            ),
            Assay(
                name="msi",
                label="microsatellite instability / mismatch repair",
                analyte="microsatellite length changes (PCR/NGS) or loss of MMR proteins (IHC)",
                specimen="formalin-fixed tumour tissue",
                method="MSI PCR or NGS, or IHC for MLH1, MSH2, MSH6, PMS2",
                kind="categorical",
                categories=("msi-high", "stable"),
                positive="msi-high",
                synonyms={
                    "high": "msi-high",
                    "msi-h": "msi-high",
                    "msih": "msi-high",
                    "msi high": "msi-high",
                    "dmmr": "msi-high",
                    "mmr-deficient": "msi-high",
                    "deficient": "msi-high",
                    "mss": "stable",
                    "msi-stable": "stable",
                    "microsatellite stable": "stable",
                    "msi-l": "stable",
                    "msi-low": "stable",
                    "low": "stable",
                    "pmmr": "stable",
                    "mmr-proficient": "stable",
                    "proficient": "stable",
                },
                source=Source(
                    "NICE TA709 (2021-06); " + _KEYTRUDA,
                    location="recommendation 1.1 / Indications (MSI-H or dMMR colorectal cancer)",
                    note="MSI-L is grouped with microsatellite-stable disease, as in the trials",
                ),
            ),
            Assay(
                name="tmb",
                label="tumour mutational burden",
                analyte="somatic coding mutations per megabase of sequenced genome",
                specimen="formalin-fixed tumour tissue",
                method="targeted next-generation sequencing (FoundationOne CDx in the US label)",
                units="mut/Mb",
                value_range=(0.0, math.inf),
                cutoffs=((10.0, "high"),),
                below="low",
                source=Source(
                    _KEYTRUDA, location="Indications: TMB-H >= 10 mut/Mb (accelerated approval 2020-06-16)"
                ),
            ),
            Assay(
                name="her2",
                label="HER2 status (IHC with reflex ISH)",
                analyte="HER2 protein (IHC 0 to 3+) and ERBB2 gene amplification (ISH)",
                specimen="formalin-fixed breast tumour tissue",
                method="IHC, with in-situ hybridisation for IHC 2+",
                kind="categorical",
                categories=("positive", "equivocal", "negative"),
                source=Source(
                    "Wolff AC et al. 2018, J Clin Oncol 36:2105 (ASCO/CAP HER2 testing update)",
                    doi="10.1200/JCO.2018.77.8738",
                    note="positive = IHC 3+ or ISH-amplified; IHC 2+ needs ISH; ISH groups 2-4 simplified",
                ),
            ),
            Assay(
                name="cd19",
                label="CD19 on malignant B cells",
                analyte="CD19 antigen",
                specimen="blood or bone marrow (leukaemia); lymph node biopsy (lymphoma)",
                method="flow cytometry or immunohistochemistry",
                kind="categorical",
                categories=("positive", "negative"),
                positive="positive",
                synonyms={"+": "positive", "pos": "positive", "-": "negative", "neg": "negative"},
                source=Source(
                    "FDA label KYMRIAH (tisagenlecleucel); NICE TA975",
                    note="CAR-T products target CD19; the indications do not set a numeric cut-off",
                ),
            ),
            Assay(
                name="cd20",
                label="CD20 on malignant B cells",
                analyte="CD20 antigen",
                specimen="lymph node or other tumour biopsy",
                method="immunohistochemistry or flow cytometry",
                kind="categorical",
                categories=("positive", "negative"),
                positive="positive",
                synonyms={"+": "positive", "pos": "positive", "-": "negative", "neg": "negative"},
                source=Source(
                    "NICE TA65 (CD20-positive DLBCL); FDA label RITUXAN (CD20-positive B-cell NHL)"
                ),
            ),
            Assay(
                name="cps",
                label="PD-L1 combined positive score (CPS, 22C3)",
                analyte="PD-L1 on tumour cells, lymphocytes and macrophages, per 100 viable tumour cells",
                specimen="formalin-fixed tumour tissue",
                method="immunohistochemistry (22C3 pharmDx); CPS = stained cells / viable tumour cells x 100 "
                "(28-8 pharmDx CPS for nivolumab in gastric cancer)",
                units="",
                value_range=(0.0, 100.0),
                cutoffs=((1.0, "1-to-4"), (5.0, "5-to-9"), (10.0, "10-or-more")),
                below="under-1",
                source=Source(
                    _KEYTRUDA,
                    location="Indications: CPS >= 1 (head and neck, cervical, gastric, oesophageal), "
                    "CPS >= 10 (triple-negative breast cancer)",
                    note="CPS >= 5 is the NICE TA857 cut-off for nivolumab in gastric cancer (28-8 assay); CPS is "
                    "capped at 100",
                ),
            ),
            Assay(
                name="pdl1_ic",
                label="PD-L1 on tumour-infiltrating immune cells (SP142 IC)",
                analyte="PD-L1 on immune cells, as % of tumour area",
                specimen="formalin-fixed tumour tissue",
                method="immunohistochemistry (VENTANA PD-L1 SP142)",
                units="%",
                value_range=(0.0, 100.0),
                cutoffs=((1.0, "1-to-4"), (5.0, "5-to-9"), (10.0, "10-or-more")),
                below="under-1",
                source=Source(
                    "FDA label TECENTRIQ (atezolizumab); NICE TA639, TA739",
                    location="IC >= 10 % (NSCLC first line, with TC >= 50 % as the alternative); IC >= 5 % "
                    "(urothelial cancer first line when cisplatin is unsuitable, NICE TA739); IC >= 1 % "
                    "(triple-negative breast cancer, NICE TA639)",
                ),
            ),
            Assay(
                name="pdl1_sp142",
                label="PD-L1 SP142 TC/IC score (atezolizumab)",
                analyte="PD-L1 on tumour cells (TC, % of tumour cells) and on tumour-infiltrating immune cells "
                "(IC, % of tumour area)",
                specimen="formalin-fixed tumour tissue",
                method="immunohistochemistry (VENTANA PD-L1 SP142); reported as the higher of the TC and IC "
                "levels: TC3 >= 50 % or IC3 >= 10 %; TC2 5-49 % or IC2 5-9 %; TC1 1-4 % or IC1 1-4 %; "
                "TC0 and IC0 < 1 %",
                kind="categorical",
                categories=("TC0/IC0", "TC1/IC1", "TC2/IC2", "TC3/IC3"),
                synonyms={
                    "tc0-and-ic0": "TC0/IC0", "tc0ic0": "TC0/IC0", "negative": "TC0/IC0",
                    "tc1-or-ic1": "TC1/IC1", "tc1ic1": "TC1/IC1",
                    "tc2-or-ic2": "TC2/IC2", "tc2ic2": "TC2/IC2",
                    "tc3-or-ic3": "TC3/IC3", "tc3ic3": "TC3/IC3",
                },
                source=Source(
                    "Rittmeyer A et al. (2017) Lancet 389:255-265 (OAK)",
                    doi="10.1016/S0140-6736(16)32517-X",
                    location="Methods and Table 1: SP142 TC/IC subgroups (TC3 or IC3; TC2/3 or IC2/3; "
                    "TC1/2/3 or IC1/2/3; TC0 and IC0)",
                    note="the virtual patient's true level is drawn by "
                    "oncoimmune.patients.virtual.SP142Relation (from the 22C3 TPS and a latent immune-cell "
                    "component)",
                ),
            ),
            Assay(
                name="bcma",
                label="BCMA on myeloma cells",
                analyte="B-cell maturation antigen",
                specimen="bone marrow",
                method="flow cytometry or immunohistochemistry",
                kind="categorical",
                categories=("positive", "negative"),
                positive="positive",
                synonyms={"+": "positive", "pos": "positive", "-": "negative", "neg": "negative"},
                source=Source(
                    "FDA labels ABECMA, CARVYKTI, TECVAYLI, ELREXFIO",
                    note="BCMA-directed products need no BCMA test before treatment; expression is near-universal "
                    "on myeloma cells, so it is assumed for myeloma",
                ),
            ),
            Assay(
                name="jak2",
                label="JAK2 V617F allele burden",
                analyte="JAK2 V617F variant allele fraction",
                specimen="peripheral blood",
                method="allele-specific quantitative PCR or digital PCR",
                units="%",
                value_range=(0.0, 100.0),
                cutoffs=((1.0, "detected"), (50.0, "detected-high")),
                below="not-detected",
                source=Source(
                    "Arber DA et al. 2016, Blood 127:2391 (WHO 2016 myeloid neoplasms)",
                    doi="10.1182/blood-2016-03-643544",
                    location="PV and ET diagnostic criteria: JAK2 mutation as a major criterion",
                    note=(
                        "the 1 % detection cut-off is an assumed typical limit of detection, not from "
                        "the source (laboratories report their own); >= 50 % marks a high, "
                        "homozygous-range burden"
                    ),
                ),
            ),
        )
    }
)

_ASSAY_ALIASES = {
    "pd-l1": "pdl1",
    "pdl1-22c3": "pdl1",
    "22c3": "pdl1",
    "tps": "pdl1",
    "mmr": "msi",
    "dmmr": "msi",
    "msi-mmr": "msi",
    "tumour-mutational-burden": "tmb",
    "tumor-mutational-burden": "tmb",
    "erbb2": "her2",
    "jak2-v617f": "jak2",
    "combined-positive-score": "cps",
    "pd-l1-cps": "cps",
    "sp142": "pdl1_sp142",
    "pdl1-sp142": "pdl1_sp142",
    "sp142-tc-ic": "pdl1_sp142",
    "tc-ic": "pdl1_sp142",
    "sp142-ic": "pdl1_ic",
    "pdl1-ic": "pdl1_ic",
}


def get_assay(name: str) -> Assay:
    """A built-in assay by name.

    Names: ``"pdl1"``, ``"msi"``, ``"tmb"``, ``"her2"``, ``"cd19"``, ``"cd20"``, ``"jak2"``
    (and aliases such as ``"PD-L1"``, ``"dMMR"``, ``"JAK2 V617F"``).

    Raises
    ------
    UnknownNameError
        If the name is not known; the message lists the valid names.
    """
    key = normalise_name(name)
    key = _ASSAY_ALIASES.get(key, key)
    if key in ASSAYS:
        return ASSAYS[key]
    raise UnknownNameError("assay", name, tuple(ASSAYS))
