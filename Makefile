# puhui — the two commands: `make demo` and `make test`. Everything else is a helper of theirs.
SHELL := /bin/bash
# The distribution's own python3 where there is one (Debian's and Ubuntu's are built with profile-guided and
# link-time optimisation): a money request costs a tenth less CPU on it than on an unoptimised build that may
# come first on PATH (a pyenv install, say). Any python3 ≥ 3.11 works: `make test PY=python3.12`.
SYSTEM_PY_OK := $(shell /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo yes)
PY ?= $(if $(SYSTEM_PY_OK),/usr/bin/python3,python3)
# uv itself is installed with pip in a venv of its own, made by the first python3 on PATH
TOOLS_PY ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON_DOWNLOADS := never
PORT ?= 8000
PYTEST := $(VENV)/bin/pytest

.PHONY: demo test venv venv-runtime system-deps lint test-sqlite test-postgres test-e2e messages bench reliability clean

## make demo — fresh machine to a running demo: install, migrate, load the Lanxi demo, serve on 127.0.0.1:$(PORT)
demo: venv-runtime
	PORT=$(PORT) $(VENV)/bin/puhui demo

## make test — lint, the suite on SQLite and on a throw-away PostgreSQL, and the browser tests
test: system-deps venv lint test-sqlite test-postgres test-e2e
	@echo "make test: all stages passed"

$(UV):
	$(TOOLS_PY) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

venv: $(UV)
	$(UV) sync --frozen --python $(PY) --quiet

venv-runtime: $(UV)
	$(UV) sync --frozen --python $(PY) --no-dev --inexact --quiet

system-deps:
	@bash scripts/system-deps.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	PUHUI_VAR_DIR=$$(mktemp -d) $(VENV)/bin/puhui makemigrations --check --dry-run >/dev/null
	$(VENV)/bin/bandit -c pyproject.toml -q -r src
	bash scripts/audit-deps.sh

test-sqlite: venv
	$(PYTEST) -m "not e2e" -n 2 -q

test-postgres: venv system-deps
	bash scripts/with-postgres.sh --scratch $(PYTEST) -m "not e2e" -n 2 -q

test-e2e: venv system-deps
	$(PYTEST) -m e2e -q tests/e2e

## make reliability — the attack suite at length: API fuzzing with many examples, crash injection, SIGKILL, on both
## databases (the short run is part of make test)
FUZZ_EXAMPLES ?= 300
SOAK_SECONDS ?= 600
reliability: venv system-deps
	PUHUI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PYTEST) -q tests/reliability
	PUHUI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) bash scripts/with-postgres.sh --scratch $(PYTEST) -q tests/reliability
	SOAK_SECONDS=$(SOAK_SECONDS) bash scripts/with-postgres.sh $(VENV)/bin/python -m tests.reliability.soak

## make bench [NAME=import] — benchmarks beside their raw-SQL baselines, on SQLite and on a throw-away PostgreSQL
NAME ?= import
bench: venv system-deps
	PUHUI_VAR_DIR=$$(mktemp -d) $(VENV)/bin/puhui bench $(NAME)
	bash scripts/with-postgres.sh $(VENV)/bin/puhui bench $(NAME)
	@cat bench/results/$(NAME).md

## make messages — refresh the zh-hans catalogue after changing user-facing strings
messages: venv
	cd src/puhui && ../../$(VENV)/bin/puhui makemessages -l zh_Hans --no-obsolete && ../../$(VENV)/bin/puhui compilemessages

clean:
	rm -rf $(VENV) $(TOOLS) var .pytest_cache .ruff_cache
