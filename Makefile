# The two commands a new machine needs: `make demo` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
VENV := .venv/bin
export PYTHONDONTWRITEBYTECODE := 1
CODE := hub connectors processors citygen demos tests bench scripts

.PHONY: help setup demo test unit faults lint typecheck layers infra-up infra-down

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

setup: ## the venv, Debian packages and the compiled engine (idempotent)
	@bash scripts/setup.sh

lint: setup ## ruff
	$(VENV)/ruff check $(CODE)

typecheck: setup ## mypy
	$(VENV)/mypy

layers: setup ## the import layers of docs/architecture.md (import-linter)
	$(VENV)/lint-imports

unit: setup ## the tests that need no services (unit and property)
	$(VENV)/pytest -q tests/unit tests/property

test: lint typecheck layers infra-up ## everything: lint, types, layers, all tests with the real services, the faults
	$(VENV)/pytest -q -m "not faults"
	$(MAKE) --no-print-directory faults
	@# the interpreted code is the fallback wherever no compiled build matches: keep it tested too
	HUB_NATIVE=0 $(VENV)/pytest -q -m compiled

faults: infra-up ## kills and outages while a 20,000-person city streams (tests/faults; 15-19 min at load 5-8)
	$(VENV)/pytest -q -m faults tests/faults

infra-up: setup ## start Kafka, the schema registry and Redis on loopback
	$(VENV)/hub infra up

infra-down: ## stop them
	$(VENV)/hub infra down

demo: infra-up ## a generated city end to end
	$(VENV)/hub demo
