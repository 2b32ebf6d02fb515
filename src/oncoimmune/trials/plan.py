"""Stage 1: screen, enrol and randomise (:func:`plan_trial`).

Patients are drawn in index order from the spec's population and tested as in
the clinic (:func:`oncoimmune.patients.cohort.screen`; in lanes where the
population allows, :func:`screen_outcomes`) until ``n`` are eligible, then
allocated by permuted blocks (:func:`allocate`).
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .context import TrialRunError, gc_paused
from .spec import TrialSpec

__all__ = ["PlannedPatient", "ScreeningMismatch", "TrialPlan", "allocate", "plan_trial", "screen_outcomes", "stratum_of"]

_STRATUM_ATTRS = {
    "ecog": "ecog",
    "histology": "histology",
    "sex": "sex",
    "stage": "stage",
    "prior_lines": "prior_lines",
    "region": "region",
}
#: Factors read from a reported assay category (the clinic stratifies on the laboratory's result).
_STRATUM_ASSAYS = ("pdl1", "pdl1_sp142")


def stratum_of(patient: Any, factor: str) -> str:
    """The value of stratification ``factor`` for a tested patient.

    Covariates (``ecog``, ``histology``, ``sex``, ``stage``, ``prior_lines``, ``region``)
    are read from the patient; ``pdl1`` (22C3 TPS: negative / low / high) and
    ``pdl1_sp142`` (SP142 TC/IC level) are the **reported** assay categories, as
    an interactive randomisation system receives them.
    """
    if factor in _STRATUM_ASSAYS:
        r = patient.assays.get(factor)
        return "untested" if r is None else str(r.category)
    return str(getattr(patient, _STRATUM_ATTRS[factor]))



class PlannedPatient(NamedTuple):
    """One enrolled patient: enrolment position, screening index, arm, stratum and follow-up.

    ``follow_up_days``: days from the patient's randomisation to the data cut-off
    (:meth:`~oncoimmune.trials.spec.TrialSpec.follow_up_days`, by enrolment position;
    ``inf``: the trial's horizon). A named tuple (immutable, like the frozen dataclass it
    was, and made about four times faster: a million-patient plan makes a million of them).
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
    return "|".join(f"{f}={stratum_of(patient, f)}" for f in factors)


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
    from ..patients._pcg64 import permutations

    total = sum(a.ratio for a in spec.arms)
    per = spec.randomisation.block_size // total
    block = np.array([a.name for a in spec.arms for _ in range(a.ratio * per)], dtype=object)
    labels, inverse = np.unique(np.asarray(strata, dtype=object), return_inverse=True)
    out = np.empty(n, dtype=object)
    for j, label in enumerate(labels):
        # the stratum's patients take its blocks in order: all blocks drawn at once (the generators of
        # default_rng(SeedSequence([seed, crc32(label), b])) in lanes, bit for bit)
        where = np.flatnonzero(inverse == j)
        key = zlib.crc32(str(label).encode("utf-8"))
        n_blocks = -(-where.size // block.size)
        perms = permutations([(spec.randomisation.seed, key, b) for b in range(n_blocks)], block.size)
        out[where] = block[perms].ravel()[: where.size]
    return out.tolist()


#: Candidates screened per chunk of :func:`~oncoimmune.patients.cohort.iter_screening` (memory only).
SCREEN_CHUNK = 4096


#: A screened candidate as the plan keeps it: (index, stratum or None if not eligible, failed criteria).
_Outcome = tuple[int, Any, tuple[str, ...]]


def _outcome(r: Any, factors: Sequence[str]) -> _Outcome:
    if r.eligible:
        return r.index, _stratum(r.patient, factors), ()
    return r.index, None, tuple(sorted({c for c, _ in r.failures}))  # a criterion once per patient


@dataclass
class ScreenedBlock:
    """The outcomes of consecutive candidates, packed (what a screening task returns).

    ``indices``: the candidates, in order; ``eligible``: positions (into ``indices``) of the
    eligible ones and ``strata`` their stratum labels; ``failed_at``: positions of the others
    and ``failed_code`` the row of ``failures`` (the distinct sorted tuples of failed criteria)
    that each failed. Arrays and a few strings rather than one tuple per candidate: a
    million-patient trial screens about four million candidates.
    """

    indices: np.ndarray
    eligible: np.ndarray
    strata: list[str]
    failed_at: np.ndarray
    failed_code: np.ndarray
    failures: list[tuple[str, ...]]

    @classmethod
    def pack(cls, indices: Any, strata: Sequence[Any], failed: Sequence[tuple[str, ...]]) -> "ScreenedBlock":
        """From the stratum (``None``: not eligible) and failed criteria of each candidate."""
        elig = [k for k, st in enumerate(strata) if st is not None]
        codes: dict[tuple[str, ...], int] = {}
        at, code = [], []
        for k, st in enumerate(strata):
            if st is None:
                at.append(k)
                code.append(codes.setdefault(tuple(failed[k]), len(codes)))
        return cls(
            np.asarray(indices, dtype=np.int64), np.array(elig, dtype=np.int64), [strata[k] for k in elig],
            np.array(at, dtype=np.int64), np.array(code, dtype=np.int64), list(codes),
        )

    def outcomes(self) -> list[_Outcome]:
        """One ``(index, stratum or None, failed criteria)`` per candidate, in order."""
        out: list[_Outcome] = [(int(i), None, ()) for i in self.indices]
        for k, st in zip(self.eligible.tolist(), self.strata):
            out[k] = (out[k][0], st, ())
        for k, c in zip(self.failed_at.tolist(), self.failed_code.tolist()):
            out[k] = (out[k][0], None, self.failures[c])
        return out


def _screen(
    spec: TrialSpec, n_patients: int, seed: int, factors: Sequence[str], workers: int = 1
) -> tuple[list[tuple[int, str]], dict[str, Any]]:
    """Screen in index order until ``n_patients`` are eligible, keeping only what the plan needs.

    The same patients as :func:`oncoimmune.patients.cohort.screen` (candidates come
    in index order, each from their own stream), but where ``screen`` keeps every
    candidate, tested (several GB for a million-patient trial that screens three
    million), this keeps the enrolled indices and strata and the failure counts.
    With ``workers > 1`` the candidates are screened in that many processes
    (:func:`_parallel_blocks`) and read here in the same order, a block at a time.
    """
    source = (
        _parallel_blocks(spec, n_patients, seed, factors, workers)
        if workers > 1
        else _serial_blocks(spec, n_patients, seed, factors)
    )
    enrolled: list[tuple[int, str]] = []
    counts: Counter[str] = Counter()
    n_failed, last = 0, -1
    try:
        for blk in source:
            need = n_patients - len(enrolled)
            if need <= 0:
                break
            take = blk.eligible[:need]
            # candidates read: up to the last patient needed (the whole block if it holds too few)
            end = int(take[-1]) + 1 if take.size == need else blk.indices.size
            if end == 0:
                continue
            enrolled.extend(zip(blk.indices[take].tolist(), blk.strata[:need]))
            last = int(blk.indices[end - 1])
            codes = blk.failed_code[blk.failed_at < end]
            n_failed += int(codes.size)
            for c, m in enumerate(np.bincount(codes, minlength=len(blk.failures)).tolist()):
                for crit in blk.failures[c]:
                    counts[crit] += m
    finally:
        source.close()  # stops a worker pool at once
    summary = {
        "screened": last + 1,
        "enrolled": len(enrolled),
        "screen_failures": n_failed,
        "failures_by_criterion": {k: v for k, v in counts.items() if v},
        "target": n_patients,
        "complete": len(enrolled) >= n_patients,
    }
    return enrolled, summary


def _serial_blocks(spec: TrialSpec, n_patients: int, seed: int, factors: Sequence[str]) -> Iterator[ScreenedBlock]:
    from ..patients.cohort import screening_limit

    pop = spec.to_population()
    limit = screening_limit(n_patients)
    size = min(SCREEN_CHUNK, max(64, 4 * n_patients))  # a small trial screens a small first block
    for a in range(0, limit, size):
        yield screen_block_outcomes(pop, seed, a, min(a + size, limit), tuple(factors))
        size = SCREEN_CHUNK


#: One candidate in this many (and the first three) is also screened one by one and compared.
SCREEN_CHECK_EVERY = 200


class ScreeningMismatch(TrialRunError):
    """Screening in lanes and one by one disagreed on a candidate (a bug: please report it)."""


def screen_outcomes(pop: Any, seed: int, start: int, stop: int, factors: tuple[str, ...]) -> list[_Outcome]:
    """The plan's outcomes of candidates ``start <= index < stop``, in index order:
    ``(index, stratum or None, failed criteria)`` (see :func:`screen_block_outcomes`)."""
    return screen_block_outcomes(pop, seed, start, stop, factors).outcomes()


def screen_block_outcomes(pop: Any, seed: int, start: int, stop: int, factors: tuple[str, ...]) -> ScreenedBlock:
    """The plan's outcomes of candidates ``start <= index < stop``, packed.

    Candidates are screened in lanes (:func:`oncoimmune.patients.lanes.screen_block`,
    the same patients as one by one, about 20 times faster) when the population
    allows it, else one by one (:func:`oncoimmune.patients.cohort.screen_patient`).
    The first three candidates and one in :data:`SCREEN_CHECK_EVERY` are screened
    both ways; a difference raises :class:`ScreeningMismatch`.
    """
    from ..patients.cohort import screen_patient
    from ..patients.lanes import screen_block, supported

    if supported(pop) is not None:
        outs = [_outcome(screen_patient(pop, seed, i), factors) for i in range(start, stop)]
        return ScreenedBlock.pack([o[0] for o in outs], [o[1] for o in outs], [o[2] for o in outs])
    block = screen_block(pop, seed, range(start, stop), factors)
    strata, failed = list(block.strata), list(block.failed)
    for k in block.scalar:  # no plausible candidate within max_draws: the one-by-one path raises why
        _, strata[k], failed[k] = _outcome(screen_patient(pop, seed, int(block.indices[k])), factors)
    first = -(-start // SCREEN_CHECK_EVERY) * SCREEN_CHECK_EVERY
    checked = sorted({i for i in range(start, min(stop, 3))} | set(range(first, stop, SCREEN_CHECK_EVERY)))
    for i in checked:
        k = i - start
        got = (i, strata[k], () if strata[k] is not None else tuple(failed[k]))
        want = _outcome(screen_patient(pop, seed, i), factors)
        if want != got:
            raise ScreeningMismatch(
                f"screening candidate {i} (seed {seed}) in lanes gave {got[1:]}, one by one {want[1:]}; "
                "this is a bug in oncoimmune.patients.lanes, please report it"
            )
    return ScreenedBlock.pack(block.indices, strata, failed)


#: Most candidates per task when screening runs in several processes (:func:`_parallel_blocks`).
PARALLEL_SCREEN_CHUNK = 100_000
#: Fewest candidates per task.
PARALLEL_SCREEN_CHUNK_MIN = 4_096
#: Trials smaller than this are screened in one process (a pool costs more than it saves: in lanes a
#: candidate takes a few microseconds).
PARALLEL_SCREEN_MIN = 250_000
_SCREEN_CACHE: dict[str, Any] = {}


def _screen_chunk(spec_toml: str, seed: int, start: int, stop: int, factors: tuple[str, ...]) -> ScreenedBlock:
    """The outcomes of candidates ``start <= index < stop`` (a worker's task)."""
    pop = _SCREEN_CACHE.get(spec_toml)
    if pop is None:
        _SCREEN_CACHE.clear()
        pop = _SCREEN_CACHE[spec_toml] = TrialSpec.from_toml(spec_toml).to_population()
    return screen_block_outcomes(pop, seed, start, stop, factors)


def _parallel_blocks(
    spec: TrialSpec, n_patients: int, seed: int, factors: Sequence[str], workers: int
) -> Iterator[ScreenedBlock]:
    """Blocks of candidates' outcomes in index order, screened by ``workers`` processes.

    Blocks are submitted ahead of need (``2 * workers`` in flight); the reader
    stops when it has enough patients and the surplus is discarded.
    """
    from ..patients.cohort import screening_limit
    from .pool import _pool

    spec_toml = spec.to_toml()
    limit = screening_limit(n_patients)
    # tasks of about n / (2 workers) candidates (screening needs more candidates than patients), within bounds
    size = min(PARALLEL_SCREEN_CHUNK, max(PARALLEL_SCREEN_CHUNK_MIN, n_patients // (2 * workers)))
    starts = iter(range(0, limit, size))
    with _pool(workers) as pool:  # fork or spawn as the shards' pool; workers die with the driver
        pending = []

        def submit() -> None:
            a = next(starts, None)
            if a is not None:
                pending.append(pool.submit(_screen_chunk, spec_toml, seed, a, min(a + size, limit), tuple(factors)))

        for _ in range(2 * workers):
            submit()
        try:
            while pending:
                blk = pending.pop(0).result()
                submit()
                yield blk
        finally:
            for f in pending:
                f.cancel()


def plan_trial(spec: TrialSpec, n_patients: int, seed: int, *, workers: int = 1) -> TrialPlan:
    """Screen, enrol and randomise ``n_patients`` (see the module docstring).

    With ``workers > 1`` and at least :data:`PARALLEL_SCREEN_MIN` patients, screening
    runs in that many processes (the same plan: each candidate has their own stream).

    Raises
    ------
    TrialRunError
        If fewer than ``n_patients`` eligible patients are found.
    """
    factors = list(spec.randomisation.stratify) if spec.randomisation is not None else []
    with gc_paused():
        enrolled, summary = _screen(
            spec, n_patients, seed, factors, workers if n_patients >= PARALLEL_SCREEN_MIN else 1
        )
    if not summary["complete"]:
        raise TrialRunError(
            f"population: only {len(enrolled)} of {n_patients} patients were eligible among {summary['screened']} "
            f"screened (failures: {summary['failures_by_criterion']}); relax population.inclusion or enrol fewer "
            "(--patients)"
        )
    strata = [s for _, s in enrolled]
    arms = allocate(spec, strata)
    follow = spec.follow_up_days(len(enrolled))
    patients = tuple(
        PlannedPatient(position=k, index=idx, arm=a, stratum=st, follow_up_days=float(f))
        for k, ((idx, st), a, f) in enumerate(zip(enrolled, arms, follow))
    )
    return TrialPlan(patients=patients, screening=summary)
