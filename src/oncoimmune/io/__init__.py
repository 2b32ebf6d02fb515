"""Reading and writing: simulation specs (TOML) and results (Parquet, run directories).

See :mod:`oncoimmune.io.spec` and :mod:`oncoimmune.io.results`.
"""

from .results import (
    PLOT_FILE,
    SPEC_FILE,
    TRAJECTORY_FILE,
    ResultsFileError,
    atomic_directory,
    atomic_write,
    check_output_dir,
    read_trajectory,
    write_run,
    write_trajectory,
)
from .spec import SimulationSpec, dumps_toml, load_spec

__all__ = [
    "PLOT_FILE",
    "SPEC_FILE",
    "TRAJECTORY_FILE",
    "ResultsFileError",
    "SimulationSpec",
    "atomic_directory",
    "atomic_write",
    "check_output_dir",
    "dumps_toml",
    "load_spec",
    "read_trajectory",
    "write_run",
    "write_trajectory",
]
