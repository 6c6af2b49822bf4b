"""The answer sets the suite renders: the defaults, and enough others to use every choice once."""

from __future__ import annotations

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
}

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13", "3.14")


def pythons_for(options: dict[str, str]) -> list[str]:
    """The Python versions a project rendered with `options` supports."""
    minimum = options.get("python_version", "3.11")
    return [version for version in SUPPORTED_PYTHONS if version >= minimum]
