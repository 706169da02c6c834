"""Database fixtures: a migrated database per test, each test inside a rolled-back transaction.

Built on the shared ``database_url`` fixture, so every test here runs on SQLite and on
PostgreSQL (STYLE.md §11).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hunter.model import (Analysis, Dkim, Dmarc, DnsError, Evidence, Gateway, M365, MxHost,
                          Provider, Reason, Spf, TenantSize)
from hunter.store import migrate
from hunter.store.db import make_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to head."""
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test."""
    with engine.connect() as connection:
        outer = connection.begin()
        db = Session(bind=connection, expire_on_commit=False)
        try:
            yield db
        finally:
            db.close()
            outer.rollback()


@pytest.fixture
def make_analysis():
    """A factory of realistic ``Analysis`` objects built from the model classes."""
    return build_analysis


def build_analysis(domain: str = "example.com.tr", *, provider: str = "microsoft365",
                   kind: str = "cloud_suite", score: int | None = 72, priority: str | None = "P2",
                   gateway: str | None = None, analysed_at: str | None = "2025-03-01T10:00:00Z",
                   status: str = "ok") -> Analysis:
    return Analysis(
        domain=domain, input=domain.upper(), status=status, registrable_domain=domain,
        mx=[MxHost(host=f"{domain.replace('.', '-')}.mail.protection.outlook.com", preference=0)],
        provider=Provider(key=provider, name=provider.title(), kind=kind, confidence="high",
                          evidence=["MX mail.protection.outlook.com"]),
        local_provider=None,
        gateway=Gateway(key=gateway, name=gateway.title(), evidence=["MX pphosted"]) if gateway else None,
        spf=Spf(present=True, valid=True, record="v=spf1 include:spf.protection.outlook.com -all",
                all="-all", lookups=1, includes=["spf.protection.outlook.com"]),
        dmarc=Dmarc(present=True, valid=True, record="v=DMARC1; p=quarantine", policy="quarantine",
                    pct=100, source="domain"),
        dkim=Dkim(present=True, selectors=["selector1"]),
        m365=M365(detected=True, tenant="contoso", signals=["MX", "autodiscover"]),
        tenant_size=TenantSize(value="medium", evidence=["SPF includes"]),
        score=score, segment="m365_upsell", priority=priority, priority_label="Sıcak fırsat",
        reasons=[Reason(code="m365", points=40, text="Microsoft 365 kullanıyor — Şirket")],
        evidence=Evidence(records={f"{domain} MX": ["0 x.mail.protection.outlook.com."]},
                          dns_errors=[DnsError(name=domain, rdtype="TXT", errors=["timeout"])],
                          resolvers=["127.0.0.1:53"], rules_version="2025.03"),
        analysed_at=analysed_at, rules_version="2025.03",
    )
