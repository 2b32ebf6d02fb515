"""The log-normal TGI-OS link (Claret 2018 structure) and its growth-rate constant."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oncoimmune._errors import ParameterValueError
from oncoimmune.trials.survival_link import KG_FLOOR, TGIOSLink, growth_rate_constant


def test_kg_of_an_exponential_trajectory_is_its_rate():
    grid = np.arange(0.0, 400.0, 7.0)
    burden = np.vstack([1e10 * np.exp(0.008 * grid), 1e10 * np.exp(-0.01 * grid)])
    kg = growth_rate_constant(grid, burden, np.array([200.0, np.inf]))
    assert kg[0] == pytest.approx(0.008, rel=1e-9)
    assert kg[1] == KG_FLOOR  # still shrinking: the floor


def test_kg_uses_the_six_weeks_before_progression():
    grid = np.arange(0.0, 400.0, 1.0)
    logb = np.where(grid < 100, -0.01 * grid, -1.0 + 0.02 * (grid - 100))
    kg = growth_rate_constant(grid, np.exp(logb)[None, :] * 1e10, np.array([160.0]))
    assert kg[0] == pytest.approx(0.02, rel=1e-9)


def test_median_survival_is_exp_mu_and_faster_growth_shortens_it():
    link = TGIOSLink(intercept=2.5, beta_kg=-0.6, sigma=1.0)
    z = np.zeros(3)
    kg = np.array([0.005, 0.01, 0.02])
    days = link.os_days(z, kg, ecog=[0, 0, 0], prior_lines=[0, 0, 0], squamous=[0, 0, 0], sld0_mm=[90, 90, 90])
    assert days[1] == pytest.approx(math.exp(2.5) * 365.25 / 12)
    assert days[0] > days[1] > days[2]
    assert days[0] / days[1] == pytest.approx(2.0**0.6)


def test_link_validates_its_coefficients():
    with pytest.raises(ParameterValueError, match="sigma"):
        TGIOSLink(sigma=0.0)
    with pytest.raises(ParameterValueError, match="beta_kg"):
        TGIOSLink(beta_kg=float("nan"))
