"""The answer sets the suite renders: the defaults, and enough others to use every choice once.

Each job store is rendered with aiohttp and with FastAPI, since the web app reports on the
store's queue; `web_framework=none` has no HTTP side for the store to differ in.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from tests.engines import REPO_ROOT

OPTION_SETS: dict[str, dict[str, str]] = {
    "defaults": {},
    "py312-none-apache": {
        "project_name": "Billing Gateway — Zürich",
        "python_version": "3.12",
        "web_framework": "none",
        "license": "Apache-2.0",
    },
    "py313-aiohttp-bsd": {
        "project_name": "Ledger Sync",
        "project_slug": "ledger-sync",
        "package_name": "ledger",
        "python_version": "3.13",
        "web_framework": "aiohttp",
        "license": "BSD-3-Clause",
    },
    "py311-fastapi-mit": {
        "project_name": "Parcel Tracker",
        "python_version": "3.11",
        "web_framework": "fastapi",
    },
    "py314-aiohttp-mit": {
        "project_name": "Quota Keeper",
        "python_version": "3.14",
    },
    "py311-none-proprietary": {
        "project_name": "Inventory Watcher 2",
        "python_version": "3.11",
        "web_framework": "none",
        "license": "Proprietary",
    },
    "py311-aiohttp-postgres": {
        "project_name": "Order Router",
        "python_version": "3.11",
        "job_store": "postgres",
    },
    "py312-fastapi-postgres": {
        "project_name": "Payout Scheduler",
        "package_name": "payouts",
        "python_version": "3.12",
        "web_framework": "fastapi",
        "job_store": "postgres",
        "license": "Apache-2.0",
    },
}

# The Pythons a project may ask for as its minimum, which it then supports with every later one.
SUPPORTED_PYTHONS: tuple[str, ...] = tuple(
    json.loads((REPO_ROOT / "cookiecutter.json").read_text(encoding="utf-8"))["python_version"]
)
# The newest Pythons, the last that a project's tools (ruff, mypy) learn: its quality gates run
# on each of them once per web framework, not only on each answer set's oldest Python.
NEWEST_PYTHONS = tuple(version for version in SUPPORTED_PYTHONS if version >= "3.14")
DEFAULT_STORE = "sqlite"


def pythons_for(options: dict[str, str]) -> list[str]:
    """The Python versions a project rendered with `options` supports."""
    minimum = options.get("python_version", "3.11")
    return [version for version in SUPPORTED_PYTHONS if version >= minimum]


def matrix(later: Iterable[str]) -> list[tuple[str, dict[str, str], str]]:
    """(name, options, Python) to run: each answer set on its oldest Python, then each web
    framework on each of the `later` Pythons not yet covered, and each other job store once on
    each of the newest of them, each time by the set that supports it and has run least so far
    (the first, among equals), so that the runs spread over the sets.

    Answer sets that differ only in names and licences never run the same (framework, store,
    Python) triple twice beyond their oldest Python. A store's code is the same under every web
    framework and on every Python; what changes on the newest is where its tests run, the Debian
    root with its own PostgreSQL. So the PostgreSQL suites, the slowest (two to four minutes
    each on a busy machine), run on each postgres answer set's oldest Python and once on each of
    the newest.
    """
    runs = [(name, options, pythons_for(options)[0]) for name, options in OPTION_SETS.items()]
    covered = {_coverage(options, version) for _, options, version in runs}
    for version in later:
        run_counts = Counter(name for name, _, _ in runs)
        for name, options in sorted(OPTION_SETS.items(), key=lambda item: run_counts[item[0]]):
            wanted = _variant(options)[1] == DEFAULT_STORE or version in NEWEST_PYTHONS
            key = _coverage(options, version)
            if wanted and version in pythons_for(options) and key not in covered:
                runs.append((name, options, version))
                covered.add(key)
    return runs


def _coverage(options: dict[str, str], version: str) -> tuple[str | None, str, str]:
    """What a run on `version` covers: the default store with its framework, another store alone."""
    framework, store = _variant(options)
    return (framework if store == DEFAULT_STORE else None), store, version


def _variant(options: dict[str, str]) -> tuple[str, str]:
    """What makes two projects' code differ beyond names: the web framework and the job store."""
    return options.get("web_framework", "aiohttp"), options.get("job_store", DEFAULT_STORE)
