# The two commands a newcomer needs: `make run` and `make test`. Both install what they need.
SHELL := /bin/bash
# Python 3.12 matches the Lambda runtime; pyenv's 3.12 is used where it is installed, else python3 (>= 3.11).
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 python3; do \
	  if $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# checkov pins its own boto3 and friends, older than the project's: it lives in a virtual environment of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
TRANSLATED := build/checkov/template.cfn.json

.PHONY: run test lint imports typecheck cfn-lint checkov pytest bench openapi clean

# the layer's constraints: the tests run the versions the layer ships
CONSTRAINTS := layers/invoice_hub/python/constraints.txt

# uv installs both environments: pip itself installs only uv, into the project's environment
# (docs/decisions/028-installs-by-uv.md). It reads the index and certificates from the environment
# (UV_INDEX_URL, SSL_CERT_FILE) where pip reads pip.conf, and compiles the bytecode at install as pip does.
UV_VERSION := 0.13.10
UV := $(BIN)/uv
UV_INSTALL := $(UV) pip install --quiet --compile-bytecode

$(UV):
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)

$(STAMP): pyproject.toml $(CONSTRAINTS) | $(UV)
	$(UV_INSTALL) --python $(BIN)/python -e '.[dev]' -c $(CONSTRAINTS)
	touch $(STAMP)

## run: the whole service locally (moto server, gateway on :3000, demo data); Ctrl-C stops it
run: $(STAMP)
	$(BIN)/python -m invoice_hub_local

## test: every gate (lint, format, import layering, types, template lint and checks, tests with a coverage floor)
# The two environments install side by side; then the gates run beside pytest, which leaves a part of the
# two cores idle while its tests wait on the local stack. Each gate's output is printed whole when it ends.
test:
	@$(MAKE) --no-print-directory -j 2 $(STAMP) $(CHECKOV_STAMP)
	@$(MAKE) --no-print-directory -j 6 --output-sync=target lint imports typecheck cfn-lint checkov pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## imports: the layering of pyproject.toml's [tool.importlinter] (docs/decisions/008-layers-by-package.md)
imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml -a cfn_lint_serverless.rules

$(CHECKOV_STAMP): tools/checkov-requirements.txt | $(UV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(UV_INSTALL) --python $(CHECKOV_VENV)/bin/python -r tools/checkov-requirements.txt
	touch $(CHECKOV_STAMP)

## checkov: offline, over template.yaml and over its SAM-translated form; skips: .checkov.yaml's, the template's
checkov: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/python -m invoice_hub_local.template --cloudformation $(TRANSLATED)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml --file template.yaml --file $(TRANSLATED) --framework cloudformation --skip-download --quiet --compact

# pytest-xdist: a worker per core and one more, each with a local stack of its own (tests/conftest.py's
# `stack`). The suites wait on their stack's pipelines (back-offs, queues) for part of the run; a third
# worker's tests fill those waits (idle, 2 cores: pytest 607 s with two workers, 490 s with three).
# `--dist worksteal`: a worker that runs out of tests takes half of what another has queued. With xdist's
# default (`load`) the fuzz suite's 53 operations, queued on one worker at the end, ran there one after
# another for about 150 s while the other two sat idle (docs/performance.md, issue 15).
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
pytest: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=20 --cov --cov-report=term

## bench: cold init, AWS calls per request, the Sender, retry-all at 10,000, cost per 1M invoices, the invoice document and the channels, one scheduling round (docs/performance.md)
bench: $(STAMP)
	$(BIN)/python scripts/bench.py

## openapi: regenerate the committed OpenAPI document from the code
openapi: $(STAMP)
	$(BIN)/python -m invoice_hub_local.openapi --write

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) build/checkov .aws-sam .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .coverage htmlcov
