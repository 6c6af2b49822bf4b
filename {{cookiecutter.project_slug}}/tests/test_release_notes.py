"""The notes of a release: what `scripts/release_notes.py` takes from CHANGELOG.md for a tag.

The release workflow runs the script on the pushed tag before it builds anything; these tests
run it in process, on changelogs of their own, the project's and the README's example.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import textwrap
import unittest
from pathlib import Path

from scripts.release_notes import main as release_notes_main

PROJECT = Path(__file__).resolve().parent.parent
CHANGELOG = """\
# Changelog

## [Unreleased]

### Fixed

- Not released yet.

## [1.2.0] - 2026-12-03

### Added

- Jobs carry their trace.

## [1.1.0] - 2026-11-02

- Older.

[Unreleased]: https://github.com/example/service/compare/v1.2.0...HEAD
[1.2.0]: https://github.com/example/service/compare/v1.1.0...v1.2.0
"""


def readme_changelog_example() -> str:
    """The Markdown block of the README's "Releasing" steps: CHANGELOG.md after step 1."""
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    releasing = readme.split("\n### Releasing\n", 1)[1]
    return textwrap.dedent(releasing.split("```markdown\n", 1)[1].split("```", 1)[0])


class ReleaseNotesTest(unittest.TestCase):
    def notes(self, tag: str, changelog: str) -> tuple[int, str, str]:
        """Run the script on `changelog` as the workflow does: (exit status, stdout, stderr)."""
        path = Path(self.enterContext(tempfile.TemporaryDirectory())) / "CHANGELOG.md"
        path.write_text(changelog, encoding="utf-8")
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = release_notes_main([tag, str(path)])
        return status, stdout.getvalue(), stderr.getvalue()

    def test_prints_the_tags_section_without_the_files_link_references(self) -> None:
        self.assertEqual(
            self.notes("v1.2.0", CHANGELOG), (0, "### Added\n\n- Jobs carry their trace.\n", "")
        )
        self.assertEqual(self.notes("v1.1.0", CHANGELOG), (0, "- Older.\n", ""))

    def test_a_tag_that_is_not_v_and_a_version_is_one_line_and_exit_2(self) -> None:
        for tag in ("1.2.0", "v1.2", "release-1.2.0", "v1.2.0-rc1", "v1.2.\u0663"):
            with self.subTest(tag=tag):
                status, stdout, stderr = self.notes(tag, CHANGELOG)
                self.assertEqual((status, stdout), (2, ""))
                self.assertEqual(
                    stderr, f"release_notes.py: tag {tag!r} is not vX.Y.Z, e.g. v1.2.0\n"
                )

    def test_a_version_without_a_section_or_with_an_empty_one_is_one_line_and_exit_2(
        self,
    ) -> None:
        empty = CHANGELOG.replace("- Older.\n", "")
        for changelog, tag, cause in (
            (CHANGELOG, "v1.3.0", " has no section '## [1.3.0] - YYYY-MM-DD'"),
            (empty, "v1.1.0", "'s section for 1.1.0 is empty"),
        ):
            with self.subTest(tag=tag):
                status, stdout, stderr = self.notes(tag, changelog)
                self.assertEqual((status, stdout), (2, ""))
                self.assertTrue(
                    stderr.startswith(f"release_notes.py: the changelog{cause}"), stderr
                )
                self.assertEqual(stderr.count("\n"), 1, stderr)

    def test_a_missing_changelog_is_one_line_and_exit_2(self) -> None:
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            status = release_notes_main(["v1.2.0", str(PROJECT / "no-such-changelog.md")])
        self.assertEqual(status, 2)
        self.assertIn("no-such-changelog.md", stderr.getvalue())
        self.assertEqual(stderr.getvalue().count("\n"), 1)

    def test_the_new_projects_changelog_has_nothing_released(self) -> None:
        changelog = (PROJECT / "CHANGELOG.md").read_text(encoding="utf-8")
        self.assertIn("\n## [Unreleased]\n", changelog)
        self.assertEqual(self.notes("v0.1.0", changelog)[0], 2)

    def test_the_readmes_example_releases_1_2_0_and_not_what_is_unreleased(self) -> None:
        status, stdout, _ = self.notes("v1.2.0", readme_changelog_example())
        self.assertEqual(status, 0)
        self.assertTrue(stdout.startswith("### "), stdout)
        self.assertNotIn("Unreleased", stdout)
