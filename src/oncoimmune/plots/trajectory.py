"""Trajectory figure: populations on log axes, one panel per group of states and per observable.

Built on :class:`matplotlib.figure.Figure` without ``pyplot``, so it never
opens a window, works under the Agg backend and holds no global state.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_trajectory", "save_trajectory_plot"]


def _state_names(ds: Any) -> list[str]:
    try:
        initial = json.loads(ds.attrs.get("initial", "{}"))
    except (TypeError, ValueError):
        initial = {}
    names = [str(n) for n in ds.data_vars]
    if isinstance(initial, dict) and initial:
        return [n for n in names if n in initial]
    return names  # unknown provenance: treat every variable as a state


def _has_positive(values: np.ndarray) -> bool:
    v = values[np.isfinite(values)]
    return bool(v.size and np.any(v > 0))


def _panels(ds: Any) -> list[tuple[str, list[str], bool]]:
    """``(y label, variables, log scale)`` for each panel."""
    states = _state_names(ds)
    panels: list[tuple[str, list[str], bool]] = []
    groups: dict[str, list[str]] = {}
    for n in states:
        groups.setdefault(str(ds[n].attrs.get("units", "")), []).append(n)
    for units, names in groups.items():
        log = any(_has_positive(np.asarray(ds[n].values, dtype=float)) for n in names)
        panels.append((units or "value", names, log))
    obs: dict[str, list[str]] = {}  # observables in the same units share a panel (e.g. three occupancies)
    for n in ds.data_vars:
        n = str(n)
        if n not in states:
            obs.setdefault(str(ds[n].attrs.get("units", "")), []).append(n)
    for units, names in obs.items():
        fins = [v[np.isfinite(v)] for v in (np.asarray(ds[n].values, dtype=float) for n in names)]
        log = all(f.size and np.all(f > 0) and f.max() / f.min() > 100.0 for f in fins)
        if len(names) == 1:
            label = f"{names[0]} [{units}]" if units else names[0]
        else:
            label = "fraction [1]" if units == "1" else f"[{units}]" if units else "value"
        panels.append((label, names, bool(log)))
    return panels


def _same_curves(ds: Any, names: list[str]) -> dict[str, list[str]]:
    """``{first: [first, equal, ...]}``: variables whose values are equal are drawn once."""
    out: dict[str, list[str]] = {}
    for n in names:
        v = np.asarray(ds[n].values, dtype=float)
        for k in out:
            if np.allclose(v, np.asarray(ds[k].values, dtype=float), rtol=1e-9, atol=0.0, equal_nan=True):
                out[k].append(n)
                break
        else:
            out[n] = [n]
    return out


def plot_trajectory(ds: Any, *, title: str | None = None) -> Any:
    """Draw a simulated trajectory.

    States are grouped by units into shared panels on log axes (zeros are
    masked); each observable gets its own panel (log-scaled when positive and
    spanning more than two decades). The title names the model and the run's
    status (with the reason of a failed run).

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`oncoimmune.simulate` or
        :func:`oncoimmune.io.read_trajectory`.
    title : str, optional
        Replaces the model title in the figure heading.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    panels = _panels(ds)
    if not panels:
        from ..io.results import ResultsFileError

        raise ResultsFileError("ds has no data variables to plot; pass a result of simulate()")
    fig = Figure(figsize=(8.0, 1.2 + 2.6 * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    t = np.asarray(ds["time"].values, dtype=float)
    for ax, (ylabel, names, log) in zip(axes, panels):
        for n, same in _same_curves(ds, names).items():
            long_name = str(ds[n].attrs.get("long_name", ""))
            head = " = ".join(same)
            label = textwrap.fill(f"{head}: {long_name}", 70) if long_name else head
            ax.plot(t, np.asarray(ds[n].values, dtype=float), label=label, lw=1.6)
        if log:
            ax.set_yscale("log", nonpositive="mask")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="best", fontsize="small", frameon=False)
    axes[-1].set_xlabel("time [days]")
    heading = title or str(ds.attrs.get("model_title") or ds.attrs.get("model_id", "simulation"))
    status = str(ds.attrs.get("status", "unknown"))
    line2 = f"[{ds.attrs.get('model_id', '?')}]  status: {status}"
    if status != "ok" and ds.attrs.get("status_reason"):
        line2 += f" ({ds.attrs['status_reason']})"
    fig.suptitle(
        "\n".join(textwrap.wrap(heading, 90) + textwrap.wrap(line2, 100)),
        fontsize="medium",
        color="black" if status == "ok" else "firebrick",
    )
    return fig


def save_trajectory_plot(ds: Any, path: str | os.PathLike[str], *, dpi: int = 110) -> Path:
    """Draw :func:`plot_trajectory` and write it as PNG atomically.

    Parameters
    ----------
    ds : xarray.Dataset
    path : path-like
        Destination, conventionally ``DIR/trajectory.png``.
    dpi : int
        Resolution.

    Returns
    -------
    pathlib.Path
    """
    from ..io.results import atomic_write

    if not (isinstance(dpi, int) and 10 <= dpi <= 1200):
        from ..io.results import ResultsFileError

        raise ResultsFileError(f"dpi must be a whole number in [10, 1200]; got {dpi!r}")
    fig = plot_trajectory(ds)
    return atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi))

