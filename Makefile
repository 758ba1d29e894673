# Two commands on a fresh machine: `make run` serves on the embedded SQLite default, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 3978
# The suite runs on one worker per core (pytest-xdist): most tests wait on sockets, subprocesses and databases.
TEST_WORKERS ?= auto

.PHONY: run test bench install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/ticketbot serve --host $(HOST) --port $(PORT)

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Benchmarks against the bare frameworks, at scale, CLI start-up and memory (bench/README.md). Prints tables; a
# slow figure never fails it. PostgreSQL rows need BENCH_POSTGRES_URL or TICKETBOT_TEST_POSTGRES_URL.
bench: install-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
