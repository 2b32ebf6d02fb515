"""Request and response models of the JSON API, with the limits every request is held to.

Each request model forbids unknown fields (``extra="forbid"``) and bounds every
number, list and string, so the OpenAPI schema states the limits and a request
outside them is answered with 422 naming the field. The limits are module
constants (documented in ``docs/web.md``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "LIMITS",
    "JobRequest",
    "SBMLRequest",
    "SimulateRequest",
]

#: The limits of the JSON API (also served at ``GET /api/limits``).
LIMITS: dict[str, Any] = {
    "max_days": 20000.0,
    "max_band_patients": 1000,
    "max_trial_patients": 1000,
    "max_concurrent_jobs": 2,
    "max_body_bytes": 65536,
    "max_points": 2001,
    "max_therapies": 4,
    "max_set": 64,
    "max_vary": 64,
    "max_patient_days": 1_000_000,
}

_NAME = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
#: characters of an SBML upload (a JSON string of at most this many characters; bytes are checked on import)
SBML_MAX_CHARS = 2 * 1024 * 1024
#: request bodies on ``POST /api/sbml`` may be this large (the text, JSON-escaped); every other path
#: keeps ``LIMITS["max_body_bytes"]``
SBML_MAX_BODY_BYTES = 3 * 1024 * 1024
_THERAPY = r"^[A-Za-z0-9_.:*/+\- ]{1,100}$"

EscapeName = Literal["lymphopenia", "pdl1_checkpoint", "antigen_loss"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, protected_namespaces=())


class SBMLRequest(_Strict):
    """The text of an SBML file to import (``POST /api/sbml``)."""

    sbml: str = Field(
        min_length=1,
        max_length=SBML_MAX_CHARS,
        description="The SBML file's text (UTF-8, starting with '<'); at most max_sbml_bytes (GET /api/limits).",
        examples=['<?xml version="1.0" encoding="UTF-8"?><sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" '
                  'level="3" version="2"><model id="m"/></sbml>'],
    )


class SimulateRequest(_Strict):
    """One scenario: a library or imported SBML model, escapes, therapies, slider values; one patient or a band."""

    model: str = Field(
        pattern=r"^[a-z0-9_]{1,64}$", description="Library model id (GET /api/models), or an imported SBML model's "
        "id (sbml_..., from POST /api/sbml).", examples=["kuznetsov1994"]
    )
    days: float | None = Field(
        default=None, gt=0, le=LIMITS["max_days"], description="Days to simulate; default: the model's default."
    )
    set: dict[str, float] = Field(
        default_factory=dict,
        max_length=LIMITS["max_set"],
        description="Parameter or initial-value changes by name (within the parameter's bounds).",
        examples=[{"T": 5e8}],
    )
    escapes: dict[EscapeName, float] = Field(
        default_factory=dict,
        description="Escape mechanisms switched on, with their strength (lymphopenia and antigen_loss in [0, 1], "
        "pdl1_checkpoint >= 0).",
        examples=[{"pdl1_checkpoint": 1.0}],
    )
    therapies: list[str] = Field(
        default_factory=list,
        max_length=LIMITS["max_therapies"],
        description="DRUG[:DOSE][:SCHEDULE] texts from the catalogue (GET /api/drugs).",
        examples=[["pembrolizumab:200mg:q3w"]],
    )
    weight_kg: float = Field(default=70.0, ge=20, le=250, description="Body weight for weight-based doses (kg).")
    height_cm: float = Field(default=170.0, ge=100, le=230, description="Height for BSA-based doses (cm).")
    default_events: bool = Field(default=True, description="Apply the model's published default experiment.")
    patients: int = Field(
        default=1, ge=1, le=LIMITS["max_band_patients"], description="1: one trajectory; more: a band (quantiles)."
    )
    cv: float = Field(default=0.2, ge=0, le=1, description="Between-patient coefficient of variation (band).")
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="Seed of the band's draws.")
    vary: list[str] | None = Field(
        default=None, max_length=LIMITS["max_vary"], description="Parameters drawn for the band (default: the model's)."
    )
    engine: Literal["batched", "scipy"] = Field(default="batched", description="Compiled batched or SciPy reference.")
    points: int = Field(default=201, ge=2, le=LIMITS["max_points"], description="Output points.")

    def check_names(self) -> list[tuple[str, str]]:
        """Names that do not look like identifiers or therapies: ``[(field, reason)]``."""
        import re

        bad = []
        for k in self.set:
            if not re.match(_NAME, k):
                bad.append((f"set.{k[:40]}", "not a parameter name (letters, digits, _)"))
        for i, t in enumerate(self.therapies):
            if not re.match(_THERAPY, t):
                bad.append((f"therapies[{i}]", "a therapy is DRUG[:DOSE][:SCHEDULE], e.g. pembrolizumab:200mg:q3w"))
        for i, v in enumerate(self.vary or ()):
            if not re.match(_NAME, v):
                bad.append((f"vary[{i}]", "not a parameter name (letters, digits, _)"))
        return bad


class JobRequest(_Strict):
    """A virtual trial to run as a background job."""

    trial: Literal["keynote024"] = Field(default="keynote024", description="Bundled trial spec (GET /api/trials).")
    patients: int = Field(
        default=40, ge=2, le=LIMITS["max_trial_patients"], description="Patients to enrol."
    )
    seed: int = Field(default=2016, ge=0, le=2**32 - 1, description="Trial seed.")
