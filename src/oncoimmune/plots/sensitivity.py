"""Figures of sensitivity indices: Sobol bars with intervals, the Morris (mu*, sigma) plane, PRCC bars.

Built on :class:`matplotlib.figure.Figure` without ``pyplot`` (no window, no global state).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_sensitivity", "save_sensitivity_plot"]


def plot_sensitivity(result: Any, title: str = "", reference: Any = None) -> Any:
    """One figure for a :class:`~oncoimmune.sensitivity.SensitivityResult`.

    ``reference`` (optional, Sobol only) maps ``"S1"``/``"ST"`` to known values
    per factor, drawn as markers (e.g. analytic Ishigami indices).
    """
    from matplotlib.figure import Figure

    names = list(result.names)
    x = np.arange(len(names))
    fig = Figure(figsize=(max(5.0, 0.9 * len(names) + 2.5), 4.0), layout="constrained")
    ax = fig.add_subplot()
    if result.method == "sobol":
        w = 0.38
        for off, key, colour in ((-w / 2, "S1", "tab:blue"), (w / 2, "ST", "tab:orange")):
            v = np.array([result[key][n] for n in names])
            e = np.array([result[f"{key}_conf"][n] for n in names])
            ax.bar(x + off, v, w, yerr=e, capsize=3, color=colour, label=f"{key} ({100 * result.conf_level:.0f} % CI)")
            if reference is not None and key in reference:
                ax.plot(x + off, [reference[key][n] for n in names], "k_", ms=14, mew=2,
                        label="analytic" if key == "S1" else None)
        ax.set_ylabel("Sobol index")
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.legend(frameon=False)
    elif result.method == "morris":
        mu = np.array([result["mu_star"][n] for n in names])
        sd = np.array([result["sigma"][n] for n in names])
        e = np.array([result["mu_star_conf"][n] for n in names])
        ax.errorbar(mu, sd, xerr=e, fmt="o", capsize=3)
        for xi, yi, n in zip(mu, sd, names):
            ax.annotate(n, (xi, yi), textcoords="offset points", xytext=(4, 4))
        lim = max(float(np.nanmax(mu + e)), float(np.nanmax(sd))) * 1.1 or 1.0
        ax.plot([0, lim], [0, lim], color="0.6", ls="--", lw=0.8, label="sigma = mu*")
        ax.set_xlim(0, lim)
        ax.set_ylim(0, lim)
        ax.set_xlabel("mu* (mean |elementary effect|)")
        ax.set_ylabel("sigma (interaction / non-linearity)")
        ax.legend(frameon=False)
    else:
        v = np.array([result["PRCC"][n] for n in names])
        lo = np.array([result["PRCC_lo"][n] for n in names])
        hi = np.array([result["PRCC_hi"][n] for n in names])
        ax.bar(x, v, 0.6, yerr=[v - lo, hi - v], capsize=3, color=np.where(v >= 0, "tab:red", "tab:blue"))
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel(f"PRCC ({100 * result.conf_level:.0f} % CI)")
        ax.set_xticks(x, names, rotation=30, ha="right")
    ax.set_title(title or f"{result.method}: {result.n_evaluations} evaluations, seed {result.seed}", fontsize=10)
    return fig


def save_sensitivity_plot(result: Any, path: str | os.PathLike[str], title: str = "", reference: Any = None) -> Path:
    """Draw :func:`plot_sensitivity` and save it (PNG)."""
    p = Path(path)
    plot_sensitivity(result, title=title, reference=reference).savefig(p, dpi=120)
    return p
