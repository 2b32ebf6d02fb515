"""Published tumour-immune models, one module each.

Each module defines ``ID``, ``TITLE``, ``REFERENCE`` (a :class:`~oncoimmune.model.Source`)
and ``build() -> Model``; its docstring carries the equations, the parameter
table and its sources. :func:`get_model` and :func:`list_models` are the registry.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from .._errors import UnknownNameError
from ..model.model import Model

#: model id -> module name in this package
_MODULES: dict[str, str] = {
    "kuznetsov1994": "kuznetsov1994",
}


def _module(model_id: str) -> Any:
    if model_id not in _MODULES:
        raise UnknownNameError("model", model_id, sorted(_MODULES))
    return importlib.import_module(f"{__name__}.{_MODULES[model_id]}")


@lru_cache(maxsize=None)
def get_model(model_id: str) -> Model:
    """The library model ``model_id`` with its published parameter values."""
    return _module(model_id).build()


def list_models() -> list[dict[str, str]]:
    """``[{"id", "title", "citation"}]`` for every library model."""
    out = []
    for mid in sorted(_MODULES):
        mod = _module(mid)
        out.append({"id": mid, "title": mod.TITLE, "citation": str(mod.REFERENCE)})
    return out


__all__ = ["get_model", "list_models"]
