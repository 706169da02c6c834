"""IP enrichment rows: the IP addresses behind each lead and what the offline databases said.

``replace_for_lead`` makes the lead's rows equal the IPs of its newest enriched scan: one
``INSERT … ON CONFLICT (lead_id, ip) DO UPDATE`` (SQLite and PostgreSQL), so an IP seen again
keeps its row (and id) and two writers never collide, then one ``DELETE`` of the IPs the lead
no longer uses.  Nothing here commits; the flow owns the transaction.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..model import IpInfo
from .models import IpEnrichment, Lead

INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class IpUse(NamedTuple):
    """A lead that sits on an IP address: its domain, the roles the IP plays for it, and when
    a scan last confirmed it."""

    domain: str
    roles: list[str]
    updated_at: datetime


class IpEnrichmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def replace_for_lead(self, lead_id: int, scan_id: int, ips: Sequence[IpInfo]) -> None:
        """Make the lead's rows the IPs in ``ips`` (as seen by scan ``scan_id``)."""
        rows = _rows(lead_id, scan_id, ips)
        if rows:
            self.session.execute(_upsert(self.session, rows))
        gone = delete(IpEnrichment).where(IpEnrichment.lead_id == lead_id)
        if rows:
            gone = gone.where(IpEnrichment.ip.not_in([row["ip"] for row in rows]))
        self.session.execute(gone, execution_options={"synchronize_session": False})

    def for_lead(self, lead_id: int) -> Sequence[IpEnrichment]:
        """The lead's rows, in the order the scan listed its IPs."""
        return self.session.scalars(select(IpEnrichment).where(IpEnrichment.lead_id == lead_id)
                                    .order_by(IpEnrichment.id)
                                    .execution_options(populate_existing=True)).all()

    def for_ip(self, ip: str) -> list[IpUse]:
        """Every lead on ``ip``, by domain."""
        query = (select(Lead.domain, IpEnrichment.roles, IpEnrichment.updated_at)
                 .join(Lead, Lead.id == IpEnrichment.lead_id)
                 .where(IpEnrichment.ip == canonical(ip)).order_by(Lead.domain))
        return [IpUse(domain, list(roles or []), at) for domain, roles, at in self.session.execute(query)]


def canonical(ip: str) -> str:
    """The address in its compressed, lower-case form (``ip`` unchanged when not an address)."""
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return ip


def _rows(lead_id: int, scan_id: int, ips: Sequence[IpInfo]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    unique = {canonical(info.ip): info for info in ips}          # one row per address
    return [{"lead_id": lead_id, "scan_id": scan_id, "ip": ip, "roles": list(info.roles),
             "facts": info.model_dump(mode="json"), "updated_at": now}
            for ip, info in unique.items()]


def _upsert(session: Session, rows: list[dict[str, Any]]):
    dialect = session.get_bind().dialect.name
    if dialect not in INSERTS:
        raise RuntimeError(f"IP enrichment rows need SQLite or PostgreSQL, not {dialect}")
    stmt = INSERTS[dialect](IpEnrichment).values(rows)
    return stmt.on_conflict_do_update(
        index_elements=["lead_id", "ip"],
        set_={name: stmt.excluded[name] for name in ("scan_id", "roles", "facts", "updated_at")})


__all__ = ["IpEnrichmentRepository", "IpUse", "canonical"]
