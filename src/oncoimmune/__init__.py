"""oncoimmune: simulate how the immune system fights cancer and how immunotherapy changes that fight.

The data flow is *declare -> compose -> compile -> solve*: a
:class:`~oncoimmune.model.Model` is data, mechanisms and interventions are pure
functions ``Model -> Model``, and :func:`simulate` joins a model, its events
and an engine into a labelled :class:`xarray.Dataset` with provenance.
"""

from ._errors import (
    EngineError,
    ModelSpecError,
    OncoimmuneError,
    ParameterValueError,
    ScheduleError,
    SpecFileError,
    UnknownNameError,
)
from ._version import __version__
from .model import (
    Distribution,
    Event,
    Model,
    Observable,
    Parameter,
    Source,
    State,
    Sym,
    Term,
)
from .simulate import simulate

__all__ = [
    "Distribution",
    "EngineError",
    "Event",
    "Model",
    "ModelSpecError",
    "Observable",
    "OncoimmuneError",
    "Parameter",
    "ParameterValueError",
    "ScheduleError",
    "Source",
    "SpecFileError",
    "State",
    "Sym",
    "Term",
    "UnknownNameError",
    "__version__",
    "simulate",
]
