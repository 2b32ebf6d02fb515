"""The batched engine's stiff path: Rodas4 over lanes, switching both ways, costs, cache location.

Checks against closed forms and the reference engine, and cost assertions that
prove the intended path ran (Jacobian evaluations, LU factorisations, steps).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("numba")

from oncoimmune import Event, Model, Parameter, Source, State, Sym, Term, simulate
from oncoimmune.model import exp
from oncoimmune.engines.batched import STATUS_OK, numba_cache_dir, solve_batch
from oncoimmune.library import get_model

SRC = Source("test model", "-", note="test values")


def switching_model() -> Model:
    """``y' = -k (y - g) + g'`` with ``g = exp(-t/10)``: the solution is ``g`` plus a transient
    ``(y0 - 1) exp(-int k)``.

    ``k`` is raised from 1 to 1e4 per day between days 2 and 4 by parameter events, so the problem
    is stiff only in that window.
    """
    y, k = Sym("y"), Sym("k")
    g = exp(-0.1 * Sym("t"))

    return Model(
        id="switching",
        title="stiff in a window",
        states=(State("y", 2.0, "1", "value", nonnegative=False),),
        parameters=(Parameter("k", 1.0, "1/day", "relaxation rate", SRC),),
        terms=(Term("relax", -k * (y - g) - 0.1 * g, {"y": 1}, "relaxation"),),
    )


def switching_events() -> list[Event]:
    return [Event(2.0, "k", "set", 1e4, kind="parameter"), Event(4.0, "k", "set", 1.0, kind="parameter")]


def test_rosenbrock_lanes_agree_with_the_reference_and_count_their_work():
    cm = get_model("kuznetsov1994").compile()
    rng = np.random.default_rng(7)
    P = cm.p0 * np.exp(rng.normal(0.0, 0.3, (9, cm.n_params)))
    save = np.linspace(0.0, 200.0, 41)
    sol = solve_batch(cm, cm.y0, P, t1=200.0, saveat=save, rtol=1e-8, atol=1e-8, method="rosenbrock", lanes=4)
    assert sol.ok.all()
    # one Jacobian per accepted step (reused on rejection), one LU per attempted step
    assert np.all(sol.nlu == sol.nsteps) and np.all(sol.njev <= sol.nsteps) and np.all(sol.njev > 0)
    for i in (0, 8):
        ref = simulate(get_model("kuznetsov1994").with_parameters(dict(zip(cm.param_names, P[i]))), 200,
                       saveat=save, rtol=1e-11, atol=1e-11)
        y = np.stack([ref[s].values for s in cm.state_names], axis=-1)
        assert np.max(np.abs(sol.y[i] - y) / np.max(np.abs(y), axis=0)) < 1e-5


def test_rodas4_is_fourth_order():
    """Errors at the end of the switching model with k = 1 fall with the tolerance; steps grow as tol^(-1/4)."""
    cm = switching_model().compile()
    errs = []
    for rtol in (1e-5, 1e-7, 1e-9):
        sol = solve_batch(cm, cm.y0, cm.p0, t1=10.0, saveat=[10.0], rtol=rtol, atol=rtol, method="rosenbrock")
        exact = np.exp(-1.0) + (2.0 - 1.0) * np.exp(-10.0)
        errs.append((abs(sol.y[0, 0, 0] - exact), int(sol.nsteps[0])))
    # the error shrinks with the tolerance, and the step count grows like tol^(-1/4) for a local error
    # estimate of order h^4 (Rodas4's embedded order-3 solution): x (1e4)^(1/4) = 10 from 1e-5 to 1e-9
    # (h^3 would give x 22, h^5 x 6)
    assert errs[2][0] < errs[0][0] and errs[2][0] < 1e-7
    growth = errs[2][1] / errs[0][1]
    assert 7.0 < growth < 14.0


def test_auto_switches_to_rosenbrock_and_back():
    cm = switching_model().compile()
    save = np.linspace(0.0, 60.0, 61)
    kw = dict(t1=60.0, saveat=save, events=switching_events(), rtol=1e-7, atol=1e-7)
    auto = solve_batch(cm, cm.y0, cm.p0, method="auto", **kw)
    ros = solve_batch(cm, cm.y0, cm.p0, method="rosenbrock", **kw)
    dop = solve_batch(cm, cm.y0, cm.p0, method="dopri5", **kw)
    assert auto.status[0] == STATUS_OK
    assert 2.0 <= auto.t_stiff[0] < 4.0  # switched in the stiff window
    # and back: the implicit steps are those of the window plus the hand-back test, far fewer than
    # Rosenbrock throughout, while explicit-only pays for the window by stability
    assert 0 < auto.njev[0] < 0.5 * ros.njev[0]
    assert auto.nfev[0] < 0.5 * dop.nfev[0]
    exact = np.exp(-0.1 * save)
    for s in (auto, ros):
        assert np.max(np.abs(s.y[0, 5:, 0] - exact[5:])) < 1e-5


def test_auto_finds_stiffness_hidden_behind_a_large_population():
    """A small stiff state ``s`` beside a large logistic population ``B`` (1e10 cells): ``B``'s stage
    differences dwarf those of ``s``, so in Hairer's plain Euclidean norm ``h*|lambda|`` came out
    tiny and ``auto`` stayed explicit for all 6,050 steps (measured; as on de Pillis 2005, whose
    tumour hid its CD8+ state). Weighted by the error weights the stiff direction shows."""
    b, s, k = Sym("B"), Sym("s"), Sym("k")
    model = Model(
        id="hidden_stiff",
        title="large logistic population beside a small stiff state",
        states=(State("B", 1e10, "cell", "cells"), State("s", 1.0, "1", "value", nonnegative=False)),
        parameters=(Parameter("k", 1e3, "1/day", "relaxation rate", SRC),),
        terms=(
            Term("grow", 0.5 * b * (1 - b / 3e10), {"B": 1}, "logistic growth"),
            Term("relax", -k * (s - exp(-0.1 * Sym("t"))), {"s": 1}, "relaxation"),
        ),
    )
    cm = model.compile()
    kw = dict(t1=20.0, saveat=np.linspace(0.0, 20.0, 21), rtol=1e-6, atol=1e-6)
    auto = solve_batch(cm, cm.y0, cm.p0, method="auto", **kw)
    dop = solve_batch(cm, cm.y0, cm.p0, method="dopri5", **kw)
    assert auto.ok.all() and dop.ok.all()
    assert auto.t_stiff[0] < 1.0 and auto.njev[0] > 0  # switched early (measured: day 0.06)
    assert auto.nfev[0] < 0.2 * dop.nfev[0]  # DOPRI5 pays ~6,000 steps for stability
    assert np.max(np.abs(auto.y[0, :, 1] - np.exp(-0.1 * auto.t))) < 1e-4


def test_switching_does_not_depend_on_lanes_threads_or_chunks():
    cm = switching_model().compile()
    rng = np.random.default_rng(11)
    n = 37
    P = np.exp(rng.normal(0.0, 0.3, (n, 1)))
    Y0 = 2.0 * np.exp(rng.normal(0.0, 0.2, (n, 1)))
    kw = dict(t1=20.0, saveat=np.linspace(0.0, 20.0, 21), events=switching_events(), rtol=1e-6, atol=1e-6)
    a = solve_batch(cm, Y0, P, method="auto", lanes=8, threads=1, **kw)
    b = solve_batch(cm, Y0[::-1], P[::-1], method="auto", lanes=3, threads=2, **kw)
    assert np.array_equal(a.y, b.y[::-1]) and np.array_equal(a.nsteps, b.nsteps[::-1])
    assert np.array_equal(a.njev, b.njev[::-1]) and np.array_equal(a.nlu, b.nlu[::-1])


def test_numba_cache_is_outside_the_source_tree():
    from oncoimmune.engines import _kernels

    pkg = Path(_kernels.__file__).resolve().parent
    cache = Path(_kernels.solve_chunk._cache._cache_path).resolve()
    assert pkg not in cache.parents and cache != pkg
    assert str(cache).startswith(str(Path(numba_cache_dir()).resolve()))


def test_cache_dir_follows_numba_cache_dir_and_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "nb"))
    assert numba_cache_dir() == str(tmp_path / "nb")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    try:
        import platformdirs  # noqa: F401
    except ImportError:
        assert numba_cache_dir() == str(tmp_path / "xdg" / "oncoimmune" / "numba")


def _seed_cache(pkg_copy: Path, cache_root: Path) -> None:
    """Copy this session's compiled kernels into the cache folder Numba will use for ``pkg_copy``.

    Numba files a module's cache under ``<dir name>_<sha1 of the dir path>`` and checks the source
    file's time stamp and size, which ``copytree`` preserves; so the copy loads the kernels instead of
    compiling them again (tens of seconds to minutes).
    """
    import hashlib
    import shutil

    from oncoimmune.engines import _kernels

    src_cache = Path(_kernels.solve_chunk._cache._cache_path)
    engines = (pkg_copy / "engines").resolve()
    dst = cache_root / "oncoimmune" / "numba" / f"engines_{hashlib.sha1(str(engines).encode()).hexdigest()}"
    dst.mkdir(parents=True, exist_ok=True)
    for f in src_cache.iterdir():
        if f.suffix in (".nbi", ".nbc"):
            shutil.copy2(f, dst / f.name)


@pytest.mark.slow
def test_read_only_install_runs(tmp_path):
    """A copy of the package with no write permission solves a cohort; nothing is written into it.

    (As root, permissions do not stop writes, so the check is that no file appears in the copy.)
    Slow: a fresh interpreter imports numba and loads the kernels (about 100 s on the shared 2-core
    machine while other jobs ran).
    """
    import shutil

    import oncoimmune

    cm = get_model("kuznetsov1994").compile()
    solve_batch(cm, cm.y0, cm.p0, t1=1.0, saveat=[1.0])  # this session's kernels are compiled and cached
    src = Path(oncoimmune.__file__).resolve().parent
    site = tmp_path / "site"
    shutil.copytree(src, site / "oncoimmune", ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    _seed_cache(site / "oncoimmune", tmp_path / "cache")
    before = {p for p in site.rglob("*")}
    for p in sorted(site.rglob("*"), reverse=True):
        p.chmod(0o555 if p.is_dir() else 0o444)
    site.chmod(0o555)
    env = dict(os.environ, PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE="1", XDG_CACHE_HOME=str(tmp_path / "cache"))
    env.pop("NUMBA_CACHE_DIR", None)
    code = (
        "import numpy as np; from oncoimmune.library import get_model; "
        "from oncoimmune.engines.batched import solve_batch; cm = get_model('kuznetsov1994').compile(); "
        "s = solve_batch(cm, cm.y0, cm.p0, t1=10.0, saveat=[10.0]); assert s.ok.all(); print('ok')"
    )
    try:
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=3000)
        assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]
        assert {p for p in site.rglob("*")} == before  # nothing written into the package
        assert any((tmp_path / "cache").rglob("*.nbi"))
    finally:
        for p in site.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        site.chmod(0o755)


def binding_model() -> Model:
    """A drug amount ``A`` (first-order elimination) binding a receptor fraction ``theta`` fast:
    ``theta' = kon A (1 - theta) - koff theta`` relaxes at ``kon A + koff`` (about 100 /day after a
    dose), far faster than ``A`` decays: stiff, with a fast transient after every bolus."""
    A, th = Sym("A"), Sym("theta")
    kel, kon, koff = Sym("kel"), Sym("kon"), Sym("koff")
    return Model(
        id="binding",
        title="bolus drug binding a receptor",
        states=(State("A", 0.0, "mg", "drug amount"), State("theta", 0.0, "1", "bound fraction")),
        parameters=(Parameter("kel", 0.1, "1/day", "elimination", SRC),
                    Parameter("kon", 10.0, "1/(mg*day)", "binding", SRC),
                    Parameter("koff", 1.0, "1/day", "unbinding", SRC)),
        terms=(Term("elimination", kel * A, {"A": -1}, "elimination"),
               Term("binding", kon * A * (1.0 - th), {"theta": 1}, "binding"),
               Term("unbinding", koff * th, {"theta": -1}, "unbinding")),
    )


def test_a_dose_restarts_the_rosenbrock_step_without_rejections():
    """After a bolus the Rosenbrock lanes start from Hairer's initial step, not from the (long) step
    before the dose: no cascade of rejected steps at each dose (before: about 4 per dose on the
    stiff cohort of issue 14), and a rejected step reuses its Jacobian (J evaluations = accepted steps)."""
    cm = binding_model().compile()
    doses = [Event(21.0 * k, "A", "add", 10.0) for k in range(6)]
    save = np.arange(127.0)
    sol = solve_batch(cm, cm.y0, cm.p0, t1=126.0, saveat=save, events=doses, rtol=1e-6, atol=1e-6,
                      method="rosenbrock")
    assert sol.ok.all()
    rejected = int(sol.nsteps[0] - sol.njev[0])
    assert rejected <= 2, (int(sol.nsteps[0]), int(sol.njev[0]))
    # measured: 252 attempted steps; carrying the pre-dose step over took 276 (4 rejections per dose)
    assert sol.nsteps[0] <= 260
    ref = simulate(binding_model(), 126.0, saveat=save, events=doses, rtol=1e-11, atol=1e-11)
    y = np.stack([ref[s].values for s in cm.state_names], axis=-1)
    assert np.max(np.abs(sol.y[0] - y) / np.max(np.abs(y), axis=0)) < 1e-5
