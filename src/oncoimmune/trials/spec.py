r"""Trials as data: a virtual clinical trial read from TOML and validated by pydantic.

A :class:`TrialSpec` names everything a virtual trial needs and nothing about
how it is run: the model (a library id, the escape mechanisms linked to
patient covariates, and link coefficients), the population and its inclusion
criteria (biomarker cut-offs as assay categories), the arms (regimen strings
checked against the drug catalogue), randomisation, the horizon, the
assessment schedule, dropout, background (non-cancer) mortality and the rule
that counts a tumour as lethal. ``examples/keynote024.toml`` is a worked
example.

Every error is a :class:`~oncoimmune._errors.SpecFileError` whose message names
the field path (``arms[1].regimens[0]``, ``population.inclusion.biomarkers.pdl1``),
what came and how to fix it; the error carries ``field``, ``reason`` and
``hint`` attributes.

File layout
-----------
.. code-block:: toml

    name = "KEYNOTE-024 (virtual)"
    seed = 2016                 # trial seed: patient i is drawn from SeedSequence([seed, i])
    n_patients = 305            # patients to enrol
    horizon_months = 36

    [model]
    id = "kuznetsov1994"
    escape = ["lymphopenia", "pdl1_checkpoint", "antigen_loss"]
    [model.link]                # LinkCoefficients overrides
    tumour_scale = 1e-3

    [population]
    cancer = "nsclc"
    stages = ["IV"]
    prior_lines = 0
    [population.inclusion]
    max_ecog = 1
    max_prior_lines = 0
    biomarkers = { pdl1 = ["high"] }
    exclude_drivers = ["egfr", "alk"]

    [[arms]]
    name = "pembrolizumab"
    regimens = ["pembrolizumab:200mg:q3w*35"]

    [[arms]]
    name = "chemotherapy"
    regimens = ["carboplatin_paclitaxel:1:q3w*4"]
    crossover = { to_arm = "pembrolizumab", probability = 0.54 }

    [randomisation]
    seed = 24
    block_size = 4

    [[assessment.phases]]
    every_weeks = 9

    [dropout]
    hazard_per_year = 0.05
    [background_mortality]
    hazard_per_year = 0.02
    [death]
    rule = "tumour_cells_above"
    threshold = 1e12

Virtual populations
-------------------
An optional ``[vpop]`` section (:class:`VpopSpec`) names a virtual-population
table (:mod:`oncoimmune.fit.vpop`) whose rows replace the patients' draws of
the listed model parameters (``docs/vpop.md``).

Regimens
--------
Arm regimens are the therapy catalogue's text form ``NAME[:DOSE][:SCHEDULE]``
(``"pembrolizumab:200mg:q3w*35"``: 35 doses; ``"carboplatin_paclitaxel:1:q3w*4"``),
validated by :func:`oncoimmune.therapy.regimen.parse_therapy`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .._errors import OncoimmuneError, SpecFileError
from .._version import __version__
from ..io.spec import dumps_toml, parse_toml_text, pydantic_reason, read_spec_text, spec_error, validate_mapping
from .recist import DAYS_PER_MONTH  # one month length for the whole trials package

__all__ = [
    "ArmSpec",
    "AccrualSpec",
    "AssessmentPhase",
    "AssessmentSpec",
    "BeyondProgressionSpec",
    "CrossoverSpec",
    "DeathRuleSpec",
    "DiscontinuationSpec",
    "HazardSpec",
    "InclusionSpec",
    "ModelSpec",
    "PopulationSpec",
    "RandomisationSpec",
    "SubsequentSpec",
    "SurvivalSpec",
    "TrialSpec",
    "VpopSpec",
    "load_trial_spec",
    "parse_regimen_text",
]

_DAYS_PER_YEAR = 365.25

_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False, protected_namespaces=())


class _Section(BaseModel):
    model_config = _CONFIG


# ---------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------
class ModelSpec(_Section):
    """``[model]``: the library model, the linked escape mechanisms and link coefficients."""

    id: str
    escape: list[str] = Field(default_factory=lambda: ["lymphopenia", "pdl1_checkpoint", "antigen_loss"])
    link: dict[str, float] = Field(default_factory=dict)


class InclusionSpec(_Section):
    """``[population.inclusion]``: see :class:`oncoimmune.patients.cohort.Inclusion`."""

    min_age: float | None = Field(default=None, ge=0)
    max_age: float | None = Field(default=None, ge=0)
    max_ecog: int | None = Field(default=None, ge=0)
    min_prior_lines: int | None = Field(default=None, ge=0)
    max_prior_lines: int | None = Field(default=None, ge=0)
    biomarkers: dict[str, list[str]] = Field(default_factory=dict)
    exclude_drivers: list[str] = Field(default_factory=list)
    excludes_prior: list[str] = Field(default_factory=list)
    requires_prior: list[str] = Field(default_factory=list)
    measurable_disease: bool = True
    min_lymphocytes: float | None = Field(default=None, ge=0)
    indication: str | None = None
    histology: list[str] = Field(default_factory=list)


class PopulationSpec(_Section):
    """``[population]``: see :class:`oncoimmune.patients.cohort.Population`."""

    cancer: str
    stages: list[str] = Field(default_factory=list)
    stage_weights: list[float] | None = None
    setting: str | None = None
    prior_lines: int | dict[str, float] | None = None
    regions: dict[str, float] | None = None
    prior: list[str] = Field(default_factory=list)
    inclusion: InclusionSpec = Field(default_factory=InclusionSpec)
    plausibility: dict[str, Any] | None = None
    max_draws: int = Field(default=200, ge=1)


class CrossoverSpec(_Section):
    """Switch to another arm's regimens after progression.

    How the runner models it: at the first confirmed progression in this arm,
    the patient crosses over with probability ``probability`` (one uniform
    draw from the patient's ``events`` stream) and starts ``to_arm``'s
    regimens ``delay_days`` later. Progression-based endpoints are unchanged;
    overall survival includes the effect of crossover, as in the trial.
    """

    to_arm: str
    trigger: Literal["progression"] = "progression"
    probability: float = Field(default=1.0, ge=0, le=1)
    delay_days: float = Field(default=0.0, ge=0)
    source: str = ""


class DiscontinuationSpec(_Section):
    """``[arms.discontinuation]``: stopping treatment for toxicity, as a per-cycle hazard.

    After each cycle given (a cycle: a day with a dose of any of the arm's drugs),
    the patient stops the arm's treatment for good with probability ``per_cycle``:
    the number of cycles received is geometric,
    ``N = patient_rng(seed, i, "events", "toxicity").geometric(per_cycle)``, and
    no dose of the arm is given from cycle ``N + 1`` on (crossover and subsequent
    therapy are not affected). A trial's reported share of patients stopping for
    treatment-related toxicity ``P`` over a median of ``m`` cycles gives
    ``per_cycle = 1 - (1 - P) ** (1 / m)``.
    """

    per_cycle: float = Field(ge=0, lt=1)
    source: str = ""


class BeyondProgressionSpec(_Section):
    """``[arms.beyond_progression]``: treatment past the first documented progression.

    Needs ``until = "progression"``. At the first documented progression the patient
    goes on with the arm's regimens with probability ``probability`` (a uniform from
    ``patient_rng(seed, i, "events", "beyond")``), for ``max_weeks`` weeks (or to the
    regimens' own end when left out); the others stop at progression.
    """

    probability: float = Field(ge=0, le=1)
    max_weeks: float | None = Field(default=None, gt=0)
    source: str = ""


class SubsequentSpec(_Section):
    """``[arms.subsequent]``: a later-line regimen after progression, given with a probability.

    At the first documented progression, with probability ``probability`` (a uniform
    from ``patient_rng(seed, i, "events", "subsequent")``), ``regimens`` start
    ``delay_days`` after the arm's own treatment has ended (at progression, at the
    end of treatment beyond progression, or at the end of a fixed course, whichever
    is later). The patient is simulated again from the start with both and the second
    trajectory is used after progression, as for crossover. Progression-based
    endpoints are unchanged; overall survival changes only through the ``[death]``
    lethal-burden rule: the TGI-OS link of ``[survival]`` reads the tumour before
    the first progression (its fitted intercept already holds the trials'
    post-progression care).
    """

    regimens: list[str] = Field(min_length=1)
    probability: float = Field(ge=0, le=1)
    delay_days: float = Field(default=0.0, ge=0)
    source: str = ""


class ArmSpec(_Section):
    """``[[arms]]``: a name, regimen strings, an allocation ratio and the treatment rules.

    ``until = "schedule"`` (default): doses as the regimen strings give them (a regimen
    without a count runs to the horizon). ``until = "progression"``: the arm's doses
    stop at the first documented progression (and at the regimen's own end,
    "until progression or N cycles"), unless ``beyond_progression`` continues them.
    ``discontinuation``: stopping for toxicity; ``subsequent``: therapy after
    progression; ``crossover``: to another arm's regimens after progression.

    ``regimens_by_histology``: regimens for the patients of a histology instead of ``regimens``
    (investigator's choice as protocols write it, e.g. KEYNOTE-024's pemetrexed doublets and
    pemetrexed maintenance for non-squamous tumours only: ``{ non-squamous = [...] }``); the other
    patients get ``regimens``. Keys are histologies of the population's cancer.
    """

    name: str = Field(min_length=1)
    regimens: list[str] = Field(default_factory=list)
    regimens_by_histology: dict[str, list[str]] = Field(default_factory=dict)
    ratio: int = Field(default=1, ge=1)
    crossover: CrossoverSpec | None = None
    until: Literal["schedule", "progression"] = "schedule"
    discontinuation: DiscontinuationSpec | None = None
    beyond_progression: BeyondProgressionSpec | None = None
    subsequent: SubsequentSpec | None = None
    description: str = ""

    def regimens_for(self, histology: str | None) -> list[str]:
        """The regimen strings of a patient of ``histology`` (``regimens_by_histology``, else ``regimens``)."""
        if histology is not None and histology in self.regimens_by_histology:
            return list(self.regimens_by_histology[histology])
        return list(self.regimens)

    def regimen_variants(self) -> list[list[str]]:
        """Every distinct list of regimen strings the arm gives (``regimens`` first)."""
        out = [list(self.regimens)]
        for regs in self.regimens_by_histology.values():
            if list(regs) not in out:
                out.append(list(regs))
        return out

    @property
    def has_post_progression_rules(self) -> bool:
        """Whether something changes at the first progression (a second simulation of progressing patients)."""
        return (
            self.crossover is not None
            or self.subsequent is not None
            or self.until == "progression"
        )


class RandomisationSpec(_Section):
    """``[randomisation]``: permuted blocks with their own seed."""

    seed: int = Field(ge=0)
    block_size: int = Field(ge=1)
    stratify: list[str] = Field(default_factory=list)


class AssessmentPhase(_Section):
    """One phase of the scan schedule: every ``every_weeks`` weeks until ``until_week`` (inclusive)."""

    every_weeks: float = Field(gt=0)
    until_week: float | None = Field(default=None, gt=0)


class AssessmentSpec(_Section):
    """``[assessment]``: tumour assessments (scans), as phases.

    Scans follow phase 1 from week 0 (``every_weeks`` after baseline) up to its
    ``until_week``; the next phase continues from the last scan of the one
    before. ``q6w to week 48, then q9w`` is two phases:
    ``{every_weeks = 6, until_week = 48}`` and ``{every_weeks = 9}``.
    """

    phases: list[AssessmentPhase] = Field(min_length=1)
    source: str = ""

    def days(self, horizon_days: float) -> tuple[float, ...]:
        """Assessment days after baseline (day 0 excluded), up to ``horizon_days``."""
        out: list[float] = []
        t = 0.0
        for ph in self.phases:
            until = math.inf if ph.until_week is None else ph.until_week * 7.0
            step = ph.every_weeks * 7.0
            while True:
                nxt = t + step
                if nxt > until + 1e-9 or nxt > horizon_days + 1e-9:
                    break
                out.append(round(nxt, 9))
                t = nxt
            if t >= horizon_days:
                break
        return tuple(out)


class HazardSpec(_Section):
    """A constant hazard (per year) and where it comes from."""

    hazard_per_year: float = Field(default=0.0, ge=0)
    source: str = ""

    @property
    def per_day(self) -> float:
        return self.hazard_per_year / _DAYS_PER_YEAR


class DeathRuleSpec(_Section):
    """``[death]``: when the tumour counts as lethal.

    ``rule = "tumour_cells_above"``: real tumour cells (model tumour divided by
    ``tumour_scale``) above ``threshold``; ``rule = "sld_above"``: the
    sphere-equivalent diameter (mm) above ``threshold``.
    """

    rule: Literal["tumour_cells_above", "sld_above"] = "tumour_cells_above"
    threshold: float = Field(gt=0)
    source: str = ""


class SurvivalSpec(_Section):
    """``[survival]``: overall survival from tumour dynamics instead of a lethal-burden rule.

    ``model = "tgi_os"``: the log-normal TGI-OS link of
    :mod:`oncoimmune.trials.survival_link` (growth rate constant up to the first
    progression, ECOG, line, histology, baseline SLD), with the library's
    calibrated coefficients; a key of ``link`` overrides one of them.

    ``kg_read`` says where the growth rate constant is read: ``"progression"`` (default: the six
    weeks before the first documented progression) or ``"on_treatment"`` (the six weeks before the
    end of the randomised treatment -- progression, the end of treatment beyond progression, a
    crossover, the toxicity stop or the regimen's end, never before the first progression -- and
    never after the patient's death: :func:`oncoimmune.trials.survival_link.link_death_days_on_treatment`).
    """

    model: Literal["tgi_os"] = "tgi_os"
    link: dict[str, float] = Field(default_factory=dict)
    kg_read: str = "progression"
    source: str = ""

    @field_validator("kg_read")
    @classmethod
    def _kg_read(cls, v: str) -> str:
        from .survival_link import KG_READ_OPTIONS

        if v not in KG_READ_OPTIONS:
            raise ValueError(f"[survival] kg_read must be one of {', '.join(map(repr, KG_READ_OPTIONS))}; "
                             f"got {v!r}")
        return v

    def build_link(self) -> Any:
        """The link the runner uses: the calibrated coefficients
        (:data:`oncoimmune.trials.survival_link.CALIBRATED_LINK`) with ``link`` applied."""
        from .survival_link import CALIBRATED_LINK

        return CALIBRATED_LINK.with_values(**self.link)


class AccrualSpec(_Section):
    """``[accrual]``: staggered enrolment and the data cut-off (administrative censoring).

    Patients are enrolled uniformly over ``months`` in enrolment order; the data
    cut-off is ``cutoff_months`` after the first randomisation, so patient ``k``
    of ``n`` is followed for ``cutoff_months - months * k / n`` months (at most
    the horizon).
    """

    months: float = Field(ge=0)
    cutoff_months: float = Field(gt=0)
    source: str = ""


class VpopSpec(_Section):
    """``[vpop]``: patients take the named model parameters from rows of a virtual-population table.

    The table is the output of the virtual-population tool
    (:meth:`oncoimmune.fit.vpop.VirtualPopulation.table`, written as ``.csv``
    or ``.parquet``): one row per accepted parameter set. Patient ``i``
    (screening index) takes row ``k_i``, drawn uniformly with replacement from
    ``patient_rng(seed, i, "parameters", "vpop_row")`` (``seed``: this
    section's ``seed``, else the run's trial seed), and its values of
    ``parameters`` replace that patient's draws of those parameters
    (:func:`oncoimmune.trials.sample.vpop_draw`). Parameters the table does
    not give keep their between-patient draws (``others = "drawn"``) or their
    typical values (``others = "nominal"``, as in the simulations that
    selected the population). The escape strengths and the initial tumour are
    still linked to each patient's covariates.

    ``path`` is made absolute when the spec is read (relative to the spec
    file, or else to the working folder) and ``sha256`` is filled in from the
    file, so the spec written into a run folder pins the exact table; a
    ``sha256`` given in the spec must match the file.
    """

    path: str = Field(min_length=1)
    parameters: list[str] = Field(min_length=1)
    seed: int | None = Field(default=None, ge=0)
    others: Literal["drawn", "nominal"] = "drawn"
    sha256: str | None = None
    source: str = ""


# ---------------------------------------------------------------------------
# the spec
# ---------------------------------------------------------------------------
_HINTS = {
    "name": 'a title in quotes, e.g. name = "KEYNOTE-024 (virtual)"',
    "seed": "a whole number >= 0, e.g. seed = 2016",
    "n_patients": "a whole number >= 1, e.g. n_patients = 305",
    "horizon_months": "a number of months > 0 and at most 1200 (100 years), e.g. horizon_months = 36",
    "model": 'a [model] table with id = "kuznetsov1994"',
    "model.id": 'a library model id, e.g. id = "kuznetsov1994" (list them with `oncoimmune models`)',
    "model.escape": 'a list of mechanisms, e.g. escape = ["lymphopenia", "pdl1_checkpoint", "antigen_loss"]',
    "model.escape[]": 'one of "lymphopenia", "pdl1_checkpoint", "antigen_loss"',
    "model.link": "a table of coefficient = number, e.g. tumour_scale = 1e-3",
    "population": 'a [population] table with cancer = "nsclc"',
    "population.cancer": 'a cancer id, e.g. cancer = "nsclc"',
    "population.stages": 'a list of stages, e.g. stages = ["IV"]',
    "population.prior_lines": (
        "a whole number >= 0 (prior_lines = 1) or a table of lines = weight, e.g. prior_lines = {1 = 0.75, 2 = 0.25}"
    ),
    "population.regions": 'a table of region = weight, e.g. regions = { east_asia = 0.2, rest_of_world = 0.8 }',
    "population.inclusion.histology": 'a list of histologies, e.g. histology = ["squamous"]',
    "population.inclusion.histology[]": 'a histology of the cancer, e.g. "squamous" or "non-squamous"',
    "population.inclusion.biomarkers": (
        'a table of assay = [categories], e.g. biomarkers = { pdl1 = ["high"] }'
    ),
    "arms": "one [[arms]] table per arm with name and regimens",
    "arms[].name": 'a name in quotes, e.g. name = "pembrolizumab"',
    "arms[].regimens": 'a list of regimen strings, e.g. regimens = ["pembrolizumab:200mg:q3w*35"]',
    "arms[].regimens[]": 'a regimen string DRUG[:DOSE][:SCHEDULE], e.g. "pembrolizumab:200mg:q3w*35"',
    "arms[].ratio": "a whole number >= 1, e.g. ratio = 1",
    "arms[].crossover.to_arm": "the name of another arm",
    "arms[].until": 'until = "schedule" (doses as the regimens say) or until = "progression"',
    "arms[].discontinuation.per_cycle": (
        "a probability per cycle in [0, 1), e.g. per_cycle = 0.02 (from a share P stopping over m cycles: "
        "1 - (1 - P) ** (1 / m))"
    ),
    "arms[].beyond_progression": 'a table with probability (and max_weeks); needs until = "progression"',
    "arms[].beyond_progression.probability": "a probability in [0, 1], e.g. probability = 0.5",
    "arms[].beyond_progression.max_weeks": "weeks > 0 of further treatment, e.g. max_weeks = 12",
    "arms[].subsequent.regimens": 'a list of regimen strings, e.g. regimens = ["docetaxel:75mg/m2:q3w"]',
    "arms[].subsequent.regimens[]": 'a regimen string DRUG[:DOSE][:SCHEDULE], e.g. "docetaxel:75mg/m2:q3w*4"',
    "arms[].subsequent.probability": "a probability in [0, 1], e.g. probability = 0.4",
    "arms[].subsequent.delay_days": "days >= 0 after the arm's treatment ends, e.g. delay_days = 21",
    "randomisation": "a [randomisation] table with seed and block_size",
    "randomisation.block_size": "a multiple of the sum of the arm ratios, e.g. block_size = 4 for 1:1",
    "randomisation.stratify[]": (
        'one of "ecog", "histology", "sex", "stage", "prior_lines", "region", "pdl1", "pdl1_sp142"'
    ),
    "assessment": "an [assessment] table with [[assessment.phases]] every_weeks = 9",
    "assessment.phases": "one [[assessment.phases]] table per phase, e.g. every_weeks = 6, until_week = 48",
    "assessment.phases[].every_weeks": "a number of weeks > 0, e.g. every_weeks = 9",
    "assessment.phases[].until_week": (
        "a week > the previous phase's until_week, or leave it out in the last phase"
    ),
    "dropout.hazard_per_year": "a number >= 0, e.g. hazard_per_year = 0.05",
    "background_mortality.hazard_per_year": "a number >= 0, e.g. hazard_per_year = 0.02",
    "death.rule": 'rule = "tumour_cells_above" or rule = "sld_above"',
    "death.threshold": "a number > 0, e.g. threshold = 1e12 (cells) or 300 (mm)",
    "vpop": 'a [vpop] table with path = "vpop.parquet" and parameters = ["g", "k_kill"]',
    "vpop.path": 'the virtual-population table (.csv or .parquet), e.g. path = "vpop.parquet"',
    "vpop.parameters": 'a list of model parameters that are columns of the table, e.g. ["g", "k_kill"]',
    "vpop.parameters[]": "a parameter of the model that is a column of the table",
    "vpop.others": 'others = "drawn" or others = "nominal"',
}

#: Stratification factors of ``randomisation.stratify`` (see :func:`oncoimmune.trials.plan.stratum_of`):
#: covariates of the patient, and the reported category of an assay (``pdl1``: 22C3 TPS negative/low/high;
#: ``pdl1_sp142``: SP142 TC/IC level).
_STRATA = ("ecog", "histology", "sex", "stage", "prior_lines", "region", "pdl1", "pdl1_sp142")


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(spec)"


def _generic(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _hint(path: str) -> str | None:
    g = _generic(path)
    while g:
        if g in _HINTS:
            return _HINTS[g]
        if g.endswith("[]"):
            g = g[:-2]
            continue
        g = g.rpartition(".")[0]
    return None


class TrialSpec(BaseModel):
    """A virtual clinical trial, validated when built.

    Parameters
    ----------
    name : str
    seed : int
        Trial seed; patient ``i`` is drawn from ``SeedSequence([seed, i])``.
    n_patients : int
        Patients to enrol (across arms).
    horizon_months : float
        Follow-up from randomisation.
    model : ModelSpec
    population : PopulationSpec
    arms : list of ArmSpec
        At least one arm; names unique.
    randomisation : RandomisationSpec, optional
        Required with more than one arm.
    assessment : AssessmentSpec
    dropout, background_mortality : HazardSpec
        Constant hazards per year (loss to follow-up; non-cancer death).
    death : DeathRuleSpec, optional
        When the tumour is lethal; ``None``: deaths only from background mortality.
    survival : SurvivalSpec, optional
        Overall survival from the TGI-OS link (replaces ``death``).
    accrual : AccrualSpec, optional
        Staggered enrolment and data cut-off (administrative censoring).
    vpop : VpopSpec, optional
        Model parameters from a virtual-population table instead of the
        model's between-patient distributions.
    description : str
    references : list of str
    oncoimmune_version : str

    Raises
    ------
    SpecFileError
        For any invalid field; the message names the field path and the fix.
    """

    model_config = _CONFIG

    name: str = Field(min_length=1)
    seed: int = Field(ge=0)
    n_patients: int = Field(ge=1)
    horizon_months: float = Field(gt=0, le=1200)  # 100 years: beyond any follow-up (issue 9 limits)
    model: ModelSpec
    population: PopulationSpec
    arms: list[ArmSpec] = Field(min_length=1)
    randomisation: RandomisationSpec | None = None
    assessment: AssessmentSpec
    dropout: HazardSpec = Field(default_factory=HazardSpec)
    background_mortality: HazardSpec = Field(default_factory=HazardSpec)
    death: DeathRuleSpec | None = None
    survival: SurvivalSpec | None = None
    accrual: AccrualSpec | None = None
    vpop: VpopSpec | None = None
    description: str = ""
    references: list[str] = Field(default_factory=list)
    oncoimmune_version: str = __version__

    def __init__(self, **data: Any) -> None:
        data = _pin_vpop(data, None)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _from_validation_error(exc) from None
        self._check_semantics()

    # -- semantic checks ------------------------------------------------------------
    def _check_semantics(self) -> None:
        self._check_model()
        self.to_population()  # raises SpecFileError naming the field
        self._check_arms()
        self._check_assessment()
        self._check_survival()
        self._check_vpop()

    def _check_vpop(self) -> None:
        if self.vpop is None:
            return
        v = self.vpop
        digest = _file_sha256(v.path)
        if v.sha256 is not None and v.sha256.lower() != digest:
            raise spec_error(
                "vpop.sha256",
                f"does not match the file {v.path!r} (its SHA-256 is {digest}); the table changed since the "
                "spec was written: point path at the original table, or remove sha256",
            )
        model = self.build_model()
        table = vpop_table(v.path, digest)
        known = set(model.parameter_names)
        seen: set[str] = set()
        for i, name in enumerate(v.parameters):
            where = f"vpop.parameters[{i}]"
            if name not in known:
                raise spec_error(
                    where,
                    f"{name!r} is not a parameter of model {model.id!r}; "
                    f"valid: {', '.join(model.parameter_names)}",
                    hint=_hint(where),
                )
            if name not in table.columns:
                raise spec_error(
                    where,
                    f"{name!r} is not a column of {v.path!r}; "
                    f"columns: {', '.join(map(str, table.columns))}",
                    hint=_hint(where),
                )
            if name in seen:
                raise spec_error(where, f"{name!r} is listed twice; list each parameter once")
            seen.add(name)
            col = _numeric(table[name])
            lo, hi = model.parameter(name).bounds
            bad = np.flatnonzero(~(np.isfinite(col) & (col >= lo) & (col <= hi)))
            if bad.size:
                r = int(bad[0])
                raise spec_error(
                    where,
                    f"row {r} of {v.path!r} has {name} = {float(col[r])!r}, outside the parameter's bounds "
                    f"[{lo:g}, {hi:g}] ({bad.size} row(s) in all); remove those rows from the table",
                )

    def _check_survival(self) -> None:
        if self.survival is not None:
            from .survival_link import TGIOSLink

            bad = [k for k in self.survival.link if k not in TGIOSLink.__dataclass_fields__]
            if bad:
                raise spec_error(
                    "survival.link",
                    f"unknown coefficient {bad[0]!r}; use one of {', '.join(TGIOSLink.__dataclass_fields__)}",
                )
            if self.death is not None:
                raise spec_error(
                    "death", "is set together with [survival]; remove [death] (the TGI-OS link gives every death)"
                )
        if self.accrual is not None and self.accrual.months >= self.accrual.cutoff_months:
            raise spec_error(
                "accrual.months",
                f"{self.accrual.months} is not before cutoff_months; the data cut-off must come after the last "
                "enrolment",
            )

    def _check_model(self) -> None:
        from ..biology.escape import get_mechanism
        from ..library import get_model
        from ..patients.link import DEFAULT_COEFFICIENTS, DEFAULT_ESCAPE

        try:
            model = get_model(self.model.id)
        except OncoimmuneError as exc:
            raise spec_error("model.id", str(exc), hint=_hint("model.id")) from None
        seen: set[str] = set()
        for i, name in enumerate(self.model.escape):
            where = f"model.escape[{i}]"
            if name not in DEFAULT_ESCAPE:
                raise spec_error(
                    where,
                    f"{name!r} is not linked to patient covariates; valid: {', '.join(DEFAULT_ESCAPE)}",
                    hint=_hint(where),
                )
            if name in seen:
                raise spec_error(where, f"{name!r} is listed twice; list each mechanism once")
            seen.add(name)
            try:
                get_mechanism(name)(model, 0.0)
            except OncoimmuneError as exc:
                raise spec_error(where, f"cannot be applied to model {model.id!r}: {exc}") from None
        for k, v in self.model.link.items():
            try:
                DEFAULT_COEFFICIENTS.with_values({k: v})
            except OncoimmuneError as exc:
                raise spec_error(f"model.link.{k}", str(exc), hint=_hint("model.link")) from None
        if model.tumour_state is None:
            raise spec_error(
                "model.id", f"model {model.id!r} has no tumour_state; choose a tumour-immune model"
            )
        units = model.state(model.tumour_state).units
        if units != "cells" and "tumour_scale" not in self.model.link:
            raise spec_error(
                "model.link.tumour_scale",
                f"is required: the tumour state {model.tumour_state!r} of {model.id!r} "
                f"is in {units!r}, not cells",
                hint="model units per tumour cell, e.g. tumour_scale = 1e-9",
            )

    def _check_arms(self) -> None:
        names = [a.name for a in self.arms]
        for i, a in enumerate(self.arms):
            if names.index(a.name) != i:
                raise spec_error(
                    f"arms[{i}].name",
                    f"{a.name!r} is used by arms[{names.index(a.name)}] too; names must be unique",
                )
            for j, text in enumerate(a.regimens):
                where = f"arms[{i}].regimens[{j}]"
                try:
                    parse_regimen_text(text)
                except (OncoimmuneError, ValueError) as exc:
                    raise spec_error(where, str(exc), hint=_hint(where)) from None
            self._check_histology_regimens(i, a)
            self._check_treatment_rules(i, a)
            if a.crossover is not None:
                where = f"arms[{i}].crossover.to_arm"
                if a.crossover.to_arm not in names:
                    raise spec_error(
                        where,
                        f"unknown arm {a.crossover.to_arm!r}; arms: {', '.join(names)}",
                        hint=_hint(where),
                    )
                if a.crossover.to_arm == a.name:
                    raise spec_error(where, "an arm cannot cross over to itself")
        if len(self.arms) > 1 and self.randomisation is None:
            raise spec_error(
                "randomisation", "is required with more than one arm", hint=_hint("randomisation")
            )
        if self.randomisation is not None:
            total = sum(a.ratio for a in self.arms)
            if self.randomisation.block_size % total:
                raise spec_error(
                    "randomisation.block_size",
                    f"must be a multiple of the sum of the arm ratios ({total}); "
                    f"got {self.randomisation.block_size}",
                    hint=_hint("randomisation.block_size"),
                )
            for i, s in enumerate(self.randomisation.stratify):
                if s not in _STRATA:
                    raise spec_error(
                        f"randomisation.stratify[{i}]",
                        f"unknown factor {s!r}; valid: {', '.join(_STRATA)}",
                        hint=_hint(f"randomisation.stratify[{i}]"),
                    )
                if self.randomisation.stratify.index(s) != i:
                    raise spec_error(f"randomisation.stratify[{i}]", f"{s!r} is listed twice; list it once")
                self._check_stratum_available(i, s)

    def _check_histology_regimens(self, i: int, a: ArmSpec) -> None:
        """``regimens_by_histology``: keys are the cancer's histologies (canonical names), the regimens parse."""
        if not a.regimens_by_histology:
            return
        from ..patients.cancers import resolve_cancer

        cancer = resolve_cancer(self.population.cancer)
        for key, regs in a.regimens_by_histology.items():
            where = f"arms[{i}].regimens_by_histology.{key}"
            if not cancer.histologies:
                raise spec_error(where, f"the {self.population.cancer} patients carry no histology; remove it")
            if key not in cancer.histologies:
                raise spec_error(
                    where, f"unknown histology {key!r}; give one of {', '.join(cancer.histologies)} (canonical names)"
                )
            if not regs:
                raise spec_error(where, "is empty; list the regimens of these patients (or drop the key)")
            for j, text in enumerate(regs):
                try:
                    parse_regimen_text(text)
                except (OncoimmuneError, ValueError) as exc:
                    raise spec_error(f"{where}[{j}]", str(exc), hint=_hint("arms[].regimens[]")) from None

    def _check_treatment_rules(self, i: int, a: ArmSpec) -> None:
        """``beyond_progression`` needs ``until = "progression"``; ``subsequent`` regimens parse, do not repeat
        a drug of the arm, and do not come together with ``crossover``."""
        if a.beyond_progression is not None and a.until != "progression":
            raise spec_error(
                f"arms[{i}].beyond_progression",
                f'needs until = "progression" in the arm (got until = "{a.until}"): treatment beyond progression '
                "only means something when treatment otherwise stops at progression",
                hint=_hint(f"arms[{i}].until"),
            )
        if a.until == "progression" and not a.regimens:
            raise spec_error(f"arms[{i}].until", 'is "progression" but the arm has no regimens')
        if a.discontinuation is not None and not a.regimens:
            raise spec_error(f"arms[{i}].discontinuation", "is set but the arm has no regimens")
        sub = a.subsequent
        if sub is None:
            return
        if a.crossover is not None:
            raise spec_error(
                f"arms[{i}].subsequent",
                "is set together with crossover; the crossover arm is this arm's therapy after progression: "
                "keep one of them",
            )
        mine = set()
        for text in [t for regs in a.regimen_variants() for t in regs]:
            try:
                mine.add(parse_regimen_text(text).key)
            except (OncoimmuneError, ValueError):
                pass  # reported by the arm's own check
        for j, text in enumerate(sub.regimens):
            where = f"arms[{i}].subsequent.regimens[{j}]"
            try:
                r = parse_regimen_text(text)
            except (OncoimmuneError, ValueError) as exc:
                raise spec_error(where, str(exc), hint=_hint(where)) from None
            if r.key in mine:
                raise spec_error(
                    where,
                    f"gives {r.key!r}, which the arm already gives; a drug is given once per patient here "
                    "(its schedule holds every dose): use another drug, or drop it from the arm",
                )

    def _check_stratum_available(self, i: int, factor: str) -> None:
        """A stratification factor the population's patients do not carry is a spec error."""
        pop = self.to_population()
        prof = pop.profile
        where = f"randomisation.stratify[{i}]"
        if factor == "region" and pop.regions is None and prof.region is None:
            raise spec_error(
                where,
                f"the {pop.cancer} patients carry no region; give population.regions",
                hint=_hint("population.regions"),
            )
        if factor == "pdl1" and "pdl1" not in prof.biomarkers:
            raise spec_error(where, f"the {pop.cancer} patients carry no PD-L1 (22C3) result")
        if factor == "pdl1_sp142" and prof.sp142 is None:
            raise spec_error(where, f"the {pop.cancer} patients carry no SP142 TC/IC level")
        if factor == "histology" and prof.histology is None:
            raise spec_error(where, f"the {pop.cancer} patients carry no histology")

    def _check_assessment(self) -> None:
        phases = self.assessment.phases
        prev = 0.0
        for i, ph in enumerate(phases):
            where = f"assessment.phases[{i}].until_week"
            if ph.until_week is None and i < len(phases) - 1:
                raise spec_error(where, "is required in every phase but the last", hint=_hint(where))
            if ph.until_week is not None:
                if ph.until_week <= prev:
                    raise spec_error(
                        where,
                        f"must be after the previous phase's end (week {prev:g}); got {ph.until_week:g}",
                    )
                if ph.every_weeks > ph.until_week - prev:
                    raise spec_error(
                        f"assessment.phases[{i}].every_weeks",
                        f"{ph.every_weeks:g} weeks is longer than the phase "
                        f"(weeks {prev:g}-{ph.until_week:g})",
                    )
                prev = ph.until_week
        if not self.assessment_days():
            raise spec_error(
                "assessment.phases[0].every_weeks",
                f"no assessment falls within the horizon ({self.horizon_months:g} months); "
                "shorten the interval",
            )

    # -- derived ----------------------------------------------------------------------
    @property
    def horizon_days(self) -> float:
        """The horizon in days (``horizon_months * 365.25 / 12``)."""
        return self.horizon_months * DAYS_PER_MONTH

    def assessment_days(self) -> tuple[float, ...]:
        """Scan days after baseline, within the horizon."""
        return self.assessment.days(self.horizon_days)

    def to_population(self) -> Any:
        """The :class:`oncoimmune.patients.cohort.Population` of this trial."""
        from ..patients.cohort import as_population

        data = self.population.model_dump(exclude_none=True)
        try:
            return as_population(data)
        except OncoimmuneError as exc:
            field = getattr(exc, "field", None)
            reason = getattr(exc, "reason", str(exc))
            path = (
                field
                if field and field.startswith("population")
                else f"population.{field}"
                if field
                else "population"
            )
            raise spec_error(path, reason, hint=_hint(path)) from None

    def link_coefficients(self) -> Any:
        """:data:`oncoimmune.patients.link.DEFAULT_COEFFICIENTS` with ``[model.link]`` applied."""
        from ..library import _module
        from ..patients.link import DEFAULT_COEFFICIENTS

        base = dict(getattr(_module(self.model.id), "LINK_DEFAULTS", {}))
        return DEFAULT_COEFFICIENTS.with_values({**base, **self.model.link})

    def follow_up_days(self, n: int) -> np.ndarray:
        """Days of follow-up of each of ``n`` patients in enrolment order (accrual and cut-off; else the horizon)."""
        horizon = self.horizon_days
        if self.accrual is None:
            return np.full(n, horizon)
        k = np.arange(n)
        fu = (self.accrual.cutoff_months - self.accrual.months * k / max(n, 1)) * DAYS_PER_MONTH
        return np.clip(fu, 0.0, horizon)

    def build_model(self) -> Any:
        """The untreated library model (escape mechanisms are applied per patient by
        :func:`oncoimmune.patients.link.link_patient`)."""
        from ..library import get_model

        return get_model(self.model.id)

    def arm(self, name: str) -> ArmSpec:
        """An arm by name (``KeyError`` listing the names)."""
        for a in self.arms:
            if a.name == name:
                return a
        from .._errors import UnknownNameError

        raise UnknownNameError("arm", name, [a.name for a in self.arms])

    def allocation(self, n: int | None = None) -> tuple[str, ...]:
        """Arm of each enrolled patient, in enrolment order, by permuted blocks.

        Block ``b`` holds each arm ``ratio * block_size / sum(ratios)`` times in an
        order permuted by ``numpy.random.default_rng(SeedSequence([randomisation.seed, b]))``,
        so block ``b`` is the same however many patients are enrolled.
        Stratified randomisation (``stratify``) is left to the runner, which
        keeps one block sequence per stratum (keyed by the stratum's index).
        """
        n = self.n_patients if n is None else int(n)
        if len(self.arms) == 1:
            return (self.arms[0].name,) * n
        assert self.randomisation is not None
        total = sum(a.ratio for a in self.arms)
        per = self.randomisation.block_size // total
        block = [a.name for a in self.arms for _ in range(a.ratio * per)]
        out: list[str] = []
        b = 0
        while len(out) < n:
            rng = np.random.default_rng(np.random.SeedSequence([self.randomisation.seed, b]))
            out.extend(block[k] for k in rng.permutation(len(block)))
            b += 1
        return tuple(out[:n])

    # -- TOML -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data, ``None`` left out (TOML has no null)."""
        return self.model_dump(exclude_none=True)

    def to_toml(self) -> str:
        """The spec as TOML (readable back by :meth:`from_toml`)."""
        return "# oncoimmune trial spec\n" + dumps_toml(self.to_dict())

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the spec as TOML atomically."""
        from ..io.results import atomic_write

        data = self.to_toml().encode("utf-8")
        return atomic_write(path, lambda f: f.write(data))

    @classmethod
    def from_toml(cls, text: str, *, source: str | os.PathLike[str] | None = None) -> TrialSpec:
        """Parse and validate TOML text."""
        return cls.from_dict(parse_toml_text(text, source), source=source)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | os.PathLike[str] | None = None) -> TrialSpec:
        """Validate a mapping (as read from TOML).

        A relative ``vpop.path`` is taken relative to the folder of ``source``
        (else the working folder) and stored absolute, with the table's
        ``sha256``, so the spec can be re-read anywhere (shard workers, resume).
        """
        return validate_mapping(cls, _pin_vpop(data, source), what="a trial spec", source=source)


def load_trial_spec(path: str | os.PathLike[str]) -> TrialSpec:
    """Read a :class:`TrialSpec` from a TOML file.

    Raises
    ------
    SpecFileError
        If the file cannot be read, is not TOML, or a field is invalid.
    """
    text = read_spec_text(path, "trial spec", "give the .toml file")
    return TrialSpec.from_toml(text, source=path)


# ---------------------------------------------------------------------------
# virtual-population tables
# ---------------------------------------------------------------------------
def _pin_vpop(data: Any, source: str | os.PathLike[str] | None) -> Any:
    """``data`` with ``vpop.path`` absolute and ``vpop.sha256`` filled in (left alone if malformed)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("vpop"), Mapping):
        return data
    v = dict(data["vpop"])
    p = v.get("path")
    if not isinstance(p, str) or not p:
        return data
    path = Path(p).expanduser()
    if not path.is_absolute():
        base = Path(source).expanduser().resolve().parent if source is not None else Path.cwd()
        path = base / path
    v["path"] = str(path.resolve())
    if v.get("sha256") is None:
        v["sha256"] = _file_sha256(v["path"])
    return {**data, "vpop": v}


def _file_sha256(path: str) -> str:
    import hashlib

    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        raise spec_error(
            "vpop.path", f"{path!r} does not exist; check the path", hint=_hint("vpop.path")
        ) from None
    except IsADirectoryError:
        raise spec_error("vpop.path", f"{path!r} is a folder", hint=_hint("vpop.path")) from None
    except OSError as exc:
        raise spec_error("vpop.path", f"{path!r} cannot be read: {exc.strerror}") from None


_VPOP_TABLES: dict[tuple[str, str], Any] = {}


def vpop_table(path: str, sha256: str) -> Any:
    """The virtual-population table at ``path`` as a DataFrame (read once per process and content hash).

    Raises
    ------
    SpecFileError
        Naming ``vpop.path`` if the file is not a readable ``.csv`` or ``.parquet`` table with rows.
    """
    key = (str(path), str(sha256))
    if key not in _VPOP_TABLES:
        import pandas as pd

        suffix = Path(path).suffix.lower()
        try:
            if suffix == ".parquet":
                df = pd.read_parquet(path)
            elif suffix in (".csv", ".txt"):
                df = pd.read_csv(path)
            else:
                raise spec_error(
                    "vpop.path", f"{path!r}: unknown table format {suffix!r}", hint=_hint("vpop.path")
                )
        except SpecFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - any reader failure is a bad table
            raise spec_error("vpop.path", f"{path!r} cannot be read as a table: {exc}") from None
        if len(df) == 0:
            raise spec_error("vpop.path", f"{path!r} has no rows; give a non-empty virtual population")
        _VPOP_TABLES[key] = df
    return _VPOP_TABLES[key]


def _numeric(col: Any) -> np.ndarray:
    """A table column as float64 (non-numbers become NaN)."""
    import pandas as pd

    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


# ---------------------------------------------------------------------------
# regimens
# ---------------------------------------------------------------------------
def parse_regimen_text(text: str) -> Any:
    """Validate an arm's regimen string with the therapy catalogue and return the parsed regimen.

    The text form is the catalogue's ``NAME[:DOSE][:SCHEDULE]``
    (``"pembrolizumab:200mg:q3w*35"``, ``"carboplatin_paclitaxel:1:q3w*4"``),
    parsed by :func:`oncoimmune.therapy.regimen.parse_therapy` for a reference
    patient (the runner re-parses it with each patient's weight and height).

    Raises
    ------
    ValueError
        With what is wrong and the valid choices (the catalogue's message).
    """
    from ..therapy.regimen import parse_therapy

    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"a regimen must be a non-empty string like 'pembrolizumab:200mg:q3w'; got {text!r}")
    try:
        return parse_therapy(text)
    except OncoimmuneError as exc:
        raise ValueError(str(exc)) from None


# ---------------------------------------------------------------------------
# pydantic errors -> one line naming the field path
# ---------------------------------------------------------------------------
_NOTHING = object()
_UNION_TAG = re.compile(r"(int|float|str|bool|dict\[.*\]|list\[.*\])")


def _from_validation_error(exc: ValidationError) -> SpecFileError:
    errors = exc.errors(include_url=False)
    err = errors[0]
    # a field with a union type (prior_lines: int | table) adds the member's type to the location: drop it
    loc = tuple(p for p in err.get("loc", ()) if not (isinstance(p, str) and _UNION_TAG.fullmatch(p)))
    path = _path(loc)
    kind = err.get("type", "")
    got = err.get("input", _NOTHING)
    hint = _hint(path)
    if kind == "missing":
        reason, got = "is required", _NOTHING
    elif kind == "extra_forbidden":
        parent = _path(loc[:-1])
        reason = f"is not a known field{' of ' + parent if parent != '(spec)' else ''}; check the spelling"
        got, hint = _NOTHING, None
    else:
        reason = pydantic_reason(err)
    if got is not _NOTHING and not isinstance(got, (dict, list)):
        reason += f"; got {got!r}"
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more error(s))"
    return spec_error(path, reason, hint=hint)
