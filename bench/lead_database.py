"""A scratch PostgreSQL database of N synthetic leads, shared by the benchmarks that need one.

``scratch_database()`` creates a fresh database on 127.0.0.1:5432 (trust auth, user postgres),
applies the migrations and drops it on exit (unless ``keep``); ``seed(url, n)`` fills it with
leads carrying a realistic verdict, one stored scan each, a Partner Center referral on some,
a Dynamics 365 push state on some and a change event on some.  ``percentile`` reads the
figures.

    sys.path.insert(0, str(Path(__file__).resolve().parent))   # from another script in bench/
    import lead_database
"""

from __future__ import annotations

import random
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from hunter.model import Analysis, Dmarc, Dkim, Gateway, MxHost, Provider, Reason, Spf, TenantSize
from hunter.store import migrate
from hunter.store.models import ChangeEvent, Lead, Scan

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BATCH = 5000
PROVIDERS = [
    (Provider(key="m365", name="Microsoft 365", kind="cloud_suite", confidence="high"), None, "microsoft"),
    (Provider(key="google", name="Google Workspace", kind="cloud_suite", confidence="high"), None, "competitive"),
    (Provider(key="natro", name="Natro", kind="local_hosting", confidence="high"), "Natro", "greenfield"),
    (Provider(key="turhost", name="Turhost", kind="local_hosting", confidence="medium"), "Turhost", "greenfield"),
    (Provider(key="self_hosted", name="Own mail server", kind="self_hosted", confidence="high"), None, "greenfield"),
    (Provider(key="none", name="No mail", kind="none", confidence="high"), None, "no_mail"),
]
PRIORITY = {"microsoft": ["P3", "P4"], "competitive": ["P2", "P5"], "greenfield": ["P1", "P5"], "no_mail": ["P6"]}
DYNAMICS = ["pushed", "pushed", "pushed", "stale", "failed", "pending"]


@contextmanager
def scratch_database(*, keep: bool = False) -> Iterator[str]:
    """The URL of a new, migrated database; dropped on exit unless ``keep``."""
    name = f"hunter_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.upgrade(url)
        yield url
    finally:
        if keep:
            print(f"kept the database: {url}")
        else:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def analysis_for(i: int, rng: random.Random, when: datetime) -> tuple[Analysis, str]:
    provider, local, segment = PROVIDERS[i % len(PROVIDERS)]
    priority = rng.choice(PRIORITY[segment])
    domain = f"firma{i}.com.tr"
    gateway = Gateway(key="proofpoint", name="Proofpoint") if i % 17 == 0 else None
    score = rng.randint(0, 100) if segment != "no_mail" else 0
    return Analysis(
        domain=domain, input=domain, status="ok" if segment != "no_mail" else "no_mx",
        registrable_domain=domain, mx=[MxHost(host=f"mx.{domain}", preference=10)], provider=provider,
        local_provider=local, gateway=gateway, spf=Spf(present=True, valid=True, record="v=spf1 mx ~all", all="~all"),
        dmarc=Dmarc(present=i % 3 == 0, valid=i % 3 == 0, policy="none" if i % 3 == 0 else None),
        dkim=Dkim(present=i % 2 == 0, selectors=["selector1"] if i % 2 == 0 else []),
        tenant_size=TenantSize(value=rng.choice(["small", "medium", "large", "unknown"])),
        score=score, segment=segment, priority=priority, priority_label=priority,
        reasons=[Reason(code=f"segment_{segment}", points=score, text=segment)],
        analysed_at=when.isoformat(), rules_version="bench",
    ), priority


def seed(url: str, count: int) -> None:
    """``count`` leads with ids 1 … count, each with one scan; then VACUUM ANALYZE (PostgreSQL), the
    state autovacuum reaches soon after a bulk load anyway (visibility map set, statistics fresh),
    so the figures do not depend on whether it has run yet."""
    engine = sa.create_engine(url)
    rng, now = random.Random(7), datetime.now(UTC)
    with engine.begin() as conn:
        for start in range(0, count, BATCH):
            leads, scans, changes = [], [], []
            for i in range(start, min(count, start + BATCH)):
                when = now - timedelta(days=rng.randint(0, 60))
                a, priority = analysis_for(i, rng, when)
                leads.append(_lead_row(i, a, priority, when))
                scans.append(dict(id=i + 1, lead_id=i + 1, scanned_at=when, status=a.status,
                                  rules_version="bench", analysis=a.model_dump(mode="json")))
                if i % 10 == 0:
                    changes.append(dict(lead_id=i + 1, scan_id=i + 1, at=when, kind="priority_changed",
                                        before="P5", after=priority))
            conn.execute(sa.insert(Lead), leads)
            conn.execute(sa.insert(Scan), scans)
            conn.execute(sa.insert(ChangeEvent), changes)
            conn.execute(sa.update(Lead).where(Lead.id.between(start + 1, start + BATCH)).values(last_scan_id=Lead.id))
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval('leads_id_seq', (SELECT max(id) FROM leads))"))
            conn.execute(sa.text("SELECT setval('scans_id_seq', (SELECT max(id) FROM scans))"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


def _lead_row(i: int, a: Analysis, priority: str, when: datetime) -> dict[str, object]:
    return dict(id=i + 1, domain=a.domain, company=f"Firma {i} A.Ş.", source="bench", contacts=[], tags=[],
                created_at=when, updated_at=when, scanned_at=when, status=a.status, provider_key=a.provider.key,
                provider_kind=a.provider.kind, local_provider=a.local_provider,
                gateway_key=a.gateway.key if a.gateway else None, segment=a.segment, priority=priority,
                score=a.score, tenant_size=a.tenant_size.value, rules_version="bench",
                pc_referral_count=1 if i % 23 == 0 else 0,
                dynamics_state=DYNAMICS[i // 7 % len(DYNAMICS)] if i % 7 == 0 else None)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


__all__ = ["ADMIN", "analysis_for", "percentile", "scratch_database", "seed"]
