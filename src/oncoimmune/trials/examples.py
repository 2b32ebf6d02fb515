"""Trial specs shipped inside the package, so an installed copy (the web server) can run them.

``examples/keynote024.toml`` in the repository is the worked example; the package
carries a byte-identical copy in ``oncoimmune/trials/specs/`` (a test checks they
are the same: edit the example, then copy it there).
"""

from __future__ import annotations

from importlib import resources

from .._errors import UnknownNameError
from .spec import TrialSpec

__all__ = ["example_spec", "example_spec_names", "example_spec_text"]


def example_spec_names() -> list[str]:
    """Names of the bundled trial specs (file stems), e.g. ``["keynote024"]``."""
    files = resources.files(__package__).joinpath("specs")
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml"))


def example_spec_text(name: str) -> str:
    """The TOML text of the bundled spec ``name``.

    Raises
    ------
    UnknownNameError
        If there is no such bundled spec (the message lists them).
    """
    names = example_spec_names()
    if name not in names:
        raise UnknownNameError("trial spec", name, names)
    return resources.files(__package__).joinpath("specs", f"{name}.toml").read_text(encoding="utf-8")


def example_spec(name: str) -> TrialSpec:
    """The bundled trial spec ``name`` as a validated :class:`~oncoimmune.trials.spec.TrialSpec`."""
    return TrialSpec.from_toml(example_spec_text(name), source=f"oncoimmune/trials/specs/{name}.toml")
