r"""Functions whose sensitivity indices are known analytically, to check the pipeline.

Ishigami-Homma function
-----------------------
.. math::

    f(x) = \sin x_1 + a \sin^2 x_2 + b\, x_3^4 \sin x_1, \qquad x_i \sim U(-\pi, \pi)

with ``a = 7``, ``b = 0.1`` [1]_. Its variance decomposition is closed-form
(Sobol & Levitan 1999 [2]_; Saltelli et al. 2008 [3]_, section 4.8):

.. math::

    V_1 = \tfrac12 \left(1 + \tfrac{b \pi^4}{5}\right)^2,\quad
    V_2 = \tfrac{a^2}{8},\quad V_3 = 0,\quad
    V_{13} = b^2 \pi^8 \left(\tfrac{1}{18} - \tfrac{1}{50}\right),\quad
    V = V_1 + V_2 + V_{13}

so ``S1 = (0.3139, 0.4424, 0)`` and ``ST = (0.5576, 0.4424, 0.2437)``.

References
----------
.. [1] Ishigami T, Homma T (1990). An importance quantification technique in
   uncertainty analysis for computer models. Proc. ISUMA '90, pp. 398-403.
   doi:10.1109/ISUMA.1990.151285
.. [2] Sobol IM, Levitan YL (1999). On the use of variance reducing
   multipliers in Monte Carlo computations of a global sensitivity index.
   Comput Phys Commun 117:52-61. doi:10.1016/S0010-4655(98)00156-8
.. [3] Saltelli A, Ratto M, Andres T, et al. (2008). Global Sensitivity
   Analysis: The Primer. Wiley. doi:10.1002/9780470725184
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["ISHIGAMI_BOUNDS", "ishigami", "ishigami_indices"]

#: The Ishigami function's input ranges.
ISHIGAMI_BOUNDS = {"x1": (-math.pi, math.pi), "x2": (-math.pi, math.pi), "x3": (-math.pi, math.pi)}


def ishigami(X: Any, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """``sin x1 + a sin^2 x2 + b x3^4 sin x1`` for each row of ``X`` (shape ``(n, 3)``)."""
    X = np.asarray(X, dtype=float)
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, dict[str, float]]:
    """Analytic first-order and total Sobol indices of :func:`ishigami` (module docstring)."""
    pi = math.pi
    v1 = 0.5 * (1.0 + b * pi**4 / 5.0) ** 2
    v2 = a**2 / 8.0
    v13 = b**2 * pi**8 * (1.0 / 18.0 - 1.0 / 50.0)
    v = v1 + v2 + v13
    return {
        "S1": {"x1": v1 / v, "x2": v2 / v, "x3": 0.0},
        "ST": {"x1": (v1 + v13) / v, "x2": v2 / v, "x3": v13 / v},
    }
