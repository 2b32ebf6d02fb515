"""Figures of a parameter estimation: data against the fit, the waterfall of starts, profile likelihoods.

Built on :class:`matplotlib.figure.Figure` without ``pyplot`` (no window, no global state).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["plot_fit", "plot_profiles", "plot_waterfall"]


def plot_fit(result: Any) -> Any:
    """Measurements (points) and the best fit (lines, on a fine grid) per observable and condition."""
    from matplotlib.figure import Figure

    pb = result.problem
    th = pb.to_linear(result.best.x)
    h, _ = pb.predictions(th)
    m = pb.measurements
    obs_ids = list(dict.fromkeys(pb.obs_of_row))
    fig = Figure(figsize=(5.0 * len(obs_ids), 4.0), layout="constrained")
    axes = [fig.add_subplot(1, len(obs_ids), i + 1) for i in range(len(obs_ids))]
    colours = {c: f"C{i % 10}" for i, c in enumerate(pb.conditions)}
    for ax, oid in zip(axes, obs_ids):
        rows = np.array([r for r, o in enumerate(pb.obs_of_row) if o == oid])
        for cid in pb.conditions:
            sel = rows[(m["simulationConditionId"].iloc[rows].str.strip() == cid).to_numpy()]
            if not sel.size:
                continue
            t = m["time"].to_numpy()[sel]
            order = np.argsort(t)
            ax.plot(t, pb.y[sel], "o", color=colours[cid], ms=4, label=f"{cid}: data")
            ax.plot(t[order], h[sel][order], "-", color=colours[cid], lw=1.5, label=f"{cid}: fit")
        if pb.observables[oid].transform != "lin":
            ax.set_yscale("log")
        ax.set_xlabel("time")
        ax.set_ylabel(oid)
        ax.legend(frameon=False, fontsize=8)
    fig.suptitle(f"best fit: objective {result.best.fval:.6g}", fontsize=10)
    return fig


def plot_waterfall(result: Any) -> Any:
    """Final objective of every start, sorted (a plateau of starts at the best value = a reliable optimum)."""
    from matplotlib.figure import Figure

    f = np.array([s.fval for s in result.starts])
    ok = np.array([s.success for s in result.starts])
    fin = np.isfinite(f)
    fig = Figure(figsize=(5.5, 4.0), layout="constrained")
    ax = fig.add_subplot()
    best = f[fin].min() if fin.any() else 0.0
    y = f - best + 1.0
    x = np.arange(f.size)
    ax.plot(x[fin], y[fin], "-", color="0.6", lw=0.8)
    ax.plot(x[fin & ok], y[fin & ok], "o", color="tab:blue", label="converged")
    ax.plot(x[fin & ~ok], y[fin & ~ok], "x", color="tab:red", label="not converged")
    ax.set_yscale("log")
    ax.set_xlabel("start (sorted by objective)")
    ax.set_ylabel("objective - best + 1")
    ax.set_title(f"waterfall: {result.converged_to_best()} of {f.size} starts reach the best value", fontsize=10)
    ax.legend(frameon=False)
    return fig


def plot_profiles(result: Any) -> Any:
    """Profile likelihoods (2 x objective difference) with the chi-square threshold and the intervals."""
    from matplotlib.figure import Figure

    from ..fit.estimate import CHI2_95_1DF

    profs = result.profiles
    n = max(1, len(profs))
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.0 * cols, 3.2 * rows), layout="constrained")
    for i, p in enumerate(profs):
        ax = fig.add_subplot(rows, cols, i + 1)
        d = 2 * (p.fval - result.best.fval)
        ax.plot(p.x, d, "o-", ms=3)
        ax.axhline(CHI2_95_1DF, color="tab:red", ls="--", lw=0.8)
        for c in p.ci_scaled:
            if math.isfinite(c):
                ax.axvline(c, color="0.5", ls=":", lw=0.8)
        i_est = result.problem.estimated.index(p.parameter)
        ax.set_xlabel(f"{p.parameter} ({result.problem.scales[i_est]})")
        ax.set_ylabel("2 (J - J_min)")
        ax.set_ylim(bottom=-0.2, top=max(2 * CHI2_95_1DF, float(np.nanmin([np.nanmax(d), 4 * CHI2_95_1DF]))))
    return fig
