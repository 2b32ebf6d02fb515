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


# live server and browser (Selenium driving Debian's Chromium) ------------------------------------------
import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

CHROMIUM = os.environ.get("ONCOIMMUNE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("ONCOIMMUNE_CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Chromium flags for these machines (no sandbox, nothing fetched from the network).
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage")


def screenshot_dir() -> Path:
    """Where screenshots are kept as artefacts: $ONCOIMMUNE_SCREENSHOTS, else out/web-screenshots (not committed)."""
    d = Path(os.environ.get("ONCOIMMUNE_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "out" / "web-screenshots")
    d.mkdir(parents=True, exist_ok=True)
    return d


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app served by uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    uvicorn = pytest.importorskip("uvicorn")
    from oncoimmune.web import create_app

    port = _free_port()
    app = create_app(tmp_path_factory.mktemp("web-live-data"), warm=True)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    if not server.started:
        pytest.fail("uvicorn did not start")
    import httpx

    httpx.post(f"http://127.0.0.1:{port}/api/simulate", json={"model": "kuznetsov1994", "days": 5, "points": 3},
               timeout=300)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by chromedriver; skipped with a clear message when either is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="browser tests need selenium (the 'test' extra)")
    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        pytest.skip(f"browser tests skipped: no Chromium/chromedriver at {CHROMIUM} / {CHROMEDRIVER} "
                    "(apt-get install chromium chromium-driver; .ci/run does this in CI)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        opts.add_argument(flag)
    opts.add_argument("--window-size=1280,1000")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    except Exception as exc:  # noqa: BLE001 - any start-up failure means no usable browser here
        pytest.skip(f"browser tests skipped: Chromium did not start ({type(exc).__name__}: {str(exc)[:200]})")
    driver.set_script_timeout(60)
    yield driver
    driver.quit()
