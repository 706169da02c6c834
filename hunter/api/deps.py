"""What routes depend on, as ``Annotated`` aliases: the services built by the lifespan, a
database session per request, and the caller's role (``Viewer``, ``Sales``, ``Admin``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ..integrations.base import LeadSink
from ..jobs.base import JobRunner
from ..pipeline import Context
from ..sales import SalesConfig
from ..settings import Settings
from .auth import Principal, require


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the lifespan opens once and closes at shutdown."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    context: Context
    sales_config: SalesConfig
    runner: JobRunner
    sink: LeadSink | None = None         # Dynamics 365, when HUNTER_D365_ENABLED and configured
    sink_error: str | None = None        # why it is not there although enabled (a setting)


def services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services)]


def session(svc: ServicesDep) -> Iterator[Session]:
    """One session per request; routes that write commit it themselves."""
    with svc.sessions() as db:
        yield db


def context(svc: ServicesDep) -> Context:
    return svc.context


def runner(svc: ServicesDep) -> JobRunner:
    return svc.runner


def settings(svc: ServicesDep) -> Settings:
    return svc.settings


SessionDep = Annotated[Session, Depends(session)]
ContextDep = Annotated[Context, Depends(context)]
RunnerDep = Annotated[JobRunner, Depends(runner)]
SettingsDep = Annotated[Settings, Depends(settings)]

Viewer = Annotated[Principal, Security(require("viewer", session))]
Sales = Annotated[Principal, Security(require("sales", session))]
Admin = Annotated[Principal, Security(require("admin", session))]
