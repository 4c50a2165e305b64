# commerce-async: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench bench-quick migration clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: install
	@mkdir -p var
	$(BIN)/commerce-async setup:upgrade
	$(BIN)/commerce-async serve

test: install
	$(BIN)/ruff check commerce_async tests bench scripts
	$(BIN)/ruff format --check commerce_async tests bench scripts
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: install
	$(BIN)/ruff check commerce_async tests bench scripts
	$(BIN)/ruff format --check commerce_async tests bench scripts

format: install
	$(BIN)/ruff check --fix commerce_async tests bench scripts
	$(BIN)/ruff format commerce_async tests bench scripts

bench: install
	$(BIN)/python -m bench

bench-quick: install
	$(BIN)/python -m bench --quick

migration: install
	$(BIN)/python scripts/make_migration.py "$(MSG)"

clean:
	rm -rf $(VENV) var .pytest_cache
