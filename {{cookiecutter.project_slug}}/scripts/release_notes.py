"""The notes of a release: the section of CHANGELOG.md that the pushed tag names.

    python scripts/release_notes.py v1.2.0 [CHANGELOG.md]

The release workflow runs this before it builds anything, and makes the GitHub release from what
it prints. A tag is ``v`` and the version, ``vX.Y.Z``; CHANGELOG.md keeps the Keep a Changelog
layout, one ``## [X.Y.Z] - YYYY-MM-DD`` heading per release, newest first. The notes are the
lines between the tag's heading and the next ``## `` heading, without link reference definitions
(``[1.2.0]: https://...``), which belong to the file, not to one release.

A tag that is not ``vX.Y.Z``, or a version with no section or an empty one, is one line on
standard error and exit status 2: move the Unreleased notes under a heading for the version,
commit, and tag that commit.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_USAGE = 2

# ASCII digits only: the version goes on into the workflow's outputs and the image's tags.
_TAG = re.compile(r"v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)")
_LINK_REFERENCE = re.compile(r"\[[^\]]+\]:\s")


class ReleaseNotesError(Exception):
    """The changelog or the tag cannot make a release; the message says what to fix."""


def version_of(tag: str) -> str:
    """The version that `tag` releases: ``v1.2.0`` -> ``1.2.0``."""
    found = _TAG.fullmatch(tag)
    if found is None:
        raise ReleaseNotesError(f"tag {tag!r} is not vX.Y.Z, e.g. v1.2.0")
    return found["version"]


def release_notes(changelog: str, version: str) -> str:
    """The text of `version`'s section of `changelog`, stripped; its heading must exist."""
    heading = re.compile(rf"## \[{re.escape(version)}\](?: - .*)?")
    lines = changelog.splitlines()
    start = next((n for n, line in enumerate(lines) if heading.fullmatch(line.rstrip())), None)
    if start is None:
        raise ReleaseNotesError(
            f"the changelog has no section '## [{version}] - YYYY-MM-DD':"
            " move the Unreleased notes there, commit and tag that commit"
        )
    section = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        if not _LINK_REFERENCE.match(line):
            section.append(line)
    notes = "\n".join(section).strip()
    if not notes:
        raise ReleaseNotesError(f"the changelog's section for {version} is empty")
    return notes


def main(argv: Sequence[str] | None = None) -> int:
    """Print the notes of the release that the tag names; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="release_notes.py", description="Print the notes of a release from CHANGELOG.md."
    )
    parser.add_argument("tag", help="the pushed tag, e.g. v1.2.0")
    parser.add_argument("changelog", nargs="?", default="CHANGELOG.md", type=Path)
    args = parser.parse_args(argv)
    try:
        version = version_of(args.tag)
        notes = release_notes(args.changelog.read_text(encoding="utf-8"), version)
    except (ReleaseNotesError, OSError) as error:
        print(f"release_notes.py: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
