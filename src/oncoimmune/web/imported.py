"""Imported SBML models in the explorer: an uploaded file, or one of the BioModels files on the server.

A modeller brings a model two ways:

* **Upload** (``POST /api/sbml``): the file's text, at most
  :data:`SBML_LIMITS` ``["max_sbml_bytes"]``, is read by
  :func:`oncoimmune.io.sbml.from_sbml` with the same limit, i.e. by the
  importer's safe reader (no DOCTYPE or ENTITY, UTF-8 only, bounded element
  count and formula depth) and its own expression grammar (no ``eval``). The
  text must start with ``<``: ``from_sbml`` would read anything else as a file
  path, and nothing a request sends may name a file. A hierarchical model that
  refers to other files is refused (text has no folder beside it).
* **A BioModels file on the server** (``POST /api/sbml/biomodels/{id}``): the
  server lists its own folder (``<shared data>/biomodels``, or the folder given
  to :func:`oncoimmune.web.create_app`) once, and the request sends only an id
  that is looked up in that list; the id never becomes part of a path.

An imported model gets the id ``sbml_<16 hex digits of the SHA-256 of its
text>``, so the same file always gets the same id and an id can only name what
was imported. Models are kept in memory (at most
``SBML_LIMITS["max_models"]``, least recently used dropped first); after a
server restart a page asks for the file again.

References
----------
.. [1] Keating SM et al. (2020). SBML Level 3: an extensible format for the
   exchange and reuse of biological models. Mol Syst Biol 16:e9110.
   doi:10.15252/msb.20199110
.. [2] Malik-Sheriff RS et al. (2020). BioModels - 15 years of sharing
   computational models in life science. Nucleic Acids Res 48:D407-D415.
   doi:10.1093/nar/gkz1055
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import OncoimmuneError
from .errors import FieldError

__all__ = [
    "SBML_LIMITS",
    "SBMLRequestError",
    "ImportedModel",
    "biomodels",
    "get_imported",
    "import_biomodel",
    "import_text",
    "is_imported_id",
    "biomodels_dir",
]

#: Limits of the SBML import endpoints (also served at ``GET /api/limits``).
SBML_LIMITS: dict[str, int] = {
    "max_sbml_bytes": 2 * 1024 * 1024,  # the largest of the 103 BioModels files is 0.96 MB
    "max_models": 16,
    "max_biomodels": 1000,
}
#: Horizon of an imported model when a request gives none (in the file's time units; the
#: protocol of ``docs/sbml.md`` compares BioModels files over 0-100 time units).
DEFAULT_DAYS = 100.0

_ID = re.compile(r"^sbml_[0-9a-f]{16}$")


class SBMLRequestError(FieldError):
    """An SBML request that cannot be served; ``field`` names the request field."""


@dataclass(frozen=True, eq=False)
class ImportedModel:
    """An imported model with where it came from."""

    id: str
    model: Any
    source: str  # "upload" or "biomodels:<id>"
    label: str  # the file's name (BioModels) or "uploaded SBML"
    n_bytes: int
    events_need_scipy: str = ""  # why the batched engine cannot run the model's events ("" if it can)


_MODELS: "OrderedDict[str, ImportedModel]" = OrderedDict()
_LOCK = threading.Lock()
_IMPORT_LOCK = threading.Lock()  # one import at a time: parsing is CPU-bound and holds the GIL
_LISTINGS: dict[str, dict[str, dict[str, Any]]] = {}


def is_imported_id(model_id: str) -> bool:
    """Whether ``model_id`` has the form of an imported model's id."""
    return bool(_ID.match(model_id))


def get_imported(model_id: str) -> ImportedModel | None:
    """The imported model with this id, or None (never imported, or dropped from memory)."""
    with _LOCK:
        hit = _MODELS.get(model_id)
        if hit is not None:
            _MODELS.move_to_end(model_id)
        return hit


def _keep(item: ImportedModel, update: bool = False) -> ImportedModel:
    with _LOCK:
        old = _MODELS.get(item.id)
        if old is not None:
            _MODELS.move_to_end(item.id)
            if not update:
                return old
        _MODELS[item.id] = item
        while len(_MODELS) > SBML_LIMITS["max_models"]:
            _MODELS.popitem(last=False)
    return item


def _import(data: bytes, source: str, label: str, field: str) -> ImportedModel:
    from ..io.sbml import from_sbml

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SBMLRequestError(field, "not valid UTF-8 text") from None
    text = text.lstrip("\ufeff \t\r\n").replace("\r\n", "\n")
    if not text.startswith("<"):
        # from_sbml reads a string that does not start with "<" as a file path: never let that happen
        raise SBMLRequestError(field, "not SBML: the text of an SBML file starts with '<' (e.g. '<?xml' or '<sbml')")
    # the same file gives the same id, uploaded (a browser may send CRLF) or picked from the server's folder
    model_id = "sbml_" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    hit = get_imported(model_id)
    if hit is not None:  # the same text: reuse the model, say where it came from this time
        return _keep(replace(hit, source=source, label=label, n_bytes=len(data)), update=True)
    with _IMPORT_LOCK:
        try:
            model = from_sbml(text, max_bytes=SBML_LIMITS["max_sbml_bytes"])
        except OncoimmuneError as exc:
            raise SBMLRequestError(field, str(exc)) from None
        try:
            cm = model.compile()
        except OncoimmuneError as exc:
            raise SBMLRequestError(field, f"the model was read but does not compile: {exc}") from None
    from ..engines import unsupported_model_events

    return _keep(ImportedModel(model_id, model, source, label, len(data), unsupported_model_events(cm)))


def import_text(text: str) -> ImportedModel:
    """Import SBML text sent by a client (field ``sbml``).

    Raises
    ------
    SBMLRequestError
        Naming ``sbml``: empty, too large, not XML (it must start with ``<``), or
        refused by the importer (its message names the construct or the check).
    """
    if not isinstance(text, str) or not text.strip():
        raise SBMLRequestError("sbml", "empty; send the text of an SBML file (it starts with '<')")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith("<"):
        raise SBMLRequestError("sbml", "not SBML: the text of an SBML file starts with '<' (e.g. '<?xml' or '<sbml')")
    try:
        data = stripped.encode("utf-8")
    except UnicodeEncodeError:
        raise SBMLRequestError("sbml", "not valid Unicode text (lone surrogates)") from None
    if len(data) > SBML_LIMITS["max_sbml_bytes"]:
        raise SBMLRequestError(
            "sbml", f"{len(data)} bytes is more than the limit of {SBML_LIMITS['max_sbml_bytes']} bytes"
        )
    return _import(data, "upload", "uploaded SBML", "sbml")


# BioModels files on the server ----------------------------------------------------------------------
def biomodels_dir(folder: str | os.PathLike[str] | None = None) -> Path | None:
    """``folder``, or by default ``biomodels/`` in the shared data folder (``$ONCOIMMUNE_SHARED/data``);
    None when there is none."""
    if folder is not None:
        return Path(folder).resolve()
    from .._data import shared_data_dir

    d = shared_data_dir()
    return None if d is None or not (d / "biomodels").is_dir() else (d / "biomodels").resolve()


def _accession(name: str) -> str:
    stem = name[:-4]
    tail = stem.rsplit("__", 1)[-1]
    key = re.sub(r"[^a-z0-9]", "", tail.lower())[:32]
    return key or hashlib.sha256(name.encode()).hexdigest()[:16]


def biomodels(folder: Path | None) -> dict[str, dict[str, Any]]:
    """The BioModels files the server offers: ``id -> {id, file, title, bytes}``, id e.g. ``biomd0000000904``.

    Listed once per folder from the server's own folder (:func:`biomodels_dir`; names
    ending in ``.xml``, plain files, at most ``SBML_LIMITS["max_biomodels"]``); empty
    when there is no folder.
    """
    if folder is None:
        return {}
    files = _LISTINGS.get(str(folder))
    if files is not None:
        return files
    out: dict[str, dict[str, Any]] = {}
    if folder is not None and folder.is_dir():
        entries = sorted(
            (e for e in os.scandir(folder) if e.name.endswith(".xml") and e.is_file(follow_symlinks=False)),
            key=lambda e: e.name,
        )
        for e in entries[: SBML_LIMITS["max_biomodels"]]:
            key = _accession(e.name)
            if key in out:
                continue
            title = e.name[:-4].rsplit("__", 1)[0].replace("-", " ")
            out[key] = {"id": key, "file": e.name, "title": title, "bytes": e.stat().st_size, "_path": Path(e.path)}
    _LISTINGS[str(folder)] = out
    return out


def import_biomodel(key: str, folder: Path | None) -> ImportedModel:
    """Import the BioModels file with id ``key`` from the server's listing of ``folder`` (:func:`biomodels`).

    Raises
    ------
    SBMLRequestError
        Naming ``biomodel``: an id the server does not offer, a file over the
        size limit, or an importer refusal.
    """
    files = biomodels(folder)
    item = files.get(key)
    if item is None:
        some = ", ".join(list(files)[:5])
        raise SBMLRequestError(
            "biomodel", f"unknown BioModels id {key[:40]!r}; GET /api/sbml/biomodels lists them"
            + (f" (e.g. {some})" if some else " (this server has none)")
        )
    path: Path = item["_path"]
    size = path.stat().st_size
    if size > SBML_LIMITS["max_sbml_bytes"]:
        raise SBMLRequestError("biomodel", f"{item['file']}: {size} bytes is more than the limit of "
                               f"{SBML_LIMITS['max_sbml_bytes']} bytes")
    data = path.read_bytes()
    hit = _import(data, f"biomodels:{key}", item["file"], "biomodel")
    return hit
