"""The drug catalogue: completeness, classes, label regimens against the prescribing information, sources.

Label values (doses, intervals, counts) are checked against the US prescribing
information sections named in each entry's ``LabelRegimen.source``; PK values
against the label (section 12.3) where it states them.
"""

from __future__ import annotations

import json
import math

import pytest

from oncoimmune import ModelSpecError, Source, UnknownNameError
from oncoimmune.therapy.catalogue import (
    CATALOGUE,
    CLASSES,
    MECHANISM_KEYS,
    CellularKinetics,
    Drug,
    IntralesionalInjection,
    MAbPK,
    OneCompartmentPK,
    drugs_in_class,
    get_drug,
    list_catalogue,
)
from oncoimmune.therapy.drugs import get_drug as get_pk
from oncoimmune.therapy.pk import two_compartment_half_lives
from oncoimmune.therapy.regimen import Regimen, mechanism_registry

ELEVEN = {
    "pembrolizumab",
    "nivolumab",
    "atezolizumab",
    "ipilimumab",
    "rituximab",
    "trastuzumab",
    "talimogene_laherparepvec",
    "aldesleukin",
    "ropeginterferon_alfa_2b",
    "tisagenlecleucel",
    "axicabtagene_ciloleucel",
}


#: Checkpoint inhibitors of the eligibility table whose popPK was encoded for issue 13.
ISSUE13_POPPK = {"durvalumab", "cemiplimab", "dostarlimab", "tremelimumab", "tislelizumab", "avelumab"}


def test_the_eleven_drugs_are_there():
    """The eleven drugs with encoded kinetics, plus the checkpoint inhibitors whose popPK issue 13 encoded;
    the other label-only entries are kept out of simulation."""
    assert ELEVEN <= set(CATALOGUE)
    assert {n for n, d in CATALOGUE.items() if d.simulable} == ELEVEN | ISSUE13_POPPK


@pytest.mark.parametrize("name", sorted(ISSUE13_POPPK))
def test_issue13_poppk_entries_join_the_label_row_and_the_pk(name):
    from oncoimmune.therapy.catalogue import ENCODED_FROM_FILE, LABEL_ONLY

    d = CATALOGUE[name]
    assert name in ENCODED_FROM_FILE and name not in LABEL_ONLY
    assert isinstance(d.kinetics, MAbPK) and d.kinetics.pk is get_pk(name)
    assert d.exposure_name == f"{name}_conc" and d.mechanism in MECHANISM_KEYS
    for k in ("CL", "V1", "Q", "V2"):
        src = d.kinetics.pk.sources[k]
        assert "Table" in src.location and src.doi, (name, k)
    # tislelizumab: clearance does not change with time (Budha 2023; TEVIMBRA SmPC 5.2)
    assert d.kinetics.pk.clearance.time_varying == (name != "tislelizumab")
    assert d.to_dict()["pk_status"] == "encoded" or d.to_dict()["simulable"]


@pytest.mark.parametrize("name", sorted(ELEVEN))
def test_every_entry_is_complete(name):
    d = CATALOGUE[name]
    assert d.classes and set(d.classes) <= set(CLASSES)
    assert d.target and d.mechanism in MECHANISM_KEYS
    assert d.brands and d.indications
    assert isinstance(d.label, Source) and d.label.location
    assert d.sources and all(isinstance(s, Source) and s.citation for s in d.sources)
    assert isinstance(d.kinetics.source, Source) and d.kinetics.describe()
    reg = d.regimen()
    assert reg.phases and reg.summary and isinstance(reg.source, Source)
    # every label regimen gives at least one administration
    for r in d.regimens.values():
        adm = Regimen.from_label(d, r.key, until=365).administrations()
        assert adm and all(a[1] > 0 for a in adm), r.key
    assert d.verification
    json.dumps(d.to_dict())


def test_one_drug_can_belong_to_several_classes():
    for name in ("pembrolizumab", "nivolumab", "atezolizumab", "ipilimumab"):
        assert {"monoclonal_antibody", "checkpoint_inhibitor", "targeted_therapy"} <= set(
            CATALOGUE[name].classes
        )
    assert {"oncolytic_virus", "vaccine"} <= set(CATALOGUE["talimogene_laherparepvec"].classes)
    assert {"car_t", "biological_therapy"} <= set(CATALOGUE["tisagenlecleucel"].classes)
    assert not CATALOGUE["rituximab"].has_class("checkpoint_inhibitor")
    assert {d.name for d in drugs_in_class("cytokine") if d.simulable} == {"aldesleukin", "ropeginterferon_alfa_2b"}
    assert {d.name for d in drugs_in_class("checkpoint_inhibitor") if d.simulable} == {
        "pembrolizumab",
        "nivolumab",
        "atezolizumab",
        "ipilimumab",
        "durvalumab",
        "cemiplimab",
        "dostarlimab",
        "tremelimumab",
        "tislelizumab",
        "avelumab",
    }
    # every gallery class has a drug
    for cls in (
        "monoclonal_antibody",
        "checkpoint_inhibitor",
        "vaccine",
        "oncolytic_virus",
        "cytokine",
        "car_t",
    ):
        assert drugs_in_class(cls), cls
    with pytest.raises(UnknownNameError, match="car_t"):
        drugs_in_class("antibody")


def test_kinetics_kinds():
    assert all(
        isinstance(CATALOGUE[n].kinetics, MAbPK)
        for n in ("pembrolizumab", "nivolumab", "atezolizumab", "ipilimumab", "rituximab", "trastuzumab")
    )
    assert isinstance(CATALOGUE["aldesleukin"].kinetics, OneCompartmentPK)
    assert isinstance(CATALOGUE["ropeginterferon_alfa_2b"].kinetics, OneCompartmentPK)
    assert isinstance(CATALOGUE["talimogene_laherparepvec"].kinetics, IntralesionalInjection)
    assert isinstance(CATALOGUE["tisagenlecleucel"].kinetics, CellularKinetics)
    assert CATALOGUE["tisagenlecleucel"].kinetics.parameters["Tmax"][0] == 9.3
    assert CATALOGUE["talimogene_laherparepvec"].amount_unit == "PFU"
    assert CATALOGUE["axicabtagene_ciloleucel"].amount_unit == "cells"


@pytest.mark.parametrize(
    "alias, name",
    [
        ("Keytruda", "pembrolizumab"),
        ("OPDIVO", "nivolumab"),
        ("T-VEC", "talimogene_laherparepvec"),
        ("talimogene laherparepvec", "talimogene_laherparepvec"),
        ("IL-2", "aldesleukin"),
        ("Proleukin", "aldesleukin"),
        ("Besremi", "ropeginterferon_alfa_2b"),
        ("ropeginterferon alfa-2b", "ropeginterferon_alfa_2b"),
        ("tisa-cel", "tisagenlecleucel"),
        ("axi-cel", "axicabtagene_ciloleucel"),
        ("MabThera", "rituximab"),
    ],
)
def test_names_brands_and_abbreviations_resolve(alias, name):
    assert get_drug(alias).name == name


def test_unknown_drug_lists_the_catalogue():
    with pytest.raises(UnknownNameError, match="pembrolizumab") as info:
        get_drug("aspirin")
    assert "axicabtagene_ciloleucel" in str(info.value)


def test_invalid_entries_are_refused():
    base = CATALOGUE["pembrolizumab"]
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    with pytest.raises(ModelSpecError, match="unknown class"):
        Drug(**{**fields, "classes": ("antibody",)})
    with pytest.raises(ModelSpecError, match="at least one class"):
        Drug(**{**fields, "classes": ()})
    with pytest.raises(ModelSpecError, match="mechanism"):
        Drug(**{**fields, "mechanism": "magic"})
    with pytest.raises(ModelSpecError, match="default_regimen"):
        Drug(**{**fields, "default_regimen": "1mg_q1d"})


# ---------------------------------------------------------------------------------------------------------
# label regimens (US prescribing information, section 2)
def adm(name, key=None, until=400.0, **patient):
    return Regimen.from_label(name, key, until=until, **patient).administrations()


def test_checkpoint_label_regimens():
    p = adm("pembrolizumab", "200mg_q3w", until=None)
    assert len(p) == 35 and p[1][0] == 21.0 and p[0][1] == 200.0  # KEYTRUDA 2: up to 24 months
    assert [a[0] for a in adm("pembrolizumab", "400mg_q6w", until=100)] == [0.0, 42.0, 84.0]
    assert [a[1] for a in adm("nivolumab", "480mg_q4w", until=60)] == [480.0, 480.0, 480.0]
    a = adm("atezolizumab", "1200mg_q3w", until=50)
    assert [x[0] for x in a] == [0.0, 21.0, 42.0] and {x[1] for x in a} == {1200.0}
    first = CATALOGUE["atezolizumab"].regimen().phases[0]
    assert first.loading_route.duration == pytest.approx(60 / 1440) and first.route.duration == pytest.approx(
        30 / 1440
    )
    ipi = adm("ipilimumab", until=None, weight_kg=80)
    assert [x[0] for x in ipi] == [0.0, 21.0, 42.0, 63.0] and ipi[0][1] == pytest.approx(240.0)  # 3 mg/kg x4


def test_antibody_label_regimens():
    r = adm("rituximab", "375mgm2_weekly_x4", until=None, bsa_m2=2.0)
    assert [x[0] for x in r] == [0.0, 7.0, 14.0, 21.0] and r[0][1] == pytest.approx(750.0)
    t = adm("trastuzumab", "8_6mgkg_q3w", until=50, weight_kg=60)
    assert [x[1] for x in t] == pytest.approx([480.0, 360.0, 360.0])


def test_tvec_label_regimen():
    """IMLYGIC 2: up to 4 mL of 1e6 PFU/mL, then 4 mL of 1e8 PFU/mL 3 weeks later and every 2 weeks."""
    a = adm("talimogene_laherparepvec", until=None)
    assert [x[0] for x in a[:4]] == [0.0, 21.0, 35.0, 49.0]
    assert a[0][1] == 4.0e6 and {x[1] for x in a[1:]} == {4.0e8}
    assert a[-1][0] == 175.0  # at least 6 months


def test_aldesleukin_label_regimen():
    """PROLEUKIN 2 Table 1: 600,000 IU/kg (0.037 mg/kg) q8h, max 14 doses days 1-5, rest, 14 doses days 15-19."""
    d = CATALOGUE["aldesleukin"]
    a = adm(d, until=None, weight_kg=80)
    assert len(a) == 28
    assert a[1][0] == pytest.approx(1 / 3) and a[13][0] == pytest.approx(13 / 3) and a[14][0] == 14.0
    assert a[0][1] == pytest.approx(600_000 * 80 / d.iu_per_mg) and a[0][1] / 80 == pytest.approx(
        0.037, rel=0.01
    )
    assert d.iu_per_mg == pytest.approx(18e6 / 1.1)
    assert d.kinetics.half_life_days * 1440 == pytest.approx(85.0)  # label 12.3 elimination t1/2


def test_ropeginterferon_label_titration():
    """BESREMi 2.2: 100 mcg every 2 weeks, +50 mcg every 2 weeks up to 500 mcg."""
    a = adm("ropeginterferon_alfa_2b", until=150)
    assert [round(x[1] * 1000) for x in a[:10]] == [100, 150, 200, 250, 300, 350, 400, 450, 500, 500]
    assert [x[0] for x in a[:3]] == [0.0, 14.0, 28.0]
    assert a[8][0] == 112.0


def test_ropeginterferon_derived_absorption_is_consistent_with_the_published_tmax():
    """ka is derived (flip-flop), so check that with CL/F and V/F it puts Tmax inside Huang 2021's 92-141 h."""
    k = CATALOGUE["ropeginterferon_alfa_2b"].kinetics
    ke = k.CL / k.V
    tmax_h = math.log(k.ka / ke) / (k.ka - ke) * 24.0
    assert 92.0 <= tmax_h <= 141.0


def test_car_t_label_regimens():
    """KYMRIAH 2-3 and YESCARTA 2: one infusion after lymphodepletion; axi-cel 2e6/kg capped at 2e8."""
    tisa = CATALOGUE["tisagenlecleucel"]
    a = adm(tisa, "lbcl", until=None)
    assert len(a) == 1 and 0.6e8 <= a[0][1] <= 6.0e8
    assert len(adm(tisa, "all_le50kg", until=None, weight_kg=40)) == 1
    assert {s.drug for s in tisa.regimen("all_le50kg").conditioning} == {"fludarabine", "cyclophosphamide"}
    flu = next(s for s in tisa.regimen("all_le50kg").conditioning if s.drug == "fludarabine")
    assert flu.dose.amount == 30 and flu.dose.unit == "mg/m2" and flu.cycles == 4
    assert adm("axicabtagene_ciloleucel", until=None, weight_kg=70)[0][1] == pytest.approx(1.4e8)
    assert adm("axicabtagene_ciloleucel", until=None, weight_kg=130)[0][1] == pytest.approx(2.0e8)


# ---------------------------------------------------------------------------------------------------------
# PK of the two added antibodies against their labels (published values; tolerance +-15 %, docs/pk.md)
def test_atezolizumab_pk_against_the_label():
    """TECENTRIQ 12.3: CL 0.200 L/day, V1 3.28 L, Vss 6.91 L, terminal t1/2 27 days."""
    pk = get_pk("atezolizumab")
    assert pk.CL == pytest.approx(0.200) and pk.V1 == pytest.approx(3.28)
    assert pk.vss == pytest.approx(6.91, rel=1e-3)
    t_half = two_compartment_half_lives(pk.CL, pk.V1, pk.Q, pk.V2)[1]
    assert t_half == pytest.approx(27.0, rel=0.15)


def test_ipilimumab_pk_against_the_label():
    """Feng 2014 Table 2 (CL 0.0150 L/h, Vc 4.15 L, Q 0.0411 L/h, Vp 3.11 L); Centanni 2019 and YERVOY: t1/2 15 d."""
    pk = get_pk("ipilimumab")
    assert pk.CL == pytest.approx(0.36) and pk.Q == pytest.approx(0.9864)
    t_half = two_compartment_half_lives(pk.CL, pk.V1, pk.Q, pk.V2)[1]
    assert t_half == pytest.approx(15.0, rel=0.05)
    assert pk.kd_ug_per_ml is None  # no verified KD: the mechanism gets the concentration


def test_unverified_values_say_so():
    assert "UNVERIFIED" in get_pk("atezolizumab").kd_source.note
    assert "UNVERIFIED" in CATALOGUE["ropeginterferon_alfa_2b"].kinetics.sources["ka"].note
    assert "UNVERIFIED" in CATALOGUE["atezolizumab"].verification


# ---------------------------------------------------------------------------------------------------------
def test_list_catalogue_rows():
    rows = list_catalogue()
    assert [r["name"] for r in rows] == list(CATALOGUE)
    for r in rows:
        assert {
            "name",
            "classes",
            "target",
            "label_schedule",
            "pk_source",
            "mechanism",
            "mechanism_available",
        } <= set(r)
        assert r["pk_source"] and r["label_schedule"]
    json.dumps(rows)


def test_mechanism_keys_match_the_registry():
    reg = mechanism_registry()
    if not reg:
        pytest.skip("oncoimmune.therapy.mechanisms is not there yet")
    missing = sorted({d.mechanism for d in CATALOGUE.values() if d.simulable} - set(reg))
    assert missing == [], f"catalogue mechanisms not registered: {missing}"
    assert all(r["mechanism_available"] for r in list_catalogue() if r["simulable"])


def test_every_drug_of_the_indication_table_is_in_the_catalogue():
    """Issue 13: every drug of the eligibility table is in `oncoimmune drugs`, with classes and a label schedule."""
    from oncoimmune.patients import DRUGS, load_indications

    used = {d for r in load_indications() for d in r.drugs}
    for pid in used:
        d = get_drug(pid.replace("-", "_"))
        assert d.classes and d.regimen().summary and d.label.location, pid
    assert set(DRUGS) == used


def test_label_only_drugs_are_kept_out_of_simulation():
    from oncoimmune.therapy.catalogue import LABEL_ONLY, NotModelledKinetics

    assert LABEL_ONLY
    for d in LABEL_ONLY.values():
        assert not d.simulable and isinstance(d.kinetics, NotModelledKinetics)
        assert d.kinetics.status in ("published-not-encoded", "label-only", "not-applicable")
        if d.kinetics.status == "published-not-encoded":
            assert "(20" in d.kinetics.source.citation  # a dated paper
    rel = CATALOGUE["relatlimab"]
    with pytest.raises(ModelSpecError, match="kept out of simulation.*linear clearance only"):
        rel.kinetics.add_to(None, "rel")  # refused before the model is looked at; the reason is shown


#: The checkpoint inhibitors whose published popPK issue 13 asked to encode and that stay out (fifth pass,
#: 2026-12-07; dostarlimab, tremelimumab and tislelizumab are encoded, tests/therapy/test_pk_issue13_encoded.py,
#: and avelumab, tests/therapy/test_pk_avelumab.py): each cites its analysis, says why it is not encoded, and
#: stays out of simulation.
ISSUE13_POPPK_NOT_READ = {"relatlimab"}


@pytest.mark.parametrize("name", sorted(ISSUE13_POPPK_NOT_READ))
def test_issue13_poppk_not_read_is_cited_and_kept_out_of_simulation(name):
    d = CATALOGUE[name]
    assert not d.simulable
    doc = d.to_dict()
    assert doc["pk_status"] == "published-not-encoded"
    assert d.kinetics.citation.doi and d.kinetics.citation.citation
    assert "Not encoded" in d.kinetics.note and "Kept out of simulation" in d.kinetics.note


# The documents count what the code holds (scripts/therapy_docs.py regenerates the phrases) ---------------

_DOCS = __import__("pathlib").Path(__file__).resolve().parents[2] / "docs"


def _between(text: str, tag: str) -> str:
    import re

    m = re.search(rf"<!-- {tag} -->(.*?)<!-- /{tag} -->", text, flags=re.S)
    assert m, f"marker <!-- {tag} --> missing; add it and run scripts/therapy_docs.py"
    return m.group(1)


def test_therapies_doc_counts_the_catalogue():
    """docs/therapies.md says how many drugs are simulable as the catalogue does, and tabulates each one."""
    from oncoimmune.therapy.catalogue import catalogue_counts_markdown

    doc = _DOCS / "therapies.md"
    if not doc.exists():
        pytest.skip("docs/therapies.md not present")
    text = doc.read_text()
    assert _between(text, "catalogue-counts") == catalogue_counts_markdown(), (
        "docs/therapies.md counts differ from CATALOGUE; run PYTHONPATH=src python scripts/therapy_docs.py"
    )
    assert "eleven simulable" not in text
    rows = {line.split("|")[1].strip().replace("-", " ") for line in text.splitlines() if line.startswith("| ")}
    missing = [d.name for d in CATALOGUE.values()
               if d.simulable and not any(r.startswith(d.name.replace("_", " ")) for r in rows)]
    assert not missing, f"docs/therapies.md's catalogue table lacks simulable drugs {missing}"


def test_pk_doc_counts_the_antibodies():
    """docs/pk.md names the antibodies of therapy.drugs.DRUGS, counted from the code."""
    from oncoimmune.therapy.drugs import DRUGS, pk_counts_markdown

    doc = _DOCS / "pk.md"
    if not doc.exists():
        pytest.skip("docs/pk.md not present")
    phrase = _between(doc.read_text(), "drugs-pk")
    assert phrase == pk_counts_markdown()
    assert phrase.startswith(f"{len(DRUGS)} ")
