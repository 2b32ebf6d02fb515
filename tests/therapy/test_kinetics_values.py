"""``AbstractKinetics.values`` gives exactly the values ``add_to`` puts into a model, at any weight."""

from __future__ import annotations

import pytest

from oncoimmune.library import get_model
from oncoimmune.therapy.catalogue import get_drug


@pytest.mark.parametrize("name", ["pembrolizumab", "nivolumab", "tislelizumab", "aldesleukin"])
@pytest.mark.parametrize("weight", [48.0, 70.0, 112.5])
def test_values_equal_what_add_to_puts_in_a_model(name, weight):
    drug = get_drug(name)
    if not drug.kinetics.simulable or drug.kinetics.mechanism_creates_state:
        pytest.skip(f"{name}: kinetics not added on their own")
    base = get_model("kuznetsov1994")
    m = drug.kinetics.add_to(base, drug.prefix, weight_kg=weight)
    added = {k: v for k, v in {**m.parameter_values, **m.initial_values}.items()
             if k not in base.parameter_names and k not in base.state_names}
    assert drug.kinetics.values(drug.prefix, weight_kg=weight) == added
