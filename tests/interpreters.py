"""Find the machine's Python interpreters by version, without downloading any."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path


@functools.cache
def find_python(version: str) -> Path | None:
    """An interpreter for `version` ("3.12"): on PATH as python3.12, or installed by pyenv."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(map(str, pyenv_root.glob(f"versions/{version}.*/bin/python{version}")))
    for candidate in filter(None, candidates):
        if _reports_version(candidate, version):
            return Path(candidate)
    return None


def _reports_version(executable: str, version: str) -> bool:
    # A pyenv shim is on PATH for every installed version but fails unless that one is selected.
    probe = subprocess.run(
        [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and probe.stdout.strip() == version
