"""Whose code a stack frame runs: the project's, a library's, or the standard library's.

A report about a blocking call or an unclosed socket must name the line a user can change. The
stack at that moment runs through several kinds of code, innermost first: the standard
library's wrappers (`socket`, `subprocess`), perhaps a third-party library, and somewhere the
project's own line, which is the one to name. `project_site` finds it.
"""

from __future__ import annotations

import asyncio
import os
from types import FrameType

from tests.support._tasks import place

_STDLIB_DIR = os.path.dirname(os.__file__) + os.sep
_TOOLKIT_DIR = os.path.dirname(__file__) + os.sep
_THIRD_PARTY_MARKERS = (f"{os.sep}site-packages{os.sep}", f"{os.sep}dist-packages{os.sep}")
# Every loop callback starts in this method: what lies beyond it on the stack runs the loop.
_CALLBACK_START = asyncio.Handle._run.__code__


def is_third_party(filename: str) -> bool:
    """Whether `filename` belongs to an installed distribution (site-packages)."""
    return any(marker in filename for marker in _THIRD_PARTY_MARKERS)


def third_party_package(filename: str) -> str | None:
    """The top-level package an installed distribution's `filename` belongs to, or None."""
    for marker in _THIRD_PARTY_MARKERS:
        if marker in filename:
            return filename.split(marker, 1)[1].split(os.sep, 1)[0].removesuffix(".py")
    return None


def is_standard_library(filename: str) -> bool:
    """Whether `filename` is a module of the standard library, frozen ones included."""
    if filename.startswith("<frozen "):
        return True
    return filename.startswith(_STDLIB_DIR) and not is_third_party(filename)


def is_toolkit(filename: str) -> bool:
    """Whether `filename` is part of this toolkit, `tests.support`."""
    return filename.startswith(_TOOLKIT_DIR)


def standard_library_package(filename: str) -> str:
    """`logging` for .../logging/__init__.py, `importlib` for <frozen importlib._bootstrap>."""
    if filename.startswith("<frozen "):
        return filename.removeprefix("<frozen ").split(".")[0].rstrip(">")
    return filename.removeprefix(_STDLIB_DIR).split(os.sep, 1)[0].removesuffix(".py")


def is_projects(filename: str) -> bool:
    """Whether `filename` is the project's own code, its tests included: a line a user owns."""
    return not (is_standard_library(filename) or is_third_party(filename) or is_toolkit(filename))


def project_site(frame: FrameType | None) -> str | None:
    """`file:line in function` of the innermost frame from `frame` outward that is the project's.

    The search ends where the loop callback that runs `frame` began: a socket that asyncio
    accepts in a callback of its own has no project line, whatever started the loop.
    """
    while frame is not None:
        code = frame.f_code
        if code is _CALLBACK_START:
            return None
        if is_projects(code.co_filename):
            return f"{place(code.co_filename, frame.f_lineno)} in {code.co_name}"
        frame = frame.f_back
    return None
