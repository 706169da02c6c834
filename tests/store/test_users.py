"""hunter/store/users.py: users with argon2 password hashes and browser sessions stored by the
digest of their cookie, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from hunter.errors import InputError
from hunter.store.models import WebSession
from hunter.store.users import SessionPolicy, UserRepository, WebSessionRepository, name_key

POLICY = SessionPolicy(lifetime=timedelta(hours=12), idle=timedelta(hours=2))


def test_a_user_is_stored_with_a_hash_never_the_password(session: Session) -> None:
    user = UserRepository(session).create("Ayşe", password="Parola-2026", role="sales")
    assert user.name == "ayşe" and user.role == "sales" and not user.disabled and user.last_login_at is None
    assert user.password_hash.startswith("$argon2id$") and "Parola-2026" not in user.password_hash


def test_verify_accepts_only_the_right_password_of_an_enabled_user(session: Session) -> None:
    users = UserRepository(session)
    users.create("mehmet", password="Doğru-Parola-1", role="viewer")
    assert users.verify("MEHMET", "Doğru-Parola-1") is not None
    assert users.by_name("mehmet").last_login_at is not None
    assert users.verify("mehmet", "yanlış-parola") is None
    assert users.verify("kimse", "Doğru-Parola-1") is None
    users.set_disabled(users.by_name("mehmet"), True)
    assert users.verify("mehmet", "Doğru-Parola-1") is None


@pytest.mark.parametrize(("name", "password", "role"), [
    ("iki kelime", "Parola-2026", "viewer"), ("", "Parola-2026", "viewer"), ("kisa", "1234567", "viewer"),
    ("rolsuz", "Parola-2026", "root")])
def test_bad_names_passwords_and_roles_are_input_errors(session: Session, name: str, password: str, role: str) -> None:
    with pytest.raises(InputError):
        UserRepository(session).create(name, password=password, role=role)


def test_names_are_unique_whatever_their_case(session: Session) -> None:
    users = UserRepository(session)
    users.create("İlker", password="Parola-2026", role="viewer")
    assert name_key("İLKER") == "ilker" == users.by_name("ilker").name
    with pytest.raises(InputError, match="already"):
        users.create("ILKER", password="Parola-2026", role="viewer")


def test_a_session_is_found_by_its_cookie_and_stored_by_its_digest(session: Session) -> None:
    user = UserRepository(session).create("zeynep", password="Parola-2026", role="admin")
    sessions = WebSessionRepository(session)
    row, token = sessions.open(user, policy=POLICY)
    assert row.id != token and len(row.id) == 64 and row.csrf_token
    found = sessions.resolve(token, policy=POLICY)
    assert found is not None and found[1].id == user.id and found[0].csrf_token == row.csrf_token
    assert sessions.resolve(token + "x", policy=POLICY) is None
    sessions.close(token)
    assert sessions.resolve(token, policy=POLICY) is None


def test_sessions_end_at_expiry_when_idle_and_when_the_user_is_disabled(session: Session) -> None:
    users = UserRepository(session)
    user = users.create("emre", password="Parola-2026", role="viewer")
    sessions = WebSessionRepository(session)
    now = datetime.now(UTC)
    _, expired = sessions.open(user, policy=POLICY, now=now - timedelta(hours=13))
    _, idle = sessions.open(user, policy=POLICY, now=now - timedelta(hours=3))
    _, live = sessions.open(user, policy=POLICY, now=now - timedelta(minutes=5))
    assert sessions.resolve(expired, policy=POLICY, now=now) is None
    assert sessions.resolve(idle, policy=POLICY, now=now) is None
    found = sessions.resolve(live, policy=POLICY, now=now)
    assert found is not None and found[0].last_seen_at.replace(tzinfo=UTC) >= now - timedelta(seconds=1)
    session.flush()
    assert sessions.count(user.id) == 1                  # the dead ones were deleted on sight
    users.set_disabled(user, True)
    assert sessions.count(user.id) == 0 and sessions.resolve(live, policy=POLICY) is None


def test_purge_removes_only_dead_sessions_and_a_new_password_ends_all(session: Session) -> None:
    users = UserRepository(session)
    user = users.create("deniz", password="Parola-2026", role="sales")
    sessions = WebSessionRepository(session)
    now = datetime.now(UTC)
    sessions.open(user, policy=POLICY, now=now - timedelta(days=1))
    _, live = sessions.open(user, policy=POLICY, now=now)
    assert sessions.purge(policy=POLICY, now=now) == 1
    assert session.query(WebSession).count() == 1
    users.set_password(user, "Yeni-Parola-2026")
    assert sessions.resolve(live, policy=POLICY) is None
    assert users.verify("deniz", "Yeni-Parola-2026") is not None
