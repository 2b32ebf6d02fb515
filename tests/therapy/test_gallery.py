"""scripts/gallery.py runs on a short horizon and draws one figure per therapy class."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "gallery.py"


def load():
    spec = importlib.util.spec_from_file_location("oncoimmune_gallery", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


def test_gallery_draws_one_figure_per_class(tmp_path):
    gallery = load()
    paths = gallery.main(["--out", str(tmp_path), "--days", "20"])
    names = {p.stem for p in paths}
    assert {
        "monoclonal_antibody",
        "checkpoint_inhibitor",
        "vaccine_oncolytic_virus",
        "cytokine",
        "car_t",
    } <= names
    for p in paths:
        assert p.exists() and p.stat().st_size > 10_000, p
    index = (tmp_path / "index.md").read_text()
    assert all(f"({p.name})" in index for p in paths)
