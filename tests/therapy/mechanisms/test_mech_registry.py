"""The mechanism registry: keys, records, sources, refusals."""

from __future__ import annotations

import dataclasses

import pytest

from oncoimmune._errors import ModelSpecError, ParameterValueError, UnknownNameError
from oncoimmune.library import get_model
from oncoimmune.model import Parameter, Source
from oncoimmune.therapy.mechanisms import MECHANISMS, Mechanism, get_mechanism, list_mechanisms

KEYS = {
    "pd1_blockade",
    "pdl1_blockade",
    "ctla4_blockade",
    "adcc_cd20",
    "adcc_her2",
    "vaccine_peptide",
    "vaccine_dc",
    "oncolytic_virus",
    "il2",
    "ifn_alpha",
    "car_t",
}


def test_registry_has_every_agreed_key():
    """The keys agreed with the drug catalogue (therapy/catalogue.py MECHANISM_KEYS)."""
    assert set(MECHANISMS) == KEYS
    assert [m.name for m in list_mechanisms()] == list(MECHANISMS)


def test_catalogue_keys_are_all_registered():
    catalogue = pytest.importorskip("oncoimmune.therapy.catalogue")
    assert set(catalogue.MECHANISM_KEYS) <= set(MECHANISMS)


@pytest.mark.parametrize("key", sorted(KEYS))
def test_records_are_frozen_with_sourced_parameters(key):
    mech = MECHANISMS[key]
    assert isinstance(mech, Mechanism)
    with pytest.raises(dataclasses.FrozenInstanceError):
        mech.name = "x"  # type: ignore[misc]
    assert mech.description and mech.exposure and mech.title
    assert mech.therapy_class in {
        "checkpoint_inhibitor",
        "monoclonal_antibody",
        "vaccine",
        "oncolytic_virus",
        "cytokine",
        "car_t",
    }
    assert mech.references and all(isinstance(r, Source) for r in mech.references)
    for p in mech.parameters:
        assert isinstance(p, Parameter)
        assert p.source.citation and (p.source.location or p.source.note), p.name
    text = mech.describe()
    assert mech.name in text and "Source" in text


def test_get_mechanism_refuses_unknown_names_with_the_list():
    with pytest.raises(UnknownNameError, match="pd1_blockade"):
        get_mechanism("pd-1")
    assert get_mechanism(MECHANISMS["il2"]) is MECHANISMS["il2"]


def test_unknown_parameter_and_bad_exposure_are_refused():
    m = get_model("kirschner_panetta1998").add(
        parameters=(Parameter("dose", 0.0, "IL-2 units/day", "input", Source("test")),)
    )
    with pytest.raises(UnknownNameError, match="gain"):
        MECHANISMS["il2"].apply(m, exposure="dose", gian=2.0)
    with pytest.raises(UnknownNameError, match="exposure"):
        MECHANISMS["il2"].apply(m, exposure="no_such_name")
    with pytest.raises(ParameterValueError):
        MECHANISMS["il2"].apply(m, exposure="dose", gain=-1.0)
    with pytest.raises(ModelSpecError, match="prefix"):
        MECHANISMS["il2"].apply(m, exposure="dose", prefix="1bad")


def test_applying_twice_with_the_same_prefix_is_refused():
    m = get_model("kirschner_panetta1998").add(
        parameters=(Parameter("dose", 0.0, "IL-2 units/day", "input", Source("test")),)
    )
    m1 = MECHANISMS["il2"].apply(m, exposure="dose")
    with pytest.raises(ModelSpecError):
        MECHANISMS["il2"].apply(m1, exposure="dose")


@pytest.mark.parametrize("key", sorted(KEYS))
def test_apply_is_pure(key):
    """A mechanism never modifies its input model (models are immutable; this checks equality)."""
    cases = {
        "pd1_blockade": ("kuznetsov1994", {"exposure": 0.5, "engagement": 1.0, "exposure_kind": "occupancy"}),
        "pdl1_blockade": ("kuznetsov1994", {"exposure": 0.5, "engagement": 1.0, "exposure_kind": "occupancy"}),
        "ctla4_blockade": ("kuznetsov1994", {"exposure": 0.5, "exposure_kind": "occupancy"}),
        "adcc_cd20": ("depillis2005", {"exposure": 0.5, "exposure_kind": "occupancy"}),
        "adcc_her2": ("depillis2005", {"exposure": 0.5, "exposure_kind": "occupancy"}),
        "vaccine_peptide": ("kuznetsov1994", {"exposure": "vaccine_antigen"}),
        "vaccine_dc": ("kuznetsov1994", {"exposure": "vaccine_dcs"}),
        "oncolytic_virus": ("wodarz2001", {"exposure": "virus"}),
        "il2": ("kirschner_panetta1998", {"exposure": 1.0e6}),
        "ifn_alpha": ("andersen2017_mpn", {"exposure": 1.0}),
        "car_t": ("kuznetsov1994", {"exposure": "cart"}),
    }
    model_id, kw = cases[key]
    m = get_model(model_id)
    before = (m.states, m.parameters, m.terms, m.observables)
    out = MECHANISMS[key].apply(m, **kw)
    assert (m.states, m.parameters, m.terms, m.observables) == before
    assert out != m
