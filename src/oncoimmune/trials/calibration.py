r"""Calibration of the clinical NSCLC model, and the KEYNOTE-024 reference data.

The population hyperparameters of :mod:`oncoimmune.library.nsclc_tgi_immune`
(medians and between-patient coefficients of variation) are fitted once, by
the procedure below, and stored in that module (:data:`CALIBRATED
<oncoimmune.library.nsclc_tgi_immune.CALIBRATED>`) with Source notes
"calibrated to ... by trials/calibration.py". They do not depend on any trial
seed: the fit uses its own fixed cohort (:data:`CALIBRATION_SEED`), and a
virtual trial run with any ``--seed`` then differs from another only by
sampling error.

Step A: tumour growth rate from lesion kinetics (Laleh et al. 2022)
--------------------------------------------------------------------
Data: 1,461 lesion trajectories of five atezolizumab/docetaxel trials
(``shared/data/tumour-kinetics/laleh-2022/lesions.csv``, MIT via TumorGrowth.jl;
cite Laleh et al. 2022). Fitted: the NSCLC docetaxel arms only
(:data:`DOCETAXEL_ARMS`: POPLAR ``Study_2_Arm_1`` and OAK ``Study_4_Arm_1``;
that arm 1 of these studies is docetaxel was inferred from public analysis
code and the follow-up pattern, not read in the paper: verify). Each lesion
with at least :data:`MIN_READINGS` measurements is fitted (least squares on
log volume, volume = pi D^3 / 6, D floored at 2 mm) with the two-population
model ``V(t) = V0 [(1 - f) exp(-k t) + f exp(g t)]`` (a sensitive part killed
by the drug and a resistant part regrowing; Stein et al. 2008). Lesions whose
regrowth is identified (the resistant part is at least half the final fitted
volume and the standard error of ``log g`` is below 1) enter a
DerSimonian-Laird random-effects pooling of ``log g``: the pooled mean is the
median growth rate and the between-lesion standard deviation ``tau`` gives
the coefficient of variation ``sqrt(exp(tau^2) - 1)``. Held out: the
atezolizumab arms (compared, not fitted).

Step B: immune, chemotherapy and new-lesion hyperparameters (KEYNOTE-024)
--------------------------------------------------------------------------
Data: the reconstructed patient-level PFS of both KEYNOTE-024 arms
(``shared/data/trials/keynote-024/keynote024_pfs.csv``; R package kmdata,
Robert Redd, MIT) and the published objective response rates (44.8 %, 27.8 %;
Reck et al. 2016). A fixed calibration cohort of :data:`CALIBRATION_N`
patients (seed :data:`CALIBRATION_SEED`) is screened with the spec's criteria
and every patient is simulated in both arms with exactly the model, link,
regimens, death and dropout rules of the trial runner (the same
:func:`~oncoimmune.trials.runner.derive_outcomes` and RECIST settings), but
integrated as one batch per arm (:func:`simulate_batch`, the compiled model's
vectorised right-hand side, RK45, rtol 1e-6). The objective is

.. math::

    \sum_{\text{arm}} \sum_j \big(S_{virt}(t_j) - S_{real}(t_j)\big)^2
    + w \sum_{\text{arm}} (ORR_{virt} - ORR_{real})^2

with ``t_j`` two weeks after each scan up to 15 months and ``w`` =
:data:`ORR_WEIGHT`, minimised over the log hyperparameters :data:`STEP_B`
by differential evolution (fixed seed) and a Nelder-Mead polish.
Fitted: PFS Kaplan-Meier curves of both arms and the two ORRs.
**Held out** (compared only): overall survival (both arms, including
crossover), the PFS and OS hazard ratios, the medians' confidence intervals,
and the best-overall-response distribution.

Run ``python -m oncoimmune.trials.calibration --step A`` (seconds) or
``--step B`` (tens of minutes on 2 cores).

References
----------
.. [1] Ghaffari Laleh N et al. (2022). PLoS Comput Biol 18:e1009822. doi:10.1371/journal.pcbi.1009822
.. [2] Reck M et al. (2016). N Engl J Med 375:1823-1833. doi:10.1056/NEJMoa1606774
.. [3] Redd R. kmdata: reconstructed individual patient data from published Kaplan-Meier curves (MIT).
.. [4] Stein WD et al. (2008). Oncologist 13:1046-1054. doi:10.1634/theoncologist.2008-0075
.. [5] DerSimonian R, Laird N (1986). Meta-analysis in clinical trials. Control Clin Trials 7:177-188.
   doi:10.1016/0197-2456(86)90046-2
.. [6] Storn R, Price K (1997). Differential evolution. J Global Optim 11:341-359.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import OncoimmuneError
from .recist import DAYS_PER_MONTH, TrialDataError

__all__ = [
    "ATEZOLIZUMAB_ARMS",
    "CALIBRATION_N",
    "CALIBRATION_SEED",
    "DOCETAXEL_ARMS",
    "KEYNOTE024_PUBLISHED",
    "GrowthFit",
    "ReferenceTrial",
    "fit_growth_rates",
    "fit_lesion",
    "keynote024_reference",
    "read_lesions",
    "reference_for",
    "shared_data_dir",
]

#: Trial seed of the calibration cohort (never used for reporting).
CALIBRATION_SEED = 240_024
#: Patients in the calibration cohort (each simulated in both arms).
CALIBRATION_N = 600
#: Weight of the response rates in the objective of step B.
ORR_WEIGHT = 2.0
#: Docetaxel arms of the NSCLC trials in Laleh 2022 (POPLAR, OAK), inferred (verify).
DOCETAXEL_ARMS = ("Study_2_Arm_1", "Study_4_Arm_1")
#: Atezolizumab arms of the NSCLC trials in Laleh 2022 (POPLAR, OAK), inferred (verify).
ATEZOLIZUMAB_ARMS = ("Study_2_Arm_2", "Study_4_Arm_2")
#: Lesions need at least this many measurements to be fitted (four parameters).
MIN_READINGS = 5

#: Published KEYNOTE-024 figures (Reck 2016 abstract and Table 2; CIs checked against the exact
#: Clopper-Pearson intervals of 69/154 and 42/151).
KEYNOTE024_PUBLISHED: Mapping[str, Any] = {
    "orr": {"pembrolizumab": (0.448, 0.368, 0.530), "chemo": (0.278, 0.208, 0.357)},
    "pfs_hr": (0.50, 0.37, 0.68),
    "os_hr": (0.60, 0.41, 0.89),
    "pfs_median": {"pembrolizumab": 10.3, "chemo": 6.0},
    "n": {"pembrolizumab": 154, "chemo": 151},
    "source": "Reck M et al. (2016) N Engl J Med 375:1823-1833, doi:10.1056/NEJMoa1606774",
}


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------
def shared_data_dir() -> Path | None:
    """The shared data directory (:func:`oncoimmune._data.shared_data_dir`: ``$ONCOIMMUNE_SHARED``/data,
    ``$ONCOIMMUNE_SHARED_DATA``, else ``<repo>/../shared/data``), or None if absent."""
    from .._data import shared_data_dir as find

    return find()


def reference_missing(spec: Any) -> str | None:
    """Why :func:`reference_for` found no real trial for a spec that names one (None if it did, or none applies)."""
    name = str(getattr(spec, "name", "")).lower().replace(" ", "").replace("_", "-")
    if not ("keynote-024" in name or "keynote024" in name):
        return None
    base = shared_data_dir()
    if base is None:
        from .._data import SHARED_ENV, shared_dir

        return (
            f"KEYNOTE-024 overlay left out: no shared data folder at {os.fspath(shared_dir())!r}; set {SHARED_ENV} "
            "to the folder holding data/trials/keynote-024"
        )
    d = base / "trials" / "keynote-024"
    if not ((d / "keynote024_pfs.csv").is_file() and (d / "keynote024_os.csv").is_file()):
        return f"KEYNOTE-024 overlay left out: {os.fspath(d)!r} lacks keynote024_pfs.csv or keynote024_os.csv"
    return None


@dataclass(frozen=True)
class ReferenceTrial:
    """A real trial's patient-level survival data and published figures, to compare a virtual trial with.

    Parameters
    ----------
    name : str
    pfs_csv, os_csv : Path
        Patient-level data (``time`` months, ``event``, ``arm``).
    arm_map : mapping
        Virtual arm name -> real arm name.
    reference : str
        The control arm, as named in the real data.
    published : mapping
        Published figures (see :data:`KEYNOTE024_PUBLISHED`).
    citation : str
    """

    name: str
    pfs_csv: Path
    os_csv: Path
    arm_map: Mapping[str, str]
    reference: str
    published: Mapping[str, Any]
    citation: str

    def real(self, endpoint: str) -> Any:
        from ..analysis.survival import read_patient_level

        return read_patient_level(self.pfs_csv if endpoint == "pfs" else self.os_csv)

    def compare(self, table: Any) -> list[Any]:
        """PFS and OS :class:`~oncoimmune.analysis.survival.TrialComparison` of a virtual endpoint table."""
        from ..analysis.survival import compare_to_trial

        out = []
        for ep in ("pfs", "os"):
            out.append(
                compare_to_trial(
                    table,
                    self.real(ep),
                    reference=self.reference,
                    endpoint=ep,
                    arm_map=dict(self.arm_map),
                    at=(6.0, 12.0),
                )
            )
        return out

    def summary(self, table: Any, comparisons: Sequence[Any]) -> dict[str, Any]:
        """Virtual against published figures, with which fall inside the published 95 % CIs."""
        from .endpoints import response_summary

        rs = response_summary(table)
        inv = {v: k for k, v in self.arm_map.items()}
        out: dict[str, Any] = {"name": self.name, "citation": self.citation, "orr": {}, "hazard_ratios": {}}
        for real_arm, (p, lo, hi) in self.published.get("orr", {}).items():
            arm = inv.get(real_arm, real_arm)
            if arm in rs.index:
                v = float(rs.loc[arm, "orr"])
                out["orr"][arm] = {
                    "virtual": v,
                    "virtual_ci": [float(rs.loc[arm, "orr_lo"]), float(rs.loc[arm, "orr_hi"])],
                    "published": p,
                    "published_ci": [lo, hi],
                    "inside_published_ci": lo <= v <= hi,
                }
        for comp in comparisons:
            ep = comp.endpoint.lower()
            hr = comp.hazard_ratios
            pub = self.published.get(f"{ep}_hr")
            rows = {}
            for (source, arm), r in hr.iterrows():
                rows[source] = {"arm": arm, "hr": float(r.hr), "ci": [float(r.hr_lo), float(r.hr_hi)]}
            if pub is not None and "virtual" in rows:
                rows["published"] = {"hr": pub[0], "ci": [pub[1], pub[2]]}
                rows["inside_published_ci"] = bool(pub[1] <= rows["virtual"]["hr"] <= pub[2])
            med = comp.medians
            rows["medians"] = {
                f"{source}:{arm}": (float(r["median"]) if np.isfinite(r["median"]) else None)
                for (source, arm), r in med.iterrows()
            }
            rows["virtual_vs_real_logrank_p"] = {
                a: float(r.logrank_p) for a, r in comp.virtual_vs_real.iterrows()
            }
            out["hazard_ratios"][ep] = rows
        return out

    def describe(self) -> str:
        p = self.published
        orr = p.get("orr", {})
        parts = [f"{a}: ORR {100 * v[0]:.1f} % ({100 * v[1]:.1f}-{100 * v[2]:.1f})" for a, v in orr.items()]
        if "pfs_hr" in p:
            parts.append("PFS HR {:.2f} ({:.2f}-{:.2f})".format(*p["pfs_hr"]))
        if "os_hr" in p:
            parts.append("OS HR {:.2f} ({:.2f}-{:.2f})".format(*p["os_hr"]))
        return (
            f"{self.name}: {self.citation}; published {'; '.join(parts)}; patient-level KM data: "
            f"{self.pfs_csv.name}, {self.os_csv.name} (kmdata, Robert Redd, MIT)"
        )


def keynote024_reference(data_dir: str | os.PathLike[str] | None = None) -> ReferenceTrial | None:
    """The KEYNOTE-024 reference (reconstructed PFS/OS and published figures), or None without the data."""
    base = Path(data_dir) if data_dir is not None else shared_data_dir()
    if base is None:
        return None
    d = base / "trials" / "keynote-024"
    pfs, os_ = d / "keynote024_pfs.csv", d / "keynote024_os.csv"
    if not (pfs.is_file() and os_.is_file()):
        return None
    return ReferenceTrial(
        name="KEYNOTE-024",
        pfs_csv=pfs,
        os_csv=os_,
        arm_map={"pembrolizumab": "pembrolizumab", "chemotherapy": "chemo"},
        reference="chemo",
        published=KEYNOTE024_PUBLISHED,
        citation=KEYNOTE024_PUBLISHED["source"],
    )


def reference_for(spec: Any, data_dir: str | os.PathLike[str] | None = None) -> ReferenceTrial | None:
    """The real trial a spec reproduces, recognised by its name (``KEYNOTE-024``), if its data are present."""
    name = str(getattr(spec, "name", "")).lower().replace(" ", "").replace("_", "-")
    if "keynote-024" in name or "keynote024" in name:
        return keynote024_reference(data_dir)
    return None


# ---------------------------------------------------------------------------------------------
# step A: lesion kinetics
# ---------------------------------------------------------------------------------------------
def read_lesions(path: str | os.PathLike[str] | None = None) -> Any:
    """Read the Laleh 2022 lesion table: one row per lesion with ``arm``, ``days`` and ``diameter_mm`` arrays.

    Raises
    ------
    TrialDataError
        If the file is missing or lacks a column.
    """
    import pandas as pd

    if path is None:
        base = shared_data_dir()
        if base is None:
            raise TrialDataError(
                "Laleh 2022 lesions: no shared data directory; set ONCOIMMUNE_SHARED_DATA to the folder holding "
                "tumour-kinetics/laleh-2022/lesions.csv"
            )
        path = base / "tumour-kinetics" / "laleh-2022" / "lesions.csv"
    p = Path(path)
    if not p.is_file():
        raise TrialDataError(f"lesion file {os.fspath(p)!r} does not exist; check the path")
    df = pd.read_csv(p)
    for c in ("Study_Arm", "T_days", "Lesion_diam"):
        if c not in df.columns:
            raise TrialDataError(f"lesion file {os.fspath(p)!r} has no column {c!r}")
    return pd.DataFrame(
        {
            "lesion": df.get("Pt_hashID", pd.Series(range(len(df)))).astype(str),
            "arm": df["Study_Arm"].astype(str),
            "days": [np.asarray(json.loads(x), dtype=float) for x in df["T_days"]],
            "diameter_mm": [np.asarray(json.loads(x), dtype=float) for x in df["Lesion_diam"]],
        }
    )


def fit_lesion(days: Any, diameter_mm: Any, *, floor_mm: float = 2.0) -> dict[str, float]:
    """Fit ``V(t) = V0 [(1 - f) exp(-k t) + f exp(g t)]`` to one lesion (least squares on log volume).

    Returns
    -------
    dict
        ``g``, ``k``, ``f``, ``se_log_g`` (from the Gauss-Newton covariance),
        ``regrowth`` (fraction of the final fitted volume that is the
        resistant part), ``rmse`` (log volume), ``n``.
    """
    from scipy.optimize import least_squares

    t = np.asarray(days, dtype=float)
    d = np.maximum(np.asarray(diameter_mm, dtype=float), floor_mm)
    t = t - t[0]
    y = np.log(math.pi / 6.0 * d**3)

    def model(p: np.ndarray) -> np.ndarray:
        lv0, lk, lg, lf = p
        f = 1.0 / (1.0 + math.exp(-lf))
        return lv0 + np.log((1.0 - f) * np.exp(-math.exp(lk) * t) + f * np.exp(math.exp(lg) * t))

    lo = [y[0] - 8.0, math.log(1e-5), math.log(1e-5), -10.0]
    hi = [y[0] + 8.0, math.log(1.0), math.log(0.2), 10.0]
    best = None
    for lf in (-3.0, 0.0, 3.0):
        for lk in (math.log(0.003), math.log(0.03)):
            for lg in (math.log(0.001), math.log(0.01)):
                r = least_squares(lambda p: model(p) - y, [y[0], lk, lg, lf], bounds=(lo, hi))
                if best is None or r.cost < best.cost:
                    best = r
    assert best is not None
    _lv0, lk, lg, lf = best.x
    k, g, f = math.exp(lk), math.exp(lg), 1.0 / (1.0 + math.exp(-lf))
    n = t.size
    dof = max(n - 4, 1)
    s2 = 2.0 * best.cost / dof
    try:
        cov = s2 * np.linalg.inv(best.jac.T @ best.jac)
        se = float(math.sqrt(cov[2, 2])) if cov[2, 2] > 0 else math.inf
    except np.linalg.LinAlgError:
        se = math.inf
    te = t[-1]
    res_part = f * math.exp(g * te)
    total = (1.0 - f) * math.exp(-k * te) + res_part
    return {
        "g": g,
        "k": k,
        "f": f,
        "se_log_g": se,
        "regrowth": res_part / total,
        "rmse": float(math.sqrt(2.0 * best.cost / n)),
        "n": n,
    }


@dataclass(frozen=True)
class GrowthFit:
    """Result of step A: the pooled growth-rate distribution.

    Attributes
    ----------
    median : float
        ``exp(mu)``, 1/day (volume).
    cv : float
        ``sqrt(exp(tau^2) - 1)``.
    mu, tau, se_mu : float
    n_lesions, n_fitted : int
        Lesions fitted; lesions entering the pooling.
    table : pandas.DataFrame
        Per-lesion fits.
    """

    median: float
    cv: float
    mu: float
    tau: float
    se_mu: float
    n_lesions: int
    n_fitted: int
    table: Any = field(repr=False)


def dersimonian_laird(estimates: Any, std_errors: Any) -> tuple[float, float, float]:
    """Random-effects pooling (DerSimonian & Laird 1986): ``(mu, tau, se_mu)``."""
    x = np.asarray(estimates, dtype=float)
    se = np.asarray(std_errors, dtype=float)
    w = 1.0 / se**2
    mu_fe = float(np.sum(w * x) / np.sum(w))
    q = float(np.sum(w * (x - mu_fe) ** 2))
    c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2 = max(0.0, (q - (x.size - 1)) / c) if c > 0 else 0.0
    ws = 1.0 / (se**2 + tau2)
    mu = float(np.sum(ws * x) / np.sum(ws))
    return mu, math.sqrt(tau2), float(math.sqrt(1.0 / np.sum(ws)))


def fit_growth_rates(
    lesions: Any | None = None, *, arms: Sequence[str] = DOCETAXEL_ARMS, min_readings: int = MIN_READINGS
) -> GrowthFit:
    """Step A: pooled regrowth-rate distribution of the lesions of ``arms`` (see the module docstring)."""
    import pandas as pd

    df = read_lesions() if lesions is None else lesions
    sel = df[df["arm"].isin(list(arms)) & (df["days"].map(len) >= min_readings)]
    rows = []
    for _, r in sel.iterrows():
        fit = fit_lesion(r["days"], r["diameter_mm"])
        rows.append({"lesion": r["lesion"], "arm": r["arm"], **fit})
    table = pd.DataFrame(rows)
    if table.empty:
        raise TrialDataError(f"no lesion of arms {list(arms)} has >= {min_readings} measurements")
    ok = table[(table["regrowth"] >= 0.5) & (table["se_log_g"] < 1.0) & (table["g"] > 1e-5)]
    if len(ok) < 3:
        raise TrialDataError(f"only {len(ok)} lesions with identified regrowth; cannot pool")
    mu, tau, se_mu = dersimonian_laird(np.log(ok["g"]), ok["se_log_g"])
    return GrowthFit(
        median=math.exp(mu),
        cv=math.sqrt(math.expm1(tau**2)),
        mu=mu,
        tau=tau,
        se_mu=se_mu,
        n_lesions=len(table),
        n_fitted=len(ok),
        table=table,
    )


# ---------------------------------------------------------------------------------------------
# step B: trial-level fit with batched simulation
# ---------------------------------------------------------------------------------------------
#: Step-B hyperparameters: name -> (what, lower bound, upper bound) on the natural scale.
STEP_B: Mapping[str, tuple[str, float, float]] = {
    "k_kill": ("median", 1e-3, 0.3),
    "k_kill_cv": ("cv", 0.1, 3.0),
    "r_rec": ("median", 0.05, 20.0),
    "f_res": ("median", 0.01, 1.0),
    "f_res_cv": ("cv", 0.1, 4.0),
    "nl_rate": ("value", 1e-5, 0.02),
    "chemo_units": ("value", 0.02, 2.0),
}


@dataclass
class _ArmBatch:
    names_p: tuple[str, ...]
    names_y: tuple[str, ...]
    P: np.ndarray  # (n_params, n)
    Y: np.ndarray  # (n_states, n)
    rhs: Any
    events: tuple[Any, ...]
    cm: Any


@dataclass
class CalibrationCohort:
    """A fixed cohort (both arms) with everything that does not depend on the hyperparameters."""

    spec: Any
    seed: int
    indices: np.ndarray
    tumour_cells: np.ndarray
    z: dict[str, np.ndarray]  # per parameter: (n, n_draws) standard normals of its stream
    arms: dict[str, _ArmBatch]
    draws: Any
    scan_days: np.ndarray
    grid: np.ndarray


def _normals(seed: int, index: int, name: str, k: int = 40) -> np.ndarray:
    from ..patients.cohort import patient_rng

    return patient_rng(seed, index, "parameters", name).standard_normal(k)


def lognormal_draw(z: np.ndarray, median: float, cv: float, bounds: tuple[float, float]) -> np.ndarray:
    """Replicates :func:`oncoimmune.patients.link.sample_parameters` for a lognormal parameter.

    ``z`` holds each patient's successive standard normals; the first draw
    ``median * exp(sigma z)`` inside ``bounds`` is kept (truncation by redrawing).
    """
    sigma = math.sqrt(math.log1p(cv**2))
    v = median * np.exp(sigma * z)
    ok = (v >= bounds[0]) & (v <= bounds[1])
    first = np.argmax(ok, axis=1)
    out = v[np.arange(v.shape[0]), first]
    return np.where(ok.any(axis=1), out, np.nan)


def build_cohort(spec: Any, n: int = CALIBRATION_N, seed: int = CALIBRATION_SEED) -> CalibrationCohort:
    """Screen the calibration cohort and prepare one batch per arm (see the module docstring)."""
    from ..library import _module
    from ..patients.link import link_patient
    from ..therapy.regimen import treat_regimens
    from .context import TrialContext as _Context
    from .plan import plan_trial
    from .sample import event_draws
    from .sample import regimens as _regimens

    if getattr(spec, "vpop", None) is not None:
        raise OncoimmuneError(
            "calibration: the spec has a [vpop] section, but the calibration cohort redraws the model's "
            "log-normal parameters itself; remove [vpop] to calibrate"
        )
    ctx = _Context.build(spec, seed)
    plan = plan_trial(spec, n, seed)
    mod = _module(spec.model.id)
    hook = getattr(mod, "pretreatment_state", None)
    patients = []
    from ..patients.cohort import run_assays, sample_patient

    for p in plan.patients:
        patients.append(run_assays(ctx.population, sample_patient(ctx.population, seed, p.index)))
    arms: dict[str, _ArmBatch] = {}
    for arm in spec.arms:
        Ps, Ys, evs0, cm0 = [], [], None, None
        for pt in patients:
            lp = link_patient(
                ctx.model, pt, escape_mechanisms=spec.model.escape, coefficients=ctx.coefficients
            )
            m = hook(lp.model) if hook is not None else lp.model
            tr = treat_regimens(
                m, *_regimens(ctx, arm.name, pt), until=ctx.horizon, weight_kg=pt.weight_kg, bsa_m2=pt.bsa_m2
            )
            cm = tr.model.compile()
            if cm0 is None:
                cm0, evs0 = cm, tr.events
            else:
                same = [(e.time, e.target, e.op, e.kind, round(e.value, 9)) for e in evs0]
                if same != [(e.time, e.target, e.op, e.kind, round(e.value, 9)) for e in tr.events]:
                    raise OncoimmuneError(
                        f"calibration: arm {arm.name!r} gives patients different dose events; the batch needs "
                        "shared events (flat doses)"
                    )
            Ps.append(cm.p0)
            Ys.append(cm.y0)
        assert cm0 is not None
        arms[arm.name] = _ArmBatch(
            names_p=tuple(cm0.parameter_names) if hasattr(cm0, "parameter_names") else (),
            names_y=tuple(cm0.state_names),
            P=np.stack(Ps, axis=1),
            Y=np.stack(Ys, axis=1),
            rhs=cm0.rhs(np),
            events=tuple(evs0 or ()),
            cm=cm0,
        )
    z = {
        name: np.stack([_normals(seed, p.index, name) for p in plan.patients])
        for name in ("g", "k_kill", "r_rec", "f_res")
    }
    return CalibrationCohort(
        spec=spec,
        seed=seed,
        indices=np.array([p.index for p in plan.patients]),
        tumour_cells=np.array([pt.tumour_cells for pt in patients]),
        z=z,
        arms=arms,
        draws=event_draws(seed, [p.index for p in plan.patients]),
        scan_days=ctx.scan_days,
        grid=ctx.grid,
    )


def _theta_values(theta: Mapping[str, float]) -> dict[str, tuple[float, float]]:
    from ..library.nsclc_tgi_immune import CALIBRATED

    cal = dict(CALIBRATED)
    cal["k_kill"] = (theta.get("k_kill", cal["k_kill"][0]), theta.get("k_kill_cv", cal["k_kill"][1]))
    cal["r_rec"] = (theta.get("r_rec", cal["r_rec"][0]), theta.get("r_rec_cv", cal["r_rec"][1]))
    cal["f_res"] = (theta.get("f_res", cal["f_res"][0]), theta.get("f_res_cv", cal["f_res"][1]))
    cal["g"] = (theta.get("g", cal["g"][0]), theta.get("g_cv", cal["g"][1]))
    cal["nl_rate"] = (theta.get("nl_rate", cal["nl_rate"][0]), 0.0)
    cal["chemo_units"] = (theta.get("chemo_units", cal["chemo_units"][0]), 0.0)
    return cal


def simulate_batch(
    batch: _ArmBatch,
    P: np.ndarray,
    Y: np.ndarray,
    grid: np.ndarray,
    t1: float,
    event_scale: Mapping[str, float] | None = None,
    rtol: float = 1e-6,
) -> np.ndarray:
    """Integrate a batch that shares its events: returns ``y`` of shape (n_states, n, len(grid)).

    Events are applied exactly between segments (values saved at an event time
    are after the jump), as the engines do. ``event_scale`` multiplies the
    amounts of state events by target (e.g. the chemotherapy units).
    """
    from scipy.integrate import solve_ivp

    cm, rhs = batch.cm, batch.rhs
    ns, n = Y.shape
    P = P.copy()
    y = Y.copy()
    out = np.full((ns, n, grid.size), np.nan)
    times = sorted({0.0, float(t1), *(e.time for e in batch.events if e.time < t1)})
    scale = dict(event_scale or {})

    def f(t: float, v: np.ndarray) -> np.ndarray:
        return np.asarray(rhs(t, v.reshape(ns, n), P), dtype=float).reshape(-1)

    for a, b in itertools.pairwise(times):
        for e in batch.events:
            if e.time == a:
                if e.kind == "state":
                    i = cm.state_index(e.target)
                    val = e.value * scale.get(e.target, 1.0)
                    y[i] = y[i] + val if e.op == "add" else (y[i] * val if e.op == "multiply" else val)
                else:
                    j = cm.param_index(e.target)
                    P[j] = P[j] + e.value if e.op == "add" else e.value
        sel = (grid >= a - 1e-12) & (grid < b - 1e-12)
        te = grid[sel]
        sol = solve_ivp(
            f, (a, b), y.reshape(-1), method="RK45", rtol=rtol, atol=1e-9, t_eval=np.append(te, b)
        )
        if not sol.success:
            raise OncoimmuneError(f"calibration batch failed on [{a}, {b}]: {sol.message}")
        if te.size:
            out[:, :, sel] = sol.y[:, :-1].reshape(ns, n, te.size)
        y = sol.y[:, -1].reshape(ns, n).copy()
    if np.isclose(grid[-1], t1):
        out[:, :, -1] = y
    return out


@functools.lru_cache(maxsize=1)
def _library_bounds() -> dict[str, tuple[float, float]]:
    """Parameter bounds of ``nsclc_tgi_immune`` (constants of the library, whatever the hyperparameters)."""
    from ..library import nsclc_tgi_immune as lib

    return {p.name: tuple(p.bounds) for p in lib.build().parameters}


def _arm_state(
    cohort: CalibrationCohort, arm: str, theta: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Parameters ``(n_params, n)``, initial states ``(n_states, n)`` and event scales of an arm."""
    from ..library import nsclc_tgi_immune as lib

    cal = _theta_values(theta)
    batch = cohort.arms[arm]
    cm = batch.cm
    P = batch.P.copy()
    Y = batch.Y.copy()
    for name in ("g", "k_kill", "r_rec", "f_res"):
        med, cv = cal[name]
        bounds = _library_bounds()[name]
        vals = lognormal_draw(cohort.z[name], med, cv, bounds) if cv > 0 else np.full(P.shape[1], med)
        P[cm.param_index(name)] = vals
    P[cm.param_index("nl_rate")] = cal["nl_rate"][0]
    n0 = cohort.tumour_cells
    f = P[cm.param_index("f_res")]
    iT, iR, iE = cm.state_index("T"), cm.state_index("R"), cm.state_index("E")
    Y[iT], Y[iR] = (1.0 - f) * n0, f * n0
    y0, y1 = Y.copy(), Y.copy()
    y0[iT], y0[iR] = n0, 0.0
    y1[iT], y1[iR] = n0, 0.0
    y0[iE], y1[iE] = 0.0, 1.0
    f0 = np.asarray(batch.rhs(0.0, y0, P))[iE]
    f1 = np.asarray(batch.rhs(0.0, y1, P))[iE]
    Y[iE] = f0 / (f0 - f1)
    default_units = lib.CALIBRATED["chemo_units"][0]
    return P, Y, {"chemo_M": cal["chemo_units"][0] / default_units}


def _arm_outcomes(cohort: CalibrationCohort, arm: str, traj: np.ndarray) -> dict[str, np.ndarray]:
    """Runner outcomes of one arm from its trajectories ``(n_states, n, len(grid))``."""
    from ..library import nsclc_tgi_immune as lib
    from .assess import derive_outcomes

    spec = cohort.spec
    cm = cohort.arms[arm].cm
    burden = traj[cm.state_index("T")] + traj[cm.state_index("R")]
    nl = traj[cm.state_index(lib.NEW_LESION_STATE)]
    return derive_outcomes(
        cohort.grid,
        burden,
        nl,
        cohort.scan_days,
        cohort.draws,
        horizon=spec.horizon_days,
        dropout_per_day=spec.dropout.per_day,
        background_per_day=spec.background_mortality.per_day,
        death_rule=spec.death.rule if spec.death is not None else None,
        death_threshold=spec.death.threshold if spec.death is not None else None,
    )


def simulate_cohort_arm(
    cohort: CalibrationCohort, arm: str, theta: Mapping[str, float]
) -> dict[str, np.ndarray]:
    """One arm of the calibration cohort at hyperparameters ``theta``: runner outcomes (sums, deaths, ...)."""
    P, Y, scale = _arm_state(cohort, arm, theta)
    traj = simulate_batch(cohort.arms[arm], P, Y, cohort.grid, cohort.grid[-1], event_scale=scale)
    return _arm_outcomes(cohort, arm, traj)


#: Tolerances of :func:`simulate_cohort_arms_batched` (those of the runner's batched path,
#: ``trials.solve.TRIAL_RTOL``, with the runner's per-state absolute tolerance).
BATCHED_RTOL = 1e-8


def simulate_cohort_arms_batched(
    cohort: CalibrationCohort, arm: str, thetas: Sequence[Mapping[str, float]], *, threads: int | None = None
) -> list[dict[str, np.ndarray]]:
    """One arm of the calibration cohort at every ``theta`` of ``thetas``, in one batched-engine solve.

    The same cohort, draws and outcomes as :func:`simulate_cohort_arm` (which
    integrates one ``theta`` with SciPy's RK45 on the stacked system), but all
    ``len(thetas) * n`` patients go to :func:`oncoimmune.engines.batched.solve_batch`
    at once (the runner's ``engine="batched"`` kernel and tolerances:
    :data:`BATCHED_RTOL`, the per-state ``default_atol`` of the library model).
    The chemotherapy-units scale of each ``theta`` enters as per-patient event values.
    A patient whose solve fails has NaN trajectories (and counts as not evaluable
    downstream, as in the runner).
    """
    from ..engines.batched import solve_batch
    from ..engines.tolerance import default_atol
    from ..library import nsclc_tgi_immune as lib
    from ..model.events import sort_events

    batch = cohort.arms[arm]
    cm = batch.cm
    thetas = list(thetas)
    if not thetas:
        return []
    n = batch.P.shape[1]
    events = sort_events(batch.events)
    Ps, Ys, Vs = [], [], []
    for theta in thetas:
        P, Y, scale = _arm_state(cohort, arm, theta)
        Ps.append(P.T)
        Ys.append(Y.T)
        v = [e.value * scale.get(e.target, 1.0) if e.kind == "state" else e.value for e in events]
        Vs.append(np.tile(np.asarray(v, dtype=float), (n, 1)))
    base = dict(lib.build().initial_values)  # as trials.solve.trial_atol: scales from the library model
    atol = default_atol(cm, np.array([abs(float(base.get(s, 0.0))) for s in cm.state_names]))
    sol = solve_batch(
        cm,
        np.concatenate(Ys),
        np.concatenate(Ps),
        t1=float(cohort.grid[-1]),
        saveat=cohort.grid,
        events=events,
        event_values=np.concatenate(Vs) if events else None,
        rtol=BATCHED_RTOL,
        atol=atol,
        threads=threads,
    )
    y = np.moveaxis(np.asarray(sol.y, dtype=float), 2, 0)  # (n_states, R * n, len(grid))
    y[:, ~np.asarray(sol.ok)] = np.nan
    return [_arm_outcomes(cohort, arm, y[:, r * n : (r + 1) * n]) for r in range(len(thetas))]


def cohort_endpoints(cohort: CalibrationCohort, theta: Mapping[str, float]) -> Any:
    """Endpoint table of the calibration cohort (both arms) at ``theta``."""
    import pandas as pd

    from .endpoints import endpoint_table
    from .assess import assess

    tabs = []
    for arm in cohort.arms:
        o = simulate_cohort_arm(cohort, arm, theta)
        r = assess(cohort.scan_days, o["sums"], o["new_lesions"])
        tabs.append(
            endpoint_table(r, arm=arm, death_days=o["death_day"], last_contact_days=o["last_contact_day"])
        )
    return pd.concat(tabs, ignore_index=True)


def cohort_endpoints_many(
    cohort: CalibrationCohort, thetas: Sequence[Mapping[str, float]], *, threads: int | None = None
) -> list[Any]:
    """:func:`cohort_endpoints` at every ``theta``, each arm solved once for all on the batched engine.

    See :func:`simulate_cohort_arms_batched`; returns one endpoint table per ``theta``.
    """
    import pandas as pd

    from .assess import assess
    from .endpoints import endpoint_table

    per_arm = {arm: simulate_cohort_arms_batched(cohort, arm, thetas, threads=threads) for arm in cohort.arms}
    out = []
    for r in range(len(thetas)):
        tabs = []
        for arm, outs in per_arm.items():
            o = outs[r]
            res = assess(cohort.scan_days, o["sums"], o["new_lesions"])
            death, contact = o["death_day"], o["last_contact_day"]
            tabs.append(endpoint_table(res, arm=arm, death_days=death, last_contact_days=contact))
        out.append(pd.concat(tabs, ignore_index=True))
    return out


@dataclass(frozen=True)
class Target:
    """Step-B target: real PFS survival at ``times`` (months) per virtual arm, and the ORRs."""

    times: np.ndarray
    survival: Mapping[str, np.ndarray]
    orr: Mapping[str, float]


def keynote024_target(spec: Any, ref: ReferenceTrial | None = None) -> Target:
    """Real PFS at two weeks after each scan up to 15 months, and the published ORRs."""
    from ..analysis.survival import km_by_arm

    ref = ref or keynote024_reference()
    if ref is None:
        raise TrialDataError("KEYNOTE-024 data not found; set ONCOIMMUNE_SHARED_DATA")
    scans = np.array(spec.assessment_days())
    times = (scans[scans <= 15.0 * DAYS_PER_MONTH] + 14.0) / DAYS_PER_MONTH
    km = km_by_arm(ref.real("pfs"), time="time", event="event")
    surv = {v: km[r].survival_at(times) for v, r in ref.arm_map.items()}
    orr = {v: ref.published["orr"][r][0] for v, r in ref.arm_map.items()}
    return Target(times=times, survival=surv, orr=orr)


def objective(
    theta: Mapping[str, float], cohort: CalibrationCohort, target: Target, weight: float = ORR_WEIGHT
) -> float:
    """Squared distance between virtual and real PFS (both arms) plus ``weight`` times the squared ORR errors."""
    from ..analysis.survival import km_by_arm

    try:
        with np.errstate(all="ignore"):
            tab = cohort_endpoints(cohort, theta)
    except OncoimmuneError:
        return 10.0
    km = km_by_arm(tab)
    orr = tab.groupby("arm")["responder"].mean()
    err = 0.0
    for arm, s in target.survival.items():
        err += float(np.sum((km[arm].survival_at(target.times) - s) ** 2))
        err += weight * (float(orr[arm]) - target.orr[arm]) ** 2
    return err


def _to_theta(x: np.ndarray) -> dict[str, float]:
    return {k: float(math.exp(v)) for k, v in zip(STEP_B, x)}


def calibrate_step_b(
    spec: Any,
    *,
    n: int = CALIBRATION_N,
    maxiter: int = 30,
    popsize: int = 6,
    polish_evals: int = 150,
    seed: int = 7,
    verbose: bool = True,
) -> dict[str, Any]:
    """Step B (see the module docstring). Returns the fitted hyperparameters and the fit summary."""
    from scipy.optimize import differential_evolution, minimize

    t0 = time.perf_counter()
    cohort = build_cohort(spec, n)
    target = keynote024_target(spec)
    bounds = [(math.log(lo), math.log(hi)) for _, lo, hi in STEP_B.values()]
    calls = [0]

    def f(x: np.ndarray) -> float:
        calls[0] += 1
        return objective(_to_theta(x), cohort, target)

    res = differential_evolution(
        f, bounds, maxiter=maxiter, popsize=popsize, seed=seed, polish=False, tol=1e-7, updating="immediate"
    )
    x = res.x
    if polish_evals:
        pol = minimize(
            f, x, method="Nelder-Mead", options={"maxfev": polish_evals, "xatol": 1e-3, "fatol": 1e-6}
        )
        if pol.fun < res.fun:
            x = pol.x
    theta = _to_theta(x)
    tab = cohort_endpoints(cohort, theta)
    from ..analysis.survival import hazard_ratios, km_by_arm

    km = km_by_arm(tab)
    out = {
        "theta": theta,
        "objective": objective(theta, cohort, target),
        "evaluations": calls[0],
        "seconds": round(time.perf_counter() - t0, 1),
        "orr": tab.groupby("arm")["responder"].mean().to_dict(),
        "pfs_fit": {
            a: {"virtual": km[a].survival_at(target.times).round(3).tolist(), "real": np.round(s, 3).tolist()}
            for a, s in target.survival.items()
        },
        "times": target.times.round(2).tolist(),
        "pfs_hr": hazard_ratios(tab, reference="chemotherapy")[["hr", "hr_lo", "hr_hi"]]
        .round(3)
        .to_dict("records"),
        "n": n,
        "cohort_seed": CALIBRATION_SEED,
    }
    if verbose:
        print(json.dumps(out, indent=2, default=float))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m oncoimmune.trials.calibration --step A|B [--n N] [--maxiter K]``."""
    import argparse

    from .spec import load_trial_spec

    ap = argparse.ArgumentParser(
        prog="python -m oncoimmune.trials.calibration", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--step", choices=("A", "B"), default="A")
    ap.add_argument("--spec", default="examples/keynote024.toml")
    ap.add_argument("--n", type=int, default=CALIBRATION_N)
    ap.add_argument("--maxiter", type=int, default=30)
    ap.add_argument("--popsize", type=int, default=6)
    args = ap.parse_args(argv)
    if args.step == "A":
        for arms, label in (
            (DOCETAXEL_ARMS, "docetaxel (fitted)"),
            (ATEZOLIZUMAB_ARMS, "atezolizumab (compared)"),
        ):
            fit = fit_growth_rates(arms=arms)
            print(
                f"{label}: lesions fitted {fit.n_lesions}, pooled {fit.n_fitted}; median g = {fit.median:.5f}/day "
                f"(95 % CI {math.exp(fit.mu - 1.96 * fit.se_mu):.5f}-{math.exp(fit.mu + 1.96 * fit.se_mu):.5f}), "
                f"tau = {fit.tau:.3f}, cv = {fit.cv:.3f}"
            )
        return 0
    spec = load_trial_spec(args.spec)
    calibrate_step_b(spec, n=args.n, maxiter=args.maxiter, popsize=args.popsize)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
