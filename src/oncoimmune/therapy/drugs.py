r"""Drug catalogue, PK part: typical popPK values, covariate reference, label schedules.

Each :class:`DrugPK` holds the typical-patient two-compartment parameters of a
published population-PK analysis (with the paper and table of every value),
the body weight the analysis is referenced to and its allometric exponents,
the clearance time course, the target affinity used for receptor occupancy,
and the dosing schedules of the prescribing information.

======================  =====================================  ======================================
drug                    popPK source                           label schedules
======================  =====================================  ======================================
pembrolizumab (PD-1)    Ahamadi 2017, CPT:PSP 6:49, Table 3    200 mg Q3W or 400 mg Q6W, 30-min IV
nivolumab (PD-1)        Bajaj 2017, CPT:PSP 6:58, Table 1      240 mg Q2W or 480 mg Q4W, 30-min IV
trastuzumab (HER2)      Bruno 2005, CCP 56:361, Table 3        8 mg/kg (90 min) then 6 mg/kg Q3W
rituximab (CD20)        Rozman 2017, BJCP 83:1782, Table 2     375 mg/m^2 weekly x4
atezolizumab (PD-L1)    Stroh 2017, CPT 102:305 (via Centanni  1200 mg Q3W, 840 mg Q2W or 1680 mg Q4W
                        2019 Table 2; TECENTRIQ USPI 12.3)
ipilimumab (CTLA-4)     Feng 2014, BJCP 78:106, Table 2        3 mg/kg over 90 min Q3W x4
durvalumab (PD-L1)      Abegesah 2025, CCP 95:23, abstract     1500 mg Q4W, 60-min IV
                        and Table 4
cemiplimab (PD-1)       Nguyen 2022, CPT:PSP 11:1458, Table 1  350 mg Q3W, 30-min IV
dostarlimab (PD-1)      Melhem 2022, BJCP 88:4142, Table 3     500 mg Q3W x4, then 1000 mg Q6W
                        (via nlmixr2lib; abstract checks)
tremelimumab (CTLA-4)   Hwang 2023, BJCP 89:1601, Table 3      300 mg once (with durvalumab); 75 mg Q3W
                        (via nlmixr2lib; abstract checks)
tislelizumab (PD-1)     Budha 2023, CPT:PSP 12:95, Table 3     200 mg Q3W (three compartments)
                        (via nlmixr2lib; SmPC checks)
avelumab (PD-L1)        Masters 2022, CPT:PSP 11:458, Table 1  800 mg Q2W, 60-min IV
                        (via nlmixr2lib; label checks)
======================  =====================================  ======================================

Values were checked against each paper's abstract (CL, V1 and, for Rozman,
the clearance time course) and against the nlmixr2lib encodings of the
tables (``inst/modeldb/specificDrugs/<Author>_<year>_<drug>.R``), which cite the
table for each number; see ``docs/pk.md`` for what was and was not read in
the primary source.

References
----------
.. [1] Ahamadi M, Freshwater T, Prohn M, et al. (2017). Model-based
   characterization of the pharmacokinetics of pembrolizumab: a humanized
   anti-PD-1 monoclonal antibody in advanced solid tumors. CPT
   Pharmacometrics Syst Pharmacol 6:49-57. doi:10.1002/psp4.12139
.. [2] Bajaj G, Wang X, Agrawal S, Gupta M, Roy A, Feng Y (2017). Model-based
   population pharmacokinetic analysis of nivolumab in patients with solid
   tumors. CPT Pharmacometrics Syst Pharmacol 6:58-66. doi:10.1002/psp4.12143
.. [3] Bruno R, Washington CB, Lu JF, Lieberman G, Banken L, Klein P (2005).
   Population pharmacokinetics of trastuzumab in patients with HER2+
   metastatic breast cancer. Cancer Chemother Pharmacol 56:361-369.
   doi:10.1007/s00280-005-1026-z
.. [4] Rozman S, Grabnar I, Novakovic S, Mrhar A, Jezersek Novakovic B (2017).
   Population pharmacokinetics of rituximab in patients with diffuse large
   B-cell lymphoma and association with clinical outcome. Br J Clin
   Pharmacol 83:1782-1790. doi:10.1111/bcp.13271
.. [5] KEYTRUDA, OPDIVO, HERCEPTIN, RITUXAN, TECENTRIQ and YERVOY US Prescribing
   Information, sections 2 (Dosage and Administration), 11 (Description) and 12.3
   (Pharmacokinetics).
.. [6] Stroh M, Winter H, Marchand M, et al. (2017). Clinical pharmacokinetics and
   pharmacodynamics of atezolizumab in metastatic urothelial carcinoma. Clin
   Pharmacol Ther 102:305-312. doi:10.1002/cpt.587
.. [7] Centanni M, Moes DJAR, Troconiz IF, Ciccolini J, van Hasselt JGC (2019).
   Clinical pharmacokinetics and pharmacodynamics of immune checkpoint
   inhibitors. Clin Pharmacokinet 58:835-857, Table 2. doi:10.1007/s40262-019-00748-2
.. [8] Feng Y, Masson E, Dai D, Parker SM, Berman D, Roy A (2014). Model-based
   clinical pharmacology profiling of ipilimumab in patients with advanced
   melanoma. Br J Clin Pharmacol 78:106-117. doi:10.1111/bcp.12323
.. [9] Abegesah A, Oh D-Y, Lim K, et al. (2025). Population pharmacokinetics and
   exposure-response analysis of durvalumab in combination with gemcitabine and
   cisplatin in patients with advanced biliary tract cancer. Cancer Chemother
   Pharmacol 95:23. doi:10.1007/s00280-024-04743-8
.. [10] Nguyen J-H, et al. (2022). Population pharmacokinetics modeling and
   exposure-response analyses of cemiplimab in patients with recurrent or
   metastatic cervical cancer. CPT Pharmacometrics Syst Pharmacol 11:1458-1471.
   doi:10.1002/psp4.12855
.. [11] Melhem M, Hanze E, Lu S, Alskar O, Visser S, Gandhi Y (2022). Population
   pharmacokinetics and exposure-response of anti-programmed cell death protein-1
   monoclonal antibody dostarlimab in advanced solid tumours. Br J Clin Pharmacol
   88:4142-4154. doi:10.1111/bcp.15339
.. [12] Hwang M, Chia YL, Zheng Y, et al. (2023). Population pharmacokinetic modelling
   of tremelimumab in patients with advanced solid tumours and the impact of disease
   status on time-varying clearance. Br J Clin Pharmacol 89:1601-1616. doi:10.1111/bcp.15622
.. [13] Budha N, Wu CY, Tang Z, et al. (2023). Model-based population pharmacokinetic
   analysis of tislelizumab in patients with advanced tumors. CPT Pharmacometrics Syst
   Pharmacol 12:95-109. doi:10.1002/psp4.12880
.. [14] nlmixr2lib, inst/modeldb/specificDrugs/{Melhem_2022_dostarlimab, Hwang_2022_tremelimumab,
   Budha_2023_tislelizumab, Masters_2022_avelumab}.R (transcriptions of the tables; read to take the
   values, no code copied).
.. [15] Masters JC, Khandelwal A, di Pietro A, Dai H, Brar S (2022). Model-informed drug development
   supporting the approval of the avelumab flat-dose regimen in patients with advanced renal cell
   carcinoma. CPT Pharmacometrics Syst Pharmacol 11:458-468. doi:10.1002/psp4.12771
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .._errors import ModelSpecError, ParameterValueError, UnknownNameError
from ..model import Model, Source
from .pk import (
    AbstractClearance,
    ConstantClearance,
    DecayingClearance,
    SigmoidTimeClearance,
    _Parts,
    _pk_parts,
    add_two_compartment_pk,
    linear_half_lives,
)
from .schedule import Dose, IVInfusion, Schedule

__all__ = ["DRUGS", "DrugPK", "get_drug", "kd_ug_per_ml", "list_drugs", "pk_counts_markdown", "pk_model"]

_PK_KEYS = ("CL", "V1", "Q", "V2")
_PERIPHERAL2_KEYS = ("Q3", "V3")


def kd_ug_per_ml(kd_nM: float, molecular_weight_kDa: float) -> float:
    """Convert a dissociation constant from nmol/L to ug/mL: ``KD[nM] * MW[kDa] / 1000``."""
    return float(kd_nM) * float(molecular_weight_kDa) / 1000.0


@dataclass(frozen=True)
class DrugPK:
    """Typical-patient popPK of one drug, with sources and label schedules.

    Parameters
    ----------
    name : str
        Identifier (lower case INN), also the default model prefix.
    CL, V1, Q, V2 : float
        Typical values (L/day, L) for ``reference_patient``. With a
        :class:`~oncoimmune.therapy.pk.DecayingClearance`, ``CL`` is the
        time-stationary part; with a sigmoid time course, the value at the first dose.
    sources : mapping
        ``Source`` for each of ``CL``, ``V1``, ``Q``, ``V2`` (paper + table),
        and for ``Q3`` and ``V3`` when they are given.
    Q3, V3 : float, optional
        Inter-compartmental clearance (L/day) and volume (L) of a second
        peripheral compartment: a three-compartment model (both or neither).
    citation : Source
        The popPK paper.
    reference_weight_kg : float
        Body weight the typical values refer to.
    reference_patient : str
        The covariate vector of the typical values, in words.
    weight_exponents : mapping
        Allometric exponents ``{parameter: exponent}``; ``value * (wt/ref)^exponent``.
    weight_source : Source, optional
        Where the exponents come from (required when there are any).
    clearance : AbstractClearance
        Time course of clearance.
    target : str
        The drug's target (for documentation; the full catalogue adds classes).
    kd_ug_per_ml : float, optional
        Equilibrium dissociation constant (ug/mL) for receptor occupancy.
    kd_source : Source, optional
    molecular_weight_kDa : float, optional
    schedules : mapping of str to Schedule
        Label regimens.
    label : Source
        The prescribing information for the schedules.
    notes : tuple of str
    """

    name: str
    CL: float
    V1: float
    Q: float
    V2: float
    sources: Mapping[str, Source]
    citation: Source
    reference_weight_kg: float
    reference_patient: str
    label: Source
    weight_exponents: Mapping[str, float] = field(default_factory=dict)
    weight_source: Source | None = None
    clearance: AbstractClearance = field(default_factory=ConstantClearance)
    target: str = ""
    kd_ug_per_ml: float | None = None
    kd_source: Source | None = None
    molecular_weight_kDa: float | None = None
    schedules: Mapping[str, Schedule] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    Q3: float | None = None
    V3: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ModelSpecError(
                f"DrugPK.name must be an identifier such as 'pembrolizumab'; got {self.name!r}"
            )
        for k in _PK_KEYS:
            v = getattr(self, k)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ParameterValueError(f"DrugPK {self.name}: {k} must be a finite number > 0; got {v!r}")
            if not isinstance(self.sources.get(k), Source):
                raise ModelSpecError(f"DrugPK {self.name}: sources[{k!r}] must be a Source (paper + table)")
        if (self.Q3 is None) != (self.V3 is None):
            raise ModelSpecError(
                f"DrugPK {self.name}: a second peripheral compartment needs both Q3 and V3 "
                f"(got Q3={self.Q3!r}, V3={self.V3!r}); give both, or neither for two compartments"
            )
        if self.Q3 is not None:
            for k in _PERIPHERAL2_KEYS:
                v = getattr(self, k)
                if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                    raise ParameterValueError(f"DrugPK {self.name}: {k} must be a finite number > 0; got {v!r}")
                if not isinstance(self.sources.get(k), Source):
                    raise ModelSpecError(f"DrugPK {self.name}: sources[{k!r}] must be a Source (paper + table)")
        for attr in ("citation", "label"):
            if not isinstance(getattr(self, attr), Source):
                raise ModelSpecError(f"DrugPK {self.name}: {attr} must be a Source")
        if not (math.isfinite(self.reference_weight_kg) and self.reference_weight_kg > 0):
            raise ParameterValueError(f"DrugPK {self.name}: reference_weight_kg must be > 0")
        bad = set(self.weight_exponents) - {*self.pk_keys, "CL_t"}
        if bad:
            raise ModelSpecError(f"DrugPK {self.name}: weight_exponents has unknown key(s) {sorted(bad)}")
        if self.weight_exponents and not isinstance(self.weight_source, Source):
            raise ModelSpecError(f"DrugPK {self.name}: weight_exponents need weight_source=Source(...)")
        if (self.kd_ug_per_ml is None) != (self.kd_source is None):
            raise ModelSpecError(f"DrugPK {self.name}: give kd_ug_per_ml and kd_source together")
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "weight_exponents", MappingProxyType(dict(self.weight_exponents)))
        object.__setattr__(self, "schedules", MappingProxyType(dict(self.schedules)))
        for key, s in self.schedules.items():
            if not isinstance(s, Schedule):
                raise ModelSpecError(f"DrugPK {self.name}: schedules[{key!r}] must be a Schedule")

    # values ----------------------------------------------------------------------------
    @property
    def compartments(self) -> int:
        """2, or 3 with a second peripheral compartment (``Q3``, ``V3``)."""
        return 2 if self.Q3 is None else 3

    @property
    def pk_keys(self) -> tuple[str, ...]:
        """The structural parameter names: ``CL, V1, Q, V2`` (and ``Q3, V3`` for three compartments)."""
        return _PK_KEYS if self.Q3 is None else (*_PK_KEYS, *_PERIPHERAL2_KEYS)

    def typical(self, weight_kg: float | None = None) -> dict[str, float]:
        """``CL``, ``V1``, ``Q``, ``V2`` (and ``Q3``, ``V3``) for a patient of ``weight_kg`` (default: the reference)."""
        vals = {k: float(getattr(self, k)) for k in self.pk_keys}
        if weight_kg is None:
            return vals
        w = float(weight_kg)
        if not (math.isfinite(w) and w > 0):
            raise ParameterValueError(f"weight_kg must be a finite number > 0; got {weight_kg!r}")
        for k, e in self.weight_exponents.items():
            if k in vals:
                vals[k] *= (w / self.reference_weight_kg) ** e
        return vals

    def half_lives(self, weight_kg: float | None = None) -> dict[str, float]:
        """Terminal half-life (days) with the clearance at the first dose and in the late limit."""
        v = self.typical(weight_kg)
        cl0 = self.clearance.value(v["CL"], 0.0)
        cl_late = self.clearance.value(v["CL"], math.inf)
        q3, v3 = v.get("Q3"), v.get("V3")
        return {
            "first_dose": linear_half_lives(cl0, v["V1"], v["Q"], v["V2"], q3, v3)[-1],
            "late": linear_half_lives(cl_late, v["V1"], v["Q"], v["V2"], q3, v3)[-1],
        }

    @property
    def vss(self) -> float:
        """Volume of distribution at steady state ``V1 + V2`` (``+ V3``) (L) for the reference patient."""
        return float(self.V1 + self.V2 + (self.V3 or 0.0))

    # models ----------------------------------------------------------------------------
    def pk_parts(self, prefix: str | None = None, *, weight_kg: float | None = None) -> _Parts:
        """Components of the PK module (used by :func:`pk_model`)."""
        v = self.typical(weight_kg)
        return _pk_parts(
            prefix or self.name,
            v["CL"],
            v["V1"],
            v["Q"],
            v["V2"],
            source=self.citation,
            sources=self._scaled_sources(weight_kg),
            clearance=self.clearance,
            ka=None,
            bioavailability=None,
            kd=self.kd_ug_per_ml,
            kd_source=self.kd_source,
            drug_name=self.name,
            Q3=v.get("Q3"),
            V3=v.get("V3"),
        )

    def add_to(self, model: Model, *, prefix: str | None = None, weight_kg: float | None = None) -> Model:
        """``model`` with this drug's typical two- (or three-) compartment PK added (see ``add_two_compartment_pk``)."""
        v = self.typical(weight_kg)
        return add_two_compartment_pk(
            model,
            prefix or self.name,
            v["CL"],
            v["V1"],
            v["Q"],
            v["V2"],
            source=self.citation,
            sources=self._scaled_sources(weight_kg),
            clearance=self.clearance,
            kd=self.kd_ug_per_ml,
            kd_source=self.kd_source,
            drug_name=self.name,
            Q3=v.get("Q3"),
            V3=v.get("V3"),
        )

    def _scaled_sources(self, weight_kg: float | None) -> dict[str, Source]:
        if weight_kg is None:
            return dict(self.sources)
        out = {}
        for k, s in self.sources.items():
            e = self.weight_exponents.get(k)
            if e is None:
                out[k] = s
            else:
                note = (s.note + "; " if s.note else "") + (
                    f"scaled to {float(weight_kg):g} kg by (WT/{self.reference_weight_kg:g})^{e:g} ({self.weight_source})"
                )
                out[k] = Source(s.citation, s.location, s.doi, note)
        return out

    def schedule(self, key: str) -> Schedule:
        """A label schedule by key (the error lists the keys)."""
        if key not in self.schedules:
            raise UnknownNameError(f"schedule of {self.name}", key, sorted(self.schedules))
        return self.schedules[key]

    def describe(self) -> str:
        """The entry in plain English."""
        hl = self.half_lives()
        lines = [
            f"{self.name} ({self.target}): CL {self.CL:g} L/day, V1 {self.V1:g} L, Q {self.Q:g} L/day, V2 {self.V2:g} L"
            + (f", Q3 {self.Q3:g} L/day, V3 {self.V3:g} L" if self.Q3 is not None else ""),
            f"  typical patient: {self.reference_patient}",
            f"  clearance: {self.clearance.describe()}",
            f"  terminal half-life {hl['first_dose']:.1f} d at the first dose, {hl['late']:.1f} d late",
            f"  source: {self.citation}",
        ]
        for key, s in self.schedules.items():
            lines.append(f"  label schedule {key}: {s.describe()}")
        lines.append(f"  label: {self.label}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# sources
_AHAMADI = Source(
    citation="Ahamadi M et al. (2017), CPT Pharmacometrics Syst Pharmacol 6:49-57",
    location="Table 3 (final model parameter estimates)",
    doi="10.1002/psp4.12139",
)
_BAJAJ = Source(
    citation="Bajaj G et al. (2017), CPT Pharmacometrics Syst Pharmacol 6:58-66",
    location="Table 1 (final model parameter estimates)",
    doi="10.1002/psp4.12143",
)
_BRUNO = Source(
    citation="Bruno R et al. (2005), Cancer Chemother Pharmacol 56:361-369",
    location="Table 3 (population estimates) and abstract",
    doi="10.1007/s00280-005-1026-z",
)
_ROZMAN = Source(
    citation="Rozman S et al. (2017), Br J Clin Pharmacol 83:1782-1790",
    location="Table 2 (final model) and abstract",
    doi="10.1111/bcp.13271",
)
_KEYTRUDA = Source(
    citation="KEYTRUDA (pembrolizumab) US Prescribing Information, Merck Sharp & Dohme",
    location="section 2 (200 mg Q3W or 400 mg Q6W, 30-min IV infusion, up to 24 months); section 11 (MW ~149 kDa); "
    "section 12.3 (CL 252 -> 195 mL/day, Vss 6.0 L, t1/2 22 d, steady state by 16 weeks, accumulation 2.1-fold)",
)
_OPDIVO = Source(
    citation="OPDIVO (nivolumab) US Prescribing Information, Bristol-Myers Squibb",
    location="section 2 (240 mg Q2W or 480 mg Q4W, 30-min IV infusion, until progression); section 11 (MW 146 kDa); "
    "section 12.3 (t1/2 25 d, Vss 6.6 L, CLss 7.9 mL/h, steady state by 12 weeks, accumulation 3.7-fold at 3 mg/kg Q2W)",
    note="section 12.3 values cross-checked against the Swiss Fachinformation (OPDIVO, Pharmakokinetik)",
)
_HERCEPTIN = Source(
    citation="HERCEPTIN (trastuzumab) US Prescribing Information, Genentech",
    location="section 2.3 (8 mg/kg over 90 min, then 6 mg/kg over 30-90 min every 3 weeks; adjuvant: 52 weeks); "
    "section 11 (MW ~148 kDa)",
)
_RITUXAN = Source(
    citation="RITUXAN (rituximab) US Prescribing Information, Genentech",
    location="section 2 (NHL: 375 mg/m2 IV weekly for 4 doses; first infusion 50 mg/h rising by 50 mg/h every "
    "30 min to 400 mg/h); section 11 (MW ~145 kDa, CD20 binding affinity ~8.0 nM); section 12.3 (median terminal "
    "t1/2 22 d, range 6.1-52 d, popPK of 298 NHL patients)",
)


def _src(base: Source, location: str, note: str = "") -> Source:
    return Source(base.citation, location, base.doi, note)


# ---------------------------------------------------------------------------------------
# entries
PEMBROLIZUMAB = DrugPK(
    name="pembrolizumab",
    target="PD-1",
    CL=0.22,
    V1=3.48,
    Q=0.795,
    V2=4.06,
    sources={
        "CL": _src(_AHAMADI, "Table 3: CL = 0.22 L/day"),
        "V1": _src(_AHAMADI, "Table 3: Vc = 3.48 L"),
        "Q": _src(_AHAMADI, "Table 3: Q = 0.795 L/day"),
        "V2": _src(_AHAMADI, "Table 3: Vp = 4.06 L"),
    },
    citation=_AHAMADI,
    reference_weight_kg=76.8,
    reference_patient=(
        "76.8 kg, albumin 39.6 g/L, tumour burden 89.6 mm, eGFR 88.47 mL/min/1.73m2, male, melanoma, "
        "ECOG 0, ipilimumab-naive (Ahamadi 2017 Table 3 footnotes)"
    ),
    weight_exponents={"CL": 0.595, "Q": 0.595, "V1": 0.489, "V2": 0.489},
    weight_source=_src(_AHAMADI, "Table 3: body-weight exponent 0.595 on CL and Q, 0.489 on Vc and Vp"),
    clearance=ConstantClearance(),
    kd_ug_per_ml=kd_ug_per_ml(0.027, 149.0),
    kd_source=Source(
        citation="Sci Rep (2019), article s41598-019-54231-w",
        location="Introduction: KD of pembrolizumab for PD-1 = 27 pM",
        doi="10.1038/s41598-019-54231-w",
        note="secondary source quoting the structural studies it cites; 27 pM x 149 kDa (KEYTRUDA USPI section 11) "
        "= 0.00402 ug/mL",
    ),
    molecular_weight_kDa=149.0,
    schedules={
        "200mg_q3w": Schedule(
            "pembrolizumab", Dose(200, "mg"), every_days=21, cycles=35, route=IVInfusion.minutes(30)
        ),
        "400mg_q6w": Schedule(
            "pembrolizumab", Dose(400, "mg"), every_days=42, cycles=18, route=IVInfusion.minutes(30)
        ),
    },
    label=_KEYTRUDA,
    notes=(
        (
            "Ahamadi 2017 is a stationary-clearance model; the label's clearance fall over time "
            "(252 -> 195 mL/day) comes from a later time-varying analysis and is not part of this entry."
        ),
        "cycles: the label's 'up to 24 months' is 35 doses Q3W or 18 doses Q6W.",
    ),
)

_NIVO_CL_NOTE = (
    "Table 1 CL_REF = 9.4 mL/h for the reference white female (80 kg, eGFR 90, ECOG 0); "
    "x 24/1000 -> 0.2256 L/day; x exp(0.165) (CL_SEX, male) -> 0.266 L/day"
)
NIVOLUMAB = DrugPK(
    name="nivolumab",
    target="PD-1",
    CL=9.4 * 24.0 / 1000.0 * math.exp(0.165),
    V1=3.63 * math.exp(0.152),
    Q=32.1 * 24.0 / 1000.0,
    V2=2.78,
    sources={
        "CL": _src(_BAJAJ, "Table 1: CL_REF = 9.4 mL/h, CL_SEX = 0.165", _NIVO_CL_NOTE),
        "V1": _src(
            _BAJAJ, "Table 1: VC_REF = 3.63 L, VC_SEX = 0.152", "x exp(0.152) for a male patient -> 4.23 L"
        ),
        "Q": _src(_BAJAJ, "Table 1: Q = 32.1 mL/h", "x 24/1000 -> 0.770 L/day"),
        "V2": _src(_BAJAJ, "Table 1: VP = 2.78 L"),
    },
    citation=_BAJAJ,
    reference_weight_kg=80.0,
    reference_patient="80 kg male, eGFR 90 mL/min/1.73m2, ECOG 0, non-Asian (Bajaj 2017 Table 1 reference with the male effect)",
    weight_exponents={"CL": 0.566, "V1": 0.597},
    weight_source=_src(_BAJAJ, "Table 1: CL_BW = 0.566, VC_BW = 0.597 (reference 80 kg)"),
    clearance=SigmoidTimeClearance(
        emax=-0.295,
        t50_days=1410.0 / 24.0,
        hill=3.15,
        source=_src(
            _BAJAJ,
            "Table 1: CL_EMAX = -0.295, CL_T50 = 1.41e3 h, CL_HILL = 3.15; Eq. 8",
            "T50 1410 h / 24 = 58.75 d",
        ),
    ),
    kd_ug_per_ml=kd_ug_per_ml(3.06, 146.0),
    kd_source=Source(
        citation="Wang C et al. (2014), Cancer Immunol Res 2:846-856",
        location="Results, surface plasmon resonance: KD of nivolumab for human PD-1 = 3.06 nM",
        doi="10.1158/2326-6066.CIR-14-0040",
        note="3.06 nM x 146 kDa (OPDIVO USPI section 11) = 0.447 ug/mL",
    ),
    molecular_weight_kDa=146.0,
    schedules={
        "240mg_q2w": Schedule(
            "nivolumab", Dose(240, "mg"), every_days=14, cycles=None, route=IVInfusion.minutes(30)
        ),
        "480mg_q4w": Schedule(
            "nivolumab", Dose(480, "mg"), every_days=28, cycles=None, route=IVInfusion.minutes(30)
        ),
    },
    label=_OPDIVO,
    notes=(
        "cycles=None: the label doses until progression or unacceptable toxicity; pass until=<day> to events().",
    ),
)

TRASTUZUMAB = DrugPK(
    name="trastuzumab",
    target="HER2",
    CL=0.225,
    V1=2.95,
    Q=0.164 * 2.95,
    V2=0.164 * 2.95 / 0.101,
    sources={
        "CL": _src(_BRUNO, "abstract and Table 3: CL = 0.225 L/day"),
        "V1": _src(_BRUNO, "abstract and Table 3: V1 = 2.95 L"),
        "Q": _src(_BRUNO, "Table 3: k12 = 0.164 /day", "Q = k12 x V1 = 0.484 L/day"),
        "V2": _src(_BRUNO, "Table 3: k12 = 0.164 /day, k21 = 0.101 /day", "V2 = k12 x V1 / k21 = 4.79 L"),
    },
    citation=_BRUNO,
    reference_weight_kg=70.0,
    reference_patient="70 kg, HER2 extracellular domain 8.23 ng/mL, fewer than four metastatic sites (Bruno 2005)",
    weight_exponents={"V1": 0.556},
    weight_source=_src(_BRUNO, "Table 3: body-weight exponent 0.556 on V1 (reference 70 kg)"),
    clearance=ConstantClearance(),
    kd_ug_per_ml=kd_ug_per_ml(0.1, 148.0),
    kd_source=Source(
        citation="Carter P et al. (1992), Proc Natl Acad Sci USA 89:4285-4289",
        location="humanized 4D5 (humAb4D5-8) binding to the p185HER2 extracellular domain: Kd = 0.1 nM",
        doi="10.1073/pnas.89.10.4285",
        note="0.1 nM x 148 kDa (HERCEPTIN USPI section 11) = 0.0148 ug/mL",
    ),
    molecular_weight_kDa=148.0,
    schedules={
        "8_6mgkg_q3w": Schedule(
            "trastuzumab",
            Dose(6, "mg/kg"),
            every_days=21,
            cycles=18,
            route=IVInfusion.minutes(30),
            loading=Dose(8, "mg/kg"),
            loading_route=IVInfusion.minutes(90),
        ),
        "4_2mgkg_qw": Schedule(
            "trastuzumab",
            Dose(2, "mg/kg"),
            every_days=7,
            cycles=52,
            route=IVInfusion.minutes(30),
            loading=Dose(4, "mg/kg"),
            loading_route=IVInfusion.minutes(90),
        ),
    },
    label=_HERCEPTIN,
    notes=(
        (
            "cycles: 18 doses Q3W (or 52 weekly) cover the label's 52 weeks of adjuvant treatment; "
            "metastatic disease is treated until progression."
        ),
        "Bruno 2005 parameterises distribution with k12/k21; Q and V2 are derived (notes on the sources).",
    ),
)

RITUXIMAB = DrugPK(
    name="rituximab",
    target="CD20",
    CL=0.252,
    V1=4.62,
    Q=1.02,
    V2=8.61,
    sources={
        "CL": _src(_ROZMAN, "abstract and Table 2: CL1 (non-specific) = 0.252 L/day"),
        "V1": _src(_ROZMAN, "Table 2: V1 = 4.62 L (male)"),
        "Q": _src(_ROZMAN, "Table 2: Q = 1.02 L/day"),
        "V2": _src(_ROZMAN, "Table 2: V2 = 8.61 L"),
    },
    citation=_ROZMAN,
    reference_weight_kg=70.0,
    reference_patient="male DLBCL patient on R-CHOP, 60 years, 70 kg, no disease progression (Rozman 2017 Table 2)",
    weight_exponents={"CL": 1.23},
    weight_source=_src(
        _ROZMAN,
        "Table 2: body-weight exponent 1.23 on CL1",
        "reference weight 70 kg as encoded by nlmixr2lib Rozman_2017_rituximab; not read in the paper's Eq. 3",
    ),
    clearance=DecayingClearance(
        cl_t=0.278,
        kdes=0.143,
        source=_src(
            _ROZMAN, "abstract and Table 2: CL2,0 = 0.278 L/day, kdes = 0.143 /day (no progression); Eq. 1"
        ),
    ),
    kd_ug_per_ml=kd_ug_per_ml(8.0, 145.0),
    kd_source=_src(
        _RITUXAN,
        "description: binding affinity for CD20 approximately 8.0 nM; MW approximately 145 kD",
        "8.0 nM x 145 kDa = 1.16 ug/mL",
    ),
    molecular_weight_kDa=145.0,
    schedules={
        "375mgm2_weekly_x4": Schedule(
            "rituximab",
            Dose(375, "mg/m2"),
            every_days=7,
            cycles=4,
            route=IVInfusion.hours(4.0),
        ),
        "375mgm2_q3w_x8": Schedule(
            "rituximab",
            Dose(375, "mg/m2"),
            every_days=21,
            cycles=8,
            route=IVInfusion.hours(4.0),
        ),
    },
    label=_RITUXAN,
    notes=(
        (
            "The label escalates the infusion rate (first infusion 50 -> 400 mg/h); a 4-h constant-rate "
            "infusion approximates it (about 3.5 h for a 700 mg first dose at the label escalation)."
        ),
        "375mgm2_q3w_x8 is the R-CHOP regimen of the Rozman 2017 cohort (DLBCL label: day 1 of each cycle, up to 8).",
        "kdes is 82.2 % lower in patients who progressed (Rozman 2017); the entry is the non-progressor typical value.",
    ),
)


# ---------------------------------------------------------------------------------------
# atezolizumab and ipilimumab (added with the full drug catalogue, therapy.catalogue)
_CENTANNI = Source(
    citation="Centanni M et al. (2019), Clin Pharmacokinet 58:835-857",
    location="Table 2 (popPK models of immune checkpoint inhibitors)",
    doi="10.1007/s40262-019-00748-2",
)
_STROH = Source(
    citation="Stroh M et al. (2017), Clin Pharmacol Ther 102:305-312",
    location="final popPK model (two compartments, linear elimination), as tabulated in Centanni 2019 Table 2",
    doi="10.1002/cpt.587",
    note="the primary paper's table was not read; values taken from the Centanni 2019 review table and "
    "cross-checked against TECENTRIQ USPI 12.3 (CL 0.200 L/day, V1 3.28 L, Vss 6.91 L, t1/2 27 d)",
)
_TECENTRIQ = Source(
    citation="TECENTRIQ (atezolizumab) US Prescribing Information, Genentech",
    location="section 2 (840 mg Q2W, 1200 mg Q3W or 1680 mg Q4W; first infusion over 60 min, then 30 min; "
    "until progression); section 12.3 (CL 0.200 L/day, V1 3.28 L, Vss 6.91 L, terminal t1/2 27 d, steady "
    "state after 6-9 weeks)",
)
_FENG = Source(
    citation="Feng Y et al. (2014), Br J Clin Pharmacol 78:106-117",
    location="Table 2 (final popPK model, reference patient 80 kg, LDH 206 IU/L)",
    doi="10.1111/bcp.12323",
    note="values cross-checked against the nlmixr2lib encoding Feng_2014_ipilimumab.R (which cites Table 2) "
    "and against Centanni 2019 Table 2 (CL 0.36 L/day, Vc 4.15 L, Vp 3.11 L, Q 0.9864 L/day)",
)
_YERVOY = Source(
    citation="YERVOY (ipilimumab) US Prescribing Information, Bristol-Myers Squibb",
    location="section 2.1 (melanoma: 3 mg/kg IV over 90 minutes every 3 weeks for a total of 4 doses)",
    note="newer label versions allow a 30-minute infusion; the 90-minute infusion is that of Feng 2014's studies",
)

ATEZOLIZUMAB = DrugPK(
    name="atezolizumab",
    target="PD-L1",
    CL=0.20,
    V1=3.28,
    Q=0.546,
    V2=3.63,
    sources={
        "CL": _src(_STROH, "Centanni 2019 Table 2: CL = 0.20 L/day (TECENTRIQ USPI 12.3: 0.200 L/day)", _STROH.note),
        "V1": _src(_STROH, "Centanni 2019 Table 2: Vc = 3.28 L (TECENTRIQ USPI 12.3: 3.28 L)", _STROH.note),
        "Q": _src(_STROH, "Centanni 2019 Table 2: Q = 0.546 L/day", _STROH.note),
        "V2": _src(
            _STROH,
            "Centanni 2019 Table 2: Vp = 3.63 L",
            "equals the label's Vss 6.91 L minus V1 3.28 L",
        ),
    },
    citation=_STROH,
    reference_weight_kg=77.0,
    reference_patient="77 kg, albumin 40 g/L, tumour burden 63 mm, no anti-drug antibodies, male (Centanni 2019 Table 2)",
    weight_exponents={"CL": 0.808, "V1": 0.559},
    weight_source=_src(_CENTANNI, "Table 2: BW exponent 0.808 on CL and 0.559 on Vc (reference 77 kg)"),
    clearance=ConstantClearance(),
    kd_ug_per_ml=kd_ug_per_ml(0.4, 145.0),
    kd_source=Source(
        citation="Genentech preclinical characterisation of MPDL3280A (atezolizumab)",
        location="KD for human PD-L1 of about 0.4 nM",
        note="UNVERIFIED: value not confirmed by a search of the primary source; MW 145 kDa from the molecular "
        "formula C6446H9902N1706O1998S42 (144.6 kDa). 0.4 nM x 145 kDa = 0.058 ug/mL. Occupancy at label "
        "troughs (> 100 ug/mL) is > 0.999 for any KD below 10 nM, so the value barely matters.",
    ),
    molecular_weight_kDa=145.0,
    schedules={
        "1200mg_q3w": Schedule(
            "atezolizumab",
            Dose(1200, "mg"),
            every_days=21,
            cycles=None,
            route=IVInfusion.minutes(30),
            loading=Dose(1200, "mg"),
            loading_route=IVInfusion.minutes(60),
        ),
        "840mg_q2w": Schedule(
            "atezolizumab",
            Dose(840, "mg"),
            every_days=14,
            cycles=None,
            route=IVInfusion.minutes(30),
            loading=Dose(840, "mg"),
            loading_route=IVInfusion.minutes(60),
        ),
        "1680mg_q4w": Schedule(
            "atezolizumab",
            Dose(1680, "mg"),
            every_days=28,
            cycles=None,
            route=IVInfusion.minutes(30),
            loading=Dose(1680, "mg"),
            loading_route=IVInfusion.minutes(60),
        ),
    },
    label=_TECENTRIQ,
    notes=(
        "The 'loading' dose equals the maintenance dose: it only carries the 60-minute first infusion.",
        "Clearance falls over time (about 17-22 % at most, label 12.3; Chan 2021); not part of this stationary model.",
        "cycles=None: the label doses until progression or unacceptable toxicity; pass until=<day> to events().",
    ),
)

IPILIMUMAB = DrugPK(
    name="ipilimumab",
    target="CTLA-4",
    CL=0.0150 * 24.0,
    V1=4.15,
    Q=0.0411 * 24.0,
    V2=3.11,
    sources={
        "CL": _src(_FENG, "Table 2: CL_REF = 0.0150 L/h", "x 24 -> 0.360 L/day; " + _FENG.note),
        "V1": _src(_FENG, "Table 2: Vc_REF = 4.15 L", _FENG.note),
        "Q": _src(_FENG, "Table 2: Q_REF = 0.0411 L/h", "x 24 -> 0.986 L/day; " + _FENG.note),
        "V2": _src(_FENG, "Table 2: Vp_REF = 3.11 L", _FENG.note),
    },
    citation=_FENG,
    reference_weight_kg=80.0,
    reference_patient="80 kg, baseline LDH 206 IU/L, advanced melanoma, ipilimumab monotherapy (Feng 2014 Table 2)",
    weight_exponents={"CL": 0.642, "V1": 0.708},
    weight_source=_src(_FENG, "Table 2: CL_BW = 0.642, Vc_BW = 0.708 (reference 80 kg)"),
    clearance=ConstantClearance(),
    molecular_weight_kDa=148.0,
    schedules={
        "3mgkg_q3w_x4": Schedule(
            "ipilimumab", Dose(3, "mg/kg"), every_days=21, cycles=4, route=IVInfusion.minutes(90)
        ),
    },
    label=_YERVOY,
    notes=(
        (
            "No receptor occupancy: a KD for CTLA-4 could not be verified, so mechanisms receive the serum "
            "concentration ipilimumab_conc."
        ),
        "The LDH effect on CL (a power of log(LDH)/log(206)) is 1 at the reference LDH and not included.",
    ),
)

# ---------------------------------------------------------------------------------------
# durvalumab and cemiplimab (issue 13: PK of the checkpoint inhibitors of the eligibility table).
# Their names, brands, classes and label regimens live in data/label_drugs.toml (pk.status = "encoded");
# the catalogue joins that row with the entry here.
_ABEGESAH = Source(
    citation="Abegesah A, Oh D-Y, Lim K, et al. (2025). Population pharmacokinetics and exposure-response "
    "analysis of durvalumab in combination with gemcitabine and cisplatin in patients with advanced biliary "
    "tract cancer. Cancer Chemother Pharmacol 95:23",
    location="Abstract (Results) and Table 4 (final popPK parameters); covariate equations on page 3",
    doi="10.1007/s00280-024-04743-8",
)
_ABEGESAH_CHECK = (
    "CL, V1, V2 and Q read in the paper's abstract (Results: 'CL, 0.298 L/day; V1, 3.42 L; V2, 1.99 L; "
    "Q, 0.452 L/day'); the same values, with their Table 4 rows, in the nlmixr2lib encoding "
    "Abegesah_2025_durvalumab.R"
)
_ABEGESAH_TABLE = (
    "read in the nlmixr2lib encoding Abegesah_2025_durvalumab.R, which cites Table 4 and the page-3 equations; "
    "the paper's Table 4 itself was not read"
)
_IMFINZI = Source(
    citation="IMFINZI (durvalumab) US Prescribing Information, AstraZeneca",
    location="section 2 (1500 mg every 4 weeks, or every 3 weeks with chemotherapy, by 60-minute IV infusion; "
    "10 mg/kg every 2 weeks below 30 kg)",
)
_NGUYEN = Source(
    citation="Nguyen J-H, et al. (2022). Population pharmacokinetics modeling and exposure-response analyses of "
    "cemiplimab in patients with recurrent or metastatic cervical cancer. CPT Pharmacometrics Syst Pharmacol "
    "11:1458-1471",
    location="Table 1 (final popPK model, fixed effects) and Table 2 (post hoc parameters); the page within "
    "pp. 1458-1471 is not given on the PMC table page that was read",
    doi="10.1002/psp4.12855",
    note="Table 1 read on PubMed Central (PMC9662200, table psp412855-tbl-0001); the footnote giving the model "
    "equations and covariate reference values was cut off in the text read",
)
_LIBTAYO = Source(
    citation="LIBTAYO (cemiplimab-rwlc) US Prescribing Information, Regeneron",
    location="section 2 (350 mg IV over 30 minutes every 3 weeks); section 11 (approximate molecular weight 146 kDa)",
)

DURVALUMAB = DrugPK(
    name="durvalumab",
    target="PD-L1",
    CL=0.298,
    V1=3.42,
    Q=0.452,
    V2=1.99,
    sources={
        "CL": _src(_ABEGESAH, "Abstract and Table 4: CL = 0.298 L/day (at the first dose)", _ABEGESAH_CHECK),
        "V1": _src(_ABEGESAH, "Abstract and Table 4: V1 = 3.42 L", _ABEGESAH_CHECK),
        "Q": _src(_ABEGESAH, "Abstract and Table 4: Q = 0.452 L/day", _ABEGESAH_CHECK),
        "V2": _src(_ABEGESAH, "Abstract and Table 4: V2 = 1.99 L", _ABEGESAH_CHECK),
    },
    citation=_ABEGESAH,
    reference_weight_kg=69.4,
    reference_patient=(
        "69.4 kg male, albumin 39 g/L, creatinine clearance 85.66 mL/min, LDH 247 U/L, ECOG 0, NSCLC, "
        "durvalumab monotherapy (the reference values of Abegesah 2025's covariate equations, page 3)"
    ),
    weight_exponents={"CL": 0.338, "V1": 0.515},
    weight_source=_src(
        _ABEGESAH,
        "Table 4: body weight on CL 0.338, on V1 0.515; page 3: (WT/69.4)",
        _ABEGESAH_TABLE,
    ),
    clearance=SigmoidTimeClearance(
        emax=-0.498,
        t50_days=61.3,
        hill=1.0,
        source=_src(
            _ABEGESAH,
            "Table 4: Tmax change CL = -0.498, TC50 = 61.3 days, LAM = 1.00 (fixed); CL_T = CL*exp(Tmax*t^LAM/"
            "(TC50^LAM + t^LAM)), page 3",
            _ABEGESAH_TABLE + "; the abstract's 'clearance could decrease up to 39%' is 1 - exp(-0.498) = 0.392",
        ),
    ),
    schedules={
        "1500mg_q4w": Schedule(
            "durvalumab", Dose(1500, "mg"), every_days=28, cycles=None, route=IVInfusion.minutes(60)
        ),
    },
    label=_IMFINZI,
    notes=(
        "Covariate effects other than body weight (albumin, creatinine clearance, LDH, sex, ECOG, combination "
        "with chemotherapy or tremelimumab, tumour type) are at their reference values and not included.",
        "No receptor occupancy: no KD for PD-L1 was verified, so mechanisms receive the serum concentration.",
        "cycles=None: the label doses until progression (12 months after chemoradiation); pass until=<day>.",
    ),
)

CEMIPLIMAB = DrugPK(
    name="cemiplimab",
    target="PD-1",
    CL=0.254,
    V1=3.35,
    Q=0.652,
    V2=2.52,
    sources={
        "CL": _src(_NGUYEN, "Table 1: TVCL0 = 0.254 L/day (clearance at the first dose)", _NGUYEN.note),
        "V1": _src(_NGUYEN, "Table 1: TVV1 = 3.35 L", _NGUYEN.note),
        "Q": _src(_NGUYEN, "Table 1: TVQ = 0.652 L/day", _NGUYEN.note),
        "V2": _src(_NGUYEN, "Table 1: TVV2 = 2.52 L", _NGUYEN.note),
    },
    citation=_NGUYEN,
    reference_weight_kg=76.2,
    reference_patient=(
        "the typical patient of Nguyen 2022 Table 1 (covariates at the model's reference values, a tumour other "
        "than CSCC or BCC); no covariate is applied, so body weight does not scale the values"
    ),
    clearance=SigmoidTimeClearance(
        emax=-0.174,
        t50_days=73.7,
        hill=2.50,
        source=_src(
            _NGUYEN,
            "Table 1: TVEmax = -0.174, TVT50 = 73.7 days, HILL = 2.50 (fixed)",
            "the exponential form CL0*exp(Emax*t^HILL/(T50^HILL + t^HILL)) is that of the predecessor model "
            "(Yang F et al. 2021, J Pharmacokinet Pharmacodyn 48:479-494, as encoded in nlmixr2lib "
            "Yang_2021_cemiplimab.R); the Table 1 footnote stating Nguyen 2022's form was not read. The "
            "alternative form CL0*(1 + Emax*...) would give a late clearance 1.7 % lower",
        ),
    ),
    molecular_weight_kDa=146.0,
    schedules={
        "350mg_q3w": Schedule(
            "cemiplimab", Dose(350, "mg"), every_days=21, cycles=None, route=IVInfusion.minutes(30)
        ),
    },
    label=_LIBTAYO,
    notes=(
        "Body weight (Table 1: CLWGTBL 0.539, VssWGTBL 0.499) is not applied: the reference weight of the "
        "power model was not read; typical values only.",
        "No receptor occupancy: no KD for PD-1 was verified, so mechanisms receive the serum concentration.",
        "cycles=None: the label doses until progression (up to 24 months in some indications); pass until=<day>.",
    ),
)

# ---------------------------------------------------------------------------------------
# dostarlimab, tremelimumab and tislelizumab (issue 13, fourth pass 2026-12-07). Their typical values are
# read in the nlmixr2lib transcriptions of the papers' tables (which cite the table row of every number)
# and cross-checked against what the abstracts and the labels print; docs/pk.md lists each check.
_NLMIXR2LIB = "nlmixr2lib inst/modeldb/specificDrugs/{}.R (transcribes the paper's {}; read 2026-12-07)"

_MELHEM = Source(
    citation="Melhem M, Hanze E, Lu S, Alskar O, Visser S, Gandhi Y (2022). Population pharmacokinetics and "
    "exposure-response of anti-programmed cell death protein-1 monoclonal antibody dostarlimab in advanced "
    "solid tumours. Br J Clin Pharmacol 88:4142-4154",
    location="Table 3 (final popPK parameters) and the Results equation of the time-dependent clearance",
    doi="10.1111/bcp.15339",
    note="authors as in the journal record (bohrium/DOI metadata); the nlmixr2lib file lists different "
    "co-authors, a metadata error of the transcription",
)
_MELHEM_CHECK = (
    _NLMIXR2LIB.format("Melhem_2022_dostarlimab", "Table 3")
    + "; checked against the abstract: the maximal fall of clearance 1 - exp(-0.161) = 14.9 % is the abstract's "
    "'maximum of 14.9 %'; V1 + V2 = 5.08 L against the abstract's Vss 5.3 L (geometric mean); the late "
    "terminal half-life 24.3 d against its 23.5 d. The abstract calls 0.179 L/day the geometric-mean clearance "
    "'at steady state', the transcription reads it as Table 3's clearance at the first dose: with 0.179 as the "
    "steady-state value the model's half-life would be 20.9 d, against 23.5 d, so the transcription's reading "
    "is kept (Table 3 itself was not read)"
)
_JEMPERLI = Source(
    citation="JEMPERLI (dostarlimab-gxly) US Prescribing Information, GSK",
    location="section 2 (500 mg every 3 weeks for doses 1-4, then 1000 mg every 6 weeks from 3 weeks after "
    "dose 4, 30-minute IV infusion)",
)
_HWANG = Source(
    citation="Hwang M, Chia YL, Zheng Y, et al. (2023). Population pharmacokinetic modelling of tremelimumab "
    "in patients with advanced solid tumours and the impact of disease status on time-varying clearance. "
    "Br J Clin Pharmacol 89:1601-1616",
    location="Table 3 (final popPK parameters) and the final-model equations (p. 1609)",
    doi="10.1111/bcp.15622",
)
_HWANG_CHECK = (
    _NLMIXR2LIB.format("Hwang_2022_tremelimumab", "Table 3 and p. 1609 equations")
    + "; checked against the abstract as summarised by MIMS (20 Apr 2023): baseline CL 0.276 L/day; clearance "
    "over a year changes by about 16 % on monotherapy (exp(0.151) - 1 = 16.3 %) and about 17 % with "
    "durvalumab (1 - exp(-0.187) = 17.1 %), in 'opposite' directions; the MIMS sentence also says "
    "'increased ... as combination therapy', which contradicts its own 'opposite trends' and the "
    "transcription's negative Tmax, so the decrease is taken"
)
_HWANG_STRUCT = (
    _NLMIXR2LIB.format("Hwang_2022_tremelimumab", "Table 3")
    + "; single source for this value: V1 + V2 = 6.04 L against the IMJUDO/EU label's Vd 6.33 L (a later pooled "
    "analysis, n = 1605), within 5 %"
)
_IMJUDO = Source(
    citation="IMJUDO (tremelimumab-actl) US Prescribing Information, AstraZeneca",
    location="section 2 (HCC: 300 mg once with durvalumab 1500 mg; NSCLC: 75 mg every 3 weeks with durvalumab "
    "and chemotherapy), 60-minute IV infusion",
)
_BUDHA = Source(
    citation="Budha N, Wu CY, Tang Z, Yu T, Liu L, Xu F, Gao Y, Li R, Zhang Q, Wan Y, Sahasranaman S (2023). "
    "Model-based population pharmacokinetic analysis of tislelizumab in patients with advanced tumors. "
    "CPT Pharmacometrics Syst Pharmacol 12:95-109",
    location="Table 3 (final three-compartment popPK parameters) and Equations 5-6 (covariates)",
    doi="10.1002/psp4.12880",
)
_BUDHA_CHECK = (
    _NLMIXR2LIB.format("Budha_2023_tislelizumab", "Table 3")
    + "; checked against the TEVIMBRA EU SmPC / Swiss Fachinformation 5.2 (same analysis, 2596 patients): "
    "CL 0.153 L/day equal; V1 + V2 + V3 = 3.05 + 1.27 + 2.10 = 6.42 L equals the label's Vss 6.42 L"
)
_TEVIMBRA = Source(
    citation="TEVIMBRA (tislelizumab-jsgr) US Prescribing Information, BeiGene",
    location="section 2 (200 mg every 3 weeks; first infusion over 60 minutes, later ones over 30 minutes)",
)

DOSTARLIMAB = DrugPK(
    name="dostarlimab",
    target="PD-1",
    CL=0.179,
    V1=2.98,
    Q=0.547,
    V2=2.10,
    sources={
        "CL": _src(_MELHEM, "Table 3: CL = 0.179 L/day (at the first dose)", _MELHEM_CHECK),
        "V1": _src(_MELHEM, "Table 3: Vc = 2.98 L", _MELHEM_CHECK),
        "Q": _src(_MELHEM, "Table 3: Q = 0.547 L/day", _MELHEM_CHECK),
        "V2": _src(_MELHEM, "Table 3: Vp = 2.10 L", _MELHEM_CHECK),
    },
    citation=_MELHEM,
    reference_weight_kg=70.0,
    reference_patient=(
        "female, 70 kg, 64 years, albumin 39 g/L, ALT 18 U/L (Melhem 2022 Methods, as transcribed in nlmixr2lib)"
    ),
    weight_exponents={"CL": 0.470, "V1": 0.419, "V2": 0.419},
    weight_source=_src(
        _MELHEM,
        "Table 3: body weight on CL 0.470, on Vc and Vp 0.419; (WT/70)",
        _NLMIXR2LIB.format("Melhem_2022_dostarlimab", "Table 3"),
    ),
    clearance=SigmoidTimeClearance(
        emax=-0.161,
        t50_days=108.0,
        hill=5.29,
        source=_src(
            _MELHEM,
            "Table 3: Imax = -0.161, T50 = 108 days, Hill = 5.29; CL(t) = CL*exp(Imax*t^Hill/(T50^Hill + t^Hill))",
            _MELHEM_CHECK,
        ),
    ),
    schedules={
        "500mg_q3w_x4_then_1000mg_q6w": Schedule(
            "dostarlimab",
            Dose(1000, "mg"),
            every_days=42,
            cycles=None,
            route=IVInfusion.minutes(30),
            loading=Dose(500, "mg"),
            loading_cycles=4,
            loading_every_days=21,
        ),
    },
    label=_JEMPERLI,
    notes=(
        "Covariates other than body weight (age, sex, albumin, ALT) are at the reference values; the reference is "
        "a woman (77 % of the analysis set); a man's CL is 16.5 % and V1 16.2 % higher (Table 3), not applied.",
        "No receptor occupancy: no KD for PD-1 was verified, so mechanisms receive the serum concentration.",
        "cycles=None: the label doses until progression; pass until=<day>.",
    ),
)

TREMELIMUMAB = DrugPK(
    name="tremelimumab",
    target="CTLA-4",
    CL=0.276,
    V1=3.64,
    Q=0.357,
    V2=2.40,
    sources={
        "CL": _src(_HWANG, "Table 3: CL = 0.276 L/day (at the first dose)", _HWANG_CHECK),
        "V1": _src(_HWANG, "Table 3: Vc = 3.64 L", _HWANG_STRUCT),
        "Q": _src(_HWANG, "Table 3: Q = 0.357 L/day", _HWANG_STRUCT),
        "V2": _src(_HWANG, "Table 3: Vp = 2.40 L", _HWANG_STRUCT),
    },
    citation=_HWANG,
    reference_weight_kg=71.0,
    reference_patient=(
        "71 kg, albumin 39 g/L, tremelimumab given with durvalumab (the combination time course; both label "
        "regimens give it with durvalumab)"
    ),
    weight_exponents={"CL": 0.638, "V1": 0.606},
    weight_source=_src(
        _HWANG,
        "Table 3: body weight on CL 0.638, on Vc 0.606; (WT/71), p. 1609",
        _NLMIXR2LIB.format("Hwang_2022_tremelimumab", "Table 3"),
    ),
    clearance=SigmoidTimeClearance(
        emax=-0.187,
        t50_days=95.1,
        hill=3.20,
        source=_src(
            _HWANG,
            "Table 3: Tmax (combination with durvalumab) = -0.187, TC50 = 95.1 days, lambda (combination) = 3.20; "
            "CL(t) = CL*exp(Tmax*t^lambda/(TC50^lambda + t^lambda))",
            _HWANG_CHECK + ". Monotherapy (Tmax +0.151, lambda 14.5: clearance rises) is not encoded: no label "
            "regimen gives tremelimumab alone",
        ),
    ),
    schedules={
        "300mg_once": Schedule("tremelimumab", Dose(300, "mg"), every_days=28, cycles=1, route=IVInfusion.minutes(60)),
        "75mg_q3w_x4": Schedule("tremelimumab", Dose(75, "mg"), every_days=21, cycles=4, route=IVInfusion.minutes(60)),
    },
    label=_IMJUDO,
    notes=(
        "Albumin on CL (-0.996, reference 39 g/L) is at its reference value and not applied.",
        "The NSCLC label adds a fifth 75 mg dose at week 16 (see the catalogue regimen); 75mg_q3w_x4 holds the "
        "first four.",
        "No receptor occupancy: no KD for CTLA-4 was verified, so mechanisms receive the serum concentration.",
    ),
)

TISLELIZUMAB = DrugPK(
    name="tislelizumab",
    target="PD-1",
    CL=0.153,
    V1=3.05,
    Q=0.740,
    V2=1.27,
    Q3=0.092,
    V3=2.10,
    sources={
        "CL": _src(_BUDHA, "Table 3: CL = 0.153 L/day", _BUDHA_CHECK),
        "V1": _src(_BUDHA, "Table 3: Vc = 3.05 L", _BUDHA_CHECK),
        "Q": _src(_BUDHA, "Table 3: Q (central-peripheral 1) = 0.740 L/day", _BUDHA_CHECK),
        "V2": _src(_BUDHA, "Table 3: V2 (peripheral 1) = 1.27 L", _BUDHA_CHECK),
        "Q3": _src(_BUDHA, "Table 3: Q (central-peripheral 2) = 0.092 L/day", _BUDHA_CHECK),
        "V3": _src(_BUDHA, "Table 3: V3 (peripheral 2) = 2.10 L", _BUDHA_CHECK),
    },
    citation=_BUDHA,
    reference_weight_kg=65.0,
    reference_patient=(
        "65 kg male, 60 years, albumin 41 g/L, tumour size 63 mm, ADA-negative, a tumour other than cHL or "
        "gastric cancer (Budha 2023 Equations 5-6, as transcribed in nlmixr2lib)"
    ),
    weight_exponents={"CL": 0.565, "V1": 0.397},
    weight_source=_src(
        _BUDHA,
        "Table 3: body weight on CL 0.565, on Vc 0.397; (WT/65), Equations 5-6",
        _NLMIXR2LIB.format("Budha_2023_tislelizumab", "Table 3"),
    ),
    schedules={
        "200mg_q3w": Schedule("tislelizumab", Dose(200, "mg"), every_days=21, cycles=None, route=IVInfusion.minutes(60)),
    },
    label=_TEVIMBRA,
    notes=(
        "Linear three-compartment model with constant clearance (the SmPC: no change of clearance over time).",
        "The label gives the first infusion over 60 min and later ones over 30 min; 60 min is used throughout "
        "(the peak differs by well under 1 %).",
        "Covariates other than body weight are at their reference values; no receptor occupancy (no KD verified).",
    ),
)

# ---------------------------------------------------------------------------------------
# avelumab (issue 13, fifth pass 2026-12-07). Masters 2022 re-estimated the Wilkins 2019 structural model
# on 2,315 patients; its Table 1 is read through the nlmixr2lib transcription, as for the fourth pass.
_MASTERS = Source(
    citation="Masters JC, Khandelwal A, di Pietro A, Dai H, Brar S (2022). Model-informed drug development "
    "supporting the approval of the avelumab flat-dose regimen in patients with advanced renal cell carcinoma. "
    "CPT Pharmacometrics Syst Pharmacol 11:458-468",
    location="Table 1 (final popPK parameters; the structural model inherited from Wilkins 2019, "
    "CPT Pharmacometrics Syst Pharmacol 8:415-427)",
    doi="10.1002/psp4.12771",
    note="authors, journal and pages as in the nlmixr2lib transcription and its article page (journal record "
    "not checked)",
)
_MASTERS_CHECK = (
    _NLMIXR2LIB.format("Masters_2022_avelumab", "Table 1")
    + "; no second copy of Table 1 was reached. Checked against the BAVENCIO label section 12.3 (Wilkins 2019 "
    "analysis, as recorded in the catalogue on 2026-12-07: CL 0.59 L/day, Vss 4.72 L, terminal t1/2 6.1 d): "
    "late CL 0.5905 L/day (+0.1 %; first dose 0.6456, +9.4 %), so the steady-state AUC over a dose interval "
    "agrees within 9 %; V1 + V2 = 3.92 L (-17 %); terminal t1/2 4.3-4.7 d (-22 to -29 %, not reproduced)"
)
_BAVENCIO = Source(
    citation="BAVENCIO (avelumab) US Prescribing Information, EMD Serono (BLA 761049)",
    location="section 2 (800 mg every 2 weeks, 60-minute IV infusion) and section 12.3 (CL 0.59 L/day, "
    "Vss 4.72 L, terminal half-life 6.1 d)",
)

AVELUMAB = DrugPK(
    name="avelumab",
    target="PD-L1",
    CL=0.6456,
    V1=3.196,
    Q=0.8045,
    V2=0.7278,
    sources={
        "CL": _src(_MASTERS, "Table 1: theta_CL = 0.0269 L/h = 0.6456 L/day (at the first dose)", _MASTERS_CHECK),
        "V1": _src(_MASTERS, "Table 1: theta_V1 = 3.196 L", _MASTERS_CHECK),
        "Q": _src(
            _MASTERS,
            "Table 1: theta_Q printed as 0.3352 L/h; its own 95 % CI (0.02548-0.04157 L/h) and RSE (12.24 %) fit "
            "only 0.03352 L/h = 0.8045 L/day, the value used (the transcriber's correction, a missing zero)",
            _MASTERS_CHECK,
        ),
        "V2": _src(_MASTERS, "Table 1: theta_V2 = 0.7278 L", _MASTERS_CHECK),
    },
    citation=_MASTERS,
    reference_weight_kg=80.0,
    reference_patient=(
        "the typical patient of Masters 2022 Table 1 (pooled solid tumours and advanced RCC); no covariate is "
        "applied, so body weight does not scale the values"
    ),
    clearance=SigmoidTimeClearance(
        emax=math.log(1.0 - 0.08533),
        t50_days=99.24,
        hill=2.086,
        source=_src(
            _MASTERS,
            "Table 1: Imax = -0.08533, T50 = 99.24 days, gamma = 2.086; CL(t) = CL*(1 + Imax*t^gamma/(T50^gamma + "
            "t^gamma))",
            _MASTERS_CHECK + ". The linear form is written in the exponential form of SigmoidTimeClearance with "
            "emax = ln(1 + Imax) = -0.0892: the same clearance at the first dose and in the late limit, and at "
            "most 0.1 % apart in between",
        ),
    ),
    schedules={
        "800mg_q2w": Schedule("avelumab", Dose(800, "mg"), every_days=14, cycles=None, route=IVInfusion.minutes(60)),
    },
    label=_BAVENCIO,
    notes=(
        "Body weight (Table 1: exponents 0.4714 on CL, 0.4694 on V1, 0.5826 on V2, 1 on Q) is not applied: the "
        "80 kg reference weight is the transcriber's reading, not stated in Masters 2022; typical values only.",
        "The terminal half-life (4.3-4.7 d) is shorter than the label's 6.1 d (a different analysis, Wilkins "
        "2019); the steady-state exposure (dose / CL) agrees with the label within 9 %.",
        "No receptor occupancy: no KD for PD-L1 was verified, so mechanisms receive the serum concentration.",
        "cycles=None: the label doses until progression; pass until=<day>.",
    ),
)

#: The PK catalogue: drug name -> entry.
DRUGS: Mapping[str, DrugPK] = MappingProxyType(
    {
        d.name: d
        for d in (
            PEMBROLIZUMAB,
            NIVOLUMAB,
            TRASTUZUMAB,
            RITUXIMAB,
            ATEZOLIZUMAB,
            IPILIMUMAB,
            DURVALUMAB,
            CEMIPLIMAB,
            DOSTARLIMAB,
            TREMELIMUMAB,
            TISLELIZUMAB,
            AVELUMAB,
        )
    }
)


def get_drug(name: str) -> DrugPK:
    """The catalogue entry ``name``; an unknown name raises with the list of drugs."""
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in DRUGS:
        raise UnknownNameError("drug", str(name), sorted(DRUGS))
    return DRUGS[key]


def list_drugs() -> list[dict[str, Any]]:
    """``[{"name", "target", "citation", "schedules"}]`` for every entry."""
    return [
        {"name": d.name, "target": d.target, "citation": str(d.citation), "schedules": sorted(d.schedules)}
        for d in DRUGS.values()
    ]


def pk_model(drug: str | DrugPK, *, weight_kg: float | None = None, prefix: str | None = None) -> Model:
    """A model holding only the PK of a catalogue drug (for PK-only checks).

    Parameters
    ----------
    drug : str or DrugPK
        A name from :data:`oncoimmune.therapy.drugs.DRUGS` or an entry.
    weight_kg : float, optional
        Body weight for the covariate model; default the reference weight of
        the popPK analysis (typical values).
    prefix : str, optional
        Name prefix (default the drug name).

    Returns
    -------
    Model
        States ``<prefix>_central`` and ``<prefix>_peripheral`` (mg); observables
        ``<prefix>_conc`` (ug/mL), ``<prefix>_clearance`` and ``<prefix>_RO``.
    """
    entry = get_drug(drug) if isinstance(drug, str) else drug
    p = prefix or entry.name
    parts = entry.pk_parts(p, weight_kg=weight_kg)
    return Model(
        id=f"pk_{p}",
        title=f"{entry.name}: {'three' if entry.compartments == 3 else 'two'}-compartment population PK "
        f"({entry.citation.citation})",
        states=parts.states,
        parameters=parts.parameters,
        terms=parts.terms,
        observables=parts.observables,
        description=(
            f"Typical-patient pharmacokinetics of {entry.name} ({entry.reference_patient}"
            + (f", scaled to {weight_kg:g} kg" if weight_kg is not None else "")
            + f"). {entry.clearance.describe()}."
        ),
        references=parts.references,
    )


def pk_counts_markdown() -> str:
    """The phrase of ``docs/pk.md`` that counts :data:`DRUGS` (``"12 monoclonal antibodies (...)"``).

    ``scripts/therapy_docs.py`` writes it between ``<!-- drugs-pk -->`` and ``<!-- /drugs-pk -->``;
    ``tests/therapy/test_catalogue.py`` fails when the document and :data:`DRUGS` disagree.
    """
    return f"{len(DRUGS)} monoclonal antibodies ({', '.join(DRUGS)})"
