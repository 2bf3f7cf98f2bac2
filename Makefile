# Baton: `make run` sets everything up and runs the app with demo data;
# `make test` sets everything up and runs the whole test suite.
SHELL := /bin/bash

.PHONY: run test setup lint format bench-load clean

run:
	@bash bin/run

test:
	@bash bin/test

setup:
	@bash bin/setup

lint:
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	@.venv/bin/ruff check --fix . && .venv/bin/ruff format .

bench-load: setup
	@bash bin/services
	@.venv/bin/python bench/load.py

clean:
	rm -rf .venv node_modules var
