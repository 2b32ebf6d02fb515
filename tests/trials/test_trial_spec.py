"""Trial specs: the KEYNOTE-024 example loads, and every error names its field path and the fix."""

from __future__ import annotations

import copy
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from oncoimmune._errors import SpecFileError
from oncoimmune.patients.cohort import Population, screen
from oncoimmune.patients.link import link_patient
from oncoimmune.trials.spec import TrialSpec, load_trial_spec, parse_regimen_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "keynote024.toml"


@pytest.fixture(scope="module")
def data() -> dict:
    return tomllib.loads(EXAMPLE.read_text())


def _with(data: dict, path: str, value) -> dict:
    d = copy.deepcopy(data)
    keys = path.split(".")
    cur = d
    for k in keys[:-1]:
        cur = cur[int(k)] if isinstance(cur, list) else cur[k]
    last = keys[-1]
    if value is _DELETE:
        del cur[last]
    elif isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value
    return d


_DELETE = object()


# -- the example ------------------------------------------------------------------------------------
def test_keynote024_example_loads():
    s = load_trial_spec(EXAMPLE)
    assert s.n_patients == 305 and [a.name for a in s.arms] == ["pembrolizumab", "chemotherapy"]
    assert s.arms[1].crossover.to_arm == "pembrolizumab" and s.arms[1].crossover.probability == 0.54
    assert s.horizon_days == pytest.approx(20 * 365.25 / 12)  # calibrated example: docs/keynote024.md
    days = s.assessment_days()
    assert days[:3] == (63.0, 126.0, 189.0) and days[-1] <= s.horizon_days
    pop = s.to_population()
    assert isinstance(pop, Population) and pop.inclusion.biomarkers["pdl1"] == ("high",)
    assert s.link_coefficients().tumour_scale.value == 1.0  # the model counts real tumour cells
    assert s.build_model().id == "nsclc_tgi_immune"


def test_example_screens_and_links(data):
    s = TrialSpec.from_dict(data)
    sc = screen(s.to_population(), s.seed, 5)
    assert len(sc.enrolled) == 5
    lp = link_patient(
        s.build_model(), sc.enrolled[0], escape_mechanisms=s.model.escape, coefficients=s.link_coefficients()
    )
    assert set(lp.strengths) == set(s.model.escape)


def test_toml_round_trip(data, tmp_path):
    s = TrialSpec.from_dict(data)
    assert TrialSpec.from_toml(s.to_toml()) == s
    out = s.write(tmp_path / "spec.toml")
    assert load_trial_spec(out) == s


def test_regimens_go_through_the_catalogue():
    assert parse_regimen_text("pembrolizumab:200mg:q3w*35").drug.name == "pembrolizumab"
    assert parse_regimen_text("carboplatin_paclitaxel:1:q3w*4").key == "carboplatin_paclitaxel"
    with pytest.raises(ValueError, match="unknown drug"):
        parse_regimen_text("gemcitabine:1000mg/m2:q3w")
    # carboplatin is dosed by target AUC (Calvert): a bare number is refused with the fix
    with pytest.raises(ValueError, match="AUC"):
        parse_regimen_text("carboplatin:5:q3w")
    assert parse_regimen_text("carboplatin:AUC5:q3w*4").doses == (5.0,)
    with pytest.raises(ValueError, match="non-empty"):
        parse_regimen_text(" ")


def test_allocation_is_balanced_in_blocks_and_prefix_stable(data):
    s = TrialSpec.from_dict(data)
    a = s.allocation(40)
    for b in range(10):
        assert Counter(a[4 * b : 4 * b + 4]) == {"pembrolizumab": 2, "chemotherapy": 2}
    assert s.allocation(12) == a[:12]
    assert len(s.allocation()) == 305
    uneven = _with(data, "arms.0.ratio", 2)
    uneven["randomisation"]["block_size"] = 6
    a2 = TrialSpec.from_dict(uneven).allocation(60)
    assert Counter(a2) == {"pembrolizumab": 40, "chemotherapy": 20}


def test_assessment_schedule_changing_interval(data):
    d = _with(data, "assessment.phases", [{"every_weeks": 6, "until_week": 48}, {"every_weeks": 9}])
    days = TrialSpec.from_dict(d).assessment_days()
    weeks = [x / 7 for x in days]
    assert weeks[:8] == [6, 12, 18, 24, 30, 36, 42, 48] and weeks[8:10] == [57, 66]


# -- errors name the field path -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "path,value,field,match",
    [
        ("arms.1.regimens.0", "cisplatinum:75mg/m2:q3w", "arms[1].regimens[0]", "unknown drug 'cisplatinum'"),
        (
            "arms.0.regimens.0",
            "pembrolizumab:200mg:q3w:x35",
            "arms[0].regimens[0]",
            "DRUG\\[:DOSE\\]\\[:SCHEDULE\\]",
        ),
        ("arms.1.regimens.0", "carboplatin_paclitaxel:lots:q3w", "arms[1].regimens[0]", "'lots'"),
        ("arms.1.crossover.to_arm", "placebo", "arms[1].crossover.to_arm", "unknown arm 'placebo'"),
        ("arms.1.name", "pembrolizumab", "arms[1].name", "unique"),
        ("arms.0.ratio", 0, "arms[0].ratio", ">= 1"),
        ("arms.1.crossover.probability", 1.5, "arms[1].crossover.probability", "<= 1"),
        (
            "population.inclusion.biomarkers",
            {"pdl1": ["hi"]},
            "population.inclusion.biomarkers.pdl1",
            "valid categories",
        ),
        ("population.stages", ["IV", "V"], "population.stages[1]", "unknown stage"),
        ("population.cancer", "glioma", "population.cancer", "unknown cancer"),
        ("model.id", "lotka", "model.id", "unknown model"),
        ("model.escape", ["lymphopenia", "immunoediting"], "model.escape[1]", "not linked"),
        (
            "model.link",
            {"tumour_scale": 1e-4, "tmb_halve": 3.0},
            "model.link.tmb_halve",
            "unknown link coefficient",
        ),
        ("model.link", {"tumour_scale": -1.0}, "model.link.tumour_scale", "tumour_scale"),
        (
            "randomisation.block_size",
            3,
            "randomisation.block_size",
            "multiple of the sum of the arm ratios \\(2\\)",
        ),
        ("randomisation.stratify", ["eye_colour"], "randomisation.stratify[0]", "unknown factor"),
        ("randomisation", _DELETE, "randomisation", "required with more than one arm"),
        ("horizon_months", -3, "horizon_months", "must be > 0"),
        ("seed", True, "seed", "whole number"),
        ("n_patients", 10.5, "n_patients", "whole number"),
        ("name", _DELETE, "name", "is required"),
        ("colour", "blue", "colour", "not a known field"),
        ("death.rule", "old_age", "death.rule", "must be one of"),
        ("assessment.phases", [], "assessment.phases", "at least 1"),
        (
            "assessment.phases",
            [{"every_weeks": 6}, {"every_weeks": 9}],
            "assessment.phases[0].until_week",
            "required",
        ),
        (
            "assessment.phases",
            [{"every_weeks": 6, "until_week": 48}, {"every_weeks": 9, "until_week": 40}],
            "assessment.phases[1].until_week",
            "after the previous phase",
        ),
        ("assessment.phases", [{"every_weeks": 999}], "assessment.phases[0].every_weeks", "no assessment"),
    ],
)
def test_errors_name_the_field(data, path, value, field, match):
    with pytest.raises(SpecFileError, match=match) as ei:
        TrialSpec.from_dict(_with(data, path, value))
    assert ei.value.field == field
    assert f"field {field!r}" in str(ei.value)


def test_model_that_cannot_take_a_mechanism(data):
    d = _with(data, "model.id", "wodarz2001")
    with pytest.raises(SpecFileError, match="effector_supply") as ei:
        TrialSpec.from_dict(d)
    assert ei.value.field == "model.escape[0]"


def test_model_not_in_cells_needs_a_scale(data):
    d = _with(data, "model.id", "nikolopoulou2018")
    d["model"]["link"] = {}
    with pytest.raises(SpecFileError, match="g/cm\\^3") as ei:
        TrialSpec.from_dict(d)
    assert ei.value.field == "model.link.tumour_scale"


def test_error_carries_a_hint_and_the_file(tmp_path, data):
    text = EXAMPLE.read_text().replace('"pembrolizumab:200mg:q3w*35"', '"pembro:200mg:q3w"')
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(SpecFileError) as ei:
        load_trial_spec(p)
    msg = str(ei.value)
    assert msg.startswith(f"{p}: field 'arms[0].regimens[0]'")
    assert "valid choices" in msg and "give a regimen string" in msg


def test_unreadable_files():
    with pytest.raises(SpecFileError, match="does not exist"):
        load_trial_spec("no/such/spec.toml")
    with pytest.raises(SpecFileError, match="not valid TOML"):
        TrialSpec.from_toml("name = ")


def test_single_arm_needs_no_randomisation(data):
    d = copy.deepcopy(data)
    d["arms"] = [d["arms"][0]]
    del d["randomisation"]
    s = TrialSpec.from_dict(d)
    assert s.allocation(3) == ("pembrolizumab",) * 3
