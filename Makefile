# One command each for a fresh machine: `make crawl` (the weekly job), `make demo` (offline),
# `make test`. Each sets up the virtualenv first, so nothing else needs installing by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup crawl demo test

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

crawl: $(STAMP)
	$(BIN)/scrapy crawl annual_reports $(ARGS)

demo: $(STAMP)
	$(BIN)/python -m govreports demo

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)
