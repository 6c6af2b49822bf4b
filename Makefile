# The commands of README.md. Each first installs the pinned tools of requirements-dev.txt
# into .venv (once, and again whenever that file changes), so a fresh clone needs only Python.
# make pythons (as root) provides Python 3.14 and 3.15 for make test: Debian's, in a Debian
# unstable root at ASYNC_TEMPLATE_DEBIAN_ROOT, made once and mounted (see .ci/debian-root).

PYTHON ?= python3
VENV := .venv
TOOLS := $(VENV)/.installed
DEMO := build/my-async-service
ASYNC_TEMPLATE_DEBIAN_ROOT ?= /var/tmp/async-template-debian
export UV_PYTHON_DOWNLOADS := never
export ASYNC_TEMPLATE_DEBIAN_ROOT

.PHONY: demo test lint pythons

demo: $(TOOLS)
	rm -rf $(DEMO)
	$(VENV)/bin/cookiecutter --no-input --default-config --output-dir build .
	cd $(DEMO) && $(CURDIR)/$(VENV)/bin/uv run --quiet python -m tests

test: $(TOOLS)
	$(VENV)/bin/pytest

pythons: $(TOOLS)
	.ci/debian-root provide

lint: $(TOOLS)
	$(VENV)/bin/ruff check hooks scripts tests local_extensions.py
	$(VENV)/bin/ruff format --check hooks scripts tests local_extensions.py
	bash -n .ci/run
	bash -n .ci/debian-root
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/actionlint .github/workflows/*.yml
	$(VENV)/bin/zizmor --offline --quiet .github/workflows/*.yml

$(TOOLS): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@
