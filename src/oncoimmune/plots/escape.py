"""Figures for the escape mechanisms: trajectories, dose-response with the threshold, an overview.

Built on :class:`matplotlib.figure.Figure` without ``pyplot`` (no window, no
global state, safe under the Agg backend). Functions take plain arrays so
they can be reused by the demo, the CLI and notebooks.
"""

from __future__ import annotations

import math
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

__all__ = [
    "Trace",
    "MechanismPanelData",
    "plot_trajectories",
    "plot_dose_response",
    "mechanism_figure",
    "overview_figure",
    "save_png",
]


@dataclass(frozen=True)
class Trace:
    """One tumour trajectory to draw: ``t`` (days), ``y`` (cells), legend label, line style and colour.

    ``color=None`` takes the next colour of the panel's colour ramp.
    """

    label: str
    t: np.ndarray
    y: np.ndarray
    style: str = "-"
    color: str | None = None


@dataclass(frozen=True)
class MechanismPanelData:
    """What one mechanism's figure shows.

    Attributes
    ----------
    name, title : str
        Registry name and human title of the mechanism.
    strength_label : str
        x-axis label of the dose-response panel.
    traces : sequence of Trace
        Tumour trajectories at a few strengths.
    strengths, finals : ndarray
        Dose-response: final tumour size for each strength.
    threshold : float
        Escape threshold (strength), NaN if none was found.
    escape_cells : float
        Size counted as escaped.
    days : float
        Horizon of the dose-response.
    """

    name: str
    title: str
    strength_label: str
    traces: Sequence[Trace]
    strengths: np.ndarray
    finals: np.ndarray
    threshold: float
    escape_cells: float
    days: float


def _log_axis(ax: Any) -> None:
    ax.set_yscale("log", nonpositive="mask")
    ax.grid(True, which="major", alpha=0.3)


def plot_trajectories(ax: Any, traces: Sequence[Trace], *, escape_cells: float | None = None) -> None:
    """Tumour size over time on a log axis, one line per trace (colours from dark to light)."""
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    n = max(len(traces), 1)
    for i, tr in enumerate(traces):
        color = tr.color if tr.color is not None else cmap(0.9 * i / max(n - 1, 1))
        ax.plot(tr.t, tr.y, ls=tr.style, color=color, lw=1.6, label=tr.label)
    if escape_cells is not None:
        ax.axhline(escape_cells, color="grey", ls=":", lw=1.0,
                   label=f"escape line ({escape_cells:.0e} cells)")
    _log_axis(ax)
    ax.set_xlabel("time [days]")
    ax.set_ylabel("tumour cells")
    ax.legend(loc="best", fontsize="x-small", frameon=False)


def plot_dose_response(ax: Any, data: MechanismPanelData) -> None:
    """Final tumour size against strength, the escape line and the threshold found by bisection."""
    ax.plot(data.strengths, data.finals, "o-", ms=3.5, lw=1.4, color="tab:blue",
            label=f"tumour at day {data.days:g}")
    ax.axhline(data.escape_cells, color="grey", ls=":", lw=1.0, label="escape line")
    if math.isfinite(data.threshold):
        ax.axvline(data.threshold, color="firebrick", ls="--", lw=1.2,
                   label=f"threshold {data.threshold:.3g}")
    _log_axis(ax)
    ax.set_xlabel(textwrap.fill(data.strength_label, 70))
    ax.set_ylabel(f"tumour cells at day {data.days:g}")
    ax.legend(loc="best", fontsize="x-small", frameon=False)


def mechanism_figure(data: MechanismPanelData, *, model_title: str = "") -> Any:
    """Two panels for one mechanism: trajectories at several strengths, and the dose-response.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 4.2), layout="constrained")
    a, b = fig.subplots(1, 2)
    plot_trajectories(a, data.traces, escape_cells=data.escape_cells)
    a.set_title("tumour over time", fontsize="medium")
    plot_dose_response(b, data)
    b.set_title("dose-response and escape threshold", fontsize="medium")
    head = f"Escape mechanism: {data.title}"
    if model_title:
        head += f"\n{model_title}"
    fig.suptitle(head, fontsize="medium")
    return fig


def overview_figure(
    panels: Sequence[MechanismPanelData],
    escape_traces: Sequence[Trace],
    blockade_traces: Sequence[Trace],
    *,
    escape_cells: float,
    model_title: str = "",
) -> Any:
    """One-page summary of every mechanism.

    Panels: (a) the controlled baseline and each mechanism just above its
    threshold; (b) dose-response of every mechanism with strength rescaled by
    its threshold (escape at 1); (c) checkpoint blockade releases the PD-L1
    brake but not antigen loss.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(15.0, 4.6), layout="constrained")
    a, b, c = fig.subplots(1, 3)
    plot_trajectories(a, escape_traces, escape_cells=escape_cells)
    a.set_title("(a) controlled baseline vs each mechanism above threshold", fontsize="medium")
    for k, d in enumerate(panels):
        if not (math.isfinite(d.threshold) and d.threshold > 0):
            continue
        b.plot(np.asarray(d.strengths) / d.threshold, d.finals, "o-", ms=2.5, lw=1.2,
               color=f"C{k}", label=f"{d.name} (threshold {d.threshold:.3g})")
    b.axvline(1.0, color="firebrick", ls="--", lw=1.0)
    b.set_xlim(-0.05, 3.0)
    b.axhline(escape_cells, color="grey", ls=":", lw=1.0)
    _log_axis(b)
    b.set_xlabel("strength / escape threshold")
    b.set_ylabel("tumour cells at end of run")
    b.set_title("(b) dose-response, strength in units of its threshold", fontsize="medium")
    b.legend(loc="best", fontsize="x-small", frameon=False)
    plot_trajectories(c, blockade_traces, escape_cells=escape_cells)
    c.set_title("(c) PD-1 blockade releases PD-L1, not antigen loss", fontsize="medium")
    head = "How tumours escape immune control: too few white cells, stop signals, hiding"
    if model_title:
        head += f"\n{model_title}"
    fig.suptitle(head, fontsize="medium")
    return fig


def save_png(fig: Any, path: str | os.PathLike[str], *, dpi: int = 110) -> Path:
    """Write ``fig`` as PNG atomically (temp file beside ``path``, then rename)."""
    from ..io.results import atomic_write

    return atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi))
