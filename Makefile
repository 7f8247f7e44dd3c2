# Model Service — `make help` lists the targets. Every target sets up what it needs.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

EXAMPLE_DIRS := $(sort $(dir $(wildcard examples/*/pyproject.toml)))
EXAMPLES_SITE := $(VENV)/examples
EXAMPLES_STAMP := $(EXAMPLES_SITE)/.installed
EXAMPLE_FILES := $(shell find examples -type f -not -path '*/__pycache__/*' -not -path '*.egg-info/*' 2>/dev/null)
export MODEL_SERVICE_EXAMPLES_SITE := $(abspath $(EXAMPLES_SITE))

.PHONY: help venv chromium wrk run dev demo examples test bench steadiness soak openapi fuzz train clean

help: ## List the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): setup.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,examples]"
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the project with its test tools

chromium: ## Install Debian's chromium for the browser tests when it is missing
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

run: venv ## Serve with gunicorn workers on http://$(HOST):$(PORT) (HOST, PORT, WEB_CONCURRENCY)
	$(BIN)/model-service serve

$(EXAMPLES_STAMP): $(STAMP) $(EXAMPLE_FILES)
	rm -rf $(EXAMPLES_SITE)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --target $(EXAMPLES_SITE) $(addprefix ./,$(EXAMPLE_DIRS))
	@touch $@

examples: $(EXAMPLES_STAMP) ## Install the example models (examples/*) into .venv/examples, apart from .venv

demo: examples ## Serve the example models with iris on http://$(HOST):$(PORT)
	PYTHONPATH=$(abspath $(EXAMPLES_SITE)) $(BIN)/model-service serve

dev: venv ## Serve with Flask's reloader and debugger (development only)
	$(BIN)/model-service serve --dev

test: venv chromium examples ## Run the whole test suite: each example's own tests, then the service's
	@for example in $(EXAMPLE_DIRS); do \
	  (cd $$example && PYTHONPATH=$(abspath $(EXAMPLES_SITE)) $(abspath $(BIN))/python -m pytest -q -p no:cacheprovider) || exit 1; \
	done
	$(BIN)/python -m pytest

wrk: ## Install Debian's wrk (the load generator of the benchmark) when it is missing
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }

bench: venv wrk ## Benchmark against a hand-written endpoint, MLServer and BentoML; table + bench/results/*.json
	$(BIN)/python -m bench.run

steadiness: venv wrk ## How much repeated load runs spread here, ours beside the hand-written endpoint's (CONNECTIONS, RUNS)
	$(BIN)/python -m bench.steadiness $(CONNECTIONS) $(RUNS)

soak: venv wrk ## Fault suite (slow clients, hung model, overload, hostile input, signals, memory); a table
	SOAK_COMPARE=$${SOAK_COMPARE:-1} $(BIN)/python -m bench.soak

openapi: venv ## Write openapi.yaml from the application
	$(BIN)/python openapi.py

fuzz: venv ## Fuzz a live server from its OpenAPI document (EXAMPLES per operation, default 300)
	SCHEMATHESIS_MAX_EXAMPLES=$${EXAMPLES:-300} $(BIN)/python -m pytest -q tests/integration/test_openapi_fuzz.py

train: venv ## Retrain the iris model and rewrite its artifact
	$(BIN)/python -m iris_model.train

clean: ## Remove .venv, the benchmark's peer virtualenvs and build leftovers
	rm -rf $(VENV) bench/.peers build dist *.egg-info .pytest_cache
