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


def test_basal_cell_after_hedgehog_inhibitor():
    # UK: licensed only since the twelfth pass (uk-cemiplimab-bcc; before it the UK report warned of no rows)
    uk = check_eligibility("bcc", stage="locally advanced", prior_lines=1, prior=["vismodegib"])
    assert ids(uk) == {"uk-cemiplimab-bcc"} and uk.table_meta["coverage"] != "none"
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


# -- slice 2: one story per further cancer type -------------------------------------------------------


def test_bladder_cancer_maintenance_after_chemotherapy():
    r = check_eligibility("bladder", stage="IV", prior_lines=1, prior=["carboplatin", "gemcitabine"], age=71)
    assert {"uk-avelumab-urothelial-maintenance", "uk-atezolizumab-urothelial-after-platinum"} <= ids(r)
    assert "uk-pembrolizumab-urothelial-after-platinum" in ids(r)  # licensed, not NICE-recommended: says so
    row = next(a for a in r.eligible if a.indication.id == "uk-pembrolizumab-urothelial-after-platinum")
    assert row.indication.access == "licensed-only" and "not funded" in " ".join(row.to_confirm)


def test_bladder_cancer_first_line_cisplatin_unsuitable_needs_sp142_ic():
    r = check_eligibility("urothelial carcinoma", stage="IV", prior_lines=0, pdl1_ic=7)
    assert "uk-atezolizumab-urothelial-1l-cis-unsuitable" in ids(r)
    low = check_eligibility("urothelial carcinoma", stage="IV", prior_lines=0, pdl1_ic=2)
    assert "uk-atezolizumab-urothelial-1l-cis-unsuitable" in ids(low, "not-eligible")


def test_non_muscle_invasive_bladder_cancer_after_bcg_us():
    r = check_eligibility("nmibc", stage="0is", prior=["bcg"], region="us", age=70)
    assert {"us-pembrolizumab-nmibc-bcg-unresponsive", "us-nadofaragene-nmibc", "us-nogapendekin-bcg-nmibc"} <= ids(r)


def test_kidney_cancer_after_nephrectomy():
    r = check_eligibility("kidney cancer", setting="adjuvant", age=58)
    assert "uk-pembrolizumab-rcc-adjuvant" in ids(r)


def test_kidney_cancer_first_line_intermediate_risk_uk():
    r = check_eligibility("kidney", stage="IV", prior_lines=0, age=63)
    assert {"uk-nivolumab-ipilimumab-rcc-1l", "uk-pembrolizumab-lenvatinib-rcc-1l", "uk-nivolumab-cabozantinib-rcc-1l"} <= ids(r)


def test_head_and_neck_first_line_needs_cps_1():
    r = check_eligibility("head and neck", stage="IVC", prior_lines=0, cps=20, age=60)
    assert "uk-pembrolizumab-hnscc-1l" in ids(r)
    neg = check_eligibility("throat cancer", stage="IVC", prior_lines=0, cps=0)
    assert "uk-pembrolizumab-hnscc-1l" in ids(neg, "not-eligible")


def test_liver_cancer_first_line():
    r = check_eligibility("hcc", stage="C", prior_lines=0, region="us", age=66)
    assert {"us-atezolizumab-bevacizumab-hcc-1l", "us-durvalumab-tremelimumab-hcc-1l", "us-nivolumab-ipilimumab-hcc-1l"} <= ids(r)


def test_hodgkin_lymphoma_child_after_brentuximab_without_transplant():
    r = check_eligibility("Hodgkin lymphoma", prior_lines=2, prior=["brentuximab"], age=15)
    assert "uk-pembrolizumab-chl-no-asct" in ids(r)  # NICE TA967: 3 years and over
    assert "uk-nivolumab-chl" in ids(r, "not-eligible")  # adults only, and after ASCT


def test_stomach_cancer_first_line_cps():
    r = check_eligibility("stomach cancer", stage="IV", prior_lines=0, cps=7, her2="0")
    assert {"uk-nivolumab-gastric-1l", "uk-pembrolizumab-gastric-1l"} <= ids(r)
    her2pos = check_eligibility("stomach cancer", stage="IV", prior_lines=0, cps=7, her2="3+")
    assert "uk-trastuzumab-gastric-her2" in ids(her2pos)
    assert "uk-nivolumab-gastric-1l" in ids(her2pos, "not-eligible")


def test_cervical_cancer_recurrent():
    r = check_eligibility("cervix", stage="IVB", prior_lines=0, cps=5, age=44)
    assert "uk-pembrolizumab-cervical-recurrent" in ids(r)


def test_triple_negative_breast_cancer_early_and_metastatic():
    early = check_eligibility("tnbc", stage="IIB", setting="neoadjuvant", prior_lines=0, age=39)
    assert "uk-pembrolizumab-tnbc-early" in ids(early)
    met = check_eligibility("triple negative breast cancer", stage="IV", prior_lines=0, cps=12, pdl1_ic=0, age=52)
    assert "uk-pembrolizumab-tnbc-1l" in ids(met)
    assert "uk-atezolizumab-tnbc-1l" in ids(met, "not-eligible")


def test_small_cell_lung_cancer_extensive_stage():
    r = check_eligibility("small cell lung cancer", stage="extensive", prior_lines=0, age=68)
    assert {"uk-atezolizumab-sclc-1l", "uk-durvalumab-sclc-1l"} <= ids(r)
    after = check_eligibility("sclc", stage="extensive", prior_lines=1, prior=["carboplatin", "etoposide"], region="us")
    assert "us-tarlatamab-sclc" in ids(after)


def test_mesothelioma_first_line():
    r = check_eligibility("mesothelioma", prior_lines=0, setting="advanced", age=74)
    assert "uk-nivolumab-ipilimumab-mesothelioma" in ids(r)


def test_bile_duct_cancer_first_line():
    r = check_eligibility("bile duct cancer", stage="IV", prior_lines=0, age=61)
    assert "uk-durvalumab-btc-1l" in ids(r)


def test_msi_high_small_bowel_cancer_after_one_treatment():
    r = check_eligibility("small bowel cancer", setting="advanced", prior_lines=1, msi="high", age=55)
    assert "uk-pembrolizumab-msi-previously-treated" in ids(r)


def test_dlbcl_third_line_uk_options():
    r = check_eligibility("dlbcl", prior_lines=2, prior=["r-chop", "polatuzumab"] if False else ["r-chop"], age=70)
    assert {"uk-axicabtagene-lbcl-3l", "uk-glofitamab-dlbcl-3l"} <= ids(r)


def test_follicular_lymphoma_third_line_us():
    r = check_eligibility("follicular lymphoma", prior_lines=2, region="us", age=62)
    assert {"us-mosunetuzumab-fl", "us-epcoritamab-fl", "us-axicabtagene-fl", "us-tisagenlecleucel-fl"} <= ids(r)


def test_mantle_cell_after_btk_inhibitor():
    us = check_eligibility("mantle cell lymphoma", prior_lines=2, prior=["ibrutinib"], region="us", age=65)
    assert {"us-brexucabtagene-mcl", "us-lisocabtagene-mcl"} <= ids(us)
    uk = check_eligibility("mantle cell lymphoma", prior_lines=2, prior=["ibrutinib"], age=65)
    assert any(a.indication.access == "licensed-only" for a in uk.eligible)  # NICE withdrew routine funding


def test_cll_first_line():
    r = check_eligibility("cll", prior_lines=0, age=72)
    assert "uk-obinutuzumab-venetoclax-cll-1l" in ids(r)


def test_adult_all_relapsed_over_25():
    r = check_eligibility("acute lymphoblastic leukaemia", prior_lines=1, age=40)
    assert {"uk-blinatumomab-ball-relapsed", "uk-obecabtagene-ball"} <= ids(r)
    assert "uk-tisagenlecleucel-ball" in ids(r, "not-eligible")


def test_myeloma_after_three_lines():
    r = check_eligibility("myeloma", prior_lines=3, prior=["lenalidomide", "bortezomib", "daratumumab"], age=69)
    assert {"uk-teclistamab-mm", "uk-talquetamab-mm"} <= ids(r)
    us = check_eligibility("myeloma", prior_lines=4, prior=["lenalidomide", "bortezomib", "daratumumab"], region="us")
    assert {"us-teclistamab-mm", "us-elranatamab-mm", "us-idecabtagene-mm", "us-ciltacabtagene-mm"} <= ids(us)


def test_uveal_melanoma():
    r = check_eligibility("eye melanoma", stage="IV", age=60)
    assert "uk-tebentafusp-uveal" in ids(r)


def test_prostate_cancer_sipuleucel_us_only():
    uk = check_eligibility("prostate", stage="IV", prior=["adt"])
    assert uk.table_meta["coverage"] == "none"
    us = check_eligibility("prostate", stage="IV", prior=["adt"], region="us", age=70)
    assert "us-sipuleucel-prostate" in ids(us)


def test_neuroblastoma_child():
    r = check_eligibility("neuroblastoma", age=4, region="us")
    assert "us-dinutuximab-neuroblastoma" in ids(r)


def test_her2_breast_neoadjuvant():
    r = check_eligibility("her2-breast", stage="IIIA", setting="neoadjuvant", age=48)
    assert "uk-pertuzumab-breast-neoadjuvant" in ids(r)


def test_skin_lymphoma_after_systemic_treatment():
    r = check_eligibility("mycosis fungoides", prior_lines=1, region="us", age=66)
    assert "us-mogamulizumab-ctcl" in ids(r)


def test_every_cancer_type_has_rows_or_says_so():
    from oncoimmune.patients import CANCERS, load_indications

    table = load_indications()
    covered = {c for r in table for c in r.cancers}
    assert covered <= set(CANCERS)
    for cid in CANCERS:
        rep = check_eligibility(cid)
        assert rep.table_meta["coverage"] in ("none", "none-found", "incomplete", "complete")
        if cid not in covered:
            assert "WARNING" in rep.to_text()


def test_dlbcl_early_relapse_uk_liso_cel_and_axi_cel():
    r = check_eligibility("dlbcl", prior_lines=1, prior=["r-chop"], age=59)
    assert {"uk-lisocabtagene-lbcl-2l", "uk-axicabtagene-lbcl-2l"} <= ids(r)


def test_claudin_gastric_cancer_differs_between_england_and_scotland():
    r = check_eligibility("stomach cancer", stage="IV", prior_lines=0, her2="1+", cps=0)
    row = next(a for a in r.eligible if a.indication.id == "uk-zolbetuximab-gastric-1l")
    assert row.indication.access == "licensed-only" and "SMC" in row.indication.smc
    us = check_eligibility("stomach cancer", stage="IV", prior_lines=0, her2="1+", cps=0, region="us")
    assert "us-zolbetuximab-gastric-1l" in ids(us)
    assert "us-nivolumab-gastric-1l" in ids(us, "not-eligible")  # PD-L1 >= 1 required since 2025


def test_skin_squamous_cell_after_surgery_and_radiotherapy_us():
    r = check_eligibility("cscc", setting="adjuvant", prior=["radiotherapy"], region="us", age=72)
    assert "us-cemiplimab-cscc-adjuvant" in ids(r)


def test_myeloma_fourth_line_uk_antibodies():
    r = check_eligibility("myeloma", prior_lines=3, prior=["lenalidomide", "bortezomib"], age=70)
    assert {"uk-daratumumab-mono-mm", "uk-isatuximab-pd-mm"} <= ids(r)


# -- stories added with the 2026-12-07 check (issue 13, round 3) ---------------------------------------


def test_marginal_zone_lymphoma_relapsed_after_two_lines():
    """A 68-year-old with nodal MZL after bendamustine-rituximab and a second line.

    US: liso-cel (FDA approval 2025-12-04, after 2 or more lines), rituximab with
    lenalidomide (Revlimid label) and single-agent rituximab for relapsed low-grade
    B-cell NHL (Rituxan label 1.1). UK: nothing is recommended or licensed, and the
    report says that was checked rather than "no rows yet".
    """
    us = check_eligibility("marginal zone lymphoma", prior_lines=2, prior=["bendamustine", "rituximab"], age=68,
                           region="us")
    assert {"us-lisocabtagene-mzl", "us-rituximab-lenalidomide-mzl", "us-rituximab-low-grade-nhl-mzl"} <= ids(us)
    first = check_eligibility("splenic marginal zone lymphoma", prior_lines=1, prior=["rituximab"], age=70,
                              region="us")
    assert "us-lisocabtagene-mzl" in ids(first, "not-eligible")  # needs 2 or more earlier lines
    uk = check_eligibility("malt lymphoma", prior_lines=2, prior=["rituximab"], age=68)
    assert ids(uk) == set() and uk.table_meta["coverage"] == "none-found"
    text = uk.to_text()
    assert "TA627" in text and "WARNING" not in text


def test_us_unresectable_liver_cancer_after_sorafenib_stride_has_no_line_limit():
    """IMJUDO label 1.1: with durvalumab for unresectable HCC, no line of treatment named."""
    r = check_eligibility("hcc", stage="C", prior_lines=1, prior=["sorafenib"], region="us", age=64)
    assert "us-durvalumab-tremelimumab-hcc-1l" in ids(r)


def test_us_bladder_cancer_after_platinum_includes_avelumab():
    """BAVENCIO label 1.2 also covers urothelial carcinoma that grew after platinum (row added 2026-12-07)."""
    r = check_eligibility("bladder cancer", stage="IV", prior_lines=1, prior=["cisplatin", "gemcitabine"],
                          region="us", age=71)
    assert {"us-avelumab-urothelial-after-platinum", "us-pembrolizumab-urothelial-after-platinum"} <= ids(r)


def test_us_teenager_with_metastatic_melanoma_can_have_nivolumab():
    """OPDIVO dosing for unresectable or metastatic melanoma covers patients 12 years and older."""
    r = check_eligibility("melanoma", stage="IV", prior_lines=0, age=14, region="us")
    assert {"us-nivolumab-melanoma-advanced", "us-nivolumab-ipilimumab-melanoma-advanced"} <= ids(r)


def test_us_cervical_cancer_after_chemotherapy_pembrolizumab_is_regular_approval():
    """KEYTRUDA label (Feb 2026) 1.x: single agent after chemotherapy, CPS >= 1; converted to regular approval 2021."""
    r = check_eligibility("cervical cancer", stage="IV", prior_lines=1, prior=["cisplatin", "paclitaxel"], cps=5,
                          region="us", age=45)
    row = next(a for a in r.eligible if a.indication.id == "us-pembrolizumab-cervical-after-chemo")
    assert row.indication.access == "approved" and row.indication.verified
    assert row.indication.evidence_url.startswith("https://www.accessdata.fda.gov/")


def test_newly_diagnosed_myeloma_fit_for_transplant_uk():
    """NICE TA763: daratumumab with bortezomib, thalidomide and dexamethasone around an autologous transplant."""
    r = check_eligibility("myeloma", prior_lines=0, age=58)
    assert {"uk-daratumumab-vtd-1l-transplant", "uk-daratumumab-rd-1l"} <= ids(r)  # transplant fitness: to confirm
    row = next(a for a in r.eligible if a.indication.id == "uk-daratumumab-vtd-1l-transplant")
    assert "transplant suitable" in " ".join(row.indication.conditions)


def test_anal_cancer_us_retifanlimab_first_line_and_after_platinum():
    """FDA approval of 2025-05-15 (ZYNYZ): with carboplatin and paclitaxel first line; alone after platinum."""
    first = check_eligibility("anal cancer", stage="IV", prior_lines=0, region="us", age=61)
    assert "us-retifanlimab-scac-1l" in ids(first)
    assert "us-retifanlimab-scac-after-platinum" not in ids(first)
    later = check_eligibility("scac", stage="IV", prior_lines=1, prior=["carboplatin", "paclitaxel"], region="us",
                              age=61)
    assert "us-retifanlimab-scac-after-platinum" in ids(later)
    uk = check_eligibility("anal cancer", stage="IV", prior_lines=0, age=61)
    assert not uk.eligible and "WARNING" in uk.to_text()  # no UK rows: the report says so


def test_ovarian_cancer_platinum_resistant_needs_cps_1_us():
    """FDA approval of 2026-02-10 (KEYNOTE-B96): pembrolizumab with paclitaxel, CPS >= 1, 1-2 earlier regimens."""
    r = check_eligibility("ovarian cancer", stage="IIIC", setting="advanced", prior_lines=1,
                          prior=["carboplatin", "paclitaxel"], cps=3, region="us", age=63)
    assert "us-pembrolizumab-ovarian-platinum-resistant" in ids(r)
    neg = check_eligibility("fallopian tube cancer", stage="IV", prior_lines=2, prior=["carboplatin"], cps=0,
                            region="us", age=63)
    assert "us-pembrolizumab-ovarian-platinum-resistant" in ids(neg, "not-eligible")
    third = check_eligibility("ovarian cancer", stage="IV", prior_lines=3, prior=["carboplatin"], cps=10,
                              region="us", age=63)
    assert "us-pembrolizumab-ovarian-platinum-resistant" in ids(third, "not-eligible")


def test_follicular_lymphoma_relapsed_us_tafasitamab_with_r2():
    """FDA approval of 2025-06-18 (MONJUVI 1.2, inMIND)."""
    r = check_eligibility("follicular lymphoma", prior_lines=1, prior=["r-chop"], region="us", age=64)
    assert {"us-tafasitamab-r2-fl", "us-epcoritamab-r2-fl"} <= ids(r)


def test_resectable_stomach_cancer_us_perioperative_durvalumab():
    """FDA approval of 2025-11-25 (MATTERHORN): durvalumab with FLOT around surgery."""
    r = check_eligibility("stomach cancer", stage="III", setting="neoadjuvant", prior_lines=0, region="us", age=58)
    assert "us-durvalumab-gastric-perioperative" in ids(r)


def test_extensive_sclc_maintenance_after_atezolizumab_induction_us():
    """FDA approval of 2025-10-02 (IMforte): lurbinectedin with atezolizumab as maintenance."""
    r = check_eligibility("sclc", stage="extensive", prior_lines=1, prior=["carboplatin", "etoposide", "atezolizumab"],
                          region="us", age=66)
    assert "us-atezolizumab-lurbinectedin-sclc-maintenance" in ids(r)
    untreated = check_eligibility("sclc", stage="extensive", prior_lines=0, region="us", age=66)
    assert "us-atezolizumab-lurbinectedin-sclc-maintenance" not in ids(untreated)


def test_nasopharyngeal_us_penpulimab_first_and_third_line():
    """FDA approval of 2025-04-23 (penpulimab-kcqx 1.1 and 1.2)."""
    first = check_eligibility("npc", stage="IVB", prior_lines=0, region="us", age=48)
    assert {"us-penpulimab-npc-1l", "us-toripalimab-npc-1l"} <= ids(first)
    second = check_eligibility("npc", stage="IVB", prior_lines=1, prior=["cisplatin", "gemcitabine"], region="us")
    assert "us-penpulimab-npc-after-platinum" in ids(second, "not-eligible")  # needs one more line
    third = check_eligibility("npc", stage="IVB", prior_lines=2, prior=["cisplatin", "gemcitabine", "capecitabine"],
                              region="us")
    assert "us-penpulimab-npc-after-platinum" in ids(third)


def test_uk_sclc_third_line_tarlatamab_is_licensed_but_not_recommended():
    """NICE TA1091: tarlatamab should not be used (licensed by the MHRA); SMC2816 likewise."""
    r = check_eligibility("sclc", stage="extensive", prior_lines=2, prior=["carboplatin", "etoposide", "topotecan"],
                          age=63)
    row = next(a for a in r.eligible if a.indication.id == "uk-tarlatamab-sclc")
    assert row.indication.access == "licensed-only" and "SMC2816" in row.indication.smc


def test_uk_muscle_invasive_bladder_cancer_before_cystectomy_durvalumab_routine():
    """NHS England form DUR8: durvalumab with gemcitabine and cisplatin around cystectomy, Cancer Drugs Fund
    interim funding from 2026-02-10, moved into routine commissioning in CDF list v1.402 (2026-06-04)."""
    r = check_eligibility("bladder cancer", stage="II", setting="neoadjuvant", prior_lines=0, age=67)
    row = next(a for a in r.eligible if a.indication.id == "uk-durvalumab-mibc-perioperative")
    assert row.indication.access == "routine"


def test_us_bile_duct_cancer_her2_3plus_after_gemcitabine_zanidatamab():
    """FDA accelerated approval of 2024-11-20 (ZIIHERA, HERIZON-BTC-01): HER2 IHC 3+ after earlier treatment."""
    r = check_eligibility("cholangiocarcinoma", stage="IV", prior_lines=1, prior=["gemcitabine", "cisplatin"],
                          her2="3+", region="us", age=60)
    assert "us-zanidatamab-btc-her2" in ids(r)
    neg = check_eligibility("cholangiocarcinoma", stage="IV", prior_lines=1, prior=["gemcitabine"], her2="1+",
                            region="us", age=60)
    assert "us-zanidatamab-btc-her2" in ids(neg, "not-eligible")


# Rows corrected in the fifth pass of issue 13 (2026-12-07) ---------------------------------------------------
def test_uk_untreated_liver_cancer_is_offered_stride_on_the_nhs():
    """A 71-year-old man in Leeds with unresectable HCC (BCLC C, Child-Pugh A) and no systemic treatment yet.

    NICE recommended durvalumab with tremelimumab in July 2025 (PharmaTimes 2025-07-30) and NHS England funds it
    (form DUR6, published 2025-07-31); the row had said 'licensed-only' from NICE's negative 2024 draft. He is
    offered it alongside atezolizumab with bevacizumab (TA666), both for routine NHS use.
    """
    r = check_eligibility("hepatocellular carcinoma", stage="C", prior_lines=0, age=71)
    assert {"uk-durvalumab-tremelimumab-hcc-1l", "uk-atezolizumab-bevacizumab-hcc-1l"} <= ids(r)
    stride = next(a.indication for a in r.eligible if a.indication.id == "uk-durvalumab-tremelimumab-hcc-1l")
    assert stride.access == "routine" and stride.verified
    assert {"durvalumab", "tremelimumab", "atezolizumab"} <= set(r.eligible_drugs)
    assert "should not be used" not in r.to_text()  # the draft's wording no longer reaches the patient


def test_us_newly_diagnosed_myeloma_not_fit_for_transplant_daratumumab_faspro_vrd():
    """A 78-year-old woman in Ohio with newly diagnosed myeloma who cannot have a stem-cell transplant.

    The FDA approved subcutaneous daratumumab (Darzalex Faspro) with VRd for her on 2026-01-27 (CEPHEUS); the
    row had credited the VRd approval to the intravenous Darzalex label. She is offered daratumumab, and the
    report names the subcutaneous form for VRd.
    """
    r = check_eligibility("myeloma", prior_lines=0, age=78, region="us")
    assert "us-daratumumab-mm" in ids(r)
    row = next(a.indication for a in r.eligible if a.indication.id == "us-daratumumab-mm")
    assert "Darzalex Faspro" in row.source and row.date == "2026-01-27"
    assert any("Faspro" in c for c in row.conditions)


# -- the cancer types that had no story of their own (final audit of issue 13, 2026-12-07) --------------


def test_bowel_cancer_mismatch_repair_deficient_first_line():
    """Stage IV dMMR bowel cancer, untreated: NICE TA709 (pembrolizumab) and TA1065 (nivolumab with
    ipilimumab); US KEYTRUDA and OPDIVO/YERVOY labels. A proficient (MSS) tumour gets neither."""
    uk = check_eligibility("bowel cancer", stage="IV", prior_lines=0, dmmr="yes", age=55)
    assert {"uk-pembrolizumab-crc-msi-1l", "uk-nivolumab-ipilimumab-crc-msi-1l"} <= ids(uk)
    us = check_eligibility("colon cancer", stage="IV", prior_lines=0, msi="high", age=55, region="us")
    assert {"us-pembrolizumab-crc-msi-1l", "us-nivolumab-ipilimumab-crc-msi"} <= ids(us)
    mss = check_eligibility("bowel cancer", stage="IV", prior_lines=0, dmmr="no", age=55)
    assert not ids(mss) and "uk-pembrolizumab-crc-msi-1l" in ids(mss, "not-eligible")


def test_mediastinal_lymphoma_after_two_lines():
    """PMBCL after R-CHOP and salvage: axi-cel in both regions (NICE TA872; Yescarta label), liso-cel in the US
    (Breyanzi approval of 2021-02-05)."""
    uk = check_eligibility("mediastinal lymphoma", prior_lines=2, prior=["r-chop"], age=31)
    assert "uk-axicabtagene-lbcl-3l" in ids(uk)
    us = check_eligibility("pmbcl", prior_lines=2, prior=["r-chop"], age=31, region="us")
    assert {"us-axicabtagene-lbcl-3l", "us-lisocabtagene-lbcl-3l"} <= ids(us)


def test_polycythaemia_vera_interferon():
    """PV in a 60-year-old: ropeginterferon alfa-2b is licensed in the UK (not appraised by NICE) and FDA approved."""
    uk = check_eligibility("polycythaemia vera", age=60)
    row = next(a for a in uk.assessments if a.indication.id == "uk-ropeginterferon-pv")
    assert row.status == "eligible" and row.indication.access == "licensed-only"
    us = check_eligibility("pv", age=60, region="us")
    assert "us-ropeginterferon-pv" in ids(us)


def test_essential_thrombocythaemia_interferon():
    """ET: peginterferon alfa-2a is used off-label in the UK (BSH guidelines). In the US the FDA added essential
    thrombocythemia to the Besremi label in August 2026 (openFDA label record, recent major changes), so a 52-year-old
    is offered ropeginterferon; the label wording was not read, so the row is still flagged as not verified."""
    uk = check_eligibility("essential thrombocythaemia", age=52)
    row = next(a for a in uk.assessments if a.indication.id == "uk-peginterferon-mpn")
    assert row.indication.access == "off-label" and row.status != "not-eligible"
    us = check_eligibility("et", age=52, region="us")
    row = next(a for a in us.assessments if a.indication.id == "us-ropeginterferon-et")
    assert row.status == "eligible" and row.indication.access == "approved"
    assert not row.indication.verified and row.indication.date.startswith("2026-08")


def test_alveolar_soft_part_sarcoma_teenager_us():
    """FDA approval of 2022-12-09 (fda.gov notice): atezolizumab for unresectable or metastatic ASPS from age 2."""
    r = check_eligibility("alveolar soft part sarcoma", stage="IV", age=14, region="us")
    assert "us-atezolizumab-asps" in ids(r)
    infant = check_eligibility("asps", stage="IV", age=1, region="us")
    assert "us-atezolizumab-asps" in ids(infant, "not-eligible")
    uk = check_eligibility("asps", stage="IV", age=30)
    assert not uk.eligible and "WARNING" in uk.to_text()  # no UK row: the report says it cannot tell
    with pytest.raises(Exception, match="asps"):
        check_eligibility("sarcoma")  # ambiguous: ASPS or another sarcoma


def test_skin_lymphoma_after_one_treatment_us_denileukin():
    """FDA approval of 2024-08-08 (Citius announcement): denileukin diftitox-cxdl after 1 or more systemic
    treatments for relapsed or refractory CTCL in adults; not for untreated disease."""
    r = check_eligibility("mycosis fungoides", prior_lines=1, region="us", age=58)
    assert {"us-denileukin-diftitox-ctcl", "us-mogamulizumab-ctcl"} <= ids(r)
    first = check_eligibility("ctcl", prior_lines=0, region="us", age=58)
    assert "us-denileukin-diftitox-ctcl" in ids(first, "not-eligible")


def test_synovial_sarcoma_after_chemotherapy_us_afami_cel():
    """FDA accelerated approval of 2024-08-01 (FDA approval summary): afamitresgene autoleucel for adults with
    unresectable or metastatic synovial sarcoma after chemotherapy; HLA-A*02 and MAGE-A4 are listed to confirm."""
    r = check_eligibility("synovial sarcoma", stage="IV", prior_lines=1, prior=["doxorubicin", "ifosfamide"],
                          age=34, region="us")
    row = next(a for a in r.eligible if a.indication.id == "us-afamitresgene-synovial-sarcoma")
    assert row.indication.access == "accelerated"
    assert any("MAGE-A4" in c for c in row.to_confirm) and any("HLA-A*02" in c for c in row.to_confirm)
    untreated = check_eligibility("synovial sarcoma", stage="IV", prior_lines=0, age=34, region="us")
    assert "us-afamitresgene-synovial-sarcoma" in ids(untreated, "not-eligible")


def test_untreated_advanced_hodgkin_lymphoma_teenager_us():
    """Nivolumab with AVD for previously untreated stage III-IV cHL from age 12 (FDA decision reported for
    2026-03-20; the row is marked not verified and the report says so)."""
    r = check_eligibility("hodgkin lymphoma", stage="IV", prior_lines=0, age=16, region="us")
    row = next(a for a in r.assessments if a.indication.id == "us-nivolumab-avd-chl-1l")
    assert row.status == "eligible" and not row.indication.verified
    assert "[not verified]" in " ".join(r.to_text().split())
    early = check_eligibility("hodgkin lymphoma", stage="II", prior_lines=0, age=16, region="us")
    assert "us-nivolumab-avd-chl-1l" in ids(early, "not-eligible")


# -- seventh verification pass (2026-12-07): corrections found on the way ---------------------------------------


def test_uk_bladder_carcinoma_in_situ_bcg_licence_is_for_high_risk_disease():
    """A 70-year-old in England with carcinoma in situ of the bladder after resection is offered intravesical BCG.

    The BCG-medac SmPC (emc, 2025-11-11) licenses it for carcinoma in situ and for high-risk non-muscle-invasive
    disease (pTaG3, pT1G2, pT1G3); the row had said intermediate- or high-risk, so the report now asks to confirm
    high-risk disease and says intermediate risk is outside the licence.
    """
    r = check_eligibility("bladder", stage="0is", prior=["surgery"], age=70)
    row = next(a for a in r.eligible if a.indication.id == "uk-bcg-nmibc")
    assert row.indication.verified and "SmPC" in row.indication.source
    text = " ".join(row.to_confirm)
    assert "high-risk" in text and "intermediate-risk disease is not in the licence" in text


def test_us_liver_cancer_after_sorafenib_pembrolizumab_is_a_regular_approval():
    """A 66-year-old in the US with advanced HCC after sorafenib: pembrolizumab's 2018 accelerated approval was
    converted to a traditional approval on 2024-01-25 (FDA list of verified clinical benefit). The converted label
    wording was not read, so the report asks to check a possible hepatitis B restriction."""
    r = check_eligibility("hcc", stage="C", prior_lines=1, prior=["sorafenib"], region="us", age=66)
    row = next(a for a in r.eligible if a.indication.id == "us-pembrolizumab-hcc-after-sorafenib")
    assert row.indication.access == "approved" and row.indication.date == "2024-01-25"
    assert any("hepatitis B" in c for c in row.to_confirm) and not row.indication.verified


def test_us_follicular_lymphoma_after_two_lines_car_t_status():
    """A 60-year-old in the US with follicular lymphoma after two lines: lisocabtagene's accelerated-approval statement
    was removed from its label in 2/2026 (openFDA change list, section 1.3 = FL), tisagenlecleucel's is still
    accelerated; both rows are verified on population. Liso-cel in CLL/SLL (section 1.2) stays accelerated."""
    r = check_eligibility("follicular lymphoma", prior_lines=2, region="us", age=60)
    liso = next(a for a in r.eligible if a.indication.id == "us-lisocabtagene-fl").indication
    tisa = next(a for a in r.eligible if a.indication.id == "us-tisagenlecleucel-fl").indication
    assert liso.access == "approved" and tisa.access == "accelerated" and liso.verified and tisa.verified
    cll = check_eligibility("cll", prior_lines=2, prior=["ibrutinib", "venetoclax"], region="us", age=60)
    row = next(a for a in cll.eligible if a.indication.id == "us-lisocabtagene-cll").indication
    assert row.access == "accelerated" and row.verified


# -- stories added with the elig8 pass (2026-12-07) --------------------------------------------------------


def test_high_risk_smouldering_myeloma_daratumumab():
    """A 61-year-old with high-risk smouldering myeloma, never treated.

    US: daratumumab and hyaluronidase (Darzalex Faspro) alone, FDA approval of 2025-11-06 (AQUILA),
    adults, high-risk disease only. UK: licensed for the same use (as SMC2895 quotes the licence),
    not recommended in Scotland and not appraised by NICE, so 'licensed-only'. Smouldering myeloma is
    its own cancer type: active multiple myeloma rows do not apply, and one earlier line rules it out.
    """
    us = check_eligibility("smoldering myeloma", prior_lines=0, age=61, region="us")
    assert ids(us) == {"us-daratumumab-smm-high-risk"}
    assert any("high-risk" in c for c in us.eligible[0].indication.conditions)
    uk = check_eligibility("smouldering multiple myeloma", prior_lines=0, age=61)
    row = next(a for a in uk.eligible if a.indication.id == "uk-daratumumab-smm-high-risk")
    assert row.indication.access == "licensed-only" and "SMC2895" in row.indication.smc
    treated = check_eligibility("hr-smm", prior_lines=1, prior=["lenalidomide"], age=61, region="us")
    assert "us-daratumumab-smm-high-risk" in ids(treated, "not-eligible")
    teen = check_eligibility("smouldering myeloma", prior_lines=0, age=17, region="us")
    assert "us-daratumumab-smm-high-risk" in ids(teen, "not-eligible")
    active = check_eligibility("myeloma", prior_lines=0, age=61, region="us")
    assert "us-daratumumab-smm-high-risk" not in {a.indication.id for a in active.assessments}


def test_untreated_advanced_womb_cancer_uk_any_mismatch_repair_status():
    """NICE final draft of 2025-08-06: pembrolizumab with carboplatin and paclitaxel for untreated primary
    advanced or recurrent endometrial cancer, whatever the mismatch-repair status; dMMR disease also has
    dostarlimab (TA963) and durvalumab (NHS England form DUR5, row not yet verified)."""
    pmmr = check_eligibility("womb cancer", stage="IVB", setting="advanced", prior_lines=0, msi="mss", age=66)
    assert "uk-pembrolizumab-endometrial-1l-chemo" in ids(pmmr)
    assert {"uk-dostarlimab-endometrial-1l-dmmr", "uk-durvalumab-endometrial-1l-dmmr"} <= ids(pmmr, "not-eligible")
    dmmr = check_eligibility("endometrial cancer", stage="III", setting="advanced", prior_lines=0, msi="msi-high",
                             age=66)
    assert {"uk-pembrolizumab-endometrial-1l-chemo", "uk-dostarlimab-endometrial-1l-dmmr",
            "uk-durvalumab-endometrial-1l-dmmr"} <= ids(dmmr)
    later = check_eligibility("endometrial cancer", stage="IV", prior_lines=1, prior=["carboplatin", "paclitaxel"],
                              msi="mss", age=66)
    assert "uk-pembrolizumab-endometrial-1l-chemo" in ids(later, "not-eligible")


def test_follicular_lymphoma_third_line_uk_epcoritamab_not_after_mosunetuzumab():
    """NHS England form EPC2 (2026-02-24; routine commissioning since CDF list v1.404): epcoritamab after 2 or
    more lines, not after another CD20 x CD3 bispecific antibody."""
    r = check_eligibility("follicular lymphoma", prior_lines=2, prior=["r-chop", "bendamustine"], age=63)
    assert "uk-epcoritamab-fl" in ids(r)
    after = check_eligibility("follicular lymphoma", prior_lines=3, prior=["r-chop", "mosunetuzumab"], age=63)
    assert "uk-epcoritamab-fl" in ids(after, "not-eligible")
    second = check_eligibility("follicular lymphoma", prior_lines=1, prior=["r-chop"], age=63)
    assert "uk-epcoritamab-fl" in ids(second, "not-eligible")


def test_us_untreated_metastatic_tnbc_cps_10_pembrolizumab_with_sacituzumab():
    """FDA approval of 2026-06-24 (ASCENT-04/KEYNOTE-D19): sacituzumab govitecan with pembrolizumab, first line,
    PD-L1 CPS >= 10."""
    r = check_eligibility("triple negative breast cancer", stage="IV", prior_lines=0, cps=15, region="us", age=52)
    assert {"us-pembrolizumab-sacituzumab-tnbc-1l", "us-pembrolizumab-tnbc-1l"} <= ids(r)
    low = check_eligibility("tnbc", stage="IV", prior_lines=0, cps=5, region="us", age=52)
    assert "us-pembrolizumab-sacituzumab-tnbc-1l" in ids(low, "not-eligible")
    later = check_eligibility("tnbc", stage="IV", prior_lines=1, prior=["paclitaxel"], cps=15, region="us", age=52)
    assert "us-pembrolizumab-sacituzumab-tnbc-1l" in ids(later, "not-eligible")


def test_uk_resectable_head_and_neck_cps_1_pembrolizumab_around_surgery():
    """NHS England form PEMB34 (CDF list v1.390, 2026-03-24; NICE appraisal ID6477): pembrolizumab before surgery,
    then with radiotherapy, for untreated resectable stage III-IVA HNSCC with CPS >= 1."""
    r = check_eligibility("head and neck cancer", stage="IVA", setting="neoadjuvant", prior_lines=0, cps=5, age=58)
    assert "uk-pembrolizumab-hnscc-perioperative" in ids(r)
    low = check_eligibility("head and neck cancer", stage="III", setting="neoadjuvant", prior_lines=0, cps=0, age=58)
    assert "uk-pembrolizumab-hnscc-perioperative" in ids(low, "not-eligible")
    spread = check_eligibility("head and neck cancer", stage="IVC", prior_lines=0, cps=20, age=58)
    assert "uk-pembrolizumab-hnscc-perioperative" in ids(spread, "not-eligible")


def test_uk_resectable_stomach_cancer_durvalumab_with_flot():
    """NHS England form DUR9 (CDF list v1.397, 2026-05-14): durvalumab with FLOT around surgery for untreated
    resectable stage II-IVA gastric or GEJ adenocarcinoma."""
    r = check_eligibility("stomach cancer", stage="III", setting="neoadjuvant", prior_lines=0, age=61)
    assert "uk-durvalumab-gastric-perioperative" in ids(r)
    advanced = check_eligibility("stomach cancer", stage="IV", setting="advanced", prior_lines=0, age=61)
    assert "uk-durvalumab-gastric-perioperative" in ids(advanced, "not-eligible")


def test_pancreatic_cancer_nrg1_fusion_us_zenocutuzumab_after_chemotherapy():
    """FDA accelerated approval of 2024-12-04 (BIZENGRI 1, eNRGy): after earlier systemic treatment only.

    NRG1 fusion is not a tested biomarker here: it is listed for the care team to confirm.
    """
    r = check_eligibility("pancreatic cancer", stage="IV", prior_lines=1, prior=["gemcitabine"], region="us",
                          age=60)
    assert "us-zenocutuzumab-pancreatic-nrg1" in ids(r)
    row = next(a for a in r.eligible if a.indication.id == "us-zenocutuzumab-pancreatic-nrg1")
    assert "NRG1" in " ".join(row.indication.conditions)
    untreated = check_eligibility("pancreas cancer", stage="IV", prior_lines=0, region="us", age=60)
    assert "us-zenocutuzumab-pancreatic-nrg1" in ids(untreated, "not-eligible")
    uk = check_eligibility("pdac", stage="IV", prior_lines=1, prior=["gemcitabine"], age=60)
    assert not uk.eligible and "WARNING" in uk.to_text()  # no UK rows: the report says so


def test_nsclc_nrg1_fusion_us_zenocutuzumab_after_platinum():
    """FDA accelerated approval of 2024-12-04 (BIZENGRI 1, eNRGy) for NRG1 fusion-positive NSCLC."""
    r = check_eligibility("nsclc", stage="IV", prior_lines=1, prior=["carboplatin", "pemetrexed"], region="us",
                          age=66)
    assert "us-zenocutuzumab-nsclc-nrg1" in ids(r)
    first = check_eligibility("nsclc", stage="IV", prior_lines=0, region="us", age=66)
    assert "us-zenocutuzumab-nsclc-nrg1" not in ids(first)


def test_bile_duct_cancer_nrg1_fusion_us_zenocutuzumab_after_gemcitabine_cisplatin():
    """FDA approval of 2026-05-08 (Drugs@FDA, BLA 761352 supplement 10): NRG1 fusion-positive cholangiocarcinoma."""
    r = check_eligibility("cholangiocarcinoma", stage="IV", prior_lines=1, prior=["gemcitabine", "cisplatin"],
                          region="us", age=59)
    assert "us-zenocutuzumab-cholangiocarcinoma-nrg1" in ids(r)
    first = check_eligibility("bile duct cancer", stage="IV", prior_lines=0, region="us", age=59)
    assert "us-zenocutuzumab-cholangiocarcinoma-nrg1" not in ids(first)


# UK tislelizumab and cemiplimab rows (issue 13, eleventh pass, 2026-12-07) -----------------------------------
def test_uk_oesophageal_squamous_after_platinum_tislelizumab_licensed_only():
    """A 64-year-old man in Bristol with metastatic oesophageal squamous cell carcinoma that grew after cisplatin
    and fluorouracil. NICE TA707 recommends nivolumab; tislelizumab is licensed (the EU wording of the Tevimbra
    SmPC; the UK text was cut off in the stored emc copy) but has no NICE recommendation, so the report says so
    and marks the row as not verified."""
    r = check_eligibility("oesophageal", stage="IV", prior_lines=1, prior=["cisplatin", "fluorouracil"],
                          histology="squamous", age=64)
    assert {"uk-nivolumab-escc-after-chemo", "uk-tislelizumab-escc-after-platinum"} <= ids(r)
    tis = next(a.indication for a in r.eligible if a.indication.id == "uk-tislelizumab-escc-after-platinum")
    assert tis.access == "licensed-only" and not tis.verified
    untreated = check_eligibility("oesophageal", stage="IV", prior_lines=0, histology="squamous", age=64, pdl1=5)
    assert "uk-tislelizumab-escc-after-platinum" in ids(untreated, "not-eligible")
    first = next(a for a in untreated.eligible if a.indication.id == "uk-tislelizumab-escc-1l-chemo")
    assert "TAP" in " ".join(first.indication.conditions)  # TAP >= 5 % is for the care team to confirm
    adeno = check_eligibility("oesophageal", stage="IV", prior_lines=1, prior=["cisplatin"],
                              histology="adenocarcinoma", age=64)
    assert "uk-tislelizumab-escc-after-platinum" in ids(adeno, "not-eligible")


def test_uk_untreated_her2_negative_stomach_cancer_tislelizumab_licensed_only():
    """EU/UK wording: first line with platinum and fluoropyrimidine chemotherapy, HER2-negative, PD-L1 TAP >= 5 %."""
    r = check_eligibility("stomach cancer", stage="IV", prior_lines=0, her2="negative", age=58)
    row = next(a.indication for a in r.eligible if a.indication.id == "uk-tislelizumab-gastric-1l")
    assert row.access == "licensed-only" and "TAP" in " ".join(row.conditions)
    her2_pos = check_eligibility("stomach cancer", stage="IV", prior_lines=0, her2="positive", age=58)
    assert "uk-tislelizumab-gastric-1l" in ids(her2_pos, "not-eligible")


def test_uk_nsclc_tislelizumab_first_line_after_chemotherapy_and_around_surgery():
    """Tevimbra's four UK lung cancer uses (none recommended by NICE): non-squamous first line needs PD-L1 >= 50 %,
    squamous first line any PD-L1, after platinum (NICE's appraisal terminated in June 2025), and perioperative."""
    high = check_eligibility("nsclc", stage="IV", prior_lines=0, histology="adenocarcinoma", pdl1=60, age=66)
    assert {"uk-tislelizumab-nsclc-1l-chemo-nonsq", "uk-pembrolizumab-nsclc-1l-mono"} <= ids(high)
    low = check_eligibility("nsclc", stage="IV", prior_lines=0, histology="adenocarcinoma", pdl1=20, age=66)
    assert "uk-tislelizumab-nsclc-1l-chemo-nonsq" in ids(low, "not-eligible")
    sq = check_eligibility("nsclc", stage="IV", prior_lines=0, histology="squamous", pdl1=0, age=66)
    assert "uk-tislelizumab-nsclc-1l-chemo-sq" in ids(sq)
    after = check_eligibility("nsclc", stage="IV", prior_lines=1, prior=["carboplatin", "gemcitabine"],
                              histology="squamous", pdl1=0, age=67)
    row = next(a.indication for a in after.eligible if a.indication.id == "uk-tislelizumab-nsclc-after-chemo")
    assert row.access == "licensed-only" and "terminated" in " ".join(row.conditions)
    neo = check_eligibility("nsclc", stage="IIIA", setting="neoadjuvant", prior_lines=0, pdl1=5)
    assert "uk-tislelizumab-nsclc-perioperative" in ids(neo)
    assert all(not a.indication.verified for a in neo.eligible if a.indication.drugs[0] == "tislelizumab")


def test_uk_cervical_cancer_after_platinum_cemiplimab():
    """A 48-year-old woman in Cardiff with metastatic cervical cancer that grew after carboplatin and paclitaxel.

    NICE's final draft guidance (news release, June 2026) recommends cemiplimab for routine use when no
    immunotherapy has been had; NHS England form CEM3 funds it after one or two lines; SMC2719 accepts it.
    """
    r = check_eligibility("cervical cancer", stage="IVB", prior_lines=1, prior=["carboplatin", "paclitaxel"], age=48)
    row = next(a.indication for a in r.eligible if a.indication.id == "uk-cemiplimab-cervical-after-platinum")
    assert row.access == "routine" and row.verified and "SMC2719" in row.smc
    after_io = check_eligibility("cervical cancer", stage="IVB", prior_lines=1,
                                 prior=["carboplatin", "paclitaxel", "pembrolizumab"], age=48)
    assert "uk-cemiplimab-cervical-after-platinum" in ids(after_io, "not-eligible")
    untreated = check_eligibility("cervical cancer", stage="IVB", prior_lines=0, age=48)
    assert "uk-cemiplimab-cervical-after-platinum" in ids(untreated, "not-eligible")


def test_uk_bladder_cancer_after_platinum_nivolumab_licensed_but_not_recommended():
    """NICE TA530: nivolumab is not recommended after platinum (licensed), like pembrolizumab in TA692; atezolizumab
    (TA525) is the recommended immunotherapy. A 70-year-old man whose metastatic bladder cancer grew after
    gemcitabine and cisplatin is shown all three, with the first two marked as not funded."""
    r = check_eligibility("bladder cancer", stage="IV", prior_lines=1, prior=["cisplatin", "gemcitabine"], age=70)
    assert {"uk-atezolizumab-urothelial-after-platinum", "uk-nivolumab-urothelial-after-platinum",
            "uk-pembrolizumab-urothelial-after-platinum"} <= ids(r)
    nivo = next(a.indication for a in r.eligible if a.indication.id == "uk-nivolumab-urothelial-after-platinum")
    assert nivo.access == "licensed-only" and nivo.source == "NICE TA530"


def test_uk_untreated_bladder_cancer_cisplatin_unsuitable_pembrolizumab_terminated_appraisal():
    """NICE TA674 (terminated): pembrolizumab alone first line when cisplatin is unsuitable, PD-L1 CPS >= 10."""
    r = check_eligibility("bladder cancer", stage="IV", prior_lines=0, cps=15, age=80)
    row = next(a.indication for a in r.eligible if a.indication.id == "uk-pembrolizumab-urothelial-1l-cis-unsuitable")
    assert row.access == "licensed-only" and not row.verified
    low = check_eligibility("bladder cancer", stage="IV", prior_lines=0, cps=5, age=80)
    assert "uk-pembrolizumab-urothelial-1l-cis-unsuitable" in ids(low, "not-eligible")


# UK myeloma CAR-T and cemiplimab in basal cell carcinoma (issue 13, twelfth pass, 2026-12-07) --------------------
def test_uk_myeloma_car_t_licensed_but_not_recommended():
    """A 62-year-old man in Leeds whose myeloma came back after lenalidomide-bortezomib-dexamethasone and then
    daratumumab. Both BCMA CAR-T products are licensed (ide-cel: GB licence PLGB 15105/0191; cilta-cel: the
    Carvykti leaflet on emc), but NICE's appraisals were terminated (TA1084, TA889): the report says so, and both
    rows are unverified because the UK SmPC section 4.1 was not read."""
    r = check_eligibility("myeloma", prior_lines=2, prior=["lenalidomide", "bortezomib", "daratumumab"], age=62)
    rows = {a.indication.id: a.indication for a in r.eligible}
    assert {"uk-idecabtagene-mm", "uk-ciltacabtagene-mm"} <= set(rows)
    for rid, ta in (("uk-idecabtagene-mm", "TA1084"), ("uk-ciltacabtagene-mm", "TA889")):
        assert rows[rid].access == "licensed-only" and not rows[rid].verified
        assert ta in " ".join(rows[rid].conditions)
    # after one line (lenalidomide and bortezomib): cilta-cel's CARTITUDE-4 wording only, and lenalidomide
    # refractoriness is for the care team to confirm
    one = check_eligibility("myeloma", prior_lines=1, prior=["lenalidomide", "bortezomib"], age=62)
    assert "uk-ciltacabtagene-mm" in ids(one) and "uk-idecabtagene-mm" in ids(one, "not-eligible")
    cilta = next(a.indication for a in one.eligible if a.indication.id == "uk-ciltacabtagene-mm")
    assert "refractory to lenalidomide" in cilta.conditions
    # ide-cel needs an anti-CD38 antibody among the earlier treatments
    no_cd38 = check_eligibility("myeloma", prior_lines=2, prior=["lenalidomide", "bortezomib"], age=62)
    assert "uk-idecabtagene-mm" in ids(no_cd38, "not-eligible")


def test_uk_basal_cell_carcinoma_after_vismodegib_cemiplimab_licensed_only():
    """A 78-year-old woman in Norwich whose locally advanced basal cell carcinoma grew on vismodegib. Cemiplimab's
    licence (Libtayo SmPC section 4.1 on emc) covers BCC after a hedgehog-pathway inhibitor; no NICE
    recommendation was found. Before any hedgehog-pathway inhibitor, the row does not apply."""
    r = check_eligibility("basal cell carcinoma", stage="locally-advanced", prior_lines=1, prior=["vismodegib"],
                          age=78)
    row = next(a.indication for a in r.eligible if a.indication.id == "uk-cemiplimab-bcc")
    assert row.access == "licensed-only" and not row.verified
    untreated = check_eligibility("basal cell carcinoma", stage="metastatic", prior_lines=0, age=78)
    assert "uk-cemiplimab-bcc" in ids(untreated, "not-eligible")
    us = check_eligibility("basal cell carcinoma", stage="metastatic", prior_lines=1, prior=["sonidegib"], age=78,
                           region="us")
    assert "us-cemiplimab-bcc" in ids(us)
