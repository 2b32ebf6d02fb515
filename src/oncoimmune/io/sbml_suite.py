"""Run the SBML Test Suite's semantic cases and judge them by the suite's own rule.

Each case folder ``cases/NNNNN/`` holds the model (``NNNNN-sbml-l3v2.xml``
or an older level), ``NNNNN-settings.txt`` (start, duration, steps, the
variables to report, absolute and relative tolerances, which variables are
amounts and which concentrations), ``NNNNN-results.csv`` (the expected
values) and ``NNNNN-model.m`` (tags saying which features the case uses).

A case passes when every reported value satisfies
``|expected - simulated| <= absolute + relative * |expected|`` (the suite's
rule [1]_). :func:`run_case` gives ``pass``, ``fail`` (a number outside the
tolerance, or a failed integration), ``unsupported`` (the importer refuses a
construct it names, or the case is not a time course) or ``error``
(anything else), with a one-line reason.

References
----------
.. [1] SBML Test Suite 3.3.0, semantic cases, ``cases/semantic/README.md``
   ("correctness criteria"); sbmlteam/sbml-test-suite on GitHub (LGPL 2.1).
"""

from __future__ import annotations

import csv
import io
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .._errors import OncoimmuneError

__all__ = ["CaseSettings", "CaseResult", "read_settings", "run_case", "run_suite", "parse_case_range", "case_tags"]

#: preference among the SBML files a case may hold
_FILE_ORDER = ("l3v2", "l3v1", "l2v5", "l2v4", "l2v3", "l2v2", "l2v1", "l1v2")


@dataclass(frozen=True)
class CaseSettings:
    start: float
    duration: float
    steps: int
    variables: tuple[str, ...]
    absolute: float
    relative: float
    amount: frozenset[str]
    concentration: frozenset[str]


@dataclass
class CaseResult:
    case: int
    status: str  # pass | fail | unsupported | error
    reason: str = ""
    seconds: float = 0.0
    tags: tuple[str, ...] = field(default_factory=tuple)


def read_settings(path: Path) -> CaseSettings:
    """Parse ``NNNNN-settings.txt`` (``key: value`` lines)."""
    kv: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            kv[k.strip().lower()] = v.strip()

    def names(key: str) -> tuple[str, ...]:
        return tuple(x.strip() for x in kv.get(key, "").split(",") if x.strip())

    return CaseSettings(
        start=float(kv.get("start", 0) or 0),
        duration=float(kv["duration"]),
        steps=int(float(kv["steps"])),
        variables=names("variables"),
        absolute=float(kv.get("absolute", 0) or 0),
        relative=float(kv.get("relative", 0) or 0),
        amount=frozenset(names("amount")),
        concentration=frozenset(names("concentration")),
    )


def case_tags(case_dir: Path) -> tuple[str, str, tuple[str, ...]]:
    """``(testType, componentTags + testTags)`` from the case's ``model.m``."""
    n = case_dir.name
    text = (case_dir / f"{n}-model.m").read_text(errors="replace") if (case_dir / f"{n}-model.m").exists() else ""
    ttype = ""
    tags: list[str] = []
    for line in text.splitlines():
        low = line.strip()
        if low.startswith("testType:"):
            ttype = low.split(":", 1)[1].strip()
        elif low.startswith("componentTags:") or low.startswith("testTags:"):
            tags += [x.strip() for x in low.split(":", 1)[1].split(",") if x.strip()]
    return n, ttype, tuple(tags)


def _model_file(case_dir: Path) -> Path | None:
    n = case_dir.name
    for v in _FILE_ORDER:
        p = case_dir / f"{n}-sbml-{v}.xml"
        if p.exists():
            return p
    found = sorted(case_dir.glob(f"{n}-sbml-*.xml"))
    return found[-1] if found else None


def _read_expected(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open() as fh:
        rows = list(csv.reader(fh))
    header = [h.strip() for h in rows[0]]
    data = np.array([[_num(x) for x in r] for r in rows[1:] if r], dtype=float)
    return header, data


def _num(x: str) -> float:
    s = x.strip()
    low = s.lower()
    if low in ("inf", "+inf", "infinity"):
        return math.inf
    if low in ("-inf", "-infinity"):
        return -math.inf
    if low in ("nan", "-nan"):
        return math.nan
    return float(s)


def simulate_case(case_dir: Path, settings: CaseSettings, *, rtol: float = 1e-10, atol: float = 1e-14,
                  max_seconds: float = 240.0) -> tuple[list[str], np.ndarray, str, str]:
    """Simulate a case; returns ``(header, table, status, reason)`` (status ``ok`` or ``failed``)."""
    from ..model.expr import compile_expr, substitute
    from ..simulate import simulate
    from .sbml_import import import_sbml

    path = _model_file(case_dir)
    if path is None:
        raise FileNotFoundError(f"no SBML file in {case_dir}")
    model, info = import_sbml(path)
    t0, t1 = settings.start, settings.start + settings.duration
    times = np.linspace(t0, t1, settings.steps + 1)
    if t0 != 0.0:
        raise OncoimmuneError(f"start time {t0} != 0 is not supported by the runner")
    ds = simulate(model, t1, saveat=times, rtol=rtol, atol=atol, max_nfev=5_000_000, max_seconds=max_seconds)
    cm = model.compile()
    Y = np.array([ds[s].values for s in model.state_names])
    P = np.repeat(cm.p0[:, None], times.size, axis=1)
    header = ["time"]
    cols = [times]
    inl = model._inlined_observables
    for var in settings.variables:
        if var in settings.amount and var in info.amount:
            ex = info.amount[var]
        elif var in settings.concentration and var in info.concentration:
            ex = info.concentration[var]
        elif var in info.value:
            ex = info.value[var]
        else:
            raise OncoimmuneError(f"variable {var!r} asked for by the settings is not in the model")
        f = compile_expr(substitute(ex, inl), cm.index, np)
        with np.errstate(all="ignore"):
            v = np.broadcast_to(np.asarray(f(times, Y, P), dtype=float), times.shape)
        header.append(var)
        cols.append(v)
    return header, np.column_stack(cols), ds.attrs["status"], ds.attrs.get("status_reason", "")


def _compare(settings: CaseSettings, header: Sequence[str], got: np.ndarray, exp_header: Sequence[str],
             expected: np.ndarray) -> str:
    """Empty string when every value is within the suite's tolerance, else the first failure."""
    if expected.shape[0] != got.shape[0]:
        return f"{got.shape[0]} output rows; the expected results have {expected.shape[0]}"
    for j, name in enumerate(exp_header):
        if name.lower() == "time":
            continue
        if name not in header:
            return f"expected column {name!r} not produced"
        k = list(header).index(name)
        e, s = expected[:, j], got[:, k]
        both_nan = np.isnan(e) & np.isnan(s)
        same_inf = np.isinf(e) & (e == s)
        with np.errstate(invalid="ignore"):
            ok = (np.abs(e - s) <= settings.absolute + settings.relative * np.abs(e)) | both_nan | same_inf
        if not np.all(ok):
            i = int(np.argmin(ok))
            return f"{name} at t={got[i, 0]:g}: expected {e[i]:.10g}, got {s[i]:.10g}"
    return ""


def run_case(case_dir: Path, out_dir: Path | None = None) -> CaseResult:
    """Run one case folder; writes ``out_dir/NNNNN.csv`` when a trajectory was computed."""
    from .sbml_import import SBMLImportError, UnsupportedSBMLError

    case_dir = Path(case_dir)
    n, ttype, tags = case_tags(case_dir)
    num = int(n)
    t_start = time.perf_counter()

    def done(status: str, reason: str = "") -> CaseResult:
        return CaseResult(num, status, " ".join(reason.split())[:300], time.perf_counter() - t_start, tags)

    if ttype and ttype != "TimeCourse":
        return done("unsupported", f"test type {ttype} (only time courses are simulated)")
    try:
        settings = read_settings(case_dir / f"{n}-settings.txt")
        header, table, status, reason = simulate_case(case_dir, settings)
    except UnsupportedSBMLError as exc:
        return done("unsupported", str(exc))
    except SBMLImportError as exc:
        msg = str(exc)
        return done("error", msg.split(": ", 1)[-1] if "/" in msg.split(": ", 1)[0] else msg)
    except Exception as exc:  # noqa: BLE001 - every case must end with a status
        return done("error", f"{type(exc).__name__}: {exc}")
    if out_dir is not None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for row in table:
            w.writerow([repr(float(x)) for x in row])
        (Path(out_dir) / f"{n}.csv").write_text(buf.getvalue())
    if status != "ok":
        return done("fail", f"integration failed: {reason}")
    exp_header, expected = _read_expected(case_dir / f"{n}-results.csv")
    why = _compare(settings, header, table, [h.strip() for h in exp_header], expected)
    return done("fail", why) if why else done("pass")


def parse_case_range(text: str) -> list[int]:
    """``"1-1821"``, ``"1,5,10-20"`` -> sorted case numbers."""
    out: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            lo, hi = int(a), int(b)
            if lo > hi:
                raise ValueError(f"case range {part!r} runs backwards")
            out.update(range(lo, hi + 1))
        else:
            out.add(int(part))
    return sorted(out)


def _run_one(args: tuple[Path, Path]) -> CaseResult:
    return run_case(*args)


def run_suite(cases_dir: Path, out_dir: Path, cases: Iterable[int] | None = None,
              progress: bool = False, workers: int = 1) -> list[CaseResult]:
    """Run the cases (all folders by default) and write ``out_dir/summary.csv`` (``case,status,reason``).

    ``workers > 1`` runs cases in that many processes; results do not depend on it
    (every case is independent and the event tie-break generator is seeded per run).
    """
    cases_dir, out_dir = Path(cases_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    available = {int(p.name): p for p in cases_dir.iterdir() if p.is_dir() and p.name.isdigit()}
    wanted = sorted(available) if cases is None else [c for c in cases if c in available]
    results: list[CaseResult] = []
    jobs = [(available[c], out_dir) for c in wanted]
    if workers > 1:
        import multiprocessing as mp

        pool = mp.get_context("spawn").Pool(workers)
        it = pool.imap(_run_one, jobs, chunksize=4)
    else:
        pool = None
        it = map(_run_one, jobs)
    for k, r in enumerate(it):
        results.append(r)
        if progress and (k + 1) % 50 == 0:
            npass = sum(x.status == "pass" for x in results)
            print(f"  {k + 1}/{len(wanted)} cases, {npass} pass", flush=True)
    if pool is not None:
        pool.close()
        pool.join()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["case", "status", "reason"])
    for r in results:
        w.writerow([f"{r.case:05d}", r.status, r.reason])
    (out_dir / "summary.csv").write_text(buf.getvalue())
    return results
