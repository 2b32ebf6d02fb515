# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-all env clean gallery

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

clean:
	rm -rf $(VENV) out build *.egg-info src/*.egg-info
