"""Fixtures of the web tests: one app per module with its own data directory."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the web tests need the 'web' extra: pip install 'oncoimmune[web]'")
pytest.importorskip("jinja2", reason="the web tests need the 'web' extra: pip install 'oncoimmune[web]'")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from oncoimmune.web import create_app

    return create_app(tmp_path_factory.mktemp("web-data"), warm=False)


@pytest.fixture(scope="module")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        # load the batched engine's compiled kernel once (from numba's cache) outside the timed tests
        c.post("/api/simulate", json={"model": "kuznetsov1994", "days": 5, "points": 3})
        yield c
