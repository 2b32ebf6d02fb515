"""Therapy gallery: one figure per therapy class, each drug's exposure and the tumour's response.

.. code-block:: console

    $ python scripts/gallery.py --out out/gallery            # full horizons
    $ python scripts/gallery.py --out /tmp/g --days 30       # quick look (the test runs this)

For each class the script takes a catalogue drug and a library model that has
the processes its mechanism needs, simulates the label regimen with and
without the drug, and draws (top) the exposure handed to the mechanism and
(bottom) the tumour. Where a drug's mechanism is not registered yet
(``oncoimmune.therapy.mechanisms.MECHANISMS``), the figure shows the kinetics
alone and says so in its title; rerunning the script after the mechanism lands
fills the tumour panel in. ``index.md`` in the output folder lists the figures.

Every model, parameter and regimen comes from the library and the catalogue,
with their sources; the scenario choices made here (which model, the PD-L1
brake strength, the starting tumour) are stated in each figure's caption.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from oncoimmune import simulate
from oncoimmune.biology.escape import pdl1_checkpoint
from oncoimmune.library import get_model
from oncoimmune.model import Model
from oncoimmune.therapy.catalogue import get_drug
from oncoimmune.therapy.chemotherapy import chemotherapy
from oncoimmune.therapy.intervention import treat
from oncoimmune.therapy.regimen import DEFAULT_PDL1_ENGAGEMENT, Regimen, mechanism_available


@dataclass(frozen=True)
class Panel:
    """One figure: a class, its drug(s), a model and the scenario in words."""

    key: str
    title: str
    drugs: tuple[str, ...]
    model: Callable[[], Model]
    days: float
    caption: str
    tumour: Callable[[Any], np.ndarray] | None = None
    chemo: bool = False
    scenario: Callable[[float], tuple[Any, Any, list[str], str]] | None = None
    tumour_label: str | None = None


def _kuznetsov_brake() -> Model:
    return pdl1_checkpoint(get_model("kuznetsov1994"), DEFAULT_PDL1_ENGAGEMENT)


def _mpn_at_diagnosis() -> Model:
    """Andersen 2017 started from the state at which the JAK2V617F burden first reaches 45 %."""
    from oncoimmune.analysis import mpn_ifn

    _, state = mpn_ifn.state_at_burden(0.45)
    return get_model("andersen2017_mpn").with_initial(state)


def _total_tumour_wodarz(ds: Any) -> np.ndarray:
    return ds["x"].values + ds["y"].values


def _axicel_kimmel(days: float) -> tuple[Any, Any, list[str], str]:
    """Axi-cel at the catalogue's label dose in the Kimmel 2021 ZUMA-1 model (mechanisms.lbcl_axicel)."""
    from oncoimmune.therapy.mechanisms import lbcl_axicel

    dose = get_drug("axicabtagene_ciloleucel").regimen().maintenance.dose.amount  # CAR+ T cells per kg
    sc = lbcl_axicel(dose_per_kg=dose, days=days)
    treated = _run(sc.model, days, sc.events)
    untreated = _run(sc.model.with_initial(C=0.0), days, ())
    return treated, untreated, ["C"], "B"


PANELS = (
    Panel(
        "monoclonal_antibody",
        "Monoclonal antibody",
        ("rituximab",),
        lambda: get_model("depillis2005"),
        100.0,
        "rituximab 375 mg/m2 weekly x4 (Rozman 2017 popPK) on de Pillis 2005 (NK + CD8 T cells); "
        "ADCC by NK cells",
    ),
    Panel(
        "checkpoint_inhibitor",
        "Immune checkpoint inhibitor",
        ("pembrolizumab",),
        _kuznetsov_brake,
        730.0,
        f"pembrolizumab 200 mg Q3W (Ahamadi 2017) on Kuznetsov 1994 with a PD-L1 brake "
        f"(pdl1_engagement = {DEFAULT_PDL1_ENGAGEMENT:g}, a scenario default)",
    ),
    Panel(
        "vaccine_oncolytic_virus",
        "Vaccine / oncolytic virus",
        ("talimogene_laherparepvec",),
        lambda: get_model("wodarz2001"),
        200.0,
        "T-VEC label injections (1e6 then 1e8 PFU/mL, 4 mL) into the Wodarz 2001 virus-tumour model; "
        "tumour = uninfected + infected cells",
        tumour=_total_tumour_wodarz,
    ),
    Panel(
        "cytokine",
        "Cytokine",
        ("ropeginterferon_alfa_2b",),
        _mpn_at_diagnosis,
        1095.0,
        "ropeginterferon alfa-2b 100 -> 500 mcg Q2W titration (Zhu 2021 PK) on the Andersen 2017 MPN model, "
        "started at a JAK2V617F burden of 45 % (as in Kiladjian 2008); plotted: JAK2-mutant share of "
        "mature cells (%)",
        tumour=lambda ds: 100.0 * ds["jak2_burden"].values,
        tumour_label="JAK2V617F burden [%]",
    ),
    Panel(
        "car_t",
        "CAR T-cell therapy",
        ("axicabtagene_ciloleucel",),
        lambda: get_model("kimmel2021_cart"),
        100.0,
        "axicabtagene ciloleucel at the label dose 2e6 CAR+ T cells/kg after Cy/Flu lymphodepletion, in the "
        "Kimmel 2021 ZUMA-1 model (cells/uL; oncoimmune.therapy.mechanisms.lbcl_axicel maps the dose to "
        "Kimmel's calibrated start C = 0.36/uL); untreated = no CAR T cells",
        scenario=_axicel_kimmel,
    ),
    Panel(
        "combination",
        "Combination: checkpoint inhibitor + chemotherapy",
        ("pembrolizumab",),
        lambda: _kuznetsov_brake().with_initial(T=3.0e8),
        365.0,
        "pembrolizumab 200 mg Q3W + carboplatin/paclitaxel Q3W x4 (de Pillis 2009 kill) on Kuznetsov 1994 "
        "with a PD-L1 brake, starting from a 3e8-cell tumour",
        chemo=True,
    ),
)


def _run(model: Model, days: float, events: Sequence[Any]) -> Any:
    ds = simulate(model, days, events=events, saveat=np.linspace(0.0, days, 401))
    if ds.attrs["status"] != "ok":
        raise RuntimeError(f"gallery: simulation failed: {ds.attrs['status_reason']}")
    return ds


def make_figure(panel: Panel, out: Path, days: float | None = None) -> Path:
    """Simulate ``panel`` with and without its drugs and save ``<out>/<key>.png``."""
    horizon = float(days if days is not None else panel.days)
    base = panel.model()
    missing = [d for d in panel.drugs if not mechanism_available(get_drug(d).mechanism)]
    regs = [Regimen.parse(d, until=horizon) for d in panel.drugs]
    exposures: list[tuple[str, str]] = []
    if panel.scenario is not None and not missing:
        treated, untreated, names, tum = panel.scenario(horizon)
        exposures = [(regs[0].drug.name, n) for n in names]
        tumour = panel.tumour or (lambda ds: ds[tum].values)
        tumour_units = treated[tum].attrs.get("units", "")
        prefixes: list[str] = []
    else:
        ivs = [r.intervention(horizon, mechanism=not missing) for r in regs]
        if panel.chemo:
            ivs.append(chemotherapy("carboplatin_paclitaxel"))
        tr = treat(base, *ivs)
        treated = _run(tr.model, horizon, tr.events)
        untreated = _run(base, horizon, ())
        tumour = panel.tumour or (lambda ds: ds[base.tumour_state].values)
        tumour_units = untreated[base.tumour_state].attrs.get("units", "")
        exposures = [
            (
                r.drug.name,
                r.drug.kinetics.resolve_exposure(tr.model, r.drug.prefix)
                if not missing
                else r.drug.exposure_name,
            )
            for r in regs
        ]
        prefixes = [r.drug.prefix for r in regs]

    fig = Figure(figsize=(8.0, 6.5), layout="constrained")
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    t = treated["time"].values
    for drug_name, name in exposures:
        v = treated[name].values
        ax1.plot(t, v, label=f"{drug_name}: {name} [{treated[name].attrs.get('units', '')}]")
        if np.any(v > 0) and np.nanmax(v) / max(np.nanmin(v[v > 0]), 1e-300) > 1e3:
            ax1.set_yscale("log")
            ax1.set_ylim(bottom=float(np.nanmax(v)) * 1e-10)  # hide solver round-off near zero
    for prefix in prefixes:
        ro = f"{prefix}_RO"
        if ro in treated:
            ax1b = ax1.twinx()
            ax1b.plot(t, treated[ro].values, color="tab:red", ls="--", label=f"{ro} (C/(C+KD))")
            ax1b.set_ylim(0, 1.05)
            ax1b.set_ylabel("receptor occupancy")
            ax1b.legend(loc="lower right", fontsize=8)
    if panel.chemo:
        ax1.plot(
            t, treated["chemo_M"].values, color="tab:gray", label="chemotherapy drug chemo_M [drug units]"
        )
    ax1.set_ylabel("exposure")
    ax1.legend(loc="upper right", fontsize=8)
    ax1.grid(alpha=0.3)
    y_t, y_u = tumour(treated), tumour(untreated)
    ax2.plot(t, y_u, color="k", lw=1.2, label="untreated")
    ax2.plot(t, y_t, color="tab:blue", lw=1.8, label="treated")
    if panel.tumour_label is None and np.all(np.concatenate([y_t, y_u]) >= 0) and np.nanmax(np.concatenate([y_t, y_u])) > 0:
        ax2.set_yscale("symlog", linthresh=max(1e-12, 1e-6 * float(np.nanmax(np.concatenate([y_t, y_u])))))
    ax2.set_ylabel(panel.tumour_label or f"tumour [{tumour_units}]")
    ax2.set_xlabel("time [days]")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    status = ""
    if missing:
        keys = ", ".join(sorted({get_drug(d).mechanism for d in missing}))
        status = f"\nmechanism not yet available ({keys}): exposure only, tumour response not modelled"
    fig.suptitle(
        f"{panel.title}: {', '.join(panel.drugs)}{' + chemotherapy' if panel.chemo else ''}{status}",
        fontsize=11,
    )
    ax1.set_title("\n".join(_wrap(panel.caption, 110)), fontsize=7.5)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{panel.key}.png"
    fig.savefig(path, dpi=110)
    return path


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


def main(argv: Sequence[str] | None = None) -> list[Path]:
    """Draw every figure; returns their paths."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out", type=Path, default=Path("out/gallery"), help="output folder (default out/gallery)"
    )
    ap.add_argument("--days", type=float, default=None, help="horizon for every figure (default: per class)")
    args = ap.parse_args(argv)
    paths = [make_figure(p, args.out, args.days) for p in PANELS]
    lines = [
        "# oncoimmune therapy gallery",
        "",
        "Made by `scripts/gallery.py`; one figure per therapy class.",
        "",
    ]
    for p, path in zip(PANELS, paths):
        lines += [f"## {p.title}", "", p.caption, "", f"![{p.title}]({path.name})", ""]
    (args.out / "index.md").write_text("\n".join(lines), encoding="utf-8")
    for path in paths:
        print(path)
    return paths


if __name__ == "__main__":
    main(sys.argv[1:])
