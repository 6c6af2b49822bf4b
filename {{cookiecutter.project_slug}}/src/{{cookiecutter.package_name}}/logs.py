"""Logging set-up: the standard library's `logging`, one line per event, as text or JSON.

Modules log through ``logging.getLogger(__name__)`` and never configure anything; the command
line calls `configure_logging` once. The JSON format writes one object per line with the keys
``time``, ``level``, ``logger`` and ``message``, plus ``exception`` with the formatted traceback
when there is one, which is what log collectors expect. A record may carry structured data as
``extra={"fields": {...}}``: JSON lines add those keys; a text line has only its message, so
the message should say the same.

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

TEXT_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class TextFormatter(logging.Formatter):
    """`TEXT_FORMAT`, with every record on one line and tracebacks indented beneath it."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = _CONTROL.sub(_escape, record.message)
        return super().formatMessage(record)

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
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: str) -> None:
    """Send records at `level` and above to standard error, as ``text`` or ``json``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def _indented(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
