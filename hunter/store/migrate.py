"""Schema migrations with Alembic, run from code (no ``alembic.ini``).

The revisions ship inside the package (``hunter/store/migrations/versions``).  Entry points
call :func:`upgrade` with ``settings.database()`` (``hunter db upgrade``); nothing here prints.
An unreachable database or a malformed URL raises :class:`~hunter.errors.ConfigError` naming
``HUNTER_DATABASE_URL`` with the password masked.

Every run is one transaction on both backends (SQLite included: DDL is transactional there
too), so a failing revision leaves the schema as it was.  On SQLite foreign keys are switched
off while migrating, because batch operations copy and drop tables and a ``DROP TABLE`` with
foreign keys on would cascade into the referencing tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from ..errors import ConfigError
from .db import make_engine, safe_url
from .models import Base

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
SETTING = "HUNTER_DATABASE_URL"


# PostgreSQL-only indexes of revision 0002 (expressions and trigram GIN), which the models
# cannot state portably; the comparison with the models leaves them out.
MIGRATION_ONLY_INDEXES = frozenset({
    "ix_leads_sort_score", "ix_leads_sort_score_desc", "ix_leads_sort_priority",
    "ix_leads_sort_company", "ix_leads_sort_scanned", "ix_leads_sort_scanned_desc",
    "ix_leads_domain_trgm", "ix_leads_company_trgm",
})


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """Compare only Hunter's tables (not ``alembic_version`` or anything else in the database)
    and not the migration-only indexes."""
    if type_ == "index" and name in MIGRATION_ONLY_INDEXES:
        return False
    return type_ != "table" or name in Base.metadata.tables


def config() -> Config:
    """An Alembic config pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head() -> str:
    """The newest revision shipped with this version of Hunter."""
    heads = ScriptDirectory.from_config(config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations must have exactly one head, found {heads}")
    return heads[0]


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision``; a no-op when it is already there."""
    _run(url, lambda cfg: command.upgrade(cfg, revision))


def downgrade(url: str, revision: str = "base") -> None:
    """Take the database at ``url`` back to ``revision`` (``"base"``: no tables at all)."""
    _run(url, lambda cfg: command.downgrade(cfg, revision))


def current(url: str) -> str | None:
    """The revision the database at ``url`` is at, or ``None`` when it was never migrated."""
    with connect(url) as conn:
        return MigrationContext.configure(conn).get_current_revision()


def differences(url: str) -> list[Any]:
    """What differs between the database at ``url`` and the models (``[]`` when in step)."""
    with connect(url) as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "include_name": include_name})
        return compare_metadata(ctx, Base.metadata)


def revision(url: str, message: str, *, autogenerate: bool = True) -> str:
    """Write a new revision file (for developers; see docs/store.md), returning its id.

    With ``autogenerate`` the file is drafted from the difference between the models and the
    database at ``url``, which must be at head.  Review and edit it before committing.
    """
    rev_id = f"{int(head()) + 1:04d}"
    with connect(url) as conn:
        cfg = config()
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=autogenerate, rev_id=rev_id)
    return rev_id


def _run(url: str, step: Any) -> None:
    with connect(url) as conn:
        cfg = config()
        cfg.attributes["connection"] = conn
        step(cfg)


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    """A connection in one transaction (committed on success) for migrating ``url``."""
    engine = _engine(url)
    try:
        conn = _open(engine, url)
        with conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                _sqlite_foreign_keys(conn, on=False)
            with conn.begin():
                if sqlite:
                    conn.exec_driver_sql("BEGIN")   # pysqlite would run DDL outside a transaction
                yield conn
            if sqlite:
                _sqlite_foreign_keys(conn, on=True)
    finally:
        engine.dispose()


def _sqlite_foreign_keys(conn: Connection, *, on: bool) -> None:
    """PRAGMA foreign_keys only takes effect outside a transaction."""
    conn.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    conn.commit()


def _engine(url: str) -> Engine:
    try:
        return make_engine(url)
    except sa_exc.NoSuchModuleError:
        raise ConfigError(SETTING, f"unknown database driver {_driver(url)!r}") from None
    except sa_exc.ArgumentError:
        raise ConfigError(SETTING, "not a valid database URL") from None
    except OSError as exc:
        raise ConfigError(SETTING, f"cannot create the database directory: {exc.strerror}") from None


def _open(engine: Engine, url: str) -> Connection:
    try:
        return engine.connect()
    except sa_exc.DBAPIError as exc:
        why = _first_line(str(exc.orig or exc), make_url(url).password)
        raise ConfigError(SETTING, f"cannot connect to {safe_url(url)}: {why}") from None


def _first_line(message: str, password: str | None) -> str:
    line = message.strip().splitlines()[0] if message.strip() else "connection failed"
    return line.replace(password, "***") if password else line


def _driver(url: str) -> str:
    try:
        return make_url(url).drivername
    except sa_exc.ArgumentError:
        return "?"
