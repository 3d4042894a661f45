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

demo: infra-up
	$(VENV)/hub demo
