"""Every generated project passes its own quality gates the day it is made, for every option set.

Each answer set is checked on its oldest Python, and each web framework on each of the newest
Pythons (3.14, 3.15: `tests.option_sets.matrix`), which may come from the Debian root of
`.ci/debian-root`; the project's own gates then run inside that root.

The gates are the ones its CI and pre-commit hooks run: ruff's lint and format check and
mypy --strict, with the versions its dev dependency group installs; plus the checks of its
configuration files: the GitHub workflow and Dependabot schemas (check-jsonschema's vendored
copies, offline), the pre-commit configuration, hadolint on the Dockerfile, actionlint (with
shellcheck) and zizmor (offline) on every workflow, and what those tools leave to convention:
each action pinned to a commit with its release in a comment, permissions granted per job,
Dependabot's cooldown. For the default answers, the project's own pre-commit hooks that work
offline also run over every file, and so do the scripts of its CI's tool jobs and of its audit
workflow, as written, with the tools of its ci group and a stand-in for OSV: the audit passes
with no advisory and fails on one.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.utils import canonicalize_name

from hooks import answer_rules
from tests.engines import BIN, git, render
from tests.environments import install, run_in
from tests.interpreters import Interpreter, require_interpreter
from tests.option_sets import NEWEST_PYTHONS, matrix

# An argument with a * stands for the project's files it matches (at least one), as in a shell:
# every workflow, those another option or a later change adds included.
WORKFLOWS = ".github/workflows/*"
CONFIG_CHECKS = {
    "workflow schema": [
        "check-jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        WORKFLOWS,
    ],
    "dependabot schema": [
        "check-jsonschema",
        "--builtin-schema",
        "vendor.dependabot",
        ".github/dependabot.yml",
    ],
    "pre-commit config": ["pre-commit", "validate-config", ".pre-commit-config.yaml"],
    "hadolint": ["hadolint", "Dockerfile"],
    # With shellcheck it also checks each run: script, as on GitHub's runners, which have one.
    "actionlint": ["actionlint", "-shellcheck", str(BIN / "shellcheck"), WORKFLOWS],
    # The workflows, dependabot.yml and the pre-commit configuration; the audits that ask GitHub
    # run in the project's own CI.
    "zizmor": ["zizmor", "--offline", "--no-progress", "."],
}
PROJECT_GATES = {
    "ruff check": ["ruff", "check"],
    "ruff format": ["ruff", "format", "--check"],
    "mypy --strict": ["mypy"],
}


RUNS = [
    pytest.param(options, version, id=f"{name}-py{version}")
    for name, options, version in matrix(NEWEST_PYTHONS)
]


def run_gate(command: list[str | Path], project: Path, where: Interpreter | None) -> str | None:
    """Run one gate in `project`, where `where` lives; return what it printed if it failed."""
    result = run_in(where, command, project)
    return None if result.returncode == 0 else result.stdout + result.stderr


@pytest.mark.parametrize(("options", "version"), RUNS)
def test_a_new_project_passes_every_gate(
    template: Path, tmp_path: Path, options: dict[str, str], version: str
) -> None:
    python = require_interpreter(version)
    project = render("cookiecutter", template, options, tmp_path / "out", tmp_path / "home")
    venv_bin = install(project, tmp_path / "venv", python, groups=("dev",)).parent

    # The configuration checks are the template suite's own tools, whatever the Python.
    failures = {
        name: output
        for name, command in CONFIG_CHECKS.items()
        if (output := run_gate([BIN / command[0], *expand(command[1:], project)], project, None))
    }
    if output := supply_chain_failures(project):
        failures["pins, permissions, Dependabot"] = output
    failures |= {
        name: output
        for name, command in PROJECT_GATES.items()
        if (output := run_gate([venv_bin / command[0], *command[1:]], project, python))
    }
    # On the default answers' oldest Python only: the hooks need the template suite's uv on
    # PATH, and CI's tool jobs install the project's ci group from the registry.
    if not options and python.root is None:
        once = {
            "pre-commit (offline hooks)": offline_pre_commit_failure(project, venv_bin, tmp_path),
            "CI's tool jobs and audit": ci_steps_failure(project, tmp_path / "runner"),
        }
        failures |= {name: output for name, output in once.items() if output}
    assert not failures, "\n".join(f"--- {name}\n{output}" for name, output in failures.items())
    own = {options.get("package_name", project.name.replace("-", "_"))}
    unreserved = installed_module_names(venv_bin / "python", python) - reserved_module_names() - own
    assert not unreserved, f"package_name would accept names the project installs: {unreserved}"


def expand(arguments: list[str], project: Path) -> list[str]:
    """Replace each argument with a * by the paths it matches in `project`, sorted."""
    expanded = []
    for argument in arguments:
        if "*" not in argument:
            expanded.append(argument)
            continue
        matches = sorted(str(path.relative_to(project)) for path in project.glob(argument))
        assert matches, f"{argument} matches nothing in {project.name}"
        expanded += matches
    return expanded


# uses: owner/repository[/path]@<commit> # v1.2.3 (a step's or a reusable workflow's)
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<target>\S*)(?P<comment>.*)$")
PINNED = re.compile(r"(?P<action>[\w.-]+/[\w.-]+)(?:/\S*)?@[0-9a-f]{40}")
RELEASE = re.compile(r" # v\d+(?:\.\d+)*")


def supply_chain_failures(project: Path) -> str | None:
    """What the README's "What CI checks" says and zizmor does not check, a line a problem."""
    problems = [*workflow_problems(project), *dependabot_problems(project), *job_problems(project)]
    return "\n".join(problems) or None


def workflow_problems(project: Path) -> Iterator[str]:
    """Pins, permissions and checkouts, in every workflow.

    Each action is pinned to a full commit with its release in a comment (Dependabot moves both
    together), one commit per action across the workflows; each workflow grants nothing
    (``permissions: {}``) and each job names what it needs; no checkout leaves its token in
    ``.git`` for later steps.
    """
    commits: dict[str, set[str]] = {}
    for path in sorted((project / ".github" / "workflows").iterdir()):
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            if not (uses := USES.match(line)) or uses["target"].startswith("./"):
                continue
            pin = PINNED.fullmatch(uses["target"])
            if pin is None or not RELEASE.fullmatch(uses["comment"]):
                yield f"{path.name}:{number}: not <commit> # <release>: {line.strip()}"
                continue
            commits.setdefault(pin["action"], set()).add(uses["target"])
        workflow = yaml.safe_load(text)
        if workflow.get("permissions") != {}:
            yield f"{path.name}: the workflow's permissions are not {{}}"
        for name, job in workflow["jobs"].items():
            if "permissions" not in job:
                yield f"{path.name}: job {name} does not name its permissions"
            for step in job.get("steps", []):
                checkout = step.get("uses", "").startswith("actions/checkout@")
                if checkout and step.get("with", {}).get("persist-credentials") is not False:
                    yield f"{path.name}: job {name} checks out with persisted credentials"
    for action, pins in commits.items():
        if len(pins) > 1:
            yield f"{action} is pinned to several commits: {sorted(pins)}"


def dependabot_problems(project: Path) -> Iterator[str]:
    """The lock, the images and the actions, weekly, each release once it is a week old."""
    config = yaml.safe_load((project / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    ecosystems = {update["package-ecosystem"]: update for update in config["updates"]}
    if missing := {"uv", "docker", "github-actions"} - ecosystems.keys():
        yield f"dependabot.yml: nothing updates {sorted(missing)}"
    for ecosystem, update in ecosystems.items():
        if update["schedule"]["interval"] != "weekly":
            yield f"dependabot.yml: {ecosystem} is not updated weekly"
        if update.get("cooldown", {}).get("default-days", 0) < 7:
            yield f"dependabot.yml: {ecosystem} updates take a release at once"
    groups = ecosystems.get("github-actions", {}).get("groups", {}).values()
    if ["*"] not in [group.get("patterns") for group in groups]:
        yield "dependabot.yml: the actions are not updated as one group"


def job_problems(project: Path) -> Iterator[str]:
    """The image job builds from the checkout, pushes nowhere, caches; the audit runs weekly."""
    workflows = project / ".github" / "workflows"
    steps = yaml.safe_load((workflows / "ci.yml").read_text(encoding="utf-8"))["jobs"]["image"]
    builds = [
        step.get("with", {})
        for step in steps["steps"]
        if step.get("uses", "").startswith("docker/build-push-action@")
    ]
    build = builds[0] if len(builds) == 1 else {}
    seen = (build.get("context"), build.get("push"), build.get("cache-from"))
    if seen != (".", False, "type=gha") or not str(build.get("cache-to")).startswith("type=gha,"):
        yield f"ci.yml: the image job's one build is not from ., unpushed and cached: {builds}"
    audit = yaml.safe_load((workflows / "audit.yml").read_text(encoding="utf-8"))
    # YAML 1.1, which PyYAML reads, takes the key on for true.
    events = audit[True]
    crons = [entry["cron"] for entry in events.get("schedule", [])]
    weekly = len(crons) == 1 and re.fullmatch(r"\d+ \d+ \* \* \d", crons[0])
    if not {"push", "pull_request"} <= events.keys() or not weekly:
        yield f"audit.yml does not run on each change and weekly: {events}"


# A vulnerability in a package every project locks (its tests' coverage), as OSV would report it.
ADVISORY = {
    "id": "GHSA-test-0000-0000",
    "summary": "A stand-in advisory",
    "affected": [
        {
            "package": {"name": "coverage", "ecosystem": "PyPI"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "999"}]}],
        }
    ],
}


@contextlib.contextmanager
def osv_stand_in(advisories: dict[str, list[object]], asked: set[str]) -> Iterator[str]:
    """Answer OSV's query API on a loopback port from `advisories` (package name -> vulns).

    The names of the packages it is asked about go into `asked`.
    """

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            asked.add(query["package"]["name"])
            vulns = advisories.get(query["package"]["name"], [])
            body = json.dumps({"vulns": vulns} if vulns else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the suite's output to failures."""

    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
        finally:
            server.shutdown()
            thread.join()


def ci_steps_failure(project: Path, scratch: Path) -> str | None:
    """Run the scripts of CI's tool jobs and of the audit as written, OSV stood in for.

    The workflows and image jobs' scripts pass (zizmor without a token makes only its offline
    audits), and so does the audit with no advisory: the ci group installs from the lock, and
    pip-audit asks about every package of the lock that Linux installs. With one advisory
    against a locked package, the audit fails and names it. The steps that use actions
    (checkout, uv, the image build) are GitHub's.
    """
    git(project, "init", "--quiet")  # actionlint finds the workflows of the repository
    scratch.mkdir()
    advisories: dict[str, list[object]] = {}
    asked: set[str] = set()
    with osv_stand_in(advisories, asked) as url:
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "RUNNER_TEMP": str(scratch),
            "UV_PROJECT_ENVIRONMENT": str(scratch / "ci-venv"),
            "UV_PYTHON_DOWNLOADS": "never",
            "PIP_AUDIT_OSV_URL": url,
        }
        for workflow, job in (("ci", "workflows"), ("ci", "image"), ("audit", "dependencies")):
            result = run_job_scripts(project, workflow, job, env)
            if result.returncode != 0:
                return f"{workflow}.yml job {job}:\n{result.stdout}{result.stderr}"
        if unasked := packages_to_audit(project, scratch / "requirements.txt") - asked:
            return f"the audit never asked about {sorted(unasked)}"
        advisories["coverage"] = [ADVISORY]
        result = run_job_scripts(project, "audit", "dependencies", env)
    if result.returncode == 0 or ADVISORY["id"] not in result.stdout:
        return f"the audit with {ADVISORY['id']} against coverage:\n{result.stdout}{result.stderr}"
    return None


# A line of uv export's that names a package with a marker: name==version ; marker \
EXPORTED_WITH_MARKER = re.compile(r"^(?P<name>[\w.-]+)==\S+ ; (?P<marker>.+?) \\$", re.MULTILINE)


def packages_to_audit(project: Path, export: Path) -> set[str]:
    """The packages of uv.lock but the project, less those the export marks for elsewhere.

    pip-audit leaves out a requirement whose marker this machine does not meet (a package only
    Windows installs); one the export forgot altogether stays in.
    """
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    elsewhere = {
        canonicalize_name(line["name"])
        for line in EXPORTED_WITH_MARKER.finditer(export.read_text(encoding="utf-8"))
        if not Marker(line["marker"]).evaluate()
    }
    itself = canonicalize_name(pyproject["project"]["name"])
    return {package["name"] for package in lock["package"]} - {itself} - elsewhere


def run_job_scripts(
    project: Path, workflow: str, job: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the run: scripts of `job` in `workflow`.yml in order with bash, as a runner would."""
    path = project / ".github" / "workflows" / f"{workflow}.yml"
    steps = yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"][job]["steps"]
    script = "\n".join(["set -euo pipefail", *(step["run"] for step in steps if "run" in step)])
    return subprocess.run(
        ["bash", "-c", script], cwd=project, env=env, capture_output=True, text=True, check=False
    )


def offline_pre_commit_failure(project: Path, venv_bin: Path, scratch: Path) -> str | None:
    """Run the project's local pre-commit hooks (ruff, ruff format, mypy) over all its files.

    The other hooks come from a repository pre-commit clones from GitHub, out of reach here.
    """
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    local = {"repos": [repo for repo in config["repos"] if repo["repo"] == "local"]}
    offline_config = scratch / "pre-commit-local.yaml"
    offline_config.write_text(yaml.safe_dump(local), encoding="utf-8")
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "UV_PROJECT_ENVIRONMENT": str(venv_bin.parent),
        "UV_PYTHON_DOWNLOADS": "never",
        "PRE_COMMIT_HOME": str(scratch / "pre-commit-home"),
    }
    result = subprocess.run(
        [str(venv_bin / "pre-commit"), "run", "--all-files", "--config", str(offline_config)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    hooks = [hook["id"] for repo in local["repos"] for hook in repo["hooks"]]
    if result.returncode == 0 and result.stdout.count("Passed") == len(hooks) == 3:
        return None
    return f"hooks {hooks}:\n{result.stdout}{result.stderr}"


def installed_module_names(python: Path, where: Interpreter) -> set[str]:
    """The top-level modules of every distribution in the environment, minus the stdlib's."""
    script = (
        "import importlib.metadata as m, sys; print(*(name for name in"
        " m.packages_distributions() if name not in sys.stdlib_module_names))"
    )
    result = run_in(where, [python, "-c", script], python.parent)
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split()
    # mypyc's compiled helpers carry a hash in their name, and a stubs directory (wrapt-stubs) a
    # hyphen: neither can be a package name.
    return {name for name in listed if name.isidentifier() and not name.endswith("__mypyc")}


def reserved_module_names() -> set[str]:
    """The names package_name refuses because the project imports or installs them."""
    return set(answer_rules.PROJECT_MODULE_NAMES)
