"""Stage 1: screen, enrol and randomise (:func:`plan_trial`).

Patients are drawn in index order from the spec's population and tested as in
the clinic (:func:`oncoimmune.patients.cohort.screen`) until ``n`` are
eligible, then allocated by permuted blocks (:func:`allocate`).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .context import TrialRunError
from .spec import TrialSpec

__all__ = ["PlannedPatient", "TrialPlan", "allocate", "plan_trial"]

_STRATUM_ATTRS = {
    "ecog": "ecog",
    "histology": "histology",
    "sex": "sex",
    "stage": "stage",
    "prior_lines": "prior_lines",
}



@dataclass(frozen=True)
class PlannedPatient:
    """One enrolled patient: enrolment position, screening index, arm, stratum and follow-up.

    ``follow_up_days``: days from the patient's randomisation to the data cut-off
    (:meth:`~oncoimmune.trials.spec.TrialSpec.follow_up_days`, by enrolment position;
    ``inf``: the trial's horizon).
    """

    position: int
    index: int
    arm: str
    stratum: str
    follow_up_days: float = math.inf


@dataclass(frozen=True)
class TrialPlan:
    """Who is enrolled, in which arm, and how screening went."""

    patients: tuple[PlannedPatient, ...]
    screening: Mapping[str, Any]

    def shards(self, shard_size: int) -> list[dict[str, Any]]:
        """Shard plan: ``[{"id", "positions": [first, stop)}]`` in enrolment order."""
        n = len(self.patients)
        return [
            {"id": k, "positions": [s, min(s + shard_size, n)]} for k, s in enumerate(range(0, n, shard_size))
        ]


def _stratum(patient: Any, factors: Sequence[str]) -> str:
    if not factors:
        return "all"
    return "|".join(f"{f}={getattr(patient, _STRATUM_ATTRS[f])}" for f in factors)


def allocate(spec: TrialSpec, strata: Sequence[str]) -> list[str]:
    """Arms of the enrolled patients (in enrolment order) by stratified permuted blocks.

    Parameters
    ----------
    spec : TrialSpec
    strata : sequence of str
        Stratum label of each enrolled patient (``"all"`` without stratification).

    Returns
    -------
    list of str
        Without ``randomisation.stratify`` this is ``spec.allocation(n)``.
        With it, each stratum has its own sequence of blocks; block ``b`` of the
        stratum labelled ``L`` is permuted by
        ``default_rng(SeedSequence([randomisation.seed, crc32(L), b]))``, so a
        patient's arm depends only on the patients enrolled before them in the
        same stratum.
    """
    n = len(strata)
    if spec.randomisation is None or not spec.randomisation.stratify:
        return list(spec.allocation(n))
    total = sum(a.ratio for a in spec.arms)
    per = spec.randomisation.block_size // total
    block = [a.name for a in spec.arms for _ in range(a.ratio * per)]
    queues: dict[str, list[str]] = {}
    blocks_used: dict[str, int] = {}
    out = []
    for label in strata:
        q = queues.setdefault(label, [])
        if not q:
            b = blocks_used.get(label, 0)
            key = zlib.crc32(label.encode("utf-8"))
            rng = np.random.default_rng(np.random.SeedSequence([spec.randomisation.seed, key, b]))
            q.extend(block[k] for k in rng.permutation(len(block)))
            blocks_used[label] = b + 1
        out.append(q.pop(0))
    return out


def plan_trial(spec: TrialSpec, n_patients: int, seed: int) -> TrialPlan:
    """Screen, enrol and randomise ``n_patients`` (see the module docstring).

    Raises
    ------
    TrialRunError
        If fewer than ``n_patients`` eligible patients are found.
    """
    import warnings

    from ..patients.cohort import screen

    pop = spec.to_population()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sc = screen(pop, seed, n_patients)
    if not sc.complete:
        raise TrialRunError(
            f"population: only {len(sc.enrolled)} of {n_patients} patients were eligible among {sc.screened} "
            f"screened (failures: {dict(sc.failures)}); relax population.inclusion or enrol fewer (--patients)"
        )
    factors = list(spec.randomisation.stratify) if spec.randomisation is not None else []
    strata = [_stratum(p, factors) for p in sc.enrolled]
    arms = allocate(spec, strata)
    follow = spec.follow_up_days(len(sc.enrolled))
    patients = tuple(
        PlannedPatient(position=k, index=p.index, arm=a, stratum=s, follow_up_days=float(f))
        for k, (p, a, s, f) in enumerate(zip(sc.enrolled, arms, strata, follow))
    )
    return TrialPlan(patients=patients, screening=sc.summary())

