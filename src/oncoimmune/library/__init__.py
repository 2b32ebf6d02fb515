"""Published tumour-immune models, one module each.

Each module defines ``ID``, ``TITLE``, ``REFERENCE`` (a :class:`~oncoimmune.model.Source`)
and ``build() -> Model`` (modules are discovered automatically); its docstring carries the equations, the parameter
table and its sources. :func:`get_model` and :func:`list_models` are the registry.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from typing import Any

from .._errors import UnknownNameError
from ..model.model import Model


@lru_cache(maxsize=1)
def _modules() -> dict[str, str]:
    """model id -> module name: every public module of this package that defines ``ID`` and ``build``."""
    out: dict[str, str] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "ID") and hasattr(mod, "build"):
            out[mod.ID] = info.name
    return out


def _module(model_id: str) -> Any:
    mods = _modules()
    if model_id not in mods:
        raise UnknownNameError("model", model_id, sorted(mods))
    return importlib.import_module(f"{__name__}.{mods[model_id]}")


def get_model(model_id: str, **options: Any) -> Model:
    """The library model ``model_id`` with its published parameter values.

    ``options`` go to the module's ``build`` (e.g. ``cell_line="raji"`` for
    CARTmath); an option the module does not take raises a ``TypeError``
    naming it.
    """
    if not options:
        return _cached(model_id)
    return _module(model_id).build(**options)


@lru_cache(maxsize=None)
def _cached(model_id: str) -> Model:
    return _module(model_id).build()


def list_models() -> list[dict[str, str]]:
    """``[{"id", "title", "citation"}]`` for every library model."""
    out = []
    for mid in sorted(_modules()):
        mod = _module(mid)
        out.append({"id": mid, "title": mod.TITLE, "citation": str(mod.REFERENCE)})
    return out


__all__ = ["get_model", "list_models"]


def default_events(model_id: str, **options: Any) -> tuple:
    """The events of the model's published default experiment (e.g. a CAR-T infusion), or ``()``.

    A library module may define ``default_events(**options) -> tuple[Event, ...]``.
    """
    mod = _module(model_id)
    return tuple(mod.default_events(**options)) if hasattr(mod, "default_events") else ()


def default_days(model_id: str) -> float:
    """Horizon of the model's default experiment in days (module constant ``DEFAULT_DAYS``, else 365)."""
    return float(getattr(_module(model_id), "DEFAULT_DAYS", 365.0))


__all__ += ["default_events", "default_days"]
