# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-all env clean gallery bench calibrate serve

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

# Benchmarks: the checkpoint-inhibitor cohort (batched engine vs SciPy and libRoadRunner loops, 1e6-patient
# streamed trial; about 3-4 minutes on 2 cores) and the stiff cohorts (batched engine vs numbalsoda LSODA, a
# hand-written Numba DOPRI5, libRoadRunner and SciPy; stiff cohort of issue 14, de Pillis 2005 under
# chemotherapy, Kimmel 2021 CAR-T). Each replaces its own section of docs/benchmarks.md; raw results in
# out/bench. numbalsoda builds from source and needs gfortran (installed here with apt-get when missing).
# Options: BENCH_ARGS="--n 1000" (cohort), STIFF_ARGS="--n 2000" (stiff).
bench: $(STAMP)
	command -v gfortran >/dev/null 2>&1 || (command -v apt-get >/dev/null 2>&1 && apt-get install -y gfortran) || \
		echo "gfortran not found: numbalsoda may fail to build (install gfortran)"
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	ONCOIMMUNE_BENCH_COMMAND="make bench" $(BIN)/python benchmarks/bench_cohort.py --million --docs docs/benchmarks.md $(BENCH_ARGS)
	ONCOIMMUNE_BENCH_COMMAND="make bench" $(BIN)/python benchmarks/bench_stiff.py --models stiff depillis2005_chemo kimmel2021_cart --docs docs/benchmarks.md $(STIFF_ARGS)

# Joint calibration of the clinical NSCLC model on KEYNOTE-024, KEYNOTE-010, OAK (+ Laleh 2022 lesions)
# with leave-one-trial-out predictions; writes out/calibration/calibration.json and the shipped values
# (src/oncoimmune/data/nsclc_joint_calibration.json). See docs/trial-validation.md.
calibrate: $(STAMP)
	$(BIN)/oncoimmune calibrate --leave-one-out --write $(CALIBRATE_ARGS)

# The web explorer on http://127.0.0.1:8000/ (jobs kept in out/web-data). Options: SERVE_ARGS="--port 8080".
serve: $(STAMP)
	MPLBACKEND=Agg $(BIN)/oncoimmune serve --data out/web-data $(SERVE_ARGS)

clean:
	rm -rf $(VENV) out build *.egg-info src/*.egg-info
