"""The FastAPI application: pages for patients and modellers, the JSON API, static files.

:func:`create_app` builds the app for a data directory (where trial jobs are
kept). Pages are Jinja2 templates rendered on the server; the little JavaScript
they need (the animated picture, charts, sliders, job progress) is in
``static/js`` and is loaded from this server only (no CDN; it works offline).
There is no inline script: the Content-Security-Policy forbids it.
"""

from __future__ import annotations

import datetime as _dt
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .. import __version__
from .api import router as api_router
from .jobs import JobStore
from .pages import router as pages_router
from .imported import biomodels_dir as _biomodels_dir
from .schemas import LIMITS, SBML_MAX_BODY_BYTES
from .security import SecurityMiddleware

__all__ = ["create_app"]

HERE = Path(__file__).resolve().parent


def _field(loc: Any) -> str:
    parts = [p for p in (loc or ()) if p not in ("body", "query", "path", "[key]")]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


def _num(x: Any, digits: int = 1, scale: float = 1.0) -> str:
    """Jinja filter: ``x * scale`` with ``digits`` decimals, or an en dash for a missing or non-finite value."""
    import math

    try:
        v = float(x) * scale
    except (TypeError, ValueError):
        return "–"
    return f"{v:.{digits}f}" if math.isfinite(v) else "–"


def create_app(data_dir: str | os.PathLike[str] | None = None, *, max_concurrent_jobs: int | None = None,
               warm: bool = True, biomodels_dir: str | os.PathLike[str] | None = None) -> FastAPI:
    """Build the web application.

    Parameters
    ----------
    data_dir : path-like, optional
        Where background jobs are stored (``DATA/jobs/<id>``); default
        ``./oncoimmune-data``. Jobs left unfinished by a previous server are
        resumed at start-up.
    max_concurrent_jobs : int, optional
        Jobs queued or running at once (default ``LIMITS["max_concurrent_jobs"]``; 0 refuses every job).
    warm : bool
        Compile the batched engine's kernel at start-up (in a thread), so the
        first slider move is fast.
    biomodels_dir : path-like, optional
        Folder of BioModels SBML files the explorer offers (default: ``biomodels/``
        in the shared data folder, ``$ONCOIMMUNE_SHARED/data``, if it exists).

    Returns
    -------
    fastapi.FastAPI
    """
    data = Path(data_dir if data_dir is not None else "oncoimmune-data")
    jobs = JobStore(data, max_concurrent=LIMITS["max_concurrent_jobs"] if max_concurrent_jobs is None
                    else max_concurrent_jobs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.jobs.resume_interrupted()
        if warm:
            import threading

            from .scenario import run_scenario

            threading.Thread(target=lambda: run_scenario("kuznetsov1994", days=10.0, points=11), daemon=True).start()
        yield
        app.state.jobs.shutdown()

    app = FastAPI(
        title="oncoimmune",
        version=__version__,
        summary="Simulate how the immune system fights cancer and how immunotherapy changes that fight.",
        description="JSON API of the oncoimmune web explorer. Information, not medical advice. Bad input is "
        "answered with 422 and a `detail` list naming each field (`field`, e.g. `set.T`).",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.jobs = jobs
    app.state.data_dir = data.resolve()
    app.state.biomodels_dir = _biomodels_dir(biomodels_dir)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(version=__version__)
    templates.env.globals["today"] = lambda: _dt.date.today().isoformat()
    templates.env.filters["num"] = _num
    app.state.templates = templates

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = []
        for err in exc.errors():
            item = {k: err[k] for k in ("loc", "msg", "type") if k in err}
            item["loc"] = list(item.get("loc", []))
            item["field"] = _field(err.get("loc"))
            detail.append(item)
        return JSONResponse(status_code=422, content={"detail": detail})

    app.include_router(api_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(SecurityMiddleware, max_body_bytes=LIMITS["max_body_bytes"],
                       path_limits={"/api/sbml": SBML_MAX_BODY_BYTES})
    return app
