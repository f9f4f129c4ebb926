# The README's two commands: `make run` (set up, then run the workflow on config/config.yaml)
# and `make test` (set up, then run the test suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH_VERSION ?= 2.13.0

.PHONY: setup run test lint bench

# torch goes in first, pinned, so that Lightning does not pull another build of it.
$(BIN)/snakemake: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==$(TORCH_VERSION)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/snakemake

# The laptop profile runs each job on one thread (see profiles/laptop/config.yaml).
run: setup
	$(BIN)/snakemake --profile profiles/laptop $(ARGS)

test: setup
	$(BIN)/pytest $(ARGS)

# ruff (lint and format), snakefmt and Snakemake's own linter: each fails on any finding.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check workflow
	$(BIN)/snakemake --lint

bench: setup
	$(BIN)/python tests/bench/bench_simulate.py
