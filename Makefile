# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-all env clean gallery bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $(STAMP)

env: $(STAMP)

demo: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m oncoimmune.demo --out out/demo

test: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q

test-all: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -m ''

# Checkpoint-inhibitor cohort benchmark (batched engine vs SciPy and libRoadRunner loops, 1e6-patient
# streamed trial); about 3-4 minutes on 2 cores. Writes docs/benchmarks.md. Options: BENCH_ARGS="--n 1000".
bench: $(STAMP)
	ONCOIMMUNE_BENCH_MAKE=1 $(BIN)/python benchmarks/bench_cohort.py --million $(BENCH_ARGS)
	$(BIN)/python benchmarks/bench_trial.py $(BENCH_TRIAL_ARGS)

clean:
	rm -rf $(VENV) out build *.egg-info src/*.egg-info
