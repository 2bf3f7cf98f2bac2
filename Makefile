# Baton: `make run` sets everything up and runs the app with demo data;
# `make test` sets everything up and runs the whole test suite.
.PHONY: run test setup lint format bench clean

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

clean:
	rm -rf .venv node_modules var
