# The two commands of the README. VENV selects the virtual environment (default .venv).
VENV ?= .venv
export VENV
BIN := $(VENV)/bin
PROFILE ?= tiny

.PHONY: setup main test lint
setup:
	bash scripts/setup.sh

## main: set up, then reproduce the paper's tables on SynthDF (papermill) and build the book
main: setup
	$(BIN)/sdr reproduce --profile $(PROFILE)

## test: set up, then run the unit tests and the notebooks (nbval)
test: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest tests

lint:
	$(BIN)/ruff check sdrlib tests
