# Set-up and the two jobs. Every target installs what it needs first (into .venv).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.memtop-installed
# The runs the README's bench command makes; override: make bench BENCH_ARGS="--backend torch"
BENCH_ARGS ?=

# The lane a developer runs between steps (tests/lanes.py): no other process, tmux, Ray or
# backend session; about 1.5 minutes here. `make test` runs everything (CI).
FAST := not backend and not processes and not tmux and not cluster

.PHONY: setup bench test test-fast lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[all,test]'
	touch $(STAMP)

bench: $(STAMP)
	$(VENV)/bin/memtop bench $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	.ci/lint_imports.sh $(VENV)/bin/lint-imports
	.ci/typecheck.sh $(VENV)/bin/mypy

test: lint
	$(PY) -m pytest -q

test-fast: lint
	$(PY) -m pytest -q -m "$(FAST)"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
