"""Hand-worked eligibility cases, argument checking and the report's two forms.

Each case is worked from the cited document (row source in the table), e.g.
NICE TA531: pembrolizumab alone for untreated metastatic NSCLC with PD-L1 TPS
of at least 50 %; FDA 2019-04-11: the same in the US from TPS 1 %.
"""

from __future__ import annotations

import json

import pytest

from oncoimmune import UnknownNameError
from oncoimmune.patients import DISCLAIMER, PatientInputError, check_eligibility


def status(report, row_id):
    return report.status_of(row_id)


def reasons(report, row_id):
    for a in report.assessments:
        if a.indication.id == row_id:
            return " ".join(a.reasons + a.missing)
    raise AssertionError(row_id)


# -- NSCLC and PD-L1 ------------------------------------------------------------


@pytest.mark.parametrize("region", ["uk", "us"])
def test_untreated_metastatic_nsclc_pdl1_60_gets_pembrolizumab_alone(region):
    r = check_eligibility("nsclc", stage="IV", pdl1=60, prior_lines=0, age=64, region=region)
    assert status(r, f"{region}-pembrolizumab-nsclc-1l-mono") == "eligible"
    assert "pembrolizumab" in r.eligible_drugs
    assert "atezolizumab" in r.eligible_drugs


def test_pdl1_10_not_for_first_line_monotherapy_in_uk_with_reason():
    r = check_eligibility("nsclc", stage="IV", pdl1=10, prior_lines=0, age=64)
    assert status(r, "uk-pembrolizumab-nsclc-1l-mono") == "not-eligible"
    why = reasons(r, "uk-pembrolizumab-nsclc-1l-mono")
    assert "PD-L1" in why and "50%" in why and "low" in why
    # the chemotherapy combinations remain possible once the histology is known
    assert status(r, "uk-pembrolizumab-nsclc-1l-chemo-nonsq") == "needs-information"
    r2 = check_eligibility("nsclc", stage="IV", pdl1=10, prior_lines=0, age=64, histology="adenocarcinoma")
    assert status(r2, "uk-pembrolizumab-nsclc-1l-chemo-nonsq") == "eligible"
    assert status(r2, "uk-pembrolizumab-nsclc-1l-chemo-sq") == "not-eligible"


def test_pdl1_10_is_enough_for_first_line_monotherapy_in_us():
    r = check_eligibility("nsclc", stage="IV", pdl1=10, prior_lines=0, age=64, region="us")
    assert status(r, "us-pembrolizumab-nsclc-1l-mono") == "eligible"
    assert status(r, "us-atezolizumab-nsclc-1l-mono") == "not-eligible"


@pytest.mark.parametrize("pdl1, expected", [(49, "not-eligible"), (50, "eligible")])
def test_pdl1_boundary_49_vs_50(pdl1, expected):
    r = check_eligibility("nsclc", stage="IV", pdl1=pdl1, prior_lines=0, age=70)
    assert status(r, "uk-pembrolizumab-nsclc-1l-mono") == expected


@pytest.mark.parametrize("pdl1, expected", [(0, "not-eligible"), (0.99, "not-eligible"), (1, "eligible")])
def test_pdl1_boundary_1_percent_us(pdl1, expected):
    r = check_eligibility("nsclc", stage="IV", pdl1=pdl1, prior_lines=0, age=70, region="us")
    assert status(r, "us-pembrolizumab-nsclc-1l-mono") == expected


def test_after_chemotherapy_needs_an_earlier_line_and_chemotherapy():
    r = check_eligibility("nsclc", stage="IV", pdl1=5, prior_lines=1, prior=["carboplatin"], age=60)
    assert status(r, "uk-pembrolizumab-nsclc-after-chemo") == "eligible"
    assert status(r, "uk-pembrolizumab-nsclc-1l-mono") == "not-eligible"
    r = check_eligibility("nsclc", stage="IV", pdl1=5, prior_lines=1, age=60)
    assert status(r, "uk-pembrolizumab-nsclc-after-chemo") == "needs-information"
    assert "chemotherapy" in reasons(r, "uk-pembrolizumab-nsclc-after-chemo")


def test_missing_facts_never_rule_out():
    r = check_eligibility("nsclc")
    assert not r.not_eligible
    assert {a.status for a in r.assessments} == {"needs-information"}
    assert any("PD-L1" in m for a in r.assessments for m in a.missing)


# -- paediatric B-ALL and tisagenlecleucel -----------------------------------------


@pytest.mark.parametrize("region", ["uk", "us"])
def test_paediatric_ball_relapsed_age_10_gets_tisagenlecleucel(region):
    r = check_eligibility("b-all", age=10, prior_lines=2, region=region)
    assert status(r, f"{region}-tisagenlecleucel-ball") == "eligible"
    assert "tisagenlecleucel" in r.eligible_drugs
    # blinatumomab for relapsed ALL: adults only in the UK (NICE TA450), adults and children in the US label
    assert ("blinatumomab" in r.eligible_drugs) == (region == "us")


@pytest.mark.parametrize("age, expected", [(25, "eligible"), (25.5, "not-eligible"), (30, "not-eligible")])
def test_tisagenlecleucel_ball_age_limit_25(age, expected):
    r = check_eligibility("B-ALL", age=age, prior_lines=2)
    assert status(r, "uk-tisagenlecleucel-ball") == expected
    if expected == "not-eligible":
        assert "25" in reasons(r, "uk-tisagenlecleucel-ball")


def test_tisagenlecleucel_needs_age_and_relapse():
    r = check_eligibility("b-all")
    assert status(r, "uk-tisagenlecleucel-ball") == "needs-information"
    r = check_eligibility("b-all", age=8, prior_lines=0)
    assert status(r, "uk-tisagenlecleucel-ball") == "not-eligible"


# -- polycythaemia vera and essential thrombocythaemia: interferons ------------------


def test_pv_ropeginterferon_in_the_right_region():
    us = check_eligibility("polycythemia vera", region="us")
    a = [x for x in us.eligible if x.indication.id == "us-ropeginterferon-pv"][0]
    assert a.indication.access == "approved"
    uk = check_eligibility("polycythaemia-vera", region="uk")
    assert status(uk, "uk-ropeginterferon-pv") == "eligible"
    ropeg = [x for x in uk.assessments if x.indication.id == "uk-ropeginterferon-pv"][0]
    assert ropeg.indication.access == "licensed-only"  # licensed, not NHS-funded
    assert "not recommended by NICE" in ropeg.indication.access_text
    assert status(uk, "uk-peginterferon-mpn") == "eligible"  # off-label interferon in practice


def test_et_interferon():
    uk = check_eligibility("et")
    assert uk.eligible_drugs == ("peginterferon-alfa-2a",)
    assert any(d == "ropeginterferon-alfa-2b" and "US" in why for d, why in uk.not_indicated)
    us = check_eligibility("et", region="us")
    assert status(us, "us-ropeginterferon-et") == "eligible"  # ET added to the Besremi label 08/2026 (openFDA change list)


# -- melanoma ------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["IIIB", "IIIC", "IV-M1a", "stage 4 M1a"])
def test_unresectable_melanoma_iiib_to_iv_m1a_gets_tvec(stage):
    r = check_eligibility("melanoma", stage=stage, setting="advanced", age=72)
    assert status(r, "uk-talimogene-melanoma") == "eligible"
    a = [x for x in r.eligible if x.indication.id == "uk-talimogene-melanoma"][0]
    assert any("systemic immunotherapy" in c for c in a.to_confirm)


@pytest.mark.parametrize("stage", ["IIIA", "IIID", "IV-M1b", "IV-M1c"])
def test_tvec_not_outside_iiib_to_iv_m1a(stage):
    r = check_eligibility("melanoma", stage=stage, setting="advanced", age=72)
    assert status(r, "uk-talimogene-melanoma") == "not-eligible"
    assert "IV-M1a" in reasons(r, "uk-talimogene-melanoma")


def test_broad_stage_asks_for_a_precise_one():
    r = check_eligibility("melanoma", stage="III", setting="advanced", age=72)
    assert status(r, "uk-talimogene-melanoma") == "needs-information"
    assert "more precise stage" in reasons(r, "uk-talimogene-melanoma")
    assert status(r, "uk-pembrolizumab-melanoma-advanced") == "eligible"


def test_adjuvant_melanoma():
    r = check_eligibility("melanoma", stage="IIIB", setting="adjuvant", age=50)
    assert status(r, "uk-nivolumab-melanoma-adjuvant") == "eligible"
    assert status(r, "uk-talimogene-melanoma") == "not-eligible"
    us14 = check_eligibility("melanoma", stage="IIB", setting="adjuvant", age=14, region="us")
    assert status(us14, "us-pembrolizumab-melanoma-adjuvant") == "eligible"
    us10 = check_eligibility("melanoma", stage="IIB", setting="adjuvant", age=10, region="us")
    assert status(us10, "us-pembrolizumab-melanoma-adjuvant") == "not-eligible"


def test_stage_iv_implies_advanced_and_says_so():
    r = check_eligibility("melanoma", stage="IV-M1c", age=60)
    assert r.patient.setting == "advanced" and r.patient.setting_inferred
    assert any("taken as advanced" in a for a in r.patient.assumptions)
    assert status(r, "uk-pembrolizumab-melanoma-advanced") == "eligible"


# -- colorectal (MSI) and tumour-agnostic TMB -------------------------------------------


def test_msi_high_metastatic_crc():
    r = check_eligibility("crc", stage="IV", msi="high", prior_lines=0, age=58)
    assert status(r, "uk-pembrolizumab-crc-msi-1l") == "eligible"
    assert status(r, "uk-nivolumab-ipilimumab-crc-msi-1l") == "eligible"
    s = check_eligibility("crc", stage="IV", msi="stable", prior_lines=0, age=58)
    assert s.eligible == ()
    assert "microsatellite" in reasons(s, "uk-pembrolizumab-crc-msi-1l")


@pytest.mark.parametrize("tmb, expected", [(9.9, "not-eligible"), (10, "eligible")])
def test_tmb_high_tumour_agnostic_us(tmb, expected):
    r = check_eligibility("rcc", stage="IV", tmb=tmb, prior_lines=1, age=60, region="us")
    assert status(r, "us-pembrolizumab-tmb-high") == expected


# -- breast (HER2) ------------------------------------------------------------------------


def test_her2_breast_adjuvant_trastuzumab():
    r = check_eligibility(
        "her2-breast", stage="IIA", setting="adjuvant", prior=["surgery", "chemotherapy"], age=48
    )
    assert status(r, "uk-trastuzumab-breast-early") == "eligible"
    a = [x for x in r.eligible if x.indication.id == "uk-trastuzumab-breast-early"][0]
    assert any("assumed" in c for c in a.to_confirm)  # HER2 positive by definition
    r = check_eligibility("her2-breast", stage="IIA", setting="adjuvant", her2="2+ ISH+", age=48)
    assert status(r, "uk-trastuzumab-breast-early") == "needs-information"  # chemotherapy not stated


def test_her2_negative_contradicts_her2_positive_cancer():
    with pytest.raises(PatientInputError, match="her2"):
        check_eligibility("her2-breast", her2="1+")


# -- lymphoma -----------------------------------------------------------------------------


def test_dlbcl_second_line_car_t():
    r = check_eligibility("dlbcl", stage="III", prior_lines=1, prior=["R-CHOP"], age=55)
    assert status(r, "uk-axicabtagene-lbcl-2l") == "eligible"
    assert status(r, "uk-axicabtagene-lbcl-3l") == "not-eligible"
    assert status(r, "uk-rituximab-dlbcl-1l") == "not-eligible"
    a = [x for x in r.eligible if x.indication.id == "uk-axicabtagene-lbcl-2l"][0]
    assert a.indication.access == "managed-access"
    r = check_eligibility("dlbcl", prior_lines=1, prior=["radiotherapy"], age=55)
    assert status(r, "uk-axicabtagene-lbcl-2l") == "not-eligible"
    assert "chemoimmunotherapy" in reasons(r, "uk-axicabtagene-lbcl-2l")


def test_untreated_fl_rituximab_cd20_assumed():
    r = check_eligibility("follicular lymphoma", stage="IV", prior_lines=0, age=62)
    assert status(r, "uk-rituximab-fl-1l") == "eligible"
    assert any("CD20" in a for a in r.patient.assumptions)
    r = check_eligibility("fl", stage="IV", prior_lines=0, age=62, cd20="negative")
    assert status(r, "uk-rituximab-fl-1l") == "not-eligible"


# -- argument checking ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(cancer="lung"), UnknownNameError, ["cancer type", "nsclc"]),
        (dict(cancer="nsclc", region="eu"), UnknownNameError, ["region", "uk", "us"]),
        (dict(cancer="nsclc", stage="V"), UnknownNameError, ["stage", "IIIB"]),
        (dict(cancer="nsclc", pdl1=120), PatientInputError, ["pdl1", "120"]),
        (dict(cancer="nsclc", pdl1="lots"), PatientInputError, ["pdl1"]),
        (dict(cancer="crc", msi="maybe"), UnknownNameError, ["msi", "stable"]),
        (dict(cancer="nsclc", age=-1), PatientInputError, ["age", "-1"]),
        (dict(cancer="nsclc", age="old"), PatientInputError, ["age"]),
        (dict(cancer="nsclc", prior_lines=1.5), PatientInputError, ["prior_lines", "1.5"]),
        (dict(cancer="nsclc", prior_lines=-2), PatientInputError, ["prior_lines"]),
        (
            dict(cancer="nsclc", prior=["magic beans"]),
            UnknownNameError,
            ["earlier treatment", "chemotherapy"],
        ),
        (dict(cancer="nsclc", setting="palliative"), UnknownNameError, ["setting", "advanced", "adjuvant"]),
        (dict(cancer="pv", setting="advanced"), PatientInputError, ["setting", "blood cancer"]),
        (dict(cancer="melanoma", histology="squamous"), PatientInputError, ["histology"]),
        (dict(cancer="pv", stage="II"), UnknownNameError, ["stage"]),
        (dict(cancer="rcc", tmb=-3), PatientInputError, ["tmb"]),
    ],
)
def test_bad_arguments_name_the_field_and_choices(kwargs, exc, words):
    with pytest.raises(exc) as ei:
        check_eligibility(**kwargs)
    for w in words:
        assert w in str(ei.value), (w, str(ei.value))


def test_unknown_keyword_is_refused():
    with pytest.raises(TypeError):
        check_eligibility("nsclc", colour="blue")  # type: ignore[call-arg]


def test_prior_accepts_a_single_string_and_drug_names():
    r = check_eligibility("melanoma", stage="IIIB", prior="ipilimumab", setting="advanced")
    assert "anti-ctla-4" in r.patient.prior and "ipilimumab" in r.patient.prior


# -- the report ---------------------------------------------------------------------------


def test_report_text_and_dict():
    r = check_eligibility("nsclc", stage="IV", pdl1=60, prior_lines=0, age=64)
    text = r.to_text()
    assert "not medical advice" in text
    assert "NICE TA531 (2018-07-18)" in text
    assert "Could have" in text and "Not suitable" in text
    d = json.loads(json.dumps(r.to_dict()))
    assert d["disclaimer"] == DISCLAIMER
    assert d["region"] == "uk"
    assert d["eligible"][0]["id"] == "uk-pembrolizumab-nsclc-1l-mono"
    assert d["eligible"][0]["source"] == "NICE TA531"
    assert d["patient"]["biomarkers"]["pdl1"]["category"] == "high"
    for a in d["not_eligible"]:
        assert a["reasons"] and a["citation"]
    assert d["table"]["rows_checked"] == len(r.assessments)


def test_every_assessment_has_a_status_and_every_exclusion_a_reason():
    for kw in [
        dict(cancer="nsclc", stage="IIIB", pdl1=30, prior_lines=2, prior=["cisplatin"], age=40),
        dict(cancer="melanoma", stage="IIB", setting="adjuvant", age=16),
        dict(cancer="lbcl", prior_lines=3, age=80),
        dict(cancer="rcc", stage="IV", prior_lines=0, age=66, region="us"),
    ]:
        r = check_eligibility(**kw)
        for a in r.assessments:
            assert a.status in ("eligible", "needs-information", "not-eligible")
            if a.status == "not-eligible":
                assert a.reasons
            if a.status == "needs-information":
                assert a.missing
        assert "not medical advice" in r.to_text()
