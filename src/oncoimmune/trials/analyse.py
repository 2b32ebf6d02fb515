"""Stage 5: summaries of a finished trial (responses, survival, hazard ratios, comparison, provenance)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import OncoimmuneError
from .context import DETECTION_LIMIT_MM, TrialRunError
from .plan import TrialPlan
from .spec import TrialSpec

__all__ = [
    "analyse_trial",
    "control_arm",
    "outcome_rules",
    "provenance",
    "resolve_reference",
    "summarise",
    "treatment_rules",
]


def control_arm(spec: TrialSpec) -> str | None:
    """The reference arm for hazard ratios: the arm patients cross over *from*, else the last arm."""
    if len(spec.arms) < 2:
        return None
    sources = [a.name for a in spec.arms if a.crossover is not None]
    return sources[0] if len(sources) == 1 else spec.arms[-1].name



def _hr_row(table: Any, time: str, event: str, reference: str) -> dict[str, Any]:
    from ..analysis.survival import MIN_EVENTS_PER_COMPARISON, hazard_ratios

    try:
        hr = hazard_ratios(table, time=time, event=event, reference=reference, min_events=MIN_EVENTS_PER_COMPARISON)
    except OncoimmuneError as exc:
        return {"error": str(exc)}
    return {
        a: {
            "hr": float(r.hr),
            "hr_lo": float(r.hr_lo),
            "hr_hi": float(r.hr_hi),
            "p": float(r.p),
            "vs": reference,
        }
        for a, r in hr.iterrows()
    }


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def summarise(table: Any, reference: str | None) -> dict[str, Any]:
    """Response and survival figures of an endpoint table (plain data)."""
    from ..analysis.survival import survival_summary
    from .endpoints import response_summary

    ok = table
    rs = response_summary(ok)
    out: dict[str, Any] = {"arms": {}}
    for arm, r in rs.iterrows():
        out["arms"][arm] = {
            "n": int(r.n),
            **{c: int(r[c]) for c in ("CR", "PR", "SD", "PD", "NE")},
            "orr": float(r.orr),
            "orr_ci": [float(r.orr_lo), float(r.orr_hi)],
            "dcr": float(r.dcr),
        }
    for ep in ("pfs", "os"):
        s = survival_summary(ok, time=f"{ep}_months", event=f"{ep}_event", at=(6.0, 12.0))
        for arm, r in s.iterrows():
            out["arms"][arm][ep] = {
                "events": int(r.events),
                "median_months": _finite(r["median"]),
                "median_ci": [_finite(r["median_lo"]), _finite(r["median_hi"])],
                "surv_6": float(r["surv_6"]),
                "surv_12": float(r["surv_12"]),
            }
        if reference is not None and len(rs) > 1:
            out[f"{ep}_hr"] = _hr_row(ok, f"{ep}_months", f"{ep}_event", reference)
    out["failed"] = int((table["status"] != "ok").sum())
    return out



def outcome_rules(spec: TrialSpec, plan: TrialPlan | None = None) -> dict[str, Any]:
    """Which overall-survival rule and which censoring the run applied (plain data, ``summary.json``).

    ``overall_survival.rule``: ``"tgi_os"`` (``[survival]``: the log-normal TGI-OS link of
    :mod:`oncoimmune.trials.survival_link` with its coefficients and ``kg_read``), the ``[death]``
    lethal-burden rule
    (``"tumour_cells_above"`` / ``"sld_above"``), or ``"background_only"``; ``accrual``: enrolment
    and data cut-off (administrative censoring) with the range of follow-up, or None (every patient
    followed to the horizon).
    """
    from .recist import DAYS_PER_MONTH

    bg = spec.background_mortality.hazard_per_year
    if spec.survival is not None:
        link = spec.survival.build_link()
        where = (
            "before the first documented progression" if spec.survival.kg_read == "progression"
            else "over the randomised treatment, up to its end or the death (kg_read = on_treatment)"
        )
        os_rule: dict[str, Any] = {
            "rule": "tgi_os",
            "description": "log-normal TGI-OS link (Claret 2018 form): growth rate constant KG "
            f"{where}, ECOG, line, histology, baseline SLD",
            "kg_read": spec.survival.kg_read,
            "coefficients": link.to_dict(),
            "overrides": dict(spec.survival.link),
            "source": spec.survival.source,
        }
    elif spec.death is not None:
        os_rule = {"rule": spec.death.rule, "threshold": spec.death.threshold, "source": spec.death.source}
    else:
        os_rule = {"rule": "background_only"}
    os_rule["background_hazard_per_year"] = bg
    accrual: dict[str, Any] | None = None
    if spec.accrual is not None:
        accrual = {"months": spec.accrual.months, "cutoff_months": spec.accrual.cutoff_months,
                   "source": spec.accrual.source}
        if plan is not None and plan.patients:
            fu = [min(p.follow_up_days, spec.horizon_days) / DAYS_PER_MONTH for p in plan.patients]
            accrual["follow_up_months"] = [round(min(fu), 3), round(max(fu), 3)]
    return {"overall_survival": os_rule, "accrual": accrual, "treatment_rules": treatment_rules(spec)}


def treatment_rules(spec: TrialSpec) -> dict[str, Any]:
    """Each arm's treatment rules (:mod:`oncoimmune.trials.rules`) as plain data (``summary.json``)."""
    out: dict[str, Any] = {}
    for a in spec.arms:
        r: dict[str, Any] = {"until": a.until}
        if a.discontinuation is not None:
            r["discontinuation_per_cycle"] = a.discontinuation.per_cycle
            r["discontinuation_source"] = a.discontinuation.source
        if a.beyond_progression is not None:
            r["beyond_progression"] = a.beyond_progression.model_dump()
        if a.subsequent is not None:
            r["subsequent"] = a.subsequent.model_dump()
        if a.crossover is not None:
            r["crossover"] = a.crossover.model_dump()
        out[a.name] = r
    return out


def _describe_rules(rules: Mapping[str, Any]) -> tuple[str, str]:
    o = rules["overall_survival"]
    if o["rule"] == "tgi_os":
        c = ", ".join(f"{k} {v:.4g}" for k, v in o["coefficients"].items())
        text = f"TGI-OS link ([survival]; {c})"
        if o.get("kg_read", "progression") != "progression":
            text += f"; KG read {o['kg_read']}"
    elif o["rule"] == "background_only":
        text = "no tumour death rule (background mortality only)"
    else:
        text = f"lethal-burden rule [death]: {o['rule']} {o['threshold']:g}"
    text += f"; background mortality {o['background_hazard_per_year']:g}/year"
    a = rules["accrual"]
    if a is None:
        cens = "none: every patient followed to the horizon"
    else:
        cens = f"enrolment over {a['months']:g} months, data cut-off {a['cutoff_months']:g} months after the first"
        if "follow_up_months" in a:
            cens += f" (follow-up {a['follow_up_months'][0]:.1f}-{a['follow_up_months'][1]:.1f} months)"
    return text, cens


def reference_missing(spec: TrialSpec) -> str | None:
    """Why the real trial named by the spec could not be compared with (its data are missing), or None."""
    from .calibration import reference_missing as why

    return why(spec)


def resolve_reference(spec: TrialSpec, reference: Any) -> Any:
    """The real trial to compare with: ``"auto"`` looks it up from the spec's name."""
    if reference is None:
        return None
    if isinstance(reference, str):
        if reference != "auto":
            raise TrialRunError(f"reference must be 'auto', a ReferenceTrial or None; got {reference!r}")
        from .calibration import reference_for

        return reference_for(spec)
    return reference


def provenance(
    spec: TrialSpec, plan: TrialPlan, summary: Mapping[str, Any], ref: Any, table: Any, command: str | None
) -> dict[str, Any]:
    from ..library import get_model

    model = get_model(spec.model.id)
    sc = plan.screening
    failed = table[table["status"] != "ok"]
    reasons = failed["reason"].value_counts().head(5)
    os_text, censor_text = _describe_rules(summary.get("outcome_rules") or outcome_rules(spec, plan))
    engine = summary.get("engine", "batched")
    prov: dict[str, Any] = {
        "trial": spec.name,
        "model": f"{model.id}: {model.title}",
        "engine": "SciPy reference engine (LSODA), one patient at a time"
        if engine == "scipy"
        else "batched engine (all patients of a shard in one solve)",
        "overall survival": os_text,
        "administrative censoring": censor_text,
        "screening": f"{sc['screened']} screened, {sc['enrolled']} enrolled; failures by criterion: "
        f"{sc['failures_by_criterion']}",
        "patients failed (simulation)": f"{len(failed)}"
        + (f": {'; '.join(f'{r} ({c})' for r, c in reasons.items())}" if len(failed) else ""),
        "shards": f"{summary['shards']['total']} of {summary['shards']['size']} patients; run now: "
        f"{len(summary['shards']['run'])}, skipped (resumed): {len(summary['shards']['skipped'])}; "
        f"workers: {summary['workers']}",
        "RECIST": f"detection limit {DETECTION_LIMIT_MM:g} mm (CR); new lesions from the model's hazard",
        "crossover": f"{int(table['crossover'].sum())} patients crossed over",
    }
    counts = [
        f"{int(np.nansum(table[col].to_numpy(dtype=float)))} {what}"
        for col, what in (
            ("toxicity_stopped", "stopped for toxicity"),
            ("beyond_progression", "treated beyond progression"),
            ("subsequent", "had subsequent therapy"),
        )
        if col in table
    ]
    if counts:
        prov["treatment rules"] = "; ".join(counts)
    try:
        from ..library import _module

        mod = _module(spec.model.id)
        if hasattr(mod, "describe_calibration"):
            prov["calibration"] = (
                "population hyperparameters "
                + json.dumps(mod.describe_calibration())
                + "; see docs/keynote024.md (fit: Laleh 2022 docetaxel lesions -> growth rate; KEYNOTE-024 "
                "PFS curves of both arms and the two ORRs -> the rest; held out: OS, PFS hazard ratio)"
            )
    except Exception:  # noqa: BLE001, S110 # pragma: no cover - provenance is best effort
        pass
    if ref is not None:
        prov["real trial"] = ref.describe()
        rsum = summary.get("reference") or {}
        lines = []
        for arm, o in rsum.get("orr", {}).items():
            lines.append(
                f"ORR {arm}: virtual {100 * o['virtual']:.1f} % ({100 * o['virtual_ci'][0]:.1f}-"
                f"{100 * o['virtual_ci'][1]:.1f}) vs published {100 * o['published']:.1f} % "
                f"({100 * o['published_ci'][0]:.1f}-{100 * o['published_ci'][1]:.1f}): "
                f"{'inside' if o['inside_published_ci'] else 'OUTSIDE'} the published CI"
            )
        for ep, rows in rsum.get("hazard_ratios", {}).items():
            if "virtual" in rows and "published" in rows:
                v, pub = rows["virtual"], rows["published"]
                lines.append(
                    f"{ep.upper()} HR: virtual {v['hr']:.2f} ({v['ci'][0]:.2f}-{v['ci'][1]:.2f}) vs published "
                    f"{pub['hr']:.2f} ({pub['ci'][0]:.2f}-{pub['ci'][1]:.2f}): "
                    f"{'inside' if rows['inside_published_ci'] else 'OUTSIDE'} the published CI"
                )
        if lines:
            prov["virtual vs published"] = "; ".join(lines)
        if summary.get("reference_error"):
            prov["comparison"] = summary["reference_error"]
    if summary.get("reference_missing"):
        prov["real trial"] = summary["reference_missing"]
    if command:
        prov["command"] = command
    return prov


def analyse_trial(
    spec: TrialSpec,
    table: Any,
    ref: Any,
    plan: TrialPlan,
    *,
    seed: int,
    shards: Mapping[str, Any],
    workers: int,
    executor: str,
    t_start: float,
) -> tuple[dict[str, Any], list[Any]]:
    """Summary (plain data, ``summary.json``) and comparisons with the real trial ``ref``.

    Parameters
    ----------
    spec : TrialSpec
    table : pandas.DataFrame
        Endpoint table.
    ref : ReferenceTrial or None
    plan : TrialPlan
    seed : int
    shards : mapping
        ``size``, ``total``, ``run``, ``skipped``.
    workers : int
    executor : str
    t_start : float
        ``time.perf_counter()`` at the start of the run.

    Returns
    -------
    summary : dict
    comparisons : list of TrialComparison
    """
    from .._version import __version__

    reference_arm = control_arm(spec)
    summary = summarise(table, reference_arm)
    summary["outcome_rules"] = outcome_rules(spec, plan)
    comparisons: list[Any] = []
    if ref is not None:
        try:
            comparisons = ref.compare(table)
        except OncoimmuneError as exc:  # e.g. a tiny trial with an arm without events
            summary["reference_error"] = f"comparison with {ref.name} not possible: {exc}"
        summary["reference"] = ref.summary(table, comparisons)
    run_seconds = time.perf_counter() - t_start
    summary.update(
        {
            "trial": spec.name,
            "seed": seed,
            "n_patients": len(plan.patients),
            "screening": dict(plan.screening),
            "shards": dict(shards),
            "workers": workers,
            "executor": executor,
            "run_seconds": round(run_seconds, 2),
            "oncoimmune_version": __version__,
            "reference_arm": reference_arm,
        }
    )
    return summary, comparisons
