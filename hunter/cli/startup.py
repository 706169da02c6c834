"""What every command does first: build Settings, configure logs, and show errors as
``error: …`` on stderr with exit code 2 — never a traceback, never a password."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..errors import HunterError
from ..jobs.base import JobRunner, JobStatus
from ..settings import Settings
from ..store import db, migrate
from .. import logs


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def build_settings(nameserver: list[str] | None = None, fallback: list[str] | None = None,
                   timeout: float | None = None, **extra: object) -> Settings:
    """Settings from the environment plus the command's own options."""
    overrides: dict[str, object] = dict(extra)
    if nameserver:
        overrides["dns_nameservers"] = tuple(nameserver)
    if fallback:
        overrides["dns_fallback_nameservers"] = tuple(fallback)
    if timeout is not None:
        overrides["dns_timeout"] = timeout
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise fail(f"setting {where}: {first['msg']}") from None
    logs.configure(settings.log_level)
    return settings


def describe(url: str) -> str:
    """``sqlite: /data/hunter.db`` or the URL with its password masked."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite: {parsed.database or ':memory:'}"
    return f"{parsed.get_backend_name()}: {db.safe_url(url)}"


@contextmanager
def errors(url: str | None = None) -> Iterator[None]:
    """Hunter's errors and database failures as ``error: …``, exit 2, never the password."""
    try:
        yield
    except HunterError as exc:
        raise fail(str(exc)) from None
    except SQLAlchemyError as exc:
        where = f"database {describe(url)}" if url else "database"
        raise fail(f"{where}: {_reason(exc, url)}") from None


def _reason(exc: SQLAlchemyError, url: str | None) -> str:
    """The driver's first line, with the password scrubbed should the driver echo it."""
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    password = make_url(url).password if url else None
    return text.replace(str(password), "***") if password else text


class DbSession:
    """A session on a fresh engine, disposed afterwards (commands are short-lived)."""

    def __init__(self, url: str) -> None:
        self.engine = db.make_engine(url)

    def __enter__(self) -> Session:
        self.session = db.session_factory(self.engine)()
        return self.session

    def __exit__(self, *exc: object) -> None:
        self.session.close()
        self.engine.dispose()


@contextmanager
def migrated_session(url: str) -> Iterator[Session]:
    """A ``DbSession`` on the database at ``url``, its schema brought to the newest first."""
    migrate.upgrade(url)
    with DbSession(url) as session:
        yield session


def wait_for(runner: JobRunner, job_id: str, *, doing: str) -> JobStatus:
    """Wait for a job with a spinner on stderr ("<doing>: done/total")."""
    status = runner.status(job_id)
    with Console(stderr=True).status(f"{doing} {status.total} leads …") as spinner:
        while not status.finished:
            time.sleep(0.2)
            status = runner.status(job_id)
            spinner.update(f"{doing}: {status.done + status.failed}/{status.total}")
    return status
