"""Shared observables: tumour size in clinical units.

References
----------
.. [1] Del Monte U (2009). Does the cell number 10^9 still really fit one gram
   of tumor tissue? Cell Cycle 8:505-506. (1e9 cells ~ 1 cm^3 ~ 1 g.)
"""

from __future__ import annotations

import math

from ..model.components import Observable
from ..model.expr import Expr, Sym

#: Tumour cells per cm^3 of tumour tissue (Del Monte 2009).
CELLS_PER_CM3 = 1.0e9


def tumour_diameter_mm(tumour: str = "T", cells_per_cm3: float = CELLS_PER_CM3, scale: float = 1.0) -> Observable:
    """Diameter (mm) of a sphere holding the tumour cells: ``10*(6V/pi)^(1/3)``, ``V = cells/1e9`` cm^3.

    ``scale`` converts the state to cells (e.g. 1e6 for a model in units of 1e6 cells).
    """
    k = 10.0 * (6.0 / (math.pi * cells_per_cm3)) ** (1.0 / 3.0) * scale ** (1.0 / 3.0)
    T: Expr = Sym(tumour)
    return Observable(
        name="tumour_diameter",
        expr=k * T ** (1.0 / 3.0),
        units="mm",
        description="diameter of a sphere holding all tumour cells (1e9 cells per cm^3)",
    )
