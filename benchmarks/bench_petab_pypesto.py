"""PEtab benchmark problems: ``oncoimmune.fit`` beside pyPESTO + AMICI on the same problems and start points.

Two sides, run one after the other on the same machine (pyPESTO and AMICI live in their own environment; they are
not dependencies of this package):

1. ``--side ours``: for each problem of Benchmark-Models-PEtab, load it with :func:`oncoimmune.fit.load_problem`,
   evaluate the objective at the nominal (published best) parameters, time objective + gradient (forward
   sensitivities), then :func:`oncoimmune.fit.multistart` with ``--starts`` seeded Latin-hypercube starts
   (L-BFGS-B, ``maxiter 500, ftol 1e-12, gtol 1e-6``). Writes ``OUT/ours_NAME.json`` with the start points.
2. ``--side pypesto`` (run with the Python that has pyPESTO, AMICI and petab): import the same problem with
   ``pypesto.petab.PetabImporter`` (AMICI model compilation timed apart; a problem with timepoint-specific
   overrides is flattened first, as AMICI requires), evaluate at the nominal parameters, time objective +
   gradient, and run ``pypesto.optimize.minimize`` with SciPy's L-BFGS-B, the same options and the same start
   points. Writes ``OUT/pypesto_NAME.json``.

Run::

    PYTHONPATH=src python benchmarks/bench_petab_pypesto.py --side ours --starts 10 --out OUT NAME...
    PATH=VENV/bin:$PATH VENV/bin/python benchmarks/bench_petab_pypesto.py --side pypesto --out OUT NAME...

with ``ONCOIMMUNE_PETAB_BENCHMARKS`` pointing at the collection's ``Benchmark-Models`` folder. (AMICI compiles
its models with the ``swig`` it was built with: put that environment's ``bin`` first on ``PATH``.)
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import time
from pathlib import Path

import numpy as np

OPTIONS = {"maxiter": 500, "ftol": 1e-12, "gtol": 1e-6}


def _yaml(name: str) -> str:
    base = os.environ.get("ONCOIMMUNE_PETAB_BENCHMARKS")
    if not base:
        raise SystemExit("set ONCOIMMUNE_PETAB_BENCHMARKS to Benchmark-Models-PEtab/Benchmark-Models")
    return sorted(glob.glob(f"{base}/{name}/*.yaml"))[0]


def ours(names: list[str], n_starts: int, out: Path) -> None:
    from scipy.stats import qmc

    from oncoimmune.fit import load_problem, multistart

    for name in names:
        t = time.perf_counter()
        pb = load_problem(_yaml(name))
        t_load = time.perf_counter() - t
        f_nom, _ = pb.objective(pb.nominal_scaled(), gradient=False)  # also compiles the kernels
        t = time.perf_counter()
        for _ in range(3):
            pb.objective(pb.nominal_scaled(), gradient=True)
        t_fg = (time.perf_counter() - t) / 3
        b = pb.bounds_scaled
        # the start points multistart(seed=0) draws, recorded for the other side
        U = qmc.LatinHypercube(d=pb.n_par, seed=np.random.default_rng(0)).random(n_starts)
        X0 = b[:, 0] + U * (b[:, 1] - b[:, 0])
        load = os.getloadavg()[0]
        if n_starts == 0:  # the objective and its gradient only
            rec = {"name": name, "n_par": pb.n_par, "ids": list(pb.estimated), "X0": [], "f_nominal": float(f_nom),
                   "t_load": t_load, "t_obj_grad": t_fg, "load1": load}
            (out / f"ours_{name}.json").write_text(json.dumps(rec))
            print(f"{name}: n_par {pb.n_par}, f(nominal) {f_nom:.6f}, objective+gradient {t_fg * 1e3:.1f} ms, "
                  f"load {load:.1f}", flush=True)
            continue
        t = time.perf_counter()
        res = multistart(pb, n_starts, seed=0)
        t_ms = time.perf_counter() - t
        st = sorted(res.starts, key=lambda s: s.index)
        np.testing.assert_allclose([s.x0 for s in st], X0)
        rec = {"name": name, "n_par": pb.n_par, "ids": list(pb.estimated), "X0": X0.tolist(),
               "f_nominal": float(f_nom), "t_load": t_load, "t_obj_grad": t_fg, "t_multistart": t_ms,
               "load1": load, "fvals": [float(s.fval) for s in st], "nfev": [int(s.nfev) for s in st],
               "best": float(min(s.fval for s in st))}
        (out / f"ours_{name}.json").write_text(json.dumps(rec))
        print(f"{name}: n_par {pb.n_par}, f(nominal) {f_nom:.6f}, best of {n_starts} {rec['best']:.6f}, "
              f"{t_ms:.1f} s, objective+gradient {t_fg * 1e3:.1f} ms, load {load:.1f}", flush=True)


def pypesto_side(names: list[str], out: Path) -> None:
    import logging

    import petab.v1 as petab
    import pypesto.optimize as optimize
    import pypesto.petab

    logging.getLogger("amici").setLevel(logging.WARNING)
    for name in names:
        mine = json.loads((out / f"ours_{name}.json").read_text())
        pp = petab.Problem.from_yaml(_yaml(name))
        flat = bool(petab.lint.measurement_table_has_timepoint_specific_mappings(pp.measurement_df))
        if flat:
            petab.flatten_timepoint_specific_output_overrides(pp)
        t = time.perf_counter()
        imp = pypesto.petab.PetabImporter(pp, output_folder=str(out / "amici_models" / name),
                                          model_name=name + ("_flat" if flat else ""))
        prob = imp.create_problem()
        t_imp = time.perf_counter() - t
        x_nom = np.asarray(pp.x_nominal_scaled)
        xf = x_nom[prob.x_free_indices]
        f_nom = float(prob.objective(xf))
        t = time.perf_counter()
        for _ in range(3):
            prob.objective(xf, sensi_orders=(0, 1))
        t_fg = (time.perf_counter() - t) / 3
        free = [prob.x_names[i] for i in prob.x_free_indices]
        if sorted(free) != sorted(mine["ids"]):
            raise SystemExit(f"{name}: estimated parameters differ: {free} vs {mine['ids']}")
        X0 = np.array(mine["X0"])
        load = os.getloadavg()[0]
        if X0.size == 0:
            rec = {"name": name, "flattened": flat, "f_nominal": f_nom, "t_import_compile": t_imp,
                   "t_obj_grad": t_fg, "load1": load}
            (out / f"pypesto_{name}.json").write_text(json.dumps(rec))
            print(f"{name}: f(nominal) {f_nom:.6f}, objective+gradient {t_fg * 1e3:.2f} ms, "
                  f"import+compile {t_imp:.1f} s, load {load:.1f}", flush=True)
            continue
        G = np.tile(x_nom, (len(X0), 1))
        for j, pid in enumerate(mine["ids"]):
            G[:, prob.x_names.index(pid)] = X0[:, j]
        prob.set_x_guesses(G)
        opt = optimize.ScipyOptimizer(method="L-BFGS-B", options=dict(OPTIONS))
        t = time.perf_counter()
        res = optimize.minimize(prob, opt, n_starts=len(X0), progress_bar=False)
        t_ms = time.perf_counter() - t
        runs = sorted(res.optimize_result.list, key=lambda r: int(r.id))
        fv = [float(r.fval) for r in runs]
        rec = {"name": name, "flattened": flat, "f_nominal": f_nom, "t_import_compile": t_imp, "t_obj_grad": t_fg,
               "t_multistart": t_ms, "fvals": fv, "n_fval": [int(r.n_fval) for r in runs], "best": min(fv),
               "load1": load}
        (out / f"pypesto_{name}.json").write_text(json.dumps(rec))
        print(f"{name}: f(nominal) {f_nom:.6f}, best of {len(X0)} {min(fv):.6f}, {t_ms:.1f} s, "
              f"objective+gradient {t_fg * 1e3:.2f} ms, import+compile {t_imp:.1f} s, load {load:.1f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", choices=("ours", "pypesto"), required=True)
    ap.add_argument("--starts", type=int, default=10, help="0: the objective and its gradient only")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    if a.side == "ours":
        ours(a.names, a.starts, a.out)
    else:
        pypesto_side(a.names, a.out)


if __name__ == "__main__":
    main()
