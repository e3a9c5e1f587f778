# The two commands of the README. VENV selects the virtual environment (default .venv).
VENV ?= .venv
export VENV
BIN := $(VENV)/bin
PROFILE ?= tiny

.PHONY: setup main test lint book strip-notebooks
setup:
	bash scripts/setup.sh

## main: set up, then reproduce the paper's tables on SynthDF (papermill) and build the book
main: setup
	$(BIN)/sdr reproduce --profile $(PROFILE)

## test: set up, then run the unit tests and the notebooks (nbval, each with its smoke defaults)
test: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest tests
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest --nbval-lax book/

lint:
	$(BIN)/ruff check sdrlib tests

## book: standalone build at the root (executes the notebooks with their defaults) into _build/html
book:
	HF_HUB_OFFLINE=1 $(BIN)/jupyter-book build . -W -n --keep-going

## strip-notebooks: remove outputs and run metadata from book/*.ipynb before committing
strip-notebooks:
	$(BIN)/python scripts/strip_notebooks.py
