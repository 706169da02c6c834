"""Users and API tokens [admin].  Users: create (name, role, password), change role, set a new
password, disable (every session of the user ends at once) or enable.  Tokens: the API's own
``create_token`` (shown once, on the page that created it), ``list_tokens``, ``revoke_token``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ..api.deps import services
from ..api.routes import tokens as api_tokens
from ..api.schemas import TokenCreated, TokenRequest
from ..errors import InputError
from ..store.models import User
from ..store.tokens import ROLES
from ..store.users import MIN_PASSWORD, UserRepository
from . import turkish
from .auth import Admin, AdminAction, WebUser
from .errors import NotFound
from .pages import flash, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=1024)]


@router.get("/admin")
def admin_page(request: Request, user: Admin) -> Response:
    return _page(request, user)


def _page(request: Request, user: WebUser, *, status: int = 200, created: TokenCreated | None = None,
          error: str | None = None, form: dict[str, str] | None = None) -> Response:
    svc = services(request)
    with svc.sessions() as session:
        users = turkish.sort(UserRepository(session).list(), key=lambda u: u.name)
        tokens = api_tokens.list_tokens(session, user)    # type: ignore[arg-type]
    return render(request, "admin.html", status=status, user=user, users=users, tokens=tokens[::-1],
                  roles=ROLES, created=created, error=error, form=form or {}, min_password=MIN_PASSWORD)


@router.post("/admin/users")
def create_user(request: Request, user: AdminAction, username: Text = "", role: Text = "viewer",
                password: Text = "") -> Response:
    svc = services(request)
    try:
        with svc.sessions() as session:
            UserRepository(session).create(username, password=password, role=role)
            session.commit()
    except InputError as exc:
        return _page(request, user, status=422, error=f"admin.error_{exc.column or 'name'}",
                     form={"username": username, "role": role})
    return flash(RedirectResponse("/admin", status_code=303), "flash.user_created", name=username.strip())


@router.post("/admin/users/{user_id:int}/{action}")
def change_user(user_id: int, action: str, request: Request, user: AdminAction, role: Text = "",
                password: Text = "") -> Response:
    """``action``: ``role``, ``password``, ``disable`` or ``enable``."""
    svc = services(request)
    if action not in ("role", "password", "disable", "enable"):
        raise NotFound()
    if user_id == user.id and action in ("disable", "role"):
        return flash(RedirectResponse("/admin", status_code=303), "flash.not_yourself", level="error")
    try:
        with svc.sessions() as session:
            name = _change(session, user_id, action, role=role, password=password)
            session.commit()
    except InputError as exc:
        return _page(request, user, status=422, error=f"admin.error_{exc.column or 'name'}")
    return flash(RedirectResponse("/admin", status_code=303), f"flash.user_{action}", name=name)


def _change(session: Session, user_id: int, action: str, *, role: str, password: str) -> str:
    repo = UserRepository(session)
    target: User | None = repo.get(user_id)
    if target is None:
        raise NotFound()
    if action == "role":
        repo.set_role(target, role)
    elif action == "password":
        repo.set_password(target, password)
    else:
        repo.set_disabled(target, action == "disable")
    return target.name


@router.post("/admin/tokens")
def create_token(request: Request, user: AdminAction, role: Text = "viewer", name: Text = "") -> Response:
    svc = services(request)
    try:
        body = TokenRequest(role=role, name=name.strip()[:100] or None)   # type: ignore[arg-type]
    except ValidationError:
        return _page(request, user, status=422, error="admin.error_role")
    with svc.sessions() as session:
        created = api_tokens.create_token(body, session, user)   # type: ignore[arg-type]
    return _page(request, user, created=created)


@router.post("/admin/tokens/{token_id:int}/revoke")
def revoke_token(token_id: int, request: Request, user: AdminAction) -> Response:
    with services(request).sessions() as session:
        api_tokens.revoke_token(token_id, session, user)   # type: ignore[arg-type]
    return flash(RedirectResponse("/admin", status_code=303), "flash.token_revoked", id=token_id)
