"""Who could have which immunotherapy: a sourced table of indications and a checker.

The table (``data/indications.toml``) lists approved and recommended uses of
immunotherapies (checkpoint inhibitors, immune-acting antibodies, bispecific
T-cell engagers, CAR-T and other cell therapies, vaccines and viruses,
cytokines) in the UK (NICE technology appraisals, MHRA licences;
the default region) and the US (FDA labels). Each row says which drug, for
which cancer, in which setting and stages, at which line of treatment, with
which biomarker result, at what ages and after (or not after) which earlier
treatments, and cites the document it comes from with its date. Rows whose
wording could not be checked against a stored copy of the source are marked
``verified = false`` with a note.

:func:`check_eligibility` describes a patient in the terms the clinic uses
(cancer type, stage, PD-L1 score, MSI status, age, earlier treatment lines and
treatments) and returns an :class:`EligibilityReport`: the options the person
could have, those that need more information (and which), and those ruled
out, each with the reason in plain language and the source. It is
information, not medical advice.

How a row is checked (all criteria must hold)
---------------------------------------------
1. Region and cancer type match; rows for other cancers are not shown.
2. Setting (solid tumours): "advanced" (cannot be removed by surgery, or has
   spread) or "adjuvant" (after complete removal). Stage IV implies advanced
   when no setting is given.
3. Stage: a row's stage covers its sub-stages; a patient stage broader than
   the row (``"III"`` for a ``"IIIB"`` row) needs a more precise stage.
4. Line: the number of earlier systemic treatment lines lies in the row's range.
5. Biomarkers: each required assay's category (see
   :mod:`oncoimmune.patients.biomarkers`) is among those the row accepts.
   Results that hold by definition or almost always for the cancer (HER2 in
   HER2-positive breast cancer, CD20 in follicular lymphoma) are assumed when
   not given, and the report says so.
6. Age within the row's limits; with no age given an adult is assumed.
7. Earlier treatments: all of ``requires_prior`` had, none of ``excludes_prior``.
8. Other criteria in the row (``conditions``: EGFR/ALK status, organ function,
   risk scores) are not checked; they are listed for the care team to confirm.

A missing fact never rules an option out: it moves it to "needs information".
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .._errors import UnknownNameError
from .biomarkers import ASSAYS, AssayResult, test
from .cancers import CancerType, PatientInputError, normalise_name, resolve_cancer
from .drugs import DRUGS, TREATMENTS, resolve_treatment
from .indications import (
    REGIONS,
    SETTINGS,
    Indication,
    IndicationTable,
    _age_range_text,
    _resolve_region,
    load_indications,
)

__all__ = [
    "DISCLAIMER",
    "STATUSES",
    "MarkerStatus",
    "Patient",
    "Assessment",
    "EligibilityReport",
    "check_eligibility",
]

DISCLAIMER = (
    "This is general information, not medical advice. It compares the details given with a table "
    "of licensed and recommended uses of immunotherapy, which may be out of date or incomplete, and "
    "it cannot weigh a person's overall health, other illnesses or preferences. Only the person's "
    "own cancer specialist can say whether a treatment is suitable."
)

STATUSES = ("eligible", "needs-information", "not-eligible")

_SETTING_ALIASES = {
    "advanced": "advanced",
    "metastatic": "advanced",
    "unresectable": "advanced",
    "locally-advanced": "advanced",
    "adjuvant": "adjuvant",
    "resected": "adjuvant",
    "after-surgery": "adjuvant",
    "post-surgery": "adjuvant",
    "neoadjuvant": "neoadjuvant",
    "perioperative": "neoadjuvant",
    "resectable": "neoadjuvant",
    "before-surgery": "neoadjuvant",
    "pre-surgery": "neoadjuvant",
}
_DMMR = {
    "yes": "msi-high", "true": "msi-high", "deficient": "msi-high", "dmmr": "msi-high", "d": "msi-high",
    "mmr-deficient": "msi-high", "positive": "msi-high",
    "no": "stable", "false": "stable", "proficient": "stable", "pmmr": "stable", "p": "stable",
    "mmr-proficient": "stable", "negative": "stable",
}  # fmt: skip

# -- the patient --------------------------------------------------------------


@dataclass(frozen=True)
class MarkerStatus:
    """A biomarker category known for the patient, tested or assumed."""

    assay: str
    category: str
    text: str
    assumed: bool = False
    result: AssayResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "assay": self.assay,
            "label": ASSAYS[self.assay].label,
            "category": self.category,
            "description": self.text,
            "assumed": self.assumed,
            "value": None if self.result is None else self.result.value,
        }


@dataclass(frozen=True)
class Patient:
    """A validated description of a patient, in clinic terms.

    Build it through :func:`check_eligibility` or directly; every argument is
    checked and normalised when built. Arguments are those of
    :func:`check_eligibility`.
    """

    cancer: CancerType
    stage: str | None = None
    setting: str | None = None
    histology: str | None = None
    age: float | None = None
    prior_lines: int | None = None
    prior: tuple[str, ...] = ()
    markers: Mapping[str, MarkerStatus] = field(default_factory=dict)
    assumptions: tuple[str, ...] = ()
    setting_inferred: bool = False
    prior_given: bool = False

    @classmethod
    def build(
        cls,
        cancer: str | CancerType,
        *,
        stage: str | None = None,
        setting: str | None = None,
        histology: str | None = None,
        age: float | None = None,
        prior_lines: int | None = None,
        prior: Iterable[str] | str | None = (),
        pdl1: float | None = None,
        msi: str | None = None,
        tmb: float | None = None,
        her2: Any = None,
        cd19: Any = None,
        cd20: Any = None,
        cps: float | None = None,
        pdl1_ic: float | None = None,
        bcma: Any = None,
        dmmr: Any = None,
    ) -> Patient:
        """Validate and normalise the raw arguments (see :func:`check_eligibility`)."""
        c = resolve_cancer(cancer)
        assumptions: list[str] = []

        st = None
        if stage is not None and str(stage).strip():
            st = c.resolve_stage(str(stage))

        se = None
        inferred = False
        if setting is not None and str(setting).strip():
            if c.category == "blood":
                raise PatientInputError(
                    f"setting does not apply to {c.name} (a blood cancer); got setting={setting!r}; "
                    "leave it out"
                )
            key = normalise_name(str(setting))
            if key not in _SETTING_ALIASES:
                raise UnknownNameError("setting", str(setting), ("advanced", "adjuvant", "neoadjuvant"))
            se = _SETTING_ALIASES[key]
        elif c.category == "solid" and st is not None and c.is_metastatic(st):
            se = "advanced"
            inferred = True
            assumptions.append(
                f"setting not given: stage {st} taken as advanced disease (cannot be removed by surgery); "
                "give setting='adjuvant' if the cancer has been completely removed"
            )

        hi = None
        if histology is not None and str(histology).strip():
            hi = c.resolve_histology(str(histology))
        elif len(c.histologies) == 1:
            hi = c.histologies[0]
            assumptions.append(f"histology not given: {c.name} is {hi} by definition here")

        ag = None
        if age is not None:
            if isinstance(age, bool):
                raise PatientInputError(f"age must be a number of years in [0, 130]; got {age!r}")
            try:
                ag = float(age)
            except (TypeError, ValueError):
                raise PatientInputError(f"age must be a number of years in [0, 130]; got {age!r}") from None
            if not math.isfinite(ag) or not 0 <= ag <= 130:
                raise PatientInputError(f"age must be a number of years in [0, 130]; got {age!r}")
        else:
            assumptions.append("age not given: an adult (18 or over) is assumed")

        pl = None
        if prior_lines is not None:
            ok = not isinstance(prior_lines, bool)
            try:
                f = float(prior_lines)
                ok = ok and math.isfinite(f) and f == int(f) and f >= 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise PatientInputError(
                    "prior_lines must be a whole number >= 0 (earlier systemic treatment lines); "
                    f"got {prior_lines!r}"
                )
            pl = int(float(prior_lines))

        if prior is None:
            prior = ()
        if isinstance(prior, str):
            prior = (prior,) if prior.strip() else ()
        prior = tuple(prior)
        classes: list[str] = []
        for p in prior:
            for k in resolve_treatment(str(p)):
                if k not in classes:
                    classes.append(k)
        if se == "adjuvant" and "surgery" not in classes:
            classes.append("surgery")
            assumptions.append("setting 'adjuvant' means the cancer has been removed by surgery")

        markers: dict[str, MarkerStatus] = {}
        if dmmr is not None and not (isinstance(dmmr, str) and not dmmr.strip()):
            key = "yes" if dmmr is True else "no" if dmmr is False else normalise_name(str(dmmr))
            if key not in _DMMR:
                raise UnknownNameError("dmmr result", str(dmmr), ("yes", "no", "deficient", "proficient"))
            as_msi = _DMMR[key]
            if msi is not None and str(msi).strip() and test("msi", msi).category != as_msi:
                raise PatientInputError(
                    f"dmmr={dmmr!r} contradicts msi={msi!r} (dMMR counts as MSI-high, pMMR as stable); "
                    "give one of them"
                )
            msi = as_msi
        raw = {
            "pdl1": pdl1, "msi": msi, "tmb": tmb, "her2": her2, "cd19": cd19, "cd20": cd20,
            "cps": cps, "pdl1_ic": pdl1_ic, "bcma": bcma,
        }  # fmt: skip
        for name, value in raw.items():
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            assay = ASSAYS[name]
            res = test(assay, value)
            text = (
                f"{assay.label}: {res.value:g}{'' if assay.units in ('%', '') else ' '}{assay.units} "
                f"-> {assay.describe_category(res.category)}"
                if assay.kind == "continuous"
                else f"{assay.label}: {res.category}"
            )
            if name in c.implied_markers and res.category != c.assumed_markers[name]:
                raise PatientInputError(
                    f"{name}={value!r} contradicts the cancer type {c.id!r} ({c.name}), which is "
                    f"{name.upper()} {c.assumed_markers[name]} by definition; choose another cancer type"
                )
            markers[name] = MarkerStatus(name, res.category, text, assumed=False, result=res)
        for name, cat in c.assumed_markers.items():
            if name not in markers:
                why = "by definition" if name in c.implied_markers else "as is usual for this cancer"
                markers[name] = MarkerStatus(
                    name, cat, f"{ASSAYS[name].label}: {cat} (assumed {why}; not tested here)", assumed=True
                )
                assumptions.append(f"{ASSAYS[name].label} not given: taken as {cat} {why}")

        return cls(
            cancer=c,
            stage=st,
            setting=se,
            histology=hi,
            age=ag,
            prior_lines=pl,
            prior=tuple(classes),
            markers=MappingProxyType(markers),
            assumptions=tuple(assumptions),
            setting_inferred=inferred,
            prior_given=bool(prior),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "cancer": self.cancer.id,
            "cancer_name": self.cancer.name,
            "stage": self.stage,
            "setting": self.setting,
            "setting_inferred": self.setting_inferred,
            "histology": self.histology,
            "age": self.age,
            "prior_lines": self.prior_lines,
            "prior": list(self.prior),
            "biomarkers": {k: v.to_dict() for k, v in self.markers.items()},
        }


# -- assessing one row -----------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    """The verdict on one indication row for one patient.

    Attributes
    ----------
    indication : Indication
    status : {"eligible", "needs-information", "not-eligible"}
    reasons : tuple of str
        Why the row does not apply (plain language); empty unless not eligible.
    missing : tuple of str
        What information would settle it.
    to_confirm : tuple of str
        Criteria of the row that the tool does not check, plus assumptions it
        made, for the care team to confirm.
    """

    indication: Indication
    status: str
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    to_confirm: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        ind = self.indication
        return {
            "id": ind.id,
            "status": self.status,
            "drugs": list(ind.drugs),
            "treatment": ind.drug_display,
            "regimen": ind.regimen,
            "line": ind.line,
            "reasons": list(self.reasons),
            "missing": list(self.missing),
            "to_confirm": list(self.to_confirm),
            "access": ind.access,
            "access_text": ind.access_text,
            "source": ind.source,
            "date": ind.date,
            "citation": ind.citation,
            "verified": ind.verified,
            "note": ind.note,
            "url": ind.url,
            "setting": ind.setting,
            "partners": list(ind.partners),
            "assay": dict(ind.assay),
            "biomarkers": {k: list(v) for k, v in ind.biomarkers.items()},
            "smc": ind.smc,
        }


def _join(items: Sequence[str], word: str = "or") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _lines_text(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None and lo == hi:
        return (
            "no earlier treatment lines" if lo == 0 else f"exactly {lo} earlier line{'s' if lo != 1 else ''}"
        )
    if lo is not None and hi is not None:
        return f"{lo} to {hi} earlier lines"
    if lo is not None:
        return f"at least {lo} earlier line{'s' if lo != 1 else ''}"
    return f"at most {hi} earlier line{'s' if hi != 1 else ''}"


def _assess(ind: Indication, p: Patient) -> Assessment:
    c = p.cancer
    fails: list[str] = []
    missing: list[str] = []
    confirm: list[str] = [f"{x}" for x in ind.conditions]

    if ind.access == "status-unconfirmed":
        missing.append(f"confirmation that this use is approved ({ind.note})")

    # setting
    if c.category == "solid" and ind.setting != "any":
        if p.setting is None:
            missing.append(
                "whether the cancer cannot be removed by surgery or has spread (advanced), or has been "
                "completely removed (adjuvant)"
            )
        elif p.setting != ind.setting:
            fails.append(f"this option is for {SETTINGS[ind.setting]}, not {SETTINGS[p.setting]}")

    # stage
    if ind.stages:
        covered = _join([f"stage {s}" for s in ind.stages])
        if p.stage is None:
            missing.append(f"the stage (this option covers {covered})")
        elif any(a in ind.stages for a in c.ancestors(p.stage)):
            pass
        elif any(d in ind.stages for d in c.descendants(p.stage)):
            missing.append(f"a more precise stage: stage {p.stage} is broader than this option ({covered})")
        else:
            fails.append(f"it covers {covered}; the cancer is stage {p.stage}")

    # histology
    if ind.histology:
        if p.histology is None:
            missing.append(f"the tumour type under the microscope ({_join(list(ind.histology))})")
        elif p.histology not in ind.histology:
            fails.append(f"it is for {_join(list(ind.histology))} tumours; this tumour is {p.histology}")

    # line of treatment
    lo, hi = ind.min_prior_lines, ind.max_prior_lines
    if lo is not None or hi is not None:
        if p.prior_lines is None:
            missing.append(
                "how many earlier lines of treatment there have been "
                f"(this option needs {_lines_text(lo, hi)})"
            )
        elif (lo is not None and p.prior_lines < lo) or (hi is not None and p.prior_lines > hi):
            n = p.prior_lines
            got = "none was reported" if n == 0 else f"{n} {'was' if n == 1 else 'were'} reported"
            fails.append(f"it needs {_lines_text(lo, hi)}; {got}")

    # biomarkers
    for assay_name, accepted in ind.biomarkers.items():
        assay = ASSAYS[assay_name]
        need = _join([assay.describe_category(x) for x in accepted])
        m = p.markers.get(assay_name)
        if m is None:
            missing.append(f"a {assay.label} result (this option needs {need})")
        elif m.category not in accepted:
            fails.append(
                f"it needs {assay.label} {need}; the result is {assay.describe_category(m.category)}"
            )
        elif m.assumed:
            confirm.append(f"{assay.label} {m.category} (assumed, not tested here)")

    # age
    if p.age is None:
        if ind.max_age is not None:
            missing.append(
                f"the person's age (this option is for {_age_range_text(ind.min_age, ind.max_age)})"
            )
        elif ind.min_age is not None and ind.min_age > 18:
            missing.append(f"the person's age (this option is for {_age_range_text(ind.min_age, None)})")
    else:
        if ind.min_age is not None and p.age < ind.min_age:
            fails.append(f"it is for {_age_range_text(ind.min_age, ind.max_age)}; the person is {p.age:g}")
        elif ind.max_age is not None and p.age > ind.max_age:
            fails.append(f"it is for {_age_range_text(ind.min_age, ind.max_age)}; the person is {p.age:g}")

    # earlier treatments
    for req in ind.requires_prior:
        what = TREATMENTS[req][0] if req in TREATMENTS else DRUGS[req].name
        if req in p.prior:
            continue
        if p.prior_given:
            fails.append(f"it is given after {what}, which is not among the earlier treatments listed")
        else:
            missing.append(f"whether the person has had {what}")
    for ex in ind.excludes_prior:
        if ex in p.prior:
            what = TREATMENTS[ex][0] if ex in TREATMENTS else DRUGS[ex].name
            fails.append(f"it is not for people who have already had {what}")

    if not ind.verified:
        confirm.append(f"this table row is not verified against its source: {ind.note}")
    if fails:
        status = "not-eligible"
    elif missing:
        status = "needs-information"
    else:
        status = "eligible"
    return Assessment(ind, status, tuple(fails), tuple(missing), tuple(confirm))


# -- the report -------------------------------------------------------------------


@dataclass(frozen=True)
class EligibilityReport:
    """What :func:`check_eligibility` found, with its inputs and sources.

    Attributes
    ----------
    region : str
        ``"uk"`` or ``"us"``.
    patient : Patient
        The validated inputs.
    assessments : tuple of Assessment
        One per table row for this cancer in this region, in table order.
    not_indicated : tuple of (str, str)
        ``(drug id, reason)`` for drugs with no row for this cancer in this region.
    table_meta : mapping
        The table's ``[meta]`` block and path.
    disclaimer : str
        That this is information, not medical advice.
    """

    region: str
    patient: Patient
    assessments: tuple[Assessment, ...]
    not_indicated: tuple[tuple[str, str], ...]
    table_meta: Mapping[str, Any]
    disclaimer: str = DISCLAIMER

    def _by(self, status: str) -> tuple[Assessment, ...]:
        return tuple(a for a in self.assessments if a.status == status)

    @property
    def eligible(self) -> tuple[Assessment, ...]:
        """Options the person could have (every checked criterion met)."""
        return self._by("eligible")

    @property
    def needs_information(self) -> tuple[Assessment, ...]:
        """Options that may apply once the missing facts are known."""
        return self._by("needs-information")

    @property
    def not_eligible(self) -> tuple[Assessment, ...]:
        """Options ruled out, each with its reasons."""
        return self._by("not-eligible")

    @property
    def eligible_drugs(self) -> tuple[str, ...]:
        """Ids of drugs in at least one eligible option, in table order."""
        out: list[str] = []
        for a in self.eligible:
            for d in a.indication.drugs:
                if d not in out:
                    out.append(d)
        return tuple(out)

    def status_of(self, indication_id: str) -> str:
        """Status of one row by id (``KeyError`` listing the ids if absent)."""
        for a in self.assessments:
            if a.indication.id == indication_id:
                return a.status
        raise UnknownNameError(
            "indication for this patient", indication_id, [a.indication.id for a in self.assessments]
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``json.dumps`` works on it directly)."""
        return {
            "region": self.region,
            "region_name": REGIONS[self.region],
            "patient": self.patient.to_dict(),
            "assumptions": list(self.patient.assumptions),
            "eligible": [a.to_dict() for a in self.eligible],
            "needs_information": [a.to_dict() for a in self.needs_information],
            "not_eligible": [a.to_dict() for a in self.not_eligible],
            "not_indicated": [
                {"drug": d, "name": DRUGS[d].display, "reason": why} for d, why in self.not_indicated
            ],
            "table": dict(self.table_meta),
            "disclaimer": self.disclaimer,
        }

    def to_text(self, width: int = 100) -> str:
        """A plain-language report for a person or their family."""
        p = self.patient
        w = functools.partial(textwrap.fill, width=width, break_long_words=False, break_on_hyphens=False)

        def item(head: str, body: Sequence[tuple[str, str]]) -> list[str]:
            out = [w(head, initial_indent="  - ", subsequent_indent="    ")]
            for label, text in body:
                out.append(w(f"{label}: {text}", initial_indent="      ", subsequent_indent="        "))
            return out

        lines = [f"Immunotherapy options: {p.cancer.name}, {REGIONS[self.region]}", ""]
        cov = self.table_meta.get("coverage")
        if cov == "none":
            lines += [
                w(
                    f"WARNING: this table has no {self.region.upper()} rows for {p.cancer.name} yet, so it cannot "
                    "say which immunotherapies are available. That does not mean there are none: ask the care team."
                ),
                "",
            ]
        elif cov == "none-found":
            lines += [
                w(
                    f"No immunotherapy for {p.cancer.name} was found in the {self.region.upper()} sources when the "
                    f"table was checked ({self.table_meta.get('checked', '?')}): "
                    f"{self.table_meta.get('none_found_reason', '')} Ask the care team about clinical trials."
                ),
                "",
            ]
        elif cov == "incomplete":
            lines += [
                w(
                    f"Note: the table's rows for {p.cancer.name} are not yet complete (see docs/eligibility.md); "
                    "other licensed or recommended options may exist."
                ),
                "",
            ]
        facts = []
        if p.stage:
            facts.append(f"stage {p.stage}")
        if p.setting:
            facts.append(SETTINGS[p.setting] + (" (inferred)" if p.setting_inferred else ""))
        if p.histology:
            facts.append(f"{p.histology} histology")
        if p.age is not None:
            facts.append(f"age {p.age:g}")
        if p.prior_lines is not None:
            n = p.prior_lines
            facts.append(
                "no earlier treatment lines"
                if n == 0
                else f"{n} earlier treatment line{'s' if n != 1 else ''}"
            )
        if p.prior:
            facts.append("earlier treatments: " + ", ".join(p.prior))
        lines.append(w("Details given: " + ("; ".join(facts) if facts else "cancer type only")))
        for m in p.markers.values():
            lines.append(w(("Assumed " if m.assumed else "Test result ") + "- " + m.text))
        for a in p.assumptions:
            if "not given: taken as" in a:
                continue  # already shown with the markers
            lines.append(w("Assumed - " + a))
        lines.append("")

        def head(a: Assessment) -> str:
            ind = a.indication
            return f"{ind.drug_display}, {ind.regimen}; {ind.line}"

        def src(a: Assessment) -> tuple[str, str]:
            ind = a.indication
            flag = "" if ind.verified else " [not verified]"
            return ("Source", f"{ind.citation}{flag}; {ind.access_text}")

        def scotland(a: Assessment) -> list[tuple[str, str]]:
            # NICE guidance covers England; the SMC decides for Scotland and can differ
            return [("Scotland (SMC)", a.indication.smc)] if a.indication.smc else []

        if self.eligible:
            lines.append("Could have:")
            for a in self.eligible:
                body = [src(a), *scotland(a)]
                if a.to_confirm:
                    body.append(("To confirm with the care team", "; ".join(a.to_confirm)))
                lines += item(head(a), body)
        else:
            lines.append("Could have: none of the options in the table, on the details given.")
        lines.append("")
        if self.needs_information:
            lines.append("Might be possible - more information needed:")
            for a in self.needs_information:
                body = [("Needs", "; ".join(a.missing)), src(a), *scotland(a)]
                if a.to_confirm:
                    body.append(("Also to confirm", "; ".join(a.to_confirm)))
                lines += item(head(a), body)
            lines.append("")
        if self.not_eligible:
            lines.append("Not suitable on the details given:")
            for a in self.not_eligible:
                lines += item(head(a), [("Why", "; ".join(a.reasons)), src(a), *scotland(a)])
            lines.append("")
        if self.not_indicated:
            here = [DRUGS[d].name for d, why in self.not_indicated if "region=" not in why]
            there = [DRUGS[d].name for d, why in self.not_indicated if "region=" in why]
            other = "US" if self.region == "uk" else "UK"
            if there:
                lines.append(
                    w(
                        f"Listed for this cancer in the {other} but not the {self.region.upper()}: "
                        f"{', '.join(there)}."
                    )
                )
            if here:
                lines.append(
                    w(
                        f"The other {len(here)} immunotherapies in the table have no listed use for this cancer in "
                        f"the {self.region.upper()} (`--json` lists them)."
                    )
                )
            lines.append("")
        checked = self.table_meta.get("checked")
        if checked:
            lines.append(w(f"The table of licensed and recommended uses was last checked against its sources on "
                           f"{checked}."))
        lines.append(w(self.disclaimer))
        return "\n".join(lines)


def check_eligibility(
    cancer: str,
    stage: str | None = None,
    pdl1: float | None = None,
    msi: str | None = None,
    age: float | None = None,
    prior_lines: int | None = None,
    prior: Iterable[str] | str | None = (),
    region: str = "uk",
    *,
    setting: str | None = None,
    histology: str | None = None,
    tmb: float | None = None,
    her2: Any = None,
    cd19: Any = None,
    cd20: Any = None,
    cps: float | None = None,
    pdl1_ic: float | None = None,
    bcma: Any = None,
    dmmr: Any = None,
    table: IndicationTable | str | Path | None = None,
) -> EligibilityReport:
    """Which immunotherapies could this person have, and why not the others?

    Parameters
    ----------
    cancer : str
        Cancer type: an id, alias or everyday name (``"nsclc"``, ``"kidney
        cancer"``, ``"bladder"``, ``"Hodgkin lymphoma"``, ``"head and
        neck"``, ``"dlbcl"``, ...); :func:`~oncoimmune.patients.cancers.list_cancers`
        lists them.
    stage : str, optional
        Stage in the cancer's vocabulary (``"IV"``, ``"IIIB"``, ``"IV-M1a"``,
        ``"stage 3b"``). Not used for leukaemia or the myeloproliferative
        neoplasms.
    pdl1 : float, optional
        PD-L1 tumour proportion score, % (0-100).
    msi : {"high", "stable"}, optional
        MSI/MMR status (``"msi-h"``, ``"dmmr"``, ``"mss"``, ``"pmmr"`` accepted).
    age : float, optional
        Age in years. If not given, an adult is assumed (and said so).
    prior_lines : int, optional
        Number of earlier systemic treatment lines for this cancer (for
        advanced or relapsed disease).
    prior : iterable of str
        Earlier treatments, by class or drug name (``"chemotherapy"``,
        ``"platinum"``, ``"surgery"``, ``"r-chop"``, ``"ipilimumab"``, ...).
    region : {"uk", "us"}
        Whose approvals to use. Default ``"uk"`` (NICE / MHRA).
    setting : {"advanced", "adjuvant", "neoadjuvant"}, optional
        Solid tumours: advanced (cannot be removed by surgery, or has spread),
        adjuvant (after complete removal) or neoadjuvant (can be removed;
        treatment before surgery). Stage IV implies advanced.
    histology : str, optional
        For cancers whose indications depend on it (NSCLC: squamous /
        non-squamous; oesophageal: squamous / adenocarcinoma; mesothelioma:
        epithelioid / non-epithelioid); see ``--cancer list``.
    tmb : float, optional
        Tumour mutational burden, mutations per megabase.
    her2 : str, optional
        HER2 status or IHC/ISH result (``"3+"``, ``"2+ ISH+"``, ``"positive"``).
    cd19, cd20 : str or bool, optional
        Antigen status on the malignant B cells.
    cps : float, optional
        PD-L1 combined positive score (0-100).
    pdl1_ic : float, optional
        PD-L1 on tumour-infiltrating immune cells (SP142), % of tumour area.
    bcma : str or bool, optional
        BCMA status on myeloma cells (assumed positive in myeloma).
    dmmr : str or bool, optional
        Mismatch-repair status (``"yes"``/``"deficient"`` or
        ``"no"``/``"proficient"``); counts as the ``msi`` result (dMMR =
        MSI-high) and must agree with ``msi`` when both are given.
    table : IndicationTable or path, optional
        Another indication table; default the shipped one.

    Returns
    -------
    EligibilityReport
        ``.eligible``, ``.needs_information``, ``.not_eligible`` (with
        reasons and sources), ``.to_text()`` and ``.to_dict()``.

    Raises
    ------
    UnknownNameError
        For an unknown cancer, stage, region, setting, histology, result
        spelling or earlier treatment; the message lists the valid choices.
    PatientInputError
        For a number out of range or contradictory facts; the message names
        the field and what came.

    Notes
    -----
    This is information, not medical advice; see :data:`DISCLAIMER`.

    Examples
    --------
    >>> r = check_eligibility("nsclc", stage="IV", pdl1=60, prior_lines=0, age=64)
    >>> "pembrolizumab" in r.eligible_drugs
    True
    """
    reg = _resolve_region(region)
    p = Patient.build(
        cancer,
        stage=stage,
        setting=setting,
        histology=histology,
        age=age,
        prior_lines=prior_lines,
        prior=prior,
        pdl1=pdl1,
        msi=msi,
        tmb=tmb,
        her2=her2,
        cd19=cd19,
        cd20=cd20,
        cps=cps,
        pdl1_ic=pdl1_ic,
        bcma=bcma,
        dmmr=dmmr,
    )
    tab = table if isinstance(table, IndicationTable) else load_indications(table)
    rows = [r for r in tab.rows if r.region == reg and p.cancer.id in r.cancers]
    assessments = tuple(_assess(r, p) for r in rows)
    listed = {d for r in rows for d in r.drugs}
    other = "us" if reg == "uk" else "uk"
    elsewhere = {d for r in tab.rows if r.region == other and p.cancer.id in r.cancers for d in r.drugs}
    not_ind = []
    for d in DRUGS:
        if d in listed:
            continue
        why = f"no licensed or recommended use for this cancer in the {reg.upper()} in this table"
        if d in elsewhere:
            why += f" (there is one in the {other.upper()}; run with region='{other}')"
        not_ind.append((d, why))
    incomplete = p.cancer.id in tuple(tab.meta.get("incomplete", ()))
    none_found = dict(dict(tab.meta.get("none_found", {})).get(reg, {}))
    coverage = "none" if not rows else "incomplete" if incomplete else "complete"
    if not rows and p.cancer.id in none_found:
        coverage = "none-found"
    meta = {
        **dict(tab.meta),
        "path": Path(tab.path).name,
        "rows_checked": len(rows),
        "coverage": coverage,
        "none_found_reason": none_found.get(p.cancer.id, ""),
    }
    return EligibilityReport(reg, p, assessments, tuple(not_ind), MappingProxyType(meta))
