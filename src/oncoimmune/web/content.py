"""Plain-English content of the patient pages, as data, each item with the evidence behind it.

Written for a reading age of about 12 (short sentences, everyday words;
``tests/web/test_pages.py`` measures the reading grade of every patient page).
The simulations each page shows are *scenarios*: a library model with escapes
and catalogue therapies switched on, run by the same API the modeller pages use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FIGHT", "ESCAPE_TEXT", "THERAPY_TYPES", "TEST_TEXT", "TRIAL_LIMITS", "CARE_TEAM_QUESTIONS"]

#: The picture on "How the immune system fights cancer" (and the escapes page).
FIGHT: dict[str, Any] = {
    "model": "kuznetsov1994",
    "days": 400,
    "immune": ["E"],
    "tumour": ["T"],
    "immune_label": "white cells (killer T cells and NK cells)",
    "tumour_label": "cancer cells",
    "evidence": "Kuznetsov VA, Makalkin IA, Taylor MA, Perelson AS (1994), Bull Math Biol 56:295-321: a model "
    "fitted to a mouse B-cell lymphoma (BCL1). Numbers of cells are the model's, not a person's.",
}

#: The three escapes, in plain English (the model side is oncoimmune.biology.escape).
ESCAPE_TEXT: list[dict[str, Any]] = [
    {
        "key": "lymphopenia",
        "title": "Too few white cells",
        "strength": 0.5,
        "text": "Some people have fewer white cells than usual. This can be because of the cancer, or a "
        "treatment such as chemotherapy. With fewer white cells, there are not enough to keep the cancer small.",
        "shown_as": "half of the usual supply of white cells is lost",
        "evidence": "Menetrier-Caux C et al. (2019), J Immunother Cancer 7:85 (low white-cell counts in people "
        "with cancer). In the model: the steady supply of white cells is cut by half.",
    },
    {
        "key": "pdl1_checkpoint",
        "title": "Stop signals",
        "strength": 2.0,
        "text": "Cancer cells can put a protein called PD-L1 on their surface. It fits into a switch on white "
        "cells called PD-1 and tells them to stop. The white cells reach the cancer but do not attack it.",
        "shown_as": "the stop signal cuts the white cells' attack to a third",
        "evidence": "Pardoll DM (2012), Nat Rev Cancer 12:252-264; the brake on killing follows Lai & Friedman "
        "(2017) and Nikolopoulou et al. (2018). The strength shown is a scenario, not a measured value.",
    },
    {
        "key": "antigen_loss",
        "title": "Hiding",
        "strength": 0.5,
        "text": "White cells find cancer cells by the markers on their surface. Some cancer cells stop showing "
        "these markers. Then the white cells cannot see them.",
        "shown_as": "the cancer shows half of its markers",
        "evidence": "Dunn GP, Old LJ, Schreiber RD (2004), Annu Rev Immunol 22:329-360; Zaretsky JM et al. "
        "(2016), N Engl J Med 375:819-829. The strength shown is a scenario, not a measured value.",
    },
]

#: The five types of immunotherapy: what each does, the picture, the drugs (from the catalogue classes).
THERAPY_TYPES: list[dict[str, Any]] = [
    {
        "key": "monoclonal_antibody",
        "title": "Monoclonal antibodies",
        "what": "Antibodies are proteins that stick to one target. A monoclonal antibody is made in a lab to "
        "stick to a marker on cancer cells, such as CD20 or HER2. Once it is stuck, white cells find the "
        "cancer cell more easily and kill it.",
        "classes": ["monoclonal_antibody"],
        "exclude_classes": ["checkpoint_inhibitor"],
        "scenario": {"model": "kuznetsov1994", "days": 400, "escapes": {"lymphopenia": 0.5},
                     "therapies": ["rituximab"], "immune": ["E"], "tumour": ["T"]},
        "picture": "The cancer is winning because there are too few white cells. Rituximab (it sticks to CD20) "
        "helps the white cells that are there kill more cancer cells.",
        "evidence": "Kuznetsov 1994 model with half the white-cell supply; rituximab dose and blood levels from "
        "its label and a published population model (see the drug list); how much it adds to killing is a "
        "model assumption (oncoimmune docs/mechanisms.md).",
    },
    {
        "key": "checkpoint_inhibitor",
        "title": "Checkpoint inhibitors",
        "what": "These drugs block the stop signals. They cover the PD-1 switch (or PD-L1, or CTLA-4) so the "
        "cancer cannot switch the white cells off. The white cells can then attack again.",
        "classes": ["checkpoint_inhibitor"],
        "scenario": {"model": "kuznetsov1994", "days": 400, "escapes": {"pdl1_checkpoint": 2.0},
                     "therapies": ["pembrolizumab"], "immune": ["E"], "tumour": ["T"]},
        "picture": "The cancer is using stop signals. Pembrolizumab covers the PD-1 switch, and the white cells "
        "keep the cancer small again.",
        "evidence": "Kuznetsov 1994 model with the PD-L1 brake; pembrolizumab 200 mg every 3 weeks, blood levels "
        "from Ahamadi et al. (2017) CPT Pharmacometrics Syst Pharmacol 6:49-57.",
    },
    {
        "key": "vaccine",
        "title": "Vaccines (including T-VEC)",
        "what": "A cancer vaccine trains the immune system to spot the cancer. One kind, T-VEC, is a virus "
        "changed so that it grows in cancer cells and bursts them. It is injected straight into a tumour, for "
        "example melanoma in the skin.",
        "classes": ["vaccine", "oncolytic_virus"],
        "scenario": {"model": "wodarz2001", "escapes": {}, "therapies": ["talimogene_laherparepvec"],
                     "immune": ["y"], "tumour": ["x"], "immune_label": "cancer cells carrying the virus",
                     "tumour_label": "cancer cells without the virus"},
        "picture": "This picture uses a different model, about a virus spreading through a tumour. T-VEC is "
        "injected into the tumour; infected cells (blue) burst and the cancer shrinks.",
        "evidence": "Wodarz D (2001), Cancer Res 61:3501-3507 (virus spread in a tumour); T-VEC doses from its "
        "label (Imlygic). Sizes are fractions of the largest tumour the model allows.",
    },
    {
        "key": "cytokine",
        "title": "Cytokines (including interferon)",
        "what": "Cytokines are messages the immune system uses. Giving more of one can wake the immune system "
        "up. Interleukin-2 is used for some kidney cancers and melanoma. Interferon alfa is used for two blood "
        "conditions, polycythaemia vera (PV) and essential thrombocythaemia (ET), where it slows the faulty "
        "blood cells with the JAK2 change.",
        "classes": ["cytokine"],
        "scenario": {"model": "andersen2017_mpn", "days": 7300, "escapes": {},
                     "therapies": ["ropeginterferon_alfa_2b"], "immune": ["x1"], "tumour": ["y1"],
                     "immune_label": "healthy blood cells", "tumour_label": "blood cells with the JAK2 change"},
        "picture": "This picture uses a model of PV and ET over 20 years. With interferon, the blood cells with "
        "the JAK2 change stay few; without it, they slowly take over.",
        "evidence": "Andersen M et al. (2017), PLoS ONE 12:e0183620, with interferon fitted to Kiladjian et al. "
        "(2008); ropeginterferon schedule from its label (Besremi).",
    },
    {
        "key": "car_t",
        "title": "CAR T-cell therapy",
        "what": "Some of your own T cells (a kind of white cell) are collected from your blood. In a lab they "
        "are given a new receptor (a CAR) that finds a marker on the cancer, such as CD19. They are grown into "
        "millions and given back by a drip, usually once.",
        "classes": ["car_t"],
        "scenario": {"model": "kuznetsov1994", "days": 400, "escapes": {"antigen_loss": 0.5},
                     "therapies": ["tisagenlecleucel"], "immune": ["E"], "tumour": ["T"]},
        "picture": "The cancer hides its usual markers from the white cells. The CAR T-cells find it by CD19 "
        "instead and clear it in the model.",
        "evidence": "Kuznetsov 1994 model with antigen loss; tisagenlecleucel expansion and contraction from "
        "Stein et al. (2019), CPT Pharmacometrics Syst Pharmacol 8:285-295.",
    },
]

#: What each test result means, in plain English (cut-offs and sources come from oncoimmune.patients.ASSAYS).
TEST_TEXT: list[dict[str, Any]] = [
    {
        "assays": ["pdl1"],
        "title": "PD-L1",
        "text": "This test looks at a piece of the tumour under a microscope. It counts how many cancer cells "
        "show PD-L1, the stop signal. The result is a percentage. A high score means a checkpoint inhibitor "
        "such as pembrolizumab is more likely to help, but it is not a promise.",
    },
    {
        "assays": ["msi", "tmb"],
        "title": "MSI and TMB",
        "text": "These tests look at the tumour's genes. MSI-high (or dMMR) means the cancer cannot fix "
        "mistakes in its genes. TMB counts how many changes there are. Cancers with many changes look more "
        "strange to the immune system, so checkpoint inhibitors often work better.",
    },
    {
        "assays": ["her2"],
        "title": "HER2",
        "text": "HER2 is a protein on some breast and stomach cancers. The test shows if there is a lot of it. "
        "If the result is positive, a monoclonal antibody such as trastuzumab can stick to it.",
    },
    {
        "assays": ["cd19", "cd20"],
        "title": "CD19 and CD20",
        "text": "These are markers on B cells, the cells that some lymphomas and leukaemias grow from. CD20 "
        "means rituximab can stick to the cancer. CD19 is what many CAR T-cell therapies look for.",
    },
    {
        "assays": ["jak2"],
        "title": "JAK2",
        "text": "This blood test looks for a change in a gene called JAK2. Most people with PV, and about half "
        "of people with ET, have it. The result can show how much of the blood carries the change (the allele "
        "burden). Interferon can lower it.",
    },
]

#: What the virtual KEYNOTE-024 does not know, stated plainly (from examples/keynote024.toml and docs).
TRIAL_LIMITS: list[str] = [
    "The virtual patients are made by a computer. Their tumours follow a model fitted to real scans "
    "(Laleh et al. 2022) and to the real trial's curves for how long cancer was kept in check.",
    "How long people lived (overall survival) was not used to fit the model. It is a prediction, and it can "
    "be wrong.",
    "In the real trial, doctors could choose between several chemotherapy drugs. The virtual trial gives "
    "everyone carboplatin and paclitaxel.",
    "The model does not know about side effects, other illnesses, or how fit each person is.",
    "People leaving the trial early, deaths from other causes, and the tumour size that kills are "
    "assumptions, not trial data.",
    "A trial result is an average over many people. It cannot say what will happen to one person.",
]

#: Questions to take to the care team, always shown with an eligibility answer.
CARE_TEAM_QUESTIONS: list[str] = [
    "Which treatments could work for my cancer, and why?",
    "Do I need any tests first (for example PD-L1, MSI, HER2 or JAK2)? Have they been done?",
    "How is the treatment given, how often, and for how long?",
    "What side effects should I look out for, and who do I call if I have them?",
    "Is there a clinical trial I could join?",
]
