"""Tracing with OpenTelemetry, switched on and configured by the standard ``OTEL_*`` variables.

Tracing is **off unless an exporter is named**. OpenTelemetry's specification makes ``otlp``
the default exporter; this service does not, because a process that exports to a collector
nobody configured logs a failed export every few seconds, and a team without a collector would
pay for spans that go nowhere. Off, no module of the project's ``tracing`` extra is imported,
{%- if cookiecutter.web_framework == "fastapi" %}
so the extra need not even be installed. (FastAPI itself imports OpenTelemetry's API, for
telemetry of its own that stays off while no provider is set, as none is here.)
{%- else %}
nor any other OpenTelemetry module, so the extra need not even be installed.
{%- endif %}

`TracingSettings.from_env` reads, and checks, these variables (the OpenTelemetry environment
variable specification gives each its meaning):

- ``OTEL_TRACES_EXPORTER``: ``none`` (the default), ``otlp``, ``console``, or ``otlp,console``.
  ``console`` writes each span as one JSON line to standard output, for a look by hand.
- ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` (to which
  ``v1/traces`` is added): an ``http://`` or ``https://`` URL; ``http://localhost:4318`` when
  neither is set.
- ``OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`` or ``OTEL_EXPORTER_OTLP_PROTOCOL``: ``http/protobuf``,
  the one the extra installs (gRPC would bring grpcio, a large native package).
- ``OTEL_TRACES_SAMPLER`` (``parentbased_always_on`` by default, or ``always_on``,
  ``always_off``, ``traceidratio``, ``parentbased_always_off``, ``parentbased_traceidratio``)
  and ``OTEL_TRACES_SAMPLER_ARG``, the ratio of a ``traceidratio`` sampler, from 0 to 1.
- ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``, which the SDK reads itself; the
  service's name is ``{{ cookiecutter.project_slug }}`` unless they name it. The OTLP exporter
  also reads its own headers, timeout, compression and certificate variables.

A value the service cannot use raises `ConfigError` naming the variable, and so does an exporter
named while the extra is not installed: the command line exits with status 2.
`start_tracing` then builds the SDK's tracer provider (`otel.py`, the only module besides
`traced_store.py` that imports OpenTelemetry), or returns None when tracing is off.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import re
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from {{ cookiecutter.package_name }}.config import ConfigError

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.otel import Tracing

EXPORTERS = ("otlp", "console")
SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
PROTOCOL = "http/protobuf"
# What the tracing extra installs, by distribution name.
_EXTRA = (
    "opentelemetry-sdk",
    "opentelemetry-exporter-otlp-proto-http",
{%- if cookiecutter.web_framework == "aiohttp" %}
    "opentelemetry-instrumentation-aiohttp-server",
{%- elif cookiecutter.web_framework == "fastapi" %}
    "opentelemetry-instrumentation-fastapi",
{%- endif %}
)
_DECIMAL = re.compile(r"[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


@dataclasses.dataclass(frozen=True)
class TracingSettings:
    """What the ``OTEL_*`` variables ask of tracing; `exporters` is empty when it is off."""

    exporters: tuple[str, ...] = ()
    sampler: str = "parentbased_always_on"
    ratio: float = 1.0

    @property
    def enabled(self) -> bool:
        """Whether any span is to be exported."""
        return bool(self.exporters)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TracingSettings:
        """Read the variables of `environ` (the process's unless given); see the module."""
        environ = os.environ if environ is None else environ
        exporters = _exporters(environ.get("OTEL_TRACES_EXPORTER", "none"))
        if not exporters:
            return cls()
        _check_installed(environ["OTEL_TRACES_EXPORTER"])
        if "otlp" in exporters:
            _check_otlp(environ)
        text = environ.get("OTEL_TRACES_SAMPLER", cls.sampler)
        sampler = text.strip().lower()
        if sampler not in SAMPLERS:
            raise ConfigError("OTEL_TRACES_SAMPLER", text, "one of " + ", ".join(SAMPLERS))
        ratio = cls.ratio
        if sampler.endswith("traceidratio") and "OTEL_TRACES_SAMPLER_ARG" in environ:
            ratio = _ratio(environ["OTEL_TRACES_SAMPLER_ARG"])
        return cls(exporters, sampler, ratio)


def start_tracing(settings: TracingSettings) -> Tracing | None:
    """The SDK's tracing as `settings` ask, exporting from now on; None when tracing is off."""
    if not settings.enabled:
        return None
    # Imported only now: with tracing off, no OpenTelemetry module is loaded at all.
    from {{ cookiecutter.package_name }}.otel import Tracing, provider_for  # noqa: PLC0415

    return Tracing(provider_for(settings))


def _exporters(text: str) -> tuple[str, ...]:
    names = tuple(name.strip().lower() for name in text.split(","))
    if names == ("none",):
        return ()
    if not all(name in EXPORTERS for name in names) or len(set(names)) != len(names):
        raise ConfigError("OTEL_TRACES_EXPORTER", text, "none, otlp, console, or otlp,console")
    return names


def _check_installed(text: str) -> None:
    for distribution in _EXTRA:
        try:
            importlib.metadata.distribution(distribution)
        except importlib.metadata.PackageNotFoundError:
            raise ConfigError(
                "OTEL_TRACES_EXPORTER",
                text,
                f"none: {distribution} is not installed (install the service with its tracing"
                ' extra: "{{ cookiecutter.project_slug }}[tracing]")',
            ) from None


def _check_otlp(environ: Mapping[str, str]) -> None:
    for variable in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        if variable in environ and environ[variable].strip() != PROTOCOL:
            raise ConfigError(variable, environ[variable], f"{PROTOCOL}, the one installed")
    for variable in ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        if variable in environ and not _is_http_url(environ[variable]):
            raise ConfigError(
                variable, _without_password(environ[variable]), "an http:// or https:// URL"
            )


def _is_http_url(text: str) -> bool:
    try:
        url = urllib.parse.urlsplit(text.strip())
        url.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.hostname) and text.isprintable()


def _without_password(text: str) -> str:
    return re.sub(r"(?<=://)([^:/@]*):[^@/]*@", r"\1:***@", text)


def _ratio(text: str) -> float:
    ratio = float(text) if _DECIMAL.fullmatch(text.strip()) else -1.0
    if not 0 <= ratio <= 1:
        raise ConfigError("OTEL_TRACES_SAMPLER_ARG", text, "a ratio from 0 to 1")
    return ratio
