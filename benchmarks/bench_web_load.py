"""Load test of the web explorer: many concurrent clients on ``POST /api/simulate`` for a fixed time.

Starts ``oncoimmune serve`` (uvicorn, one process) on 127.0.0.1 with a fresh
data directory, then

1. times the server's solve (the API's ``timing_ms.solve``) for one patient on
   the batched engine and on the SciPy reference engine, and for a band of
   1,000 patients (slider targets of issue 12: <= 100 ms and <= 1 s; the table
   says whether each was met, since no test asserts a time), and the same on
   an imported SBML file (Kuznetsov 1994 from BioModels, BIOMD0000000762,
   imported through ``POST /api/sbml/biomodels/{id}``) when the server has the
   shared BioModels folder;
2. runs ``--clients`` concurrent clients (asyncio + httpx, one connection each)
   for ``--seconds`` seconds, each sending slider-like requests (Kuznetsov 1994,
   200 days, the killing rate ``n`` drawn from 0.5x-2x its published value)
   back to back, and records every latency and status;
3. prints p50/p95/p99/max latency, throughput and errors, and with
   ``--write`` replaces the "Web explorer" section of ``docs/benchmarks.md``.

Not part of the test suite (it runs for over a minute and loads the machine).

Usage::

    python benchmarks/bench_web_load.py --clients 200 --seconds 60 --write
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Web explorer: slider latency and load test"
N_PUBLISHED = 1.101e-7  # Kuznetsov 1994 killing rate n (1/(cell day)), library value
SBML_KEY = "biomd0000000762"  # Kuznetsov 1994 in BioModels (the server's shared folder)
TARGETS_MS = {"one": 100.0, "band": 1000.0}  # issue 12: one patient <= 100 ms, 1,000 patients <= 1 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, data: str) -> subprocess.Popen:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "oncoimmune", "serve", "--host", "127.0.0.1", "--port", str(port), "--data", data],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/limits", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start")


def import_biomodel(base: str, key: str) -> str | None:
    """The explorer id of the server's BioModels file ``key``, or None when the server does not offer it."""
    with httpx.Client(timeout=300) as c:
        if key not in {b["id"] for b in c.get(base + "/api/sbml/biomodels").json()}:
            return None
        r = c.post(f"{base}/api/sbml/biomodels/{key}")
        r.raise_for_status()
        return r.json()["id"]


def solve_times(base: str, body: dict, n: int, slider: str = "n", value: float = N_PUBLISHED) -> list[float]:
    out = []
    with httpx.Client(timeout=120) as c:
        for i in range(n):
            b = {**body, "set": {slider: value * (1.0 + 0.001 * i)}}
            r = c.post(base + "/api/simulate", json=b)
            r.raise_for_status()
            out.append(r.json()["timing_ms"]["solve"])
    return out


async def load(base: str, clients: int, seconds: float) -> tuple[list[float], int, dict[str, int]]:
    lat: list[float] = []
    errors: dict[str, int] = {}
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(k: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(k)
        while time.perf_counter() < stop:
            body = {"model": "kuznetsov1994", "days": 200, "set": {"n": N_PUBLISHED * 2 ** rng.uniform(-1, 1)}}
            t0 = time.perf_counter()
            try:
                r = await http.post(base + "/api/simulate", json=body)
                ok = r.status_code == 200 and r.json().get("status") == "ok"
                key = "" if ok else f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                key = type(exc).__name__
            dt_ms = 1e3 * (time.perf_counter() - t0)
            if key:
                errors[key] = errors.get(key, 0) + 1
            else:
                lat.append(dt_ms)

    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(k, http) for k in range(clients)))
    return lat, len(lat) + sum(errors.values()), errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--write", action="store_true", help="replace the section in docs/benchmarks.md")
    args = ap.parse_args(argv)

    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="oncoimmune-bench-web-") as data:
        load_start = os.getloadavg()
        started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
        proc = start_server(port, data)
        base = f"http://127.0.0.1:{port}"
        try:
            one = {"model": "kuznetsov1994", "days": 200}
            solve_times(base, one, 3)  # warm: kernel from numba's cache, structure compiled
            batched = solve_times(base, one, 30)
            scipy = solve_times(base, {**one, "engine": "scipy"}, 10)
            band_body = {**one, "patients": 1000}
            solve_times(base, band_body, 1)
            band = solve_times(base, band_body, 5)
            sbml_id = import_biomodel(base, SBML_KEY)
            if sbml_id is not None:
                # the same model imported from its SBML file: parameter n of the file is also the killing rate
                s_one = {"model": sbml_id, "days": 200}
                solve_times(base, s_one, 3, slider="n")
                s_band = {**s_one, "patients": 1000}
                sbml_rows = {"one patient": statistics.median(solve_times(base, s_one, 30, slider="n"))}
                solve_times(base, s_band, 1, slider="n")  # warm: the band's structure
                sbml_rows["band"] = statistics.median(solve_times(base, s_band, 5, slider="n"))
            else:
                sbml_rows = {}
            t0 = time.perf_counter()
            lat, total, errors = asyncio.run(load(base, args.clients, args.seconds))
            wall = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        load_end = os.getloadavg()

    a = np.asarray(lat)
    p50, p95, p99 = (float(np.percentile(a, q)) for q in (50, 95, 99)) if a.size else (float("nan"),) * 3
    rows = {
        "one patient, batched engine (server solve, median of 30)": statistics.median(batched),
        "one patient, SciPy reference engine (server solve, median of 10)": statistics.median(scipy),
        "1,000-patient band, batched engine (server solve, median of 5)": statistics.median(band),
    }
    print(f"{args.clients} clients x {args.seconds:g} s: {total} requests ({total / wall:.1f}/s), "
          f"errors {sum(errors.values())} {errors or ''}")
    mean = float(a.mean()) if a.size else float("nan")
    print(f"latency ms: p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  max {a.max() if a.size else float('nan'):.1f}  "
          f"mean {mean:.1f}")
    for k, v in rows.items():
        print(f"{k}: {v:.2f} ms")
    for k, v in sbml_rows.items():
        print(f"imported SBML (BIOMD0000000762), {k}: {v:.2f} ms")

    def met(v: float, key: str) -> str:
        return "yes" if v <= TARGETS_MS[key] else "**no**"

    sbml_table = "" if not sbml_rows else f"""
| imported SBML file (BIOMD0000000762, Kuznetsov 1994 as published in BioModels), one patient, batched engine (median of 30) | {sbml_rows['one patient']:.2f} ms | <= 100 ms | {met(sbml_rows['one patient'], 'one')} |
| imported SBML file, 1,000-patient band, batched engine (median of 5) | {sbml_rows['band']:.1f} ms | <= 1 s | {met(sbml_rows['band'], 'band')} |"""
    if args.write:
        ratio = rows["one patient, SciPy reference engine (server solve, median of 10)"] / rows[
            "one patient, batched engine (server solve, median of 30)"]
        text = f"""{SECTION}

Produced by `python benchmarks/bench_web_load.py --clients {args.clients} --seconds {args.seconds:g} --write` on {started} (UTC); every number below comes from that one run.

**Machine:** {platform.processor() or platform.machine()}, {os.cpu_count()} cores visible, Python {platform.python_version()}; benchmark and server at niceness {os.nice(0)}; load average (1/5/15 min) at the start {load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f}, at the end {load_end[0]:.2f} / {load_end[1]:.2f} / {load_end[2]:.2f} (a shared machine: other jobs ran at the same time and slow every number alike).

**Server:** `oncoimmune serve` (uvicorn, one process) on 127.0.0.1. **Workload:** Kuznetsov 1994, 200 days, 201 output points; the killing rate `n` changed on every request, as a slider does (the model structure is compiled once and cached; a request only changes the parameter vector).

| what | server solve time | target | met |
|---|---:|---|---|
| {list(rows)[0]} | {rows[list(rows)[0]]:.2f} ms | <= 100 ms | {met(rows[list(rows)[0]], 'one')} |
| {list(rows)[1]} | {rows[list(rows)[1]]:.2f} ms ({ratio:.0f}x the batched engine) | - | - |
| {list(rows)[2]} | {rows[list(rows)[2]]:.1f} ms | <= 1 s | {met(rows[list(rows)[2]], 'band')} |{sbml_table}

These targets are checked here, not in the test suite (`tests/web` asserts only that the API reports its times).

**Load test:** {args.clients} concurrent clients (asyncio + httpx, one keep-alive connection each, on the same machine as the server) sending requests back to back for {args.seconds:g} s.

| requests | throughput | errors | p50 | p95 | p99 | max | mean |
|---:|---:|---:|---:|---:|---:|---:|---:|
| {total:,} | {total / wall:.1f} /s | {sum(errors.values())} | {p50:.0f} ms | {p95:.0f} ms | {p99:.0f} ms | {a.max() if a.size else float('nan'):.0f} ms | {mean:.0f} ms |

Latency is the whole round trip seen by a client, including the wait in the queue of {args.clients} clients sharing one server process. With {args.clients} clients always waiting, the mean latency is about {args.clients} / throughput = {1e3 * args.clients / (total / wall):.0f} ms (Little's law); the median lies below it and the tail far above it because the server does not answer the queue in arrival order.
"""
        doc = DOC.read_text(encoding="utf-8") if DOC.is_file() else "# Benchmarks\n"
        pattern = re.compile(re.escape(SECTION) + r".*?(?=\n## |\Z)", re.S)
        doc = pattern.sub(text.rstrip() + "\n", doc) if SECTION in doc else doc.rstrip() + "\n\n" + text
        DOC.write_text(doc, encoding="utf-8")
        print(f"wrote {DOC}")
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
