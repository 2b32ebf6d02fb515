"""Stage 3: solve each patient's trajectory, and again after crossover.

:func:`simulate_patient` takes one planned patient through sampling
(:mod:`~oncoimmune.trials.sample`), the treated model's simulation to the
horizon (saved at the scan days and weekly in between), the outcomes
(:mod:`~oncoimmune.trials.assess`) and crossover: at the first documented
progression, with the arm's crossover probability, the target arm's regimens
start ``delay_days`` later; the patient is simulated again from the start with
both arms' regimens and the second trajectory is used after progression, so
progression-based endpoints are unchanged and overall survival includes
crossover (intention to treat). A failure is recorded, never raised.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .assess import assess, derive_outcomes, sld_from_cells_array
from .context import TrialContext
from .plan import PlannedPatient
from .sample import _covariates, drawn_patient, regimens, sample_patient

__all__ = ["simulate_patient"]


class _PatientFailure(Exception):
    """A patient's simulation failed (kept as a failed record, never stops the trial)."""


def _trajectory(
    ctx: TrialContext, model: Any, patient: Any, regs: Sequence[Any]
) -> tuple[np.ndarray, np.ndarray, Any]:
    from ..simulate import simulate
    from ..therapy.regimen import treat_regimens

    tr = treat_regimens(
        model, *regs, until=ctx.horizon, weight_kg=patient.weight_kg, bsa_m2=patient.bsa_m2
    )
    ds = simulate(tr.model, ctx.horizon, events=tr.events, saveat=ctx.grid)
    if ds.attrs.get("status") != "ok":
        raise _PatientFailure(f"simulation failed: {ds.attrs.get('status_reason')}")
    y = np.asarray(ds[ctx.burden].values, dtype=float)
    if not ctx.burden_is_observable:
        y = y / ctx.coefficients.tumour_scale.value
    nl = np.asarray(ds[ctx.new_lesion_state].values, dtype=float) if ctx.new_lesion_state else None
    if not np.isfinite(y).all():
        raise _PatientFailure("simulation returned non-finite tumour sizes")
    return y, nl, ds


def _simulate_patient_core(ctx: TrialContext, planned: PlannedPatient) -> dict[str, Any]:
    """Simulate one patient; raises on failure (see :func:`simulate_patient`)."""
    spec = ctx.spec
    sp = sample_patient(ctx, planned)
    patient, model, rec, draws = sp.patient, sp.model, dict(sp.record), sp.draws
    y, nl, ds = _trajectory(ctx, model, patient, regimens(ctx, planned.arm, patient))
    nfev = int(ds.attrs.get("nfev", 0))
    kw = {
        "horizon": ctx.horizon,
        "dropout_per_day": spec.dropout.per_day,
        "background_per_day": spec.background_mortality.per_day,
        "death_rule": spec.death.rule if spec.death is not None else None,
        "death_threshold": spec.death.threshold if spec.death is not None else None,
    }
    out = derive_outcomes(
        ctx.grid, y[None, :], None if nl is None else nl[None, :], ctx.scan_days, draws, **kw
    )
    crossed, cross_day = False, np.nan
    xo = spec.arm(planned.arm).crossover
    if xo is not None:
        r = assess(ctx.scan_days, out["sums"], out["new_lesions"])
        t_prog = float(r.time_progression[0])
        if np.isfinite(t_prog) and draws.crossover[0] < xo.probability:
            t_x = t_prog + xo.delay_days
            if t_x < ctx.horizon and not (out["last_contact_day"][0] < t_x):
                regs = regimens(ctx, planned.arm, patient) + regimens(ctx, xo.to_arm, patient, start=t_x)
                y2, nl2, ds2 = _trajectory(ctx, model, patient, regs)
                nfev += int(ds2.attrs.get("nfev", 0))
                after = ctx.grid > t_prog + 1e-9
                y = np.where(after, y2, y)
                if nl is not None and nl2 is not None:
                    nl = np.where(after, nl2, nl)
                out2 = derive_outcomes(
                    ctx.grid, y[None, :], None if nl is None else nl[None, :], ctx.scan_days, draws, **kw
                )
                # scans up to progression are unchanged by construction; take the new follow-up
                out = out2
                crossed, cross_day = True, t_x
    rec.update(
        {
            "sld_mm": [float(v) for v in out["sums"][0]],
            "new_lesion": [bool(v) for v in out["new_lesions"][0]],
            "death_day": float(out["death_day"][0]),
            "death_cause": str(out["death_cause"][0]),
            "dropout_day": float(out["dropout_day"][0]),
            "last_contact_day": float(out["last_contact_day"][0]),
            "crossover": crossed,
            "crossover_day": float(cross_day),
            "nfev": nfev,
        }
    )
    return rec


def simulate_patient(ctx: TrialContext, planned: PlannedPatient) -> dict[str, Any]:
    """One patient's record; a failure is recorded (``status``, ``reason``), never raised.

    Returns
    -------
    dict
        Identifiers, arm, stratum, covariates, drawn parameters, scan sums
        (``sld_mm``, baseline first), ``new_lesion`` flags, death, dropout,
        last contact, crossover, ``status`` (``"ok"``/``"failed"``) and ``reason``.
    """
    t0 = time.perf_counter()
    base = {
        "patient_id": planned.position,
        "patient_index": planned.index,
        "arm": planned.arm,
        "stratum": planned.stratum,
    }
    try:
        rec = _simulate_patient_core(ctx, planned)
        rec.update(status="ok", reason="")
    except Exception as exc:  # noqa: BLE001 - a failed patient never stops the trial
        m = len(ctx.scan_days)
        rec = {
            "sld_mm": [np.nan] * m,
            "new_lesion": [False] * m,
            "death_day": np.nan,
            "death_cause": "",
            "dropout_day": np.nan,
            "last_contact_day": 0.0,
            "crossover": False,
            "crossover_day": np.nan,
            "nfev": 0,
            "status": "failed",
            "reason": f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500],
        }
        try:  # keep the baseline (known from the covariates) so the patient has a baseline scan
            p = drawn_patient(ctx, planned.index)
            rec.update(_covariates(p))
            rec["sld_mm"][0] = float(sld_from_cells_array([p.tumour_cells])[0])
        except Exception:  # noqa: BLE001, S110 - the covariates are a courtesy; the failure is recorded
            pass
    rec.update(base)
    rec["seconds"] = round(time.perf_counter() - t0, 4)
    return rec

