# The two commands: `make run` and `make test`. Both install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test bench compile check-artifacts clean

install: $(VENV)/.installed hardhat-local/node_modules/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements.lock -e '.[test]'
	touch $@

hardhat-local/node_modules/.installed: hardhat-local/package.json hardhat-local/package-lock.json
	cd hardhat-local && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Start chain, deploy, indexer, Celery worker, API + portal on 127.0.0.1. Ctrl-C stops all.
run: install
	$(BIN)/ledger dev

## Install, check the committed artifacts against a fresh compile, run the whole suite.
test: install check-artifacts
	$(BIN)/pytest

## Benchmarks (DESIGN.md §9); each prints one JSON object.
bench: install
	$(BIN)/ledger bench gas
	$(BIN)/ledger bench index --events 100000 --postgres postgresql://127.0.0.1/test
	$(BIN)/ledger bench api

## Recompile contracts/ with the pinned solcjs into ledger/artifacts/ (commit the result).
compile: hardhat-local/node_modules/.installed
	cd hardhat-local && node compile.js

check-artifacts: hardhat-local/node_modules/.installed
	cd hardhat-local && node compile.js --check

clean:
	rm -rf var .pytest_cache .hypothesis
