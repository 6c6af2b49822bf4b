"""Which of a generated project's test modules a template test needs to run.

A generated suite has two kinds of module. Most test the service, and their text, or whether
they exist at all, follows the answers: the web framework, the job store, the package's name.
The others, the test toolkit's own tests (`tests/support`) above all, hold no Jinja in their
template, so every project gets them byte for byte, and what they prove depends only on the
Python that runs them. Running those once per Python proves as much as running them in every
project, and they take about half of a small project's suite's CPU time.

`answer_dependent_modules` names the first kind as the rendered project has them, so a stale
module that a switch of answers failed to remove is still run, and still fails.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.engines import REPO_ROOT

_TEMPLATE_TESTS = REPO_ROOT / "{{cookiecutter.project_slug}}" / "tests"
_JINJA = re.compile(r"\{[{%#]")


def answer_free_modules() -> frozenset[str]:
    """The generated test modules that are the same in every project, as dotted names."""
    return frozenset(
        f"tests.{path.stem}"
        for path in _TEMPLATE_TESTS.glob("test_*.py")
        if not _JINJA.search(path.name) and not _JINJA.search(path.read_text(encoding="utf-8"))
    )


def answer_dependent_modules(project: Path) -> list[str]:
    """The rendered `project`'s test modules that its answers shape, as dotted names."""
    free = answer_free_modules()
    names = (f"tests.{path.stem}" for path in (project / "tests").glob("test_*.py"))
    return sorted(name for name in names if name not in free)
