"""Roles: tags on terms that mechanisms and interventions act on.

A library model tags each term with what it *does* biologically; an escape
mechanism or a therapy then modulates every term with a role without knowing
the model's equations (``Model.scale_terms(role, factor)``).
"""

from __future__ import annotations

#: Intrinsic tumour growth (logistic, Gompertz, ...).
TUMOUR_GROWTH = "tumour_growth"
#: Killing of tumour cells by effector T cells or NK cells (needs antigen recognition).
KILL = "kill"
#: Tumour-stimulated effector recruitment/expansion (antigen-driven priming and proliferation).
RECRUITMENT = "recruitment"
#: Baseline supply of effector cells from outside the tumour site (thymus, lymph nodes, blood).
EFFECTOR_SUPPLY = "effector_supply"
#: Death of effector cells.
EFFECTOR_DEATH = "effector_death"
#: Inactivation/exhaustion of effector cells by tumour contact.
INACTIVATION = "inactivation"
#: NK-cell killing of tumour cells (innate; MHC-independent).
NK_KILL = "nk_kill"
#: Cytokine production and decay.
CYTOKINE = "cytokine"

#: Drug entering the body (bolus/infusion input into a compartment).
DRUG_INPUT = "drug_input"
#: First-order absorption from a subcutaneous depot.
DRUG_ABSORPTION = "drug_absorption"
#: Drug elimination (clearance).
DRUG_ELIMINATION = "drug_elimination"
#: Inter-compartmental distribution.
DRUG_DISTRIBUTION = "drug_distribution"

#: CAR-T (or other engineered effector) proliferation on antigen contact.
CART_EXPANSION = "cart_expansion"
#: Conversion of effector cells into long-lived memory cells.
MEMORY_FORMATION = "memory_formation"
#: Re-activation of memory cells into effectors on antigen contact.
MEMORY_ACTIVATION = "memory_activation"
#: Death of memory cells.
MEMORY_DEATH = "memory_death"
#: Homeostatic regrowth of normal lymphocytes competing for space/cytokines (e.g. after lymphodepletion).
LYMPHOCYTE_HOMEOSTASIS = "lymphocyte_homeostasis"

ALL_ROLES = (
    TUMOUR_GROWTH,
    KILL,
    RECRUITMENT,
    EFFECTOR_SUPPLY,
    EFFECTOR_DEATH,
    INACTIVATION,
    NK_KILL,
    CYTOKINE,
    DRUG_INPUT,
    DRUG_ABSORPTION,
    DRUG_ELIMINATION,
    DRUG_DISTRIBUTION,
    CART_EXPANSION,
    MEMORY_FORMATION,
    MEMORY_ACTIVATION,
    MEMORY_DEATH,
    LYMPHOCYTE_HOMEOSTASIS,
)
