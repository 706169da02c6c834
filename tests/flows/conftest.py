"""Fixtures of the flow tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hunter.store import migrate
from hunter.store.db import make_engine


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Committed sessions on a migrated database (a flow commits, and ``scan_lead`` ends its
    read transaction), on SQLite and PostgreSQL."""
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()
