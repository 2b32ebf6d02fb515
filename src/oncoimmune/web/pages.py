"""Server-rendered pages: six for patients and families, three for modellers.

Every page says it is information, not medical advice, and shows the date and
the package version (``templates/base.html``); every figure carries the
evidence behind it. Forms work without JavaScript (the eligibility form is a
plain GET form answered on the server); scripts only animate and redraw.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path as PathParam, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ..library import list_models
from ..patients import ASSAYS, CANCERS, TREATMENTS
from ..therapy import CHEMO_REGIMENS, list_catalogue
from . import content
from .imported import SBML_LIMITS, SBMLRequestError, biomodels, import_biomodel
from .jobs import TRIALS
from .scenario import ESCAPES, ScenarioError
from .schemas import LIMITS

__all__ = ["router", "PATIENT_PAGES", "MODELLER_PAGES"]

router = APIRouter(include_in_schema=False)

#: (path, navigation title) of the patient pages, in reading order.
PATIENT_PAGES = [
    ("/immune-system", "How it works"),
    ("/escape", "How cancer hides"),
    ("/treatments", "Types of immunotherapy"),
    ("/could-i-have-it", "Could I have it?"),
    ("/tests", "Tests"),
    ("/trials", "Clinical trials"),
]
#: (path, navigation title) of the modeller pages.
MODELLER_PAGES = [
    ("/explorer", "Model explorer"),
    ("/jobs", "Virtual trials"),
    ("/api-docs", "JSON API"),
]


def _render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    templates = request.app.state.templates
    ctx.setdefault("patient_pages", PATIENT_PAGES)
    ctx.setdefault("modeller_pages", MODELLER_PAGES)
    ctx.setdefault("path", request.url.path)
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def _drugs_by_class() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for d in list_catalogue():
        for c in d["classes"]:
            out.setdefault(c, []).append(d)
    return out


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return _render(request, "index.html", title="Immunotherapy, explained and simulated")


@router.get("/immune-system", response_class=HTMLResponse)
def immune_system(request: Request) -> HTMLResponse:
    return _render(request, "immune_system.html", title="How the immune system fights cancer", fight=content.FIGHT,
                   fight_json=json.dumps({**content.FIGHT, "escapes": {}, "therapies": []}))


@router.get("/escape", response_class=HTMLResponse)
def escape(request: Request) -> HTMLResponse:
    return _render(request, "escape.html", title="How cancer escapes the immune system", fight=content.FIGHT,
                   escapes=content.ESCAPE_TEXT,
                   fight_json=json.dumps({**content.FIGHT, "escapes": {}, "therapies": []}))


@router.get("/treatments", response_class=HTMLResponse)
def treatments(request: Request) -> HTMLResponse:
    by_class = _drugs_by_class()
    types = []
    for t in content.THERAPY_TYPES:
        seen: dict[str, dict[str, Any]] = {}
        for c in t["classes"]:
            for d in by_class.get(c, []):
                if not set(t.get("exclude_classes", ())) & set(d["classes"]):
                    seen.setdefault(d["name"], d)
        sc = {**content.FIGHT, **t["scenario"]}
        sc.setdefault("days", None)
        types.append({**t, "drugs": list(seen.values()), "scenario_json": json.dumps(sc)})
    return _render(request, "treatments.html", title="Types of immunotherapy", types=types)


_ELIGIBLE_KEYS = ("cancer", "stage", "pdl1", "msi", "age", "prior_lines", "prior", "region", "setting", "histology",
                  "tmb")


def _num(value: str | None, field: str, lo: float, hi: float, integer: bool = False) -> Any:
    if value is None or value.strip() == "":
        return None
    try:
        x = int(value) if integer else float(value)
    except ValueError:
        raise ScenarioError(field, f"must be a {'whole ' if integer else ''}number; got {value[:20]!r}") from None
    if not lo <= x <= hi:
        raise ScenarioError(field, f"must be between {lo:g} and {hi:g}; got {value[:20]}")
    return x


@router.get("/could-i-have-it", response_class=HTMLResponse)
def could_i_have_it(
    request: Request,
    cancer: Annotated[str | None, Query(max_length=64)] = None,
    stage: Annotated[str | None, Query(max_length=64)] = None,
    pdl1: Annotated[str | None, Query(max_length=20)] = None,
    msi: Annotated[str | None, Query(max_length=64)] = None,
    tmb: Annotated[str | None, Query(max_length=20)] = None,
    age: Annotated[str | None, Query(max_length=20)] = None,
    prior_lines: Annotated[str | None, Query(max_length=20)] = None,
    prior: Annotated[list[str] | None, Query(max_length=10)] = None,
    region: Literal["uk", "us"] = "uk",
    setting: Annotated[str | None, Query(max_length=64)] = None,
    histology: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    from .api import eligibility

    form = {"cancer": cancer or "", "stage": stage or "", "pdl1": pdl1 or "", "msi": msi or "", "tmb": tmb or "",
            "age": age or "", "prior_lines": prior_lines or "", "prior": list(prior or ()), "region": region,
            "setting": setting or "", "histology": histology or ""}
    report, error, status = None, None, 200
    if cancer:
        try:
            params = {
                "cancer": cancer,
                "stage": stage or None,
                "pdl1": _num(pdl1, "pdl1", 0, 100),
                "msi": msi or None,
                "tmb": _num(tmb, "tmb", 0, 1000),
                "age": _num(age, "age", 0, 120),
                "prior_lines": _num(prior_lines, "prior_lines", 0, 20, integer=True),
                "prior": [p for p in (prior or ()) if p],
                "region": region,
                "setting": setting or None,
                "histology": histology or None,
            }
            report = eligibility(params)
        except ScenarioError as exc:
            error = {"field": exc.field, "msg": exc.reason}
            status = 422
    return _render(
        request, "could_i_have_it.html", status_code=status, title="Could I have immunotherapy?",
        cancers=[(k, c.name, list(c.stages)) for k, c in CANCERS.items()], treatments=list(TREATMENTS),
        form=form, report=report, error=error, questions=content.CARE_TEAM_QUESTIONS,
    )


@router.get("/tests", response_class=HTMLResponse)
def tests_page(request: Request) -> HTMLResponse:
    items = []
    for t in content.TEST_TEXT:
        items.append({**t, "assays": [ASSAYS[a] for a in t["assays"] if a in ASSAYS]})
    return _render(request, "tests.html", title="Tests before immunotherapy", items=items)


@router.get("/trials", response_class=HTMLResponse)
def trials_page(request: Request) -> HTMLResponse:
    from ..trials import KEYNOTE024_PUBLISHED, keynote024_reference

    done = [j for j in request.app.state.jobs.list() if j.get("state") == "done" and j.get("trial") == "keynote024"]
    # without the reconstructed data (a server without shared/) the page says so instead of asking for a 404
    return _render(request, "trials.html", title="Clinical trials, and a virtual one", limits=content.TRIAL_LIMITS,
                   published=KEYNOTE024_PUBLISHED, job=done[0] if done else None, trial=TRIALS["keynote024"],
                   reference=keynote024_reference() is not None)


@router.get("/explorer", response_class=HTMLResponse)
def explorer(request: Request,
             model: Annotated[str, Query(pattern=r"^[a-z0-9_]{1,64}$")] = "kuznetsov1994",
             biomodel: Annotated[str | None, Query(pattern=r"^[a-z0-9]{1,32}$")] = None) -> Any:
    """The model explorer for a library model or an imported SBML model (``?model=sbml_...``).

    ``?biomodel=ID`` imports one of the server's BioModels files (a plain form, no script needed) and
    redirects to its explorer; an upload goes through ``POST /api/sbml`` (``static/js/explorer.js``).
    """
    from .api import model_detail

    error = None
    if biomodel is not None:
        try:
            item = import_biomodel(biomodel, request.app.state.biomodels_dir)
        except SBMLRequestError as exc:
            error = {"field": exc.field, "msg": exc.reason}
        else:
            return RedirectResponse(f"/explorer?model={item.id}", status_code=303)
    detail = model_detail(model)
    status = 422 if error else 200
    if detail is None:
        error = error or {"field": "model", "msg": f"no model {model!r} here: an imported model is kept in memory "
                          "only; import its file again below"}
        detail, status = model_detail("kuznetsov1994"), 404
    drugs = [d for d in list_catalogue() if d.get("mechanism_available", True)]
    return _render(request, "explorer.html", status_code=status, title="Model explorer", models=list_models(),
                   model=detail, drugs=drugs, chemo=sorted(CHEMO_REGIMENS), escapes=ESCAPES, limits=LIMITS,
                   sbml_limits=SBML_LIMITS, biomodels=list(biomodels(request.app.state.biomodels_dir).values()), error=error,
                   model_json=json.dumps(detail))


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request) -> HTMLResponse:
    store = request.app.state.jobs
    jobs = [s for j in store.list() if (s := store.status(j["id"])) is not None]
    return _render(request, "jobs.html", title="Virtual trials", jobs=jobs, trials=TRIALS, limits=LIMITS)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]) -> HTMLResponse:
    store = request.app.state.jobs
    st = store.status(job_id)
    if st is None:
        return _render(request, "not_found.html", status_code=404, title="No such job")
    summary = store.summary(job_id) if st["state"] == "done" else None
    figures = [f for f in st.get("files", []) if f.endswith(".png")]
    downloads = [f for f in st.get("files", []) if not f.endswith(".png")]
    return _render(request, "job.html", title=f"Virtual trial {job_id[:8]}", job=st, summary=summary,
                   figures=figures, downloads=downloads)


@router.get("/api-docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    ops = []
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            params = [p.get("name") for p in op.get("parameters", [])]
            ops.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                        "description": op.get("description", ""), "params": params,
                        "body": "requestBody" in op})
    return _render(request, "api_docs.html", title="JSON API", ops=ops)
