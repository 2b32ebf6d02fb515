r"""Tumour-growth laws fitted to every lesion of Laleh et al. (2022), in and out of sample.

Laws (``t`` from the first scan, ``V`` the lesion volume)
--------------------------------------------------------
==========================  ==========================================================================  ======
law                         V(t)                                                                        params
==========================  ==========================================================================  ======
``exponential``             ``v0 exp(w t)``                                                             2
``logistic``                general Bertalanffy with ``lam = -1``                                      3
``gompertz``                ``vinf (v0/vinf)^exp(-w t)`` (``lam = 0``)                                 3
``classical_bertalanffy``   general Bertalanffy with ``lam = 1/3``                                     3
``bertalanffy``             ``vinf [1 + ((v0/vinf)^lam - 1) exp(-w t)]^(1/lam)`` (general)              4
``stein``                   ``v0 [exp(-d t) + exp(g t) - 1]`` (Stein et al. 2008)                      3
``claret``                  ``v0 exp(kL t - kD/lam (1 - exp(-lam t)))`` (Claret et al. 2009, with
                            resistance ``exp(-lam t)``, constant exposure)                              4
``immune``                  the library model ``nsclc_tgi_immune`` without chemotherapy, in closed form
                            (below)                                                                     4
==========================  ==========================================================================  ======

The general Bertalanffy parameterisation is that of TumorGrowth.jl [3]_
(``bertalanffy``, whose special cases give the logistic, Gompertz and classical
forms). The ``immune`` law is :mod:`oncoimmune.library.nsclc_tgi_immune`
for a lesion on immunotherapy: ``dN/dt = (g - k E) N``, ``dE/dt = d_E (E_inf - E)``
(the tumour-driven recruitment saturated, ``N >> h_rec``), with the PD-L1
brake released at ``t = 0`` from ``phi0 = 1/2`` (``q = 1``, an assumption) to 1,
so ``E(0) = 1 + r/2``, ``E_inf = 1 + r``, and ``d_E = 0.0412/day`` (Kuznetsov 1994,
the library value). Then

.. math:: N(t) = N_0 \exp\!\big(g t - k [E_\infty t + (E_0 - E_\infty)(1 - e^{-d_E t})/d_E]\big)

with fitted ``N0, g, k, r``. ``tests/fit/test_growth.py`` checks this closed
form against the library model integrated by the engine.

Protocol
--------
The comparison follows TumorGrowth.jl's "model battle" [3]_ so that numbers
are comparable: lesions with at least 6 measurements, time in weeks
(``T_weeks``), volume the normalised volume (``Lesion_normvol``) of the data
set, each law calibrated by least squares on the volumes of all but the last
``holdouts = 2`` scans (bounded, several starting guesses; TumorGrowth adds a
penalty on ``v0/vinf``, not used here), and the error the mean absolute error
on the held-out scans. In-sample fits (all scans) give the MAE and AIC
(Laleh 2022, Fig 3).

References
----------
.. [1] Ghaffari Laleh N, Loeffler CML, Grajek J, et al. (2022). Classical
   mathematical models for prediction of response to chemotherapy and
   immunotherapy. PLoS Comput Biol 18:e1009822. doi:10.1371/journal.pcbi.1009822
.. [2] Stein WD, Figg WD, Dahut W, et al. (2008). Oncologist 13:1046-1054.
.. [3] Blaom AD (2024). TumorGrowth.jl, docs/src/examples/04_model_battle (MIT).
   https://github.com/ablaom/TumorGrowth.jl
.. [4] Claret L, Girard P, Hoff PM, et al. (2009). J Clin Oncol 27:4103-4108.
   doi:10.1200/JCO.2008.21.0807
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LAWS", "GrowthLaw", "compare_laws", "fit_law", "read_laleh", "summarise"]

#: Effector turnover of the library model (Kuznetsov 1994, d = 0.0412/day), per week.
D_E_PER_WEEK = 0.0412 * 7.0


def _bert(t: np.ndarray, v0: float, vinf: float, w: float, lam: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        if abs(lam) < 1e-8:
            return vinf * (v0 / vinf) ** np.exp(-w * t)
        base = 1.0 + ((v0 / vinf) ** lam - 1.0) * np.exp(-w * t)
        return np.where(base > 0, vinf * np.abs(base) ** (1.0 / lam), np.nan)


def _immune(t: np.ndarray, n0: float, g: float, k: float, r: float) -> np.ndarray:
    e0, einf, d = 1.0 + 0.5 * r, 1.0 + r, D_E_PER_WEEK
    integral = einf * t + (e0 - einf) * (1.0 - np.exp(-d * t)) / d
    with np.errstate(all="ignore"):
        return n0 * np.exp(g * t - k * integral)


@dataclass(frozen=True)
class GrowthLaw:
    """A closed-form law ``f(t, *p)``, its parameter names, bounds (given the data) and starting guesses."""

    name: str
    params: tuple[str, ...]
    f: Callable[..., np.ndarray]
    bounds: Callable[[np.ndarray, np.ndarray], tuple[list[float], list[float]]]
    guesses: Callable[[np.ndarray, np.ndarray], list[list[float]]]


def _vb(t: np.ndarray, v: np.ndarray) -> tuple[float, float]:
    vmax = max(float(np.max(v)), 1e-9)
    return vmax * 1e-4, vmax * 1e3


def _rate_guess(t: np.ndarray, v: np.ndarray) -> float:
    vp = np.maximum(v, 1e-3 * max(float(np.max(v)), 1e-12))
    span = max(float(t[-1] - t[0]), 1e-9)
    return float(np.log(vp[-1] / vp[0]) / span)


def _laws() -> dict[str, GrowthLaw]:
    def b_bert(lam_free: bool) -> Callable[[np.ndarray, np.ndarray], tuple[list[float], list[float]]]:
        def b(t: np.ndarray, v: np.ndarray) -> tuple[list[float], list[float]]:
            lo, hi = _vb(t, v)
            lo_b, hi_b = [lo, lo, -2.0], [hi, hi, 2.0]
            if lam_free:
                lo_b.append(-3.0)
                hi_b.append(3.0)
            return lo_b, hi_b
        return b

    def g_bert(lam: float | None) -> Callable[[np.ndarray, np.ndarray], list[list[float]]]:
        def g(t: np.ndarray, v: np.ndarray) -> list[list[float]]:
            v0 = max(float(v[0]), 1e-3 * max(float(np.max(v)), 1e-9))
            out = []
            for vinf_f in (1.0, 3.0):
                for w in (0.1,):
                    p = [v0, max(float(np.max(v)), v0) * vinf_f, w]
                    out.append(p + ([1.0 / 3.0] if lam is None else []))
            return out
        return g

    def fixed(lam: float) -> Callable[..., np.ndarray]:
        return lambda t, v0, vinf, w: _bert(t, v0, vinf, w, lam)

    def v0b(t: np.ndarray, v: np.ndarray) -> tuple[float, float]:
        lo, hi = _vb(t, v)
        return lo, hi

    return {
        "exponential": GrowthLaw(
            "exponential", ("v0", "w"), lambda t, v0, w: v0 * np.exp(w * t),
            lambda t, v: ([v0b(t, v)[0], -2.0], [v0b(t, v)[1], 2.0]),
            lambda t, v: [[max(float(v[0]), 1e-9), _rate_guess(t, v)], [max(float(v[0]), 1e-9), 0.0]]),
        "logistic": GrowthLaw("logistic", ("v0", "vinf", "w"), fixed(-1.0), b_bert(False), g_bert(-1.0)),
        "gompertz": GrowthLaw("gompertz", ("v0", "vinf", "w"), fixed(0.0), b_bert(False), g_bert(0.0)),
        "classical_bertalanffy": GrowthLaw("classical_bertalanffy", ("v0", "vinf", "w"), fixed(1.0 / 3.0),
                                           b_bert(False), g_bert(1.0 / 3.0)),
        "bertalanffy": GrowthLaw("bertalanffy", ("v0", "vinf", "w", "lam"), _bert, b_bert(True), g_bert(None)),
        "stein": GrowthLaw(
            "stein", ("v0", "d", "g"), lambda t, v0, d, g: v0 * (np.exp(-d * t) + np.exp(g * t) - 1.0),
            lambda t, v: ([v0b(t, v)[0], 0.0, 0.0], [v0b(t, v)[1], 5.0, 2.0]),
            lambda t, v: [[max(float(v[0]), 1e-9), d, g] for d, g in ((0.02, 0.005), (0.2, 0.05))]),
        "claret": GrowthLaw(
            "claret", ("v0", "kL", "kD", "lam"),
            lambda t, v0, kl, kd, lam: v0 * np.exp(kl * t - kd / lam * (1.0 - np.exp(-lam * t))),
            lambda t, v: ([v0b(t, v)[0], 0.0, 0.0, 1e-3], [v0b(t, v)[1], 2.0, 5.0, 5.0]),
            lambda t, v: [[max(float(v[0]), 1e-9), kl, kd, lam]
                          for kl, kd, lam in ((0.005, 0.05, 0.05), (0.05, 0.3, 0.5), (0.02, 0.2, 0.1))]),
        "immune": GrowthLaw(
            "immune", ("N0", "g", "k", "r"), _immune,
            lambda t, v: ([v0b(t, v)[0], 0.0, 0.0, 0.0], [v0b(t, v)[1], 2.0, 2.0, 50.0]),
            lambda t, v: [[max(float(v[0]), 1e-9), g, k, r]
                          for g, k, r in ((0.01, 0.01, 0.5), (0.1, 0.1, 5.0), (0.05, 0.02, 1.0))]),
    }


#: The laws compared, by name.
LAWS: dict[str, GrowthLaw] = _laws()


def fit_law(law: GrowthLaw | str, t: Any, v: Any, extra_guesses: Sequence[Any] = ()) -> tuple[np.ndarray, float]:
    """Least-squares fit of ``law`` to volumes ``v`` at times ``t`` (from several guesses, bounded).

    ``extra_guesses`` (e.g. a fit to fewer scans) are tried first.

    Returns the parameters and the residual sum of squares (``inf`` if every start failed).
    """
    from scipy.optimize import least_squares

    lw = LAWS[law] if isinstance(law, str) else law
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    lo, hi = lw.bounds(t, v)
    lo_a, hi_a = np.array(lo, dtype=float), np.array(hi, dtype=float)
    best_p, best_c = np.full(len(lw.params), np.nan), math.inf

    def res(p: np.ndarray) -> np.ndarray:
        r = lw.f(t, *p) - v
        return np.where(np.isfinite(r), r, 1e3 * (abs(float(np.max(v))) + 1.0))

    for g in [*[list(e) for e in extra_guesses if np.all(np.isfinite(e))], *lw.guesses(t, v)]:
        x0 = np.clip(np.array(g, dtype=float), lo_a + 1e-12 * (hi_a - lo_a), hi_a - 1e-12 * (hi_a - lo_a))
        try:
            r = least_squares(res, x0, bounds=(lo_a, hi_a), x_scale="jac", max_nfev=400)
        except (ValueError, FloatingPointError):
            continue
        c = float(2.0 * r.cost)
        pred = lw.f(t, *r.x)
        if math.isfinite(c) and np.all(np.isfinite(pred)) and c < best_c:
            best_p, best_c = r.x, c
    return best_p, best_c


def read_laleh(path: str | os.PathLike[str] | None = None, min_readings: int = 6) -> Any:
    """The Laleh 2022 lesions (TumorGrowth.jl packaging): ``lesion``, ``arm``, ``weeks``, ``volume`` (normalised)."""
    import pandas as pd

    if path is None:
        from ..trials.calibration import shared_data_dir

        base = shared_data_dir()
        if base is None:
            raise FileNotFoundError("Laleh 2022 lesions: set ONCOIMMUNE_SHARED_DATA to the shared data folder")
        path = base / "tumour-kinetics" / "laleh-2022" / "lesions.csv"
    df = pd.read_csv(path)
    out = pd.DataFrame({
        "lesion": df["Pt_hashID"].astype(str),
        "arm": df["Study_Arm"].astype(str),
        "weeks": [np.asarray(json.loads(x), dtype=float) for x in df["T_weeks"]],
        "volume": [np.asarray(json.loads(x), dtype=float) for x in df["Lesion_normvol"]],
    })
    return out[out["weeks"].map(len) >= int(min_readings)].reset_index(drop=True)


def _one(args: tuple[str, str, np.ndarray, np.ndarray, int, tuple[str, ...]]) -> list[dict[str, Any]]:
    lesion, arm, t, v, holdouts, laws = args
    rows = []
    t = t - t[0]
    for name in laws:
        law = LAWS[name]
        k = len(law.params)
        p_cal, rss_cal = fit_law(law, t[:-holdouts], v[:-holdouts])
        p_in, rss = fit_law(law, t, v, extra_guesses=[p_cal])
        n = t.size
        mae_in = float(np.mean(np.abs(law.f(t, *p_in) - v))) if math.isfinite(rss) else math.nan
        aic = n * math.log(max(rss, 1e-300) / n) + 2 * k if math.isfinite(rss) else math.nan
        if math.isfinite(rss_cal):
            pred = law.f(t[-holdouts:], *p_cal)
            mae_out = float(np.mean(np.abs(pred - v[-holdouts:]))) if np.all(np.isfinite(pred)) else math.nan
        else:
            mae_out = math.nan
        rows.append({"lesion": lesion, "arm": arm, "law": name, "n": n, "k": k, "mae_in": mae_in, "aic": aic,
                     "mae_holdout": mae_out, **{f"p_{j}": float(x) for j, x in enumerate(p_cal)}})
    return rows


def compare_laws(lesions: Any, laws: Sequence[str] | None = None, holdouts: int = 2,
                 workers: int = 1) -> Any:
    """Fit every law to every lesion in and out of sample; one row per (lesion, law).

    Columns: ``lesion``, ``arm``, ``law``, ``n`` scans, ``k`` parameters,
    ``mae_in`` and ``aic`` (all scans), ``mae_holdout`` (calibrated on all but
    the last ``holdouts`` scans, error on those).
    """
    import pandas as pd

    names = tuple(laws or LAWS)
    for n in names:
        if n not in LAWS:
            from .._errors import UnknownNameError

            raise UnknownNameError("growth law", n, tuple(LAWS))
    jobs = [(r.lesion, r.arm, r.weeks, r.volume, int(holdouts), names) for r in lesions.itertuples()]
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as ex:
            parts = list(ex.map(_one, jobs, chunksize=16))
    else:
        parts = [_one(j) for j in jobs]
    return pd.DataFrame([r for p in parts for r in p])


def summarise(table: Any, *, max_error: float = 0.1, n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Mean holdout MAE per law (overall and per arm), ranks, and bootstrap CIs of pairwise differences.

    Lesions where any law's holdout error is NaN or above ``max_error`` are
    dropped first, as TumorGrowth.jl does (its threshold, 0.1).
    """
    wide = table.pivot(index="lesion", columns="law", values="mae_holdout")
    arms = table.groupby("lesion")["arm"].first()
    bad = wide.isna().any(axis=1) | (wide > max_error).any(axis=1)
    good = wide[~bad]
    rng = np.random.default_rng(int(seed))
    laws = list(good.columns)
    mean = good.mean().sort_values()
    idx = rng.integers(0, len(good), size=(int(n_boot), len(good)))
    vals = good.to_numpy()
    pair = {}
    for i, a in enumerate(laws):
        for j, b in enumerate(laws):
            if i < j:
                d = vals[:, i] - vals[:, j]
                bs = d[idx].mean(axis=1)
                lo, hi = np.percentile(bs, [2.5, 97.5])
                pair[f"{a} - {b}"] = [float(lo), float(hi)]
    ins = table.pivot(index="lesion", columns="law", values="mae_in").loc[good.index]
    aic = table.pivot(index="lesion", columns="law", values="aic").loc[good.index]
    best_aic = aic.idxmin(axis=1).value_counts().to_dict()
    by_arm = good.groupby(arms.loc[good.index]).mean()
    return {
        "lesions": int(len(wide)),
        "kept": int(len(good)),
        "dropped_fraction": float(bad.mean()),
        "mean_holdout_mae": {k: float(v) for k, v in mean.items()},
        "mean_in_sample_mae": {k: float(v) for k, v in ins.mean().sort_values().items()},
        "best_aic_count": {k: int(v) for k, v in best_aic.items()},
        "by_arm": {arm: {k: float(v) for k, v in row.items()} for arm, row in by_arm.iterrows()},
        "n_by_arm": {k: int(v) for k, v in arms.loc[good.index].value_counts().items()},
        "pairwise_ci95": pair,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m oncoimmune.fit.growth --out DIR [--workers K]``: the whole comparison (minutes)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m oncoimmune.fit.growth")
    ap.add_argument("--out", default="out/tumour-growth")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="first N lesions only (0: all)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    les = read_laleh()
    if a.limit:
        les = les.iloc[: a.limit]
    tab = compare_laws(les, workers=a.workers)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    tab.to_csv(out / "fits.csv", index=False)
    s = summarise(tab)
    s["seconds"] = round(time.perf_counter() - t0, 1)
    (out / "summary.json").write_text(json.dumps(s, indent=2))
    print(json.dumps({k: v for k, v in s.items() if k != "pairwise_ci95"}, indent=1))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
