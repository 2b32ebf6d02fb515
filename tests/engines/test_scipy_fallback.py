"""The reference engine's default method falls back to Radau when LSODA fails numerically (issue 9)."""

from __future__ import annotations

import dataclasses

import pytest

from oncoimmune import simulate
from oncoimmune.engines.scipy_engine import ScipyEngine
from oncoimmune.library import get_model


@pytest.fixture
def lsoda_fails(monkeypatch):
    real = ScipyEngine._solve_with
    calls = []

    def forced(self, pb, method):
        calls.append(method)
        sol = real(self, pb, method)
        if method == "LSODA":  # what the issue saw on nsclc_tgi_immune patients
            return dataclasses.replace(sol, status="failed", reason="non-finite Jacobian at t=12.3 d")
        return sol

    monkeypatch.setattr(ScipyEngine, "_solve_with", forced)
    return calls


def test_default_method_falls_back_to_radau(lsoda_fails):
    ds = simulate(get_model("kuznetsov1994"), 50.0)
    assert lsoda_fails == ["LSODA", "Radau"]
    assert ds.attrs["status"] == "ok" and ds.attrs["method"] == "LSODA->Radau"
    assert "LSODA failed (non-finite Jacobian at t=12.3 d)" in ds.attrs["status_warning"]
    ref = simulate(get_model("kuznetsov1994"), 50.0, method="Radau")
    assert abs(float(ds["T"][-1]) / float(ref["T"][-1]) - 1) < 1e-12


def test_an_explicit_method_is_never_replaced(lsoda_fails):
    ds = simulate(get_model("kuznetsov1994"), 50.0, method="LSODA")
    assert lsoda_fails == ["LSODA"] and ds.attrs["status"] == "failed"


def test_a_budget_failure_is_not_retried():
    ds = simulate(get_model("kuznetsov1994"), 50.0, max_nfev=5)
    assert ds.attrs["status"] == "failed" and ds.attrs["method"] == "LSODA"
    assert ds.attrs["status_reason"].startswith("work budget")
