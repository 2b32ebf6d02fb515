"""Measure NumPy's normal- and exponential-ziggurat layer edges from its output (writes ``patients/_ziggurat.py``).

NumPy's ``Generator.standard_normal`` returns ``rabs * wi[idx]`` on its fast
path, where ``idx`` and ``rabs`` come from the 64-bit raw output and
``wi[i] = x_i / 2**52`` (``x_i`` the layer edges of Marsaglia and Tsang's
256-layer ziggurat, ``x_255 = r = 3.6541528853610088``). The edges are known
only to rounding (NumPy computed them in double precision), so this script
finds, for every layer, the double ``x_i`` that reproduces every fast-path
output NumPy gave over ``--n`` fresh patient generators, starting from the
60-digit construction. ``oncoimmune.patients._pcg64`` derives ``ki`` and ``fi``
from these edges as the construction does; ``tests/patients/test_pcg64.py``
compares whole draws with NumPy.

Run: ``python scripts/ziggurat_edges.py [--n 2000000]`` (about a minute).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "oncoimmune" / "patients" / "_ziggurat.py"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--seed", type=int, default=20261207)
    a = ap.parse_args()
    from oncoimmune.patients._pcg64 import (
        LaneStreams,
        _raw_first,
        construction_edges,
        construction_edges_exponential,
    )

    idx = np.arange(a.n)
    raw = np.empty(a.n, dtype=np.uint64)
    _raw_first(LaneStreams(a.seed, idx).state.copy(), raw)
    gens = [lambda i=i: np.random.default_rng(np.random.SeedSequence([a.seed, int(i)])) for i in idx]
    normal = np.array([g().standard_normal() for g in gens])
    expo = np.array([g().standard_exponential() for g in gens])
    edges = _measure(raw & np.uint64(0xFF), (raw >> np.uint64(9)) & np.uint64(0x000FFFFFFFFFFFFF), np.abs(normal),
                     construction_edges(), 2.0**52, "normal")
    edges_exp = _measure((raw >> np.uint64(3)) & np.uint64(0xFF), raw >> np.uint64(11), expo,
                         construction_edges_exponential(), 2.0**53, "exponential")
    lines = [
        '"""NumPy\'s ziggurat layer edges ``x_i`` (from ``scripts/ziggurat_edges.py``; do not edit).',
        "",
        f"Measured from {a.n:,} NumPy {np.__version__} draws (seed {a.seed}): each edge is the double that",
        "reproduces every fast-path output of its layer. Used by :mod:`oncoimmune.patients._pcg64`.",
        '"""',
        "",
        "#: Normal ziggurat (``standard_normal``), layer 0 the base strip's width.",
        "EDGES = (",
        *[f"    {float(x).hex()!r}," for x in edges],
        ")",
        "",
        "#: Exponential ziggurat (``standard_exponential``).",
        "EDGES_EXP = (",
        *[f"    {float(x).hex()!r}," for x in edges_exp],
        ")",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT} ({len(edges)} + {len(edges_exp)} edges)")


def _measure(layer_raw, mag_raw, out, x0, m1, what):  # noqa: ANN001, ANN202
    """Per layer, the edge ``x`` whose ``mag * x / m1`` reproduces every fast-path output ``out``."""
    layer = layer_raw.astype(np.int64)
    mag = mag_raw.astype(np.float64)
    edges = []
    for k in range(256):
        w0 = x0[k] / m1
        sel = layer == k
        ra, b = mag[sel], out[sel]
        near = np.abs(ra * w0 - b) <= 1e-12 * np.maximum(b, 1e-300)
        ra, b = ra[near], b[near]
        if ra.size < 20:
            raise SystemExit(f"{what} layer {k}: only {ra.size} usable outputs; raise --n")
        found = None
        for d in range(0, 4000):
            for c in (w0,) if d == 0 else (w0 + d * np.spacing(w0), w0 - d * np.spacing(w0)):
                if np.all(ra * c == b):
                    found = c
                    break
            if found is not None:
                break
        if found is None:
            raise SystemExit(f"{what} layer {k}: no edge within 4000 ulps reproduces NumPy")
        edges.append(found * m1)
    return edges


if __name__ == "__main__":
    main()
