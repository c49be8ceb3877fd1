# greenfin — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# uv from the PATH, else a user install, else the project's own copy in .tools/ (made by `make uv`).
UV := $(or $(shell command -v uv 2>/dev/null),$(wildcard $(HOME)/.local/bin/uv),$(CURDIR)/.tools/uv/bin/uv)
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: install
install: ## Install uv (if missing) and the locked dependencies into .venv
	@test -x "$(UV)" || $(MAKE) --no-print-directory uv
	@$(UV) sync --frozen --quiet

.PHONY: uv
uv: ## Install uv into .tools/uv (pip --target: also where PEP 668 refuses `pip install --user`)
	@python3 -m pip --version >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null)
	@python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target .tools/uv uv

.PHONY: demo
demo: install ## Build the demo region on SQLite and serve it on http://127.0.0.1:8000
	@$(UV) run greenfin demo

.PHONY: chromium
chromium: ## Install Debian's chromium, a CJK font and poppler's pdftoppm for the page and PDF tests (if missing)
	@(command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi wqy) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei poppler-utils >/dev/null)

.PHONY: postgres
postgres: ## Start the machine's PostgreSQL if it is down
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1

.PHONY: lint
lint: install ## ruff (lint and format check), mypy (strict) and the import contracts (layers, domains)
	@$(UV) run ruff check src tests benchmarks
	@$(UV) run ruff format --check src tests benchmarks
	@$(UV) run mypy src/greenfin
	@$(UV) run lint-imports

.PHONY: test
test: install chromium postgres lint ## Install everything and run the whole suite (SQLite, PostgreSQL, browser)
	@GREENFIN_TEST_POSTGRES_URL=$(PG_URL) $(UV) run pytest -n 2 --dist loadgroup -q

.PHONY: bench
bench: install ## Run the benchmarks (prints figures; slow)
	@for script in benchmarks/*.py; do $(UV) run python $$script; done
