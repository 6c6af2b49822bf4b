"""Logging set-up: the standard library's `logging`, one line per event, as text or JSON.

Modules log through ``logging.getLogger(__name__)`` and never configure anything; the command
line calls `configure_logging` once. The JSON format writes one object per line with the keys
``time``, ``level``, ``logger`` and ``message``, plus ``exception`` with the formatted traceback
when there is one, which is what log collectors expect. A record may carry structured data as
``extra={"fields": {...}}``: JSON lines add those keys; a text line has only its message, so
the message should say the same.

A record logged while a request is handled, or a job it created runs, carries that request's id
(`correlation`): JSON lines as the key ``request_id``, text lines in brackets after the
logger's name (``my.logger [4bf92f35]: message``); a record outside any request has neither.
With tracing on (see `tracing.py`), a JSON line logged in a span also has its ``trace_id`` and
``span_id``, in hex, as tracing backends show them.

Log lines often hold what clients sent (a job's name, say), so neither format lets that text
forge a record: JSON escapes it by construction, and the text format writes line breaks and
other control characters in a message as escapes (``\\n``) and indents every line of a
traceback, so each record starts exactly one line that begins with its time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from types import TracebackType

from {{ cookiecutter.package_name }}.correlation import RequestIdFilter

TEXT_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
_TEXT_FORMAT_IN_REQUEST = "%(asctime)s %(levelname)-8s %(name)s [%(request_id)s]: %(message)s"
_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class TextFormatter(logging.Formatter):
    """`TEXT_FORMAT`, with every record on one line and tracebacks indented beneath it."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)
        self._in_request = logging.Formatter(_TEXT_FORMAT_IN_REQUEST)

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = _CONTROL.sub(_escape, record.message)
        if getattr(record, "request_id", None) is None:
            return super().formatMessage(record)
        return self._in_request.formatMessage(record)

    def formatException(self, ei: _ExcInfo) -> str:
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _indented(super().formatStack(stack_info))


class JsonFormatter(logging.Formatter):
    """Formats each record as a single-line JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        # Stamped by tracing's filter (otel.py) on a record logged in a span.
        for span_key in ("trace_id", "span_id"):
            if hasattr(record, span_key):
                entry[span_key] = getattr(record, span_key)
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: str) -> None:
    """Send records at `level` and above to standard error, as ``text`` or ``json``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    logging.basicConfig(level=level, handlers=[handler], force=True)


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def _indented(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
