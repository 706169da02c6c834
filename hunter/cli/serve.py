"""``hunter serve`` (the HTTP API under uvicorn) and ``hunter token create``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..errors import HunterError
from ..settings import Settings
from ..store import migrate
from ..store.tokens import ROLES, TokenRepository
from . import loop
from .startup import build_settings, fail, migrated_session

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
token_app = typer.Typer(no_args_is_help=True, help="API tokens.")


def serve(
    host: Annotated[Optional[str], typer.Option(help=f"Address to bind (default HUNTER_API_HOST or {DEFAULT_HOST}).")] = None,
    port: Annotated[Optional[int], typer.Option(min=1, max=65535, help=f"Port (default HUNTER_API_PORT or {DEFAULT_PORT}).")] = None,
    migrate_db: Annotated[bool, typer.Option("--migrate/--no-migrate", help="Bring the database schema to head first.")] = True,
) -> None:
    """Serve the HTTP API (docs at /api/v1/docs) until Ctrl-C."""
    import uvicorn

    from ..api import create_app
    settings = build_settings(None, None)
    try:
        if migrate_db:
            migrate.upgrade(settings.database())
        app = create_app(settings)
    except HunterError as exc:
        raise fail(str(exc)) from None
    loop.tune_gc()                      # the job runner scans in bulk in this process too
    uvicorn.run(app, host=host or getattr(settings, "api_host", DEFAULT_HOST),
                port=port or getattr(settings, "api_port", DEFAULT_PORT),
                log_level=settings.log_level.lower(),
                log_config=None, access_log=False)   # JSON lines (``logs``); ``api.access`` logs each request


@token_app.command("create")
def create_token(
    role: Annotated[str, typer.Option(help="viewer, sales or admin.")],
    name: Annotated[Optional[str], typer.Option(help="A label (who or what uses it).")] = None,
) -> None:
    """Issue an API token and print it (only the token, one line; it is not shown again)."""
    if role not in ROLES:
        raise fail(f"--role must be one of {', '.join(ROLES)}")
    settings = build_settings(None, None)
    try:
        token = issue(settings, role=role, name=name)
    except HunterError as exc:
        raise fail(str(exc)) from None
    typer.echo(token)


def issue(settings: Settings, *, role: str, name: str | None) -> str:
    """Migrate if needed, store a new token's digest, return the token."""
    with migrated_session(settings.database()) as session:
        _, token = TokenRepository(session).issue(role=role, name=name)
        session.commit()
    return token
