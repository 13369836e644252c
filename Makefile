# Two entry points, each working on a fresh machine with only Python 3.11 and pip:
#   make demo   install the course, then self-check every solution and released notebook
#   make test   install the course with its test tools, then run the whole test suite
# Everything goes into a private virtual environment (.venv), never the system Python.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test clean

$(BIN)/pip:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/pip
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/pip
	$(BIN)/pip install --quiet -e '.[test]'

demo: install
	$(BIN)/autograder demo

# One worker per core; a test file stays on one worker, so that its module fixtures
# (a fresh clone, an nbgrader course, running kernels) are built once; the files
# go in the order collected, the slowest first (tests/conftest.py: SLOWEST_FIRST).
test: install-test
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
