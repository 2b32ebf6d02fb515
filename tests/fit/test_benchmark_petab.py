"""Benchmark-Models-PEtab: the objective at the published best parameters (the parameter tables' nominal values)
against the reference log-likelihoods of AMICI's benchmark suite (tests/benchmark-models/benchmark_models.yaml,
AMICI-dev/AMICI, BSD-3), relative 1e-3.

Six small problems of the collection (https://github.com/Benchmarking-Initiative/Benchmark-Models-PEtab,
BSD-3) are copied in ``tests/data/petab-benchmarks`` (see its README) and run in every ``make test``; set
ONCOIMMUNE_PETAB_BENCHMARKS to a full copy of its ``Benchmark-Models`` folder to run all ten. A problem
in neither place is skipped, saying so.
"""

import os
from pathlib import Path

import pytest

#: -llh at the nominal parameters (AMICI benchmark_models.yaml, commit b76cc5e; values as "llh").
REFERENCE_LLH = {
    "Boehm_JProteomeRes2014": -138.22199693517703,
    "Sneyd_PNAS2002": 319.79177818768756,
    "Borghans_BiophysChem1997": 83.3237191357272,
    "Elowitz_Nature2000": 63.20279991419332,
    # AMICI-dev/AMICI tests/benchmark_models/benchmark_models.yaml at commit 5c524dd (llh; the objective is -llh)
    "Crauste_CellSystems2017": -190.96521897435176,
    "Fiedler_BMCSystBiol2016": 58.58390161681,
    "Fujita_SciSignal2010": 53.08377736998929,
    "Bruno_JExpBot2016": 46.688176988431806,
    "Beer_MolBioSystems2014": 58622.9145631413,
    "Lucarelli_CellSystems2018": -1681.6059879426584,
}


#: The copied problems (tests/data/petab-benchmarks/README.md).
BUNDLED = Path(__file__).resolve().parents[1] / "data" / "petab-benchmarks"


def _problem(name: str) -> Path:
    p = os.environ.get("ONCOIMMUNE_PETAB_BENCHMARKS")
    for base in ([Path(p)] if p else []) + [BUNDLED]:
        if (base / name / f"{name}.yaml").is_file():
            return base / name / f"{name}.yaml"
    pytest.skip(
        f"{name} is not in tests/data/petab-benchmarks; set ONCOIMMUNE_PETAB_BENCHMARKS to "
        "Benchmark-Models-PEtab/Benchmark-Models to run it"
    )


@pytest.mark.parametrize("name", sorted(REFERENCE_LLH))
def test_objective_at_published_optimum(name):
    from oncoimmune.fit import load_problem

    pb = load_problem(_problem(name))
    f, _ = pb.objective(pb.nominal_scaled(), gradient=False)
    assert f == pytest.approx(-REFERENCE_LLH[name], rel=1e-3)
