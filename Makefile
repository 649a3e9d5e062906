# The README's two commands: `make plan` (the offline plan of the dev stack) and `make test`.
# Everything installs itself on first use, into .venv (the program, as Pulumi.yaml names it) and
# .venv-checkov (the security scanner, which cannot share an environment with pulumi), with uv: the Makefile
# installs it from PyPI (pinned in requirements-uv.txt) into .venv-uv. Where uv cannot be had, pip does the work.

PYTHON ?= python3
VENV ?= .venv
CHECKOV_VENV ?= .venv-checkov
UV_VENV ?= .venv-uv
STACK ?= dev
MODE ?= update
OUT ?= build/plan/$(STACK)
BASE ?= HEAD~1
PY := $(VENV)/bin/python

# Where the shell sets PYTHONDONTWRITEBYTECODE (container images often do), every process would compile the SDKs'
# sources again: a third of the test suite's CPU. The bytecode goes to .venv and to __pycache__ (ignored by git).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: plan plan-all diff test lint scan bench sizing-report docs clean

# uv in an environment of its own. If it cannot be installed (no ensurepip, no wheel for this machine), the
# environment stays without it and the two below are made with pip.
$(UV_VENV)/.installed: requirements-uv.txt
	$(PYTHON) -m venv $(UV_VENV) && $(UV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	  -r requirements-uv.txt || echo "uv could not be installed: pip creates the environments (slower)"
	mkdir -p $(UV_VENV) && touch $@

# $(call environment,<directory>,<requirements file>): create it if missing, then install (additive, as pip is).
# uv compiles nothing at install (pip compiles all 15,000 modules, 40 s of CPU); a run compiles the 2,000 it
# imports, once, as long as Python may write bytecode (PYTHONDONTWRITEBYTECODE above).
define environment
	@if [ -x $(UV_VENV)/bin/uv ]; then \
	  [ -x $(1)/bin/python ] || $(UV_VENV)/bin/uv venv --quiet --seed --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')" $(1); \
	  echo "uv: installing $(2) into $(1)"; \
	  $(UV_VENV)/bin/uv pip install --quiet --python $(1)/bin/python -r $(2); \
	else \
	  [ -x $(1)/bin/python ] || $(PYTHON) -m venv $(1); \
	  echo "pip: installing $(2) into $(1)"; \
	  $(1)/bin/python -m pip install --quiet --disable-pip-version-check -r $(2); \
	fi
	touch $(1)/.installed
endef

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(UV_VENV)/.installed
	$(call environment,$(VENV),requirements-dev.txt)

$(CHECKOV_VENV)/.installed: requirements-checkov.txt | $(UV_VENV)/.installed
	$(call environment,$(CHECKOV_VENV),requirements-checkov.txt)

## plan: offline plan of STACK (default dev) in MODE (update|preview) into OUT
plan: $(VENV)/.installed
	$(PY) -m tools.plan --stack $(STACK) --mode $(MODE) --out $(OUT)

## plan-all: every example stack in both modes, into build/plan/<stack>-<mode>
plan-all: $(VENV)/.installed
	@for stack in $$(ls Pulumi.*.yaml | sed 's/^Pulumi\.\(.*\)\.yaml$$/\1/'); do \
	  for mode in preview update; do \
	    $(PY) -m tools.plan --stack $$stack --mode $$mode --out build/plan/$$stack-$$mode > /dev/null || exit 1; \
	    echo "planned $$stack ($$mode)"; \
	  done; \
	done

## diff: offline plan diff of every example stack (preview mode) between BASE (a git ref, default HEAD~1) and
## the working tree, into build/diff/report.md and report.json
diff: $(VENV)/.installed
	$(PY) -m tools.diff --base $(BASE) --out build/diff

## translate: STACK moved to cloud TO (aws|gcp|azure), in REGION (default: the nearest to STACK's): writes
## Pulumi.<STACK>-<TO>.yaml (or Pulumi.<NAME>.yaml) and its report build/translate/<name>.md; FORCE=1 overwrites;
## COMPARE=1 also diffs the two offline plans into build/translate/<name>-plans.md
.PHONY: translate
translate: $(VENV)/.installed
	$(PY) -m tools.translate --stack $(STACK) --to $(TO) $(if $(REGION),--region $(REGION)) \
	  $(if $(NAME),--name $(NAME)) $(if $(FORCE),--force) $(if $(COMPARE),--compare)

## test: lint, the test suite (config, components, stacks, schemas), then the checkov scan (manifests and
## cloud resources as Terraform plans)
test: lint $(CHECKOV_VENV)/.installed
	$(PY) -m pytest -n auto --dist loadscope
	$(PY) -m tools.scan --checkov $(CHECKOV_VENV)/bin/checkov

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

scan: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	$(PY) -m tools.scan --checkov $(CHECKOV_VENV)/bin/checkov

## bench: wall time and peak memory of the offline plan of every stack, against a bare import
bench: $(VENV)/.installed
	$(PY) -m tools.bench

## sizing-report: every catalogue model on every GPU type: TP, context, GPUs per replica against the lower bound
sizing-report: $(VENV)/.installed
	$(PY) -m tools.sizing_report

## docs: the documentation site (MkDocs, Material theme) into build/site, strict: a broken link or anchor fails;
## the configuration reference and the stack file schema are regenerated from the config model first
docs: $(VENV)/.installed
	$(PY) -m tools.stack_schema
	$(PY) -m tools.config_reference
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

clean:
	rm -rf build .pytest_cache .ruff_cache
