"""Measure NumPy's normal-ziggurat layer edges from its output (writes ``patients/_ziggurat.py``).

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
    from oncoimmune.patients._pcg64 import LaneStreams, construction_edges

    idx = np.arange(a.n)
    raw = np.empty(a.n, dtype=np.uint64)
    ls = LaneStreams(a.seed, idx)
    from oncoimmune.patients._pcg64 import _raw_first

    _raw_first(ls.state.copy(), raw)
    got = np.array([np.random.default_rng(np.random.SeedSequence([a.seed, int(i)])).standard_normal() for i in idx])
    layer = (raw & np.uint64(0xFF)).astype(np.int64)
    rabs = ((raw >> np.uint64(9)) & np.uint64(0x000FFFFFFFFFFFFF)).astype(np.float64)
    m1 = 2.0**52
    x0 = construction_edges()
    edges = []
    for k in range(256):
        w0 = x0[k] / m1
        sel = layer == k
        ra, b = rabs[sel], np.abs(got[sel])
        # outputs of this layer that are rabs * w (fast path, or an accepted wedge point) within 1e-12
        near = np.abs(ra * w0 - b) <= 1e-12 * np.maximum(b, 1e-300)
        ra, b = ra[near], b[near]
        if ra.size < 20:
            raise SystemExit(f"layer {k}: only {ra.size} usable outputs; raise --n")
        found = None
        for d in range(0, 2000):
            for c in {w0 + 0.0} if d == 0 else (w0 + d * np.spacing(w0), w0 - d * np.spacing(w0)):
                if np.all(ra * c == b):
                    found = c
                    break
            if found is not None:
                break
        if found is None:
            raise SystemExit(f"layer {k}: no edge within 2000 ulps reproduces NumPy")
        edges.append(found * m1)
    lines = [
        '"""NumPy\'s normal-ziggurat layer edges ``x_i`` (written by ``scripts/ziggurat_edges.py``; do not edit).',
        "",
        f"Measured from {a.n:,} NumPy {np.__version__} draws (seed {a.seed}): each edge is the double that",
        "reproduces every fast-path output of its layer. Used by :mod:`oncoimmune.patients._pcg64`.",
        '"""',
        "",
        "EDGES = (",
        *[f"    {float(x).hex()!r}," for x in edges],
        ")",
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT} ({len(edges)} edges)")


if __name__ == "__main__":
    main()
