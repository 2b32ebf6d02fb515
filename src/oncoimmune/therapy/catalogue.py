r"""The drug catalogue: what each immunotherapy is, how it is given and how it reaches the body.

A :class:`Drug` is data: its names, its **classes** (one drug may belong to
several: a checkpoint inhibitor is also a monoclonal antibody and a targeted
treatment), its target, the key of its biological **mechanism**, its
**kinetics** (how a dose becomes exposure), its **label regimens** (dose
schedules of the prescribing information, as
:class:`~oncoimmune.therapy.schedule.Schedule` objects) and its sources.
:data:`CATALOGUE` holds the drugs with encoded kinetics (the eleven below,
defined in this module, and the entries of ``data/label_drugs.toml`` whose
popPK is encoded in :mod:`oncoimmune.therapy.drugs`, :data:`ENCODED_FROM_FILE`;
:func:`catalogue_counts_markdown` counts them), and the
label-only entries of ``data/label_drugs.toml`` (every drug of the eligibility
table: names, classes, label schedules and the published PK cited, kept out of
simulation; see :class:`NotModelledKinetics`); :func:`get_drug` resolves
names, brands and common abbreviations; :func:`list_catalogue` is what
``oncoimmune drugs`` prints.

==========================  ================================  =========  ==============================
drug                        classes                           target     kinetics (source)
==========================  ================================  =========  ==============================
pembrolizumab               mAb, checkpoint inhibitor,        PD-1       2-cpt popPK (Ahamadi 2017)
                            targeted
nivolumab                   mAb, checkpoint inhibitor,        PD-1       2-cpt popPK (Bajaj 2017)
                            targeted
atezolizumab                mAb, checkpoint inhibitor,        PD-L1      2-cpt popPK (Stroh 2017)
                            targeted
ipilimumab                  mAb, checkpoint inhibitor,        CTLA-4     2-cpt popPK (Feng 2014)
                            targeted
rituximab                   mAb, targeted                     CD20       2-cpt popPK (Rozman 2017)
trastuzumab                 mAb, targeted                     HER2       2-cpt popPK (Bruno 2005)
talimogene laherparepvec    oncolytic virus, vaccine,         tumour     intralesional, no systemic PK
                            biological                        cells      (IMLYGIC USPI)
aldesleukin (IL-2)          cytokine, biological              IL-2R      1-cpt IV (Konrad 1990, label)
ropeginterferon alfa-2b     cytokine, biological              IFNAR      1-cpt SC (Zhu 2021)
tisagenlecleucel            CAR-T, biological, targeted       CD19       cellular kinetics (Stein 2019)
axicabtagene ciloleucel     CAR-T, biological, targeted       CD19       cellular kinetics (Kimmel 2021)
==========================  ================================  =========  ==============================

Kinetics
--------
Each drug's :class:`AbstractKinetics` adds what a dose needs to a model (a
pure function, names prefixed with the drug's :attr:`Drug.prefix`), names the
state a dose goes to, and names the **exposure** handed to the drug's
mechanism:

* :class:`MAbPK` -- the two-compartment popPK of
  :mod:`~oncoimmune.therapy.drugs` (exposure: the serum concentration
  ``<prefix>_conc`` in ug/mL, which the mechanism turns into target
  engagement with its own cited IC50; ``<prefix>_RO`` = C/(C + KD) stays an
  observable where a KD is known);
* :class:`OneCompartmentPK` -- linear one-compartment PK, intravenous or
  subcutaneous with first-order absorption (exposure ``<prefix>_conc``, mg/L);
* :class:`IntralesionalInjection` -- no systemic PK: the dose (PFU) goes to the
  free-virus state ``<prefix>_virus``, which the oncolytic-virus mechanism
  creates with its clearance and infection terms;
* :class:`CellularKinetics` -- a cell product: the dose (CAR-positive viable T
  cells) goes to the model's own CAR-T state (counting cells) or to
  ``<prefix>_cells``, which the CAR-T mechanism creates with its expansion,
  contraction and killing; the published cellular-kinetics values are
  recorded for reference and checks.

Units of dose amounts
---------------------
:class:`~oncoimmune.therapy.schedule.Dose` counts amounts in ``mg``,
``mg/kg`` or ``mg/m2``. For drugs whose :attr:`Drug.amount_unit` is not ``mg``
(``"PFU"`` for the virus, ``"cells"`` for CAR-T) the same numbers count that
unit instead: ``Dose(4e8, "mg")`` in a T-VEC regimen means 4e8 PFU, and
``Dose(2e6, "mg/kg")`` in an axi-cel regimen means 2e6 cells/kg. Descriptions
and event labels use the drug's unit.

Verification
------------
Label regimens were checked against the prescribing information by search
(see each :class:`LabelRegimen`'s source); every value that could not be
confirmed carries ``UNVERIFIED`` in its source note and in
:attr:`Drug.verification`.

References
----------
.. [1] Ahamadi M et al. (2017). CPT Pharmacometrics Syst Pharmacol 6:49-57. doi:10.1002/psp4.12139
.. [2] Bajaj G et al. (2017). CPT Pharmacometrics Syst Pharmacol 6:58-66. doi:10.1002/psp4.12143
.. [3] Stroh M et al. (2017). Clin Pharmacol Ther 102:305-312. doi:10.1002/cpt.587
.. [4] Feng Y et al. (2014). Br J Clin Pharmacol 78:106-117. doi:10.1111/bcp.12323
.. [5] Rozman S et al. (2017). Br J Clin Pharmacol 83:1782-1790. doi:10.1111/bcp.13271
.. [6] Bruno R et al. (2005). Cancer Chemother Pharmacol 56:361-369. doi:10.1007/s00280-005-1026-z
.. [7] Konrad MW et al. (1990). Pharmacokinetics of recombinant interleukin 2 in
   humans. Cancer Res 50:2009-2017.
.. [8] Zhu M et al. (2021). Population pharmacokinetics of ropeginterferon
   alfa-2b: a comparison between healthy Caucasian and Chinese subjects.
   Front Pharmacol 12:673492. doi:10.3389/fphar.2021.673492
.. [9] Huang YW et al. (2021). Pharmacokinetics and pharmacodynamics of novel
   long-acting ropeginterferon alfa-2b in healthy Chinese subjects. Adv Ther
   38:4756-4770.
.. [10] Stein AM et al. (2019). Tisagenlecleucel model-based cellular kinetic
   analysis of chimeric antigen receptor-T cells. CPT Pharmacometrics Syst
   Pharmacol 8:285-295. doi:10.1002/psp4.12388
.. [11] Kimmel GJ, Locke FL, Altrock PM (2021). The roles of T cell competition
   and stochastic extinction events in chimeric antigen receptor T cell
   therapy. Proc R Soc B 288:20210229. doi:10.1098/rspb.2021.0229
.. [12] KEYTRUDA, OPDIVO, TECENTRIQ, YERVOY, RITUXAN, HERCEPTIN, IMLYGIC,
   PROLEUKIN, BESREMI, KYMRIAH and YESCARTA US Prescribing Information.
"""

from __future__ import annotations

import abc
import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from .._errors import ModelSpecError, ParameterValueError, ScheduleError, UnknownNameError
from ..biology.roles import DRUG_ABSORPTION, DRUG_ELIMINATION, DRUG_INPUT
from ..model import Model, Observable, Parameter, Source, State, Sym, Term
from . import drugs as _pk
from ._label_drugs import label_drug_records
from .pk import pk_names
from .schedule import (
    AbstractRoute,
    Dose,
    Intralesional,
    IVBolus,
    IVInfusion,
    Schedule,
    Subcutaneous,
)

__all__ = [
    "CATALOGUE",
    "CLASSES",
    "MECHANISM_KEYS",
    "AbstractKinetics",
    "CellularKinetics",
    "Drug",
    "IntralesionalInjection",
    "LabelRegimen",
    "LABEL_MECHANISMS",
    "ENCODED_FROM_FILE",
    "LABEL_ONLY",
    "MAbPK",
    "NotModelledKinetics",
    "OneCompartmentPK",
    "drugs_in_class",
    "get_drug",
    "catalogue_counts_markdown",
    "list_catalogue",
]

#: The fixed vocabulary of therapy classes (a drug may carry several).
CLASSES: Mapping[str, str] = MappingProxyType(
    {
        "monoclonal_antibody": "monoclonal antibody (mAb): a laboratory-made antibody against one target",
        "checkpoint_inhibitor": "immune checkpoint inhibitor: releases a brake on T cells (PD-1, PD-L1, CTLA-4)",
        "targeted_therapy": "targeted treatment: acts on a named molecule on cancer or immune cells",
        "vaccine": "cancer vaccine: primes or boosts a T-cell response against tumour antigens",
        "oncolytic_virus": "oncolytic virus: a virus that infects and bursts tumour cells",
        "cytokine": "cytokine: a signalling protein that stimulates immune cells (IL-2, interferon)",
        "car_t": "CAR T-cell therapy: the patient's T cells engineered to recognise the tumour",
        "chemotherapy": "chemotherapy: cytotoxic drugs that kill dividing cells",
        "biological_therapy": "biological therapy: made from living organisms or their products",
        "bispecific_t_cell_engager": "bispecific T-cell engager: one molecule binding CD3 on T cells and a "
        "tumour antigen, bringing T cells to the cancer cells",
        "adoptive_cell_therapy": "adoptive cell therapy: T cells (tumour-infiltrating or TCR-engineered) grown or "
        "modified outside the body and given back",
        "gene_therapy": "gene therapy: a non-replicating viral vector delivering a gene (e.g. interferon) to the "
        "tumour",
    }
)

#: Mechanism keys looked up in ``oncoimmune.therapy.mechanisms.MECHANISMS`` at run time.
MECHANISM_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "pd1_blockade": "anti-PD-1 releases the PD-L1 brake (pd1_occupancy)",
        "pdl1_blockade": "anti-PD-L1 releases the PD-L1 brake (pd1_occupancy)",
        "ctla4_blockade": "anti-CTLA-4 enhances priming and depletes regulatory T cells",
        "adcc_cd20": "anti-CD20 antibody-dependent cellular cytotoxicity against CD20+ cells",
        "adcc_her2": "anti-HER2 signalling blockade and antibody-dependent cellular cytotoxicity",
        "oncolytic_virus": "intralesional virus infects and lyses tumour cells and primes T cells",
        "il2": "IL-2 expands effector T and NK cells",
        "ifn_alpha": "interferon-alpha drives malignant stem cells to exhaustion and death",
        "car_t": "CAR T cells expand, kill target cells and contract to memory",
    }
)

#: Mechanisms of label-only drugs (kept out of simulation; not in the mechanism registry).
LABEL_MECHANISMS: Mapping[str, str] = MappingProxyType(
    {
        "lag3_blockade": "anti-LAG-3 releases a second T-cell brake (given with anti-PD-1)",
        "adcc_cd38": "anti-CD38 antibody: ADCC, CDC and phagocytosis of CD38+ myeloma cells",
        "slamf7_antibody": "anti-SLAMF7 antibody activates NK cells and marks myeloma cells for ADCC",
        "adcc_cd19": "anti-CD19 antibody: ADCC and phagocytosis of CD19+ B cells",
        "adcc_gd2": "anti-GD2 antibody: ADCC and CDC against GD2+ neuroblastoma cells",
        "adcc_ccr4": "anti-CCR4 antibody: ADCC against CCR4+ malignant T cells",
        "adcc_cldn18": "anti-claudin-18.2 antibody: ADCC and CDC against CLDN18.2+ cancer cells",
        "nrg1_her3_blockade": "HER2 x HER3 bispecific antibody: docks on HER2, blocks NRG1 binding to HER3 and "
        "HER2:HER3 dimerisation; also ADCC",
        "t_cell_engager": "bispecific antibody linking CD3 on T cells to a tumour antigen; T cells kill the "
        "bound cancer cells",
        "bcg_intravesical": "BCG in the bladder provokes a local immune response against the tumour",
        "cellular_vaccine": "autologous antigen-presenting cells loaded with a tumour antigen prime T cells",
        "interferon_gene_therapy": "adenoviral vector makes bladder cells secrete interferon alfa-2b",
        "il15_superagonist": "IL-15 superagonist expands NK and CD8 T cells (given with BCG)",
        "adoptive_t_cells": "infused tumour-reactive or TCR-engineered T cells kill tumour cells",
        "il2_receptor_toxin": "IL-2 fused to diphtheria toxin fragments: binds the IL-2 receptor (CD25) and kills "
        "malignant and regulatory T cells",
    }
)
_ALL_MECHANISMS: Mapping[str, str] = MappingProxyType({**MECHANISM_KEYS, **LABEL_MECHANISMS})

_UNVERIFIED = "UNVERIFIED"
#: Role of CAR-T proliferation terms in library models (``library.barros2021_cartmath.CART_EXPANSION``).
CART_EXPANSION_ROLE = "cart_expansion"


def _src(base: Source, location: str, note: str = "") -> Source:
    return Source(base.citation, location, base.doi, note)


def _positive(what: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterValueError(f"{what} must be a number > 0; got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ParameterValueError(f"{what} must be a finite number > 0; got {value!r}")
    return v


# ---------------------------------------------------------------------------------------
# kinetics
class AbstractKinetics(abc.ABC):
    """How doses of a drug become exposure in a model.

    Implementations are frozen dataclasses that

    1. add their states, parameters, terms and observables to a model
       (:meth:`add_to`, pure; every name starts with the prefix),
    2. name the state receiving instantaneous doses of a route
       (:meth:`dose_target`) and the input-rate parameter switched by
       infusions (:meth:`rate_parameter`),
    3. name the exposure handed to the mechanism (:meth:`exposure`),
    4. cite where their values come from (:attr:`source`) and say how much of
       it was verified (:attr:`verification`).
    """

    kind: ClassVar[str] = "abstract"
    #: Whether the kinetics can be put into a model (False: the drug is kept out of simulation).
    simulable: ClassVar[bool] = True
    #: Whether the mechanism creates the exposure state itself (cell and virus products).
    mechanism_creates_state: ClassVar[bool] = False

    @property
    @abc.abstractmethod
    def source(self) -> Source:
        """The paper (or label) the kinetics come from."""

    @abc.abstractmethod
    def add_to(self, model: Model, prefix: str, *, weight_kg: float | None = None) -> Model:
        """``model`` with this drug's kinetics added (names start with ``prefix``)."""

    def values(self, prefix: str, *, weight_kg: float | None = None) -> dict[str, float]:
        """The parameter and initial values :meth:`add_to` gives a model, by name.

        Read from the kinetics added to a one-state stand-in model; kinetics whose
        values are a formula of the patient override it (:class:`MAbPK`). A trial
        builds many patients of one structure from these (``trials/templates.py``).
        """
        m = self.add_to(_stand_in(), prefix, weight_kg=weight_kg)
        out = dict(m.parameter_values)
        out.update({k: v for k, v in m.initial_values.items() if k != _STAND_IN_STATE})
        return out

    @abc.abstractmethod
    def exposure(self, prefix: str) -> str:
        """Name of the observable or state passed to the mechanism as its ``exposure``."""

    def resolve_exposure(self, model: Model, prefix: str) -> str:
        """The exposure for this model (a cell product may use the model's own CAR-T state)."""
        return self.exposure(prefix)

    @abc.abstractmethod
    def dose_target(self, prefix: str, route: AbstractRoute) -> str:
        """State receiving an instantaneous dose by ``route`` (raises ScheduleError if the route is unsupported)."""

    def rate_parameter(self, prefix: str) -> str:
        """Input-rate parameter (amount/day) switched by infusions."""
        raise ScheduleError(
            f"{self.kind} kinetics cannot take an intravenous infusion; give the doses as IVBolus()"
        )

    def first_dose_parameter(self, prefix: str) -> str | None:
        """Parameter holding the first dose day (time-varying clearance), or ``None``."""
        return None

    @abc.abstractmethod
    def describe(self) -> str:
        """One line in plain English."""

    @property
    def verification(self) -> str:
        """How the values were checked."""
        return "see source"


_STAND_IN_STATE = "kinetics_stand_in_x"
#: (id of a kinetics object, prefix) -> (the object, its values added to the stand-in model)
_VALUES: dict[tuple[int, str], tuple[Any, dict[str, float]]] = {}


@functools.lru_cache(maxsize=1)
def _stand_in() -> Model:
    """A one-state model to add kinetics to alone (:meth:`AbstractKinetics.values`)."""
    src = Source(citation="stand-in model for kinetics values (oncoimmune.therapy.catalogue)")
    return Model(
        id="kinetics_stand_in",
        title="stand-in",
        states=(State(_STAND_IN_STATE, 0.0, "1", "stand-in state", src),),
        parameters=(),
        terms=(),
    )


@dataclass(frozen=True)
class MAbPK(AbstractKinetics):
    """Two- (or three-) compartment popPK of a monoclonal antibody (an entry of :mod:`oncoimmune.therapy.drugs`)."""

    pk: _pk.DrugPK
    checked: str = ""
    kind: ClassVar[str] = "two_compartment_popPK"

    @property
    def source(self) -> Source:
        return self.pk.citation

    def values(self, prefix: str, *, weight_kg: float | None = None) -> dict[str, float]:
        """:meth:`AbstractKinetics.values`: the typical values at ``weight_kg`` (``DrugPK.typical``) over the rest."""
        key = (id(self), prefix)
        hit = _VALUES.get(key)
        if hit is None or hit[0] is not self:
            hit = _VALUES[key] = (self, super().values(prefix))
        names = pk_names(prefix)
        out = dict(hit[1])
        out.update({getattr(names, k): v for k, v in self.pk.typical(weight_kg).items()})
        return out

    def add_to(self, model: Model, prefix: str, *, weight_kg: float | None = None) -> Model:
        return self.pk.add_to(model, prefix=prefix, weight_kg=weight_kg)

    def exposure(self, prefix: str) -> str:
        # the serum concentration (ug/mL): mechanisms turn it into target engagement with their own
        # cited IC50/KD; the receptor occupancy <prefix>_RO (C/(C + KD)) stays available as an observable
        return pk_names(prefix).concentration

    def dose_target(self, prefix: str, route: AbstractRoute) -> str:
        if isinstance(route, (Subcutaneous, Intralesional)):
            raise ScheduleError(
                f"{self.pk.name} is modelled for intravenous dosing only (no absorption depot); "
                f"use an IV infusion or bolus, not {route.describe()}"
            )
        return pk_names(prefix).central

    def rate_parameter(self, prefix: str) -> str:
        return pk_names(prefix).infusion_rate

    def first_dose_parameter(self, prefix: str) -> str | None:
        return pk_names(prefix).t_first_dose if self.pk.clearance.time_varying else None

    def describe(self) -> str:
        hl = self.pk.half_lives()
        third = (
            f", Q3 {self.pk.Q3:.3g} L/day, V3 {self.pk.V3:.3g} L" if self.pk.Q3 is not None and self.pk.V3 else ""
        )
        n = "three" if third else "two"
        return (
            f"{n}-compartment popPK: CL {self.pk.CL:.3g} L/day, V1 {self.pk.V1:.3g} L, Q {self.pk.Q:.3g} L/day, "
            f"V2 {self.pk.V2:.3g} L{third} ({self.pk.clearance.describe()}); terminal t1/2 {hl['late']:.1f} d"
        )

    @property
    def verification(self) -> str:
        return self.checked or "values checked against the source table (see therapy.drugs and docs/pk.md)"


@dataclass(frozen=True)
class OneCompartmentPK(AbstractKinetics):
    """Linear one-compartment PK, intravenous or subcutaneous (first-order absorption).

    .. math::

        \\frac{dA_d}{dt} = -k_a A_d, \\qquad
        \\frac{dA}{dt} = R(t) + F k_a A_d - \\frac{CL}{V} A, \\qquad C = A/V

    Parameters
    ----------
    drug : str
        Name used in descriptions.
    CL, V : float
        Clearance (L/day) and volume (L); apparent values (CL/F, V/F) for a
        subcutaneous model with ``F = 1``.
    sources : mapping
        ``Source`` for ``CL`` and ``V`` (and ``ka``, ``F`` when ``ka`` is given).
    citation : Source
        The paper the model comes from.
    ka : float, optional
        Absorption rate (1/day) from the subcutaneous depot.
    F : float
        Bioavailable fraction (``(0, 1]``).
    notes : tuple of str
    checked : str
        What was verified, in words.
    """

    drug: str
    CL: float
    V: float
    sources: Mapping[str, Source]
    citation: Source
    ka: float | None = None
    F: float = 1.0
    notes: tuple[str, ...] = ()
    checked: str = ""
    kind: ClassVar[str] = "one_compartment_PK"

    def __post_init__(self) -> None:
        object.__setattr__(self, "CL", _positive(f"{self.drug} CL (L/day)", self.CL))
        object.__setattr__(self, "V", _positive(f"{self.drug} V (L)", self.V))
        need = ["CL", "V"] + (["ka", "F"] if self.ka is not None else [])
        for k in need:
            if not isinstance(self.sources.get(k), Source):
                raise ModelSpecError(
                    f"OneCompartmentPK {self.drug}: sources[{k!r}] must be a Source (paper + table)"
                )
        if self.ka is not None:
            object.__setattr__(self, "ka", _positive(f"{self.drug} ka (1/day)", self.ka))
        if not (math.isfinite(self.F) and 0 < self.F <= 1):
            raise ParameterValueError(f"OneCompartmentPK {self.drug}: F must lie in (0, 1]; got {self.F!r}")
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))

    @property
    def source(self) -> Source:
        return self.citation

    @property
    def half_life_days(self) -> float:
        """Elimination half-life ``ln 2 V / CL`` (days)."""
        return math.log(2.0) * self.V / self.CL

    def add_to(self, model: Model, prefix: str, *, weight_kg: float | None = None) -> Model:
        n = pk_names(prefix)
        taken = set(model.state_names) | set(model.parameter_names) | set(model.observable_names)
        mine = {n.central, n.depot, n.infusion_rate, n.CL, n.V1, n.ka, n.F, n.concentration}
        clash = sorted(taken & mine)
        if clash:
            raise ModelSpecError(
                f"{self.drug}: model {model.id!r} already has {', '.join(clash)}; each drug needs its own prefix"
            )
        d = self.drug
        A = Sym(n.central)
        params = [
            Parameter(n.CL, self.CL, "L/day", f"{d} clearance", self.sources["CL"]),
            Parameter(n.V1, self.V, "L", f"{d} volume of distribution", self.sources["V"]),
            Parameter(
                n.infusion_rate,
                0.0,
                "mg/day",
                f"{d} intravenous infusion rate (switched by dose events)",
                Source(
                    "oncoimmune dosing input (not a fitted value)",
                    note="set by the events of a dose schedule",
                ),
            ),
        ]
        states = [State(n.central, 0.0, "mg", f"{d} amount in the body (one compartment)")]
        terms = [
            Term(
                f"{prefix}_infusion",
                Sym(n.infusion_rate),
                {n.central: 1},
                f"{d} enters by infusion",
                {DRUG_INPUT},
            ),
            Term(
                f"{prefix}_elimination",
                Sym(n.CL) / Sym(n.V1) * A,
                {n.central: -1},
                f"{d} is cleared",
                {DRUG_ELIMINATION},
            ),
        ]
        if self.ka is not None:
            Ad = Sym(n.depot)
            params += [
                Parameter(
                    n.ka,
                    self.ka,
                    "1/day",
                    f"{d} absorption rate from the subcutaneous depot",
                    self.sources["ka"],
                ),
                Parameter(
                    n.F, self.F, "1", f"{d} bioavailable fraction", self.sources["F"], bounds=(0.0, 1.0)
                ),
            ]
            states.append(State(n.depot, 0.0, "mg", f"{d} amount in the subcutaneous depot"))
            terms += [
                Term(
                    f"{prefix}_absorption",
                    Sym(n.ka) * Ad,
                    {n.depot: -1},
                    f"{d} leaves the depot",
                    {DRUG_ABSORPTION},
                ),
                Term(
                    f"{prefix}_absorbed_input",
                    Sym(n.F) * Sym(n.ka) * Ad,
                    {n.central: 1},
                    f"the bioavailable fraction of absorbed {d} reaches the blood",
                    {DRUG_INPUT},
                ),
            ]
        obs = [Observable(n.concentration, A / Sym(n.V1), "mg/L", f"{d} serum concentration (mg/L = ug/mL)")]
        return model.add(
            states=states,
            parameters=params,
            terms=terms,
            observables=obs,
            references=(self.citation, *dict.fromkeys(self.sources.values())),
            notes=(f"{d}: linear one-compartment PK ({self.describe()})",),
        )

    def exposure(self, prefix: str) -> str:
        return pk_names(prefix).concentration

    def dose_target(self, prefix: str, route: AbstractRoute) -> str:
        n = pk_names(prefix)
        if isinstance(route, Subcutaneous):
            if self.ka is None:
                raise ScheduleError(f"{self.drug} is modelled for intravenous dosing only; give it IV")
            return n.depot
        if isinstance(route, Intralesional):
            raise ScheduleError(f"{self.drug} cannot be injected into a lesion in this model")
        return n.central

    def rate_parameter(self, prefix: str) -> str:
        return pk_names(prefix).infusion_rate

    def describe(self) -> str:
        route = f"subcutaneous (ka {self.ka:.3g}/day, F {self.F:g})" if self.ka is not None else "intravenous"
        return f"one-compartment {route}: CL {self.CL:.4g} L/day, V {self.V:.3g} L, t1/2 {self.half_life_days * 24:.3g} h"

    @property
    def verification(self) -> str:
        return self.checked


@dataclass(frozen=True)
class IntralesionalInjection(AbstractKinetics):
    """A product injected into lesions with no systemic PK: doses go to ``<prefix>_virus``.

    The oncolytic-virus mechanism creates that state (free virus in the lesion,
    PFU) with its clearance and infection terms; without the mechanism
    (kinetics only) the state is added with no dynamics. Amounts count :attr:`unit`.
    """

    drug: str
    unit: str
    citation: Source
    description: str
    checked: str = ""
    kind: ClassVar[str] = "intralesional"
    mechanism_creates_state: ClassVar[bool] = True

    @property
    def source(self) -> Source:
        return self.citation

    def state_name(self, prefix: str) -> str:
        return f"{prefix}_virus"

    def add_to(self, model: Model, prefix: str, *, weight_kg: float | None = None) -> Model:
        name = self.state_name(prefix)
        if name in set(model.state_names) | set(model.parameter_names) | set(model.observable_names):
            raise ModelSpecError(
                f"{self.drug}: model {model.id!r} already has {name!r}; each drug needs its own prefix"
            )
        return model.add(
            states=(State(name, 0.0, self.unit, f"free {self.drug} in the injected lesions ({self.unit})"),),
            references=(self.citation,),
            notes=(f"{self.drug}: intralesional doses go to {name}; the mechanism gives it its dynamics",),
        )

    def exposure(self, prefix: str) -> str:
        return self.state_name(prefix)

    def dose_target(self, prefix: str, route: AbstractRoute) -> str:
        if not isinstance(route, (Intralesional, IVBolus)):
            raise ScheduleError(f"{self.drug} is given by intralesional injection; got {route.describe()}")
        return self.state_name(prefix)

    def describe(self) -> str:
        return self.description

    @property
    def verification(self) -> str:
        return self.checked


@dataclass(frozen=True)
class CellularKinetics(AbstractKinetics):
    """A cell product: doses (cells) go to the CAR-T state; published kinetics recorded for reference.

    The CAR-T state is the model's own (the one state fed by a term with role
    ``cart_expansion``, e.g. Barros 2021 ``Ct``) when the model has one and
    counts cells; otherwise ``<prefix>_cells``, which the CAR-T mechanism
    creates with its expansion, memory, exhaustion and killing.

    Parameters
    ----------
    drug : str
    citation : Source
        The cellular-kinetics analysis.
    parameters : mapping of str to (value, units, meaning)
        Typical values of the published model (documentation and checks; the
        mechanism decides how to use them).
    library_model : str
        Id of the library model encoding that analysis (may still be in
        progress).
    description : str
    """

    drug: str
    citation: Source
    parameters: Mapping[str, tuple[float, str, str]]
    library_model: str
    description: str
    checked: str = ""
    kind: ClassVar[str] = "cellular_kinetics"
    mechanism_creates_state: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))

    @property
    def source(self) -> Source:
        return self.citation

    def state_name(self, prefix: str) -> str:
        return f"{prefix}_cells"

    def add_to(self, model: Model, prefix: str, *, weight_kg: float | None = None) -> Model:
        name = self.state_name(prefix)
        if name in set(model.state_names) | set(model.parameter_names) | set(model.observable_names):
            raise ModelSpecError(
                f"{self.drug}: model {model.id!r} already has {name!r}; each drug needs its own prefix"
            )
        return model.add(
            states=(State(name, 0.0, "cells", f"{self.drug} CAR-positive viable T cells infused"),),
            references=(self.citation,),
            notes=(
                f"{self.drug}: infused cells go to {name}; the CAR-T mechanism gives them their dynamics",
            ),
        )

    def exposure(self, prefix: str) -> str:
        return self.state_name(prefix)

    def resolve_exposure(self, model: Model, prefix: str) -> str:
        fed = sorted(
            {s for t in model.terms_with_role(CART_EXPANSION_ROLE) for s, c in t.effects.items() if c > 0}
            - {self.state_name(prefix)}
        )
        if not fed:
            return self.state_name(prefix)
        if len(fed) > 1:
            raise ModelSpecError(
                f"{self.drug}: model {model.id!r} has several CAR-T states ({', '.join(fed)}); give one CAR-T "
                "product at a time"
            )
        units = model.state(fed[0]).units
        if units != "cells":
            raise ModelSpecError(
                f"{self.drug}: model {model.id!r} counts CAR-T cells ({fed[0]}) in {units!r}, but doses are whole "
                "cells; use a model counting cells, or the scenario builders of oncoimmune.therapy.mechanisms "
                "(lbcl_axicel, ball_tisagenlecleucel)"
            )
        return fed[0]

    def dose_target(self, prefix: str, route: AbstractRoute) -> str:
        if not isinstance(route, IVBolus):
            raise ScheduleError(
                f"{self.drug} is a single intravenous infusion of cells; give it as IVBolus()"
            )
        return self.state_name(prefix)

    def describe(self) -> str:
        return self.description

    @property
    def verification(self) -> str:
        return self.checked


@dataclass(frozen=True)
class NotModelledKinetics(AbstractKinetics):
    """Kinetics not encoded: the drug is described (label, classes) but kept out of simulation.

    Parameters
    ----------
    drug : str
    status : str
        One of :data:`oncoimmune.therapy._label_drugs.PK_STATUSES`.
    citation : Source
        The published PK analysis (status ``published-not-encoded``) or the
        label section giving its summary PK.
    note : str
        What is published and why it is not encoded.

    Every method that would put the drug into a model raises
    :class:`~oncoimmune.ModelSpecError` naming the source to encode first.
    """

    drug: str
    status: str
    citation: Source
    note: str
    kind: ClassVar[str] = "not_modelled"
    simulable: ClassVar[bool] = False

    @property
    def source(self) -> Source:
        return self.citation

    def _refuse(self) -> ModelSpecError:
        return ModelSpecError(
            f"{self.drug} is kept out of simulation: its pharmacokinetics is not encoded ({self.status}: "
            f"{self.note}; source: {self.citation}). Encode it with its source in oncoimmune.therapy.catalogue "
            "first, or choose a drug that `oncoimmune drugs` marks as simulable"
        )

    def add_to(self, model: Model, prefix: str, *, weight_kg: float | None = None) -> Model:
        raise self._refuse()

    def exposure(self, prefix: str) -> str:
        return ""  # nothing is added to a model, so nothing is exposed

    def dose_target(self, prefix: str, route: AbstractRoute) -> str:
        raise self._refuse()

    def describe(self) -> str:
        return f"not encoded ({self.status}): {self.note}"

    @property
    def verification(self) -> str:
        return f"PK not encoded ({self.status}); kept out of simulation"


# ---------------------------------------------------------------------------------------
# label regimens
@dataclass(frozen=True)
class LabelRegimen:
    """A dose regimen of the prescribing information, as one or more schedules.

    Parameters
    ----------
    key : str
        Short identifier, e.g. ``"200mg_q3w"``.
    phases : tuple of Schedule
        Consecutive parts of the regimen (a titration step, a cycle); most
        regimens have one.
    summary : str
        The regimen in words, as the label puts it.
    source : Source
        The label section.
    conditioning : tuple of Schedule
        Other drugs given before (CAR-T lymphodepletion), recorded, not simulated.
    max_amount : float, optional
        Cap on one administration in the drug's amount unit (axi-cel: 2e8 cells).
    notes : tuple of str
    """

    key: str
    phases: tuple[Schedule, ...]
    summary: str
    source: Source
    conditioning: tuple[Schedule, ...] = ()
    max_amount: float | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not re.fullmatch(r"[a-z0-9_]+", self.key):
            raise ModelSpecError(
                f"LabelRegimen.key must be lower-case letters, digits and '_'; got {self.key!r}"
            )
        phases = (self.phases,) if isinstance(self.phases, Schedule) else tuple(self.phases)
        if not phases or not all(isinstance(p, Schedule) for p in phases):
            raise ModelSpecError(f"LabelRegimen {self.key}: phases must be one or more Schedule objects")
        object.__setattr__(self, "phases", phases)
        object.__setattr__(self, "conditioning", tuple(self.conditioning))
        if not isinstance(self.source, Source):
            raise ModelSpecError(f"LabelRegimen {self.key}: source must be a Source (label section)")
        if self.max_amount is not None:
            object.__setattr__(
                self, "max_amount", _positive(f"LabelRegimen {self.key}: max_amount", self.max_amount)
            )

    @property
    def maintenance(self) -> Schedule:
        """The last phase (the one that continues)."""
        return self.phases[-1]


def _mab_regimens(pk: _pk.DrugPK, summaries: Mapping[str, str]) -> dict[str, LabelRegimen]:
    return {
        key: LabelRegimen(key, (s,), summaries.get(key, s.describe()), pk.label)
        for key, s in pk.schedules.items()
    }


# ---------------------------------------------------------------------------------------
# the drug
@dataclass(frozen=True)
class Drug:
    """One drug of the catalogue.

    Parameters
    ----------
    name : str
        Identifier (lower-case INN, ``_`` for spaces), e.g. ``"talimogene_laherparepvec"``.
    display_name : str
        INN as written, e.g. ``"talimogene laherparepvec (T-VEC)"``.
    brands : tuple of str
    classes : tuple of str
        From :data:`CLASSES`; at least one.
    target : str
    mechanism : str
        Key in :data:`MECHANISM_KEYS` (looked up in
        ``oncoimmune.therapy.mechanisms.MECHANISMS`` when a regimen is applied).
    kinetics : AbstractKinetics
    regimens : mapping of str to LabelRegimen
        Label regimens; ``default_regimen`` names the one used when none is given.
    default_regimen : str
    amount_unit : {"mg", "PFU", "cells"}
        What :class:`~oncoimmune.therapy.schedule.Dose` amounts count for this drug.
    indications : str
        Summary of the labelled indications.
    label : Source
        The prescribing information.
    sources : tuple of Source
        Every paper the entry draws on.
    prefix : str
        Prefix of the names the drug adds to a model.
    aliases : tuple of str
        Other names accepted by :func:`get_drug` (brands are accepted too).
    iu_per_mg : float, optional
        International units per mg (doses in IU are converted).
    mechanism_defaults : mapping of str to float
        Keyword arguments always passed to the mechanism (e.g. the exposure
        scale of a cytokine); each is explained in :attr:`notes`.
    verification : str
        What was verified, and what not.
    notes : tuple of str
    """

    name: str
    display_name: str
    brands: tuple[str, ...]
    classes: tuple[str, ...]
    target: str
    mechanism: str
    kinetics: AbstractKinetics
    regimens: Mapping[str, LabelRegimen]
    default_regimen: str
    amount_unit: str
    indications: str
    label: Source
    sources: tuple[Source, ...]
    prefix: str = ""
    aliases: tuple[str, ...] = ()
    iu_per_mg: float | None = None
    mechanism_defaults: Mapping[str, float] = field(default_factory=dict)
    verification: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ModelSpecError(
                f"Drug.name must be an identifier such as 'pembrolizumab'; got {self.name!r}"
            )
        for attr in ("brands", "classes", "sources", "aliases", "notes"):
            object.__setattr__(self, attr, tuple(getattr(self, attr)))
        if not self.classes:
            raise ModelSpecError(f"Drug {self.name}: give at least one class from {', '.join(CLASSES)}")
        bad = [c for c in self.classes if c not in CLASSES]
        if bad:
            raise ModelSpecError(f"Drug {self.name}: unknown class(es) {bad}; valid: {', '.join(CLASSES)}")
        if self.mechanism not in _ALL_MECHANISMS:
            raise ModelSpecError(
                f"Drug {self.name}: unknown mechanism {self.mechanism!r}; valid: {', '.join(_ALL_MECHANISMS)}"
            )
        if not isinstance(self.kinetics, AbstractKinetics):
            raise ModelSpecError(f"Drug {self.name}: kinetics must be an AbstractKinetics")
        if self.mechanism in LABEL_MECHANISMS and self.kinetics.simulable:
            raise ModelSpecError(
                f"Drug {self.name}: mechanism {self.mechanism!r} is described but not implemented; a drug using it "
                "must be label-only (NotModelledKinetics)"
            )
        if self.amount_unit not in ("mg", "PFU", "cells"):
            raise ModelSpecError(
                f"Drug {self.name}: amount_unit must be mg, PFU or cells; got {self.amount_unit!r}"
            )
        regs = dict(self.regimens)
        if not regs or self.default_regimen not in regs:
            raise ModelSpecError(
                f"Drug {self.name}: default_regimen {self.default_regimen!r} must be one of {sorted(regs)}"
            )
        for k, r in regs.items():
            if not isinstance(r, LabelRegimen) or r.key != k:
                raise ModelSpecError(
                    f"Drug {self.name}: regimens[{k!r}] must be a LabelRegimen with key {k!r}"
                )
        object.__setattr__(self, "regimens", MappingProxyType(regs))
        if not self.sources or not all(isinstance(s, Source) for s in self.sources):
            raise ModelSpecError(f"Drug {self.name}: sources must be one or more Source objects")
        if not isinstance(self.label, Source):
            raise ModelSpecError(f"Drug {self.name}: label must be a Source (prescribing information)")
        object.__setattr__(self, "mechanism_defaults", MappingProxyType(dict(self.mechanism_defaults)))
        object.__setattr__(self, "prefix", self.prefix or self.name)
        if not self.prefix.isidentifier():
            raise ModelSpecError(f"Drug {self.name}: prefix must be an identifier; got {self.prefix!r}")

    # lookup ------------------------------------------------------------------------------
    def regimen(self, key: str | None = None) -> LabelRegimen:
        """A label regimen by key (default: :attr:`default_regimen`); the error lists the keys."""
        k = self.default_regimen if key is None else key
        if k not in self.regimens:
            raise UnknownNameError(f"label regimen of {self.name}", k, sorted(self.regimens))
        return self.regimens[k]

    def has_class(self, cls: str) -> bool:
        return cls in self.classes

    @property
    def simulable(self) -> bool:
        """Whether the drug's kinetics are encoded, so it can enter a simulation."""
        return self.kinetics.simulable

    @property
    def exposure_name(self) -> str:
        """The observable or state this drug's mechanism receives."""
        return self.kinetics.exposure(self.prefix)

    def describe(self) -> str:
        """The entry in plain English."""
        lines = [
            f"{self.display_name} ({', '.join(self.brands)}) [{self.name}]",
            f"  classes: {', '.join(self.classes)}",
            f"  target: {self.target}; mechanism: {self.mechanism} ({_ALL_MECHANISMS[self.mechanism]})",
            f"  kinetics: {self.kinetics.describe()}",
            f"  kinetics source: {self.kinetics.source}",
        ]
        for k, r in self.regimens.items():
            mark = " (default)" if k == self.default_regimen else ""
            lines.append(f"  label regimen {k}{mark}: {r.summary}")
        lines.append(f"  indications: {self.indications}")
        lines.append(f"  label: {self.label}")
        if self.verification:
            lines.append(f"  verification: {self.verification}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (the JSON of ``oncoimmune drugs --json``)."""
        default = self.regimen()
        return {
            "name": self.name,
            "display_name": self.display_name,
            "brands": list(self.brands),
            "classes": list(self.classes),
            "target": self.target,
            "mechanism": self.mechanism,
            "exposure": self.exposure_name,
            "label_schedule": default.summary,
            "label_schedules": {k: r.summary for k, r in self.regimens.items()},
            "default_schedule": self.default_regimen,
            "amount_unit": self.amount_unit,
            "pk_model": self.kinetics.kind,
            "pk": self.kinetics.describe(),
            "pk_source": str(self.kinetics.source),
            "indications": self.indications,
            "label": str(self.label),
            "sources": [str(s) for s in self.sources],
            "verification": self.verification,
            "simulable": self.simulable,
            "pk_status": getattr(self.kinetics, "status", "encoded"),
        }


# ---------------------------------------------------------------------------------------
# sources shared by several entries
_IMLYGIC = Source(
    citation="IMLYGIC (talimogene laherparepvec) US Prescribing Information, Amgen",
    location="section 2 (intralesional; up to 4 mL per visit; initial 10^6 PFU/mL, second dose 3 weeks later and "
    "then every 2 weeks at 10^8 PFU/mL; continue for at least 6 months unless other treatment is required or no "
    "injectable lesions remain)",
)
_ANDTBACKA = Source(
    citation="Andtbacka RHI et al. (2015). Talimogene laherparepvec improves durable response rate in patients "
    "with advanced melanoma. J Clin Oncol 33:2780-2788 (OPTiM)",
    doi="10.1200/JCO.2014.58.3377",
)
_PROLEUKIN = Source(
    citation="PROLEUKIN (aldesleukin) US Prescribing Information, Clinigen",
    location="section 2 Table 1 (600,000 IU/kg (0.037 mg/kg) every 8 hours by 15-minute IV infusion, days 1-5, "
    "maximum 14 doses; rest days 6-14; second cycle days 15-19, maximum 14 doses); section 11 (18 million IU = "
    "1.1 mg per mL); section 12.3 (distribution and elimination t1/2 13 and 85 min after a 5-min infusion)",
)
_KONRAD = Source(
    citation="Konrad MW et al. (1990). Pharmacokinetics of recombinant interleukin 2 in humans. Cancer Res "
    "50:2009-2017",
    location="abstract: t1/2 12.9 min then 85 min after an IV bolus; clearance about 120 mL/min",
)
_BESREMI = Source(
    citation="BESREMi (ropeginterferon alfa-2b-njft) US Prescribing Information, PharmaEssentia",
    location="section 2.2 (100 mcg SC every two weeks, increased by 50 mcg every two weeks up to 500 mcg until "
    "haematological parameters are stabilised; the interval may be extended to every 4 weeks after 1 year of "
    "stability)",
)
_ZHU = Source(
    citation="Zhu M et al. (2021). Population pharmacokinetics of ropeginterferon alfa-2b: a comparison between "
    "healthy Caucasian and Chinese subjects. Front Pharmacol 12:673492",
    location="abstract: one-compartment QE-TMDD model with first-order absorption; CL/F 0.778 L/day and V/F "
    "2.32 L for a 70-kg subject",
    doi="10.3389/fphar.2021.673492",
)
_HUANG = Source(
    citation="Huang YW et al. (2021). Pharmacokinetics and pharmacodynamics of novel long-acting ropeginterferon "
    "alfa-2b in healthy Chinese subjects. Adv Ther 38:4756-4770",
    location="abstract: mean Tmax 92-141 h, elimination t1/2 78-129 h after single SC doses of 90-270 mcg",
)
_KYMRIAH = Source(
    citation="KYMRIAH (tisagenlecleucel) US Prescribing Information, Novartis",
    location="sections 2-3 (B-ALL up to 25 years: 0.2-5.0 x 10^6 CAR-positive viable T cells/kg if <= 50 kg, "
    "0.1-2.5 x 10^8 if > 50 kg; LBCL: 0.6-6.0 x 10^8; single IV infusion 2-14 days (ALL) or 2-6 days (LBCL) after "
    "lymphodepletion: fludarabine 30 mg/m2 x4 days + cyclophosphamide 500 mg/m2 x2 days (ALL); fludarabine "
    "25 mg/m2 + cyclophosphamide 250 mg/m2 x3 days (LBCL))",
)
_YESCARTA = Source(
    citation="YESCARTA (axicabtagene ciloleucel) US Prescribing Information, Kite Pharma",
    location="section 2 (2 x 10^6 CAR-positive viable T cells/kg, maximum 2 x 10^8, single IV infusion; "
    "lymphodepletion cyclophosphamide 500 mg/m2 + fludarabine 30 mg/m2 on the 5th, 4th and 3rd day before)",
)
_STEIN = Source(
    citation="Stein AM et al. (2019). Tisagenlecleucel model-based cellular kinetic analysis of chimeric antigen "
    "receptor-T cells. CPT Pharmacometrics Syst Pharmacol 8:285-295",
    location="Table 1 (typical values, ELIANA + ENSIGN)",
    doi="10.1002/psp4.12388",
    note="values as listed in the project's validation catalogue (shared/validation.md section 5.3), where they "
    "were reproduced numerically; the paper's Table 1 was not re-read here",
)
_KIMMEL = Source(
    citation="Kimmel GJ, Locke FL, Altrock PM (2021). The roles of T cell competition and stochastic extinction "
    "events in chimeric antigen receptor T cell therapy. Proc R Soc B 288:20210229",
    location="model and parameter table (BioModels BIOMD0000001041; ZUMA-1 axi-cel kinetics, cells/uL)",
    doi="10.1098/rspb.2021.0229",
    note="values as listed in shared/validation.md section 5.2 [REG]; the paper's table was not re-read here",
)

# ---------------------------------------------------------------------------------------
# the monoclonal antibodies
_CHECKPOINT = ("monoclonal_antibody", "checkpoint_inhibitor", "targeted_therapy")
_MAB = ("monoclonal_antibody", "targeted_therapy")

PEMBROLIZUMAB = Drug(
    name="pembrolizumab",
    display_name="pembrolizumab",
    brands=("Keytruda",),
    classes=_CHECKPOINT,
    target="PD-1",
    mechanism="pd1_blockade",
    kinetics=MAbPK(_pk.PEMBROLIZUMAB),
    regimens=_mab_regimens(
        _pk.PEMBROLIZUMAB,
        {
            "200mg_q3w": "200 mg IV over 30 min every 3 weeks, up to 24 months (35 doses)",
            "400mg_q6w": "400 mg IV over 30 min every 6 weeks, up to 24 months (18 doses)",
        },
    ),
    default_regimen="200mg_q3w",
    amount_unit="mg",
    indications="melanoma, NSCLC, head and neck SCC, classical Hodgkin lymphoma, urothelial, MSI-H/dMMR and other "
    "solid tumours (KEYTRUDA USPI section 1)",
    label=_pk.PEMBROLIZUMAB.label,
    sources=(_pk.PEMBROLIZUMAB.citation, _pk.PEMBROLIZUMAB.label, _pk.PEMBROLIZUMAB.kd_source),  # type: ignore[arg-type]
    aliases=("mk3475", "mk_3475", "lambrolizumab"),
    verification="popPK checked against Ahamadi 2017 Table 3 and the nlmixr2lib encoding; label schedules checked; "
    "KD from a secondary source (see therapy.drugs)",
)

NIVOLUMAB = Drug(
    name="nivolumab",
    display_name="nivolumab",
    brands=("Opdivo",),
    classes=_CHECKPOINT,
    target="PD-1",
    mechanism="pd1_blockade",
    kinetics=MAbPK(_pk.NIVOLUMAB),
    regimens=_mab_regimens(
        _pk.NIVOLUMAB,
        {
            "240mg_q2w": "240 mg IV over 30 min every 2 weeks until progression",
            "480mg_q4w": "480 mg IV over 30 min every 4 weeks until progression",
        },
    ),
    default_regimen="240mg_q2w",
    amount_unit="mg",
    indications="melanoma, NSCLC, RCC, classical Hodgkin lymphoma, head and neck SCC, urothelial and other "
    "cancers (OPDIVO USPI section 1)",
    label=_pk.NIVOLUMAB.label,
    sources=(_pk.NIVOLUMAB.citation, _pk.NIVOLUMAB.label, _pk.NIVOLUMAB.kd_source),  # type: ignore[arg-type]
    aliases=("bms936558", "bms_936558"),
    verification="popPK checked against Bajaj 2017 Table 1 and the nlmixr2lib encoding; label schedules checked",
)

ATEZOLIZUMAB = Drug(
    name="atezolizumab",
    display_name="atezolizumab",
    brands=("Tecentriq",),
    classes=_CHECKPOINT,
    target="PD-L1",
    mechanism="pdl1_blockade",
    kinetics=MAbPK(
        _pk.ATEZOLIZUMAB,
        checked="CL, V1 and Vss checked against TECENTRIQ USPI 12.3; Q and V2 from Centanni 2019 Table 2 "
        "(Stroh 2017's table not read); KD UNVERIFIED",
    ),
    regimens=_mab_regimens(
        _pk.ATEZOLIZUMAB,
        {
            "1200mg_q3w": "1200 mg IV every 3 weeks (first infusion over 60 min, then 30 min) until progression",
            "840mg_q2w": "840 mg IV every 2 weeks (first infusion over 60 min, then 30 min) until progression",
            "1680mg_q4w": "1680 mg IV every 4 weeks (first infusion over 60 min, then 30 min) until progression",
        },
    ),
    default_regimen="1200mg_q3w",
    amount_unit="mg",
    indications="NSCLC, small-cell lung cancer, hepatocellular carcinoma, melanoma, alveolar soft part sarcoma "
    "(TECENTRIQ USPI section 1)",
    label=_pk.ATEZOLIZUMAB.label,
    sources=(_pk.ATEZOLIZUMAB.citation, _pk._CENTANNI, _pk.ATEZOLIZUMAB.label, _pk.ATEZOLIZUMAB.kd_source),  # type: ignore[arg-type]
    aliases=("mpdl3280a",),
    verification="label regimens and label PK (CL, V1, Vss, t1/2 27 d) checked; Q from the Centanni 2019 review; "
    f"KD {_UNVERIFIED}",
)

IPILIMUMAB = Drug(
    name="ipilimumab",
    display_name="ipilimumab",
    brands=("Yervoy",),
    classes=_CHECKPOINT,
    target="CTLA-4",
    mechanism="ctla4_blockade",
    kinetics=MAbPK(
        _pk.IPILIMUMAB,
        checked="Feng 2014 Table 2 values agree between the nlmixr2lib encoding and Centanni 2019 Table 2; "
        "terminal t1/2 15.0 d (label 15.4 d)",
    ),
    regimens=_mab_regimens(
        _pk.IPILIMUMAB, {"3mgkg_q3w_x4": "3 mg/kg IV over 90 min every 3 weeks, 4 doses in all"}
    ),
    default_regimen="3mgkg_q3w_x4",
    amount_unit="mg",
    indications="melanoma (alone or with nivolumab), RCC, colorectal MSI-H, HCC, NSCLC and mesothelioma with "
    "nivolumab (YERVOY USPI section 1)",
    label=_pk.IPILIMUMAB.label,
    sources=(_pk.IPILIMUMAB.citation, _pk._CENTANNI, _pk.IPILIMUMAB.label),
    aliases=("mdx010", "mdx_010"),
    verification="popPK values checked in two independent tabulations of Feng 2014 Table 2; label regimen checked; "
    "no KD (none verified): the mechanism receives the concentration",
)

RITUXIMAB = Drug(
    name="rituximab",
    display_name="rituximab",
    brands=("Rituxan", "MabThera"),
    classes=_MAB,
    target="CD20",
    mechanism="adcc_cd20",
    kinetics=MAbPK(_pk.RITUXIMAB),
    regimens=_mab_regimens(
        _pk.RITUXIMAB,
        {
            "375mgm2_weekly_x4": "375 mg/m2 IV weekly for 4 doses (relapsed follicular/low-grade NHL)",
            "375mgm2_q3w_x8": "375 mg/m2 IV on day 1 of each 21-day R-CHOP cycle, up to 8 (DLBCL)",
        },
    ),
    default_regimen="375mgm2_weekly_x4",
    amount_unit="mg",
    indications="non-Hodgkin lymphoma, chronic lymphocytic leukaemia (and non-oncology indications) "
    "(RITUXAN USPI section 1)",
    label=_pk.RITUXIMAB.label,
    sources=(_pk.RITUXIMAB.citation, _pk.RITUXIMAB.label),
    verification="popPK checked against Rozman 2017 Table 2 and the nlmixr2lib encoding; label schedules checked",
)

TRASTUZUMAB = Drug(
    name="trastuzumab",
    display_name="trastuzumab",
    brands=("Herceptin",),
    classes=_MAB,
    target="HER2",
    mechanism="adcc_her2",
    kinetics=MAbPK(_pk.TRASTUZUMAB),
    regimens=_mab_regimens(
        _pk.TRASTUZUMAB,
        {
            "8_6mgkg_q3w": "8 mg/kg IV over 90 min, then 6 mg/kg over 30-90 min every 3 weeks (52 weeks adjuvant)",
            "4_2mgkg_qw": "4 mg/kg IV over 90 min, then 2 mg/kg over 30 min weekly (52 weeks adjuvant)",
        },
    ),
    default_regimen="8_6mgkg_q3w",
    amount_unit="mg",
    indications="HER2-overexpressing breast cancer (adjuvant, metastatic) and metastatic gastric cancer "
    "(HERCEPTIN USPI section 1)",
    label=_pk.TRASTUZUMAB.label,
    sources=(_pk.TRASTUZUMAB.citation, _pk.TRASTUZUMAB.label, _pk.TRASTUZUMAB.kd_source),  # type: ignore[arg-type]
    verification="popPK checked against Bruno 2005 Table 3 and the nlmixr2lib encoding; label schedules checked",
)

# ---------------------------------------------------------------------------------------
# talimogene laherparepvec
_TVEC_ML = 4.0  # label maximum injection volume per visit (mL)
TALIMOGENE_LAHERPAREPVEC = Drug(
    name="talimogene_laherparepvec",
    display_name="talimogene laherparepvec (T-VEC)",
    brands=("Imlygic",),
    classes=("oncolytic_virus", "vaccine", "biological_therapy"),
    target="tumour cells (HSV-1 replication in tumour cells; GM-CSF recruits antigen-presenting cells)",
    mechanism="oncolytic_virus",
    kinetics=IntralesionalInjection(
        drug="talimogene laherparepvec",
        unit="PFU",
        citation=_IMLYGIC,
        description="intralesional injection; no systemic PK (doses in PFU go to the lesion state)",
        checked="label dosing checked (initial 10^6 PFU/mL, then 10^8 PFU/mL, up to 4 mL per visit)",
    ),
    regimens={
        "label": LabelRegimen(
            "label",
            (
                Schedule(
                    "talimogene laherparepvec",
                    Dose(_TVEC_ML * 1.0e8, "mg"),
                    every_days=14,
                    cycles=13,
                    route=Intralesional(),
                    loading=Dose(_TVEC_ML * 1.0e6, "mg"),
                    loading_every_days=21,
                ),
            ),
            "up to 4 mL of 10^6 PFU/mL into lesions, then up to 4 mL of 10^8 PFU/mL 3 weeks later and every 2 weeks "
            "after, for at least 6 months (13 visits to day 175)",
            _IMLYGIC,
            notes=(
                "amounts are the label maxima (4 mL x concentration); the volume per visit depends on lesion size",
                "13 visits: day 0, day 21, then every 14 days to day 175 (the label's 'at least 6 months')",
            ),
        )
    },
    default_regimen="label",
    amount_unit="PFU",
    indications="local treatment of unresectable cutaneous, subcutaneous and nodal lesions of melanoma recurrent "
    "after initial surgery (IMLYGIC USPI section 1)",
    label=_IMLYGIC,
    sources=(_IMLYGIC, _ANDTBACKA),
    prefix="tvec",
    aliases=("t_vec", "tvec", "oncovex", "oncovex_gm_csf"),
    verification="label regimen checked; classed as a vaccine too because its GM-CSF payload is meant to prime a "
    "systemic anti-tumour response (an in-situ vaccine)",
)

# ---------------------------------------------------------------------------------------
# aldesleukin (IL-2)
_ALDESLEUKIN_IU_PER_MG = 18.0e6 / 1.1  # PROLEUKIN USPI 11: 18 million IU = 1.1 mg
_ALD_DOSE = Dose(600_000.0 / _ALDESLEUKIN_IU_PER_MG, "mg/kg")  # 0.0367 mg/kg (label: 0.037 mg/kg)
_ALD_T_HALF_DAYS = 85.0 / 1440.0
_ALD_CL = 120.0 * 1440.0 / 1000.0  # mL/min -> L/day
ALDESLEUKIN = Drug(
    name="aldesleukin",
    display_name="aldesleukin (recombinant interleukin-2)",
    brands=("Proleukin",),
    classes=("cytokine", "biological_therapy"),
    target="IL-2 receptor (CD25/CD122/CD132) on T and NK cells",
    mechanism="il2",
    kinetics=OneCompartmentPK(
        drug="aldesleukin",
        CL=_ALD_CL,
        V=_ALD_CL * _ALD_T_HALF_DAYS / math.log(2.0),
        sources={
            "CL": _src(_KONRAD, "abstract: clearance about 120 mL/min", "120 mL/min x 1.44 = 172.8 L/day"),
            "V": _src(
                _KONRAD,
                "abstract: elimination t1/2 85 min (PROLEUKIN USPI 12.3: 85 min)",
                "derived: V = CL x t1/2 / ln 2 = 172.8 L/day x 0.0590 d / 0.693 = 14.7 L; the 13-min distribution "
                "phase is not represented (a one-compartment approximation of a two-phase decline)",
            ),
        },
        citation=_KONRAD,
        notes=(
            (
                "the label reports mean clearance 155-420 mL/min in cancer patients (Swiss SmPC); Konrad's "
                "120 mL/min is the low end"
            ),
        ),
        checked="t1/2 (13 and 85 min) and clearance checked in the Konrad 1990 abstract and the label; V derived",
    ),
    regimens={
        "600kiu_kg_q8h": LabelRegimen(
            "600kiu_kg_q8h",
            (
                Schedule(
                    "aldesleukin", _ALD_DOSE, every_days=1.0 / 3.0, cycles=14, route=IVInfusion.minutes(15)
                ),
                Schedule(
                    "aldesleukin",
                    _ALD_DOSE,
                    every_days=1.0 / 3.0,
                    cycles=14,
                    route=IVInfusion.minutes(15),
                    start_day=14.0,
                ),
            ),
            "600,000 IU/kg (0.037 mg/kg) by 15-min IV infusion every 8 hours, up to 14 doses (days 1-5); rest days "
            "6-14; repeat up to 14 doses on days 15-19 (one course, 28 doses)",
            _PROLEUKIN,
            notes=("every dose of both cycles is given here; the label holds doses for toxicity",),
        )
    },
    default_regimen="600kiu_kg_q8h",
    amount_unit="mg",
    indications="metastatic renal cell carcinoma and metastatic melanoma in adults (PROLEUKIN USPI section 1)",
    label=_PROLEUKIN,
    sources=(_PROLEUKIN, _KONRAD),
    aliases=("il2", "il_2", "interleukin_2", "ril_2"),
    iu_per_mg=_ALDESLEUKIN_IU_PER_MG,
    verification="label regimen, IU-to-mg conversion and half-lives checked; clearance from Konrad 1990 abstract",
)

# ---------------------------------------------------------------------------------------
# ropeginterferon alfa-2b
_ROPEG_CAVG_SS = 0.5 / (0.778 * 14.0)  # mg/L at 500 mcg Q2W (see the entry's notes)
_ROPEG_KA = math.log(2.0) / (
    104.0 / 24.0
)  # 0.16/day: flip-flop terminal t1/2 ~104 h (Huang 2021 range 78-129 h)
_ropeg_titration = tuple(
    Schedule(
        "ropeginterferon alfa-2b",
        Dose(0.1 + 0.05 * k, "mg"),
        every_days=14,
        cycles=1,
        route=Subcutaneous(),
        start_day=14.0 * k,
    )
    for k in range(8)
)
ROPEGINTERFERON_ALFA_2B = Drug(
    name="ropeginterferon_alfa_2b",
    display_name="ropeginterferon alfa-2b",
    brands=("Besremi",),
    classes=("cytokine", "biological_therapy"),
    target="type I interferon receptor (IFNAR) on haematopoietic and immune cells",
    mechanism="ifn_alpha",
    kinetics=OneCompartmentPK(
        drug="ropeginterferon alfa-2b",
        CL=0.778,
        V=2.32,
        ka=_ROPEG_KA,
        F=1.0,
        sources={
            "CL": _src(
                _ZHU,
                "abstract: CL/F = 0.778 L/day (70 kg)",
                "apparent clearance; linear part of a QE-TMDD model",
            ),
            "V": _src(_ZHU, "abstract: V/F = 2.32 L (70 kg)", "apparent volume"),
            "ka": _src(
                _HUANG,
                "abstract: Tmax 92-141 h, t1/2 78-129 h",
                "derived, not a fitted value: ka = ln 2 / 104 h = 0.16/day, absorption-limited (flip-flop) decline; "
                "with CL/F and V/F it gives Tmax 101 h, inside the reported range. Zhu 2021's fitted ka and lag "
                "time were not read (UNVERIFIED)",
            ),
            "F": _src(_ZHU, "apparent parameters (CL/F, V/F)", "F = 1 because CL and V are apparent values"),
        },
        citation=_ZHU,
        notes=("the target-mediated part of Zhu 2021's model is not included (linear approximation)",),
        checked="CL/F and V/F from the Zhu 2021 abstract; ka derived from Huang 2021 (UNVERIFIED against Zhu's table)",
    ),
    regimens={
        "titration_100_500ug_q2w": LabelRegimen(
            "titration_100_500ug_q2w",
            (
                *_ropeg_titration,
                Schedule(
                    "ropeginterferon alfa-2b",
                    Dose(0.5, "mg"),
                    every_days=14,
                    cycles=None,
                    route=Subcutaneous(),
                    start_day=112.0,
                ),
            ),
            "100 mcg SC every 2 weeks, increased by 50 mcg every 2 weeks up to 500 mcg (reached at week 16), then "
            "500 mcg every 2 weeks",
            _BESREMI,
            notes=("titration runs to the 500-mcg maximum; the label stops it once blood counts are stable",),
        )
    },
    default_regimen="titration_100_500ug_q2w",
    amount_unit="mg",
    indications="polycythaemia vera in adults (BESREMi USPI section 1)",
    label=_BESREMI,
    sources=(_BESREMI, _ZHU, _HUANG),
    prefix="ropeg",
    aliases=(
        "ropeg",
        "ropeginterferon",
        "ropeginterferon_alfa",
        "p1101",
        "aop2014",
        "interferon_alfa",
        "ifn_alpha",
        "ifn_alfa",
    ),
    mechanism_defaults={"reference": _ROPEG_CAVG_SS},
    notes=(
        (
            "ifn_alpha mechanism: reference = average steady-state concentration of the label maintenance dose "
            "(500 mcg every 2 weeks: F*dose/(CL/F*tau) = 0.5 mg / (0.778 L/day x 14 d) = 0.0459 mg/L), so that "
            "regimen counts as the regimen the IFN effect was fitted to (Kiladjian 2008 peg-IFN-alfa-2a); "
            "equating the two standard polycythaemia-vera regimens is an ASSUMPTION"
        ),
    ),
    verification="label titration checked; CL/F, V/F checked (abstract); ka derived (UNVERIFIED)",
)

# ---------------------------------------------------------------------------------------
# CAR T cells
_FLU_CY_ALL = (
    Schedule("fludarabine", Dose(30, "mg/m2"), every_days=1, cycles=4, route=IVInfusion.minutes(30)),
    Schedule("cyclophosphamide", Dose(500, "mg/m2"), every_days=1, cycles=2, route=IVInfusion.minutes(60)),
)
_FLU_CY_LBCL_TISA = (
    Schedule("fludarabine", Dose(25, "mg/m2"), every_days=1, cycles=3, route=IVInfusion.minutes(30)),
    Schedule("cyclophosphamide", Dose(250, "mg/m2"), every_days=1, cycles=3, route=IVInfusion.minutes(60)),
)
_FLU_CY_AXI = (
    Schedule("cyclophosphamide", Dose(500, "mg/m2"), every_days=1, cycles=3, route=IVInfusion.minutes(60)),
    Schedule("fludarabine", Dose(30, "mg/m2"), every_days=1, cycles=3, route=IVInfusion.minutes(30)),
)
_LD_NOTE = (
    "infusion on day 0 of the simulation; the lymphodepletion (conditioning) precedes it and is recorded, not "
    "simulated: library CAR-T models start after lymphodepletion"
)
TISAGENLECLEUCEL = Drug(
    name="tisagenlecleucel",
    display_name="tisagenlecleucel (tisa-cel)",
    brands=("Kymriah",),
    classes=("car_t", "biological_therapy", "targeted_therapy"),
    target="CD19",
    mechanism="car_t",
    kinetics=CellularKinetics(
        drug="tisagenlecleucel",
        citation=_STEIN,
        parameters={
            "foldx": (3900.0, "1", "fold expansion from infusion to peak"),
            "Tmax": (9.3, "day", "time of the peak"),
            "Cmax": (24000.0, "copies/ug", "peak transgene level in blood"),
            "alpha": (0.16, "1/day", "rate of the fast contraction"),
            "FB": (0.0079, "1", "fraction of the slow (persistent) contraction"),
            "beta": (0.0032, "1/day", "rate of the slow contraction"),
        },
        library_model="stein2019_tisagenlecleucel",
        description="cellular kinetics: expansion to a peak near day 9, then bi-exponential contraction "
        "(Stein 2019); the dose (cells) goes to the CAR-T state",
        checked="typical values as in shared/validation.md 5.3 (reproduced there); Table 1 not re-read",
    ),
    regimens={
        "lbcl": LabelRegimen(
            "lbcl",
            (Schedule("tisagenlecleucel", Dose(3.3e8, "mg"), every_days=1, cycles=1, route=IVBolus()),),
            "single IV infusion of 0.6-6.0 x 10^8 CAR-positive viable T cells (here 3.3 x 10^8, the middle of the "
            "range) 2-6 days after fludarabine 25 mg/m2 + cyclophosphamide 250 mg/m2 daily for 3 days",
            _KYMRIAH,
            conditioning=_FLU_CY_LBCL_TISA,
            notes=(
                "3.3e8 cells is the midpoint of the label range (an assumption, not a label value)",
                _LD_NOTE,
            ),
        ),
        "all_le50kg": LabelRegimen(
            "all_le50kg",
            (Schedule("tisagenlecleucel", Dose(2.6e6, "mg/kg"), every_days=1, cycles=1, route=IVBolus()),),
            "single IV infusion of 0.2-5.0 x 10^6 CAR-positive viable T cells/kg (patients <= 50 kg; here "
            "2.6 x 10^6/kg, the middle of the range) 2-14 days after fludarabine 30 mg/m2 x4 days + cyclophosphamide "
            "500 mg/m2 x2 days",
            _KYMRIAH,
            conditioning=_FLU_CY_ALL,
            notes=(
                "2.6e6 cells/kg is the midpoint of the label range (an assumption, not a label value)",
                _LD_NOTE,
            ),
        ),
    },
    default_regimen="lbcl",
    amount_unit="cells",
    indications="B-cell ALL up to 25 years (refractory or second or later relapse), relapsed or refractory large "
    "B-cell lymphoma and follicular lymphoma after two or more lines (KYMRIAH USPI section 1)",
    label=_KYMRIAH,
    sources=(_KYMRIAH, _STEIN),
    prefix="tisacel",
    aliases=("tisa_cel", "tisacel", "ctl019"),
    verification="label doses and lymphodepletion checked; default dose is the midpoint of the label range "
    "(assumption); cellular-kinetics values from the validation catalogue",
)

AXICABTAGENE_CILOLEUCEL = Drug(
    name="axicabtagene_ciloleucel",
    display_name="axicabtagene ciloleucel (axi-cel)",
    brands=("Yescarta",),
    classes=("car_t", "biological_therapy", "targeted_therapy"),
    target="CD19",
    mechanism="car_t",
    kinetics=CellularKinetics(
        drug="axicabtagene ciloleucel",
        citation=_KIMMEL,
        parameters={
            "K_N": (500.0, "cells/uL", "carrying capacity of normal T cells"),
            "K_C": (139.0, "cells/uL", "carrying capacity of CAR T cells"),
            "r_N": (0.17, "1/day", "normal T-cell growth rate"),
            "rho_C": (0.0251, "1/day", "CAR T-cell baseline growth rate"),
            "a": (0.423, "1", "shape of the lymphopenia-driven CAR-T proliferation boost"),
            "b": (0.525, "1/day", "maximal lymphopenia-driven CAR-T proliferation boost"),
            "r_B": (0.01, "1/day", "tumour (B-cell) growth rate"),
            "gamma_B": (1.15, "1/day", "maximal killing of tumour by CAR T cells"),
            "k_B": (4.05, "cells/uL", "CAR-T level giving half-maximal killing"),
        },
        library_model="kimmel2021_cart",
        description="cellular kinetics: lymphopenia-driven expansion of CAR T cells competing with recovering "
        "normal T cells (Kimmel 2021, ZUMA-1); the dose (cells) goes to the CAR-T state",
        checked="values as in shared/validation.md 5.2 [REG]; the paper's table not re-read",
    ),
    regimens={
        "2e6_per_kg": LabelRegimen(
            "2e6_per_kg",
            (
                Schedule(
                    "axicabtagene ciloleucel", Dose(2.0e6, "mg/kg"), every_days=1, cycles=1, route=IVBolus()
                ),
            ),
            "single IV infusion of 2 x 10^6 CAR-positive viable T cells/kg (maximum 2 x 10^8) after "
            "cyclophosphamide 500 mg/m2 + fludarabine 30 mg/m2 on the 5th, 4th and 3rd day before",
            _YESCARTA,
            conditioning=_FLU_CY_AXI,
            max_amount=2.0e8,
            notes=(_LD_NOTE,),
        )
    },
    default_regimen="2e6_per_kg",
    amount_unit="cells",
    indications="relapsed or refractory large B-cell lymphoma (second line and later) and follicular lymphoma "
    "(YESCARTA USPI section 1)",
    label=_YESCARTA,
    sources=(_YESCARTA, _KIMMEL),
    prefix="axicel",
    aliases=("axi_cel", "axicel", "kte_c19"),
    verification="label dose, cap and lymphodepletion checked; cellular-kinetics values from the validation catalogue",
)

_ROUTE_NOTES = {
    "intravesical": "instilled into the bladder; recorded with the intralesional route (not simulated)",
}


def _schedule_from_phase(drug: str, ph: Mapping[str, Any]) -> Schedule:
    route_name = ph["route"]
    if route_name == "iv_infusion":
        route: AbstractRoute = IVInfusion.minutes(float(ph.get("minutes", 30)))
    elif route_name == "intravesical":
        route = Intralesional()
    else:
        route = {"iv_bolus": IVBolus, "subcutaneous": Subcutaneous, "intralesional": Intralesional}[route_name]()
    cycles = ph.get("cycles", 0)
    return Schedule(
        drug,
        Dose(ph["dose"], ph.get("unit", "mg")),
        every_days=ph["every_days"],
        cycles=None if cycles == 0 else cycles,
        route=route,
        start_day=float(ph.get("start_day", 0.0)),
    )


def _drug_from_record(rec: Mapping[str, Any]) -> Drug:
    """A catalogue entry (kinetics not encoded) from a row of ``data/label_drugs.toml``."""
    lab = rec["label"]
    label = Source(lab["citation"], location=lab["location"], note=lab["url"])
    pk = rec["pk"]
    pk_src = (
        Source(pk["citation"], location=pk.get("location", ""), doi=pk.get("doi", ""), note=pk["note"])
        if pk.get("citation")
        else label
    )
    regimens: dict[str, LabelRegimen] = {}
    for r in rec["regimen"]:
        try:
            phases = tuple(_schedule_from_phase(rec["display_name"], ph) for ph in r["phases"])
        except (ScheduleError, KeyError, TypeError) as e:
            raise ModelSpecError(f"data/label_drugs.toml drug {rec['name']!r} regimen {r['key']!r}: {e}") from None
        notes = tuple(r.get("notes", ())) + tuple(
            _ROUTE_NOTES[ph["route"]] for ph in r["phases"] if ph["route"] in _ROUTE_NOTES
        )
        regimens[r["key"]] = LabelRegimen(
            r["key"],
            phases,
            r["summary"],
            _src(label, r.get("location", lab["location"])),
            max_amount=r.get("max_amount"),
            notes=tuple(dict.fromkeys(notes)),
        )
    sources = (label,) if pk_src is label else (label, pk_src)
    kinetics: AbstractKinetics
    if pk["status"] == "encoded":
        if rec["name"] not in _pk.DRUGS:
            raise ModelSpecError(
                f"data/label_drugs.toml drug {rec['name']!r}: pk.status is 'encoded' but oncoimmune.therapy.drugs "
                f"has no entry {rec['name']!r}; add the DrugPK there or use status 'published-not-encoded'"
            )
        kinetics = MAbPK(_pk.DRUGS[rec["name"]], checked=pk["note"])
        sources = (label, *_pk.DRUGS[rec["name"]].sources.values(), _pk.DRUGS[rec["name"]].citation)
        sources = tuple(dict.fromkeys(sources))
        verification = f"label schedule from {lab['citation']}; popPK encoded: {pk['note']}"
    else:
        kinetics = NotModelledKinetics(rec["display_name"], pk["status"], pk_src, pk["note"])
        verification = f"label schedule from {lab['citation']}; PK not encoded ({pk['status']})"
    return Drug(
        name=rec["name"],
        display_name=rec["display_name"],
        brands=tuple(rec["brands"]),
        classes=tuple(rec["classes"]),
        target=rec["target"],
        mechanism=rec["mechanism"],
        kinetics=kinetics,
        regimens=regimens,
        default_regimen=rec["regimen"][0]["key"],
        amount_unit=rec.get("amount_unit", "mg"),
        indications=rec["indications"],
        label=label,
        sources=sources,
        aliases=tuple(a.replace("-", "_") for a in rec.get("aliases", ())),
        verification=verification,
        notes=(rec["note"],) if rec.get("note") else (),
    )


_FROM_FILE: Mapping[str, Drug] = MappingProxyType({r["name"]: _drug_from_record(r) for r in label_drug_records()})

#: Entries with label facts only (kinetics not encoded), from ``data/label_drugs.toml``.
LABEL_ONLY: Mapping[str, Drug] = MappingProxyType({k: d for k, d in _FROM_FILE.items() if not d.simulable})

#: Entries of ``data/label_drugs.toml`` whose popPK is encoded in :mod:`oncoimmune.therapy.drugs`
#: (``pk.status = "encoded"``): durvalumab, cemiplimab, dostarlimab, tremelimumab, tislelizumab and avelumab.
ENCODED_FROM_FILE: Mapping[str, Drug] = MappingProxyType({k: d for k, d in _FROM_FILE.items() if d.simulable})

_ENCODED: tuple[Drug, ...] = (
    PEMBROLIZUMAB,
    NIVOLUMAB,
    ATEZOLIZUMAB,
    IPILIMUMAB,
    RITUXIMAB,
    TRASTUZUMAB,
    TALIMOGENE_LAHERPAREPVEC,
    ALDESLEUKIN,
    ROPEGINTERFERON_ALFA_2B,
    TISAGENLECLEUCEL,
    AXICABTAGENE_CILOLEUCEL,
    *ENCODED_FROM_FILE.values(),
)

#: The catalogue: drug name -> entry (the drugs with encoded kinetics, then the label-only ones).
CATALOGUE: Mapping[str, Drug] = MappingProxyType(
    {
        **{d.name: d for d in _ENCODED},
        **{k: d for k, d in LABEL_ONLY.items() if k not in {e.name for e in _ENCODED}},
    }
)


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-\.]+", "_", name.strip().lower()).strip("_")


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    """Alias -> drug name for every catalogue entry (built once: the catalogue is immutable)."""
    out: dict[str, str] = {}
    for d in CATALOGUE.values():
        for alias in (d.name, d.prefix, *d.aliases, *d.brands):
            out[_normalise(alias)] = d.name
            out[_normalise(alias).replace("_", "")] = d.name
    return out


def get_drug(name: str | Drug) -> Drug:
    """The catalogue entry for a name, brand or abbreviation (``"Keytruda"``, ``"T-VEC"``, ``"IL-2"``, ``"axi-cel"``).

    Raises
    ------
    UnknownNameError
        For an unknown name; the message lists the drugs.
    """
    if isinstance(name, Drug):
        return name
    if not isinstance(name, str) or not name.strip():
        raise UnknownNameError("drug", str(name), sorted(CATALOGUE))
    idx = _index()
    key = _normalise(name)
    hit = idx.get(key) or idx.get(key.replace("_", ""))
    if hit is None:
        raise UnknownNameError("drug", name, sorted(CATALOGUE))
    return CATALOGUE[hit]


def drugs_in_class(cls: str) -> list[Drug]:
    """Every drug carrying class ``cls`` (from :data:`CLASSES`)."""
    if cls not in CLASSES:
        raise UnknownNameError("therapy class", cls, list(CLASSES))
    return [d for d in CATALOGUE.values() if cls in d.classes]


def mechanism_registry() -> Mapping[str, Callable[..., Model]]:
    """``oncoimmune.therapy.mechanisms.MECHANISMS`` if that module exists, else an empty mapping."""
    try:
        from . import mechanisms  # type: ignore[attr-defined]  # (mechanisms never import the catalogue)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.endswith("therapy.mechanisms"):
            return MappingProxyType({})
        raise
    reg = getattr(mechanisms, "MECHANISMS", None)
    return reg if isinstance(reg, Mapping) else MappingProxyType({})


def mechanism_available(key: str) -> bool:
    """Whether mechanism ``key`` is registered in ``oncoimmune.therapy.mechanisms.MECHANISMS``."""
    return key in mechanism_registry()


def list_catalogue() -> list[dict[str, Any]]:
    """One dict per drug (what ``oncoimmune drugs --json`` prints), with ``mechanism_available``.

    ``mechanism_available`` says whether the drug's mechanism can be applied
    now (registered in ``oncoimmune.therapy.mechanisms.MECHANISMS`` or built in).
    """
    rows = []
    for d in CATALOGUE.values():
        row = d.to_dict()
        row["mechanism_available"] = mechanism_available(d.mechanism)
        rows.append(row)
    return rows


def catalogue_counts_markdown() -> str:
    """The sentence of ``docs/therapies.md`` that counts the catalogue, made from :data:`CATALOGUE`.

    ``scripts/therapy_docs.py`` writes it between the markers ``<!-- catalogue-counts -->`` and
    ``<!-- /catalogue-counts -->``; ``tests/therapy/test_catalogue.py`` fails when the document and the
    catalogue disagree, so the count of simulable drugs is never written by hand.

    Returns
    -------
    str
        For example ``"17 simulable drugs (pembrolizumab, ...) and 38 label-only entries (...)"``.
    """
    sim = [d.name for d in CATALOGUE.values() if d.simulable]
    label = [d.name for d in CATALOGUE.values() if not d.simulable]
    return (
        f"{len(sim)} simulable drugs, with encoded and cited kinetics ({', '.join(sim)}), and "
        f"{len(label)} label-only entries, whose PK is cited but not encoded, so they are kept out of "
        f"simulation ({', '.join(label)})"
    )
