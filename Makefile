# ldn_stats: every target creates and uses the project's own virtual environment (.venv).
# `make help` lists the targets.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export PYTHONHASHSEED := 0
export MPLBACKEND := Agg
# Keep BLAS single-threaded per process: deterministic sums and no oversubscription.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

.DEFAULT_GOAL := help
.PHONY: help venv report test test-all lint bench demo schemas clean

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort | expand -t 16

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

venv: $(STAMP) ## create .venv and install the package with its pinned dependencies

lint: $(STAMP) ## ruff on src, tests and benchmarks
	$(VENV)/bin/ruff check src tests benchmarks

test: $(STAMP) ## ruff, then the test suite with doctests (slow calibration tests excluded)
	$(VENV)/bin/ruff check src tests benchmarks
	$(PY) -m pytest -q -n 2 -m "not slow"

test-all: $(STAMP) ## every test, the slow calibration ones included
	$(VENV)/bin/ruff check src tests benchmarks
	$(PY) -m pytest -q -n 2

bench: $(STAMP) ## print benchmark figures (timings are not tests)
	$(PY) benchmarks/run_all.py

schemas: $(STAMP) ## regenerate the published data dictionary under data/schemas/
	$(PY) -m ldn_stats.schemas.dictionary data/schemas

clean: ## remove the environment and caches (reports/ and data/ are kept)
	rm -rf $(VENV) .pytest_cache .ruff_cache build src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# ---- demo data and report (owned by the report work; see README) ----
DEMO_TRIALS := final younger2013

demo: $(STAMP) ## regenerate the bundled demo trials under data/demo/ from the simulator
	$(PY) -m ldn_stats.cli simulate --preset final --seed 20240101 data/demo/final
	$(PY) -m ldn_stats.cli simulate --preset younger2013 --seed 20130601 data/demo/younger2013

report: $(STAMP) ## validate the demo trials, run every analysis in analyses/ and build reports/
	$(PY) -m ldn_stats.cli report --analyses analyses --out reports
