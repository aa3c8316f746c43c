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
.PHONY: help venv report power test test-all lint bench demo schemas clean reference-crossover reference-diary-slope \
        system-tools docs docs-check

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | sort | expand -t 22

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

# Debian packages that only `make test-all` (and `make docs-check`) use: LibreOffice Writer to
# open the RTF tables, Chromium to load the built docs. Never needed by the package.
SYSTEM_TOOLS := soffice:libreoffice-writer chromium:chromium
system-tools: ## install LibreOffice Writer and Chromium with apt-get when absent (test-all uses them)
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $${t%%:*} >/dev/null 2>&1 || \
	  missing="$$missing $${t#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends $$missing; \
	fi

test-all: $(STAMP) system-tools ## every test, the slow ones included, then the docs and their browser check
	$(VENV)/bin/ruff check src tests benchmarks
	$(PY) -m pytest -q -n 2
	$(MAKE) docs-check

# ---- documentation site (Sphinx + numpydoc; never part of `make test`) ----
DOCS_STAMP := $(VENV)/.docs-installed
$(DOCS_STAMP): $(STAMP) pyproject.toml requirements.lock
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev,docs]'
	touch $@

docs: $(DOCS_STAMP) ## build the documentation site into docs/_build/html (warnings are errors)
	rm -rf docs/_build/html docs/_generated
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

docs-check: docs system-tools ## load the index and the MMRM tutorial in headless Chromium
	$(PY) docs/check_site.py --self-test docs/_build/html index.html tutorials/mmrm.html

bench: $(STAMP) ## print benchmark figures (timings are not tests)
	$(PY) benchmarks/run_all.py

schemas: $(STAMP) ## regenerate the published data dictionary under data/schemas/
	$(PY) -m ldn_stats.schemas.dictionary data/schemas

reference-crossover: $(STAMP) ## regenerate tests/reference/crossover (needs R with lmerTest, pbkrtest, emmeans, nlme; never needed by the tests)
	$(PY) tests/reference/crossover/make_data.py
	Rscript tests/reference/crossover/fit_reference.R

reference-diary-slope: $(STAMP) ## regenerate tests/reference/diary_slope (needs R with lme4, lmerTest, pbkrtest, emmeans; never needed by the tests)
	$(PY) tests/reference/diary_slope/make_data.py
	Rscript tests/reference/diary_slope/fit_reference.R

clean: ## remove the environment and caches (reports/ and data/ are kept)
	rm -rf $(VENV) .pytest_cache .ruff_cache build src/*.egg-info docs/_build docs/_generated
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# ---- demo data and report (owned by the report work; see README) ----
# Every output is a file target. An analysis spec analyses/<trial>_<what>.toml reads
# data/demo/<trial>/ (the spec's data.trial says so; the Makefile follows the name), so
# reports/<spec>/outputs.json depends on the spec, that trial's files and the package
# source, and `make report` reruns only what changed. The appendix depends on every
# analysis's outputs.json.
DEMO_TRIALS  := final younger2013
# Design specs (ldn_stats.power) are analyses/design_*.toml: simulated, no trial folder.
DESIGNS      := $(sort $(wildcard analyses/design_*.toml))
ANALYSES     := $(filter-out $(DESIGNS),$(sort $(wildcard analyses/*.toml)))
ANALYSIS_OUT := $(patsubst analyses/%.toml,reports/%/outputs.json,$(ANALYSES))
DESIGN_OUT   := $(patsubst analyses/%.toml,reports/%/outputs.json,$(DESIGNS))
DESIGN_FULL  := $(patsubst analyses/%.toml,reports/.%.full,$(DESIGNS))
VALIDATED    := $(patsubst %,reports/validate/%.txt,$(DEMO_TRIALS))
APPENDIX     := reports/appendix/manifest.json
PKG_SRC      := $(shell find src/ldn_stats \( -name '*.py' -o -name '*.toml' -o -name '*.json' \) \
                  -not -path '*/__pycache__/*' 2>/dev/null | LC_ALL=C sort)
trial_of      = $(firstword $(subst _, ,$(1)))

.SECONDEXPANSION:
.PHONY: report-list

demo: $(STAMP) ## regenerate the bundled demo trials under data/demo/ from the simulator
	$(PY) -m ldn_stats.cli simulate --preset final --seed 20240101 data/demo/final
	$(PY) -m ldn_stats.cli simulate --preset younger2013 --seed 20130601 data/demo/younger2013

# validation record of a demo trial: the one-line OK summary (exit 1 and no file on failure)
reports/validate/%.txt: $$(wildcard data/demo/$$*/*) $(PKG_SRC) | $(STAMP)
	@mkdir -p $(@D)
	$(PY) -m ldn_stats.cli validate data/demo/$* > $@.tmp || { rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@ && cat $@

reports/%/outputs.json: analyses/%.toml $$(wildcard data/demo/$$(call trial_of,$$*)/*) \
		$$(filter reports/validate/$$(call trial_of,$$*).txt,$(VALIDATED)) $(PKG_SRC) | $(STAMP)
	$(PY) -m ldn_stats.cli run $< --out reports > /dev/null
	@echo "built reports/$*/ from $<"

# a design page at the spec's quick replicate count (a current full run is kept as it is);
# a static pattern rule, so it wins over the analyses' rule above
$(DESIGN_OUT): reports/%/outputs.json: analyses/%.toml $(PKG_SRC) | $(STAMP)
	$(PY) -m ldn_stats.cli power $< --out reports --quick --workers 0 > /dev/null
	@touch $@
	@echo "built reports/$*/ from $< (quick; make power for the full count)"

# the full replicate count (resumes from reports/<spec>.chunks/ after an interruption)
reports/.%.full: analyses/%.toml $(PKG_SRC) | $(STAMP)
	$(PY) -m ldn_stats.cli power $< --out reports > /dev/null
	@touch $@
	@echo "built reports/$*/ from $< (full)"

$(APPENDIX): $(ANALYSIS_OUT) $(DESIGN_OUT) $(ANALYSES) $(DESIGNS) | $(STAMP)
	$(PY) -m ldn_stats.cli report --analyses analyses --out reports

report: $(STAMP) $(VALIDATED) $(APPENDIX) ## validate the demo trials, run every analysis in analyses/ and build reports/appendix/

power: $(STAMP) $(DESIGN_FULL) $(APPENDIX) ## run every design spec (analyses/design_*.toml) at its full replicate count; the appendix shows it

report-list: ## list the report's file targets (one analysis: make reports/<spec>/outputs.json)
	@printf '%s\n' $(VALIDATED) $(ANALYSIS_OUT) $(DESIGN_OUT) $(APPENDIX)
