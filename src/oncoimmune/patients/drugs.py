"""The immunotherapies in the indication table, and the vocabulary of earlier treatments.

:data:`DRUGS` lists the drugs of the indication table (the twelve seed drugs
here, the rest read from the therapy catalogue's ``data/label_drugs.toml``)
with their brand names, the group patient
information puts them in (checkpoint inhibitor, monoclonal antibody, oncolytic
virus, cytokine, CAR T-cell therapy) and their target. :data:`TREATMENTS` is
the vocabulary for a patient's earlier treatments; :func:`resolve_treatment`
maps drug names, regimens and synonyms (``"R-CHOP"``, ``"carboplatin"``,
``"Keytruda"``) onto it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .._errors import UnknownNameError
from ..therapy._label_drugs import label_drug_records
from .cancers import normalise_name

__all__ = ["Drug", "DRUGS", "TREATMENTS", "resolve_drug", "resolve_treatment"]


@dataclass(frozen=True)
class Drug:
    """An immunotherapy in the table.

    Parameters
    ----------
    id : str
        Canonical id (``"pembrolizumab"``).
    name : str
        International non-proprietary name.
    brands : tuple of str
        Brand names (UK/US).
    kind : str
        Group as patient information describes it: checkpoint inhibitor,
        monoclonal antibody, oncolytic virus (vaccine-like), cytokine, CAR
        T-cell therapy.
    target : str
        What it acts on.
    treatment_class : str
        The earlier-treatment class it counts as (see :data:`TREATMENTS`).
    """

    id: str
    name: str
    brands: tuple[str, ...]
    kind: str
    target: str
    treatment_class: str

    @property
    def display(self) -> str:
        """``"Pembrolizumab (Keytruda)"``."""
        return f"{self.name[0].upper()}{self.name[1:]} ({' / '.join(self.brands)})"


_SEED = {
    "pembrolizumab", "nivolumab", "atezolizumab", "ipilimumab", "rituximab", "trastuzumab",
    "talimogene-laherparepvec", "aldesleukin", "ropeginterferon-alfa-2b", "peginterferon-alfa-2a",
    "tisagenlecleucel", "axicabtagene-ciloleucel",
}  # fmt: skip

DRUGS: Mapping[str, Drug] = MappingProxyType(
    {
        d.id: d
        for d in (
            Drug(
                "pembrolizumab", "pembrolizumab", ("Keytruda",), "checkpoint inhibitor", "PD-1", "anti-pd-1"
            ),
            Drug("nivolumab", "nivolumab", ("Opdivo",), "checkpoint inhibitor", "PD-1", "anti-pd-1"),
            Drug(
                "atezolizumab", "atezolizumab", ("Tecentriq",), "checkpoint inhibitor", "PD-L1", "anti-pd-1"
            ),
            Drug("ipilimumab", "ipilimumab", ("Yervoy",), "checkpoint inhibitor", "CTLA-4", "anti-ctla-4"),
            Drug(
                "rituximab", "rituximab", ("MabThera", "Rituxan"), "monoclonal antibody", "CD20", "anti-cd20"
            ),
            Drug("trastuzumab", "trastuzumab", ("Herceptin",), "monoclonal antibody", "HER2", "anti-her2"),
            Drug(
                "talimogene-laherparepvec",
                "talimogene laherparepvec (T-VEC)",
                ("Imlygic",),
                "oncolytic virus (a vaccine-like treatment)",
                "melanoma cells (modified herpes simplex virus)",
                "oncolytic-virus",
            ),
            Drug(
                "aldesleukin",
                "aldesleukin (interleukin-2)",
                ("Proleukin",),
                "cytokine",
                "IL-2 receptor",
                "interleukin-2",
            ),
            Drug(
                "ropeginterferon-alfa-2b",
                "ropeginterferon alfa-2b",
                ("Besremi",),
                "cytokine (interferon alfa)",
                "interferon alfa receptor",
                "interferon-alfa",
            ),
            Drug(
                "peginterferon-alfa-2a",
                "peginterferon alfa-2a",
                ("Pegasys",),
                "cytokine (interferon alfa)",
                "interferon alfa receptor",
                "interferon-alfa",
            ),
            Drug("tisagenlecleucel", "tisagenlecleucel", ("Kymriah",), "CAR T-cell therapy", "CD19", "car-t"),
            Drug(
                "axicabtagene-ciloleucel",
                "axicabtagene ciloleucel",
                ("Yescarta",),
                "CAR T-cell therapy",
                "CD19",
                "car-t",
            ),
            # the rest are read from the therapy catalogue's label-only entries (therapy/data/label_drugs.toml)
            *(
                Drug(
                    r["name"].replace("_", "-"),
                    r["display_name"],
                    tuple(r["brands"]),
                    r["kind"],
                    r["target"],
                    r["treatment_class"],
                )
                for r in label_drug_records()
                if r["name"].replace("_", "-") not in _SEED
            ),
        )
    }
)

_DRUG_ALIASES = {
    **{d.id: d.id for d in DRUGS.values()},
    **{normalise_name(b): d.id for d in DRUGS.values() for b in d.brands},
    "t-vec": "talimogene-laherparepvec",
    "tvec": "talimogene-laherparepvec",
    "talimogene": "talimogene-laherparepvec",
    "il-2": "aldesleukin",
    "interleukin-2": "aldesleukin",
    "ropeginterferon": "ropeginterferon-alfa-2b",
    "ropeg": "ropeginterferon-alfa-2b",
    "peginterferon": "peginterferon-alfa-2a",
    "tisa-cel": "tisagenlecleucel",
    "axi-cel": "axicabtagene-ciloleucel",
    "axicabtagene": "axicabtagene-ciloleucel",
    **{
        normalise_name(a): r["name"].replace("_", "-")
        for r in label_drug_records()
        for a in r.get("aliases", ())
    },
}


def resolve_drug(name: str) -> Drug:
    """A :class:`Drug` by id, brand or common short name (``"Keytruda"``, ``"T-VEC"``, ``"axi-cel"``)."""
    key = normalise_name(name)
    if key in _DRUG_ALIASES:
        return DRUGS[_DRUG_ALIASES[key]]
    raise UnknownNameError("drug", name, tuple(DRUGS))


# canonical earlier-treatment class -> (plain description, classes it implies)
TREATMENTS: Mapping[str, tuple[str, tuple[str, ...]]] = MappingProxyType(
    {
        "surgery": ("surgery to remove the cancer completely", ()),
        "radiotherapy": ("radiotherapy", ()),
        "chemotherapy": ("chemotherapy", ()),
        "platinum-chemotherapy": ("platinum-based chemotherapy", ("chemotherapy",)),
        "fluoropyrimidine-chemotherapy": ("fluoropyrimidine-based chemotherapy", ("chemotherapy",)),
        "anthracycline": ("an anthracycline (chemotherapy)", ("chemotherapy",)),
        "taxane": ("a taxane (chemotherapy)", ("chemotherapy",)),
        "chemoimmunotherapy": (
            "chemoimmunotherapy (anti-CD20 antibody with chemotherapy)",
            ("chemotherapy", "anti-cd20"),
        ),
        "anti-cd20": ("an anti-CD20 antibody", ()),
        "anti-pd-1": ("a PD-1 or PD-L1 checkpoint inhibitor", ()),
        "anti-ctla-4": ("a CTLA-4 checkpoint inhibitor", ()),
        "anti-her2": ("HER2-targeted treatment", ()),
        "braf-mek-inhibitor": ("a BRAF or MEK inhibitor", ()),
        "vegf-tki": ("a VEGF-targeted tyrosine kinase inhibitor", ()),
        "interleukin-2": ("interleukin-2", ()),
        "oncolytic-virus": ("an oncolytic virus", ()),
        "interferon-alfa": ("interferon alfa", ()),
        "hydroxycarbamide": ("hydroxycarbamide (hydroxyurea)", ()),
        "venesection": ("venesection (phlebotomy)", ()),
        "blinatumomab": ("blinatumomab", ()),
        "autologous-transplant": ("an autologous stem-cell transplant", ()),
        "allogeneic-transplant": ("an allogeneic stem-cell transplant", ()),
        "car-t": ("CAR T-cell therapy", ()),
        "chemoradiotherapy": ("chemoradiotherapy (chemotherapy given with radiotherapy)", ("chemotherapy", "radiotherapy")),
        "platinum-chemoradiotherapy": (
            "platinum-based chemoradiotherapy",
            ("chemoradiotherapy", "platinum-chemotherapy", "chemotherapy", "radiotherapy"),
        ),
        "anti-lag-3": ("a LAG-3 checkpoint inhibitor", ()),
        "anti-cd38": ("an anti-CD38 antibody (daratumumab, isatuximab)", ()),
        "anti-slamf7": ("an anti-SLAMF7 antibody (elotuzumab)", ()),
        "anti-cd19": ("an anti-CD19 antibody", ()),
        "anti-gd2": ("an anti-GD2 antibody", ()),
        "anti-ccr4": ("an anti-CCR4 antibody", ()),
        "il-2-fusion-toxin": ("an IL-2 receptor-directed fusion toxin (denileukin diftitox)", ()),
        "anti-cldn18": ("an anti-claudin-18.2 antibody", ()),
        "t-cell-engager": ("a bispecific T-cell engager", ()),
        "bcma-directed": ("a BCMA-directed treatment (CAR-T or bispecific antibody)", ()),
        "bcg": ("intravesical BCG", ()),
        "cellular-vaccine": ("a cellular cancer vaccine", ()),
        "gene-therapy": ("an intravesical gene therapy", ()),
        "il-15": ("an IL-15 superagonist", ()),
        "adoptive-t-cells": ("tumour-infiltrating lymphocyte or TCR T-cell therapy", ()),
        "proteasome-inhibitor": ("a proteasome inhibitor (bortezomib, carfilzomib, ixazomib)", ()),
        "immunomodulatory-drug": ("an immunomodulatory drug (lenalidomide, pomalidomide, thalidomide)", ()),
        "btk-inhibitor": ("a BTK inhibitor (ibrutinib, acalabrutinib, zanubrutinib, pirtobrutinib)", ()),
        "bcl2-inhibitor": ("a BCL-2 inhibitor (venetoclax)", ()),
        "hedgehog-inhibitor": ("a hedgehog-pathway inhibitor (vismodegib, sonidegib)", ()),
        "brentuximab-vedotin": ("brentuximab vedotin", ()),
        "sorafenib-or-lenvatinib": ("sorafenib or lenvatinib (multi-kinase inhibitors)", ("vegf-tki",)),
        "egfr-alk-targeted": ("EGFR- or ALK-targeted treatment", ()),
        "hormone-therapy": ("hormone (androgen-deprivation) therapy", ()),
    }
)
_TREATMENT_ALIASES = {
    **{t: t for t in TREATMENTS},
    "resection": "surgery",
    "complete-resection": "surgery",
    "excision": "surgery",
    "nephrectomy": "surgery",
    "mastectomy": "surgery",
    "lumpectomy": "surgery",
    "operation": "surgery",
    "radiation": "radiotherapy",
    "chemo": "chemotherapy",
    "platinum": "platinum-chemotherapy",
    "platinum-based-chemotherapy": "platinum-chemotherapy",
    "cisplatin": "platinum-chemotherapy",
    "carboplatin": "platinum-chemotherapy",
    "fluoropyrimidine": "fluoropyrimidine-chemotherapy",
    "fluorouracil": "fluoropyrimidine-chemotherapy",
    "5-fu": "fluoropyrimidine-chemotherapy",
    "capecitabine": "fluoropyrimidine-chemotherapy",
    "folfox": "fluoropyrimidine-chemotherapy",
    "folfiri": "fluoropyrimidine-chemotherapy",
    "capox": "fluoropyrimidine-chemotherapy",
    "xelox": "fluoropyrimidine-chemotherapy",
    "doxorubicin": "anthracycline",
    "epirubicin": "anthracycline",
    "paclitaxel": "taxane",
    "docetaxel": "taxane",
    "r-chop": "chemoimmunotherapy",
    "r-cvp": "chemoimmunotherapy",
    "bendamustine-rituximab": "chemoimmunotherapy",
    "bendamustine": "chemotherapy",  # alkylating agent of indolent-lymphoma regimens (BR)
    "chlorambucil": "chemotherapy",
    "cyclophosphamide": "chemotherapy",
    "obinutuzumab": "anti-cd20",
    "anti-pd-l1": "anti-pd-1",
    "durvalumab": "anti-pd-1",
    "cemiplimab": "anti-pd-1",
    "tremelimumab": "anti-ctla-4",
    "pertuzumab": "anti-her2",
    "zanidatamab": "anti-her2",
    "zenocutuzumab": "anti-her2",
    "dabrafenib": "braf-mek-inhibitor",
    "vemurafenib": "braf-mek-inhibitor",
    "encorafenib": "braf-mek-inhibitor",
    "trametinib": "braf-mek-inhibitor",
    "binimetinib": "braf-mek-inhibitor",
    "cobimetinib": "braf-mek-inhibitor",
    "sunitinib": "vegf-tki",
    "pazopanib": "vegf-tki",
    "axitinib": "vegf-tki",
    "cabozantinib": "vegf-tki",
    "tivozanib": "vegf-tki",
    "hydroxyurea": "hydroxycarbamide",
    "phlebotomy": "venesection",
    "interferon": "interferon-alfa",
    "asct": "autologous-transplant",
    "auto-sct": "autologous-transplant",
    "autologous-stem-cell-transplant": "autologous-transplant",
    "allo-sct": "allogeneic-transplant",
    "allogeneic-stem-cell-transplant": "allogeneic-transplant",
    "stem-cell-transplant": "allogeneic-transplant",
    "bone-marrow-transplant": "allogeneic-transplant",
    "car-t-cell-therapy": "car-t",
    "chemoradiation": "chemoradiotherapy",
    "crt": "chemoradiotherapy",
    "concurrent-chemoradiotherapy": "chemoradiotherapy",
    "platinum-chemoradiation": "platinum-chemoradiotherapy",
    "bortezomib": "proteasome-inhibitor",
    "carfilzomib": "proteasome-inhibitor",
    "ixazomib": "proteasome-inhibitor",
    "lenalidomide": "immunomodulatory-drug",
    "pomalidomide": "immunomodulatory-drug",
    "thalidomide": "immunomodulatory-drug",
    "imid": "immunomodulatory-drug",
    "ibrutinib": "btk-inhibitor",
    "acalabrutinib": "btk-inhibitor",
    "zanubrutinib": "btk-inhibitor",
    "pirtobrutinib": "btk-inhibitor",
    "venetoclax": "bcl2-inhibitor",
    "vismodegib": "hedgehog-inhibitor",
    "sonidegib": "hedgehog-inhibitor",
    "brentuximab": "brentuximab-vedotin",
    "sorafenib": "sorafenib-or-lenvatinib",
    "lenvatinib": "sorafenib-or-lenvatinib",
    "osimertinib": "egfr-alk-targeted",
    "alectinib": "egfr-alk-targeted",
    "lorlatinib": "egfr-alk-targeted",
    "bcg-immunotherapy": "bcg",
    "adt": "hormone-therapy",
    "androgen-deprivation-therapy": "hormone-therapy",
    "gemcitabine": "chemotherapy",
    "pemetrexed": "chemotherapy",
    "etoposide": "chemotherapy",
    "oxaliplatin": "platinum-chemotherapy",
    "irinotecan": "chemotherapy",
    "topotecan": "chemotherapy",
    "lurbinectedin": "chemotherapy",
    "ifosfamide": "chemotherapy",
    "trabectedin": "chemotherapy",
    "flot": "platinum-chemotherapy",
}


def resolve_treatment(name: str) -> tuple[str, ...]:
    """The earlier-treatment classes a name stands for, most specific first.

    A drug in the table counts as itself and as its class
    (``"pembrolizumab"`` -> ``("pembrolizumab", "anti-pd-1")``); a class
    brings the classes it implies (``"r-chop"`` -> chemoimmunotherapy,
    chemotherapy, anti-CD20).

    Raises
    ------
    UnknownNameError
        If the name is not known; the message lists the accepted classes.
    """
    key = normalise_name(name)
    out: list[str] = []
    if key in _DRUG_ALIASES:
        d = DRUGS[_DRUG_ALIASES[key]]
        out.append(d.id)
        key = d.treatment_class
    elif key in _TREATMENT_ALIASES:
        key = _TREATMENT_ALIASES[key]
    else:
        raise UnknownNameError(
            "earlier treatment", name, tuple(TREATMENTS) + ("(or any drug in the table, by name or brand)",)
        )
    stack = [key]
    while stack:
        k = stack.pop(0)
        if k not in out:
            out.append(k)
        if k in TREATMENTS:
            stack.extend(TREATMENTS[k][1])
    return tuple(out)
