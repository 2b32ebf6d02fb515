"""One compiled right-hand side serves NumPy and JAX (no second model definition)."""

from __future__ import annotations

import numpy as np
import pytest

from oncoimmune.library import get_model

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
jax.config.update("jax_enable_x64", True)


def test_same_rhs_in_numpy_and_jax_single_and_batched():
    cm = get_model("kuznetsov1994").compile()
    rng = np.random.default_rng(0)
    Y = np.abs(rng.normal(1e7, 3e6, size=(cm.n_states, 16)))
    P = cm.p0[:, None] * np.exp(rng.normal(0, 0.3, size=(cm.n_params, 16)))
    f_np, f_jx = cm.rhs(np), jax.jit(cm.rhs(jnp))
    np.testing.assert_allclose(np.asarray(f_jx(0.0, jnp.asarray(Y), jnp.asarray(P))), f_np(0.0, Y, P), rtol=1e-13)
    y1 = Y[:, 0]
    np.testing.assert_allclose(np.asarray(f_jx(0.0, jnp.asarray(y1), jnp.asarray(cm.p0))), f_np(0.0, y1, cm.p0), rtol=1e-13)


def test_jax_autodiff_matches_symbolic_jacobian():
    cm = get_model("kuznetsov1994").compile()
    y = np.array([2.0e5, 3.0e7])
    f = cm.rhs(jnp)
    J_ad = jax.jacfwd(lambda yy: f(0.0, yy, jnp.asarray(cm.p0)))(jnp.asarray(y))
    np.testing.assert_allclose(np.asarray(J_ad), cm.jacobian(np)(0.0, y, cm.p0), rtol=1e-12)
