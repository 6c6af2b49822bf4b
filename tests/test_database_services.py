"""A postgres project brings its database along: compose.yaml for local work, a service in CI.

No container engine runs here, and the docker client on such machines has no compose plugin to
check a file offline, so `compose.yaml` is held to the Compose Specification's JSON schema
(check-jsonschema's vendored copy, offline) and then to what the schema cannot say: the service
reaches the database it waits for, by the address and credentials that database is given, only
once that database is healthy, and nothing is published beyond 127.0.0.1. The generated
workflow's PostgreSQL service container is checked the same way against its test step.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.engines import BIN, render
from tests.option_sets import OPTION_SETS

POSTGRES_SETS = {
    name: options for name, options in OPTION_SETS.items() if options.get("job_store") == "postgres"
}
POSTGRES_PORT = 5432
# PostgreSQL 18's image keeps its data below this directory (earlier images: below data/).
POSTGRES_VOLUME_TARGET = "/var/lib/postgresql"


@pytest.fixture(scope="module", params=POSTGRES_SETS.values(), ids=POSTGRES_SETS.keys())
def options(request: pytest.FixtureRequest) -> dict[str, str]:
    return request.param


def load(project: Path, name: str) -> Any:
    return yaml.safe_load((project / name).read_text(encoding="utf-8"))


def env_prefix(project: Path, options: dict[str, str]) -> str:
    return options.get("package_name", project.name.replace("-", "_")).upper() + "_"


def test_compose_file_follows_the_compose_specification(project: Path) -> None:
    result = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_starts_the_service_once_its_database_is_healthy(
    project: Path, options: dict[str, str]
) -> None:
    compose = load(project, "compose.yaml")
    assert set(compose["services"]) == {"service", "postgres"}
    service, postgres = compose["services"]["service"], compose["services"]["postgres"]
    assert service["build"] == "."
    assert (project / service["build"] / "Dockerfile").is_file()
    assert service["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert postgres["image"].startswith("postgres:")
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]

    url = urlsplit(service["environment"][f"{env_prefix(project, options)}DATABASE_URL"])
    database = postgres["environment"]
    assert url.scheme == "postgresql"
    assert (url.hostname, url.port) == ("postgres", POSTGRES_PORT)
    assert url.username == database["POSTGRES_USER"]
    assert url.password == database["POSTGRES_PASSWORD"]
    assert url.path == "/" + database["POSTGRES_DB"]
    assert f"--dbname={database['POSTGRES_DB']}" in postgres["healthcheck"]["test"]


def test_compose_keeps_the_jobs_in_a_named_volume(project: Path) -> None:
    compose = load(project, "compose.yaml")
    mounts = [volume.split(":") for volume in compose["services"]["postgres"]["volumes"]]
    assert [target for _, target in mounts] == [POSTGRES_VOLUME_TARGET]
    assert {source for source, _ in mounts} <= set(compose["volumes"])


def test_compose_publishes_ports_on_the_loopback_only(
    project: Path, options: dict[str, str]
) -> None:
    services = load(project, "compose.yaml")["services"]
    # host address : host port (perhaps ${VARIABLE:-default}) : container port
    published = {name: spec.get("ports", []) for name, spec in services.items()}
    for name, ports in published.items():
        assert all(port.startswith("127.0.0.1:") for port in ports), (name, ports)
    targets = {
        name: [port.rsplit(":", 1)[1] for port in ports] for name, ports in published.items()
    }
    assert targets["postgres"] == [str(POSTGRES_PORT)]
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    image_port = re.search(rf"{env_prefix(project, options)}PORT=(\d+)", dockerfile)
    if options.get("web_framework", "aiohttp") == "none":
        assert image_port is None
        assert targets["service"] == []
    else:
        assert image_port is not None
        assert targets["service"] == [image_port[1]]


def test_compose_waits_longer_than_the_services_grace_period(
    project: Path, options: dict[str, str]
) -> None:
    package = options.get("package_name", project.name.replace("-", "_"))
    config = (project / "src" / package / "config.py").read_text(encoding="utf-8")
    default = re.search(r"shutdown_grace_period: float = _setting\(\s*([0-9.]+),", config)
    assert default is not None, "the grace period's default moved: update this test"
    waited = load(project, "compose.yaml")["services"]["service"]["stop_grace_period"]
    assert waited.endswith("s")
    assert float(waited.removesuffix("s")) > float(default[1])


def test_ci_runs_the_suite_against_a_postgresql_service_container(project: Path) -> None:
    job = load(project, ".github/workflows/ci.yml")["jobs"]["test"]
    postgres = job["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert f"{POSTGRES_PORT}:{POSTGRES_PORT}" in postgres["ports"]
    assert "--health-cmd" in postgres["options"]
    (test_step,) = (step for step in job["steps"] if "python -m tests" in step.get("run", ""))
    url = urlsplit(test_step["env"]["TEST_DATABASE_URL"])
    assert (url.hostname, url.port) == ("localhost", POSTGRES_PORT)
    assert url.password == postgres["env"]["POSTGRES_PASSWORD"]
    # The image's user defaults to postgres, whose database of the same name always exists.
    assert (url.username, url.path) == ("postgres", "/postgres")


def test_dependabot_updates_the_compose_images(project: Path) -> None:
    updates = load(project, ".github/dependabot.yml")["updates"]
    assert "docker-compose" in {update["package-ecosystem"] for update in updates}


def test_a_sqlite_project_has_no_database_services(template: Path, tmp_path: Path) -> None:
    project = render("cookiecutter", template, {}, tmp_path / "out", tmp_path / "home")
    assert not (project / "compose.yaml").exists()
    job = load(project, ".github/workflows/ci.yml")["jobs"]["test"]
    assert "services" not in job
    assert all("TEST_DATABASE_URL" not in step.get("env", {}) for step in job["steps"])
    updates = load(project, ".github/dependabot.yml")["updates"]
    assert "docker-compose" not in {update["package-ecosystem"] for update in updates}
