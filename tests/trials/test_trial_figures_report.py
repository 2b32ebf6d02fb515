"""Trial figures and the HTML report run, produce files, and keep to their contracts (Agg-safe, atomic, escaped)."""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("lifelines")

from oncoimmune import UnknownNameError
from oncoimmune.analysis import compare_to_trial
from oncoimmune.plots.trials import (
    figure_png,
    plot_km,
    plot_km_overlay,
    plot_spider,
    plot_swimmer,
    plot_waterfall,
    save_figure,
)
from oncoimmune.trials import TrialDataError, assess_recist, endpoint_table
from oncoimmune.trials.report import render_report, write_report

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def trial():
    rng = np.random.default_rng(11)
    times = np.arange(10) * 42.0
    tabs, recs = [], []
    for arm, mu in (("control", 0.002), ("<b>treated</b>", -0.003)):
        n = 40
        base = rng.uniform(20, 100, n)
        sums = base[:, None] * np.exp(rng.normal(mu, 0.004, n)[:, None] * times[None, :])
        death = np.where(rng.random(n) < 0.6, rng.uniform(30, 500, n), np.nan)
        sums[np.isfinite(death)[:, None] & (times[None, :] > death[:, None])] = np.nan
        r = assess_recist(times, sums, detection_limit_mm=3.0)
        recs.append(r)
        tabs.append(
            endpoint_table(
                r, arm=arm, death_days=death, last_contact_days=np.where(np.isnan(death), 420.0, np.nan)
            )
        )
    return pd.concat(tabs, ignore_index=True), recs


def test_figures_render_as_png(tmp_path, trial):
    table, recs = trial
    figs = {
        "waterfall": plot_waterfall(table),
        "waterfall1": plot_waterfall(table, by=None),
        "spider": plot_spider(recs[1], time_unit="months"),
        "swimmer": plot_swimmer(table, max_patients=30),
        "km_pfs": plot_km(table, reference="control"),
        "km_os": plot_km(table, time="os_months", event="os_event", at=[0, 3, 6, 9, 12]),
    }
    for name, fig in figs.items():
        p = save_figure(fig, tmp_path / f"{name}.png", dpi=60)
        assert p.read_bytes()[:8] == PNG, name
    assert sorted(x.name for x in tmp_path.iterdir()) == sorted(
        f"{n}.png" for n in figs
    )  # no temp files left


def test_km_at_risk_table_shows_counts(trial):
    table, _ = trial
    fig = plot_km(table, reference="control", at=[0, 6, 12])
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts.count("40") == 2  # both arms at time 0
    assert any("HR" in t and "log-rank" in t for t in texts)


def test_overlay_and_comparison(trial):
    table, _ = trial
    real = pd.DataFrame(
        {
            "arm": table["arm"].str.replace("<b>treated</b>", "exp", regex=False),
            "time": table["pfs_months"] * 1.1,
            "event": table["pfs_event"],
        }
    )
    comp = compare_to_trial(table, real, reference="control", arm_map={"<b>treated</b>": "exp"})
    fig = plot_km_overlay(comp)
    assert len(figure_png(fig, dpi=40)) > 1000
    assert set(comp.km) == {("virtual", "control"), ("virtual", "exp"), ("real", "control"), ("real", "exp")}
    with pytest.raises(TrialDataError, match="arm_map"):
        compare_to_trial(table, real, reference="control")


def test_report_is_self_contained_and_escaped(tmp_path, trial):
    table, recs = trial
    real = pd.DataFrame(
        {
            "arm": np.repeat(["control", "<b>treated</b>"], 30),
            "time": np.tile(np.linspace(0.5, 15, 30), 2),
            "event": np.tile([1, 1, 0], 20),
        }
    )
    comp = compare_to_trial(table, real, reference="control")
    out = write_report(
        tmp_path / "report.html",
        table,
        recist=recs[0],
        comparisons=[comp],
        spec={"trial": {"seed": 5, "note": "<script>alert(1)</script>"}},
        seed=5,
        reference="control",
        run_seconds=1.25,
        provenance={"model": "kuznetsov1994"},
    )
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "<b>treated</b>" not in text and "&lt;b&gt;treated&lt;/b&gt;" in text
    imgs = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(imgs) >= 6  # waterfall, spider, swimmer, KM PFS, KM OS, overlay
    assert all(base64.b64decode(i)[:8] == PNG for i in imgs)
    assert not re.search(r'(src|href)="https?:', text)  # nothing fetched from the network
    for needle in (
        "Provenance",
        "seed",
        "kuznetsov1994",
        "ORR (95 % CI)",
        "HR (95 % CI)",
        "Overall survival",
        "virtual trial vs real trial",
        "lifelines",
    ):
        assert needle in text, needle
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_render_report_minimal_table():
    t = pd.DataFrame({"arm": ["a", "a", "b"], "best_overall_response": ["PR", "SD", "NE"]})
    html = render_report(t, max_patient_rows=0)
    assert "ORR" in html and "Progression-free" not in html


def test_errors(trial, tmp_path):
    table, recs = trial
    with pytest.raises(UnknownNameError, match="valid choices: days, weeks, months"):
        plot_spider(recs[0], time_unit="fortnights")
    with pytest.raises(TrialDataError, match="no column 'best_percent_change'"):
        plot_waterfall(table.drop(columns="best_percent_change"))
    with pytest.raises(TrialDataError, match="dpi"):
        figure_png(plot_waterfall(table), dpi=0)
    with pytest.raises(TrialDataError, match="spec must be"):
        render_report(table, spec=3.5)
    from oncoimmune.io.results import ResultsFileError

    with pytest.raises(ResultsFileError, match="does not exist"):
        write_report(tmp_path / "nope" / "r.html", table)


def test_waterfall_of_many_patients_shows_evenly_spaced_ranks():
    from matplotlib.collections import PolyCollection

    rng = np.random.default_rng(3)
    n = 50_000
    v = rng.normal(-10, 40, n)
    table = pd.DataFrame(
        {
            "arm": np.where(rng.random(n) < 0.5, "a", "b"),
            "best_percent_change": v,
            "best_overall_response": np.where(v <= -30, "PR", np.where(v >= 20, "PD", "SD")),
        }
    )
    fig = plot_waterfall(table, max_bars=1000)
    for ax in fig.axes[:2]:
        bars = [c for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(bars) == 1 and len(bars[0].get_paths()) <= 1000
        assert "evenly spaced ranks shown" in ax.get_xlabel() and "n = 2" in ax.get_xlabel()
        heights = [p.vertices[1, 1] for p in bars[0].get_paths()]
        assert heights == sorted(heights, reverse=True)  # still the sorted curve
    full = plot_waterfall(table.iloc[:500], max_bars=1000)
    assert "evenly spaced" not in full.axes[0].get_xlabel()
    with pytest.raises(ValueError, match="max_bars"):
        plot_waterfall(table, max_bars=1)
