"""The JSON API under ``/api/``: models, SBML import, simulate, drugs, eligible, trials, jobs.

Every handler calls the public API of :mod:`oncoimmune`; bad input is answered
with 422 and a ``detail`` list whose items name the field (``loc`` as FastAPI
writes it, plus ``field`` as a dotted string, e.g. ``set.T``).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path as PathParam, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from .. import OncoimmuneError, __version__
from ..library import default_days, get_model, list_models
from ..patients import check_eligibility
from ..therapy import CHEMO_REGIMENS, list_catalogue
from .imported import SBML_LIMITS, SBMLRequestError, biomodels, get_imported, import_biomodel, import_text, is_imported_id
from .jobs import TRIALS, JobLimitError
from .scenario import ESCAPES, ScenarioError, model_ids, run_scenario, scenario_default_days
from .schemas import LIMITS, JobRequest, SBMLRequest, SimulateRequest

__all__ = ["router", "unprocessable", "model_detail", "eligibility", "reference_curves", "km_curves"]

router = APIRouter(prefix="/api")


def _loc(field: str) -> list[Any]:
    """``"set.T"`` -> ``["set", "T"]``; ``"therapies[0]"`` -> ``["therapies", 0]``."""
    out: list[Any] = []
    for part in field.split("."):
        m = re.match(r"^([^\[]*)((?:\[\d+\])*)$", part)
        if not m:
            out.append(part)
            continue
        if m.group(1):
            out.append(m.group(1))
        out.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return out


def unprocessable(field: str, msg: str, where: str = "body", kind: str = "value_error") -> JSONResponse:
    """A 422 response naming ``field``."""
    return JSONResponse(
        status_code=422,
        content={"detail": [{"loc": [where, *_loc(field)], "field": field, "msg": msg, "type": kind}]},
    )


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


# models -------------------------------------------------------------------------------------------
@router.get("/models", summary="Library models", tags=["models"])
def models() -> list[dict[str, Any]]:
    """Every library model: id, title, citation and the horizon of its default experiment (days)."""
    return [{**m, "default_days": default_days(m["id"])} for m in list_models()]


def model_detail(model_id: str) -> dict[str, Any] | None:
    """States, parameters (value, units, bounds, meaning, source) and equations of a library model
    or of an imported SBML model (id ``sbml_...``); None if there is no such model."""
    imported = get_imported(model_id) if is_imported_id(model_id) else None
    if imported is not None:
        m = imported.model
    elif model_id in {m["id"] for m in list_models()}:
        m = get_model(model_id)
    else:
        return None
    assigned = {k for k, _ in m.initial_assignments}
    return {
        "id": model_id,
        "title": m.title,
        "default_days": scenario_default_days(model_id),
        "time_units": getattr(m, "time_units", "day") if imported is not None else "day",
        "imported": None if imported is None else {
            "source": imported.source, "file": imported.label, "bytes": imported.n_bytes, "sbml_id": m.id,
            "events": len(m.events),
            "events_need_scipy": imported.events_need_scipy,
        },
        "tumour_state": m.tumour_state or None,
        "equations": m.equations(),
        "references": [str(r) for r in m.references],
        "states": [
            {"name": s.name, "units": s.units, "description": s.description, "initial": s.initial,
             "assigned": s.name in assigned}
            for s in m.states
        ],
        "parameters": [
            {
                "name": p.name,
                "value": p.value,
                "units": p.units,
                "description": p.description,
                "bounds": [_finite(p.bounds[0]), _finite(p.bounds[1])],
                "source": str(p.source),
                "distribution": {"kind": p.distribution.kind, "cv": p.distribution.cv},
            }
            for p in m.parameters
        ],
        "escapes": list(ESCAPES),
    }


@router.get("/models/{model_id}", summary="One library or imported model", tags=["models"])
def model(model_id: Annotated[str, PathParam(pattern=r"^[a-z0-9_]{1,64}$")]) -> Any:
    """A model's states, parameters with sources, equations and references (library or imported SBML)."""
    d = model_detail(model_id)
    if d is None:
        ids = ", ".join(m["id"] for m in list_models())
        return JSONResponse(status_code=404, content={"detail": f"unknown model {model_id!r}; valid choices: {ids}, "
                                                      "or an imported SBML model's id (POST /api/sbml)"})
    return d


# SBML import --------------------------------------------------------------------------------------
@router.post("/sbml", summary="Import an SBML file", tags=["models"])
async def sbml_upload(req: SBMLRequest) -> Any:
    """Import the text of an SBML file (Level 2 or 3) for the explorer; answers the model as ``GET /api/models/{id}``.

    The text goes through the safe reader of ``oncoimmune.io.sbml.from_sbml`` (no DOCTYPE or
    ENTITY, UTF-8, at most ``max_sbml_bytes``; formulas through the package's own expression
    grammar, never an evaluator). The id (``sbml_`` + 16 hex digits of the text's SHA-256) is
    then a ``model`` for ``POST /api/simulate`` and ``/explorer?model=ID``. Kept in memory.
    """
    try:
        item = await run_in_threadpool(import_text, req.sbml)
    except SBMLRequestError as exc:
        return unprocessable(exc.field, exc.reason)
    return model_detail(item.id)


@router.get("/sbml/biomodels", summary="BioModels files on this server", tags=["models"])
def sbml_biomodels(request: Request) -> list[dict[str, Any]]:
    """The BioModels SBML files this server offers (``id``, ``file``, ``title``, ``bytes``); import one with
    ``POST /api/sbml/biomodels/{id}``."""
    folder = request.app.state.biomodels_dir
    return [{k: v for k, v in item.items() if not k.startswith("_")} for item in biomodels(folder).values()]


@router.post("/sbml/biomodels/{biomodel}", summary="Import a BioModels file on this server", tags=["models"])
async def sbml_biomodel(request: Request, biomodel: Annotated[str, PathParam(pattern=r"^[a-z0-9]{1,32}$")]) -> Any:
    """Import one of the server's BioModels files by its id; answers the model as ``GET /api/models/{id}``.

    The id is looked up in the server's own list of files; it never becomes part of a path.
    """
    try:
        item = await run_in_threadpool(import_biomodel, biomodel, request.app.state.biomodels_dir)
    except SBMLRequestError as exc:
        return unprocessable(exc.field, exc.reason, where="path")
    return model_detail(item.id)


def _model_ids() -> list[str]:
    return model_ids()


# simulate -----------------------------------------------------------------------------------------
@router.post("/simulate", summary="Simulate a scenario", tags=["simulate"])
async def simulate_endpoint(req: SimulateRequest) -> Any:
    """Simulate one patient (``patients = 1``) or a band of virtual patients (quantiles) of a library model.

    Escapes (``lymphopenia``, ``pdl1_checkpoint``, ``antigen_loss``) and catalogue
    therapies are composed onto the model; ``set`` changes parameters and
    initial values within their bounds. The batched engine solves one patient
    in milliseconds and 1,000 patients in well under a second.
    """
    bad = req.check_names()
    if bad:
        return unprocessable(*bad[0])
    days = (req.days if req.days is not None else default_days(req.model) if req.model in _model_ids()
            else scenario_default_days(req.model) if is_imported_id(req.model) else 1.0)
    if req.patients > 1 and req.patients * days > LIMITS["max_patient_days"]:
        return unprocessable("patients", f"patients x days must be at most {LIMITS['max_patient_days']:,} for a band "
                             f"(got {req.patients} x {days:g}); draw fewer patients or fewer days")
    try:
        result = await run_in_threadpool(
            run_scenario,
            req.model,
            days=req.days,
            set_values=req.set,
            escapes=req.escapes,
            therapies=req.therapies,
            weight_kg=req.weight_kg,
            height_cm=req.height_cm,
            use_default_events=req.default_events,
            patients=req.patients,
            cv=req.cv,
            seed=req.seed,
            vary=req.vary,
            engine=req.engine,
            points=req.points,
        )
    except ScenarioError as exc:
        return unprocessable(exc.field, exc.reason)
    except OncoimmuneError as exc:
        return unprocessable("model", str(exc))
    return JSONResponse(result)  # plain data already: skip FastAPI's (slow) recursive encoder


# drugs --------------------------------------------------------------------------------------------
@router.get("/drugs", summary="Drug catalogue", tags=["drugs"])
def drugs() -> dict[str, Any]:
    """The drug catalogue (classes, target, label schedules, PK and sources) and the chemotherapy regimens."""
    return {"drugs": list_catalogue(), "chemotherapy": sorted(CHEMO_REGIMENS)}


# eligible -----------------------------------------------------------------------------------------
_ELIGIBLE_FIELDS = ("cancer", "stage", "pdl1", "msi", "age", "prior_lines", "prior", "region", "setting", "histology",
                    "tmb")
_PHRASES = {
    "cancer type": "cancer",
    "stage": "stage",
    "msi": "msi",
    "region": "region",
    "earlier treatment": "prior",
    "setting": "setting",
    "histology": "histology",
    "pdl1": "pdl1",
    "pd-l1": "pdl1",
    "tmb": "tmb",
    "age": "age",
    "prior_lines": "prior_lines",
    "prior lines": "prior_lines",
}


def _eligibility_field(msg: str) -> str:
    low = msg.lower()
    best = None
    for phrase, field in _PHRASES.items():
        i = low.find(phrase)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, field)
    return best[1] if best else "cancer"


def eligibility(params: dict[str, Any]) -> dict[str, Any]:
    """``check_eligibility`` with the CLI's flags as keyword arguments; raises ScenarioError naming the field."""
    try:
        report = check_eligibility(
            params["cancer"],
            stage=params.get("stage"),
            pdl1=params.get("pdl1"),
            msi=params.get("msi"),
            age=params.get("age"),
            prior_lines=params.get("prior_lines"),
            prior=tuple(params.get("prior") or ()),
            region=params.get("region") or "uk",
            setting=params.get("setting"),
            histology=params.get("histology"),
            tmb=params.get("tmb"),
        )
    except OncoimmuneError as exc:
        raise ScenarioError(_eligibility_field(str(exc)), str(exc)) from None
    return report.to_dict()


_Text = Annotated[str | None, Query(max_length=64)]


@router.get("/eligible", summary="Who could have which immunotherapy", tags=["eligible"])
def eligible(
    request: Request,
    cancer: Annotated[str, Query(min_length=1, max_length=64, description="Cancer type (nsclc, melanoma, ...).")],
    stage: _Text = None,
    pdl1: Annotated[float | None, Query(ge=0, le=100, description="PD-L1 tumour proportion score, %.")] = None,
    msi: _Text = None,
    age: Annotated[float | None, Query(ge=0, le=120)] = None,
    prior_lines: Annotated[int | None, Query(ge=0, le=20)] = None,
    prior: Annotated[list[str] | None, Query(max_length=10)] = None,
    region: Literal["uk", "us"] = "uk",
    setting: _Text = None,
    histology: _Text = None,
    tmb: Annotated[float | None, Query(ge=0, le=1000, description="Tumour mutational burden, mut/Mb.")] = None,
) -> Any:
    """The options a person could have, those that need more information, and why the others do not apply.

    The query parameters are the flags of ``oncoimmune eligible``. Information, not medical advice.
    """
    unknown = sorted(set(request.query_params) - set(_ELIGIBLE_FIELDS))
    if unknown:
        return unprocessable(unknown[0][:40], f"unknown query parameter; valid: {', '.join(_ELIGIBLE_FIELDS)}",
                             where="query", kind="extra_forbidden")
    if prior and any(len(p) > 64 for p in prior):
        return unprocessable("prior", "each earlier treatment must be at most 64 characters", where="query")
    try:
        return eligibility(
            {"cancer": cancer, "stage": stage, "pdl1": pdl1, "msi": msi, "age": age, "prior_lines": prior_lines,
             "prior": prior, "region": region, "setting": setting, "histology": histology, "tmb": tmb}
        )
    except ScenarioError as exc:
        return unprocessable(exc.field, exc.reason, where="query")


# trials -------------------------------------------------------------------------------------------
@router.get("/trials", summary="Trials the server can run", tags=["trials"])
def trials() -> dict[str, Any]:
    """Bundled virtual trials (start one with ``POST /api/jobs``) and the limits."""
    return {
        "trials": [{"id": k, **v} for k, v in TRIALS.items()],
        "limits": {k: LIMITS[k] for k in ("max_trial_patients", "max_concurrent_jobs")},
    }


def _km_points(km: Any) -> dict[str, Any]:
    t = km.table
    return {
        "time": [float(x) for x in t["time"]],
        "survival": [float(x) for x in t["survival"]],
        "n": km.n,
        "events": km.events,
        "median": _finite(km.median),
    }


def reference_curves() -> dict[str, Any] | None:
    """Kaplan-Meier curves of the reconstructed KEYNOTE-024 data (PFS, OS) and the published figures, or None."""
    from ..analysis import kaplan_meier
    from ..trials import KEYNOTE024_PUBLISHED, keynote024_reference

    ref = keynote024_reference()
    if ref is None:
        return None
    out: dict[str, Any] = {"name": ref.name, "citation": ref.citation, "published": KEYNOTE024_PUBLISHED,
                           "data": "reconstructed patient-level data (kmdata, Robert Redd, MIT)", "curves": {}}
    inv = {v: k for k, v in ref.arm_map.items()}
    for ep in ("pfs", "os"):
        df = ref.real(ep)
        out["curves"][ep] = {
            inv.get(arm, arm): _km_points(kaplan_meier(g["time"].to_numpy(float), g["event"].to_numpy(int), label=arm))
            for arm, g in df.groupby("arm", sort=True)
        }
    return out


@router.get("/trials/{trial}/reference", summary="The real trial's curves", tags=["trials"])
def trial_reference(trial: Literal["keynote024"]) -> Any:
    """The real trial's Kaplan-Meier curves (months) beside which the virtual trial is drawn."""
    data = reference_curves()
    if data is None:
        return JSONResponse(status_code=404, content={"detail": "the reconstructed KEYNOTE-024 data are not installed "
                                                                "(set ONCOIMMUNE_SHARED_DATA)"})
    return data


def km_curves(endpoints_path: Any) -> dict[str, Any]:
    """Kaplan-Meier curves (PFS, OS; months) per arm of a finished virtual trial."""
    import pandas as pd

    from ..analysis import km_by_arm

    table = pd.read_parquet(endpoints_path)
    out: dict[str, Any] = {}
    for ep in ("pfs", "os"):
        kms = km_by_arm(table, time=f"{ep}_months", event=f"{ep}_event")
        out[ep] = {arm: _km_points(km) for arm, km in kms.items()}
    return out


# jobs ---------------------------------------------------------------------------------------------
_JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$", description="Job id (32 hex digits).")]


def _no_job(job_id: str) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": f"no job {job_id!r}"})


@router.get("/jobs", summary="All jobs", tags=["jobs"])
def jobs_list(request: Request) -> list[dict[str, Any]]:
    """Every job, newest first, with its state and progress."""
    store = request.app.state.jobs
    return [s for j in store.list() if (s := store.status(j["id"])) is not None]


@router.post("/jobs", status_code=202, summary="Start a virtual trial", tags=["jobs"])
def jobs_create(request: Request, req: JobRequest) -> Any:
    """Start a virtual trial in the background; poll ``GET /api/jobs/{id}`` for its progress."""
    try:
        return request.app.state.jobs.create(req.trial, req.patients, req.seed)
    except JobLimitError as exc:
        return unprocessable("concurrent_jobs", str(exc))


@router.get("/jobs/{job_id}", summary="A job's state and progress", tags=["jobs"])
def jobs_status(request: Request, job_id: _JobId) -> Any:
    """State (queued, running, done, failed, cancelled), progress and, when done, the files to download."""
    st = request.app.state.jobs.status(job_id)
    return st if st is not None else _no_job(job_id)


@router.delete("/jobs/{job_id}", summary="Cancel a job", tags=["jobs"])
def jobs_cancel(request: Request, job_id: _JobId) -> Any:
    """Stop a queued or running job (finished shards stay on disk)."""
    st = request.app.state.jobs.cancel(job_id)
    return st if st is not None else _no_job(job_id)


@router.get("/jobs/{job_id}/summary", summary="A finished job's figures", tags=["jobs"])
def jobs_summary(request: Request, job_id: _JobId) -> Any:
    """``summary.json`` of a finished trial (responses, survival, comparison with the real trial)."""
    s = request.app.state.jobs.summary(job_id)
    return s if s is not None else _no_job(job_id)


@router.get("/jobs/{job_id}/km", summary="A finished job's survival curves", tags=["jobs"])
def jobs_km(request: Request, job_id: _JobId) -> Any:
    """Kaplan-Meier curves (months) per arm of the virtual trial, for drawing beside the real ones."""
    files = request.app.state.jobs.files(job_id) or {}
    if "endpoints.parquet" not in files:
        return _no_job(job_id)
    return km_curves(files["endpoints.parquet"])


_MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".png": "image/png",
    ".json": "application/json",
    ".parquet": "application/vnd.apache.parquet",
}


@router.get("/jobs/{job_id}/files/{name}", summary="Download an output", tags=["jobs"])
def jobs_file(
    request: Request,
    job_id: _JobId,
    name: Annotated[str, PathParam(pattern=r"^[a-z0-9_]{1,64}\.(parquet|csv|png|html|json)$")],
) -> Any:
    """One output of a finished job (names listed in the job's ``files``); looked up, never joined to a path."""
    files = request.app.state.jobs.files(job_id)
    if files is None:
        return _no_job(job_id)
    path = files.get(name)
    if path is None:
        return JSONResponse(status_code=404, content={"detail": f"no file {name!r}; valid: {', '.join(sorted(files))}"})
    suffix = path.suffix
    headers = {}
    if suffix == ".html":
        from .security import REPORT_CSP

        headers["content-security-policy"] = REPORT_CSP
    inline = suffix in (".png", ".html", ".json")
    return FileResponse(
        path, media_type=_MEDIA[suffix], headers=headers, filename=name,
        content_disposition_type="inline" if inline else "attachment",
    )


@router.get("/limits", summary="Limits of this server", tags=["meta"])
def limits() -> dict[str, Any]:
    """The limits every request is held to (422 naming the field beyond them)."""
    return {**LIMITS, **SBML_LIMITS, "oncoimmune_version": __version__}
