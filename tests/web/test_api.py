"""The JSON API through FastAPI's TestClient: models, simulate, drugs, eligible, trials, jobs, limits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoimmune.library import get_model, list_models
from oncoimmune.patients import check_eligibility


def _field(r):
    return r.json()["detail"][0]["field"]


def test_models_lists_the_library(client):
    r = client.get("/api/models")
    assert r.status_code == 200
    assert [m["id"] for m in r.json()] == [m["id"] for m in list_models()]
    assert all(m["default_days"] > 0 for m in r.json())


def test_model_detail_has_parameters_with_sources(client):
    d = client.get("/api/models/kuznetsov1994").json()
    names = {p["name"]: p for p in d["parameters"]}
    assert names["s"]["value"] == pytest.approx(1.3e4) and "Kuznetsov" in names["s"]["source"]
    assert d["equations"][0].startswith("dE/dt")
    assert client.get("/api/models/no_such_model").status_code == 404


def test_simulate_matches_the_reference_engine(client):
    """The batched engine's answer for one patient agrees with the SciPy reference engine (same request)."""
    body = {"model": "kuznetsov1994", "days": 200, "points": 51}
    fast = client.post("/api/simulate", json=body).json()
    ref = client.post("/api/simulate", json={**body, "engine": "scipy"}).json()
    assert fast["status"] == ref["status"] == "ok"
    t_fast, t_ref = np.array(fast["states"]["T"]), np.array(ref["states"]["T"])
    assert np.max(np.abs(t_fast - t_ref) / np.max(t_ref)) < 1e-3
    assert fast["time"][-1] == 200 and len(fast["time"]) == 51
    assert "Kuznetsov" in fast["evidence"][0]


def test_simulate_set_changes_the_answer_and_escape_lets_the_tumour_grow(client):
    base = client.post("/api/simulate", json={"model": "kuznetsov1994", "days": 400}).json()
    esc = client.post("/api/simulate", json={"model": "kuznetsov1994", "days": 400,
                                             "escapes": {"pdl1_checkpoint": 2.0}}).json()
    treated = client.post("/api/simulate", json={"model": "kuznetsov1994", "days": 400,
                                                 "escapes": {"pdl1_checkpoint": 2.0},
                                                 "therapies": ["pembrolizumab"]}).json()
    # Kuznetsov's dormant state (about 1e7 cells) vs escape to near the carrying capacity 1/b = 5e8
    assert base["states"]["T"][-1] < 5e7
    assert esc["states"]["T"][-1] > 4e8
    assert treated["states"]["T"][-1] < 5e7  # pembrolizumab releases the brake
    more_kill = client.post("/api/simulate", json={"model": "kuznetsov1994", "days": 400,
                                                   "set": {"n": 2 * 1.101e-7}}).json()
    assert more_kill["states"]["T"][-1] != base["states"]["T"][-1]


def test_simulate_band_is_ordered_and_reproducible(client):
    body = {"model": "kuznetsov1994", "days": 100, "patients": 200, "cv": 0.3, "seed": 3, "points": 21}
    a = client.post("/api/simulate", json=body).json()
    b = client.post("/api/simulate", json=body).json()
    assert a["states"] == b["states"]
    q = a["states"]["T"]
    for k in range(21):
        vals = [q[n][k] for n in ("q05", "q25", "q50", "q75", "q95")]
        assert vals == sorted(vals)
    assert a["n_ok"] == 200 and a["vary"] == list(get_model("kuznetsov1994").parameter_names)
    assert q["q95"][-1] > q["q05"][-1]


def test_simulate_reports_the_server_solve_and_build_times(client):
    """The API reports its own solve and build times (the page shows them). How fast they are is measured
    in ``benchmarks/bench_web_load.py`` (docs/benchmarks.md, "Web explorer"), not asserted here: a timed
    test on a shared machine fails with the load, not with the code."""
    for body in ({"model": "kuznetsov1994", "days": 200, "set": {"n": 1.2e-7}},
                 {"model": "kuznetsov1994", "days": 200, "patients": 1000}):
        t = client.post("/api/simulate", json=body).json()["timing_ms"]
        assert set(t) == {"solve", "build"} and all(math.isfinite(v) and v >= 0 for v in t.values()), t


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"model": "kuznetsov1994", "bogus": 1}, "bogus"),
        ({"model": "nope"}, "model"),
        ({"model": "kuznetsov1994", "days": 0}, "days"),
        ({"model": "kuznetsov1994", "days": 1e6}, "days"),
        ({"model": "kuznetsov1994", "patients": 1001}, "patients"),
        ({"model": "kuznetsov1994", "points": 100000}, "points"),
        ({"model": "kuznetsov1994", "set": {"T": -1}}, "set.T"),
        ({"model": "kuznetsov1994", "set": {"zz": 1}}, "set.zz"),
        ({"model": "kuznetsov1994", "set": {"n": -1e-7}}, "set.n"),
        ({"model": "kuznetsov1994", "escapes": {"lymphopenia": 2}}, "escapes.lymphopenia"),
        ({"model": "kuznetsov1994", "escapes": {"magic": 1}}, "escapes.magic"),
        ({"model": "kuznetsov1994", "therapies": ["nodrug"]}, "therapies[0]"),
        ({"model": "kuznetsov1994", "therapies": ["a"] * 5}, "therapies"),
        ({"model": "kuznetsov1994", "therapies": ["pembrolizumab; rm -rf /"]}, "therapies[0]"),
        ({"model": "kuznetsov1994", "vary": ["nope"], "patients": 2}, "vary[0]"),
        ({"model": "kuznetsov1994", "engine": "scipy", "patients": 3}, "engine"),
        ({"model": "andersen2017_mpn", "therapies": ["pembrolizumab"]}, "therapies"),
    ],
)
def test_simulate_bad_input_is_422_naming_the_field(client, body, field):
    r = client.post("/api/simulate", json=body)
    assert r.status_code == 422, r.text
    assert _field(r) == field, r.json()


def test_drugs_is_the_catalogue(client):
    d = client.get("/api/drugs").json()
    assert {x["name"] for x in d["drugs"]} >= {"pembrolizumab", "rituximab", "tisagenlecleucel"}
    assert "carboplatin_paclitaxel" in d["chemotherapy"]


def test_eligible_is_the_cli_answer(client):
    r = client.get("/api/eligible", params={"cancer": "nsclc", "stage": "IV", "pdl1": 60, "prior_lines": 0})
    assert r.status_code == 200
    want = check_eligibility("nsclc", stage="IV", pdl1=60, prior_lines=0).to_dict()
    got = r.json()
    assert [a["id"] for a in got["eligible"]] == [a["id"] for a in want["eligible"]]
    assert "uk-pembrolizumab-nsclc-1l-mono" in [a["id"] for a in got["eligible"]]
    assert got["disclaimer"].startswith("This is general information, not medical advice")
    us = client.get("/api/eligible", params={"cancer": "nsclc", "stage": "IV", "pdl1": 60, "region": "us"}).json()
    assert us["region"] == "us"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cancer": "xx"}, "cancer"),
        ({"cancer": "nsclc", "stage": "IX"}, "stage"),
        ({"cancer": "nsclc", "pdl1": 150}, "pdl1"),
        ({"cancer": "nsclc", "msi": "purple"}, "msi"),
        ({"cancer": "nsclc", "region": "fr"}, "region"),
        ({"cancer": "nsclc", "prior": "zzz"}, "prior"),
        ({"cancer": "nsclc", "prior_lines": -1}, "prior_lines"),
        ({"cancer": "nsclc", "surprise": 1}, "surprise"),
        ({}, "cancer"),
    ],
)
def test_eligible_bad_input_is_422_naming_the_field(client, params, field):
    r = client.get("/api/eligible", params=params)
    assert r.status_code == 422, r.text
    assert _field(r) == field, r.json()


def test_trials_and_reference_curves(client):
    t = client.get("/api/trials").json()
    assert [x["id"] for x in t["trials"]] == ["keynote024"]
    r = client.get("/api/trials/keynote024/reference")
    if r.status_code == 404:
        pytest.skip("reconstructed KEYNOTE-024 data not installed (../shared/data)")
    ref = r.json()
    pfs = ref["curves"]["pfs"]
    assert set(pfs) == {"pembrolizumab", "chemotherapy"}
    # Reck 2016: median PFS 10.3 (pembrolizumab) vs 6.0 months; the reconstructed data reproduce them within 0.5 mo
    assert pfs["pembrolizumab"]["median"] == pytest.approx(10.3, abs=0.5)
    assert pfs["chemotherapy"]["median"] == pytest.approx(6.0, abs=0.5)
    assert all(a >= b for a, b in zip(pfs["chemotherapy"]["survival"], pfs["chemotherapy"]["survival"][1:]))


def test_jobs_validate_and_limit_concurrency(tmp_path):
    """A job starts (202) and is listed; beyond max_concurrent_jobs 422 names concurrent_jobs; cancel stops it."""
    from fastapi.testclient import TestClient

    from oncoimmune.web import create_app

    app = create_app(tmp_path, max_concurrent_jobs=1, warm=False)
    with TestClient(app) as c:
        assert _field(c.post("/api/jobs", json={"patients": 100000})) == "patients"
        assert _field(c.post("/api/jobs", json={"trial": "keynote999"})) == "trial"
        assert _field(c.post("/api/jobs", json={"patients": 10, "extra": 1})) == "extra"
        r = c.post("/api/jobs", json={"patients": 10, "seed": 1})
        assert r.status_code == 202, r.text
        job = r.json()
        assert len(job["id"]) == 32 and job["state"] in ("queued", "running")
        assert (tmp_path / "jobs" / job["id"] / "job.json").is_file()
        second = c.post("/api/jobs", json={"patients": 10})
        assert second.status_code == 422 and _field(second) == "concurrent_jobs"
        assert [j["id"] for j in c.get("/api/jobs").json()] == [job["id"]]
        st = c.get(f"/api/jobs/{job['id']}").json()
        assert st["progress"]["patients"] == 10 and 0 <= st["progress"]["fraction"] <= 1
        assert c.delete(f"/api/jobs/{job['id']}").json()["state"] == "cancelled"
        assert c.post("/api/jobs", json={"patients": 10}).status_code == 202  # a slot is free again
        assert c.get("/api/jobs/" + "0" * 32).status_code == 404
        assert c.get("/api/jobs/" + "0" * 32 + "/files/report.html").status_code == 404
        for j in c.get("/api/jobs").json():
            c.delete(f"/api/jobs/{j['id']}")


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/models", "/api/simulate", "/api/drugs", "/api/eligible", "/api/trials", "/api/jobs",
                 "/api/jobs/{job_id}", "/api/jobs/{job_id}/files/{name}"):
        assert path in spec["paths"], path
    body = spec["components"]["schemas"]["SimulateRequest"]
    assert body["additionalProperties"] is False
    assert body["properties"]["patients"]["maximum"] == 1000


def test_cli_has_serve(tmp_path):
    from typer.testing import CliRunner

    from oncoimmune.cli import app

    r = CliRunner().invoke(app, ["serve", "--help"])
    assert r.exit_code == 0 and "--data" in r.output and "--port" in r.output
    f = tmp_path / "afile"
    f.write_text("x")
    r = CliRunner().invoke(app, ["serve", "--data", str(f)])
    assert r.exit_code == 2 and "--data" in r.output


def test_bundled_trial_spec_is_the_example():
    """The package's copy of examples/keynote024.toml must equal it (copy the example there after editing it)."""
    from pathlib import Path

    from oncoimmune.trials import example_spec_text

    example = Path(__file__).resolve().parents[2] / "examples" / "keynote024.toml"
    if not example.is_file():
        pytest.skip("not a source checkout")
    assert example_spec_text("keynote024") == example.read_text(encoding="utf-8"), (
        "src/oncoimmune/trials/specs/keynote024.toml differs from examples/keynote024.toml: copy the example there"
    )


def test_interrupted_job_is_resumed_when_the_server_starts(tmp_path):
    """A job left 'running' by a stopped server (its process gone) is restarted at start-up, resuming its run."""
    import json
    import subprocess
    import sys

    from fastapi.testclient import TestClient

    from oncoimmune.web import create_app

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    job_id = "ab" * 16
    d = tmp_path / "jobs" / job_id
    d.mkdir(parents=True)
    (d / "job.json").write_text(json.dumps({
        "id": job_id, "trial": "keynote024", "patients": 10, "seed": 5, "shard_size": 2, "state": "running",
        "created": "2026-01-01T00:00:00+00:00", "pid": int(gone.stdout)}))
    app = create_app(tmp_path, warm=False)
    with TestClient(app) as c:
        assert job_id in app.state.jobs._procs  # restarted by the lifespan hook
        st = c.get(f"/api/jobs/{job_id}").json()
        assert st["state"] in ("queued", "running") and st["patients"] == 10
        assert c.delete(f"/api/jobs/{job_id}").json()["state"] == "cancelled"
    # a cancelled job is not restarted
    app2 = create_app(tmp_path, warm=False)
    with TestClient(app2):
        assert job_id not in app2.state.jobs._procs


def _finished_job(root, job_id: str):
    """A finished job directory as the job process leaves it (tiny synthetic outputs, some values missing)."""
    import json

    import pandas as pd

    d = root / "jobs" / job_id
    (d / "run" / "figures").mkdir(parents=True)
    (d / "job.json").write_text(json.dumps({
        "id": job_id, "trial": "keynote024", "patients": 4, "seed": 1, "shard_size": 1, "state": "done",
        "created": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:01:00+00:00"}))
    table = pd.DataFrame({"arm": ["pembrolizumab"] * 2 + ["chemotherapy"] * 2, "pfs_months": [2.0, 9.0, 1.0, 4.0],
                          "pfs_event": [1, 0, 1, 1], "os_months": [5.0, 12.0, 3.0, 8.0], "os_event": [1, 0, 1, 1]})
    table.to_parquet(d / "run" / "endpoints.parquet")
    table.to_csv(d / "run" / "endpoints.csv", index=False)
    arm = {"n": 2, "orr": 0.0, "orr_ci": [0.0, 0.84], "pfs": {"median_months": None}, "os": {"median_months": 5.0}}
    summary = {"arms": {"pembrolizumab": arm, "chemotherapy": {**arm, "pfs": {"median_months": 1.0}}},
               "reference": {"name": "KEYNOTE-024", "citation": "Reck 2016", "orr": {"pembrolizumab": {
                   "virtual": 0.0, "virtual_ci": [0.0, 0.84], "published": 0.448, "published_ci": [0.368, 0.53],
                   "inside_published_ci": False}},
                   "hazard_ratios": {"pfs": {"virtual": {"arm": "pembrolizumab", "hr": 0.5, "ci": [0.01, None]},
                                             "published": {"hr": 0.5, "ci": [0.37, 0.68]}}}}}
    (d / "run" / "summary.json").write_text(json.dumps(summary))
    (d / "run" / "report.html").write_text("<html><style>p{}</style><p>report</p></html>")
    (d / "run" / "figures" / "km_pfs.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 200)
    (d / "run" / "secret.txt").write_text("not listed")
    return d


def test_finished_job_page_report_and_downloads(tmp_path):
    """The job page renders a finished job (missing values shown as dashes); only listed files download."""
    from fastapi.testclient import TestClient

    from oncoimmune.web import create_app
    from oncoimmune.web.security import REPORT_CSP

    job_id = "cd" * 16
    _finished_job(tmp_path, job_id)
    with TestClient(create_app(tmp_path, warm=False)) as c:
        st = c.get(f"/api/jobs/{job_id}").json()
        assert st["state"] == "done" and st["progress"]["fraction"] == 1.0
        assert st["files"] == ["endpoints.csv", "endpoints.parquet", "km_pfs.png", "report.html", "summary.json"]
        page = c.get(f"/jobs/{job_id}")
        assert page.status_code == 200 and "Downloads" in page.text and "not reached" in page.text
        assert "virtual 0.50 (0.01––), published 0.50 (0.37–0.68)" in page.text  # a missing bound is a dash
        r = c.get(f"/api/jobs/{job_id}/files/report.html")
        assert r.status_code == 200 and r.headers["content-security-policy"] == REPORT_CSP
        csv = c.get(f"/api/jobs/{job_id}/files/endpoints.csv")
        assert csv.status_code == 200 and csv.headers["content-disposition"].startswith("attachment")
        assert csv.text.splitlines()[0] == "arm,pfs_months,pfs_event,os_months,os_event"
        assert c.get(f"/api/jobs/{job_id}/files/km_pfs.png").headers["content-type"] == "image/png"
        assert c.get(f"/api/jobs/{job_id}/files/secret.txt").status_code == 422  # not an allowed name
        assert c.get(f"/api/jobs/{job_id}/files/job.json").status_code == 404  # not an output
        km = c.get(f"/api/jobs/{job_id}/km").json()
        assert set(km["pfs"]) == {"pembrolizumab", "chemotherapy"}
        assert km["pfs"]["chemotherapy"]["median"] == pytest.approx(1.0)
        assert c.get(f"/api/jobs/{job_id}/summary").json()["arms"]["pembrolizumab"]["n"] == 2
        trials = c.get("/trials")
        assert f'data-job="{job_id}"' in trials.text  # the trials page draws this job beside the real curves
