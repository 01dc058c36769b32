# earnloop: `make dev` runs the whole backend locally, `make test` runs the whole suite.
# Both set themselves up: a virtual environment in .venv and DynamoDB Local in .local/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DDB_DIR := .local/dynamodb-local
DDB_STAMP := $(DDB_DIR)/.fetched
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: dev test test-fast lint openapi layer synth clean ddb-local setup

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "earnloop needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,infra]'
	@touch $@

ddb-local: $(DDB_STAMP)

$(DDB_STAMP): local/dynamodb-local/pom.xml
	@if command -v java >/dev/null && command -v mvn >/dev/null; then \
	  mvn -q -B -f local/dynamodb-local/pom.xml dependency:copy-dependencies \
	    -DoutputDirectory=$(abspath $(DDB_DIR))/lib -DincludeScope=runtime && touch $@; \
	else \
	  echo "WARNING: Java 17 and Maven are needed for DynamoDB Local; the local cloud will fall back to moto." >&2; \
	fi

dev: $(STAMP) ddb-local
	$(BIN)/earnloop dev

test: $(STAMP) ddb-local
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/integration

lint: $(STAMP)
	$(BIN)/ruff check layers functions infra tests bench
	$(BIN)/ruff format --check layers functions infra tests bench
	$(BIN)/mypy layers/earnloop/python/earnloop

openapi: $(STAMP)
	$(BIN)/python -c "from earnloop.platform.app import openapi_json; print(openapi_json(), end='')" > docs/openapi.json

layer: $(STAMP)
	$(BIN)/python -m infra.layer_build

synth: $(STAMP) layer
	$(BIN)/python -m infra.app

clean:
	rm -rf $(VENV) .local build cdk.out
