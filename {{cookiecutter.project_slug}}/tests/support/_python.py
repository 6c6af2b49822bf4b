"""The Python versions whose asyncio and unittest internals the toolkit was checked against.

The toolkit drives private parts of asyncio and unittest (listed in `INTERNALS.md`). A new
Python may change them without notice, and a loop that misreads them would not fail loudly: it
would jump over real work or miss a leak. So on a version not checked yet, `tests.support`
refuses to load, with a message saying what to do, unless told to trust that version.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

VERIFIED_PYTHONS = ((3, 11), (3, 12), (3, 13), (3, 14), (3, 15))
TRUST_VARIABLE = "TESTS_SUPPORT_TRUST_PYTHON"


def require_verified_python(
    version: tuple[int, int] = (sys.version_info.major, sys.version_info.minor),
    environ: Mapping[str, str] = os.environ,
) -> None:
    """Raise `RuntimeError` unless `version` was verified, or `environ` says to trust it."""
    if version in VERIFIED_PYTHONS:
        return
    shown = f"{version[0]}.{version[1]}"
    if environ.get(TRUST_VARIABLE) == shown:
        return
    verified = ", ".join(f"{major}.{minor}" for major, minor in VERIFIED_PYTHONS)
    raise RuntimeError(
        f"tests.support relies on asyncio and unittest internals checked on Python {verified} "
        f"(tests/support/INTERNALS.md), not on {shown}. Update the project from its template "
        f"(copier update, or cruft update) for a toolkit checked on {shown}, or set "
        f"{TRUST_VARIABLE}={shown} to run it unchecked."
    )
