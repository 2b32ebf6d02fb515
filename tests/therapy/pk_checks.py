"""Measurements of the catalogue PK models, shared by the tests and the report in docs/pk.md.

Run ``.venv/bin/python tests/therapy/pk_checks.py`` to print the table of
measured against published values (the table in ``docs/pk.md`` comes from it).

Every published value here is in :data:`PUBLISHED` with its source, its
tolerance and what kind of number it is:

* ``typical``: a typical-value number (a paper's own number, or the
  regression value of validation.md's independent run of the published
  model), checked at +/-2 %;
* ``label``: a prescribing-information number (a geometric mean or median
  over patients), checked at +/-25 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from oncoimmune import simulate
from oncoimmune.therapy import (
    Dose,
    IVBolus,
    Schedule,
    get_drug,
    pk_dose_events,
    pk_model,
    pk_names,
    two_compartment_half_lives,
)

TYPICAL_TOL = 0.02
LABEL_TOL = 0.25
RTOL, ATOL = 1e-10, 1e-10


@dataclass(frozen=True)
class Published:
    key: str
    quantity: str
    value: float
    unit: str
    kind: str  # "typical" or "label"
    source: str
    xfail: str = ""  # non-empty: known not reproduced, with the reason

    @property
    def tol(self) -> float:
        return TYPICAL_TOL if self.kind == "typical" else LABEL_TOL


_VAL = "validation.md section 2 [RUN] (independent run of the published model; not printed in the paper)"
PUBLISHED: dict[str, Published] = {
    p.key: p
    for p in [
        # pembrolizumab -------------------------------------------------------------
        Published(
            "pembro.t_half",
            "pembrolizumab terminal t1/2",
            25.8,
            "d",
            "typical",
            "Ahamadi 2017 Table 3 parameters; t1/2 from " + _VAL,
        ),
        Published(
            "pembro.cmax1", "pembrolizumab 200 mg Q3W Cmax after dose 1", 57.0, "ug/mL", "typical", _VAL
        ),
        Published(
            "pembro.ctrough1", "pembrolizumab 200 mg Q3W Ctrough after dose 1", 12.7, "ug/mL", "typical", _VAL
        ),
        Published(
            "pembro.ctrough_ss",
            "pembrolizumab 200 mg Q3W Ctrough at steady state",
            29.5,
            "ug/mL",
            "typical",
            _VAL,
        ),
        Published(
            "pembro.acc", "pembrolizumab trough accumulation Ctrough,ss/Ctrough,1", 2.32, "x", "typical", _VAL
        ),
        Published(
            "pembro.label_t_half",
            "pembrolizumab t1/2 vs label",
            22.0,
            "d",
            "label",
            "KEYTRUDA USPI 12.3: geometric mean t1/2 22 d (CV 32 %)",
        ),
        Published(
            "pembro.label_acc",
            "pembrolizumab accumulation (trough ratio) vs label",
            2.1,
            "x",
            "label",
            "KEYTRUDA USPI 12.3: systemic accumulation 2.1-fold, Q3W",
        ),
        Published(
            "pembro.label_cl",
            "pembrolizumab first-dose CL vs label",
            0.252,
            "L/d",
            "label",
            "KEYTRUDA USPI 12.3: CL 252 mL/day (CV 37 %) after the first dose",
        ),
        Published(
            "pembro.label_vss",
            "pembrolizumab Vss = V1 + V2 vs label",
            6.0,
            "L",
            "label",
            "KEYTRUDA USPI 12.3: Vss 6.0 L (CV 20 %)",
            xfail="measured 7.54 L vs published 6.0 L (+26 %): Ahamadi's typical patient (76.8 kg, male) vs the "
            "label's geometric mean over patients from a later time-varying-clearance analysis",
        ),
        # nivolumab -----------------------------------------------------------------
        Published(
            "nivo.t_half0",
            "nivolumab t1/2 with CL at the first dose",
            19.3,
            "d",
            "typical",
            "Bajaj 2017 Table 1 parameters (80-kg male); t1/2 from " + _VAL,
        ),
        Published(
            "nivo.t_half_ss",
            "nivolumab t1/2 with CL at steady state",
            25.6,
            "d",
            "typical",
            "Bajaj 2017 Table 1 parameters (80-kg male); t1/2 from " + _VAL,
        ),
        Published(
            "nivo.acc",
            "nivolumab 240 mg Q2W trough accumulation Ctrough,ss/Ctrough,1",
            3.68,
            "x",
            "typical",
            _VAL,
        ),
        Published(
            "nivo.label_t_half",
            "nivolumab late t1/2 vs label",
            25.0,
            "d",
            "label",
            "OPDIVO USPI 12.3: geometric mean t1/2 25 d",
        ),
        Published(
            "nivo.label_acc",
            "nivolumab accumulation (trough ratio) vs label",
            3.7,
            "x",
            "label",
            "OPDIVO USPI 12.3: systemic accumulation 3.7-fold at 3 mg/kg Q2W",
        ),
        Published(
            "nivo.label_vss",
            "nivolumab Vss = V1 + V2 vs label",
            6.6,
            "L",
            "label",
            "OPDIVO USPI 12.3: geometric mean Vss 6.6 L",
        ),
        Published(
            "nivo.label_clss",
            "nivolumab steady-state CL vs label",
            7.9 * 24 / 1000,
            "L/d",
            "label",
            "OPDIVO USPI 12.3: geometric mean CLss 7.9 mL/h = 0.190 L/day",
        ),
        # trastuzumab ---------------------------------------------------------------
        Published(
            "trast.t_half",
            "trastuzumab terminal t1/2",
            28.5,
            "d",
            "typical",
            "Bruno 2005 abstract: 'estimated terminal half-life ... 28.5 days'",
        ),
        Published("trast.cmax1", "trastuzumab 8 mg/kg loading Cmax (70 kg)", 189.0, "ug/mL", "typical", _VAL),
        Published(
            "trast.ctrough1",
            "trastuzumab Ctrough after the 8 mg/kg loading dose",
            30.0,
            "ug/mL",
            "typical",
            _VAL,
        ),
        Published(
            "trast.ctrough18", "trastuzumab Ctrough at the end of cycle 18", 56.0, "ug/mL", "typical", _VAL
        ),
        Published(
            "trast.label_cmin1",
            "trastuzumab cycle-1 Cmin vs label",
            28.7,
            "ug/mL",
            "label",
            "HERCEPTIN EU SmPC 5.2 Table 14: MBC 8+6 mg/kg q3w cycle-1 Cmin median 28.7 ug/mL",
        ),
        Published(
            "trast.label_cmax1",
            "trastuzumab cycle-1 Cmax vs label",
            182.0,
            "ug/mL",
            "label",
            "HERCEPTIN EU SmPC 5.2 Table 14: MBC 8+6 mg/kg q3w cycle-1 Cmax median 182 ug/mL",
        ),
        Published(
            "trast.label_cmin_ss",
            "trastuzumab steady-state Cmin vs label",
            44.2,
            "ug/mL",
            "label",
            "HERCEPTIN EU SmPC 5.2 Table 15: MBC 8+6 mg/kg q3w Cmin,ss median 44.2 ug/mL",
            xfail="measured 56.2 vs published 44.2 ug/mL (+27 %): the SmPC medians come from a later "
            "popPK model (linear + nonlinear CL, covariates) over 805 MBC patients; Bruno's typical "
            "patient sits near the EBC median (53.8)",
        ),
        Published(
            "trast.label_cmax_ss",
            "trastuzumab steady-state Cmax vs label",
            179.0,
            "ug/mL",
            "label",
            "HERCEPTIN EU SmPC 5.2 Table 15: MBC 8+6 mg/kg q3w Cmax,ss median 179 ug/mL",
        ),
        # rituximab -----------------------------------------------------------------
        Published(
            "ritux.t_half0",
            "rituximab t1/2 with CL at the first dose",
            21.5,
            "d",
            "typical",
            "Rozman 2017 Table 2 parameters; t1/2 from " + _VAL,
        ),
        Published(
            "ritux.t_half_late",
            "rituximab t1/2 with the late (non-specific) CL",
            40.3,
            "d",
            "typical",
            "Br J Clin Pharmacol 2019;85:2002 (doi:10.1111/bcp.13991) Table 3: Rozman 2017 T1/2-beta 40.3 d "
            "(validation.md rounds to 40 d)",
        ),
        Published(
            "ritux.ctrough1", "rituximab 700 mg Q3W Ctrough after dose 1", 24.0, "ug/mL", "typical", _VAL
        ),
        Published(
            "ritux.ctrough7", "rituximab 700 mg Q3W Ctrough before dose 8", 90.0, "ug/mL", "typical", _VAL
        ),
        Published(
            "ritux.label_t_half",
            "rituximab first-dose t1/2 vs label median",
            22.0,
            "d",
            "label",
            "RITUXAN USPI 12.3: median terminal t1/2 22 d (range 6.1-52 d), 298 NHL patients",
        ),
    ]
}


def rel_err(measured: float, published: float) -> float:
    return (measured - published) / published


# measurements ----------------------------------------------------------------------------
def half_lives(drug: str) -> tuple[float, float]:
    """Terminal t1/2 (d) from the built model's clearance observable at t=0 and t=3000 d."""
    m = pk_model(drug)
    n = pk_names(drug)
    ds = simulate(m, 3000.0, saveat=[0.0, 3000.0])
    v = m.parameter_values
    cl0, cl_late = (float(x) for x in ds[n.clearance].values)
    return (
        two_compartment_half_lives(cl0, v[n.V1], v[n.Q], v[n.V2])[1],
        two_compartment_half_lives(cl_late, v[n.V1], v[n.Q], v[n.V2])[1],
    )


def simulated_terminal_half_life(drug: str, window: tuple[float, float] = (150.0, 250.0)) -> float:
    """t1/2 (d) from the log-linear slope of C after one 100 mg bolus (stationary-CL drugs)."""
    m = pk_model(drug)
    s = Schedule(drug, 100.0, every_days=1.0, cycles=1, route=IVBolus())
    t = np.linspace(*window, 11)
    ds = simulate(m, window[1], events=pk_dose_events(m, drug, s), saveat=np.r_[0.0, t], rtol=RTOL, atol=ATOL)
    c = ds[pk_names(drug).concentration].values[1:]
    slope = np.polyfit(t, np.log(c), 1)[0]
    return math.log(2.0) / -slope


@cache
def regimen(
    drug: str,
    key: str,
    n_intervals: int,
    dose_mg: float | None = None,
    weight_kg: float | None = None,
    bsa_m2: float | None = None,
) -> dict[str, object]:
    """Simulate a label schedule (or its route with a flat ``dose_mg``) for ``n_intervals`` intervals.

    Returns the troughs (concentration at the end of each interval, i.e. just
    before the next dose: concentration is continuous under infusion), the
    Cmax of each interval and the dose times.
    """
    d = get_drug(drug)
    s = d.schedule(key)
    if dose_mg is not None:
        s = Schedule(drug, Dose(dose_mg), every_days=s.every_days, cycles=s.cycles, route=s.route)
    m = pk_model(drug)
    tau = s.every_days
    horizon = n_intervals * tau
    times = np.array(s.dose_times(until=horizon))
    adm = s.administrations(weight_kg=weight_kg, bsa_m2=bsa_m2, until=horizon)
    ends = np.array([a.end for a in adm])
    grid = np.unique(
        np.r_[
            np.linspace(0.0, horizon, int(horizon * 4) + 1),
            times,
            ends,
            [k * tau for k in range(1, n_intervals + 1)],
        ]
    )
    evs = pk_dose_events(m, drug, s, weight_kg=weight_kg, bsa_m2=bsa_m2, until=horizon)
    ds = simulate(m, horizon, events=evs, saveat=grid, rtol=RTOL, atol=ATOL)
    assert ds.attrs["status"] == "ok", ds.attrs["status_reason"]
    c = ds[pk_names(drug).concentration].values
    t = ds.time.values
    troughs = [float(c[np.searchsorted(t, k * tau)]) for k in range(1, n_intervals + 1)]
    cmax = [float(c[(t >= (k - 1) * tau) & (t <= k * tau)].max()) for k in range(1, n_intervals + 1)]
    return {"troughs": troughs, "cmax": cmax, "t": t, "c": c, "nfev": ds.attrs["nfev"]}


def measure(key: str) -> float:
    """The measured value for a :data:`PUBLISHED` key."""
    drug_of = {"pembro": "pembrolizumab", "nivo": "nivolumab", "trast": "trastuzumab", "ritux": "rituximab"}
    d = drug_of[key.split(".")[0]]
    q = key.split(".", 1)[1]
    entry = get_drug(d)
    if q in ("t_half", "t_half0", "label_t_half") and d in ("pembrolizumab", "trastuzumab", "rituximab"):
        return half_lives(d)[0]
    if q in ("t_half_ss", "t_half_late") or (q == "label_t_half" and d == "nivolumab"):
        return half_lives(d)[1]
    if q == "t_half0":
        return half_lives(d)[0]
    if d == "pembrolizumab":
        r = regimen(d, "200mg_q3w", 30)
        return {
            "cmax1": r["cmax"][0],
            "ctrough1": r["troughs"][0],
            "ctrough_ss": r["troughs"][-1],
            "acc": r["troughs"][-1] / r["troughs"][0],
            "label_acc": r["troughs"][-1] / r["troughs"][0],
            "label_cl": entry.CL,
            "label_vss": entry.vss,
        }[q]
    if d == "nivolumab":
        if q in ("acc", "label_acc"):
            r = regimen(d, "240mg_q2w", 52)
            return r["troughs"][-1] / r["troughs"][0]
        return {"label_vss": entry.vss, "label_clss": entry.clearance.value(entry.CL, math.inf)}[q]
    if d == "trastuzumab":
        r = regimen(d, "8_6mgkg_q3w", 18, weight_kg=70.0)
        return {
            "cmax1": r["cmax"][0],
            "ctrough1": r["troughs"][0],
            "ctrough18": r["troughs"][17],
            "label_cmin1": r["troughs"][0],
            "label_cmax1": r["cmax"][0],
            "label_cmin_ss": r["troughs"][17],
            "label_cmax_ss": r["cmax"][17],
        }[q]
    if d == "rituximab":
        r = regimen(d, "375mgm2_q3w_x8", 8, dose_mg=700.0)
        return {"ctrough1": r["troughs"][0], "ctrough7": r["troughs"][6]}[q]
    raise KeyError(key)


def accumulation_ratios(drug: str, key: str, n_intervals: int) -> dict[str, float]:
    """Steady-state / first-interval ratios of trough, Cmax and AUC over one interval."""
    r = regimen(drug, key, n_intervals)
    t, c = r["t"], r["c"]
    tau = get_drug(drug).schedule(key).every_days

    def auc(k: int) -> float:
        m = (t >= k * tau) & (t <= (k + 1) * tau)
        return float(np.trapezoid(c[m], t[m]))

    return {
        "trough": r["troughs"][-1] / r["troughs"][0],
        "cmax": r["cmax"][-1] / r["cmax"][0],
        "auc": auc(n_intervals - 1) / auc(0),
    }


def report() -> str:
    """Markdown table: check, measured, published, relative error, tolerance, verdict, source."""
    lines = [
        "| check | measured | published | error | tolerance | verdict | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, p in PUBLISHED.items():
        m = measure(key)
        e = rel_err(m, p.value)
        ok = abs(e) <= p.tol
        verdict = "pass" if ok else ("xfail (known)" if p.xfail else "FAIL")
        lines.append(
            f"| {p.quantity} | {m:.4g} {p.unit} | {p.value:.4g} {p.unit} | {100 * e:+.1f} % | "
            f"±{100 * p.tol:.0f} % | {verdict} | {p.source} |"
        )
    lines += [
        "",
        "Accumulation (steady state / first interval) by definition:",
        "",
        "| regimen | trough ratio | Cmax ratio | AUC ratio | label |",
        "|---|---|---|---|---|",
    ]
    for drug, key, n, label in (
        ("pembrolizumab", "200mg_q3w", 30, "2.1 (KEYTRUDA USPI 12.3)"),
        ("nivolumab", "240mg_q2w", 52, "3.7 (OPDIVO USPI 12.3)"),
    ):
        a = accumulation_ratios(drug, key, n)
        lines.append(f"| {drug} {key} | {a['trough']:.3g} | {a['cmax']:.3g} | {a['auc']:.3g} | {label} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
