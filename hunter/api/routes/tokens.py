"""API tokens [admin]: issue (the token is shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, status

from ...store.models import ApiToken
from ...store.tokens import TokenRepository
from ..deps import Admin, SessionDep
from ..errors import NotFound, responses
from ..schemas import TokenCreated, TokenInfo, TokenRequest

router = APIRouter(prefix="/tokens", tags=["tokens"], responses=responses(401, 403))


@router.post("", status_code=status.HTTP_201_CREATED, responses=responses(422))
def create_token(body: TokenRequest, session: SessionDep, _: Admin) -> TokenCreated:
    row, token = TokenRepository(session).issue(role=body.role, name=body.name)
    session.commit()
    return TokenCreated(id=row.id, role=body.role, name=row.name, token=token)


@router.get("")
def list_tokens(session: SessionDep, _: Admin) -> list[TokenInfo]:
    return [_info(row) for row in TokenRepository(session).list()]


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(404))
def revoke_token(token_id: int, session: SessionDep, _: Admin) -> None:
    if TokenRepository(session).revoke(token_id) is None:
        raise NotFound(f"There is no token {token_id}.")
    session.commit()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(id=row.id, role=row.role, name=row.name, created_at=row.created_at,
                     last_used_at=row.last_used_at, revoked=row.revoked)
