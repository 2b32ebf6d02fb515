"""Lane streams against NumPy: the same states, uniforms and normals, draw for draw."""

from __future__ import annotations

import numpy as np
import pytest

from oncoimmune.patients._pcg64 import LaneStreams, construction_edges, ziggurat_tables
from oncoimmune.patients.streams import patient_rng, patient_seed_sequence


@pytest.mark.parametrize(
    "seed, indices, key",
    [
        (2016, range(0, 300), ()),
        (7, range(10**6, 10**6 + 50), ("covariates", "design")),
        (0, range(0, 40), ("assays",)),
        (2**40 + 3, [0, 1, 2**32 + 5, 2**33], ("parameters", "k_kill")),
        (123, [5, 6], ("events", 4, 2**35)),
    ],
)
def test_states_match_numpy(seed, indices, key):
    stream, *sub = key if key else ("covariates",)
    ls = LaneStreams(seed, list(indices), patient_seed_sequence(seed, 0, stream, *sub).spawn_key)
    for k, i in enumerate(indices):
        st = patient_rng(seed, i, stream, *sub).bit_generator.state["state"]
        assert (int(ls.state[k, 0]) << 64 | int(ls.state[k, 1])) == st["state"]
        assert (int(ls.state[k, 2]) << 64 | int(ls.state[k, 3])) == st["inc"]


def test_uniforms_and_normals_match_numpy_draw_for_draw():
    idx = np.arange(1000)
    ls = LaneStreams(99, idx)
    gens = [patient_rng(99, int(i)) for i in idx]
    # interleave kinds, and advance only some lanes (a lane's stream does not depend on the others)
    for step in range(300):
        lanes = idx if step % 5 else idx[idx % 3 == 0]
        if step % 2:
            got, want = ls.random(lanes), [gens[k].random() for k in lanes]
        else:
            got, want = ls.standard_normal(lanes), [gens[k].standard_normal() for k in lanes]
        np.testing.assert_array_equal(got, np.array(want))


def test_normal_tail_and_wedges_match_numpy():
    # 400,000 normals: about 100 from the tail beyond r and about 2,800 from wedge tests
    idx = np.arange(2000)
    ls = LaneStreams(5, idx)
    got = np.stack([ls.standard_normal() for _ in range(200)], axis=1)
    want = np.stack([patient_rng(5, int(i)).standard_normal(200) for i in idx])
    assert (np.abs(want) > 3.6541528853610088).sum() > 50
    np.testing.assert_array_equal(got, want)


def test_measured_edges_close_to_the_construction():
    _, wi, _ = ziggurat_tables()
    x = wi * 2.0**52
    exact = construction_edges()
    assert x[255] == 3.6541528853610088
    np.testing.assert_allclose(x, exact, rtol=1e-13, atol=0)


def test_negative_index_refused():
    with pytest.raises(ValueError, match="indices"):
        LaneStreams(1, [-1])


def test_exponentials_match_numpy_tail_and_wedges_included():
    idx = np.arange(2000)
    ls = LaneStreams(11, idx, (3,))
    got = np.stack([ls.standard_exponential() if k % 3 else ls.random() for k in range(150)], axis=1)
    want = np.empty_like(got)
    for j, i in enumerate(idx):
        g = patient_rng(11, int(i), "events")
        want[j] = [g.standard_exponential() if k % 3 else g.random() for k in range(150)]
    assert (want > 7.6971174701310497).sum() > 10  # the tail beyond r
    np.testing.assert_array_equal(got, want)


def test_event_draws_equal_one_generator_per_patient():
    from oncoimmune.trials.sample import event_draws

    idx = [0, 5, 17, 2**33]
    d = event_draws(4, idx)
    for j, i in enumerate(idx):
        g = patient_rng(4, i, "events")
        u = g.random(3)
        assert (d.dropout[j], d.background[j], d.crossover[j], d.new_lesion[j]) == (u[0], u[1], u[2], g.standard_exponential())


def test_permutations_match_numpy_generators():
    from oncoimmune.patients._pcg64 import permutations

    rng = np.random.default_rng(0)
    ents = [[int(rng.integers(0, 2**40)), int(rng.integers(0, 2**32)), int(rng.integers(0, 10**6))] for _ in range(500)]
    ents += [[0, 0, 0], [2**63, 5, 2**33], [7]]
    for n in (0, 1, 2, 3, 4, 6, 12, 1000):  # 1000: masks reject draws (random_interval's rejection loop)
        want = np.array([np.random.default_rng(np.random.SeedSequence(e)).permutation(n) for e in ents])
        np.testing.assert_array_equal(permutations(ents, n), want.reshape(len(ents), n))
    with pytest.raises(ValueError, match="n must"):
        permutations([[1]], -1)
