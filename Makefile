# earnloop: `make dev` runs the whole backend locally, `make test` runs the whole suite.
# Both set themselves up: a virtual environment in .venv and DynamoDB Local in .local/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DDB_DIR := .local/dynamodb-local
RUNTIME_LOCK := requirements/runtime.lock
DEV_LOCK := requirements/dev.lock
IMAGING_IN := layers/imaging/requirements.in
IMAGING_LOCK := requirements/imaging.lock
DDB_STAMP := $(DDB_DIR)/.fetched
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: dev dev-clean test test-fast lint openapi layer lock synth clean ddb-local setup

setup: $(STAMP)

# Everything comes from the locks, each file checked against its hash; only the project itself is
# installed without one (editable, built by the locked setuptools).
$(STAMP): pyproject.toml $(DEV_LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "earnloop needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r $(DEV_LOCK)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# Re-resolves the locks after a change to pyproject.toml's dependencies or the imaging layer's
# requirements. The runtime and imaging locks are resolved for the Lambda runtime (CPython 3.14, Linux
# arm64; the imaging wheels need glibc 2.28); the dev lock for any machine on 3.11+, held to both
# layers' versions so the layers and .venv run the same code.
lock: $(STAMP)
	$(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.14 \
	  --python-platform aarch64-manylinux2014 pyproject.toml -o $(RUNTIME_LOCK)
	$(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.14 \
	  --python-platform aarch64-manylinux_2_28 -c $(RUNTIME_LOCK) $(IMAGING_IN) -o $(IMAGING_LOCK)
	$(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 \
	  --extra dev --extra infra -c $(RUNTIME_LOCK) -c $(IMAGING_LOCK) pyproject.toml $(IMAGING_IN) \
	  -o $(DEV_LOCK)

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

# The local cloud from nothing: deletes what `make dev` kept in .local/dev (data, keys, positions).
dev-clean: $(STAMP) ddb-local
	$(BIN)/earnloop dev --clean

# One worker per core (pytest-xdist); tests/support/worker_groups.py keeps a module (or a group of them) on one worker.
TEST_WORKERS ?= auto
test: $(STAMP) ddb-local
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/integration

lint: $(STAMP)
	$(BIN)/ruff check layers functions infra tests bench
	$(BIN)/ruff format --check layers functions infra tests bench
	$(BIN)/mypy layers/earnloop/python/earnloop

openapi: $(STAMP)
	$(BIN)/python -c "from earnloop.contexts import routers; from earnloop.platform.app import openapi_json; print(openapi_json(routers()), end='')" > docs/openapi.json

layer: $(STAMP) $(RUNTIME_LOCK) $(IMAGING_LOCK)
	$(BIN)/python -m infra.layer_build

synth: $(STAMP) layer
	$(BIN)/python -m infra.app

clean:
	rm -rf $(VENV) .local build cdk.out
