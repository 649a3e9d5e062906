# The README's two commands: `make plan` (the offline plan of the dev stack) and `make test`.
# Everything installs itself on first use, into .venv (the program, as Pulumi.yaml names it) and
# .venv-checkov (the security scanner, which cannot share an environment with pulumi).

PYTHON ?= python3
VENV ?= .venv
CHECKOV_VENV ?= .venv-checkov
STACK ?= dev
MODE ?= update
OUT ?= build/plan/$(STACK)
BASE ?= HEAD~1
PY := $(VENV)/bin/python

.PHONY: plan plan-all diff test lint scan bench sizing-report docs clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

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
	$(PY) -m pytest
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
