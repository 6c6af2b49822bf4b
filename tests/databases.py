"""Find PostgreSQL's server where a postgres project's suite will run: this machine, or the root.

A project rendered with `job_store=postgres` tests its store against a real server: the one
`TEST_DATABASE_URL` names, else a throwaway cluster its suite starts itself with PostgreSQL's
binaries, found the way this module looks (`pg_config --bindir`, Debian's
`/usr/lib/postgresql/<version>/bin`, then `PATH`). Its suite runs where its Python lives, so the
binaries must be there: on this machine, or in the Debian root for 3.14 and 3.15, which
`make pythons` gives PostgreSQL too.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from tests.environments import run_in
from tests.interpreters import PROVIDE, Interpreter

# The newest initdb in the places the generated suite looks, printed by its path; nothing if none.
_FIND_INITDB = """
bindir=$(pg_config --bindir 2>/dev/null) && [ -x "$bindir/initdb" ] && echo "$bindir/initdb" && exit
for found in $(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V -r); do
    echo "$found" && exit
done
command -v initdb || true
"""
_PROVIDE_HERE = (
    "set TEST_DATABASE_URL, or install PostgreSQL's server (Debian: apt-get install postgresql)"
)


@functools.cache
def find_initdb(where: Interpreter | None) -> str | None:
    """The initdb a postgres project's suite would use where `where` runs it (None: here)."""
    probe = run_in(where, ["sh", "-c", _FIND_INITDB], Path("/"))
    return probe.stdout.strip() or None


def require_postgres(where: Interpreter | None) -> None:
    """A server for a postgres project's suite run where `where` lives, or the test skips
    saying how to get one; under CI a missing one fails, as the project's own suite would."""
    if os.environ.get("TEST_DATABASE_URL") or find_initdb(where) is not None:
        return
    if where is not None and where.root is not None:
        message = f"no PostgreSQL server in the Debian root {where.root}; to provide it: {PROVIDE}"
    else:
        message = f"no PostgreSQL server on this machine: {_PROVIDE_HERE}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)
