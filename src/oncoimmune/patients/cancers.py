"""Cancer types, their accepted names and their stage vocabularies.

Every cancer has one canonical id (``"nsclc"``, ``"melanoma"``, ...) and a set
of accepted aliases and abbreviations (``"non-small-cell lung cancer"``,
``"dlbcl"``, ``"polycythemia vera"``). :func:`resolve_cancer` turns any of
them into a :class:`CancerType`; an unknown name raises
:class:`~oncoimmune.UnknownNameError` listing the valid ids.

Stages form a small tree per cancer (``"IIIB"`` lies under ``"III"``,
``"IV-M1a"`` under ``"IV"``), so a table row may say ``"III"`` and cover every
stage-III sub-stage, and a patient described only as ``"III"`` can be told that
an option needs a finer sub-stage. :meth:`CancerType.resolve_stage` accepts the
usual spellings: ``"stage 3b"``, ``"IIIb"``, ``"IV M1a"``, ``"4"``.

Blood cancers handled here (B-cell ALL, polycythaemia vera, essential
thrombocythaemia) have no stage vocabulary; lymphomas use Ann Arbor stages.

References
----------
.. [1] Amin MB et al. (eds), *AJCC Cancer Staging Manual*, 8th edn, Springer 2017
   (TNM stage groups for lung, melanoma, kidney, breast, colorectum).
.. [2] Cheson BD et al. 2014, "Recommendations for initial evaluation, staging,
   and response assessment of Hodgkin and non-Hodgkin lymphoma: the Lugano
   classification", *J Clin Oncol* 32:3059 (Ann Arbor stages I-IV).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .._errors import PatientInputError, UnknownNameError

__all__ = [
    "PatientInputError",
    "CancerType",
    "CANCERS",
    "cancer_ids",
    "resolve_cancer",
    "normalise_name",
]


_ROMAN = {"0": "0", "1": "I", "2": "II", "3": "III", "4": "IV"}


def normalise_name(name: str) -> str:
    """Lower-case a free-text name and join its words with hyphens.

    ``"Polycythemia  Vera"`` -> ``"polycythemia-vera"``; ``"b_all"`` -> ``"b-all"``.
    """
    s = str(name).strip().lower()
    s = s.replace("_", "-").replace("\u2013", "-").replace("\u2014", "-")
    s = re.sub(r"[\s/]+", "-", s)
    s = re.sub(r"-{2,}", "-", s)
    return s.strip("-")


def _stage_key(text: str) -> str:
    """Comparison key for a stage: upper case, no 'STAGE', spaces or hyphens, roman numerals."""
    s = str(text).strip().upper()
    s = re.sub(r"^STAGE", "", s).strip()
    s = re.sub(r"[\s\-_.]", "", s)
    m = re.match(r"^([0-4])(.*)$", s)
    if m:
        s = _ROMAN[m.group(1)] + m.group(2)
    return s


@dataclass(frozen=True)
class CancerType:
    """A cancer type with its names and stage vocabulary.

    Parameters
    ----------
    id : str
        Canonical id, lower case, e.g. ``"nsclc"``.
    name : str
        Plain-English name, e.g. ``"non-small-cell lung cancer"``.
    aliases : tuple of str
        Other accepted names and abbreviations (matched after
        :func:`normalise_name`).
    category : {"solid", "blood"}
        Solid tumour or blood cancer; the treatment *setting* (advanced or
        adjuvant) only applies to solid tumours.
    staging : str
        The staging system the vocabulary follows, e.g. ``"AJCC 8th edition"``.
    stages : mapping of str to str or None
        Each stage and its parent stage (``None`` for a top-level stage), in
        order from earliest to latest. Empty for cancers without staging.
    metastatic_stages : tuple of str
        Top-level stages that mean distant spread (stage IV), used to infer
        the advanced setting when none is given.
    assumed_markers : mapping of str to str
        Biomarker results that hold by definition or almost always for this
        cancer (e.g. HER2-positive breast cancer is HER2 positive; follicular
        lymphoma is CD20 positive). They are used, and reported as
        assumptions, when no test result is given.
    implied_markers : tuple of str
        The subset of ``assumed_markers`` that hold *by definition*, so a
        contradicting test result is refused.
    """

    id: str
    name: str
    aliases: tuple[str, ...]
    category: str
    staging: str = ""
    stages: Mapping[str, str | None] = field(default_factory=dict)
    metastatic_stages: tuple[str, ...] = ()
    assumed_markers: Mapping[str, str] = field(default_factory=dict)
    implied_markers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.category not in ("solid", "blood"):
            raise ValueError(f"CancerType.category must be 'solid' or 'blood'; got {self.category!r}")
        stages = dict(self.stages)
        for s, parent in stages.items():
            if parent is not None and parent not in stages:
                raise ValueError(f"CancerType {self.id!r}: stage {s!r} has unknown parent {parent!r}")
        for s in self.metastatic_stages:
            if s not in stages:
                raise ValueError(f"CancerType {self.id!r}: metastatic stage {s!r} is not a stage")
        for m in self.implied_markers:
            if m not in self.assumed_markers:
                raise ValueError(f"CancerType {self.id!r}: implied marker {m!r} has no assumed value")
        object.__setattr__(self, "stages", MappingProxyType(stages))
        object.__setattr__(self, "assumed_markers", MappingProxyType(dict(self.assumed_markers)))
        object.__setattr__(self, "aliases", tuple(normalise_name(a) for a in self.aliases))
        object.__setattr__(self, "_keys", MappingProxyType({_stage_key(s): s for s in stages}))

    # -- stages -----------------------------------------------------------------
    @property
    def has_stages(self) -> bool:
        """Whether this cancer has a stage vocabulary."""
        return bool(self.stages)

    def resolve_stage(self, stage: str) -> str:
        """The canonical spelling of ``stage``.

        Raises
        ------
        UnknownNameError
            If the stage is not in this cancer's vocabulary (the message lists
            the valid stages), or the cancer has no stages at all.
        """
        if not self.has_stages:
            raise UnknownNameError(
                f"stage for {self.id} (this cancer is not staged here; leave the stage out)",
                str(stage),
                ["(none)"],
            )
        key = _stage_key(stage)
        if key in self._keys:  # type: ignore[attr-defined]
            return self._keys[key]  # type: ignore[attr-defined]
        # "M1a" alone for melanoma means stage IV-M1a
        if "IV" + key in self._keys:  # type: ignore[attr-defined]
            return self._keys["IV" + key]  # type: ignore[attr-defined]
        raise UnknownNameError(f"stage for {self.id} ({self.staging})", str(stage), list(self.stages))

    def ancestors(self, stage: str) -> tuple[str, ...]:
        """``stage`` and every stage above it, nearest first."""
        out = []
        s: str | None = stage
        while s is not None:
            out.append(s)
            s = self.stages[s]
        return tuple(out)

    def descendants(self, stage: str) -> tuple[str, ...]:
        """Every stage below ``stage`` (not including it)."""
        return tuple(s for s in self.stages if s != stage and stage in self.ancestors(s))

    def is_metastatic(self, stage: str) -> bool:
        """Whether ``stage`` means distant spread (lies under a metastatic stage)."""
        return any(a in self.metastatic_stages for a in self.ancestors(stage))

    def describe(self) -> str:
        """One line: name, id, aliases and stages."""
        st = ", ".join(self.stages) if self.stages else "not staged here"
        return (
            f"{self.name} [{self.id}]; also: {', '.join(self.aliases)}; stages ({self.staging or '-'}): {st}"
        )


def _tnm(*groups: tuple[str, tuple[str, ...]]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for top, subs in groups:
        out[top] = None
        for s in subs:
            out[s] = top
    return out


_ANN_ARBOR = _tnm(("I", ()), ("II", ()), ("III", ()), ("IV", ()))

CANCERS: Mapping[str, CancerType] = MappingProxyType(
    {
        c.id: c
        for c in (
            CancerType(
                id="nsclc",
                name="non-small-cell lung cancer",
                aliases=(
                    "non-small-cell lung cancer",
                    "non small cell lung cancer",
                    "non-small-cell-lung-cancer",
                    "nsclc-lung",
                    "lung-nsclc",
                ),
                category="solid",
                staging="AJCC 8th edition",
                stages=_tnm(
                    ("0", ()),
                    ("I", ("IA", "IB")),
                    ("II", ("IIA", "IIB")),
                    ("III", ("IIIA", "IIIB", "IIIC")),
                    ("IV", ("IVA", "IVB")),
                ),
                metastatic_stages=("IV",),
            ),
            CancerType(
                id="melanoma",
                name="melanoma (skin)",
                aliases=("cutaneous melanoma", "skin melanoma", "malignant melanoma", "mel"),
                category="solid",
                staging="AJCC 8th edition",
                stages=_tnm(
                    ("0", ()),
                    ("I", ("IA", "IB")),
                    ("II", ("IIA", "IIB", "IIC")),
                    ("III", ("IIIA", "IIIB", "IIIC", "IIID")),
                    ("IV", ("IV-M1a", "IV-M1b", "IV-M1c", "IV-M1d")),
                ),
                metastatic_stages=("IV",),
            ),
            CancerType(
                id="rcc",
                name="renal cell carcinoma (kidney cancer)",
                aliases=("renal cell carcinoma", "renal-cell-carcinoma", "kidney cancer", "renal cancer"),
                category="solid",
                staging="AJCC 8th edition",
                stages=_tnm(("I", ()), ("II", ()), ("III", ()), ("IV", ())),
                metastatic_stages=("IV",),
            ),
            CancerType(
                id="her2-breast",
                name="HER2-positive breast cancer",
                aliases=(
                    "her2-positive breast cancer",
                    "her2-positive-breast",
                    "her2+ breast",
                    "her2+-breast-cancer",
                    "breast-her2",
                    "her2-breast-cancer",
                ),
                category="solid",
                staging="AJCC 8th edition (anatomic stage groups)",
                stages=_tnm(
                    ("0", ()),
                    ("I", ("IA", "IB")),
                    ("II", ("IIA", "IIB")),
                    ("III", ("IIIA", "IIIB", "IIIC")),
                    ("IV", ()),
                ),
                metastatic_stages=("IV",),
                assumed_markers={"her2": "positive"},
                implied_markers=("her2",),
            ),
            CancerType(
                id="crc",
                name="colorectal (bowel) cancer",
                aliases=(
                    "colorectal cancer",
                    "colorectal",
                    "bowel cancer",
                    "colon cancer",
                    "rectal cancer",
                    "msi-high colorectal cancer",
                    "msi-h crc",
                    "msi-h-colorectal",
                ),
                category="solid",
                staging="AJCC 8th edition",
                stages=_tnm(
                    ("0", ()),
                    ("I", ()),
                    ("II", ("IIA", "IIB", "IIC")),
                    ("III", ("IIIA", "IIIB", "IIIC")),
                    ("IV", ("IVA", "IVB", "IVC")),
                ),
                metastatic_stages=("IV",),
            ),
            CancerType(
                id="fl",
                name="follicular lymphoma",
                aliases=("follicular lymphoma", "follicular non-hodgkin lymphoma", "follicular nhl"),
                category="blood",
                staging="Ann Arbor (Lugano 2014)",
                stages=_ANN_ARBOR,
                assumed_markers={"cd20": "positive", "cd19": "positive"},
            ),
            CancerType(
                id="lbcl",
                name="large B-cell lymphoma (including diffuse large B-cell lymphoma)",
                aliases=(
                    "dlbcl",
                    "diffuse large b-cell lymphoma",
                    "large b-cell lymphoma",
                    "diffuse-large-b-cell-lymphoma",
                ),
                category="blood",
                staging="Ann Arbor (Lugano 2014)",
                stages=_ANN_ARBOR,
                assumed_markers={"cd20": "positive", "cd19": "positive"},
            ),
            CancerType(
                id="b-all",
                name="B-cell acute lymphoblastic leukaemia",
                aliases=(
                    "ball",
                    "b-cell all",
                    "b-cell acute lymphoblastic leukaemia",
                    "b-cell acute lymphoblastic leukemia",
                    "b-cell precursor acute lymphoblastic leukemia",
                    "paediatric b-all",
                    "pediatric b-all",
                    "b-precursor-all",
                ),
                category="blood",
                assumed_markers={"cd19": "positive"},
            ),
            CancerType(
                id="pv",
                name="polycythaemia vera",
                aliases=("polycythaemia-vera", "polycythemia-vera", "polycythaemia rubra vera"),
                category="blood",
            ),
            CancerType(
                id="et",
                name="essential thrombocythaemia",
                aliases=(
                    "essential-thrombocythaemia",
                    "essential-thrombocythemia",
                    "essential thrombocytosis",
                ),
                category="blood",
            ),
        )
    }
)

_ALIASES: Mapping[str, str] = MappingProxyType(
    {**{a: c.id for c in CANCERS.values() for a in c.aliases}, **{c.id: c.id for c in CANCERS.values()}}
)


def cancer_ids() -> tuple[str, ...]:
    """The canonical cancer ids, in table order."""
    return tuple(CANCERS)


def resolve_cancer(name: str | CancerType) -> CancerType:
    """The :class:`CancerType` for a canonical id or an accepted alias.

    Parameters
    ----------
    name : str or CancerType
        ``"nsclc"``, ``"DLBCL"``, ``"Polycythemia vera"``, ...

    Raises
    ------
    UnknownNameError
        If the name is not known; the message lists the canonical ids.

    Examples
    --------
    >>> resolve_cancer("polycythemia vera").id
    'pv'
    >>> resolve_cancer("DLBCL").id
    'lbcl'
    """
    if isinstance(name, CancerType):
        return name
    if not isinstance(name, str) or not name.strip():
        raise UnknownNameError("cancer type", repr(name), cancer_ids())
    key = normalise_name(name)
    if key in _ALIASES:
        return CANCERS[_ALIASES[key]]
    raise UnknownNameError("cancer type", name, cancer_ids())
