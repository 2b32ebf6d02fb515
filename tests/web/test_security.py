"""Security: CSP on every response, no inline script, path traversal, oversized bodies, unknown fields."""

from __future__ import annotations

import re

import pytest

from oncoimmune.web.pages import MODELLER_PAGES, PATIENT_PAGES
from oncoimmune.web.schemas import LIMITS
from oncoimmune.web.security import CSP, REPORT_CSP

PAGES = ["/"] + [p for p, _ in PATIENT_PAGES + MODELLER_PAGES] + [
    "/could-i-have-it?cancer=nsclc&stage=IV&pdl1=60&prior_lines=0",
    "/explorer?model=wodarz2001",
]


@pytest.mark.parametrize("path", PAGES + ["/api/models", "/openapi.json", "/static/css/site.css", "/nowhere"])
def test_every_response_has_the_csp(client, path):
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    assert csp == CSP
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_no_inline_script(client, path):
    html = client.get(path).text
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
        assert re.search(r'\ssrc="/static/js/[a-z]+\.js"', tag), tag
    assert not re.findall(r"<script\b[^>]*>\s*[^<\s]", html, flags=re.I), "inline script body"
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), "inline event handler"
    assert "javascript:" not in html.lower()
    assert not re.search(r"\sstyle\s*=", html, flags=re.I), "inline style attribute (blocked by the CSP)"
    assert "http://" not in html.replace("http://127.0.0.1:8000", "") and "https://cdn" not in html


@pytest.mark.parametrize(
    "path",
    [
        "/static/../pyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2f..%2fpyproject.toml",
        "/static/css/../../app.py",
        "/static/%2e%2e/app.py",
        "/api/jobs/..%2f..%2fetc/files/report.html",
        "/api/jobs/" + "a" * 32 + "/files/..%2f..%2fjob.json",
        "/api/jobs/" + "a" * 32 + "/files/%2e%2e%2fjob.json",
        "/api/models/..%2f..%2fetc%2fpasswd",
        "/jobs/..%2f..%2fetc",
    ],
)
def test_path_traversal_is_refused(client, path):
    r = client.get(path)
    assert r.status_code in (404, 422), (path, r.status_code)
    assert "[project]" not in r.text and "create_app" not in r.text and "root:" not in r.text


def test_oversized_body_is_422_naming_body(client):
    big = '{"model": "kuznetsov1994", "set": {"T": 1' + "0" * LIMITS["max_body_bytes"] + "}}"
    r = client.post("/api/simulate", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "body" and "too large" in r.json()["detail"][0]["msg"]


def test_oversized_chunked_body_is_422(client):
    def chunks():
        yield b'{"model": "kuznetsov1994", "x": "'
        for _ in range(20):
            yield b"a" * 8192
        yield b'"}'

    r = client.post("/api/simulate", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "body"


def test_unknown_fields_and_bad_json_are_422(client):
    assert client.post("/api/simulate", json={"model": "kuznetsov1994", "__class__": 1}).status_code == 422
    assert client.post("/api/jobs", json={"trial": "keynote024", "out": "/etc"}).status_code == 422
    r = client.post("/api/simulate", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


@pytest.mark.parametrize(
    "text",
    ["__import__('os').system('id')", "$(id)", "`id`", "../../etc/passwd", "pembrolizumab:200mg:q3w;id"],
)
def test_request_strings_reach_no_evaluator_or_path(client, text):
    """Hostile strings are refused as names (422), never evaluated, looked up as files or run."""
    for body in ({"model": text}, {"model": "kuznetsov1994", "therapies": [text]},
                 {"model": "kuznetsov1994", "set": {text: 1.0}}):
        r = client.post("/api/simulate", json=body)
        assert r.status_code == 422, (body, r.text)
    r = client.get("/api/eligible", params={"cancer": text})
    assert r.status_code == 422


def test_report_is_served_sandboxed_without_script():
    assert "sandbox" in REPORT_CSP and "script" not in REPORT_CSP


def test_docs_ui_from_a_cdn_is_not_served(client):
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
