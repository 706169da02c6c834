"""Logging: one JSON object a line on stderr, at HUNTER_LOG_LEVEL.

Every line logged while the API serves a request carries its ``request_id`` (set by the
``api.access`` middleware with ``request_context``), and every line logged while a job runs
carries its ``job_id`` (``job_context``, used by the in-process runner and the Celery tasks).
Both are context variables, so they follow the work into tasks and ``asyncio.to_thread``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar

STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
LOGGERS = ("hunter", "uvicorn")

request_id: ContextVar[str | None] = ContextVar("hunter_request_id", default=None)
job_id: ContextVar[str | None] = ContextVar("hunter_job_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname.lower(),
                "logger": record.name, "message": record.getMessage()}
        line.update(current())
        line.update({k: v for k, v in vars(record).items() if k not in STANDARD})
        return json.dumps(line, ensure_ascii=False, default=str)


def current() -> dict[str, str]:
    """The request and job ids of the work this line belongs to (only those that are set)."""
    ids = {"request_id": request_id.get(), "job_id": job_id.get()}
    return {key: value for key, value in ids.items() if value is not None}


def request_context(value: str) -> AbstractContextManager[None]:
    """Every line logged inside carries ``request_id`` (the API's middleware)."""
    return _bound(request_id, value)


def job_context(value: str) -> AbstractContextManager[None]:
    """Every line logged inside carries ``job_id`` (a job's execution, in process or on Celery)."""
    return _bound(job_id, value)


@contextmanager
def _bound(variable: ContextVar[str | None], value: str) -> Iterator[None]:
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


def configure(level: str) -> None:
    """Hunter's loggers, and uvicorn's when it is started without a logging config of its own
    (``log_config=None``), write JSON lines on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
