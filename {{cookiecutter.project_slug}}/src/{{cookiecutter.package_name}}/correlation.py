"""Request ids: one short token that ties together every log record a request causes.

An id lives in the context variable `REQUEST_ID` for as long as its request is handled, and the
job a request creates can carry it on (`bound_request_id` restores it while the job runs), so
each of those log records can be found by one value. The HTTP layer takes the id from the
client's ``X-Request-ID`` header when it is a sane token (`request_id_from`), makes a new one
otherwise, and sends it back on every response. `RequestIdFilter`, on the log handler, copies
the current id onto each record as ``record.request_id`` (None outside any request), where
both log formats show it.

A client chooses what it sends, so an id that is not a sane token is replaced, never echoed
or logged: a sane token is 1 to 128 characters, each an ASCII letter or digit or one of
``. _ ~ - : / + =``. That holds the ids proxies and clients make (UUIDs, hex, base64, a
``host:port/path``-like prefix) and leaves out what could forge a header or a log line: spaces,
quotes, commas and semicolons, control characters, anything beyond ASCII.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_SANE = re.compile(r"[A-Za-z0-9._~:/+=-]{1,128}")


def request_id_from(header: str | None) -> str:
    """The id for a request whose ``X-Request-ID`` header is `header` (None when absent)."""
    if header is not None and _SANE.fullmatch(header):
        return header
    return uuid.uuid4().hex


@contextlib.contextmanager
def bound_request_id(request_id: str | None) -> Iterator[None]:
    """Make `request_id` the current id inside the block, and the previous one after it."""
    token = REQUEST_ID.set(request_id)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id as ``request_id``, None when there is none.

    On a handler, it runs in the code that logs, where the id is current, whichever logger the
    record came from.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True
