"""The command line: ``{{ cookiecutter.project_slug }}`` or ``python -m {{ cookiecutter.package_name }}``.

It reads the settings (environment first, then flags), sets up logging, opens the job store and
runs the `Service` on the real clock until SIGTERM or SIGINT.
{%- if cookiecutter.web_framework != "none" %} The HTTP server of `web.py` is its
`RequestServer`.
{%- endif %}
This is the one place that chooses the job store ({% if cookiecutter.job_store == "postgres" %}PostgreSQL, `postgres_store.py`{% else %}SQLite, `sqlite_store.py`{% endif %}):
nothing else in the service knows which it is. With tracing on (the ``OTEL_*`` variables, see
`tracing.py`) it wraps the store in spans and gives the service its tracer; the provider is
shut down, exporting what it still holds, when the service has stopped.

Exit status: 0 after a clean shutdown, 1 when the service crashed (the traceback is logged), 2
for bad configuration or arguments: a value that does not parse, an address that cannot be
listened on, a job database that is missing or cannot be opened{% if cookiecutter.web_framework != "none" %}, a file of API tokens that
is missing, unreadable or empty{% endif %}. A configuration error is one
line on standard error naming the variable or flag, the value (never a password) and the cause.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from {{ cookiecutter.package_name }} import __version__
{%- if cookiecutter.web_framework != "none" %}
from {{ cookiecutter.package_name }}.auth import BearerTokens, load_api_tokens
{%- endif %}
from {{ cookiecutter.package_name }}.clock import Clock, SystemClock
from {{ cookiecutter.package_name }}.config import (
    ConfigError,
    Settings,
    describe_variables,
{%- if cookiecutter.job_store == "postgres" %}
    redact_password,
{%- endif %}
    setting_docs,
)
from {{ cookiecutter.package_name }}.logs import configure_logging
{%- if cookiecutter.job_store == "postgres" %}
from {{ cookiecutter.package_name }}.postgres_store import PostgresJobStore
{%- endif %}
from {{ cookiecutter.package_name }}.signals import (
    leave_shutdown_signals_to_main_thread,
    shutdown_on_signals,
)
{%- if cookiecutter.job_store == "sqlite" %}
from {{ cookiecutter.package_name }}.sqlite_store import SqliteJobStore
{%- endif %}
from {{ cookiecutter.package_name }}.store import StoreUnavailableError
from {{ cookiecutter.package_name }}.tracing import TracingSettings, start_tracing

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.otel import Tracing

EXIT_OK, EXIT_CRASH, EXIT_USAGE = 0, 1, 2
# The job store's database, as OpenTelemetry's semantic conventions name it (db.system.name).
STORE_SYSTEM = "{% if cookiecutter.job_store == "postgres" %}postgresql{% else %}sqlite{% endif %}"

logger = logging.getLogger("{{ cookiecutter.package_name }}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: a flag for each setting that has one, overriding its variable.

    ``--help`` ends with every setting: its meaning, what it accepts and its default.
    """
    parser = argparse.ArgumentParser(
        prog="{{ cookiecutter.project_slug }}",
        epilog=describe_variables(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    for setting in setting_docs():
        if setting.flag:
            parser.add_argument(
                setting.flag,
                dest=setting.name,
                metavar=setting.name.upper(),
                help=f"{setting.meaning}; overrides {setting.variable}",
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the service; return the process's exit status."""
    flags = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(flags=vars(flags))
        tracing_settings = TracingSettings.from_env()
{%- if cookiecutter.web_framework != "none" %}
        api_tokens = load_api_tokens(settings)
{%- endif %}
    except ConfigError as error:
        return _configuration_error(error)
    configure_logging(settings.log_level, settings.log_format)
    tracing = start_tracing(tracing_settings)
    if tracing is not None:
        for handler in logging.getLogger().handlers:
            handler.addFilter(tracing.log_filter())
    try:
{%- if cookiecutter.web_framework != "none" %}
        asyncio.run(_serve(settings, tracing, api_tokens))
{%- else %}
        asyncio.run(_serve(settings, tracing))
{%- endif %}
    except ConfigError as error:
        return _configuration_error(error)
    except Exception:
        logger.exception("the service crashed")
        return EXIT_CRASH
    finally:
        if tracing is not None:
            tracing.shutdown()
    return EXIT_OK


def _configuration_error(error: ConfigError) -> int:
    print(f"{{ cookiecutter.project_slug }}: configuration error: {error}", file=sys.stderr)
    return EXIT_USAGE


{% if cookiecutter.web_framework != "none" -%}
async def _serve(
    settings: Settings, tracing: Tracing | None, api_tokens: BearerTokens | None
) -> None:
{%- else -%}
async def _serve(settings: Settings, tracing: Tracing | None) -> None:
{%- endif %}
    # Imported here, so that --help and configuration errors answer without loading the
    # service's dependencies.
    from {{ cookiecutter.package_name }}.job_origin import UNTRACED  # noqa: PLC0415
    from {{ cookiecutter.package_name }}.service import Service  # noqa: PLC0415
{%- if cookiecutter.web_framework != "none" %}
    from {{ cookiecutter.package_name }}.web import HttpServer, create_app  # noqa: PLC0415
{%- endif %}

    executor = ThreadPoolExecutor(initializer=leave_shutdown_signals_to_main_thread)
    asyncio.get_running_loop().set_default_executor(executor)
    clock = SystemClock()
    async with await _open_store(settings, clock) as opened:
        store = opened if tracing is None else tracing.traced(opened, STORE_SYSTEM)
        tracer = UNTRACED if tracing is None else tracing.jobs
        service = Service(settings, clock, store, tracer=tracer)
{%- if cookiecutter.web_framework == "none" %}
        with shutdown_on_signals(service.request_shutdown):
            await service.run()
{%- else %}
        http = HttpServer(create_app(service, api_tokens, tracing=tracing), settings)
        with shutdown_on_signals(service.request_shutdown):
            await service.run(http)
{%- endif %}

{%- if cookiecutter.job_store == "postgres" %}


async def _open_store(settings: Settings, clock: Clock) -> PostgresJobStore:
    source, url = settings.source_of("database_url"), settings.database_url
    if not url:
        raise ConfigError(source, None, "a PostgreSQL URL; the service keeps its jobs there")
    try:
        return await PostgresJobStore.open(url, clock)
    except StoreUnavailableError as error:
        allowed = f"a PostgreSQL database this process can reach ({error})"
        raise ConfigError(source, redact_password(url), allowed) from None
{%- else %}


async def _open_store(settings: Settings, clock: Clock) -> SqliteJobStore:
    try:
        return await SqliteJobStore.open(settings.jobs_database, clock)
    except StoreUnavailableError as error:
        allowed = f"a job database file this process can open and write ({error})"
        raise ConfigError(
            settings.source_of("jobs_database"), settings.jobs_database, allowed
        ) from None
{%- endif %}


if __name__ == "__main__":
    sys.exit(main())
