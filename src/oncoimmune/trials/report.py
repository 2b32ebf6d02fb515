"""A self-contained HTML report of a virtual trial: tables, figures and provenance in one file.

:func:`render_report` builds the HTML text; :func:`write_report` writes it
atomically. Figures are embedded as base64 PNG and the style sheet is
inline, so the file opens anywhere without network access. All text that
comes from data (arm names, the spec) is HTML-escaped.

Sections: provenance (version, time, seed, run time, RECIST settings, library
versions); response (BOR counts, ORR and DCR with exact CIs; waterfall,
spider and swimmer plots); survival for PFS and OS (medians, rates and
numbers at risk, hazard ratios, log-rank; Kaplan-Meier figures); comparisons
with real trials; the endpoint rules; the spec; the per-patient table.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import os
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from .endpoints import check_endpoint_table, response_summary
from .recist import RecistResult, TrialDataError

__all__ = ["render_report", "write_report"]

_CSS = (
    "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px}"
    "body{margin:2em auto;padding:0 1em;color:#222;line-height:1.4}"
    "h1{font-size:1.6em;border-bottom:2px solid #444}"
    "h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #bbb}"
    "h3{font-size:1.05em}"
    "table{border-collapse:collapse;margin:.6em 0;font-size:.88em}"
    "th,td{border:1px solid #ccc;padding:.25em .55em;text-align:right}"
    "th{background:#f2f2f2}"
    "td:first-child,th:first-child{text-align:left}"
    "img{max-width:100%;height:auto;border:1px solid #eee;margin:.5em 0}"
    "pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.85em}"
    ".note{color:#555;font-size:.9em}"
    "details{margin:.8em 0}"
)


# formatting ------------------------------------------------------------------------------------------


def _num(x: Any, digits: int = 2) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if np.isnan(v):
        return "–"
    if np.isinf(v):
        return "NR"
    return f"{v:.{digits}f}"


def _pct_ci(p: float, lo: float, hi: float) -> str:
    return f"{100 * p:.1f} % ({100 * lo:.1f}–{100 * hi:.1f})"


def _table(df: Any, *, index: bool = True) -> str:
    if index:
        names = [n for n in df.index.names if n is not None]
        df = df.reset_index() if names else df
        index = not names
    return df.to_html(index=index, escape=True, border=0, na_rep="–")


def _img(draw: Any, alt: str, dpi: int, png: bytes | None = None) -> str:
    """The figure ``draw()`` makes as an inline PNG, or ``png`` (already drawn) where given."""
    from ..plots.trials import figure_png

    data = base64.b64encode(figure_png(draw(), dpi=dpi) if png is None else png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _spec_text(spec: Any) -> str | None:
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, Mapping):
        return json.dumps(spec, indent=2, sort_keys=False, default=str)
    raise TrialDataError(f"spec must be text (e.g. spec.to_toml()) or a mapping; got {type(spec).__name__}")


def _versions() -> dict[str, str]:
    out = {"oncoimmune": __version__, "python": platform.python_version(), "numpy": np.__version__}
    import pandas

    out["pandas"] = pandas.__version__
    try:
        import lifelines

        out["lifelines"] = lifelines.__version__
    except ImportError:  # pragma: no cover
        out["lifelines"] = "not installed"
    import matplotlib

    out["matplotlib"] = matplotlib.__version__
    return out


def _kv(rows: Sequence[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


# sections ---------------------------------------------------------------------------------------------


def _response_section(endpoints: Any, recist: RecistResult | None, dpi: int, images: Mapping[str, bytes]) -> list[str]:
    import pandas as pd

    from ..plots.trials import plot_spider, plot_swimmer, plot_waterfall

    out = ["<h2>Response (RECIST 1.1)</h2>"]
    rs = response_summary(endpoints)
    shown = pd.DataFrame(
        {
            "n": rs["n"],
            **{c: rs[c] for c in ("CR", "PR", "SD", "PD", "NE")},
            "ORR (95 % CI)": [_pct_ci(r.orr, r.orr_lo, r.orr_hi) for r in rs.itertuples()],
            "DCR (95 % CI)": [_pct_ci(r.dcr, r.dcr_lo, r.dcr_hi) for r in rs.itertuples()],
        },
        index=rs.index,
    )
    out.append(_table(shown))
    out.append(
        '<p class="note">ORR: best overall response CR or PR; DCR: CR, PR or SD; denominators are all '
        "patients of the arm; exact (Clopper–Pearson) intervals.</p>"
    )
    if "best_percent_change" in endpoints.columns:
        out.append(_img(lambda: plot_waterfall(endpoints), "waterfall plot", dpi, images.get("waterfall.png")))
    if recist is not None:
        out.append(_img(lambda: plot_spider(recist), "spider plot", dpi, images.get("spider.png")))
    needed = ["os_months", "os_event", "pfs_months", "pfs_reason", "ttr_months", "best_overall_response"]
    if all(c in endpoints.columns for c in needed):
        out.append(_img(lambda: plot_swimmer(endpoints), "swimmer plot", dpi, images.get("swimmer.png")))
    return out


def _survival_section(
    endpoints: Any,
    name: str,
    time: str,
    event: str,
    reference: str | None,
    at: Sequence[float] | None,
    dpi: int,
    images: Mapping[str, bytes],
) -> list[str]:
    import pandas as pd

    from ..analysis.survival import MIN_EVENTS_PER_COMPARISON, hazard_ratios, logrank, survival_summary
    from ..plots.trials import _nice_ticks

    out = [f"<h2>{html.escape(name)}</h2>"]
    ticks = list(at) if at is not None else list(_nice_ticks(float(endpoints[time].max())))
    order = None if reference is None else [reference]
    summ = survival_summary(endpoints, time=time, event=event, at=ticks, order=order)
    shown = pd.DataFrame(
        {
            "n": summ["n"],
            "events": summ["events"],
            "median, months (95 % CI)": [
                f"{_num(r.median, 1)} ({_num(r.median_lo, 1)}–{_num(r.median_hi, 1)})"
                for r in summ.itertuples()
            ],
        },
        index=summ.index,
    )
    for t in ticks:
        if t > 0:
            shown[f"S({t:g}) [at risk]"] = [
                f"{100 * v:.1f} % [{int(r)}]" for v, r in zip(summ[f"surv_{t:g}"], summ[f"at_risk_{t:g}"])
            ]
    out.append(_table(shown))
    arms = list(summ.index)
    if len(arms) >= 2:
        ref = reference if reference is not None else arms[0]
        lr = logrank(endpoints, time=time, event=event)
        try:
            hr = hazard_ratios(
                endpoints, time=time, event=event, reference=ref, min_events=MIN_EVENTS_PER_COMPARISON
            )
        except TrialDataError as exc:
            out.append(f'<p class="note">Hazard ratio not estimable: {html.escape(str(exc))}</p>')
        else:
            hr_shown = pd.DataFrame(
                {
                    "vs": hr["reference"],
                    "HR (95 % CI)": [f"{r.hr:.2f} ({r.hr_lo:.2f}–{r.hr_hi:.2f})" for r in hr.itertuples()],
                    "Wald p": [f"{r.p:.3g}" for r in hr.itertuples()],
                },
                index=hr.index,
            )
            out.append(_table(hr_shown))
        out.append(
            f'<p class="note">Log-rank test (unstratified): chi² = {lr.statistic:.2f} on {lr.df} df, '
            f"p = {lr.p_value:.3g}. Cox model with arm as the only covariate (Efron ties).</p>"
        )
    out.append(
        _img(
            lambda: km_figure(endpoints, name, time, event, reference if len(arms) >= 2 else None, ticks),
            f"{name} Kaplan-Meier plot",
            dpi,
            images.get(km_figure_name(time)),
        )
    )
    return out


def km_figure_name(time: str) -> str:
    """File name of the Kaplan-Meier figure of the endpoint column ``time`` (``km_pfs.png`` for ``pfs_months``)."""
    return f"km_{time.removesuffix('_months')}.png"


def km_figure(
    endpoints: Any, name: str, time: str, event: str, reference: str | None, ticks: Sequence[float] | None
) -> Any:
    """The Kaplan-Meier figure of the report's survival section (also written to ``figures/``)."""
    from ..plots.trials import plot_km

    return plot_km(
        endpoints, time=time, event=event, reference=reference, at=ticks, ylabel=f"{name} probability",
        title=f"{name}: Kaplan–Meier",
    )


def _comparison_section(comp: Any, dpi: int, images: Mapping[str, bytes]) -> list[str]:
    import pandas as pd

    out = [f"<h2>{html.escape(comp.endpoint)}: virtual trial vs real trial</h2>"]
    hr = comp.hazard_ratios
    out.append(
        _table(
            pd.DataFrame(
                {
                    "vs": hr["reference"],
                    "HR (95 % CI)": [f"{r.hr:.2f} ({r.hr_lo:.2f}–{r.hr_hi:.2f})" for r in hr.itertuples()],
                    "n": hr["n"],
                    "events": hr["events"],
                },
                index=hr.index,
            )
        )
    )
    med = comp.medians
    out.append(
        _table(
            pd.DataFrame(
                {
                    "n": med["n"],
                    "events": med["events"],
                    "median (95 % CI)": [
                        f"{_num(r.median, 1)} ({_num(r.median_lo, 1)}–{_num(r.median_hi, 1)})"
                        for r in med.itertuples()
                    ],
                },
                index=med.index,
            )
        )
    )
    vr = comp.virtual_vs_real
    out.append("<h3>Each virtual arm against the real arm of the same name</h3>")
    out.append(
        _table(
            pd.DataFrame(
                {
                    "HR virtual/real (95 % CI)": [
                        f"{_num(r.hr)} ({_num(r.hr_lo)}–{_num(r.hr_hi)})" for r in vr.itertuples()
                    ],
                    "log-rank p": [f"{r.logrank_p:.3g}" for r in vr.itertuples()],
                },
                index=vr.index,
            )
        )
    )
    from ..plots.trials import plot_km_overlay

    out.append(
        _img(lambda: plot_km_overlay(comp), f"{comp.endpoint} Kaplan-Meier overlay", dpi,
             images.get(f"overlay_{comp.endpoint.lower()}.png"))
    )
    return out


_RULES = """<h2>Definitions</h2>
<ul>
<li><b>RECIST 1.1</b> (Eisenhauer et al. 2009, Eur J Cancer 45:228): CR = disappearance of target lesions
(nodes &lt; 10 mm short axis); PR = sum of diameters &ge; 30 % below baseline; PD = &ge; 20 % and &ge; 5 mm
above the nadir, a new lesion, or reappearance after CR; SD otherwise; NE = not assessed.</li>
<li><b>Best overall response</b>: CR/PR confirmed by a later scan at least the confirmation interval apart
(when confirmation is on); SD needs the minimum duration from the start.</li>
<li><b>PFS</b>: progression or death; censored at the last adequate assessment (no event, or an event after
two or more missed scans), at randomisation without a baseline scan (FDA 2018 guidance, Appendix 3).</li>
<li><b>OS</b>: death from any cause; censored at last contact. <b>DoR</b>: from first CR/PR to progression or
death, responders only.</li>
</ul>"""


# public -----------------------------------------------------------------------------------------------


def render_report(
    endpoints: Any,
    *,
    recist: RecistResult | None = None,
    comparisons: Sequence[Any] = (),
    spec: Any = None,
    seed: Any = None,
    title: str = "Virtual trial report",
    reference: str | None = None,
    at: Sequence[float] | None = None,
    run_seconds: float | None = None,
    created: _dt.datetime | None = None,
    provenance: Mapping[str, Any] | None = None,
    max_patient_rows: int = 1000,
    dpi: int = 100,
    images: Mapping[str, bytes] | None = None,
) -> str:
    """Build the HTML report of a virtual trial.

    Parameters
    ----------
    endpoints : pandas.DataFrame
        From :func:`~oncoimmune.trials.endpoint_table` (several arms stacked).
    recist : RecistResult, optional
        For the spider plot and the RECIST settings in the provenance.
    comparisons : sequence of TrialComparison
        From :func:`oncoimmune.analysis.compare_to_trial`.
    spec : str or mapping, optional
        What was run, shown verbatim: the spec file's text (``spec.to_toml()``)
        or a mapping (shown as JSON).
    seed : int, optional
        The trial seed.
    title : str
    reference : str, optional
        Control arm for hazard ratios (default: the first arm).
    at : sequence of float, optional
        Times (months) for survival rates and numbers at risk.
    run_seconds : float, optional
        Wall time of the simulation.
    created : datetime, optional
        Time stamp (default: now, UTC).
    provenance : mapping, optional
        Extra provenance rows (engine, model id, ...).
    max_patient_rows : int
        Rows of the per-patient table included (0 for none).
    dpi : int
        Figure resolution.
    images : mapping of str to bytes, optional
        Figures already drawn, as PNG bytes by the names :func:`oncoimmune.trials.write.figures`
        gives them (``waterfall.png``, ``km_pfs.png``, ``overlay_os.png``, ...): embedded as they
        are instead of being drawn again (a large trial's figures take seconds each).

    Returns
    -------
    str
        The HTML document.
    """
    check_endpoint_table(endpoints, ("arm", "best_overall_response"))
    if recist is not None and not isinstance(recist, RecistResult):
        raise TrialDataError(f"recist must be a RecistResult or None; got {type(recist).__name__}")
    if not (isinstance(max_patient_rows, int) and max_patient_rows >= 0):
        raise TrialDataError(f"max_patient_rows must be a whole number >= 0; got {max_patient_rows!r}")
    stamp = (created or _dt.datetime.now(_dt.UTC)).isoformat(timespec="seconds")
    spec_text = _spec_text(spec)

    prov: list[tuple[str, Any]] = [("created", stamp), ("seed", "not given" if seed is None else seed)]
    if run_seconds is not None:
        prov.append(("run time", f"{float(run_seconds):.1f} s"))
    arms = endpoints["arm"].astype(str)
    prov.append(
        (
            "patients",
            f"{len(endpoints)} ("
            + ", ".join(f"{a}: {n}" for a, n in arms.value_counts(sort=False).items())
            + ")",
        )
    )
    if recist is not None:
        prov.append(
            (
                "RECIST settings",
                (
                    f"confirm={recist.confirm}, confirm_days={recist.confirm_days:g}, "
                    f"sd_min_days={recist.sd_min_days:g}, detection_limit_mm={recist.detection_limit_mm:g}"
                ),
            )
        )
    for k, v in (provenance or {}).items():
        prov.append((str(k), v))
    prov.extend((f"version: {k}", v) for k, v in _versions().items())

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<h2>Provenance</h2>",
        _kv(prov),
    ]
    images = {} if images is None else images
    parts += _response_section(endpoints, recist, dpi, images)
    for name, time, event in (
        ("Progression-free survival", "pfs_months", "pfs_event"),
        ("Overall survival", "os_months", "os_event"),
    ):
        if time in endpoints.columns and event in endpoints.columns:
            parts += _survival_section(endpoints, name, time, event, reference, at, dpi, images)
    for comp in comparisons:
        parts += _comparison_section(comp, dpi, images)
    parts.append(_RULES)
    if spec_text is not None:
        parts += ["<h2>Spec</h2>", f"<pre>{html.escape(spec_text)}</pre>"]
    if max_patient_rows:
        shown = endpoints.head(max_patient_rows)
        more = f" (first {max_patient_rows} of {len(endpoints)})" if len(endpoints) > max_patient_rows else ""
        parts += [
            f"<details><summary>Per-patient endpoints{more}</summary>",
            _table(shown.round(3), index=False),
            "</details>",
        ]
    parts.append(f'<p class="note">Generated by oncoimmune {html.escape(__version__)}.</p></body></html>')
    return "\n".join(parts)


def write_report(path: str | os.PathLike[str], endpoints: Any, **kwargs: Any) -> Path:
    """Render :func:`render_report` and write it atomically (temp file, fsync, rename).

    Parameters
    ----------
    path : path-like
        Destination ``.html`` file; its directory must exist.
    endpoints : pandas.DataFrame
    **kwargs
        Passed to :func:`render_report`.

    Returns
    -------
    pathlib.Path
    """
    from ..io.results import ResultsFileError, atomic_write

    dest = Path(path)
    if not dest.parent.is_dir():
        raise ResultsFileError(
            f"directory of report path {os.fspath(dest)!r} does not exist; create it first"
        )
    text = render_report(endpoints, **kwargs)
    return atomic_write(dest, lambda f: f.write(text.encode("utf-8")))
