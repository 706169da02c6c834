"""hunter/store/migrate.py and revision 0001: the migrated schema is exactly the models'."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hunter.errors import ConfigError
from hunter.settings import Settings
from hunter.store import migrate
from hunter.store.models import Base


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_head_is_the_single_newest_revision() -> None:
    assert migrate.head() == "0008"


def test_upgrade_stepwise_from_an_existing_0001_database(database_url: str) -> None:
    """An existing database at 0001 is upgraded in place (no rebuild), its rows kept."""
    migrate.upgrade(database_url, "0001")
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO leads (domain, contacts, tags, created_at, updated_at) "
                                 "VALUES ('firma.com.tr', '[]', '[]', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        migrate.upgrade(database_url)
        assert migrate.current(database_url) == migrate.head()
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT domain FROM leads")).scalars().all() == ["firma.com.tr"]
            if engine.dialect.name == "postgresql":
                names = set(conn.execute(sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'leads'")).scalars())
                assert {"ix_leads_sort_score_desc", "ix_leads_domain_trgm"} <= names
        assert migrate.differences(database_url) == []
    finally:
        engine.dispose()


def test_upgrade_from_zero_creates_exactly_the_models_schema(database_url: str) -> None:
    assert migrate.current(database_url) is None
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == migrate.head()
    assert tables(database_url) == set(Base.metadata.tables) | {"alembic_version"}
    assert migrate.differences(database_url) == []


def test_the_comparison_notices_a_difference(database_url: str) -> None:
    migrate.upgrade(database_url)
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_leads_company"))
    engine.dispose()
    assert [d[0] for d in migrate.differences(database_url)] == ["add_index"]


def test_upgrading_twice_is_a_no_op(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == migrate.head()
    assert migrate.differences(database_url) == []


def test_downgrade_to_base_removes_every_table(database_url: str) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "base")
    assert migrate.current(database_url) is None
    assert tables(database_url) <= {"alembic_version"}
    migrate.upgrade(database_url)            # and back up again
    assert migrate.differences(database_url) == []


def test_sqlite_keeps_foreign_keys_on_after_migrating(database_url: str) -> None:
    migrate.upgrade(database_url)
    from hunter.store.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    engine.dispose()


def test_the_settings_database_can_be_upgraded(tmp_path) -> None:
    """What ``hunter db upgrade`` does with the default (SQLite in the data directory)."""
    url = Settings(data_dir=tmp_path / "data").database()
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()


def test_an_unreachable_database_is_a_config_error_without_the_password() -> None:
    url = "postgresql+psycopg://hunter:s3cr3t-pw@127.0.0.1:1/hunter"
    with pytest.raises(ConfigError) as caught:
        migrate.upgrade(url)
    assert caught.value.setting == "HUNTER_DATABASE_URL"
    assert "s3cr3t-pw" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value) and "***" in str(caught.value)


@pytest.mark.parametrize("url", ["not a url", "nosuchdb://user:pw@host/db"])
def test_a_malformed_url_is_a_config_error_without_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        migrate.current(url)
    assert caught.value.setting == "HUNTER_DATABASE_URL"
    assert "pw" not in str(caught.value).replace("HUNTER", "")
