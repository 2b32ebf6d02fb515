r"""Cytotoxic chemotherapy in real doses: docetaxel, carboplatin by AUC, and the platinum doublets.

A :class:`CytotoxicAgent` is data: its label dose and dose basis (mg/m² of
body-surface area, or a carboplatin target AUC by the Calvert formula), its
published clearance with the covariates of its population-PK model, its
steady-state volume, and a **log-kill potency** per unit of exposure. A
:class:`CytotoxicCourse` (one agent or a doublet, a dose per agent, a cycle
schedule, the patient's covariates) is turned into an
:class:`~oncoimmune.therapy.intervention.Intervention` that adds, per agent
``a`` with prefix ``p``:

.. math::

    \frac{dA_p}{dt} &= -\frac{CL_p}{V_p} A_p \quad (+\ \text{the dose of each cycle, mg}) \\
    \frac{dT}{dt} &= \dots - \kappa_p \frac{A_p}{V_p}\, T \\
    \frac{dX}{dt} &= \dots - \rho\,\kappa_p \frac{A_p}{V_p}\, X \qquad \text{for every effector state } X

The kill of the chemotherapy-sensitive tumour state is proportional to the
plasma concentration (the log-kill hypothesis in the form of Simeoni et al.
2004, ``k2 c(t) x``, which the tumour-growth-inhibition models of Claret et
al. 2009 write as a kill proportional to exposure). Over a cycle the
fraction of sensitive cells surviving is therefore
``exp(-kappa * AUC)``: it depends on the AUC only, not on the shape of the
concentration curve. The one-compartment disposition used here keeps each
agent's published clearance (so the AUC, with all its covariates, is exact)
and declines with the agent's terminal half-life (at least
:data:`MIN_MODEL_HALF_LIFE_H`, which keeps the equations non-stiff); the
distribution phases of the first hours after each infusion, which do not
change the kill, are not reproduced. Infusions (1-3 h) are given as boluses on the
cycle day.

Clearances
----------
* **docetaxel** (Bruno et al. 1996, final population model, 547 patients):
  ``CL (L/h) = BSA (22.1 - 3.55 AAG - 0.095 AGE + 0.2245 ALB) (1 - 0.334 HEP12)``
  with AAG (alpha-1-acid glycoprotein, g/L), AGE (years), ALB (albumin, g/L)
  and HEP12 = 1 for transaminases > 1.5 ULN with alkaline phosphatase > 2.5
  ULN. The abstract confirms the covariates (AAG, hepatic function, age, BSA,
  and albumin in the final model); the coefficients are as recalled from the
  paper and give 20.0 L/h/m² at the typical values below, against the label's
  mean total body clearance of 21 L/h/m² (TAXOTERE USPI 12.3). Vss 113 L (label).
* **carboplatin** (Calvert et al. 1989): ``CL (mL/min) = GFR + 25``, the
  basis of the Calvert dose ``dose (mg) = AUC (GFR + 25)``; GFR is estimated
  by the Cockcroft-Gault creatinine clearance. With the same clearance used
  for dosing and disposition, the AUC equals its target for every patient.
* **paclitaxel, pemetrexed, etoposide**: the labels' mean clearances (see
  :data:`AGENTS`; paclitaxel's PK is non-linear and its label clearance at 175
  mg/m² over 3 h is used as a linear approximation).

Potencies
---------
* **docetaxel**: starts from the Laleh et al. 2022 lesion kinetics of the
  docetaxel arms of POPLAR and OAK (step A of
  :mod:`oncoimmune.trials.calibration`): the median fitted shrinkage rate of
  the sensitive part, 0.0120 /day (volume) under 75 mg/m² every 21 days,
  divided by the typical AUC per day of that regimen:
  ``kappa = 0.0120 * 21 / AUC`` (AUC in mg·day/L,
  :data:`DOCETAXEL_LESION_POTENCY`); the joint calibration refits it to the
  docetaxel arms (:data:`CALIBRATED_POTENCY`).
* **carboplatin**: calibrated to KEYNOTE-024's chemotherapy arm by the joint
  calibration (:data:`CALIBRATED_POTENCY`).
* **paclitaxel, pemetrexed, etoposide**: no data of their own here; each is
  given the docetaxel log-kill per *label* cycle (an assumption, stated in
  its source): ``kappa = kappa_docetaxel * AUC_docetaxel,label / AUC_label``.

References
----------
.. [1] Bruno R, Vivier N, Vergniol JC, et al. (1996). A population
   pharmacokinetic model for docetaxel (Taxotere): model building and
   validation. J Pharmacokinet Biopharm 24:153-172. doi:10.1007/BF02353487
.. [2] Calvert AH, Newell DR, Gumbrell LA, et al. (1989). Carboplatin dosage:
   prospective evaluation of a simple formula based on renal function. J Clin
   Oncol 7:1748-1756. doi:10.1200/JCO.1989.7.11.1748
.. [3] Cockcroft DW, Gault MH (1976). Prediction of creatinine clearance from
   serum creatinine. Nephron 16:31-41. doi:10.1159/000180580
.. [4] Simeoni M, Magni P, Cammia C, et al. (2004). Predictive
   pharmacokinetic-pharmacodynamic modeling of tumor growth kinetics in
   xenograft models after administration of anticancer agents. Cancer Res
   64:1094-1101. doi:10.1158/0008-5472.CAN-03-2524
.. [5] Claret L, Girard P, Hoff PM, et al. (2009). Model-based prediction of
   phase III overall survival in colorectal cancer on the basis of phase II
   tumor dynamics. J Clin Oncol 27:4103-4108. doi:10.1200/JCO.2008.21.0807
.. [6] Ghaffari Laleh N et al. (2022). PLoS Comput Biol 18:e1009822.
   doi:10.1371/journal.pcbi.1009822
.. [7] TAXOTERE (docetaxel) US Prescribing Information, section 12.3.
.. [8] Mosteller RD (1987). Simplified calculation of body-surface area. N Engl J Med 317:1098.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from .._errors import ParameterValueError, ScheduleError, UnknownNameError
from ..biology import roles
from ..model import Event, Model, Parameter, Source, State, Sym, Term
from .chemotherapy import CHEMO_KILL, effector_states
from .intervention import Intervention
from .schedule import bsa_mosteller

__all__ = [
    "AGENTS",
    "CALIBRATED_POTENCY",
    "COURSES",
    "CytotoxicAgent",
    "CytotoxicCourse",
    "PKCovariates",
    "calvert_dose_mg",
    "cockcroft_gault",
    "docetaxel_clearance_bruno1996",
    "get_agent",
    "is_cytotoxic_text",
    "list_cytotoxics",
    "per_cycle_equivalent_potency",
]

_H_PER_DAY = 24.0
_ML_MIN_TO_L_DAY = 1.44

_BRUNO = Source(
    citation="Bruno R, Vivier N, Vergniol JC, et al. (1996). A population pharmacokinetic model for docetaxel "
    "(Taxotere): model building and validation. J Pharmacokinet Biopharm 24:153-172",
    location="final model (547 patients): CL = BSA (22.1 - 3.55 AAG - 0.095 AGE + 0.2245 ALB)(1 - 0.334 HEP12)",
    doi="10.1007/BF02353487",
    note="covariates (AAG, hepatic function, age, BSA; albumin in the final model) checked against the abstract; "
    "the coefficients are as recalled from the paper, not checked against a stored copy (they give 20.0 L/h/m2 "
    "at the typical covariates, against the label's 21 L/h/m2)",
)
_TAXOTERE = Source(
    citation="TAXOTERE (docetaxel) injection, US Prescribing Information",
    location="12.3 Pharmacokinetics: three-compartment; half-lives 4 min, 36 min, 11.1 h; total body clearance "
    "21 L/h/m2; steady-state volume 113 L; clearance 27 % lower with hepatic impairment; 2.2 NSCLC after "
    "platinum: 75 mg/m2 every 3 weeks",
)
_CALVERT = Source(
    citation="Calvert AH, Newell DR, Gumbrell LA, et al. (1989). Carboplatin dosage: prospective evaluation of a "
    "simple formula based on renal function. J Clin Oncol 7:1748-1756",
    location="dose (mg) = target AUC (mg/mL x min) x (GFR + 25); carboplatin clearance = GFR + 25 mL/min",
    doi="10.1200/JCO.1989.7.11.1748",
)
_CG = Source(
    citation="Cockcroft DW, Gault MH (1976). Prediction of creatinine clearance from serum creatinine. "
    "Nephron 16:31-41",
    location="CrCl (mL/min) = (140 - age) x weight (kg) / (72 x serum creatinine, mg/dL), x 0.85 for women",
    doi="10.1159/000180580",
)
_PARAPLATIN = Source(
    citation="PARAPLATIN (carboplatin) US Prescribing Information",
    location="Clinical Pharmacology: volume of distribution about 16 L",
    note="volume as recalled from the label, not checked against a stored copy; it shapes the concentration "
    "curve only (the kill depends on the AUC)",
)
_TAXOL = Source(
    citation="TAXOL (paclitaxel) US Prescribing Information",
    location="Clinical Pharmacology: 175 mg/m2 over 3 h, mean total body clearance about 12.2 L/h/m2; "
    "volume of distribution at steady state about 227 L/m2",
    note="as recalled from the label (not checked against a stored copy); paclitaxel's PK is non-linear and the "
    "label clearance at 175 mg/m2 is used as a linear approximation",
)
_ALIMTA = Source(
    citation="ALIMTA (pemetrexed) US Prescribing Information",
    location="12.3: total systemic clearance 91.8 mL/min with creatinine clearance 90 mL/min; steady-state "
    "volume 16.1 L",
    note="as recalled from the label (not checked against a stored copy); clearance scaled with the "
    "patient's creatinine clearance (renal elimination), an assumption",
)
_ETOPOPHOS = Source(
    citation="VEPESID (etoposide) US Prescribing Information",
    location="Clinical Pharmacology: total body clearance 16-36 mL/min/m2; steady-state volume 7-17 L/m2",
    note="mid-range values (26 mL/min/m2, 12 L/m2) as recalled from the label, not checked against a stored copy",
)
_SIMEONI = Source(
    citation="Simeoni M, Magni P, Cammia C, et al. (2004). Predictive pharmacokinetic-pharmacodynamic modeling "
    "of tumor growth kinetics in xenograft models after administration of anticancer agents. Cancer Res "
    "64:1094-1101",
    location="drug effect k2 c(t) x: kill proportional to the plasma concentration (log-kill in the AUC)",
    doi="10.1158/0008-5472.CAN-03-2524",
)
_LALEH_DOC = Source(
    citation="Ghaffari Laleh N et al. (2022). PLoS Comput Biol 18:e1009822 (lesion data via TumorGrowth.jl, MIT)",
    location="docetaxel arms of POPLAR and OAK (Study_2_Arm_1, Study_4_Arm_1): 187 lesions with >= 5 readings",
    doi="10.1371/journal.pcbi.1009822",
    note="median fitted shrinkage rate of the sensitive part 0.0120 /day (volume; per-lesion fits of "
    "V0[(1-f)exp(-kt) + f exp(gt)] by trials/calibration.fit_lesion) under 75 mg/m2 every 21 days, divided by "
    "the typical AUC per day of that regimen",
)
_PER_CYCLE_ASSUMPTION = (
    "ASSUMPTION: no data of its own here; given docetaxel's log-kill per label cycle "
    "(kappa = kappa_docetaxel x AUC_docetaxel,label / AUC_label)"
)
_LYMPH = Source(
    citation="de Pillis LG, Fister KR, Gu W, et al. (2009). Comput Math Methods Med 10:165-184",
    location="ratio of the maximal lymphocyte kill to the maximal tumour kill, K_L/K_T = 0.0486/0.9 = 0.054",
    doi="10.1080/17486700802216301",
    note="applied as the ratio of lymphocyte to tumour-cell kill per unit exposure (an assumption)",
)


# ---------------------------------------------------------------------------------------------
# covariates and clearance formulas
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PKCovariates:
    """The patient covariates the cytotoxic PK models read.

    Parameters
    ----------
    age : float
        Years.
    sex : {"male", "female"}
    weight_kg, height_cm : float
    serum_creatinine_mg_dl : float
        For the Cockcroft-Gault creatinine clearance (default 0.9 mg/dL, an
        assumption: the middle of the adult reference interval).
    aag_g_l : float
        Alpha-1-acid glycoprotein (default 1.3 g/L, assumption: about the
        median of patients with cancer in Bruno 1996's population as recalled).
    albumin_g_l : float
        Serum albumin (default 38 g/L, assumption).
    hepatic_impairment : bool
        Bruno 1996's HEP12 (transaminases > 1.5 ULN with alkaline phosphatase > 2.5 ULN).
    bsa_m2 : float, optional
        Body-surface area; default Mosteller's formula.
    """

    age: float = 63.0
    sex: str = "male"
    weight_kg: float = 70.0
    height_cm: float = 170.0
    serum_creatinine_mg_dl: float = 0.9
    aag_g_l: float = 1.3
    albumin_g_l: float = 38.0
    hepatic_impairment: bool = False
    bsa_m2: float | None = None

    def __post_init__(self) -> None:
        for name, lo, hi in (
            ("age", 0.0, 130.0),
            ("weight_kg", 1.0, 500.0),
            ("height_cm", 30.0, 260.0),
            ("serum_creatinine_mg_dl", 0.05, 30.0),
            ("aag_g_l", 0.0, 10.0),
            ("albumin_g_l", 5.0, 80.0),
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= float(v) <= hi):
                raise ParameterValueError(f"PKCovariates.{name} must be a number in [{lo:g}, {hi:g}]; got {v!r}")
            object.__setattr__(self, name, float(v))
        if self.sex not in ("male", "female"):
            raise ParameterValueError(f"PKCovariates.sex must be 'male' or 'female'; got {self.sex!r}")
        if self.bsa_m2 is None:
            object.__setattr__(self, "bsa_m2", bsa_mosteller(self.height_cm, self.weight_kg))
        elif not (isinstance(self.bsa_m2, (int, float)) and 0.2 <= float(self.bsa_m2) <= 4.0):
            raise ParameterValueError(f"PKCovariates.bsa_m2 must be in [0.2, 4] m2; got {self.bsa_m2!r}")

    @classmethod
    def from_patient(cls, patient: Any = None, **overrides: Any) -> PKCovariates:
        """Covariates from a :class:`~oncoimmune.patients.virtual.VirtualPatient` (or keyword values)."""
        kw: dict[str, Any] = {}
        if patient is not None:
            for k in ("age", "sex", "weight_kg", "height_cm", "bsa_m2"):
                if hasattr(patient, k):
                    kw[k] = getattr(patient, k)
        kw.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kw)

    @property
    def creatinine_clearance(self) -> float:
        """Cockcroft-Gault creatinine clearance, mL/min."""
        return cockcroft_gault(self.age, self.weight_kg, self.serum_creatinine_mg_dl, self.sex)


def cockcroft_gault(age: float, weight_kg: float, serum_creatinine_mg_dl: float, sex: str) -> float:
    """Creatinine clearance (mL/min), Cockcroft & Gault 1976.

    ``(140 - age) * weight / (72 * SCr)``, times 0.85 for women.

    References
    ----------
    .. [1] Cockcroft DW, Gault MH (1976). Nephron 16:31-41. doi:10.1159/000180580
    """
    if not serum_creatinine_mg_dl > 0:
        raise ParameterValueError(f"serum creatinine must be > 0 mg/dL; got {serum_creatinine_mg_dl!r}")
    c = max(140.0 - float(age), 0.0) * float(weight_kg) / (72.0 * float(serum_creatinine_mg_dl))
    return c * (0.85 if sex == "female" else 1.0)


def calvert_dose_mg(target_auc: float, gfr_ml_min: float) -> float:
    """Carboplatin dose (mg) for a target AUC (mg/mL x min): ``AUC (GFR + 25)`` (Calvert et al. 1989)."""
    if not (math.isfinite(target_auc) and target_auc >= 0):
        raise ParameterValueError(f"carboplatin target AUC must be >= 0 mg/mL x min; got {target_auc!r}")
    return float(target_auc) * (max(float(gfr_ml_min), 0.0) + 25.0)


def docetaxel_clearance_bruno1996(cov: PKCovariates) -> float:
    """Docetaxel clearance (L/h), Bruno et al. 1996 final model (see the module docstring)."""
    per_m2 = 22.1 - 3.55 * cov.aag_g_l - 0.095 * cov.age + 0.2245 * cov.albumin_g_l
    per_m2 = max(per_m2, 1.0)  # the linear covariate model is not meant for extreme values
    return float(cov.bsa_m2) * per_m2 * (1.0 - 0.334 * float(cov.hepatic_impairment))


# ---------------------------------------------------------------------------------------------
# agents
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CytotoxicAgent:
    """One cytotoxic drug: label dose, PK (clearance with covariates, volume) and log-kill potency.

    Parameters
    ----------
    name, display_name : str
    dose_basis : {"mg/m2", "auc"}
        How its dose is written: mg per m² of BSA, or a carboplatin target AUC (mg/mL x min).
    label_dose : float
        The usual dose in that basis (e.g. 75 for docetaxel 75 mg/m²; 5 for carboplatin AUC 5).
    clearance : callable
        ``PKCovariates -> CL (L/h)``.
    volume : callable
        ``PKCovariates -> V (L)`` (steady-state volume).
    potency : float
        ``kappa`` in L/(mg·day): the fraction of sensitive cells surviving a
        dose is ``exp(-kappa * AUC)`` with the AUC in mg·day/L.
    sources : tuple of Source
        PK sources first, then the potency's.
    potency_source : Source
    """

    name: str
    display_name: str
    dose_basis: str
    label_dose: float
    clearance: Callable[[PKCovariates], float]
    volume: Callable[[PKCovariates], float]
    potency: float
    sources: tuple[Source, ...]
    potency_source: Source
    summary: str = ""
    terminal_half_life_h: float = 12.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.terminal_half_life_h) and self.terminal_half_life_h > 0):
            raise ParameterValueError(f"CytotoxicAgent {self.name}: terminal_half_life_h must be > 0")
        if self.dose_basis not in ("mg/m2", "auc"):
            raise ParameterValueError(f"CytotoxicAgent {self.name}: dose_basis must be 'mg/m2' or 'auc'")
        if not (math.isfinite(self.potency) and self.potency >= 0):
            raise ParameterValueError(f"CytotoxicAgent {self.name}: potency must be >= 0; got {self.potency!r}")

    @property
    def model_half_life_h(self) -> float:
        """Elimination half-life of the in-model compartment: the terminal half-life, at least :data:`MIN_MODEL_HALF_LIFE_H`."""
        return max(self.terminal_half_life_h, MIN_MODEL_HALF_LIFE_H)

    def model_volume(self, cov: PKCovariates) -> float:
        """Volume (L) of the in-model compartment: ``CL x t_half / ln 2`` (keeps the AUC = dose / CL exact)."""
        return self.clearance(cov) * self.model_half_life_h / math.log(2.0)

    def dose_mg(self, dose: float, cov: PKCovariates) -> float:
        """The amount (mg) of one administration of ``dose`` (mg/m² or target AUC) for this patient."""
        if self.dose_basis == "auc":
            return calvert_dose_mg(dose, cov.creatinine_clearance)
        return float(dose) * float(cov.bsa_m2)

    def auc_mg_day_per_l(self, dose: float, cov: PKCovariates) -> float:
        """AUC of one administration, mg·day/L (= mg·h/L / 24)."""
        return self.dose_mg(dose, cov) / (self.clearance(cov) * _H_PER_DAY)

    def log_kill(self, dose: float, cov: PKCovariates | None = None) -> float:
        """``kappa * AUC``: the log fraction of sensitive cells killed by one administration."""
        return self.potency * self.auc_mg_day_per_l(dose, cov or PKCovariates())

    def describe(self) -> str:
        cov = PKCovariates()
        unit = "mg/m2" if self.dose_basis == "mg/m2" else "AUC (mg/mL x min, Calvert)"
        return (
            f"{self.display_name}: label dose {self.label_dose:g} {unit}; typical CL {self.clearance(cov):.3g} L/h, "
            f"Vss {self.volume(cov):.3g} L, terminal t1/2 {self.terminal_half_life_h:g} h; log-kill per label dose {self.log_kill(self.label_dose, cov):.3f} "
            f"({100 * (1 - math.exp(-self.log_kill(self.label_dose, cov))):.1f} % of sensitive cells)"
        )


#: Shortest elimination half-life (h) of the in-model compartment. The kill depends on the AUC only, so a
#: slower one-compartment decline with the same clearance gives the same kill per cycle while keeping the
#: equations non-stiff for the explicit solvers (the curve's shape within the first day is not reproduced).
MIN_MODEL_HALF_LIFE_H = 12.0

#: Median shrinkage rate (1/day, volume) of the sensitive part of docetaxel-arm lesions (Laleh 2022; see above).
DOCETAXEL_LESION_KILL_RATE = 0.0120
_TYPICAL = PKCovariates()


def _doc_cl(c: PKCovariates) -> float:
    return docetaxel_clearance_bruno1996(c)


def _carbo_cl(c: PKCovariates) -> float:
    return (c.creatinine_clearance + 25.0) * 60.0 / 1000.0  # mL/min -> L/h


def _pem_cl(c: PKCovariates) -> float:
    return 91.8 * (c.creatinine_clearance / 90.0) * 60.0 / 1000.0


def _doc_auc_label() -> float:
    return 75.0 * float(_TYPICAL.bsa_m2) / (_doc_cl(_TYPICAL) * _H_PER_DAY)


#: docetaxel potency from the lesions, L/(mg·day): median lesion kill rate x cycle length / typical AUC per cycle.
DOCETAXEL_LESION_POTENCY = DOCETAXEL_LESION_KILL_RATE * 21.0 / _doc_auc_label()


def _shipped_potency() -> dict[str, float]:
    from .. import _calibration_data

    th = _calibration_data.theta()
    return {
        "carboplatin": th.get("carboplatin_potency", 0.15),
        "docetaxel": th.get("docetaxel_potency", DOCETAXEL_LESION_POTENCY),
    }


#: Potencies fitted by the joint calibration (``oncoimmune calibrate``; :mod:`oncoimmune.trials.joint`),
#: docetaxel starting from the lesion-derived :data:`DOCETAXEL_LESION_POTENCY`.
CALIBRATED_POTENCY: dict[str, float] = _shipped_potency()
DOCETAXEL_POTENCY = CALIBRATED_POTENCY["docetaxel"]


def per_cycle_equivalent_potency(agent: "CytotoxicAgent", docetaxel_potency: float | None = None) -> float:
    """The potency that gives ``agent`` at its label dose docetaxel's log-kill per label cycle.

    ``kappa = kappa_docetaxel x AUC_docetaxel,label / AUC_agent,label`` for the typical patient
    (:class:`PKCovariates` defaults): the rule that sets the potency of every agent without data of its
    own here (paclitaxel, pemetrexed, etoposide), and the centre of the carboplatin potency's prior in
    the joint calibration (:data:`oncoimmune.trials.joint.PRIORS`).

    Parameters
    ----------
    agent : CytotoxicAgent
    docetaxel_potency : float, optional
        Docetaxel's potency, L/(mg·day); default the shipped :data:`DOCETAXEL_POTENCY`.
    """
    kd = DOCETAXEL_POTENCY if docetaxel_potency is None else float(docetaxel_potency)
    if not (math.isfinite(kd) and kd >= 0):
        raise ParameterValueError(f"per_cycle_equivalent_potency: docetaxel_potency must be >= 0; got {kd!r}")
    return _same_per_cycle(agent.clearance, agent.label_dose, agent.dose_basis, kd)


def _same_per_cycle(cl: Callable[[PKCovariates], float], dose: float, basis: str,
                    docetaxel_potency: float | None = None) -> float:
    """The potency giving ``dose`` (clearance ``cl``) docetaxel's log-kill per label cycle, typical patient."""
    if basis == "auc":
        auc = calvert_dose_mg(dose, _TYPICAL.creatinine_clearance) / (cl(_TYPICAL) * _H_PER_DAY)
    else:
        auc = dose * float(_TYPICAL.bsa_m2) / (cl(_TYPICAL) * _H_PER_DAY)
    kd = DOCETAXEL_POTENCY if docetaxel_potency is None else docetaxel_potency
    return kd * _doc_auc_label() / auc


def _agent_table() -> dict[str, CytotoxicAgent]:
    a = {
        "docetaxel": CytotoxicAgent(
            "docetaxel",
            "docetaxel",
            "mg/m2",
            75.0,
            _doc_cl,
            lambda c: 113.0,
            DOCETAXEL_POTENCY,
            (_BRUNO, _TAXOTERE, _SIMEONI),
            Source(_LALEH_DOC.citation, _LALEH_DOC.location, _LALEH_DOC.doi,
                   _LALEH_DOC.note + "; this lesion-derived value is the start of the joint calibration, which "
                   "refits it to the docetaxel arms of KEYNOTE-010 and OAK (oncoimmune calibrate; "
                   "docs/trial-validation.md gives both values)"),
            "75 mg/m2 IV over 1 h every 3 weeks (NSCLC after platinum; TAXOTERE USPI 2.2)",
            11.1,
        ),
        "carboplatin": CytotoxicAgent(
            "carboplatin",
            "carboplatin",
            "auc",
            5.0,
            _carbo_cl,
            lambda c: 16.0,
            CALIBRATED_POTENCY["carboplatin"],
            (_CALVERT, _CG, _PARAPLATIN, _SIMEONI),
            Source(
                "oncoimmune joint calibration (oncoimmune calibrate)",
                location="KEYNOTE-024 chemotherapy arm (ORR, PFS) with the doublet partner's fixed potency",
                note="calibrated to KEYNOTE-024 by oncoimmune.trials.joint (see docs/trial-validation.md)",
            ),
            "AUC 5-6 mg/mL x min IV every 3 weeks (Calvert dose from the Cockcroft-Gault clearance)",
            4.0,
        ),
    }
    a["paclitaxel"] = CytotoxicAgent(
        "paclitaxel",
        "paclitaxel",
        "mg/m2",
        200.0,
        lambda c: 12.2 * float(c.bsa_m2),
        lambda c: 227.0 * float(c.bsa_m2),
        _same_per_cycle(lambda c: 12.2 * float(c.bsa_m2), 200.0, "mg/m2"),
        (_TAXOL, _SIMEONI),
        Source("oncoimmune assumption", note=_PER_CYCLE_ASSUMPTION),
        "175-200 mg/m2 IV over 3 h every 3 weeks, with carboplatin",
        20.0,
    )
    a["pemetrexed"] = CytotoxicAgent(
        "pemetrexed",
        "pemetrexed",
        "mg/m2",
        500.0,
        _pem_cl,
        lambda c: 16.1,
        _same_per_cycle(_pem_cl, 500.0, "mg/m2"),
        (_ALIMTA, _CG, _SIMEONI),
        Source("oncoimmune assumption", note=_PER_CYCLE_ASSUMPTION),
        "500 mg/m2 IV every 3 weeks (non-squamous NSCLC), with a platinum",
        3.5,
    )
    a["etoposide"] = CytotoxicAgent(
        "etoposide",
        "etoposide",
        "mg/m2",
        300.0,
        lambda c: 26.0 * float(c.bsa_m2) * 60.0 / 1000.0,
        lambda c: 12.0 * float(c.bsa_m2),
        _same_per_cycle(lambda c: 26.0 * float(c.bsa_m2) * 60.0 / 1000.0, 300.0, "mg/m2"),
        (_ETOPOPHOS, _SIMEONI),
        Source("oncoimmune assumption", note=_PER_CYCLE_ASSUMPTION + " (label cycle: 100 mg/m2 on days 1-3)"),
        "100 mg/m2 IV on days 1-3 every 3 weeks, with carboplatin (written 300 mg/m2: given on day 1, same AUC)",
        7.0,
    )
    return a


#: The cytotoxic agents.
AGENTS: Mapping[str, CytotoxicAgent] = MappingProxyType(_agent_table())

#: Named courses: key -> agents (a doublet is two agents given on the same day).
COURSES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "docetaxel": ("docetaxel",),
        "paclitaxel": ("paclitaxel",),
        "pemetrexed": ("pemetrexed",),
        "carboplatin": ("carboplatin",),
        "etoposide": ("etoposide",),
        "carboplatin_paclitaxel": ("carboplatin", "paclitaxel"),
        "carboplatin_pemetrexed": ("carboplatin", "pemetrexed"),
        "carboplatin_etoposide": ("carboplatin", "etoposide"),
    }
)


def get_agent(name: str) -> CytotoxicAgent:
    """An agent of :data:`AGENTS` (the error lists them)."""
    k = str(name).strip().lower()
    if k not in AGENTS:
        raise UnknownNameError("cytotoxic agent", str(name), sorted(AGENTS))
    return AGENTS[k]


# ---------------------------------------------------------------------------------------------
# courses
# ---------------------------------------------------------------------------------------------
_NUM = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"
_DOSE_RE = re.compile(rf"^\s*(?:(?P<auc>auc)\s*(?P<a>{_NUM})|(?P<m>{_NUM})\s*mg\s*/\s*m(?:2|\^2|²))\s*$", re.I)
_SCHED_RE = re.compile(
    rf"^q(?P<n>{_NUM})(?P<per>[wd])(?:[*x](?P<cycles>\d+))?(?:@(?P<start>{_NUM})d?)?$", re.I
)


class CytotoxicSpecError(ScheduleError):
    """A cytotoxic course text is invalid (the message names the part and the fix)."""


@dataclass(frozen=True)
class CytotoxicCourse:
    """One cytotoxic course: agents with a dose each, day 1 of cycles, for one patient.

    Parameters
    ----------
    key : str
        A key of :data:`COURSES`.
    doses : tuple of float
        One dose per agent, in its basis (mg/m² or target AUC).
    every_days : float
        Cycle length.
    cycles : int, optional
        Number of cycles; ``None`` = until stopped (until progression; the
        simulation passes ``until``).
    start_day : float
    covariates : PKCovariates
    potency_scale : mapping of str to float
        Multiplies agents' potencies (used by calibrations; default none).
    text : str
        The text it came from.
    """

    key: str
    doses: tuple[float, ...]
    every_days: float = 21.0
    cycles: int | None = None
    start_day: float = 0.0
    covariates: PKCovariates = field(default_factory=PKCovariates)
    potency_scale: Mapping[str, float] = field(default_factory=dict)
    text: str = ""

    def __post_init__(self) -> None:
        if self.key not in COURSES:
            raise UnknownNameError("cytotoxic course", self.key, sorted(COURSES))
        doses = tuple(float(d) for d in self.doses)
        if len(doses) != len(COURSES[self.key]) or not all(math.isfinite(d) and d >= 0 for d in doses):
            raise CytotoxicSpecError(
                f"{self.key}: give one dose >= 0 per agent ({', '.join(COURSES[self.key])}); got {self.doses!r}"
            )
        object.__setattr__(self, "doses", doses)
        if not (math.isfinite(self.every_days) and self.every_days > 0):
            raise CytotoxicSpecError(f"{self.key}: cycle length must be > 0 days; got {self.every_days!r}")
        if self.cycles is not None and (isinstance(self.cycles, bool) or int(self.cycles) < 1):
            raise CytotoxicSpecError(f"{self.key}: cycles must be >= 1; got {self.cycles!r}")
        if not (math.isfinite(self.start_day) and self.start_day >= 0):
            raise CytotoxicSpecError(f"{self.key}: start day must be >= 0; got {self.start_day!r}")
        object.__setattr__(self, "potency_scale", MappingProxyType(dict(self.potency_scale)))

    # parsing ----------------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str, covariates: PKCovariates | None = None, **patient: Any) -> CytotoxicCourse:
        """``NAME:DOSE[+DOSE][:SCHEDULE]``, e.g. ``docetaxel:75mg/m2:q3w``, ``carboplatin_paclitaxel:AUC6+200mg/m2:q3w*4``.

        SCHEDULE is ``qNw`` or ``qNd``, optionally ``*N`` cycles (none: until
        progression or the end of the simulation) and ``@DAY``. Without a
        DOSE the agents' label doses are used.
        """
        whole = str(text).strip()
        parts = [p.strip() for p in whole.split(":")]
        key = parts[0].lower().replace("-", "_").replace("+", "_").replace("/", "_")
        if key not in COURSES:
            raise UnknownNameError("cytotoxic course", parts[0], sorted(COURSES))
        agents = COURSES[key]
        if len(parts) > 3:
            raise CytotoxicSpecError(f"therapy {whole!r}: expected NAME:DOSE[:SCHEDULE], e.g. docetaxel:75mg/m2:q3w")
        dose_txt = sched_txt = ""
        for p in parts[1:]:
            if p and (p[0].isdigit() or p.lower().startswith("auc") or p[0] == "."):
                dose_txt = p
            else:
                sched_txt = p
        doses = [get_agent(a).label_dose for a in agents]
        if dose_txt:
            items = [d.strip() for d in dose_txt.split("+")]
            if len(items) != len(agents):
                raise CytotoxicSpecError(
                    f"therapy {whole!r}: DOSE: give one dose per agent ({' + '.join(agents)}), e.g. "
                    + "+".join("AUC5" if get_agent(a).dose_basis == "auc" else "75mg/m2" for a in agents)
                )
            for i, (a, d) in enumerate(zip(agents, items)):
                m = _DOSE_RE.match(d)
                basis = get_agent(a).dose_basis
                if not m or (basis == "auc") != bool(m.group("auc")):
                    want = "AUCn (target AUC, mg/mL x min)" if basis == "auc" else "N mg/m2"
                    raise CytotoxicSpecError(f"therapy {whole!r}: DOSE: {d!r} for {a} must be {want}")
                doses[i] = float(m.group("a") if m.group("auc") else m.group("m"))
        every, cycles, start = 21.0, None, 0.0
        if sched_txt:
            m = _SCHED_RE.match(sched_txt.replace(" ", ""))
            if not m:
                raise CytotoxicSpecError(
                    f"therapy {whole!r}: SCHEDULE: {sched_txt!r} is not valid; give qNw or qNd, optionally *N "
                    "cycles and @DAY (e.g. q3w*4, or q3w for until progression)"
                )
            every = float(m.group("n")) * (7.0 if m.group("per").lower() == "w" else 1.0)
            cycles = int(m.group("cycles")) if m.group("cycles") else None
            start = float(m.group("start")) if m.group("start") else 0.0
        cov = covariates or PKCovariates.from_patient(None, **{k: v for k, v in patient.items() if v is not None})
        try:
            return cls(key, tuple(doses), every, cycles, start, cov, text=whole)
        except (ParameterValueError, ScheduleError) as exc:
            raise CytotoxicSpecError(f"therapy {whole!r}: {exc}") from None

    # what it gives ------------------------------------------------------------------------------
    @property
    def agents(self) -> tuple[CytotoxicAgent, ...]:
        return tuple(get_agent(a) for a in COURSES[self.key])

    @property
    def runs_until_stopped(self) -> bool:
        return self.cycles is None

    def with_covariates(self, covariates: PKCovariates) -> CytotoxicCourse:
        return replace(self, covariates=covariates)

    def shifted(self, days: float) -> CytotoxicCourse:
        """The same course starting ``days`` later."""
        return replace(self, start_day=self.start_day + float(days))

    def cycle_days(self, until: float | None = None) -> list[float]:
        """Day 1 of each cycle (before ``until`` when the course runs until stopped)."""
        if self.cycles is not None:
            days = [self.start_day + k * self.every_days for k in range(int(self.cycles))]
            return [d for d in days if until is None or d < until]
        if until is None:
            raise ScheduleError(
                f"{self.key} runs until progression: pass until=<day> (e.g. the simulation horizon)"
            )
        out, d = [], self.start_day
        while d < until:
            out.append(d)
            d += self.every_days
        return out

    def amounts_mg(self) -> dict[str, float]:
        """Per-agent amount (mg) of one administration for this patient."""
        return {a.name: a.dose_mg(d, self.covariates) for a, d in zip(self.agents, self.doses)}

    def potency(self, agent: CytotoxicAgent) -> float:
        return agent.potency * float(self.potency_scale.get(agent.name, 1.0))

    def log_kill_per_cycle(self) -> float:
        """Sum over agents of ``kappa * AUC`` (Bliss-independent log-kills add)."""
        return sum(self.potency(a) * a.auc_mg_day_per_l(d, self.covariates) for a, d in zip(self.agents, self.doses))

    def events(self, until: float | None = None) -> tuple[Event, ...]:
        amounts = self.amounts_mg()
        out = []
        for k, t in enumerate(self.cycle_days(until)):
            for a in self.agents:
                out.append(
                    Event(t, f"{a.name}_A", "add", amounts[a.name], kind="state", label=f"{a.name} cycle {k + 1} "
                          f"({amounts[a.name]:.4g} mg)")
                )
        return tuple(out)

    def intervention(self, until: float | None = None, *, mechanism: bool = True) -> Intervention:
        """The :class:`Intervention`: one-compartment PK per agent, concentration-proportional kill, cycle doses."""
        cov = self.covariates
        agents = self.agents
        evs = self.events(until)

        def transform(model: Model) -> Model:
            tum = model.tumour_state
            if tum is None:
                raise ParameterValueError(f"{self.key}: the model {model.id!r} has no tumour_state to kill")
            effs = effector_states(model)
            states, params, terms = [], [], []
            for a in agents:
                p = a.name
                cl_l_day = a.clearance(cov) * _H_PER_DAY
                states.append(State(f"{p}_A", 0.0, "mg", f"{a.display_name} in the body (one compartment)"))
                params += [
                    Parameter(f"{p}_CL", cl_l_day, "L/day", f"{a.display_name} clearance for this patient",
                              a.sources[0], bounds=(0.0, math.inf)),
                    Parameter(f"{p}_V", a.model_volume(cov), "L",
                              f"{a.display_name} volume of the one-compartment curve (CL x t1/2 / ln 2; "
                              f"t1/2 {a.model_half_life_h:g} h)", a.sources[0], bounds=(1e-6, math.inf)),
                    Parameter(f"{p}_kill", self.potency(a) if mechanism else 0.0, "L/(mg*day)",
                              f"{a.display_name} log-kill per unit AUC (sensitive tumour cells)", a.potency_source,
                              bounds=(0.0, math.inf)),
                    Parameter(f"{p}_lymph_ratio", 0.054, "1", "lymphocyte / tumour-cell kill per unit exposure",
                              _LYMPH, bounds=(0.0, 10.0)),
                ]
                conc = Sym(f"{p}_A") / Sym(f"{p}_V")
                terms.append(Term(f"{p}_elimination", Sym(f"{p}_CL") / Sym(f"{p}_V") * Sym(f"{p}_A"),
                                  {f"{p}_A": -1}, f"{a.display_name} is cleared", {roles.DRUG_ELIMINATION}))
                terms.append(Term(f"{p}_tumour_kill", Sym(f"{p}_kill") * conc * Sym(tum), {tum: -1},
                                  f"{a.display_name} kills sensitive tumour cells (log-kill in the AUC)", {CHEMO_KILL}))
                for s in effs:
                    terms.append(Term(f"{p}_kill_{s}", Sym(f"{p}_lymph_ratio") * Sym(f"{p}_kill") * conc * Sym(s),
                                      {s: -1}, f"{a.display_name} kills lymphocytes ({s})", {CHEMO_KILL}))
            return model.add(
                states=tuple(states), parameters=tuple(params), terms=tuple(terms),
                references=tuple({s.citation: s for a in agents for s in (*a.sources, a.potency_source)}.values()),
                notes=(f"{self.describe()}",),
            )

        return Intervention(
            name=self.name,
            transform=transform,
            events=evs,
            classes=("chemotherapy",),
            description=self.describe(),
            metadata={"regimen": self.text or self.key, "agents": [a.name for a in agents], "doses": list(self.doses)},
        )

    @property
    def name(self) -> str:
        n = "until stopped" if self.cycles is None else f"x{self.cycles}"
        return f"{self.key} every {self.every_days:g} d {n}"

    def describe(self) -> str:
        parts = []
        amounts = self.amounts_mg()
        for a, d in zip(self.agents, self.doses):
            basis = f"AUC {d:g} (Calvert, CrCl {self.covariates.creatinine_clearance:.0f} mL/min)" if (
                a.dose_basis == "auc") else f"{d:g} mg/m2"
            parts.append(f"{a.display_name} {basis} = {amounts[a.name]:.0f} mg")
        n = "until progression" if self.cycles is None else f"x{self.cycles}"
        return (
            f"{' + '.join(parts)}, day 1 of {self.every_days:g}-day cycles {n} from day {self.start_day:g}; "
            f"log-kill per cycle {self.log_kill_per_cycle():.3f} (BSA {self.covariates.bsa_m2:.2f} m2)"
        )


def is_cytotoxic_text(text: Any) -> bool:
    """Whether a therapy text is a real-dose cytotoxic course (a single agent, or a doublet with a real dose)."""
    if not isinstance(text, str) or not text.strip():
        return False
    parts = [p.strip() for p in text.strip().split(":")]
    key = parts[0].lower().replace("-", "_").replace("+", "_").replace("/", "_")
    if key not in COURSES:
        return False
    if len(COURSES[key]) == 1:
        return True
    # a doublet: real doses (AUC / mg/m2) select this module; a bare number or nothing is the
    # de Pillis abstract-unit form of oncoimmune.therapy.chemotherapy
    return any("auc" in p.lower() or "mg/m" in p.lower().replace(" ", "") for p in parts[1:])


def list_cytotoxics() -> list[dict[str, Any]]:
    """One row per agent (for ``oncoimmune drugs``)."""
    rows = []
    cov = PKCovariates()
    for a in AGENTS.values():
        rows.append(
            {
                "name": a.name,
                "display_name": a.display_name,
                "classes": ["chemotherapy"],
                "target": "dividing cells",
                "mechanism": "cytotoxic_log_kill",
                "label_schedule": a.summary,
                "dose_basis": a.dose_basis,
                "pk_model": "one-compartment (AUC-preserving)",
                "pk": a.describe(),
                "pk_source": str(a.sources[0]),
                "potency_L_per_mg_day": a.potency,
                "potency_source": str(a.potency_source),
                "log_kill_per_label_dose": a.log_kill(a.label_dose, cov),
                "mechanism_available": True,
                "simulable": True,
                "courses": [k for k, v in COURSES.items() if a.name in v],
            }
        )
    return rows
