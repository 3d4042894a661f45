# The two commands a new machine needs: `make demo` and `make test`. Everything else is set up by them.
SHELL := /bin/bash
VENV := .venv/bin
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup demo test lint typecheck unit infra-up infra-down bench

setup:
	@bash scripts/setup.sh

lint: setup
	$(VENV)/ruff check hub connectors processors tests bench

typecheck: setup
	$(VENV)/mypy

infra-up: setup
	$(VENV)/hub infra up

infra-down:
	$(VENV)/hub infra down

test: lint typecheck infra-up
	$(VENV)/pytest -q
	@# the interpreted engine is the fallback wherever the compiled one is not built: keep it tested too
	HUB_NATIVE=0 $(VENV)/pytest -q tests/test_engine_*.py tests/test_standardise_*.py tests/test_places.py \
		tests/test_cluster.py tests/test_resolve_cli.py tests/test_formats_*.py

demo: infra-up
	$(VENV)/hub demo
