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

The cancer types live in ``data/cancers.toml`` (see the comments at its top),
read and validated at import. Each carries the names people use for it
("kidney cancer", "throat cancer") besides clinical aliases, and, where
indications depend on it, a histology vocabulary (squamous / non-squamous
NSCLC, squamous / adenocarcinoma oesophageal cancer).
:func:`list_cancers` prints them all (``oncoimmune eligible --cancer list``).
A name that could mean several types ("lung cancer", "lymphoma") raises
:class:`AmbiguousCancerError` naming the candidates.

Blood cancers other than lymphomas have no stage vocabulary here; lymphomas use
Ann Arbor stages.

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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

from .._errors import PatientInputError, SpecFileError, UnknownNameError

__all__ = [
    "PatientInputError",
    "CancerType",
    "CANCERS",
    "cancer_ids",
    "resolve_cancer",
    "normalise_name",
    "list_cancers",
    "AMBIGUOUS",
    "AmbiguousCancerError",
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
    patient_names: tuple[str, ...] = ()
    histologies: tuple[str, ...] = ()
    histology_aliases: Mapping[str, str] = field(default_factory=dict)

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
        object.__setattr__(self, "aliases", tuple(dict.fromkeys(normalise_name(a) for a in self.aliases)))
        object.__setattr__(
            self, "patient_names", tuple(dict.fromkeys(normalise_name(a) for a in self.patient_names))
        )
        object.__setattr__(self, "histologies", tuple(self.histologies))
        h_alias = {normalise_name(k): v for k, v in dict(self.histology_aliases).items()}
        for h in self.histologies:
            h_alias.setdefault(normalise_name(h), h)
        for k, v in h_alias.items():
            if v not in self.histologies:
                raise ValueError(f"CancerType {self.id!r}: histology alias {k!r} -> {v!r} is not a histology")
        object.__setattr__(self, "histology_aliases", MappingProxyType(h_alias))
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

    def resolve_histology(self, histology: str) -> str:
        """The canonical histology for a spelling (``"adenocarcinoma"`` -> ``"non-squamous"`` for NSCLC).

        Raises
        ------
        PatientInputError
            If this cancer has no histology vocabulary.
        UnknownNameError
            If the spelling is not known; the message lists the histologies.
        """
        if not self.histologies:
            raise PatientInputError(
                f"histology is not used for {self.name} [{self.id}]; got histology={histology!r}; leave it out"
            )
        key = normalise_name(str(histology))
        if key in self.histology_aliases:
            return self.histology_aliases[key]
        raise UnknownNameError(f"histology for {self.id}", str(histology), self.histologies)

    def describe(self) -> str:
        """One line: name, id, aliases and stages."""
        st = ", ".join(self.stages) if self.stages else "not staged here"
        return (
            f"{self.name} [{self.id}]; also: {', '.join(self.aliases)}; stages ({self.staging or '-'}): {st}"
        )


def _str_tuple(where: str, name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(
        isinstance(v, str) for v in value
    ):
        raise SpecFileError(f"{where}: {name} must be a list of strings; got {value!r}")
    return tuple(value)


_CANCER_FIELDS = {
    "id", "name", "aliases", "patient_names", "category", "staging", "stages", "substages",
    "metastatic_stages", "histologies", "histology_aliases", "assumed_markers", "implied_markers",
}  # fmt: skip


def _cancer_from_dict(row: Mapping[str, Any]) -> CancerType:
    cid = row.get("id", "?")
    where = f"cancer {cid!r}"
    extra = set(row) - _CANCER_FIELDS
    if extra:
        raise SpecFileError(
            f"{where}: unknown field(s) {', '.join(sorted(extra))}; valid: {', '.join(sorted(_CANCER_FIELDS))}"
        )
    for req in ("id", "name", "category"):
        if not isinstance(row.get(req), str) or not row[req].strip():
            raise SpecFileError(f"{where}: {req} must be non-empty text")
    top = _str_tuple(where, "stages", row.get("stages", ()))
    subs = dict(row.get("substages", {}))
    stages: dict[str, str | None] = {}
    for s in top:
        stages[s] = None
        for sub in _str_tuple(where, f"substages.{s}", subs.pop(s, ())):
            stages[sub] = s
    if subs:
        raise SpecFileError(f"{where}: substages given for unknown stage(s) {', '.join(subs)}; stages: {list(top)}")
    histologies = _str_tuple(where, "histologies", row.get("histologies", ()))
    h_alias = dict(row.get("histology_aliases", {}))
    for k, v in h_alias.items():
        if v not in histologies:
            raise SpecFileError(f"{where}: histology alias {k!r} -> {v!r} is not one of {list(histologies)}")
    try:
        return CancerType(
            id=row["id"],
            name=row["name"],
            aliases=_str_tuple(where, "aliases", row.get("aliases", ())),
            category=row["category"],
            staging=row.get("staging", ""),
            stages=stages,
            metastatic_stages=_str_tuple(where, "metastatic_stages", row.get("metastatic_stages", ())),
            assumed_markers=dict(row.get("assumed_markers", {})),
            implied_markers=_str_tuple(where, "implied_markers", row.get("implied_markers", ())),
            patient_names=_str_tuple(where, "patient_names", row.get("patient_names", ())),
            histologies=histologies,
            histology_aliases=h_alias,
        )
    except ValueError as e:
        raise SpecFileError(f"{where}: {e}") from None


def _load_cancers() -> tuple[dict[str, CancerType], dict[str, tuple[str, ...]]]:
    ref = resources.files("oncoimmune.patients").joinpath("data/cancers.toml")
    with ref.open("rb") as fh:
        data = tomllib.load(fh)
    out: dict[str, CancerType] = {}
    for row in data.get("cancer", []):
        c = _cancer_from_dict(row)
        if c.id in out:
            raise SpecFileError(f"data/cancers.toml: cancer id {c.id!r} appears twice")
        out[c.id] = c
    amb: dict[str, tuple[str, ...]] = {}
    for name, ids in dict(data.get("ambiguous", {})).items():
        bad = [i for i in ids if i not in out]
        if bad:
            raise SpecFileError(f"data/cancers.toml: [ambiguous] {name!r} names unknown cancer id(s) {bad}")
        amb[normalise_name(name)] = tuple(ids)
    return out, amb


_LOADED, _AMBIGUOUS_RAW = _load_cancers()
CANCERS: Mapping[str, CancerType] = MappingProxyType(_LOADED)

_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        **{a: c.id for c in CANCERS.values() for a in (*c.aliases, *c.patient_names)},
        **{c.id: c.id for c in CANCERS.values()},
    }
)
#: Names that could mean several cancer types ("lung cancer"): name -> candidate ids.
AMBIGUOUS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {k: v for k, v in _AMBIGUOUS_RAW.items() if k not in _ALIASES}
)


class AmbiguousCancerError(UnknownNameError):
    """A cancer name that could mean several types; the message lists them with their names."""

    def __init__(self, name: str, ids: tuple[str, ...]):
        super().__init__("cancer type", name, ids)
        opts = "; ".join(f"{i} ({CANCERS[i].name})" for i in ids)
        self.args = (f"cancer type {name!r} could mean several types; choose one of: {opts}",)


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
        raise UnknownNameError("cancer type", repr(name), cancer_ids(), show=len(cancer_ids()))
    key = normalise_name(name)
    if key in _ALIASES:
        return CANCERS[_ALIASES[key]]
    if key in AMBIGUOUS:
        raise AmbiguousCancerError(name, AMBIGUOUS[key])
    raise UnknownNameError("cancer type", name, cancer_ids(), show=len(cancer_ids()))


def list_cancers() -> str:
    """Every cancer type, one block each: id, name, the names people use, aliases, stages, histologies.

    This is what ``oncoimmune eligible --cancer list`` prints.
    """
    out = []
    for c in CANCERS.values():
        out.append(f"{c.id}: {c.name} ({c.category})")
        if c.patient_names:
            out.append(f"    also called: {', '.join(n.replace('-', ' ') for n in c.patient_names)}")
        if c.aliases:
            out.append(f"    aliases: {', '.join(c.aliases)}")
        if c.stages:
            out.append(f"    stages ({c.staging}): {', '.join(c.stages)}")
        if c.histologies:
            out.append(f"    histology: {', '.join(c.histologies)}")
    if AMBIGUOUS:
        out.append("")
        out.append("Names that could mean several types (you will be asked which):")
        for k, ids in AMBIGUOUS.items():
            out.append(f"    {k.replace('-', ' ')}: {', '.join(ids)}")
    return "\n".join(out)
