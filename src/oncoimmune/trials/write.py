"""Stage 6: tables, figures, report and summary of a finished trial, written into the run's store."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["figures", "jsonable", "parquet_bytes", "scans_long", "write_outputs"]


#: Times (months) of the survival rates, numbers at risk and x ticks in the report and its figures.
REPORT_TIMES = (0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0)


def figures(
    table: Any, recist: Any, comparisons: Sequence[Any], reference: str | None, at: Sequence[float] | None = None
) -> dict[str, Any]:
    """The figures of a trial by file name: those of its report (:func:`~oncoimmune.trials.report.render_report`
    embeds them by these names), so each is drawn once."""
    from ..plots.trials import plot_km_overlay, plot_spider, plot_swimmer, plot_waterfall
    from .report import km_figure, km_figure_name

    two = reference if table["arm"].nunique() >= 2 else None
    figs = {
        "waterfall.png": plot_waterfall(table),
        "spider.png": plot_spider(recist),
        "swimmer.png": plot_swimmer(table),
    }
    for name, time, event in (("Progression-free survival", "pfs_months", "pfs_event"),
                              ("Overall survival", "os_months", "os_event")):
        figs[km_figure_name(time)] = km_figure(table, name, time, event, two, at)
    for comp in comparisons:
        figs[f"overlay_{comp.endpoint.lower()}.png"] = plot_km_overlay(comp)
    return figs


def parquet_bytes(df: Any) -> bytes:
    import io

    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def scans_long(frame: Any, scan_days: np.ndarray) -> Any:
    """One row per patient and scheduled scan (``patient_id``, ``arm``, ``day``, ``sld_mm``, ``new_lesion``).

    Built from whole arrays (no per-scan Python objects), so a million patients' scans take
    the memory of their numbers.
    """
    import pandas as pd

    from .assess import scan_matrix

    sums = scan_matrix(frame["sld_mm"], float)
    flags = scan_matrix(frame["new_lesion"], bool)
    n, m = sums.shape if sums.ndim == 2 else (len(frame), 0)
    days = np.asarray(scan_days, dtype=float)[:m]
    return pd.DataFrame(
        {
            "patient_id": np.repeat(frame["patient_id"].to_numpy(dtype=np.int64), m),
            # categorical: written dictionary-encoded (one copy of each arm name, not one per scan)
            "arm": pd.Categorical(np.repeat(frame["arm"].astype(str).to_numpy(dtype=object), m)),
            "day": np.tile(days, n),
            "sld_mm": sums.reshape(-1),
            "new_lesion": flags.reshape(-1),
        }
    )


def jsonable(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x



#: Former private name (used by the demo).
_jsonable = jsonable


def write_outputs(
    store: Any,
    frame: Any,
    table: Any,
    recist: Any,
    summary: Mapping[str, Any],
    comparisons: Sequence[Any],
    *,
    scan_days: np.ndarray,
    spec_toml: str,
    seed: int,
    title: str,
    provenance: Mapping[str, Any] | None,
    figures_on: bool,
    report_on: bool,
) -> tuple[Any, list[str]]:
    """Write ``patients``/``endpoints``/``scans`` Parquet, figures, ``report.html`` and ``summary.json``.

    Returns
    -------
    patients : pandas.DataFrame
        The patient table written (shard records without the per-scan lists).
    files : list of str
        Outputs written, relative to the run directory.
    """
    reference_arm = summary.get("reference_arm")
    patients = frame.drop(columns=["sld_mm", "new_lesion"])
    files = []
    for name, df in (("patients.parquet", patients), ("endpoints.parquet", table)):
        store.write_output(name, parquet_bytes(df))
        files.append(name)
    store.write_output("scans.parquet", parquet_bytes(scans_long(frame, scan_days)))  # built, written, freed
    files.append("scans.parquet")
    if figures_on or report_on:
        import matplotlib

        matplotlib.use("Agg", force=False)
    images: dict[str, bytes] = {}
    if figures_on:  # drawn once: written here and embedded in the report
        from ..plots.trials import figure_png

        for name, fig in figures(table, recist, comparisons, reference_arm, REPORT_TIMES).items():
            images[name] = figure_png(fig, dpi=110)
            store.write_output(f"figures/{name}", images[name])
            files.append(f"figures/{name}")
    if report_on:
        from .report import render_report

        html_text = render_report(
            table,
            recist=recist,
            comparisons=comparisons,
            spec=spec_toml,
            seed=seed,
            title=title,
            reference=reference_arm,
            at=REPORT_TIMES,
            run_seconds=summary.get("run_seconds"),
            provenance=provenance,
            dpi=110,
            images=images,
        )
        store.write_output("report.html", html_text.encode("utf-8"))
        files.append("report.html")
    store.write_output("summary.json", (json.dumps(jsonable(summary), indent=2) + "\n").encode("utf-8"))
    files.append("summary.json")
    store.finish(jsonable({k: summary[k] for k in ("arms", "failed", "seed", "n_patients") if k in summary}))
    return patients, files
