"""Escape mechanisms on Kuznetsov et al. (1994).

Reference values: with the published BCL1 parameter estimates (Kuznetsov VA,
Makalkin IA, Taylor MA, Perelson AS 1994, Bull Math Biol 56:295-321,
doi:10.1007/BF02460644; equilibria as listed in
:mod:`oncoimmune.library.kuznetsov1994`) a 1e6-cell challenge settles into a
dormant tumour of about 8.19e6 cells (stable focus), and a tumour above the
escape saddle (about 2.68e8 cells) grows to about 4.47e8 cells.

Escape is scored as in :func:`oncoimmune.biology.escape.escape_threshold`:
more than 1e8 tumour cells at day 1500.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoimmune._errors import ModelSpecError, ParameterValueError, UnknownNameError
from oncoimmune.biology import roles
from oncoimmune.biology import escape as esc
from oncoimmune.library import get_model, kuznetsov1994
from oncoimmune.model import Model, Parameter, Source, State, Sym, Term
from oncoimmune.simulate import simulate

DAYS = 1500.0
DORMANT = 8.19e6  # Kuznetsov 1994: dormant equilibrium
ESCAPED = 4.47e8  # Kuznetsov 1994: escaped equilibrium


@pytest.fixture(scope="module")
def kuz() -> Model:
    return get_model("kuznetsov1994")


def final(model: Model, **kw) -> float:
    return esc.final_tumour_size(model, DAYS, **kw)


def run(model: Model) -> tuple[np.ndarray, np.ndarray]:
    ds = simulate(model, 300.0)
    return ds["T"].values, ds["E"].values


def toy_model(tag: set[str]) -> Model:
    """A one-state tumour whose single term carries the roles ``tag``."""
    T, a = Sym("T"), Sym("a")
    return Model(
        id="toy",
        title="toy",
        states=(State("T", 1.0, "cells", "tumour cells"),),
        parameters=(Parameter("a", 0.1, "1/day", "growth rate", Source("test fixture")),),
        terms=(Term("growth", a * T, {"T": 1}, "growth", tag),),
        tumour_state="T",
    )


# strengths at which each mechanism clearly escapes (well above the thresholds in docs/escape.md)
STRONG = {"lymphopenia": 0.8, "pdl1_checkpoint": 2.0, "antigen_loss": 0.5, "immunoediting": 0.6}


def test_baseline_reproduces_published_dormant_and_escaped_states(kuz):
    assert final(kuz) == pytest.approx(DORMANT, rel=0.01)
    assert final(kuz, initial={"T": 5e8}) == pytest.approx(ESCAPED, rel=0.01)


@pytest.mark.parametrize("name", sorted(esc.MECHANISMS))
def test_enough_strength_turns_control_into_escape(kuz, name):
    mech = esc.get_mechanism(name)
    m = mech(kuz, STRONG[name])
    size = final(m)
    assert size > esc.ESCAPE_CELLS
    # it ends near an escaped (large, stable) state, not in transit
    assert size > 0.9 * ESCAPED


@pytest.mark.parametrize("name", sorted(esc.MECHANISMS))
def test_final_tumour_is_monotone_in_strength(kuz, name):
    mech = esc.get_mechanism(name)
    lo, hi = mech.sweep_range
    grid = np.linspace(lo, hi, 7)
    sizes = esc.dose_response(mech, kuz, grid, days=DAYS)
    assert np.all(np.diff(sizes) >= 0), dict(zip(grid.round(3), sizes))
    assert sizes[0] < esc.ESCAPE_CELLS < sizes[-1]


@pytest.mark.parametrize("name", ["lymphopenia", "pdl1_checkpoint", "antigen_loss"])
def test_strength_zero_reproduces_baseline_exactly(kuz, name):
    T0, E0 = run(kuz)
    T1, E1 = run(esc.get_mechanism(name)(kuz, 0.0))
    np.testing.assert_array_equal(T1, T0)
    np.testing.assert_array_equal(E1, E0)


def test_immunoediting_at_zero_matches_baseline_to_tolerance(kuz):
    # an extra (constant) state changes the solver's error norm, so only to tolerance
    m = esc.immunoediting(kuz, 0.0)
    ds = simulate(m, 300.0)
    T0, E0 = run(kuz)
    np.testing.assert_allclose(ds["T"].values, T0, rtol=1e-5)
    np.testing.assert_allclose(ds["E"].values, E0, rtol=1e-5)
    assert np.all(ds[esc.VARIANT_STATE].values == 1e-3)


@pytest.mark.parametrize("name", sorted(esc.MECHANISMS))
def test_mechanisms_are_pure(kuz, name):
    before = (kuz.to_dict(), kuz.terms, kuz.parameters, kuz.states, kuz.references, kuz.notes)
    mech = esc.get_mechanism(name)
    out = mech(kuz, 0.5 * mech.sweep_range[1])
    after = (kuz.to_dict(), kuz.terms, kuz.parameters, kuz.states, kuz.references, kuz.notes)
    assert after == before
    assert kuznetsov1994.build() == kuz
    assert out is not kuz and out.equations() != kuz.equations()
    assert mech.strength_parameter not in kuz.parameter_names
    assert out.parameter(mech.strength_parameter).value == 0.5 * mech.sweep_range[1]


@pytest.mark.parametrize(
    "name, bad",
    [
        (n, b)
        for n in ("lymphopenia", "antigen_loss", "immunoediting")
        for b in (-0.1, 1.5, math.nan, math.inf, "strong", None, True)
    ]
    + [("pdl1_checkpoint", b) for b in (-1.0, math.nan, math.inf, "high", None, False)],
)
def test_bad_strengths_raise_naming_strength_and_range(kuz, name, bad):
    with pytest.raises(ParameterValueError) as ei:
        esc.get_mechanism(name)(kuz, bad)
    msg = str(ei.value)
    assert "`strength`" in msg and name in msg
    assert ("[0, 1]" in msg) if name != "pdl1_checkpoint" else ("[0, inf)" in msg)


@pytest.mark.parametrize(
    "name, present",
    [
        ("lymphopenia", {roles.KILL}),
        ("pdl1_checkpoint", {roles.EFFECTOR_SUPPLY}),
        ("antigen_loss", {roles.EFFECTOR_SUPPLY}),
        ("immunoediting", {roles.EFFECTOR_SUPPLY}),
    ],
)
def test_missing_roles_raise_model_spec_error(name, present):
    with pytest.raises(ModelSpecError, match="needs a model with at least one term tagged"):
        esc.get_mechanism(name)(toy_model(present), 0.5)


@pytest.mark.parametrize("name", sorted(esc.MECHANISMS))
def test_applying_twice_is_refused_with_the_fix(kuz, name):
    mech = esc.get_mechanism(name)
    once = mech(kuz, 0.1)
    with pytest.raises(ModelSpecError, match="with_parameters"):
        mech(once, 0.2)


def test_strength_can_be_changed_later_with_with_parameters(kuz):
    late = esc.antigen_loss(kuz, 0.0).with_parameters(antigen_loss=0.5)
    np.testing.assert_array_equal(run(late)[0], run(esc.antigen_loss(kuz, 0.5))[0])
    with pytest.raises(ParameterValueError):
        esc.antigen_loss(kuz, 0.0).with_parameters(antigen_loss=1.2)


def test_lymphopenia_rescales_resident_effectors(kuz):
    e0 = kuz.state("E").initial
    assert esc.lymphopenia(kuz, 0.4).state("E").initial == pytest.approx(0.6 * e0)
    assert esc.lymphopenia(kuz, 0.4, rescale_initial=False).state("E").initial == e0


def test_pd1_blockade_releases_pdl1_but_not_antigen_loss(kuz):
    braked = esc.pdl1_checkpoint(kuz, STRONG["pdl1_checkpoint"])
    assert final(braked) > esc.ESCAPE_CELLS
    released = braked.with_parameters({esc.PD1_OCCUPANCY: 1.0})
    # full occupancy makes the brake exactly 1: the baseline comes back bit for bit
    np.testing.assert_array_equal(run(released)[0], run(kuz)[0])
    hidden = esc.antigen_loss(braked, STRONG["antigen_loss"]).with_parameters({esc.PD1_OCCUPANCY: 1.0})
    assert final(hidden) > esc.ESCAPE_CELLS


def test_pdl1_brake_equals_uniform_loss_of_one_minus_factor(kuz):
    # 1/(1+q) on the same roles as antigen loss f = q/(1+q): identical rate laws, same dynamics
    q = 0.5
    a = run(esc.pdl1_checkpoint(kuz, q))[0]
    b = run(esc.antigen_loss(kuz, q / (1.0 + q)))[0]
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_pdl1_reuses_an_existing_occupancy(kuz):
    occ = Parameter(esc.PD1_OCCUPANCY, 0.3, "1", "set by a therapy", Source("test fixture"), bounds=(0, 1))
    m = esc.pdl1_checkpoint(kuz.add(parameters=(occ,)), 1.0)
    assert m.parameter(esc.PD1_OCCUPANCY) == occ


def test_immunoediting_selects_variants_under_immune_attack(kuz):
    ds = simulate(esc.immunoediting(kuz, 0.2), 400.0)
    nu = ds[esc.VARIANT_STATE].values
    assert np.all(np.diff(nu) >= -1e-12)
    assert nu[0] == pytest.approx(1e-3) and nu[-1] > 0.99


def test_immunoediting_needs_a_tumour_state(kuz):
    from dataclasses import replace

    with pytest.raises(ModelSpecError, match="tumour_state"):
        esc.immunoediting(replace(kuz, tumour_state=None), 0.5)
    with pytest.raises(ParameterValueError, match="variant_fraction0"):
        esc.immunoediting(kuz, 0.5, variant_fraction0=2.0)


@pytest.mark.parametrize("name", sorted(esc.MECHANISMS))
def test_added_parameters_cite_a_source_and_flag_assumptions(kuz, name):
    mech = esc.get_mechanism(name)
    out = mech(kuz, 0.1)
    new = [p for p in out.parameters if p.name not in kuz.parameter_names]
    assert new
    for p in new:
        assert p.source.citation.strip() and p.source.location.strip()
        assert "assumption" in p.source.note.lower()
    assert mech.describe().startswith(mech.title)


def test_registry_refuses_unknown_names_with_the_list():
    with pytest.raises(UnknownNameError) as ei:
        esc.get_mechanism("camouflage")
    for n in esc.MECHANISMS:
        assert n in str(ei.value)
    assert [m.name for m in esc.list_mechanisms()] == list(esc.MECHANISMS)
    assert esc.MECHANISMS["pdl1_checkpoint"].reversible_by_checkpoint_blockade
    assert not esc.MECHANISMS["antigen_loss"].reversible_by_checkpoint_blockade


def test_escape_threshold_brackets_the_switch(kuz):
    th = esc.escape_threshold("antigen_loss", kuz, xtol=1e-3)
    assert 0.05 < th < 0.3
    assert final(esc.antigen_loss(kuz, th)) > esc.ESCAPE_CELLS
    assert final(esc.antigen_loss(kuz, th - 2e-3)) < esc.ESCAPE_CELLS
    with pytest.raises(ParameterValueError, match="bracket"):
        esc.escape_threshold("antigen_loss", kuz, bracket=(0.0, 0.05))


def test_occupancy_can_be_linked_to_a_drug_observable(kuz):
    from oncoimmune.model import Observable

    braked = esc.pdl1_checkpoint(kuz, STRONG["pdl1_checkpoint"])
    drug = Parameter("ro_fixed", 1.0, "1", "stand-in drug occupancy", Source("test fixture"), bounds=(0, 1))
    linked = esc.link_pd1_occupancy(
        braked.add(parameters=(drug,), observables=(Observable("drug_RO", Sym("ro_fixed"), "1", "RO"),)),
        "drug_RO",
    )
    assert esc.PD1_OCCUPANCY in linked.observable_names
    assert esc.PD1_OCCUPANCY in braked.parameter_names  # input unchanged
    np.testing.assert_array_equal(run(linked)[0], run(kuz)[0])
    with pytest.raises(ModelSpecError, match="pdl1_checkpoint"):
        esc.link_pd1_occupancy(kuz, "drug_RO")
    with pytest.raises(ModelSpecError, match="unknown symbol"):
        esc.link_pd1_occupancy(braked, "no_such_drug_RO")
