"""Bad PEtab input: one error naming the file, the line (header = line 1) and the column; CLI exit 2."""

import subprocess
import sys
from pathlib import Path

import pytest

import oncoimmune
from oncoimmune.fit import PetabInputError, load_problem

ENV_SRC = str(Path(oncoimmune.__file__).resolve().parents[1])


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


CASES = [
    ("measurements.tsv", "tumour\tsmall\t10\t", "tumor\tsmall\t10\t", "measurements.tsv, line 3, column 'observableId'",
     "unknown observable 'tumor'"),
    ("measurements.tsv", "small\t20\t1.240310e+07", "small\t20\tNaN", "measurements.tsv, line 4, column 'measurement'",
     "NaN"),
    ("measurements.tsv", "tumour\tlarge\t0\t", "tumour\thuge\t0\t", "column 'simulationConditionId'", "unknown condition"),
    ("parameters.tsv", "a\ttumour growth rate (1/day)\tlog10\t0.01\t1\t", "a\ttumour growth rate (1/day)\tlog10\t1\t0.01\t",
     "parameters.tsv, line 2, column 'lowerBound'", "swap them"),
    ("parameters.tsv", "n\tkill rate (1/(cell day))\tlog10\t", "n\tkill rate (1/(cell day))\t\t",
     "parameters.tsv, line 3, column 'parameterScale'", "no scale"),
    ("parameters.tsv", "p\tmaximal recruitment (1/day)\tlog10\t0.01", "p\tmaximal recruitment (1/day)\tlog10\t-1",
     "parameters.tsv, line 4, column 'lowerBound'", "lowerBound > 0"),
    ("observables.tsv", "tumour cells\tT\t", "tumour cells\tT + Q\t", "observables.tsv, line 2, column 'observableFormula'",
     "unknown id 'Q'"),
    ("observables.tsv", "tumour cells\tT\t", "tumour cells\tT +* 2\t", "column 'observableFormula'", "cannot parse"),
    ("conditions.tsv", "small\tstart from 1e6 tumour cells\t1e6", "small\tstart from 1e6 tumour cells\tT0",
     "conditions.tsv, line 2, column 'T'", "neither a number nor a parameter-table id"),
    ("measurements.tsv", "small\t0\t1.000985e+06\tsigma", "small\t0\t1.000985e+06\tsigma;2",
     "measurements.tsv, line 2, column 'noiseParameters'", "needs 1 value"),
    # unknown ids in the parameter table and in the measurements' overrides
    ("parameters.tsv", "p\tmaximal recruitment (1/day)\tlog10\t0.01\t1\t0.1\t1\n",
     "p\tmaximal recruitment (1/day)\tlog10\t0.01\t1\t0.1\t1\nkx\ttypo of k\tlog10\t0.1\t1\t0.5\t1\n",
     "parameters.tsv, line 5, column 'parameterId'", "'kx' is not a model parameter or state"),
    ("measurements.tsv", "small\t20\t1.240310e+07\tsigma", "small\t20\t1.240310e+07\tsigmo",
     "measurements.tsv, line 4, column 'noiseParameters'", "'sigmo' is neither a number nor a parameter-table id"),
    # NaN and non-numbers elsewhere than the measurement column
    ("measurements.tsv", "small\t20\t1.240310e+07", "small\tNaN\t1.240310e+07",
     "measurements.tsv, line 4, column 'time'", "NaN is not allowed"),
    ("measurements.tsv", "small\t20\t1.240310e+07", "small\t20\t",
     "measurements.tsv, line 4, column 'measurement'", "'' is not a number"),
    ("parameters.tsv", "a\ttumour growth rate (1/day)\tlog10\t0.01\t", "a\ttumour growth rate (1/day)\tlog10\tNaN\t",
     "parameters.tsv, line 2, column 'lowerBound'", "NaN is not allowed"),
    # a scale that is not one of PEtab's
    ("parameters.tsv", "a\ttumour growth rate (1/day)\tlog10\t", "a\ttumour growth rate (1/day)\tlog2\t",
     "parameters.tsv, line 2, column 'parameterScale'", "'log2' is not a scale"),
]


@pytest.mark.parametrize("fname, old, new, where, what", CASES)
def test_bad_tables_name_file_line_column(problem_dir, fname, old, new, where, what):
    _edit(problem_dir / fname, old, new)
    with pytest.raises(PetabInputError) as info:
        load_problem(problem_dir / "problem.yaml")
    msg = str(info.value)
    assert where in msg and what in msg, msg


def test_unknown_condition_column(problem_dir):
    _edit(problem_dir / "conditions.tsv", "conditionId\tconditionName\tT", "conditionId\tconditionName\tTumour")
    with pytest.raises(PetabInputError, match=r"conditions.tsv, column 'Tumour'.*not a parameter or state"):
        load_problem(problem_dir / "problem.yaml")


def test_unknown_library_model_and_missing_table(problem_dir):
    _edit(problem_dir / "problem.yaml", "oncoimmune_model: kuznetsov1994", "oncoimmune_model: kuznetsov")
    with pytest.raises(PetabInputError, match="problem.yaml: oncoimmune_model: unknown model 'kuznetsov'"):
        load_problem(problem_dir / "problem.yaml")
    _edit(problem_dir / "problem.yaml", "oncoimmune_model: kuznetsov", "oncoimmune_model: kuznetsov1994")
    (problem_dir / "observables.tsv").unlink()
    with pytest.raises(PetabInputError, match="observables.tsv: the observable table does not exist"):
        load_problem(problem_dir / "problem.yaml")


CLI_CASES = [c[:4] for c in (CASES[0], CASES[1], CASES[3], CASES[4], CASES[10])]  # unknown ids, NaN, bounds, scale


@pytest.mark.parametrize("fname, old, new, where", CLI_CASES)
def test_cli_exit_2_one_line(problem_dir, tmp_path, fname, old, new, where):
    _edit(problem_dir / fname, old, new)
    r = subprocess.run([sys.executable, "-m", "oncoimmune", "fit", str(problem_dir / "problem.yaml"), "--out",
                        str(tmp_path / "out")], capture_output=True, text=True,
                       env={"PYTHONPATH": ENV_SRC, "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2, r.stderr
    assert where in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()
