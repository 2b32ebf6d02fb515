"""Each patient's own random streams: ``SeedSequence([trial_seed, index], spawn_key=...)``.

A patient's covariates, assays, parameter draws and event numbers come from
streams of their own, so a patient is the same whatever the cohort size, the
shard or the worker (cohorts, virtual patients and trials all draw here).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from .._errors import PatientInputError, UnknownNameError

__all__ = ["STREAMS", "patient_rng", "patient_seed_sequence"]

STREAMS: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {"covariates": (), "assays": (1,), "parameters": (2,), "events": (3,)}
)


def _check_seed(what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        reason = f"must be a whole number >= 0 (e.g. {what}=2024); got {value!r}"
        err = PatientInputError(f"{what}: {reason}")
        err.field, err.reason = what, reason  # type: ignore[attr-defined]
        raise err
    return int(value)


def patient_seed_sequence(
    trial_seed: int, index: int, stream: str = "covariates", *subkeys: int | str
) -> np.random.SeedSequence:
    """The :class:`~numpy.random.SeedSequence` of one patient stream.

    Parameters
    ----------
    trial_seed, index : int
        Whole numbers >= 0.
    stream : {"covariates", "assays", "parameters", "events"}
    *subkeys : int or str
        Further keys (a string is turned into its CRC-32, e.g. a parameter name).

    Returns
    -------
    numpy.random.SeedSequence
        ``SeedSequence([trial_seed, index], spawn_key=STREAMS[stream] + subkeys)``.
    """
    s = _check_seed("trial_seed", trial_seed)
    i = _check_seed("index", index)
    if stream not in STREAMS:
        raise UnknownNameError("patient stream", str(stream), tuple(STREAMS))
    keys = tuple(zlib.crc32(k.encode("utf-8")) if isinstance(k, str) else int(k) for k in subkeys)
    spawn_key = STREAMS[stream] + keys
    if not spawn_key:
        return np.random.SeedSequence([s, i])
    return np.random.SeedSequence([s, i], spawn_key=spawn_key)


def patient_rng(
    trial_seed: int, index: int, stream: str = "covariates", *subkeys: int | str
) -> np.random.Generator:
    """A fresh :class:`~numpy.random.Generator` on one patient stream (see :func:`patient_seed_sequence`)."""
    return np.random.default_rng(patient_seed_sequence(trial_seed, index, stream, *subkeys))
