"""Jobs: what a client may ask for, and what the service promises about it once accepted.

A client describes a `Job` (a name and, in this example, how long it takes: `DEFAULT_DURATION`,
0 seconds, when it does not say). The service checks the description with `parse_job_request`,
which accepts exactly one shape and names the field at fault in a `JobRequestError` otherwise.
An accepted job becomes a `StoredJob` in the `JobStore` (see `store.py`) with an id the client
can ask about later, and moves through `JobStatus`:

    queued ──claim──▶ running ──finish──▶ done | failed
       ▲                 │
       └────release──────┘  (interrupted by shutdown, or its lease ran out: see `store.py`)

A job is therefore run *at least once*: if the process dies mid-job, the job is claimed again
and run again. Make `Worker.process` safe to repeat, or record in your own system that a job's
effect happened.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Mapping

MAX_NAME_LENGTH = 200
# A request may leave `duration` out: a job that asks for no time is complete as it is. One
# value for it, so that every way in, and what documents them, agree.
DEFAULT_DURATION = 0.0
JOB_FIELDS = ("name", "duration")

# Unicode's control characters and line and paragraph separators (Cc, Zl, Zp), and its other
# blanks, the spaces (Zs), as regular-expression ranges that Python and JSON Schema read alike.
_CONTROLS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_SPACES = r" \xa0\u1680\u2000-\u200a\u202f\u205f\u3000"
# The names `parse_job_request` accepts, for documents such as the OpenAPI one: no control
# character, and one character at least that is not blank.
NAME_PATTERN = f"^[^{_CONTROLS}]*[^{_CONTROLS}{_SPACES}][^{_CONTROLS}]*$"
_LINE_BREAKING = re.compile(f"[{_CONTROLS}]")


@dataclasses.dataclass(frozen=True)
class Job:
    """One unit of work: in this example, a name and how long processing it takes."""

    name: str
    duration: float = DEFAULT_DURATION


class JobStatus(enum.StrEnum):
    """Where a stored job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclasses.dataclass(frozen=True)
class StoredJob:
    """An accepted job as the store holds it: its id, its status, how often it was started.

    `owner` names the worker that claimed it last (None until a claim); with `attempts` it
    identifies the claim, which is how a store fences a worker that lost its lease. `origin` is
    what the job carries from the request that accepted it to each of its runs (the request id
    and the trace context, see `job_origin.py`); clients never see it.
    """

    id: str
    job: Job
    status: JobStatus = JobStatus.QUEUED
    attempts: int = 0
    error: str | None = None
    owner: str | None = None
    # Not hashed: a dict is not hashable, and the id already tells two jobs apart.
    origin: Mapping[str, str] = dataclasses.field(default_factory=dict, hash=False)

    def describe(self) -> dict[str, object]:
        """The job as the service shows it to clients and in its logs."""
        return {
            "id": self.id,
            "name": self.job.name,
            "duration": self.job.duration,
            "status": self.status.value,
            "attempts": self.attempts,
            "error": self.error,
        }


class ShuttingDownError(RuntimeError):
    """Raised when a job is submitted to a service that is no longer accepting any."""


class JobRequestError(ValueError):
    """A job description that does not fit the schema; `field` names the part at fault."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def parse_job_request(body: object, max_duration: float) -> Job:
    """The `Job` that `body`, a decoded JSON document, describes.

    The schema is ``{"name": string, "duration": number}``: `name` is required, one line of 1 to
    `MAX_NAME_LENGTH` characters; `duration` is optional (`DEFAULT_DURATION`, 0 seconds, when
    left out), a JSON number from 0 to `max_duration` seconds. Anything else, including unknown
    fields, raises `JobRequestError`.
    """
    if not isinstance(body, dict):
        raise JobRequestError("body", 'must be a JSON object {"name": string, "duration": seconds}')
    for field in body:
        if field not in JOB_FIELDS:
            raise JobRequestError(str(field), "is not a field of a job (name, duration)")
    return Job(
        name=_name(body.get("name")),
        duration=_duration(body.get("duration", DEFAULT_DURATION), max_duration),
    )


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise JobRequestError("name", "is required and must be a string")
    if not 0 < len(value) <= MAX_NAME_LENGTH or not value.strip():
        raise JobRequestError("name", f"must have 1 to {MAX_NAME_LENGTH} characters, not all blank")
    if _LINE_BREAKING.search(value):
        raise JobRequestError("name", "must be one line, without control characters")
    return value


def _duration(value: object, max_duration: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise JobRequestError("duration", "must be a number of seconds")
    if not 0 <= value <= max_duration:
        raise JobRequestError("duration", f"must be from 0 to {max_duration:g} seconds")
    return float(value)
