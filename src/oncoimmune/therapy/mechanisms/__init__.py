"""Therapy mechanisms: how a drug's exposure changes the tumour-immune model.

The registry :data:`MECHANISMS` maps a key to a :class:`Mechanism`, whose
``apply(model, *, exposure, **params) -> Model`` is a pure function. ``exposure``
names a drug concentration (ug/mL) or receptor-occupancy observable already in
the model (e.g. ``pembrolizumab_conc`` or ``pembrolizumab_RO`` from
:func:`oncoimmune.therapy.pk.add_two_compartment_pk`), or, for vaccines,
viruses and CAR-T cells, a state (created if absent where noted).

=================  =====================  =====================================================
key                class                  what it does (module)
=================  =====================  =====================================================
pd1_blockade       checkpoint_inhibitor   PD-1 occupancy releases the PD-L1 brake (checkpoint)
pdl1_blockade      checkpoint_inhibitor   PD-L1 occupancy releases the PD-L1 brake (checkpoint)
ctla4_blockade     checkpoint_inhibitor   more priming; optional Treg depletion (checkpoint)
adcc_cd20          monoclonal_antibody    NK killing of CD20+ cells ~ expression x occupancy (antibody)
adcc_her2          monoclonal_antibody    NK killing of HER2+ cells ~ expression x occupancy (antibody)
vaccine_peptide    vaccine                Kronik 2010 DC path to CTL priming (vaccine)
vaccine_dc         vaccine                Gevertz-Wares 2018 injected DCs prime T cells (vaccine)
oncolytic_virus    oncolytic_virus        free virus infects the lesion; T-VEC label doses (virus)
il2                cytokine               Kirschner-Panetta IL-2 input s2 (cytokine)
ifn_alpha          cytokine               Andersen 2017 MPN IFN switch (cytokine)
car_t              car_t                  CARTmath expansion/memory/exhaustion/killing, CRS proxy (car_t)
=================  =====================  =====================================================

See ``docs/mechanisms.md`` for the equations, parameters with sources and the
checks against published references.

Examples
--------
>>> from oncoimmune.library import get_model
>>> from oncoimmune.biology.escape import pdl1_checkpoint
>>> from oncoimmune.therapy.drugs import get_drug
>>> from oncoimmune.therapy.mechanisms import MECHANISMS
>>> m = get_drug("pembrolizumab").add_to(pdl1_checkpoint(get_model("kuznetsov1994"), 1.0))
>>> m = MECHANISMS["pd1_blockade"].apply(m, exposure="pembrolizumab_conc")
>>> "checkpoint_pd1_occupancy" in m.observable_names
True
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..._errors import UnknownNameError
from ._base import Mechanism
from .antibody import ADCC_CD20, ADCC_HER2, adcc, adcc_cd20, adcc_her2, hoffman2018_model
from .car_t import (
    CAR_T,
    CarTScenario,
    ball_tisagenlecleucel,
    car_t,
    crs_peak,
    lbcl_axicel,
    leon_triana2021_model,
    lymphodepletion,
)
from .checkpoint import (
    CTLA4_BLOCKADE,
    PD1_BLOCKADE,
    PDL1_BLOCKADE,
    ctla4_blockade,
    pd1_blockade,
    pdl1_blockade,
)
from .cytokine import IFN_ALPHA, IL2, ifn_alpha, il2, kp_aci_threshold, kp_il2_alone_threshold
from .vaccine import VACCINE_DC, VACCINE_PEPTIDE, vaccine_dc, vaccine_events, vaccine_peptide
from .virus import ONCOLYTIC_VIRUS, TVEC_LABEL, oncolytic_virus, tvec_injection_volume_ml, tvec_label_events

#: Registry of therapy mechanisms (read-only).
MECHANISMS: Mapping[str, Mechanism] = MappingProxyType(
    {
        m.name: m
        for m in (
            PD1_BLOCKADE,
            PDL1_BLOCKADE,
            CTLA4_BLOCKADE,
            ADCC_CD20,
            ADCC_HER2,
            VACCINE_PEPTIDE,
            VACCINE_DC,
            ONCOLYTIC_VIRUS,
            IL2,
            IFN_ALPHA,
            CAR_T,
        )
    }
)


def get_mechanism(name: str | Mechanism) -> Mechanism:
    """The mechanism ``name`` (a :class:`Mechanism` passes through); unknown names list the valid ones."""
    if isinstance(name, Mechanism):
        return name
    try:
        return MECHANISMS[name]
    except (KeyError, TypeError):
        raise UnknownNameError("therapy mechanism", str(name), sorted(MECHANISMS)) from None


def list_mechanisms() -> list[Mechanism]:
    """Every registered mechanism, in registry order."""
    return list(MECHANISMS.values())


__all__ = [
    "MECHANISMS",
    "TVEC_LABEL",
    "CarTScenario",
    "Mechanism",
    "adcc",
    "adcc_cd20",
    "adcc_her2",
    "ball_tisagenlecleucel",
    "car_t",
    "crs_peak",
    "ctla4_blockade",
    "get_mechanism",
    "hoffman2018_model",
    "ifn_alpha",
    "il2",
    "kp_aci_threshold",
    "kp_il2_alone_threshold",
    "lbcl_axicel",
    "leon_triana2021_model",
    "list_mechanisms",
    "lymphodepletion",
    "oncolytic_virus",
    "pd1_blockade",
    "pdl1_blockade",
    "tvec_injection_volume_ml",
    "tvec_label_events",
    "vaccine_dc",
    "vaccine_events",
    "vaccine_peptide",
]
