"""Trial endpoints as functions of population hyperparameters, on the batched engine (issue 11, item 3).

The batched path solves the trials of all rows of X together; it must give the endpoints of the former
per-row SciPy path (same cohort, same draws, same RECIST/death/dropout rules), whatever the chunking.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("lifelines")

from oncoimmune._errors import UnknownNameError
from oncoimmune.sensitivity import trial_endpoint
from oncoimmune.trials.spec import load_trial_spec

REPO = Path(__file__).resolve().parents[2]

X = np.array([[0.006, 0.1], [0.02, 0.3], [0.045, 0.45]])  # k_kill, f_res


@pytest.fixture(scope="module")
def spec():
    return load_trial_spec(REPO / "examples" / "keynote024.toml")


@pytest.mark.parametrize(
    ("endpoint", "arm"),
    [("orr", "pembrolizumab"), ("pfs_median", "chemotherapy"), ("pfs_hr", "pembrolizumab")],
)
def test_batched_engine_gives_the_scipy_paths_endpoints(spec, endpoint, arm):
    kw = dict(arm=arm, n_patients=30, seed=11)
    fast = trial_endpoint(spec, ["k_kill", "f_res"], endpoint, **kw)
    slow = trial_endpoint(spec, ["k_kill", "f_res"], endpoint, engine="scipy", **kw)
    a, b = fast(X), slow(X)
    assert np.isfinite(a).any()  # a median not reached is inf on both paths
    if endpoint == "orr":
        np.testing.assert_array_equal(a, b)
    else:  # KM median (months), Cox HR: event times agree to the integrators' tolerance
        np.testing.assert_allclose(a, b, rtol=1e-4)
    assert a[0] != a[-1]  # the factor range matters


def test_chunking_does_not_change_results(spec):
    kw = dict(arm="chemotherapy", n_patients=30, seed=11)
    whole = trial_endpoint(spec, ["k_kill", "f_res"], "orr", **kw)(X)
    one_row_per_solve = trial_endpoint(spec, ["k_kill", "f_res"], "orr", chunk_patients=1, **kw)(X)
    np.testing.assert_array_equal(whole, one_row_per_solve)


def test_unknown_engine_and_bad_shape_are_refused(spec):
    with pytest.raises(UnknownNameError, match="scipy"):
        trial_endpoint(spec, ["k_kill"], "orr", n_patients=10, engine="numba")
    f = trial_endpoint(spec, ["k_kill"], "orr", n_patients=10)
    with pytest.raises(ValueError, match=r"shape \(n, 1\)"):
        f(X)
