# The two commands: `make run` and `make test`. Both install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

BROWSER ?= /usr/bin/chromium

.PHONY: install browser run test lint docs test-deep crash soak mutate slither bench compile check-artifacts vendor check-vendored clean

install: $(VENV)/.installed hardhat-local/node_modules/.installed browser

$(VENV)/.installed: pyproject.toml requirements.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements.lock -e '.[test]'
	touch $@

## Debian's chromium for the portal's browser test (Playwright drives it; never `playwright install`), and a
## Chinese font (without one the pages render as boxes: widths and screenshots would not be the real ones).
## Installed with apt when missing and we are root; otherwise say so (the browser test then fails, never skips).
browser:
	@{ test -x $(BROWSER) && fc-list :lang=zh | grep -q .; } || { \
		if [ "$$(id -u)" = 0 ]; then \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-microhei || \
			{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-wqy-microhei; }; \
		else echo "run 'apt-get install chromium fonts-wqy-microhei' as root (the portal's browser tests need them)"; fi; }

hardhat-local/node_modules/.installed: hardhat-local/package.json hardhat-local/package-lock.json
	cd hardhat-local && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Start chain, deploy, indexer, Celery worker, API + portal on 127.0.0.1. Ctrl-C stops all.
run: install
	$(BIN)/python -m devtools run

## Install, check the committed artifacts against a fresh compile and the vendored front-end files against
## the pinned npm packages, run Slither, the linters and the strict
## docs build, then the whole suite. Make stops at the first that fails: nothing is skipped.
## The suite on PYTEST_WORKERS processes (pytest-xdist), a test module per worker at a time (--dist
## loadfile: a module's own node and world are built once); most tests wait on a node, a database or a
## browser, so three workers keep two cores busy. The 30 slowest tests are listed at the end (the time budget).
PYTEST_WORKERS ?= 3
test: install check-artifacts check-vendored slither lint docs
	env -u LEDGER_DEV_NODE $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=30  # every_node modules on both nodes

## The rules a tool keeps (configured in pyproject.toml): ruff's lint and format check, mypy on the
## product packages, import-linter's contracts (the rooms, no cycles, web3 only in ledger.chain, no devtools).
PRODUCT := ledger api portal web
lint: install
	$(BIN)/ruff check $(PRODUCT)
	$(BIN)/ruff format --check $(PRODUCT) devtools tests
	$(BIN)/mypy
	$(BIN)/lint-imports

## The docs (docs/, mkdocs.yml; the site goes to var/site) built with --strict, so a broken link fails.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

## The long runs (LEDGER_DEEP=1): every module that takes a size from tests/support/depth.py (found by
## its import, so none is left out) at its full size, on both nodes: the stateful contract models
## much larger, every lifecycle path required on both nodes; 40 SIGKILLs per node for the indexer
## instead of `make test`'s 8; 400 Schemathesis examples per API operation instead of 6; a burst of
## 120 payments across the PostgreSQL crash instead of 40; six levies of the tax stream instead of three.
DEEP_MODULES := $(shell grep -rl --include='*.py' 'from tests.support.depth import DEEP' tests | sort)
test-deep: install
	env -u LEDGER_DEV_NODE LEDGER_DEEP=1 $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(DEEP_MODULES)

## The crash harness's long run (devtools/crash.py): 200 iterations of the mixed workload, each with a SIGKILL
## of an API process, the worker, the indexer or the node; JSON counts on stdout, exit 1 on any violation.
## CRASH_SEED=S replays a run (the seed is printed); CRASH_ITERATIONS=N changes its length.
CRASH_ITERATIONS ?= 200
crash: install
	$(BIN)/python -m devtools crash --iterations $(CRASH_ITERATIONS) $(if $(CRASH_SEED),--seed $(CRASH_SEED))

## The soak run (devtools/bench/soak.py): the mixed workload at SOAK_RATE operations per second, open-loop,
## for SOAK_MINUTES, with a fault every SOAK_FAULT_EVERY seconds (PostgreSQL, Redis, the node, an API process,
## the worker, the indexer in turn; PostgreSQL and Redis are servers of the run's own). JSON on stdout; exit 1
## when an acknowledged write is lost, a business key is on chain twice or another check fails.
## Not part of `make test`. SOAK_SEED=S replays a run's schedule (the seed is printed).
SOAK_MINUTES ?= 30
SOAK_RATE ?= 4
SOAK_FAULT_EVERY ?= 60
soak: install
	$(BIN)/python -m devtools bench soak --minutes $(SOAK_MINUTES) --rate $(SOAK_RATE) --fault-every $(SOAK_FAULT_EVERY) $(if $(SOAK_SEED),--seed $(SOAK_SEED))

## Mutation run over the contracts (docs/contracts-mutation.md); not part of `make test` (hours on 2 cores).
## MUTATE_ARGS passes options, e.g. MUTATE_ARGS="--contract InspectionDraws --limit 20".
mutate: install
	nice -n 10 $(BIN)/python -m devtools mutate $(MUTATE_ARGS)

## Slither over contracts/, as check-artifacts' compile with the pinned solcjs left them (Hardhat's
## build-info format in hardhat-local/artifacts/slither: one compile serves both);
## any finding fails. Accepted findings are disabled beside the code with their reason.
slither: install check-artifacts
	cd hardhat-local/slither && PATH="$(CURDIR)/$(BIN):$$PATH" slither . --hardhat-ignore-compile \
		--hardhat-artifacts-directory ../artifacts/slither --filter-paths node_modules --fail-pedantic

## Benchmarks (DESIGN.md §9), one after another (devtools/bench/suite.py) at issue 19's sizes: gas, index 100k
## (and PostgreSQL) and 1M, audit 1M, api (accepted, end to end), public, write path. Into bench/results/
## (git-ignored): latest.json (machine, commit, times, each command and its JSON) and report.md with a chart per
## family, each figure beside its same-run baseline and its §9 target, met or missed by how much; the figures
## table in docs/figures.md is regenerated from it. Exits 1 when a benchmark failed (the report shows it).
## BENCH_ARGS passes options, e.g. BENCH_ARGS="--only gas --only public" or "--index-large-events 0".
bench: install
	$(BIN)/python -m devtools bench all --docs docs/figures.md $(BENCH_ARGS)

## Recompile contracts/ with the pinned solcjs into ledger/chain/artifacts/ (commit the result).
compile: hardhat-local/node_modules/.installed
	cd hardhat-local && node compile.js

## The compile also writes the build-info Slither reads (`make slither`).
check-artifacts: hardhat-local/node_modules/.installed
	cd hardhat-local && node compile.js --check --build-info artifacts/slither

## Copy the front-end files the portal serves (ECharts) from the pinned npm package into
## portal/static/vendor/ (commit the result); check-vendored fails when the committed copy differs.
vendor: hardhat-local/node_modules/.installed
	cd hardhat-local && node vendor.js

check-vendored: hardhat-local/node_modules/.installed
	cd hardhat-local && node vendor.js --check

clean:
	rm -rf var .pytest_cache .hypothesis .mypy_cache .ruff_cache .import_linter_cache .grimp_cache
