"""Find Python interpreters by version, never downloading one: the machine's, or the Debian root's.

Python 3.11-3.13 come from the machine (PATH or pyenv). Python 3.14 and 3.15 may come instead
from a Debian unstable root with Debian's own packages, entered with chroot, which
`.ci/debian-root provide` makes and mounts (as root). An `Interpreter` says how to run a command
where its Python lives: a project rendered under the host's temporary directory has the same path
inside the root, so uv builds the project's environment there with the root's Python, and the
environment's tools (the runner, ruff, mypy) run there too.
"""

from __future__ import annotations

import filecmp
import functools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engines import BIN

DEBIAN_ROOT = Path(os.environ.get("ASYNC_TEMPLATE_DEBIAN_ROOT", "/var/tmp/async-template-debian"))
DEBIAN_PYTHONS = ("3.14", "3.15")
PROVIDE = "make pythons (as root)"
_ROOT_PATH = "/usr/local/bin:/usr/bin:/bin"
_ROOT_CA_BUNDLE = "/etc/ssl/certs/machine-ca.crt"


@dataclass(frozen=True)
class Interpreter:
    """A Python to build environments with, and the place (this machine, or a root) it runs in."""

    version: str
    executable: Path
    root: Path | None = None

    @property
    def uv(self) -> str:
        """The pinned uv, as commands run by `command` see it."""
        return str(BIN / "uv") if self.root is None else "/usr/local/bin/uv"

    def command(self, argv: Sequence[str | Path], cwd: Path) -> list[str]:
        """`argv` as a command that runs in `cwd` where this Python lives.

        Inside the root, the environment is the caller's but for the paths that name the host's
        files: PATH, the CA bundle uv trusts, and any virtual environment the caller is in.
        """
        argv = [str(arg) for arg in argv]
        if self.root is None:
            return argv
        return [
            "chroot",
            str(self.root),
            "/usr/bin/env",
            "--chdir",
            str(cwd),
            "--unset=VIRTUAL_ENV",
            "--unset=PYTHONPATH",
            "--unset=PYTHONHOME",
            f"PATH={_ROOT_PATH}",
            f"SSL_CERT_FILE={_ROOT_CA_BUNDLE}",
            "HOME=/root",
            *argv,
        ]


@functools.cache
def find_python(version: str) -> Path | None:
    """An interpreter for `version` ("3.12"): on PATH as python3.12, or installed by pyenv."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(map(str, pyenv_root.glob(f"versions/{version}.*/bin/python{version}")))
    for candidate in filter(None, candidates):
        if _reports_version([candidate], version):
            return Path(candidate)
    return None


@functools.cache
def find_interpreter(version: str) -> Interpreter | None:
    """The machine's Python `version` if it has one, else the Debian root's, if that is ready."""
    if (python := find_python(version)) is not None:
        return Interpreter(version, python)
    executable = Path(f"/usr/bin/python{version}")
    if version in DEBIAN_PYTHONS and _debian_root_problem() is None:
        found = Interpreter(version, executable, DEBIAN_ROOT)
        if _reports_version(found.command([executable], Path("/")), version):
            return found
    return None


def require_interpreter(version: str) -> Interpreter:
    """Python `version`, or the test skips saying how to get it; under CI a missing one fails."""
    if (found := find_interpreter(version)) is not None:
        return found
    message = f"no Python {version} on this machine (looked on PATH and in pyenv)"
    if version in DEBIAN_PYTHONS:
        problem = _debian_root_problem() or f"it has no python{version}"
        message += f", nor in the Debian root {DEBIAN_ROOT} ({problem}); to provide it: {PROVIDE}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@functools.cache
def _debian_root_problem() -> str | None:
    """Why the Debian root cannot run the suite's commands yet, or None if it can."""
    host_tmp = Path(tempfile.gettempdir()).resolve()
    inside_tmp = DEBIAN_ROOT / host_tmp.relative_to("/")
    if os.geteuid() != 0:
        return "entering it with chroot needs root"
    if not (DEBIAN_ROOT / "usr/bin").is_dir():
        return "it does not exist"
    if not (DEBIAN_ROOT / "proc/self").exists() or not inside_tmp.exists():
        return "it is not mounted"
    if not os.path.samefile(inside_tmp, host_tmp):
        return f"{host_tmp} is not mounted at the same path inside"
    root_uv = DEBIAN_ROOT / "usr/local/bin/uv"
    if not root_uv.exists() or not filecmp.cmp(BIN / "uv", root_uv, shallow=False):
        return "its uv is not this checkout's pinned one"
    return None


def _reports_version(command: list[str], version: str) -> bool:
    # A pyenv shim is on PATH for every installed version but fails unless that one is selected.
    probe = subprocess.run(
        [*command, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and probe.stdout.strip() == version
