# The two commands a newcomer needs: `make site` and `make test`.
# Each does its own set-up (virtual environment, Python packages, Debian packages)
# and is quick when nothing changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SITE_DIR ?= site

.PHONY: site test lint bench serve check status clean debian-test debian-bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,bench,lint]'
	touch $@

site: $(STAMP)
	$(BIN)/policyctl build --site-dir $(SITE_DIR)

serve: $(STAMP)
	$(BIN)/policyctl serve

check: $(STAMP)
	$(BIN)/policyctl check

status: $(STAMP)
	$(BIN)/policyctl status

debian-test:
	sh scripts/ensure-debian-packages.sh test

debian-bench:
	sh scripts/ensure-debian-packages.sh bench

# axe-core for the accessibility tests (tests/test_accessibility.py), at the version that
# tests/axe/package-lock.json pins; installed with Debian's npm only when missing or changed.
AXE := tests/axe/node_modules/axe-core/axe.min.js
$(AXE): tests/axe/package.json tests/axe/package-lock.json | debian-test
	cd tests/axe && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The suite's own time is printed by pytest; `time` adds set-up and collection.
# Test modules run in parallel, one worker per CPU, each module on one worker (its
# built site and browser are shared by its tests); `PYTEST_WORKERS=0` runs them in one process.
PYTEST_WORKERS ?= auto
test: $(STAMP) debian-test $(AXE)
	@start=$$(date +%s); $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile; status=$$?; \
	echo "make test: the suite took $$(( $$(date +%s) - start )) s"; exit $$status

# ruff (lint and format), mypy, the import contract that keeps the layering, and no
# function in generator/ or notify/ over 80 lines.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/function_length.py

bench: $(STAMP) debian-bench
	$(BIN)/python benchmarks/build.py
	$(BIN)/python benchmarks/diff.py
	$(BIN)/python benchmarks/notify.py

clean:
	rm -rf $(SITE_DIR) .policy/cache
