"""Catalogue entries read from ``data/label_drugs.toml``: label facts, with PK kept out of simulation.

Drugs whose indications the eligibility table lists but whose kinetics are not
encoded here are described as data: names, classes, target, mechanism key,
label dose schedules (as :class:`~oncoimmune.therapy.schedule.Schedule`
phases) and the published pharmacokinetic analysis, if any, cited but not
encoded. Their kinetics is :class:`NotModelledKinetics`, which refuses to add
anything to a model, so such a drug cannot enter a simulation until its PK is
encoded with its source (and checked) like the entries of
:mod:`oncoimmune.therapy.catalogue`.

The file's fields are described in the comments at its top. Reading it needs
only :mod:`tomllib`; :func:`label_drug_records` returns the validated rows so
that :mod:`oncoimmune.patients.drugs` can share them without building schedules.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

from .._errors import SpecFileError

__all__ = ["label_drug_records", "PK_STATUSES"]

#: How much of a drug's pharmacokinetics is published and encoded.
PK_STATUSES: Mapping[str, str] = MappingProxyType(
    {
        "encoded": "a population PK model is encoded in oncoimmune.therapy.drugs (every value with its paper and "
        "table), so the drug can enter a simulation",
        "published-not-encoded": "a population PK analysis is published (cited); not yet encoded, so the drug "
        "is kept out of simulation",
        "label-only": "only the label's summary PK (clearance, volume, half-life) was found; no population model "
        "is encoded, so the drug is kept out of simulation",
        "not-applicable": "no systemic PK in the usual sense (cell product, vaccine, intravesical or "
        "intralesional product); kinetics not encoded, so it is kept out of simulation",
    }
)

_FIELDS = {
    "name", "display_name", "brands", "classes", "target", "mechanism", "kind", "treatment_class",
    "aliases", "indications", "label", "pk", "regimen", "amount_unit", "note",
}  # fmt: skip
_REGIMEN_FIELDS = {"key", "summary", "phases", "max_amount", "notes", "location"}
_PHASE_FIELDS = {"dose", "unit", "every_days", "cycles", "route", "minutes", "start_day"}
_ROUTES = {"iv_infusion", "iv_bolus", "subcutaneous", "intralesional", "intravesical", "oral"}
_URL = re.compile(r"^https://[a-z0-9.-]+\.[a-z]{2,}(/\S*)?$")


def _text(where: str, row: Mapping[str, Any], key: str) -> str:
    v = row.get(key)
    if not isinstance(v, str) or not v.strip():
        raise SpecFileError(f"{where}: {key} must be non-empty text; got {v!r}")
    return v


def _check(row: Mapping[str, Any]) -> dict[str, Any]:
    where = f"data/label_drugs.toml drug {row.get('name', '?')!r}"
    extra = set(row) - _FIELDS
    if extra:
        raise SpecFileError(f"{where}: unknown field(s) {', '.join(sorted(extra))}; valid: {', '.join(sorted(_FIELDS))}")
    name = _text(where, row, "name")
    if not name.isidentifier() or name != name.lower():
        raise SpecFileError(f"{where}: name must be a lower-case identifier such as 'durvalumab'")
    for k in ("display_name", "target", "mechanism", "kind", "treatment_class", "indications"):
        _text(where, row, k)
    for k in ("brands", "classes"):
        v = row.get(k)
        if not isinstance(v, list) or not v or not all(isinstance(x, str) and x for x in v):
            raise SpecFileError(f"{where}: {k} must be a non-empty list of names")
    label = row.get("label")
    if not isinstance(label, dict):
        raise SpecFileError(f"{where}: label must be a table with citation, location and url")
    for k in ("citation", "location", "url"):
        _text(where + " label", label, k)
    if not _URL.match(label["url"]):
        raise SpecFileError(f"{where}: label.url must be an https:// address; got {label['url']!r}")
    pk = row.get("pk")
    if not isinstance(pk, dict) or pk.get("status") not in PK_STATUSES:
        raise SpecFileError(f"{where}: pk.status must be one of {', '.join(PK_STATUSES)}")
    _text(where + " pk", pk, "note")
    if pk["status"] in ("published-not-encoded", "encoded"):
        _text(where + " pk", pk, "citation")
    regs = row.get("regimen")
    if not isinstance(regs, list) or not regs:
        raise SpecFileError(f"{where}: needs at least one [[drug.regimen]] (the label schedule)")
    for r in regs:
        rw = f"{where} regimen {r.get('key', '?')!r}"
        bad = set(r) - _REGIMEN_FIELDS
        if bad:
            raise SpecFileError(f"{rw}: unknown field(s) {', '.join(sorted(bad))}")
        _text(rw, r, "key")
        _text(rw, r, "summary")
        phases = r.get("phases")
        if not isinstance(phases, list) or not phases:
            raise SpecFileError(f"{rw}: phases must list at least one dosing phase")
        for ph in phases:
            bad = set(ph) - _PHASE_FIELDS
            if bad:
                raise SpecFileError(f"{rw}: unknown phase field(s) {', '.join(sorted(bad))}")
            if ph.get("route") not in _ROUTES:
                raise SpecFileError(f"{rw}: phase route must be one of {', '.join(sorted(_ROUTES))}; got {ph.get('route')!r}")
    unit = row.get("amount_unit", "mg")
    if unit not in ("mg", "PFU", "cells"):
        raise SpecFileError(f"{where}: amount_unit must be mg, PFU or cells; got {unit!r}")
    return dict(row)


@functools.lru_cache(maxsize=1)
def label_drug_records() -> tuple[dict[str, Any], ...]:
    """The validated rows of ``data/label_drugs.toml`` (plain dicts, file order)."""
    ref = resources.files("oncoimmune.therapy").joinpath("data/label_drugs.toml")
    with ref.open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as e:
            raise SpecFileError(f"data/label_drugs.toml: not valid TOML: {e}") from None
    rows = tuple(_check(r) for r in data.get("drug", []))
    names = [r["name"] for r in rows]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise SpecFileError(f"data/label_drugs.toml: drug name(s) {dup} appear twice")
    return rows
