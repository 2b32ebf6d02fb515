"""Trial figures: waterfall, spider, swimmer, Kaplan-Meier with numbers at risk, KM overlay.

Built on :class:`matplotlib.figure.Figure` without ``pyplot`` (no window, no
global state; safe under the Agg backend and in threads). Every function
returns a Figure; :func:`save_figure` writes one as PNG atomically and
:func:`figure_png` gives the PNG bytes (for the HTML report).

Colours of best overall response are fixed (:data:`BOR_COLOURS`) so that
figures of different trials read the same way.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import UnknownNameError
from ..trials.endpoints import check_endpoint_table
from ..trials.recist import DAYS_PER_MONTH, RESPONSE_CODES, RecistResult, TrialDataError

__all__ = [
    "ARM_COLOURS",
    "BOR_COLOURS",
    "figure_png",
    "plot_km",
    "plot_km_overlay",
    "plot_spider",
    "plot_swimmer",
    "plot_waterfall",
    "save_figure",
]

BOR_COLOURS: Mapping[str, str] = {
    "CR": "#1b7837",
    "PR": "#7fbc41",
    "SD": "#4393c3",
    "PD": "#d6604d",
    "NE": "#999999",
}
"""Colour of each best overall response."""

ARM_COLOURS: tuple[str, ...] = ("#555555", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
"""Arm colours in order (the first, grey, goes to the reference arm when one is named)."""

_TIME_UNITS = {"days": 1.0, "weeks": 7.0, "months": DAYS_PER_MONTH}


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _nice_ticks(tmax: float) -> np.ndarray:
    if not np.isfinite(tmax) or tmax <= 0:
        return np.array([0.0])
    for step in (1, 2, 3, 6, 12, 24, 48):
        if tmax / step <= 10:
            break
    return np.arange(0.0, tmax + 1e-9, float(step))


def _bor_legend(fig: Any, present: Sequence[str]) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(color=BOR_COLOURS[c], label=c) for c in RESPONSE_CODES if c in present]
    if handles:
        fig.legend(
            handles=handles, title="best response", frameon=False, fontsize="small", loc="outside right upper"
        )


# waterfall -------------------------------------------------------------------------------------------


def _bars(ax: Any, x: np.ndarray, height: np.ndarray, colours: list[str], width: float = 0.85) -> None:
    """Bars from 0 as one collection (``ax.bar`` makes one artist per bar: minutes for 100,000 patients)."""
    from matplotlib.collections import PolyCollection

    left, right = x - width / 2, x + width / 2
    zero = np.zeros_like(height)
    verts = np.stack(
        [np.column_stack(c) for c in ((left, zero), (left, height), (right, height), (right, zero))], axis=1
    )
    ax.add_collection(PolyCollection(verts, facecolors=colours, linewidths=0, antialiased=width < 1.0))
    if x.size:
        ax.update_datalim(verts.reshape(-1, 2))  # autoscaling then sees the bars (and shared axes do too)
        ax.autoscale_view()


def plot_waterfall(
    table: Any,
    *,
    value: str = "best_percent_change",
    bor: str = "best_overall_response",
    by: str | None = "arm",
    clip: float | None = 100.0,
    title: str | None = None,
    max_bars: int | None = 4000,
) -> Any:
    """Waterfall plot: best % change in the sum of diameters, one bar per patient.

    Bars are sorted from worst to best and coloured by best overall response;
    dashed lines mark +20 % (progression threshold) and -30 % (partial
    response).

    Parameters
    ----------
    table : pandas.DataFrame
        An endpoint table (:func:`~oncoimmune.trials.endpoint_table`).
    value, bor : str
        Columns of best percent change and best overall response.
    by : str or None
        One panel per value of this column (``"arm"``); None for one panel.
    clip : float or None
        Bars above this percentage are cut at it (marked with a caret).
    title : str, optional
    max_bars : int or None
        A panel with more patients shows this many bars, at evenly spaced ranks of
        the sorted patients (the quantiles of the curve, each coloured by that
        patient's response; the axis label says so): a figure a few thousand pixels
        wide cannot show a million bars, and drawing them took minutes.
        None: every patient.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import pandas as pd

    check_endpoint_table(table, [value, bor] + ([by] if by else []))
    if max_bars is not None and (isinstance(max_bars, bool) or not isinstance(max_bars, int) or max_bars < 2):
        raise ValueError(f"max_bars must be a whole number >= 2 or None; got {max_bars!r}")
    groups = [(str(g), sub) for g, sub in table.groupby(by, sort=False)] if by else [("", table)]
    fig = _figure(max(6.0, 3.6 * len(groups)), 4.2)
    axes = fig.subplots(1, len(groups), sharey=True, squeeze=False)[0]
    present: set[str] = set()
    for ax, (name, sub) in zip(axes, groups):
        v = pd.to_numeric(sub[value], errors="coerce").to_numpy(dtype=float)
        b = sub[bor].astype(str).to_numpy()
        ok = np.isfinite(v)
        v, b = v[ok], b[ok]
        order = np.argsort(-v, kind="stable")
        v, b = v[order], b[order]
        n_all, x, step = v.size, np.arange(v.size), 1.0
        if max_bars is not None and n_all > max_bars:  # evenly spaced ranks of the sorted patients
            x = np.unique(np.round(np.linspace(0, n_all - 1, max_bars)).astype(np.int64))
            v, b, step = v[x], b[x], (n_all - 1) / (x.size - 1)
        shown = np.minimum(v, clip) if clip is not None else v
        colours = [BOR_COLOURS.get(c, BOR_COLOURS["NE"]) for c in b]
        _bars(ax, x, shown, colours, width=(0.85 if n_all <= 300 else 1.0) * step)  # wider than a pixel: no gaps
        if clip is not None and (v > clip).any():
            ax.plot(x[v > clip], np.full((v > clip).sum(), clip), "^", color="black", ms=4)
        ax.axhline(20.0, ls="--", lw=0.9, color="#d6604d")
        ax.axhline(-30.0, ls="--", lw=0.9, color="#1b7837")
        ax.axhline(0.0, lw=0.6, color="black")
        ax.set_xticks([])
        missing = int((~ok).sum())
        sampled = f"; {x.size} evenly spaced ranks shown" if x.size < n_all else ""
        ax.set_xlabel(
            f"patients (n = {n_all}{sampled})" + (f"\n{missing} without a post-baseline scan" if missing else "")
        )
        if name:
            ax.set_title(name, fontsize="medium")
        present.update(b.tolist())
    axes[0].set_ylabel("best change in sum of diameters [%]")
    _bor_legend(fig, sorted(present))
    fig.suptitle(title or "Waterfall: best change from baseline (RECIST 1.1)", fontsize="medium")
    return fig


# spider ----------------------------------------------------------------------------------------------


def plot_spider(
    recist: RecistResult,
    *,
    time_unit: str = "weeks",
    max_patients: int | None = 200,
    title: str | None = None,
) -> Any:
    """Spider plot: % change from baseline of each patient over time, up to progression.

    Parameters
    ----------
    recist : RecistResult
        From :func:`~oncoimmune.trials.assess_recist`.
    time_unit : {"weeks", "days", "months"}
        Unit of the time axis (time since origin).
    max_patients : int or None
        Draw at most this many (the first ones), for legibility.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(recist, RecistResult):
        raise TrialDataError(
            f"recist must be a RecistResult from assess_recist(); got {type(recist).__name__}"
        )
    if time_unit not in _TIME_UNITS:
        raise UnknownNameError("time_unit", time_unit, list(_TIME_UNITS))
    n = recist.n_patients if max_patients is None else min(recist.n_patients, int(max_patients))
    t = (recist.times - recist.origin[:, None]) / _TIME_UNITS[time_unit]
    pct = recist.percent_change
    resp = recist.responses
    fig = _figure(7.5, 4.5)
    ax = fig.subplots()
    present: set[str] = set()
    no_line = 0  # patients without a post-baseline assessment: no line to draw, so not in the legend
    for i in range(n):
        keep = np.isfinite(pct[i]) & (resp[i] != "")
        if keep.sum() < 2:
            no_line += 1
            continue
        b = str(recist.best_overall_response[i])
        present.add(b)
        c = BOR_COLOURS.get(b, BOR_COLOURS["NE"])
        ax.plot(t[i, keep], pct[i, keep], "-o", color=c, lw=1.0, ms=2.5, alpha=0.85)
        pd_at = resp[i] == "PD"
        if pd_at.any() and np.isfinite(pct[i, pd_at]).any():
            ax.plot(t[i, pd_at], pct[i, pd_at], "x", color="black", ms=5)
    ax.axhline(20.0, ls="--", lw=0.9, color="#d6604d")
    ax.axhline(-30.0, ls="--", lw=0.9, color="#1b7837")
    ax.axhline(0.0, lw=0.6, color="black")
    ax.set_xlabel(f"time since start [{time_unit}]")
    ax.set_ylabel("change in sum of diameters [%]")
    ax.grid(True, alpha=0.3)
    from matplotlib.lines import Line2D

    _bor_legend(fig, sorted(present))
    fig.legend(
        handles=[Line2D([], [], ls="", marker="x", color="black", ms=5, label="progression (PD)")],
        frameon=False, fontsize="small", loc="outside right lower",
    )
    notes = []
    if n < recist.n_patients:
        notes.append(f"first {n} of {recist.n_patients} patients")
    if no_line:
        notes.append(f"{no_line} without a post-baseline scan not drawn")
    ax.set_title(title or "Spider plot: change from baseline until progression", fontsize="medium", loc="left")
    if notes:
        ax.text(0.0, 1.01, "; ".join(notes), transform=ax.transAxes, fontsize="x-small", va="bottom",
                ha="left", color="#444444")
        ax.set_title(ax.get_title(), fontsize="medium", loc="left", pad=14)
    return fig


# swimmer ---------------------------------------------------------------------------------------------


def plot_swimmer(table: Any, *, max_patients: int = 50, title: str | None = None) -> Any:
    """Swimmer plot: time on study per patient with response, progression and death markers.

    A bar runs to ``os_months`` (death or last contact), coloured by best
    overall response; the first response (triangle), progression (diamond),
    death (cross) and ongoing follow-up (arrow) are marked.

    Parameters
    ----------
    table : pandas.DataFrame
        An endpoint table (needs ``os_months``, ``os_event``, ``pfs_months``,
        ``pfs_reason``, ``ttr_months``, ``best_overall_response``).
    max_patients : int
        Patients shown (default 50). With more patients, a sample stratified
        by outcome (died; progressed and alive; neither), each stratum
        represented in proportion to its size (at least one patient each) by
        patients evenly spread over its follow-up times; the title gives the
        counts. (The 50 longest-followed would all be censored alive at the
        horizon, with no death ever shown.)
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    cols = ["os_months", "os_event", "pfs_months", "pfs_reason", "ttr_months", "best_overall_response"]
    check_endpoint_table(table, cols)
    if not (isinstance(max_patients, (int, np.integer)) and max_patients >= 1):
        raise TrialDataError(f"max_patients must be a whole number >= 1; got {max_patients!r}")
    sub, strata = _swimmer_sample(table, int(max_patients))
    y = np.arange(len(sub))
    fig = _figure(7.5, max(3.0, 0.6 + 0.17 * len(sub)))
    ax = fig.subplots()
    bor = sub["best_overall_response"].astype(str).to_numpy()
    ax.barh(
        y,
        sub["os_months"].to_numpy(dtype=float),
        height=0.7,
        color=[BOR_COLOURS.get(b, BOR_COLOURS["NE"]) for b in bor],
        linewidth=0,
    )
    ttr = sub["ttr_months"].to_numpy(dtype=float)
    r = np.isfinite(ttr)
    ax.plot(ttr[r], y[r], "^", color="black", ms=4, label="first response")
    prog = (sub["pfs_reason"].astype(str) == "progression").to_numpy()
    ax.plot(
        sub["pfs_months"].to_numpy(dtype=float)[prog],
        y[prog],
        "D",
        color="#b2182b",
        mfc="white",
        ms=4,
        label="progression",
    )
    died = sub["os_event"].to_numpy(dtype=int) == 1
    os_m = sub["os_months"].to_numpy(dtype=float)
    ax.plot(os_m[died], y[died], "x", color="black", ms=5, label="death")
    alive = ~died
    span = float(np.nanmax(os_m)) if os_m.size else 1.0
    ax.plot(os_m[alive] + 0.015 * span, y[alive], ">", color="#444444", ms=4, label="alive at last contact")
    if "patient_id" in sub.columns and len(sub) <= 60:
        several = "arm" in sub.columns and sub["arm"].nunique() > 1
        labels = [
            f"{a} · {p}" if several else str(p)
            for a, p in zip(sub["arm"] if several else sub["patient_id"], sub["patient_id"])
        ]
        ax.set_yticks(y, labels, fontsize="x-small")
    else:
        ax.set_yticks([])
    ax.set_xlabel("time on study [months]")
    ax.set_ylabel("patient")
    ax.grid(True, axis="x", alpha=0.3)
    _bor_legend(fig, sorted(set(bor)))
    fig.legend(*ax.get_legend_handles_labels(), loc="outside right lower", fontsize="small", frameon=False)
    shown = ", ".join(f"{k} {v}" for k, v in strata.items() if v)
    ax.set_title(
        title or f"Swimmer plot ({len(sub)} of {len(table)} patients; {shown})", fontsize="medium"
    )
    return fig


def _swimmer_sample(table: Any, k: int) -> tuple[Any, dict[str, int]]:
    """At most ``k`` rows stratified by outcome, evenly spread over follow-up; strata bottom to top."""
    died = table["os_event"].to_numpy(dtype=int) == 1
    prog = (table["pfs_reason"].astype(str) == "progression").to_numpy() & ~died
    groups = {"died": died, "progressed": prog, "neither": ~died & ~prog}
    sizes = {g: int(m.sum()) for g, m in groups.items()}
    n = len(table)
    if n <= k:
        take = dict(sizes)
    else:
        take = {g: (max(1, round(k * s / n)) if s else 0) for g, s in sizes.items()}
        while sum(take.values()) > k:  # rounding up small strata can overshoot
            g = max(take, key=lambda x: take[x])
            take[g] -= 1
        for g in take:
            take[g] = min(take[g], sizes[g])
    parts = []
    for g, m in groups.items():
        rows = table[m].sort_values("os_months", kind="stable")
        if take[g] < len(rows):
            idx = np.unique(np.round(np.linspace(0, len(rows) - 1, take[g])).astype(int))
            rows = rows.iloc[idx]
        parts.append(rows)
    import pandas as pd

    return pd.concat(parts), {g: int(take[g]) for g in groups}


# Kaplan-Meier ----------------------------------------------------------------------------------------


def _draw_km(ax: Any, km: Any, colour: str, *, ls: str = "-", label: str, ci: bool) -> None:
    tab = km.table
    t = tab["time"].to_numpy()
    s = tab["survival"].to_numpy()
    ax.step(t, s, where="post", color=colour, ls=ls, lw=1.6, label=label)
    if ci:
        ax.fill_between(
            t,
            tab["lower"].to_numpy(),
            tab["upper"].to_numpy(),
            step="post",
            color=colour,
            alpha=0.12,
            linewidth=0,
        )
    cens = tab["censored"].to_numpy() > 0
    ax.plot(t[cens], s[cens], "|", color=colour, ms=5, mew=0.9)


def _at_risk_axis(
    fig: Any, gs: Any, ax: Any, rows: Sequence[tuple[str, str, Any]], ticks: np.ndarray
) -> None:
    tab = fig.add_subplot(gs, sharex=ax)
    for spine in tab.spines.values():
        spine.set_visible(False)
    tab.tick_params(axis="both", length=0)
    tab.tick_params(axis="y", pad=16)
    tab.set_ylim(-0.5, len(rows) - 0.5)
    tab.set_yticks(range(len(rows)), [r[0] for r in rows][::-1], fontsize="small")
    for lab, (_, colour, _) in zip(tab.get_yticklabels(), rows[::-1]):
        lab.set_color(colour)
    for j, (_, _, km) in enumerate(rows[::-1]):
        for x, nr in zip(ticks, km.at_risk(ticks)):
            tab.text(x, j, str(int(nr)), ha="center", va="center", fontsize="small")
    tab.set_title("Number at risk", fontsize="small", loc="left")
    tab.tick_params(axis="x", labelbottom=False)
    ax.tick_params(axis="x", labelbottom=True)


def _annotate(ax: Any, lines: Sequence[str]) -> None:
    if lines:
        ax.text(
            0.98,
            0.98,
            "\n".join(lines),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize="small",
            bbox={"boxstyle": "round", "fc": "white", "ec": "#cccccc"},
        )


def _fmt_median(m: float) -> str:
    return "NR" if not np.isfinite(m) else f"{m:.1f}"


def plot_km(
    table: Any,
    *,
    time: str = "pfs_months",
    event: str = "pfs_event",
    arm: str = "arm",
    reference: str | None = None,
    at: Sequence[float] | None = None,
    ci: bool = True,
    ylabel: str | None = None,
    xlabel: str = "time [months]",
    title: str | None = None,
    alpha: float = 0.05,
) -> Any:
    """Kaplan-Meier curves per arm with a numbers-at-risk table under the axis.

    Censored patients are ticks; shaded bands are pointwise confidence
    intervals. With a ``reference`` arm and two or more arms, the hazard
    ratios (Cox) and the log-rank p-value are printed on the plot.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per patient (an endpoint table).
    time, event, arm : str
        Column names (PFS by default; ``"os_months"``/``"os_event"`` for OS).
    reference : str, optional
        Control arm: drawn first, in grey, and used for hazard ratios.
    at : sequence of float, optional
        Times of the at-risk counts and x ticks (default: a round step).
    ci : bool
        Shade confidence bands.
    ylabel, xlabel, title : str, optional
    alpha : float
        1 - confidence level.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..analysis.survival import MIN_EVENTS_PER_COMPARISON, hazard_ratios, km_by_arm, logrank

    fits = km_by_arm(
        table, time=time, event=event, arm=arm, order=None if reference is None else [reference], alpha=alpha
    )
    tmax = max(float(np.max(f.durations)) for f in fits.values())
    ticks = np.asarray(at, dtype=float) if at is not None else _nice_ticks(tmax)
    fig = _figure(7.5, 5.0 + 0.25 * len(fits))
    gs = fig.add_gridspec(2, 1, height_ratios=[4.0, 0.5 + 0.3 * len(fits)])
    ax = fig.add_subplot(gs[0])
    rows = []
    colours = ARM_COLOURS if reference is not None else ARM_COLOURS[1:]
    for j, (name, f) in enumerate(fits.items()):
        c = colours[j % len(colours)]
        _draw_km(ax, f, c, label=f"{name} (n={f.n}; median {_fmt_median(f.median)})", ci=ci)
        rows.append((name, c, f))
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0.0, max(tmax, float(ticks.max())) * 1.02)
    ax.set_xticks(ticks)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or f"probability ({time})")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left", fontsize="small", frameon=False)
    notes = []
    if reference is not None and len(fits) >= 2:
        try:
            hr = hazard_ratios(
                table, time=time, event=event, arm=arm, reference=reference, alpha=alpha,
                min_events=MIN_EVENTS_PER_COMPARISON,
            )
        except TrialDataError:  # too few events, an arm without events, or a fit that does not converge
            notes.append("HR not estimable (too few events)")
        else:
            for a, r in hr.iterrows():
                notes.append(f"HR {a} vs {reference}: {r['hr']:.2f} ({r['hr_lo']:.2f}-{r['hr_hi']:.2f})")
        notes.append(f"log-rank p = {logrank(table, time=time, event=event, arm=arm).p_value:.2g}")
    _annotate(ax, notes)
    _at_risk_axis(fig, gs[1], ax, rows, ticks)
    ax.set_title(title or "Kaplan-Meier estimate", fontsize="medium")
    return fig


def plot_km_overlay(
    comparison: Any, *, at: Sequence[float] | None = None, ci: bool = False, title: str | None = None
) -> Any:
    """Kaplan-Meier of a virtual trial (dashed) over a real trial (solid), arm by arm.

    Parameters
    ----------
    comparison : TrialComparison
        From :func:`oncoimmune.analysis.compare_to_trial`.
    at : sequence of float, optional
        Times of the at-risk counts and x ticks.
    ci : bool
        Shade confidence bands (off by default: four bands are hard to read).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from ..analysis.survival import TrialComparison

    if not isinstance(comparison, TrialComparison):
        raise TrialDataError(
            f"comparison must be a TrialComparison from compare_to_trial(); got {type(comparison).__name__}"
        )
    arms = list(dict.fromkeys(a for _, a in comparison.km))
    colour = {a: ARM_COLOURS[j % len(ARM_COLOURS)] for j, a in enumerate(arms)}
    tmax = max(float(np.max(f.durations)) for f in comparison.km.values())
    ticks = np.asarray(at, dtype=float) if at is not None else _nice_ticks(tmax)
    rows = []
    fig = _figure(7.5, 5.2 + 0.5 * len(arms))
    gs = fig.add_gridspec(2, 1, height_ratios=[4.0, 0.5 + 0.3 * len(comparison.km)])
    ax = fig.add_subplot(gs[0])
    for a in arms:
        for source, ls in (("real", "-"), ("virtual", "--")):
            f = comparison.km.get((source, a))
            if f is None:
                continue
            _draw_km(
                ax,
                f,
                colour[a],
                ls=ls,
                label=f"{a}, {source} (n={f.n}; median {_fmt_median(f.median)})",
                ci=ci,
            )
            rows.append((f"{a} ({source})", colour[a], f))
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0.0, max(tmax, float(ticks.max())) * 1.02)
    ax.set_xticks(ticks)
    ax.set_xlabel(f"time [{comparison.time_unit}]")
    ax.set_ylabel(f"{comparison.endpoint} probability")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left", fontsize="small", frameon=False)
    notes = []
    for (source, a), r in comparison.hazard_ratios.iterrows():
        notes.append(
            f"{source}: HR {a} vs {comparison.reference} {r['hr']:.2f} ({r['hr_lo']:.2f}-{r['hr_hi']:.2f})"
        )
    _annotate(ax, notes)
    _at_risk_axis(fig, gs[1], ax, rows, ticks)
    ax.set_title(title or f"{comparison.endpoint}: virtual (dashed) vs real (solid)", fontsize="medium")
    return fig


# output ----------------------------------------------------------------------------------------------


def _check_dpi(dpi: Any) -> int:
    if not (isinstance(dpi, int) and 10 <= dpi <= 1200):
        raise TrialDataError(f"dpi must be a whole number in [10, 1200]; got {dpi!r}")
    return dpi


def figure_png(fig: Any, *, dpi: int = 110) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_check_dpi(dpi))
    return buf.getvalue()


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 110) -> Path:
    """Write a figure as PNG atomically (temp file, fsync, rename).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : path-like
        Destination; its directory must exist.
    dpi : int

    Returns
    -------
    pathlib.Path
    """
    from ..io.results import atomic_write

    data = figure_png(fig, dpi=dpi)
    return atomic_write(path, lambda f: f.write(data))
