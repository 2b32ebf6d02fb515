"""The indication table: approved and recommended uses, each with its source and date.

Rows live in ``data/indications.toml`` (see the comments at its top for the
fields). :func:`load_indications` reads the file with :mod:`tomllib` and
validates every row when it is built (:class:`Indication`), so an unknown
drug, cancer, stage, biomarker category or a missing source is refused with
the row id and the field named.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._errors import SpecFileError, UnknownNameError
from .biomarkers import ASSAYS
from .cancers import CANCERS, normalise_name, resolve_cancer
from .drugs import DRUGS, TREATMENTS, resolve_drug

__all__ = [
    "ALL_SOLID",
    "REGIONS",
    "source_problems",
    "counts_markdown",
    "coverage_markdown",
    "smc_markdown",
    "SETTINGS",
    "ACCESS",
    "Indication",
    "IndicationTable",
    "load_indications",
    "indication_table_markdown",
]

REGIONS: Mapping[str, str] = MappingProxyType({"uk": "UK (NICE / MHRA)", "us": "US (FDA)"})
_REGION_ALIASES = {
    "uk": "uk",
    "gb": "uk",
    "united-kingdom": "uk",
    "england": "uk",
    "nice": "uk",
    "us": "us",
    "usa": "us",
    "united-states": "us",
    "fda": "us",
}

SETTINGS: Mapping[str, str] = MappingProxyType(
    {
        "advanced": "advanced disease (cannot be removed by surgery, or has spread)",
        "adjuvant": "treatment after the cancer has been completely removed by surgery (adjuvant)",
        "neoadjuvant": "treatment before planned surgery for a cancer that can be removed (neoadjuvant or "
        "perioperative)",
        "any": "any setting",
    }
)
ACCESS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "routine": ("uk", "recommended by NICE for routine NHS use"),
        "managed-access": ("uk", "recommended by NICE for use within the Cancer Drugs Fund (managed access)"),
        "licensed-only": (
            "uk",
            "licensed in the UK, but not recommended by NICE or routinely funded on the NHS",
        ),
        "off-label": (
            "uk",
            "not licensed for this use; specialists may use it off-label following professional guidelines",
        ),
        "approved": ("us", "approved by the FDA"),
        "accelerated": ("us", "FDA accelerated approval (continued approval depends on confirmatory trials)"),
        "status-unconfirmed": ("us", "approval status could not be confirmed"),
    }
)

# -- the indication table -------------------------------------------------------

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_FIELDS = {
    "id", "region", "drugs", "regimen", "cancers", "setting", "stages", "line",
    "min_prior_lines", "max_prior_lines", "histology", "biomarkers", "min_age", "max_age",
    "requires_prior", "excludes_prior", "conditions", "access", "source", "date",
    "verified", "evidence", "evidence_url", "evidence_date", "note", "url", "assay", "partners", "smc",
}  # fmt: skip
#: ``cancers = ["all-solid"]`` in a row stands for every solid tumour type (tumour-agnostic indications).
ALL_SOLID = "all-solid"
_URL = re.compile(r"^https://[a-z0-9.-]+\.[a-z]{2,}(/[^\s]*)?$")
_RANGE = re.compile(r"^\s*(>=|<=|<|>)\s*(\d+(?:\.\d+)?)\s*$")


def _categories_from_range(assay_name: str, expr: str) -> tuple[str, ...]:
    """``">=50"`` -> the categories of a continuous assay lying wholly at or above 50.

    The threshold must be one of the assay's cut-offs (so the expression picks
    whole categories); ``<`` and ``>=`` are the usual forms.
    """
    a = ASSAYS[assay_name]
    m = _RANGE.match(expr)
    if a.kind != "continuous" or m is None:
        raise ValueError(
            f"biomarker {assay_name} range {expr!r} must be '>=X' or '<X' with X a cut-off of a continuous assay"
        )
    op, x = m.group(1), float(m.group(2))
    cuts = [c for c, _ in a.cutoffs]
    if x not in cuts:
        raise ValueError(
            f"biomarker {assay_name} range {expr!r}: {x:g} is not a cut-off of the assay; cut-offs: "
            f"{', '.join(f'{c:g}' for c in cuts)}"
        )
    if op not in (">=", "<"):
        raise ValueError(f"biomarker {assay_name} range {expr!r}: use '>=' or '<' (a value at a cut-off takes the upper category)")
    labels = [a.below, *[lab for _, lab in a.cutoffs]]
    i = cuts.index(x) + 1  # labels[i] starts at x
    return tuple(labels[i:]) if op == ">=" else tuple(labels[:i])


@dataclass(frozen=True)
class Indication:
    """One approved or recommended use: drug(s) x cancer x setting x line x biomarker x age.

    Built from a row of ``indications.toml`` and validated when built; see the
    comments at the top of that file for the meaning of each field.
    """

    id: str
    region: str
    drugs: tuple[str, ...]
    regimen: str
    cancers: tuple[str, ...]
    setting: str
    line: str
    access: str
    source: str
    date: str
    verified: bool
    stages: tuple[str, ...] = ()
    min_prior_lines: int | None = None
    max_prior_lines: int | None = None
    histology: tuple[str, ...] = ()
    biomarkers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    min_age: float | None = None
    max_age: float | None = None
    requires_prior: tuple[str, ...] = ()
    excludes_prior: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    evidence: str = ""
    evidence_url: str = ""
    evidence_date: str = ""
    note: str = ""
    url: str = ""
    assay: Mapping[str, str] = field(default_factory=dict)
    partners: tuple[str, ...] = ()
    smc: str = ""

    def __post_init__(self) -> None:
        where = f"indication {self.id!r}"

        def bad(msg: str) -> SpecFileError:
            return SpecFileError(f"{where}: {msg}")

        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise SpecFileError(
                f"indication id must be lower-case letters, digits and hyphens; got {self.id!r}"
            )
        if self.region not in REGIONS:
            raise bad(f"region must be one of {', '.join(REGIONS)}; got {self.region!r}")
        if not self.drugs or any(d not in DRUGS for d in self.drugs):
            raise bad(f"drugs must name drugs from {', '.join(DRUGS)}; got {list(self.drugs)!r}")
        if ALL_SOLID in self.cancers:
            object.__setattr__(
                self,
                "cancers",
                tuple(dict.fromkeys([c for c in self.cancers if c != ALL_SOLID] + [
                    c.id for c in CANCERS.values() if c.category == "solid"
                ])),
            )
        if not self.cancers or any(c not in CANCERS for c in self.cancers):
            raise bad(f"cancers must name cancer ids from {', '.join(CANCERS)}; got {list(self.cancers)!r}")
        if self.setting not in SETTINGS:
            raise bad(f"setting must be one of {', '.join(SETTINGS)}; got {self.setting!r}")
        for c in self.cancers:
            ct = CANCERS[c]
            if ct.category == "blood" and self.setting != "any":
                raise bad(f"setting must be 'any' for the blood cancer {c!r}; got {self.setting!r}")
            for s in self.stages:
                if s not in ct.stages:
                    raise bad(
                        f"stage {s!r} is not a stage of {c!r}; valid: {', '.join(ct.stages) or '(none)'}"
                    )
        for name in ("min_prior_lines", "max_prior_lines"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                raise bad(f"{name} must be a whole number >= 0; got {v!r}")
        if (
            self.min_prior_lines is not None
            and self.max_prior_lines is not None
            and self.min_prior_lines > self.max_prior_lines
        ):
            raise bad("min_prior_lines must not exceed max_prior_lines")
        known_h = {h for c in self.cancers for h in CANCERS[c].histologies}
        for h in self.histology:
            if h not in known_h:
                raise bad(
                    f"histology {h!r} is not a histology of {', '.join(self.cancers)}; valid: "
                    f"{', '.join(sorted(known_h)) or '(none: leave histology out)'}"
                )
        bm = {}
        for assay, cats in dict(self.biomarkers).items():
            if assay not in ASSAYS:
                raise bad(f"biomarker {assay!r} is not an assay; valid: {', '.join(ASSAYS)}")
            if isinstance(cats, str):
                try:
                    cats = _categories_from_range(assay, cats)
                except ValueError as e:
                    raise bad(str(e)) from None
            cats = tuple(cats)
            for cat in cats:
                if cat not in ASSAYS[assay].categories:
                    raise bad(
                        f"biomarker {assay} category {cat!r} is not valid; "
                        f"valid: {', '.join(ASSAYS[assay].categories)}"
                    )
            if not cats:
                raise bad(f"biomarker {assay} needs at least one accepted category")
            bm[assay] = cats
        object.__setattr__(self, "biomarkers", MappingProxyType(bm))
        assay_text = dict(self.assay)
        for k, v in assay_text.items():
            if k not in bm:
                raise bad(f"assay text given for {k!r}, which is not among the row's biomarkers ({', '.join(bm) or 'none'})")
            if not isinstance(v, str) or not v.strip():
                raise bad(f"assay.{k} must name the assay and cut-off in words")
        object.__setattr__(self, "assay", MappingProxyType(assay_text))
        if self.url and (not isinstance(self.url, str) or not _URL.match(self.url)):
            raise bad(f"url must be an https:// address; got {self.url!r}")
        if not all(isinstance(p, str) and p.strip() for p in self.partners):
            raise bad(f"partners must be a list of drug names; got {list(self.partners)!r}")
        if not isinstance(self.smc, str):
            raise bad(f"smc must be text (how Scotland's SMC advice differs); got {self.smc!r}")
        for name in ("min_age", "max_age"):
            v = getattr(self, name)
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 130
            ):
                raise bad(f"{name} must be a number of years in [0, 130]; got {v!r}")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise bad("min_age must not exceed max_age")
        for name in ("requires_prior", "excludes_prior"):
            for t in getattr(self, name):
                if t not in TREATMENTS and t not in DRUGS:
                    raise bad(f"{name} entry {t!r} is not a treatment class; valid: {', '.join(TREATMENTS)}")
        if self.access not in ACCESS:
            raise bad(f"access must be one of {', '.join(ACCESS)}; got {self.access!r}")
        if ACCESS[self.access][0] != self.region:
            raise bad(f"access {self.access!r} does not apply to region {self.region!r}")
        if not isinstance(self.source, str) or not self.source.strip():
            raise bad("source must name the document (e.g. 'NICE TA531' or 'FDA label Keytruda')")
        if not isinstance(self.date, str) or not _DATE.match(self.date):
            raise bad(f"date must be YYYY, YYYY-MM or YYYY-MM-DD; got {self.date!r}")
        if not isinstance(self.verified, bool):
            raise bad(f"verified must be true or false; got {self.verified!r}")
        if not self.verified and not self.note:
            raise bad("an unverified row needs a note saying what was not checked")
        if self.evidence_url or self.evidence_date:
            if not self.verified or not self.evidence:
                raise bad("evidence_url and evidence_date belong to a verified row with its evidence text")
            if not _URL.match(self.evidence_url):
                raise bad(f"evidence_url must be the https:// address of the copy checked; got {self.evidence_url!r}")
            if not _DATE.match(self.evidence_date) or len(self.evidence_date) != 10:
                raise bad(
                    f"evidence_date must be the YYYY-MM-DD date of the copy checked (or of the check); "
                    f"got {self.evidence_date!r}"
                )
        if not self.regimen or not self.line:
            raise bad("regimen and line must be non-empty plain-English text")

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> Indication:
        """Build from a TOML table, refusing unknown or missing fields."""
        rid = row.get("id", "?")
        extra = set(row) - _FIELDS
        if extra:
            raise SpecFileError(
                f"indication {rid!r}: unknown field(s) {', '.join(sorted(extra))}; "
                f"valid: {', '.join(sorted(_FIELDS))}"
            )
        required = {
            "id",
            "region",
            "drugs",
            "regimen",
            "cancers",
            "setting",
            "line",
            "access",
            "source",
            "date",
            "verified",
        }
        missing = required - set(row)
        if missing:
            raise SpecFileError(f"indication {rid!r}: missing field(s) {', '.join(sorted(missing))}")
        kw = dict(row)
        for k in (
            "drugs",
            "cancers",
            "stages",
            "histology",
            "requires_prior",
            "excludes_prior",
            "conditions",
            "partners",
        ):
            if k in kw:
                if isinstance(kw[k], str) or not isinstance(kw[k], (list, tuple)):
                    raise SpecFileError(f"indication {rid!r}: {k} must be a list; got {kw[k]!r}")
                kw[k] = tuple(kw[k])
        return cls(**kw)

    @property
    def drug_display(self) -> str:
        """``"Nivolumab (Opdivo) + ipilimumab (Yervoy)"``."""
        parts = [DRUGS[d].display for d in self.drugs]
        return " + ".join([parts[0]] + [p[0].lower() + p[1:] for p in parts[1:]])

    @property
    def access_text(self) -> str:
        """Plain-English funding / approval status."""
        return ACCESS[self.access][1]

    @property
    def citation(self) -> str:
        """``"NICE TA531 (2018-07-18)"``."""
        return f"{self.source} ({self.date})"

    def describe(self) -> str:
        """One plain-English line describing the row."""
        bits = [
            f"{self.drug_display}, {self.regimen}"
            + (f" (with {', '.join(self.partners)})" if self.partners else ""),
            f"for {', '.join(CANCERS[c].name for c in self.cancers)}",
        ]
        if self.setting != "any":
            bits.append(SETTINGS[self.setting])
        if self.stages:
            bits.append(f"stage {', '.join(self.stages)}")
        bits.append(self.line)
        for a, cats in self.biomarkers.items():
            bits.append(f"{ASSAYS[a].label}: {' or '.join(ASSAYS[a].describe_category(c) for c in cats)}")
        if self.histology:
            bits.append(f"{' or '.join(self.histology)} histology")
        if self.min_age is not None or self.max_age is not None:
            bits.append(_age_range_text(self.min_age, self.max_age))
        return "; ".join(bits)


def _age_range_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"ages {lo:g} to {hi:g}"
    if lo is not None:
        return "adults (18 and over)" if lo == 18 else f"ages {lo:g} and over"
    return f"ages {hi:g} and under"


@dataclass(frozen=True)
class IndicationTable:
    """The loaded table: its rows and its ``[meta]`` block."""

    rows: tuple[Indication, ...]
    meta: Mapping[str, Any]
    path: str

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for r in self.rows:
            if r.id in seen:
                raise SpecFileError(f"{self.path}: indication id {r.id!r} appears twice")
            seen.add(r.id)
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def select(
        self, *, region: str | None = None, cancer: str | None = None, drug: str | None = None
    ) -> tuple[Indication, ...]:
        """Rows for a region, cancer and/or drug (names resolved, aliases accepted)."""
        reg = _resolve_region(region) if region is not None else None
        cid = resolve_cancer(cancer).id if cancer is not None else None
        did = resolve_drug(drug).id if drug is not None else None
        return tuple(
            r
            for r in self.rows
            if (reg is None or r.region == reg)
            and (cid is None or cid in r.cancers)
            and (did is None or did in r.drugs)
        )


def load_indications(path: str | Path | None = None) -> IndicationTable:
    """Read and validate an indication table (TOML).

    Parameters
    ----------
    path : str or Path, optional
        A TOML file with ``[[indication]]`` rows (and optionally ``[meta]``),
        or a folder of such files read in name order. Default: the table
        shipped with oncoimmune (cached): ``data/indications.toml`` (its
        ``[meta]`` block and the rows there) plus every file in
        ``data/indications/``, one per cancer type.

    Raises
    ------
    SpecFileError
        If a file is not valid TOML or a row is invalid; the message names
        the file, the row and the field.
    """
    if path is None:
        return _default_table()
    p = Path(path)
    if p.is_dir():
        return _read_tables(sorted(p.glob("*.toml")), str(p))
    return _read_tables([p], str(p))


@functools.lru_cache(maxsize=1)
def _default_table() -> IndicationTable:
    base = resources.files("oncoimmune.patients").joinpath("data")
    with resources.as_file(base) as d:
        d = Path(d)
        files = [d / "indications.toml", *sorted((d / "indications").glob("*.toml"))]
        return _read_tables(files, str(d / "indications.toml"))


def _read_tables(paths: list[Path], label: str) -> IndicationTable:
    rows: list[Indication] = []
    meta: dict[str, Any] = {}
    for path in paths:
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise SpecFileError(f"indication table not found: {path}") from None
        except tomllib.TOMLDecodeError as e:
            raise SpecFileError(f"{path}: not valid TOML: {e}") from None
        if "meta" in data:
            if meta:
                raise SpecFileError(f"{path}: a second [meta] block (only one file of a table may have one)")
            meta = dict(data["meta"])
        file_rows = data.get("indication", [])
        if not isinstance(file_rows, list):
            raise SpecFileError(f"{path}: [[indication]] must be an array of tables")
        try:
            rows.extend(Indication.from_dict(r) for r in file_rows)
        except SpecFileError as e:
            raise SpecFileError(f"{path.name}: {e}") from None
    if not rows:
        raise SpecFileError(f"{label}: needs at least one [[indication]] table")
    return IndicationTable(tuple(rows), meta, label)


def _resolve_region(region: Any) -> str:
    key = normalise_name(str(region))
    if key in _REGION_ALIASES:
        return _REGION_ALIASES[key]
    raise UnknownNameError("region", str(region), tuple(REGIONS))


def _verified_cell(r: Indication) -> str:
    if not r.verified:
        return "**no**"
    if r.evidence_url:
        return f"yes ([copy checked]({r.evidence_url}), {r.evidence_date})"
    return "yes"


def indication_table_markdown(table: IndicationTable | None = None, region: str | None = None) -> str:
    """The table as Markdown (for the documentation), one line per row."""
    tab = table or load_indications()
    rows = tab.rows if region is None else tab.select(region=region)
    out = [
        "| id | treatment | cancer | who (setting, stage, line, test, age) | status | source (date) "
        "| verified |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        who = []
        if r.setting != "any":
            who.append(r.setting)
        if r.stages:
            who.append("stage " + "/".join(r.stages))
        who.append(r.line)
        for a, cats in r.biomarkers.items():
            who.append(f"{a} {'/'.join(cats)}")
        if r.histology:
            who.append("/".join(r.histology))
        if r.min_age is not None or r.max_age is not None:
            who.append(_age_range_text(r.min_age, r.max_age))
        if r.requires_prior:
            who.append("after " + " and ".join(r.requires_prior))
        treat = " + ".join(DRUGS[d].name for d in r.drugs) + f" ({r.regimen})"
        out.append(
            f"| `{r.id}` | {treat} | {', '.join(r.cancers)} | {'; '.join(who)} | {r.access} | "
            f"{r.source} ({r.date}) | {_verified_cell(r)} |"
        )
    return "\n".join(out)


# -- source checks --------------------------------------------------------------------

_UK_SOURCE = re.compile(
    r"\b(NICE (TA\d+|NG\d+|news|consultation \d+|final draft)|SMC\d+|SmPC|MHRA)\b"
)
_US_SOURCE = re.compile(r"^FDA (label|labels|approval)\b")
_UK_HOSTS = (
    "www.nice.org.uk",
    "www.scottishmedicines.org.uk",
    "www.medicines.org.uk",
    "www.gov.uk",
    "products.mhra.gov.uk",
)
_US_HOSTS = ("www.accessdata.fda.gov", "dailymed.nlm.nih.gov", "www.fda.gov")


def source_problems(table: IndicationTable | None = None) -> list[str]:
    """Every row whose source is not cited in the expected form, with what is wrong.

    A well-formed source:

    1. names the document: a NICE technology appraisal (``NICE TA531``) or,
       where its number was not found, the NICE guideline, news release,
       consultation or final draft that states the recommendation; an SMC
       advice number (``SMC2563``), an SmPC or MHRA licence (UK); or an FDA
       label or approval (``FDA label Keytruda (BLA 125514)``, US);
    2. carries an ``https://`` address on the publisher's site (nice.org.uk,
       scottishmedicines.org.uk, medicines.org.uk, gov.uk; fda.gov,
       accessdata.fda.gov, dailymed.nlm.nih.gov), and for a row citing a NICE
       TA first, the address of that very appraisal
       (``https://www.nice.org.uk/guidance/ta531``);
    3. carries a date no later than the date the table was checked
       (``[meta] checked``); a date coarser than ``YYYY-MM-DD`` needs a
       note saying how it was found (recalled, estimated, ...).

    4. a verified row that names the copy it was checked against
       (``evidence_url``) dates that check (``evidence_date``) no later than
       the table's checked date.

    A US row whose approval is not confirmed (``access =
    "status-unconfirmed"``) may cite the pending application (``FDA
    application ...``) instead of a label.

    Returns
    -------
    list of str
        ``"<row id>: <problem>"``; empty when every row is well formed.
    """
    tab = table or load_indications()
    checked = str(tab.meta.get("checked", "9999-12-31"))
    out: list[str] = []
    for r in tab.rows:
        if not r.url:
            out.append(f"{r.id}: no url")
        else:
            host = r.url.split("/")[2]
            hosts = _UK_HOSTS if r.region == "uk" else _US_HOSTS
            if host not in hosts:
                out.append(f"{r.id}: url host {host!r} is not one of {', '.join(hosts)}")
        if r.region == "uk":
            m = _UK_SOURCE.search(r.source)
            if m is None:
                out.append(f"{r.id}: UK source must name a NICE TA, SMC advice, SmPC or MHRA licence; got {r.source!r}")
            ta = re.match(r"NICE TA(\d+)", r.source)
            if ta and r.url and not re.fullmatch(rf"https://www\.nice\.org\.uk/guidance/ta{ta.group(1)}(/.*)?", r.url):
                out.append(f"{r.id}: source cites NICE TA{ta.group(1)} but url is {r.url!r}")
        elif _US_SOURCE.search(r.source) is None and not (
            r.access == "status-unconfirmed" and r.source.startswith("FDA application")
        ):
            out.append(f"{r.id}: US source must start 'FDA label <Brand>' or 'FDA approval'; got {r.source!r}")
        if len(r.date) < 10 and not re.search(r"\b(date|month|year|day|recalled|estimated)\b", r.note):
            out.append(f"{r.id}: date {r.date!r} is not a full day; the note must say how the date was found")
        if r.date > checked:
            out.append(f"{r.id}: date {r.date} is after the table's checked date {checked}")
        if r.evidence_date and r.evidence_date > checked:
            out.append(f"{r.id}: evidence_date {r.evidence_date} is after the table's checked date {checked}")
    return out


def counts_markdown(table: IndicationTable | None = None) -> str:
    """The size of the table in one sentence: rows per region, verified rows, how many name their copy, and
    the date the table was checked (``[meta] checked``).

    What ``docs/eligibility.md`` shows between ``<!-- counts -->`` markers;
    ``tests/patients/test_indications.py`` checks that the document carries
    the sentence for the current table, so the counts cannot drift from the data.
    """
    tab = table or load_indications()
    rows = list(tab.rows)
    by = {reg: [r for r in rows if r.region == reg] for reg in REGIONS}
    ver = [r for r in rows if r.verified]
    named = [r for r in ver if r.evidence_url]
    return (
        f"{len(rows)} rows ({len(by['uk'])} UK, {len(by['us'])} US), {len(ver)} verified against a stored copy "
        f"of the source ({len(named)} of them name the copy and its date: `evidence_url`, `evidence_date`); "
        f"{sum(not r.verified for r in by['us'])} US and {sum(not r.verified for r in by['uk'])} UK rows not yet "
        f"verified; table last checked {tab.meta.get('checked', '(no date in [meta])')}"
    )


def smc_markdown(table: IndicationTable | None = None) -> str:
    """Scotland's SMC advice recorded in the table, one bullet per UK row with an ``smc`` entry.

    What ``docs/eligibility.md`` lists under "Scotland (SMC)"; NICE guidance applies to England, and
    the SMC can decide differently, so the document lists every difference the table knows of.
    """
    tab = table or load_indications()
    out = []
    for r in tab.rows:
        if r.region == "uk" and r.smc:
            cancers = ", ".join(CANCERS[c].name for c in r.cancers if c in CANCERS)
            out.append(f"- `{r.id}` ({r.drug_display}; {cancers}; {r.source}): {r.smc}")
    return "\n".join(out) if out else "- (none recorded)"


def coverage_markdown(table: IndicationTable | None = None) -> str:
    """Coverage as Markdown: one line per cancer type, the drugs with a row in the UK and in the US.

    What ``docs/eligibility.md`` shows under "Coverage"; a drug appears once
    per cancer and region however many rows it has there.
    """
    tab = table or load_indications()
    out = ["| cancer | UK (NICE / MHRA) | US (FDA) |", "|---|---|---|"]
    for c in CANCERS.values():
        cells = []
        for reg in REGIONS:
            drugs: list[str] = []
            for r in tab.rows:
                if r.region == reg and c.id in r.cancers:
                    for d in r.drugs:
                        if DRUGS[d].name not in drugs:
                            drugs.append(DRUGS[d].name)
            cells.append(", ".join(drugs) if drugs else "-")
        out.append(f"| {c.name} (`{c.id}`) | {cells[0]} | {cells[1]} |")
    return "\n".join(out)
