"""Global sensitivity analysis: Sobol and Morris (SALib) and PRCC, over any function, model output or trial endpoint.

>>> from oncoimmune.sensitivity import sobol
>>> from oncoimmune.sensitivity.test_functions import ishigami, ISHIGAMI_BOUNDS
>>> res = sobol(ishigami, ISHIGAMI_BOUNDS, n=1024, seed=1)
>>> round(res["ST"]["x3"], 1)
0.2
"""

from ._core import METHODS, SensitivityError, SensitivityResult, morris, prcc, run, sobol
from .outputs import STATISTICS, TRIAL_ENDPOINTS, ModelOutput, model_output, trial_endpoint

__all__ = [
    "METHODS",
    "STATISTICS",
    "TRIAL_ENDPOINTS",
    "ModelOutput",
    "SensitivityError",
    "SensitivityResult",
    "model_output",
    "morris",
    "prcc",
    "run",
    "sobol",
    "trial_endpoint",
]
