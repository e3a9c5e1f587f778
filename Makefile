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

## test: set up, then run the unit tests; they execute every notebook once (tests/test_book_reproduce.py:
## `sdr reproduce --profile smoke`, whose executed copies are also checked as nbval-lax would check them)
test: setup
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest tests

lint:
	$(BIN)/ruff check sdrlib tests

## book: standalone build at the root (executes the notebooks with their defaults) into _build/html
book:
	HF_HUB_OFFLINE=1 $(BIN)/jupyter-book build . -W -n --keep-going

## strip-notebooks: remove outputs and run metadata from book/*.ipynb before committing
strip-notebooks:
	$(BIN)/python scripts/strip_notebooks.py
