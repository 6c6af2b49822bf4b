# The two commands of README.md. Each first installs the pinned tools of requirements-dev.txt
# into .venv (once, and again whenever that file changes), so a fresh clone needs only Python.

PYTHON ?= python3
VENV := .venv
TOOLS := $(VENV)/.installed
DEMO := build/my-async-service
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test lint

demo: $(TOOLS)
	rm -rf $(DEMO)
	$(VENV)/bin/cookiecutter --no-input --default-config --output-dir build .
	cd $(DEMO) && $(CURDIR)/$(VENV)/bin/uv run --quiet python -m tests

test: $(TOOLS)
	$(VENV)/bin/pytest

lint: $(TOOLS)
	$(VENV)/bin/ruff check hooks tests local_extensions.py
	$(VENV)/bin/ruff format --check hooks tests local_extensions.py
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

$(TOOLS): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@
