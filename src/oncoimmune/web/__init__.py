"""The web explorer and patient-facing explainer: ``oncoimmune serve``.

A FastAPI application (server-rendered Jinja2 pages, a JSON API under
``/api/`` described by ``/openapi.json``, static JavaScript and CSS shipped in
the package: no CDN, it works offline). It uses only the public API of
:mod:`oncoimmune`. Needs the ``web`` extra (``pip install 'oncoimmune[web]'``).

>>> from oncoimmune.web import create_app          # doctest: +SKIP
>>> app = create_app("oncoimmune-data")            # doctest: +SKIP

See ``docs/web.md``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    """Build the FastAPI app (see :func:`oncoimmune.web.app.create_app`)."""
    from .app import create_app as _create

    return _create(*args, **kwargs)


def serve(host: str = "127.0.0.1", port: int = 8000, data: str = "oncoimmune-data", log_level: str = "info") -> None:
    """Run the web application with uvicorn (blocks until stopped).

    Parameters
    ----------
    host : str
        Interface to bind; ``127.0.0.1`` (this machine only) by default.
    port : int
        TCP port.
    data : str
        Directory for background jobs (created if missing).
    log_level : str
        uvicorn log level.
    """
    import uvicorn

    uvicorn.run(create_app(data), host=host, port=port, log_level=log_level)
