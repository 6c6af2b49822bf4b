"""Bad answers stop both engines before anything is written, with the same message.

Cookiecutter checks with hooks/answer_rules.py, copier with the `validator:` expressions
generated from it into copier.yml. Each case below runs both command-line tools and expects the
exit status to be non-zero, the same message (naming the field, the value and the rule) from
both, and no project directory left behind.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engines import run_engine

VALID = {"project_slug": "valid-service", "package_name": "valid_service"}

IDENTIFIER_RULE = (
    "it must be an ASCII Python identifier"
    " (letters, digits and underscores, not starting with a digit)."
)
SLUG_RULE = (
    "use lower-case ASCII letters and digits in words joined by single hyphens,"
    " starting with a letter (like my-async-service)."
)
ONE_LINE = "it must be one line of text."
NAME_RULE = "it must be one line of text, not empty."
EMAIL_RULE = (
    "it must be an e-mail address such as name@example.com (ASCII, one @, a dotted domain)."
)
STDLIB_RULE = "it would shadow the standard-library module of that name."
PROJECT_RULE = "it would shadow a module of that name that the project imports or installs."

# (field, bad value, the rule the message must give)
BAD_ANSWERS: list[tuple[str, str, str]] = [
    ("project_name", "", NAME_RULE),
    ("project_name", "   ", NAME_RULE),
    ("project_name", "Two\nLines", NAME_RULE),
    ("project_name", "Tab\tinside", NAME_RULE),
    ("project_slug", "1service", SLUG_RULE),
    ("project_slug", "my service", SLUG_RULE),
    ("project_slug", "my_service", SLUG_RULE),
    ("project_slug", "service!", SLUG_RULE),
    ("project_slug", "My-Service", SLUG_RULE),
    ("project_slug", "café", SLUG_RULE),
    ("project_slug", "сервис", SLUG_RULE),
    ("project_slug", "my--service", SLUG_RULE),
    ("project_slug", "-service", SLUG_RULE),
    ("project_slug", "service-", SLUG_RULE),
    ("package_name", "", IDENTIFIER_RULE),
    ("package_name", "1service", IDENTIFIER_RULE),
    ("package_name", "my-service", IDENTIFIER_RULE),
    ("package_name", "my service", IDENTIFIER_RULE),
    ("package_name", "class", "it is a Python keyword."),
    ("package_name", "async", "it is a Python keyword."),
    ("package_name", "asyncio", STDLIB_RULE),
    ("package_name", "json", STDLIB_RULE),
    ("package_name", "typing", STDLIB_RULE),
    ("package_name", "cgi", STDLIB_RULE),
    ("package_name", "annotationlib", STDLIB_RULE),  # new in 3.14
    ("package_name", "profiling", STDLIB_RULE),  # new in 3.15
    ("package_name", "tests", PROJECT_RULE),
    ("package_name", "test", PROJECT_RULE),
    ("description", "First line\nsecond line", ONE_LINE),
    ("author_name", "Ada\u2028Lovelace", ONE_LINE),
    ("author_email", "you.example.com", EMAIL_RULE),
    ("author_email", "you@example@com", EMAIL_RULE),
    ("author_email", "you @example.com", EMAIL_RULE),
    ("copyright_year", "20x6", "it must be a four-digit year."),
]

BAD_CHOICES: list[tuple[str, str]] = [
    ("python_version", "3.10"),
    ("python_version", "3.16"),
    ("web_framework", "flask"),
    ("job_store", "mysql"),
    ("job_store", "Postgres"),
    ("license", "GPL-3.0"),
]


def run_both(
    template: Path, tmp_path: Path, field: str, value: str
) -> dict[str, tuple[int, str, list[Path]]]:
    """Each engine's exit status, output, and whatever it left in its output folder."""
    answers = {**VALID, field: value}
    outcome = {}
    for engine in ("cookiecutter", "copier"):
        parent = tmp_path / engine
        result = run_engine(engine, template, answers, parent, tmp_path / "home")
        outcome[engine] = (result.returncode, result.stdout + result.stderr, list(parent.iterdir()))
    return outcome


@pytest.mark.parametrize(("field", "value", "rule"), BAD_ANSWERS)
def test_a_bad_answer_stops_both_engines_with_the_same_message(
    template: Path, tmp_path: Path, field: str, value: str, rule: str
) -> None:
    message = f"Invalid {field} {_quoted(value)}: {rule}"
    for engine, (status, output, left_behind) in run_both(template, tmp_path, field, value).items():
        assert status != 0, f"{engine} accepted {field}={value!r}"
        assert message in output, f"{engine} did not say {message!r}:\n{output}"
        assert left_behind == [], f"{engine} left {left_behind}"


@pytest.mark.parametrize(("field", "value"), BAD_CHOICES)
def test_a_choice_off_the_list_stops_both_engines(
    template: Path, tmp_path: Path, field: str, value: str
) -> None:
    for engine, (status, output, left_behind) in run_both(template, tmp_path, field, value).items():
        assert status != 0, f"{engine} accepted {field}={value!r}"
        assert field in output, f"{engine} did not name {field}:\n{output}"
        assert value in output, f"{engine} did not show {value!r}:\n{output}"
        assert left_behind == [], f"{engine} left {left_behind}"


def test_an_empty_slug_stops_both_engines(template: Path, tmp_path: Path) -> None:
    # Cookiecutter names the project folder after the slug before any hook can run, so an empty
    # slug meets its own "directory already exists" check first; either way nothing is written.
    outcome = run_both(template, tmp_path, "project_slug", "")
    for engine, (status, _, left_behind) in outcome.items():
        assert status != 0, f"{engine} accepted an empty project_slug"
        assert left_behind == [], f"{engine} left {left_behind}"
    assert f'Invalid project_slug "": {SLUG_RULE}' in outcome["copier"][1]


def test_valid_unusual_answers_are_accepted(template: Path, tmp_path: Path) -> None:
    answers = {
        "project_name": "Ünïcode Service 2",
        "project_slug": "a1-b2",
        "package_name": "_private_name",
        "author_email": "ops+alerts@example.co.uk",
    }
    for engine in ("cookiecutter", "copier"):
        result = run_engine(engine, template, answers, tmp_path / engine, tmp_path / "home")
        assert result.returncode == 0, result.stderr
        assert (tmp_path / engine / "a1-b2" / "src" / "_private_name").is_dir()


def _quoted(value: str) -> str:
    """A value as both engines print it: a JSON string that keeps non-ASCII characters."""
    return json.dumps(value, ensure_ascii=False)
