"""Regimens: parsing DRUG[:DOSE][:SCHEDULE], errors naming the part, events, interventions."""

from __future__ import annotations

import pytest

from oncoimmune import ModelSpecError, ScheduleError, simulate
from oncoimmune.biology.escape import pdl1_checkpoint
from oncoimmune.library import get_model
from oncoimmune.therapy import regimen as regimen_mod
from oncoimmune.therapy.catalogue import CATALOGUE
from oncoimmune.therapy.regimen import (
    DEFAULT_PDL1_ENGAGEMENT,
    ChemotherapyCourse,
    MechanismUnavailableError,
    Regimen,
    TherapySpecError,
    parse_therapy,
    treat_regimens,
)
from oncoimmune.therapy.schedule import IVInfusion, Subcutaneous


def first(text, **kw):
    r = Regimen.parse(text, until=kw.pop("until", 400.0), **kw)
    return r, r.administrations()


@pytest.mark.parametrize(
    "text, label_key, dose, every, n",
    [
        ("pembrolizumab", "200mg_q3w", 200.0, 21.0, 35),
        ("pembrolizumab:200mg:q3w", "200mg_q3w", 200.0, 21.0, 35),
        ("pembrolizumab:400mg", "400mg_q6w", 400.0, 42.0, 18),
        ("Keytruda::400mg_q6w", "400mg_q6w", 400.0, 42.0, 18),
        ("nivolumab:480mg:q4w", "480mg_q4w", 480.0, 28.0, None),
        ("rituximab:375mg/m2:weekly*4", "375mgm2_weekly_x4", 375.0, 7.0, 4),
        ("pembrolizumab:2mg/kg:q3w", None, 2.0, 21.0, 35),
        ("pembrolizumab:200mg:q2w*6@14", None, 200.0, 14.0, 6),
    ],
)
def test_parse_examples(text, label_key, dose, every, n):
    r = Regimen.parse(text, until=400)
    m = r.phases[-1]
    assert r.label_key == label_key
    assert m.dose.amount == dose and m.every_days == every and m.cycles == n
    assert r.text == text


def test_trastuzumab_maintenance_dose_keeps_the_label_loading_dose():
    r, a = first("trastuzumab:6mg/kg:q3w", weight_kg=70)
    assert r.label_key == "8_6mgkg_q3w"
    assert [x[1] for x in a[:3]] == pytest.approx([560.0, 420.0, 420.0])
    _, a2 = first("trastuzumab:8mg/kg>6mg/kg:q3w*4", weight_kg=70)
    assert len(a2) == 4 and a2[0][1] == pytest.approx(560.0)
    _, a3 = first("trastuzumab:4mg/kg:q3w", weight_kg=50)  # a new dose replaces every amount
    assert {x[1] for x in a3} == {200.0}


def test_start_day_and_once():
    _, a = first("pembrolizumab:200mg:q3w*3@10")
    assert [x[0] for x in a] == [10.0, 31.0, 52.0]
    _, a = first("pembrolizumab::200mg_q3w@7")
    assert a[0][0] == 7.0
    _, a = first("nivolumab:240mg:once@5")
    assert [x[0] for x in a] == [5.0]
    _, a = first("aldesleukin:600000iu/kg:q8h*3")
    assert [x[0] for x in a] == pytest.approx([0.0, 1 / 3, 2 / 3])


def test_units_are_converted():
    d = CATALOGUE["aldesleukin"]
    _, a = first("IL-2:600000iu/kg", weight_kg=80)
    assert a[0][1] == pytest.approx(0.6e6 * 80 / d.iu_per_mg) and len(a) == 28
    _, a = first("aldesleukin:0.72miu/kg", weight_kg=80)
    assert a[0][1] == pytest.approx(0.72e6 * 80 / d.iu_per_mg)
    _, a = first("ropeg:250ug:q2w*2")
    assert [x[1] for x in a] == pytest.approx([0.25, 0.25])
    r, a = first("T-VEC:4e8pfu")  # the label's maintenance amount: the label regimen as it is
    assert r.label_key == "label" and a[0][1] == 4e6 and a[1][1] == 4e8
    _, a = first("T-VEC:1e8pfu")  # another amount replaces every visit's
    assert {x[1] for x in a} == {1e8}
    _, a = first("axi-cel:2e6cells/kg", weight_kg=150)
    assert a[0][1] == 2.0e8  # label cap
    _, a = first("tisagenlecleucel:1e8cells")
    assert a == [(0.0, 1e8, a[0][2])]


def test_zero_dose_is_valid():
    _, a = first("pembrolizumab:0", until=None)
    assert len(a) == 35 and {x[1] for x in a} == {0.0}
    _, a = first("trastuzumab:0mg/kg", weight_kg=70)
    assert {x[1] for x in a} == {0.0}


@pytest.mark.parametrize(
    "text, part, needles",
    [
        ("pembro", "DRUG", ["unknown drug 'pembro'", "pembrolizumab", "carboplatin_paclitaxel"]),
        ("", "DRUG", ["DRUG[:DOSE][:SCHEDULE]"]),
        ("pembrolizumab:200kg", "DOSE", ["unit 'kg'", "mg/kg"]),
        ("pembrolizumab:200", "DOSE", ["no unit", "mg"]),
        ("pembrolizumab:2x00mg:q3w", "DOSE", ["unit 'x00mg'"]),
        ("pembrolizumab:2.0.0mg", "DOSE", ["AMOUNT+UNIT"]),
        ("axicabtagene_ciloleucel:2e6mg/kg", "DOSE", ["cells/kg"]),
        ("talimogene_laherparepvec:4mg", "DOSE", ["pfu"]),
        ("pembrolizumab:200mg:q3z", "SCHEDULE", ["qNw", "200mg_q3w"]),
        ("pembrolizumab:200mg:q0w", "SCHEDULE", ["> 0"]),
        ("pembrolizumab:200mg:q3w*0", "SCHEDULE", [">= 1"]),
        ("pembrolizumab:200mg:once*3", "SCHEDULE", ["once"]),
        ("pembrolizumab:200mg:q3w:x", "format", ["at most two"]),
    ],
)
def test_bad_texts_name_the_part_and_the_choices(text, part, needles):
    with pytest.raises(TherapySpecError) as info:
        Regimen.parse(text)
    err = info.value
    assert err.part == part
    for n in needles:
        assert n in str(err), str(err)
    assert isinstance(err, ScheduleError) and isinstance(err, ValueError)


def test_patient_is_validated():
    with pytest.raises(TherapySpecError, match="weight_kg"):
        Regimen.parse("trastuzumab", weight_kg=-3)
    with pytest.raises(ScheduleError, match="until"):
        Regimen.parse("nivolumab").events()


def test_events_of_infusions_and_injections():
    r = Regimen.parse("pembrolizumab:200mg:q3w*2")
    evs = r.events()
    assert [e.kind for e in evs] == ["parameter"] * 4
    assert {e.target for e in evs} == {"pembrolizumab_infusion_rate"}
    assert evs[0].value == pytest.approx(200.0 / (30 / 1440))
    nivo = Regimen.parse("nivolumab:240mg:q2w", until=30).events()
    assert (
        nivo[0].target == "nivolumab_t_first_dose" and nivo[0].value == 0.0
    )  # time-varying clearance origin
    ropeg = Regimen.parse("ropeg", until=20).events()
    assert [e.target for e in ropeg] == ["ropeg_depot", "ropeg_depot"]
    assert isinstance(Regimen.parse("ropeg").phases[0].route, Subcutaneous)
    tvec = Regimen.parse("tvec", until=30).events()
    assert [e.target for e in tvec] == ["tvec_virus", "tvec_virus"] and "PFU" in tvec[0].label
    assert isinstance(Regimen.parse("aldesleukin").phases[0].route, IVInfusion)


def test_intervention_adds_kinetics_mechanism_and_events():
    m = pdl1_checkpoint(get_model("kuznetsov1994"), 1.0)
    iv = Regimen.parse("pembrolizumab").intervention(until=100)
    treated, evs = iv.apply(m)
    assert {"pembrolizumab_central", "pembrolizumab_peripheral"} <= set(treated.state_names)
    assert "pd1_occupancy" in treated.observable_names  # the brake is now driven by the drug
    assert len(evs) == 10 and iv.classes == CATALOGUE["pembrolizumab"].classes
    kin, _ = Regimen.parse("pembrolizumab").intervention(until=100, mechanism=False).apply(m)
    assert "pd1_occupancy" in kin.parameter_names


def test_pd1_blocker_needs_the_brake():
    base = get_model("kuznetsov1994")
    with pytest.raises(ModelSpecError, match="PD-L1 brake"):
        treat_regimens(base, "pembrolizumab", until=100)
    tr = treat_regimens(base, "pembrolizumab", until=100, pdl1_engagement=DEFAULT_PDL1_ENGAGEMENT)
    assert tr.model.parameter("pdl1_engagement").value == DEFAULT_PDL1_ENGAGEMENT
    # a model that already has the brake keeps its own strength
    tr2 = treat_regimens(pdl1_checkpoint(base, 3.0), "pembrolizumab", until=100, pdl1_engagement=1.0)
    assert tr2.model.parameter("pdl1_engagement").value == 3.0


def test_a_drug_twice_is_refused():
    with pytest.raises(ModelSpecError, match="twice"):
        treat_regimens(get_model("kuznetsov1994"), "trastuzumab", "Herceptin:6mg/kg:q1w", until=50)


def test_unavailable_mechanism_is_refused_by_name(monkeypatch):
    monkeypatch.setattr(regimen_mod, "mechanism_registry", dict)
    with pytest.raises(MechanismUnavailableError, match="rituximab.*not yet available"):
        Regimen.parse("rituximab").intervention()
    # the kinetics alone are still usable
    iv = Regimen.parse("rituximab").intervention(mechanism=False)
    m, evs = iv.apply(get_model("kuznetsov1994"))
    assert "rituximab_conc" in m.observable_names and len(evs) == 9  # first-dose day + 4 x (on, off)


def test_cell_product_uses_the_model_own_car_t_state():
    m = get_model("barros2021_cartmath")
    tr = treat_regimens(m, "axi-cel", until=50)
    assert [e.target for e in tr.events] == ["Ct"]
    with pytest.raises(ModelSpecError, match="cells/uL"):
        treat_regimens(get_model("kimmel2021_cart"), "axi-cel", until=50)
    tr2 = treat_regimens(get_model("kuznetsov1994"), "tisa-cel", until=50)
    assert "tisacel_cells" in tr2.model.state_names and tr2.events[0].target == "tisacel_cells"
    ds = simulate(tr2.model, 30, events=tr2.events)
    assert ds.attrs["status"] == "ok" and float(ds.tisacel_cells[0]) == 3.3e8


def test_chemotherapy_courses_parse():
    c = parse_therapy("carboplatin_paclitaxel")
    assert isinstance(c, ChemotherapyCourse) and c.key == "carboplatin_paclitaxel"
    c2 = parse_therapy("chemo:0.5:q3w*6@7")
    _, evs = c2.intervention().apply(get_model("kuznetsov1994"))
    assert [e.time for e in evs] == [7.0 + 21 * k for k in range(6)] and {e.value for e in evs} == {0.5}
    with pytest.raises(TherapySpecError, match="drug units"):
        parse_therapy("carboplatin_paclitaxel:1mg")
    with pytest.raises(TherapySpecError, match="SCHEDULE"):
        parse_therapy("carboplatin_etoposide:q3z")
