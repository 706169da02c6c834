"""``hunter user create|list|disable|enable|password``: the people who sign in to the lead screen.

A password is read from a hidden prompt (asked twice) or, with ``--password-stdin``, from the
first line of standard input (for scripts); it is never an argument, so it stays out of the shell
history and the process list.  Only its argon2 hash is stored.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from ..errors import HunterError
from ..settings import Settings
from ..store.tokens import ROLES
from ..store.users import UserRepository, check_password
from .startup import build_settings, fail, migrated_session

user_app = typer.Typer(no_args_is_help=True, help="Users of the lead screen (the web pages at /).")
T = TypeVar("T")
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")]


def _run(work: Callable[[UserRepository], T]) -> T:
    settings = build_settings(None, None)
    try:
        with migrated_session(settings.database()) as session:
            result = work(UserRepository(session))
            session.commit()
    except HunterError as exc:
        raise fail(str(exc)) from None
    return result


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        check_password(password)
    except HunterError as exc:
        raise fail(str(exc)) from None
    return password


@user_app.command("create")
def create(name: Annotated[str, typer.Argument(help="The user name (letters, digits, . _ @ + -).")],
           role: Annotated[str, typer.Option(help="viewer, sales or admin.")] = "viewer",
           password_stdin: PasswordStdin = False) -> None:
    """Create a user; the password is asked for (or read from stdin)."""
    if role not in ROLES:
        raise fail(f"--role must be one of {', '.join(ROLES)}")
    password = _password(password_stdin)
    user = _run(lambda users: users.create(name, password=password, role=role))
    typer.echo(f"user {user.name} created with the role {user.role}")


@user_app.command("list")
def list_users() -> None:
    """The users: name, role, state, last sign-in."""
    rows = _run(lambda users: [(u.name, u.role, "disabled" if u.disabled else "active",
                                u.last_login_at.isoformat(timespec="seconds") if u.last_login_at else "never")
                               for u in users.list()])
    for name, role, state, last in rows:
        typer.echo(f"{name}\t{role}\t{state}\tlast sign-in: {last}")


def _set(name: str, change: Callable[[UserRepository, object], None]) -> str:
    def work(users: UserRepository) -> str:
        user = users.by_name(name)
        if user is None:
            raise fail(f"there is no user {name!r}")
        change(users, user)
        return user.name
    return _run(work)


@user_app.command("disable")
def disable(name: str) -> None:
    """Disable a user: every session of theirs ends at once; they cannot sign in."""
    typer.echo(f"user {_set(name, lambda users, user: users.set_disabled(user, True))} disabled")


@user_app.command("enable")
def enable(name: str) -> None:
    """Let a disabled user sign in again."""
    typer.echo(f"user {_set(name, lambda users, user: users.set_disabled(user, False))} enabled")


@user_app.command("password")
def password(name: str, password_stdin: PasswordStdin = False) -> None:
    """Set a new password (the user's sessions end)."""
    secret = _password(password_stdin)
    typer.echo(f"password of {_set(name, lambda users, user: users.set_password(user, secret))} changed")


def ensure(settings: Settings, name: str, *, role: str, password: str) -> None:
    """The user ``name`` exists, enabled, with this role and password (the demo's login)."""
    with migrated_session(settings.database()) as session:
        users = UserRepository(session)
        user = users.by_name(name)
        if user is None:
            users.create(name, password=password, role=role)
        else:
            users.set_password(user, password)
            users.set_role(user, role)
            users.set_disabled(user, False)
        session.commit()
