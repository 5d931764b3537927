# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test serve lint typecheck bench-solomon bench-fieldservice clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dispatch demo

serve: $(STAMP)
	$(BIN)/dispatch serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto

bench-solomon: $(STAMP)
	$(BIN)/python -m benchmarks.solomon --time-limits 10 30

bench-fieldservice: $(STAMP)
	$(BIN)/python -m benchmarks.fieldservice

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
