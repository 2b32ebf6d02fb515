"""Real patient stories walked through the indication table (issue 13), one or more per cancer type.

Each story is a person as a clinic letter would describe them; the expected
options are those of the cited NICE appraisal or FDA label (row sources). A
story failing means the table gives that person a wrong or incomplete answer.
"""

from __future__ import annotations

import pytest

from oncoimmune.patients import check_eligibility


def ids(report, status="eligible"):
    return {a.indication.id for a in report.assessments if a.status == status}


def test_uk_stage_iv_nsclc_after_platinum_is_offered_nivolumab_and_atezolizumab():
    """The story of issue 13: NICE TA655/TA713 (nivolumab) and TA520 (atezolizumab) after chemotherapy."""
    sq = check_eligibility("nsclc", stage="IV", prior_lines=1, prior=["carboplatin", "gemcitabine"], age=67,
                           histology="squamous", pdl1=0)
    assert {"uk-nivolumab-nsclc-sq-after-chemo", "uk-atezolizumab-nsclc-after-chemo"} <= ids(sq)
    assert "uk-pembrolizumab-nsclc-after-chemo" not in ids(sq)  # TA428 needs PD-L1 >= 1 %
    assert {"nivolumab", "atezolizumab"} <= set(sq.eligible_drugs)
    text = sq.to_text()
    assert "NICE TA655" in text and "NICE TA520" in text
    nonsq = check_eligibility("nsclc", stage="IV", prior_lines=1, prior=["cisplatin", "pemetrexed"], age=59,
                              histology="adenocarcinoma", pdl1=20)
    assert {"uk-nivolumab-nsclc-nonsq-after-chemo", "uk-atezolizumab-nsclc-after-chemo",
            "uk-pembrolizumab-nsclc-after-chemo"} <= ids(nonsq)
    # had pembrolizumab first line with chemotherapy: nivolumab is not for them (TA713: no earlier PD-1/PD-L1)
    after_io = check_eligibility("nsclc", stage="IV", prior_lines=1, prior=["carboplatin", "pembrolizumab"],
                                 histology="non-squamous", pdl1=20)
    assert "uk-nivolumab-nsclc-nonsq-after-chemo" in ids(after_io, "not-eligible")


def test_nsclc_resectable_and_after_chemoradiation():
    neo = check_eligibility("nsclc", stage="IIIA", setting="neoadjuvant", prior_lines=0, pdl1=5)
    assert {"uk-nivolumab-nsclc-neoadjuvant", "uk-pembrolizumab-nsclc-perioperative",
            "uk-durvalumab-nsclc-perioperative", "uk-nivolumab-nsclc-perioperative"} <= ids(neo)
    crt = check_eligibility("nsclc", stage="IIIB", setting="advanced", prior=["platinum chemoradiation"], pdl1=0)
    assert "uk-durvalumab-nsclc-after-crt" in ids(crt, "not-eligible")  # TA798: PD-L1 >= 1 %
    us = check_eligibility("nsclc", stage="IIIB", setting="advanced", prior=["platinum chemoradiation"], pdl1=0,
                           region="us", age=70)
    assert "us-durvalumab-nsclc-after-crt" in ids(us)  # no PD-L1 limit in the US label


def test_melanoma_adjuvant_stage_iib_teenager():
    uk = check_eligibility("melanoma", stage="IIB", setting="adjuvant", age=15)
    assert "uk-pembrolizumab-melanoma-adjuvant-ii" in ids(uk)  # NICE TA837: 12 and over
    assert "uk-nivolumab-melanoma-adjuvant" in ids(uk, "not-eligible")


def test_untreated_advanced_melanoma_uk():
    r = check_eligibility("skin melanoma", stage="IV", prior_lines=0, age=52)
    assert {"uk-nivolumab-ipilimumab-melanoma-advanced", "uk-relatlimab-melanoma-1l",
            "uk-pembrolizumab-melanoma-advanced"} <= ids(r)


def test_merkel_cell_first_line():
    r = check_eligibility("Merkel cell carcinoma", stage="IV", prior_lines=0, age=78)
    assert ids(r) == {"uk-avelumab-mcc-1l"}
    us = check_eligibility("mcc", stage="IV", prior_lines=0, age=78, region="us")
    assert {"us-avelumab-mcc", "us-pembrolizumab-mcc", "us-retifanlimab-mcc"} <= ids(us)


def test_skin_squamous_cell_not_curable_by_surgery():
    r = check_eligibility("skin squamous cell", stage="IV", age=81)
    assert "uk-cemiplimab-cscc" in ids(r)
    assert any("SMC2584" in a.indication.smc for a in r.eligible)


def test_basal_cell_after_hedgehog_inhibitor_us_only():
    uk = check_eligibility("bcc", stage="locally advanced", prior=["vismodegib"])
    assert uk.table_meta["coverage"] == "none" and "WARNING" in uk.to_text()
    us = check_eligibility("bcc", stage="locally advanced", prior=["vismodegib"], region="us")
    assert "us-cemiplimab-bcc" in ids(us)


def test_womb_cancer_dmmr_first_line():
    r = check_eligibility("womb cancer", stage="IV", prior_lines=0, dmmr="yes", age=64)
    assert "uk-dostarlimab-endometrial-1l-dmmr" in ids(r)
    pmmr = check_eligibility("womb cancer", stage="IV", prior_lines=0, dmmr="no", age=64)
    assert "uk-dostarlimab-endometrial-1l-dmmr" in ids(pmmr, "not-eligible")
    after = check_eligibility("endometrial", stage="IV", prior_lines=1, prior=["carboplatin"], dmmr="no")
    assert "uk-pembrolizumab-lenvatinib-endometrial" in ids(after)


def test_oesophageal_first_line_needs_cps_10_in_the_uk():
    hi = check_eligibility("oesophagus", stage="IV", prior_lines=0, cps=15, histology="squamous")
    assert "uk-pembrolizumab-oesophageal-1l" in ids(hi)
    lo = check_eligibility("oesophagus", stage="IV", prior_lines=0, cps=5, histology="squamous")
    assert "uk-pembrolizumab-oesophageal-1l" in ids(lo, "not-eligible")
    assert lo.table_meta["coverage"] == "incomplete"


def test_nasopharyngeal_us():
    r = check_eligibility("nasopharyngeal cancer", stage="IVB", prior_lines=0, region="us", age=45)
    assert "us-toripalimab-npc-1l" in ids(r)


def test_tumour_agnostic_tmb_high_reaches_an_unlisted_cancer():
    r = check_eligibility("small bowel cancer", setting="advanced", prior_lines=1, tmb=14, region="us")
    assert "us-pembrolizumab-tmb-high" in ids(r)


@pytest.mark.parametrize("name", ["lung cancer", "lymphoma", "breast cancer", "skin cancer"])
def test_ambiguous_everyday_names_ask_which(name):
    from oncoimmune.patients.cancers import AmbiguousCancerError

    with pytest.raises(AmbiguousCancerError, match="could mean"):
        check_eligibility(name)


def test_dmmr_and_msi_must_agree():
    from oncoimmune.patients import PatientInputError

    with pytest.raises(PatientInputError, match="dmmr"):
        check_eligibility("crc", msi="stable", dmmr="yes")
