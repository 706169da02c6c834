"""Leads: idempotent upserts, filtered lists with keyset pagination, streams for jobs/exports.

``upsert``/``upsert_many`` never delete and re-insert: one ``INSERT … ON CONFLICT (domain) DO
UPDATE`` per chunk fills ``company``/``source`` only when missing and merges ``contacts`` and
``tags`` in SQL (existing entries first, new ones appended, duplicates dropped), so running an
import twice changes nothing and concurrent imports never lose each other's contacts.

Sort orders always end with ``id``, so they are total and the keyset cursor (the last row's
sort values, base64) resumes exactly where the previous page stopped.  The repository never
commits; the flow owns the transaction (STYLE.md §9).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (ColumnElement, Select, Text, and_, case, cast, func, literal, literal_column, or_,
                        select, type_coerce)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..errors import InputError
from .models import JSON_TYPE, Lead, Scan

CHUNK = 500            # rows per INSERT: well under SQLite's 32 766 bound parameters
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LeadInput:
    domain: str
    company: str | None = None
    source: str | None = None
    contacts: Sequence[dict[str, Any]] = ()     # [{"email": …, "name": …}]
    tags: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class LeadFilter:
    """Every field narrows the list; ``None``/empty means "any"."""

    provider_key: str | None = None
    provider_kind: str | None = None
    gateway_key: str | None = None
    gateway: bool | None = None             # True: behind any gateway, False: none
    local_provider: str | bool | None = None  # a name, or True/False for any/none
    segment: str | None = None
    priority: Sequence[str] = ()            # e.g. ("P1", "P2")
    score_min: int | None = None            # inclusive
    score_max: int | None = None            # inclusive
    tenant_size: str | None = None
    status: str | None = None
    q: str | None = None                    # substring of domain or company
    scanned_before: datetime | None = None  # scanned before this, or never scanned
    referral: bool | None = None            # True: a Partner Center referral, False: not one
    dynamics: str | None = None             # pending, pushed, stale, failed, or "none" (never pushed)


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int = 50
    cursor: str | None = None               # next_cursor of the previous page (same sort)
    offset: int = 0                         # rows skipped (after the cursor, if both)
    count: bool = True                      # False: skip the COUNT, total is None


@dataclass(frozen=True, slots=True)
class LeadPage:
    items: list[Lead]
    next_cursor: str | None                 # None on the last page
    total: int | None                       # rows matching the filter (all pages)


@dataclass(frozen=True, slots=True)
class _Term:
    expr: ColumnElement[Any]
    desc: bool = False


def _nullable(column: Any, neutral: Any, *, desc: bool, nulls_last: bool = True) -> list[_Term]:
    """A NULL flag then the value: portable NULL placement that keyset comparisons can use.

    Constants are rendered inline (not as bound parameters) so that PostgreSQL can match the
    ORDER BY to the expression indexes of migration 0002 (``SORT_INDEXES``)."""
    flag = case((column.is_(None), literal_column("1" if nulls_last else "0")),
                else_=literal_column("0" if nulls_last else "1"))
    return [_Term(flag), _Term(func.coalesce(column, neutral), desc)]


def _terms(sort: str, dialect: str = "postgresql") -> list[_Term]:
    zero, empty = literal_column("0"), literal_column("''")
    when = literal_column(PG_EPOCH) if dialect == "postgresql" else literal(EPOCH, Lead.scanned_at.type)
    score_desc = _nullable(Lead.score, zero, desc=True)
    orders: dict[str, list[_Term]] = {
        "score": _nullable(Lead.score, zero, desc=False),
        "-score": score_desc,
        "priority": _nullable(Lead.priority, empty, desc=False) + score_desc,
        "domain": [_Term(Lead.domain)],
        "company": _nullable(Lead.company, empty, desc=False),
        "scanned_at": _nullable(Lead.scanned_at, when, desc=False, nulls_last=False),
        "-scanned_at": _nullable(Lead.scanned_at, when, desc=True),
    }
    if sort not in orders:
        raise InputError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}", column="sort")
    return orders[sort] + [_Term(Lead.id)]


PG_EPOCH = "'1970-01-01 00:00:00+00'::timestamptz"


SORTS = ("score", "-score", "priority", "domain", "company", "scanned_at", "-scanned_at")


class LeadRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- writing -----------------------------------------------------------------------------

    def upsert(self, domain: str, *, company: str | None = None, source: str | None = None,
               contacts: Sequence[dict[str, Any]] = (), tags: Sequence[str] = ()) -> tuple[Lead, bool]:
        """The lead for ``domain`` (created or merged) and whether it was created."""
        row = LeadInput(domain, company=company, source=source, contacts=contacts, tags=tags)
        lead_id, created = self.upsert_many([row])[domain_key(domain)]
        lead = self.session.get(Lead, lead_id, populate_existing=True)
        assert lead is not None
        return lead, created

    def upsert_many(self, rows: Sequence[LeadInput]) -> dict[str, tuple[int, bool]]:
        """``{domain: (id, created)}`` for every row; rows repeating a domain are merged first.

        ORM ``Lead`` objects already in the session are not refreshed (``get`` with
        ``populate_existing=True`` does that).
        """
        self.session.flush()
        merged = _merge_rows(rows)
        result: dict[str, tuple[int, bool]] = {}
        for start in range(0, len(merged), CHUNK):
            result.update(self._upsert_chunk(merged[start:start + CHUNK]))
        return result

    def _upsert_chunk(self, rows: list[dict[str, Any]]) -> dict[str, tuple[int, bool]]:
        domains = [row["domain"] for row in rows]
        existing = set(self.session.scalars(select(Lead.domain).where(Lead.domain.in_(domains))))
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        stmt = insert(Lead.__table__)      # executemany: SQLAlchemy batches it into multi-row VALUES
        stmt = stmt.on_conflict_do_update(index_elements=[Lead.domain], set_={
            "company": func.coalesce(Lead.__table__.c.company, stmt.excluded.company),
            "source": func.coalesce(Lead.__table__.c.source, stmt.excluded.source),
            "contacts": self._merged("contacts"),
            "tags": self._merged("tags"),
            "updated_at": stmt.excluded.updated_at,
        }).returning(Lead.__table__.c.id, Lead.__table__.c.domain)
        return {domain: (lead_id, domain not in existing)
                for lead_id, domain in self.session.execute(stmt, rows)}

    def _merged(self, column: str) -> ColumnElement[Any]:
        """SQL for "existing JSON array, then the new elements it lacks", per dialect."""
        if self._dialect == "postgresql":
            sql = (f"(SELECT coalesce(jsonb_agg(u.e ORDER BY u.o), '[]'::jsonb) FROM "
                   f"(SELECT e, min(o) AS o FROM jsonb_array_elements(leads.{column} || "
                   f"excluded.{column}) WITH ORDINALITY AS t(e, o) GROUP BY e) AS u)")
        else:   # SQLite: json_each gives objects as JSON text, scalars as SQL values
            sql = (f"(SELECT coalesce(json_group_array(CASE WHEN u.t IN ('object', 'array') "
                   f"THEN json(u.v) ELSE u.v END), '[]') FROM "
                   f"(SELECT v, t, min(o) AS o FROM ("
                   f"SELECT value AS v, type AS t, key AS o FROM json_each(leads.{column}) "
                   f"UNION ALL SELECT value, type, key + 1000000000 FROM json_each(excluded.{column})"
                   f") GROUP BY v, t ORDER BY o) AS u)")
        return literal_column(sql, type_=JSON_TYPE)

    # --- reading -----------------------------------------------------------------------------

    def get(self, lead_id: int) -> Lead | None:
        return self.session.get(Lead, lead_id)

    def by_domain(self, domain: str) -> Lead | None:
        return self.session.scalar(select(Lead).where(Lead.domain == domain_key(domain)))

    def ids_matching(self, filters: LeadFilter = LeadFilter(), *, batch: int = 1000) -> Iterator[int]:
        """Ids of the matching leads in id order, fetched ``batch`` at a time by keyset.

        Each batch is its own query, so the caller may write (or even commit) between them.
        """
        last = 0
        conditions = self._conditions(filters)
        while True:
            ids = self.session.scalars(select(Lead.id).where(*conditions, Lead.id > last)
                                       .order_by(Lead.id).limit(batch)).all()
            yield from ids
            if len(ids) < batch:
                return
            last = ids[-1]

    def stream(self, filters: LeadFilter = LeadFilter(), sort: str = "domain", *,
               batch: int = 1000) -> Iterator[Lead]:
        """Every matching lead in ``sort`` order, fetched ``batch`` rows at a time (yield_per).

        On PostgreSQL this is a server-side cursor: do not commit until the stream is done.
        """
        stmt = (select(Lead).where(*self._conditions(filters))
                .order_by(*self._order(_terms(sort, self._dialect))).execution_options(yield_per=batch))
        yield from self.session.scalars(stmt)

    def stream_export(self, columns: Sequence[str], filters: LeadFilter = LeadFilter(),
                      sort: str = "domain", *, omit: Sequence[str] = (),
                      batch: int = 5000) -> Iterator[tuple[Any, ...]]:
        """Plain tuples for exports, in ``sort`` order: the lead table's ``columns`` (by name), then
        the latest scan's analysis as a dict without its top-level keys ``omit`` (``None`` for a
        lead never scanned).

        One Core query (no ORM objects), an outer join on ``last_scan_id``; the keys are removed
        in SQL (jsonb ``-`` / SQLite ``json_remove``: the stored JSON is read once, and the
        evidence never leaves the database) and the rest is read as text and decoded once.  On
        PostgreSQL a server-side cursor, ``batch`` rows a fetch: do not commit until it is done.
        """
        leads, scans = Lead.__table__, Scan.__table__
        stmt = (select(*(leads.c[name] for name in columns), self._analysis_text(scans.c.analysis, omit))
                .select_from(leads.outerjoin(scans, scans.c.id == leads.c.last_scan_id))
                .where(*self._conditions(filters))
                .order_by(*self._order(_terms(sort, self._dialect))).execution_options(yield_per=batch))
        loads = json.loads
        for row in self.session.execute(stmt):
            text = row[-1]
            yield *row[:-1], (loads(text) if text is not None else None)

    def _analysis_text(self, analysis: Any, omit: Sequence[str]) -> ColumnElement[str]:
        if not omit:
            return cast(analysis, Text) if self._dialect == "postgresql" else type_coerce(analysis, Text)
        if self._dialect == "postgresql":
            return cast(analysis.op("-")(literal(list(omit), postgresql.ARRAY(Text))), Text)
        return type_coerce(func.json_remove(analysis, *(literal("$." + k, Text) for k in omit)), Text)

    def count(self, filters: LeadFilter = LeadFilter()) -> int:
        """How many leads match: one COUNT over the filtered rows (cost grows with the matches)."""
        stmt = select(func.count()).select_from(Lead).where(*self._conditions(filters))
        return self.session.scalar(stmt) or 0

    def list(self, filters: LeadFilter = LeadFilter(), sort: str = "-score",
             page: PageRequest = PageRequest()) -> LeadPage:
        """One page of matching leads, with the cursor of the next page and the total."""
        terms = _terms(sort, self._dialect)
        stmt = self._page_query(filters, sort, terms, page)
        rows = self.session.execute(stmt).all()
        more = len(rows) > page.limit
        rows = rows[:page.limit]
        cursor = encode_cursor(sort, tuple(rows[-1])[1:]) if more and rows else None
        total = self.count(filters) if page.count else None
        return LeadPage(items=[row[0] for row in rows], next_cursor=cursor, total=total)

    def _page_query(self, filters: LeadFilter, sort: str, terms: Sequence[_Term],
                    page: PageRequest) -> Select[Any]:
        if page.limit < 1 or page.offset < 0:
            raise InputError("limit must be positive and offset not negative", column="limit")
        stmt = select(Lead, *(t.expr for t in terms)).where(*self._conditions(filters))
        if page.cursor:
            values = decode_cursor(page.cursor, sort=sort, width=len(terms))
            stmt = stmt.where(_after(terms, values))
        return stmt.order_by(*self._order(terms)).offset(page.offset).limit(page.limit + 1)

    @staticmethod
    def _order(terms: Iterable[_Term]) -> list[ColumnElement[Any]]:
        return [t.expr.desc() if t.desc else t.expr.asc() for t in terms]

    def _conditions(self, f: LeadFilter) -> list[ColumnElement[bool]]:
        """Every condition of ``f``, ANDed by the caller."""
        return [c for conditions in self.conditions_by_field(f).values() for c in conditions]

    def conditions_by_field(self, f: LeadFilter) -> dict[str, list[ColumnElement[bool]]]:
        """The conditions of ``f`` keyed by the ``LeadFilter`` field that asks for them (only the
        fields that are set), so a facet can drop its own field's condition and keep the rest."""
        found: dict[str, list[ColumnElement[bool]]] = {}
        equal = {"provider_key": Lead.provider_key, "provider_kind": Lead.provider_kind,
                 "gateway_key": Lead.gateway_key, "segment": Lead.segment,
                 "tenant_size": Lead.tenant_size, "status": Lead.status}
        for name, column in equal.items():
            if getattr(f, name) is not None:
                found[name] = [column == getattr(f, name)]
        found["gateway"] = _presence(Lead.gateway_key, f.gateway)
        found["local_provider"] = _presence(Lead.local_provider, f.local_provider)
        if isinstance(f.local_provider, str):
            found["local_provider"].append(Lead.local_provider == f.local_provider)
        if f.priority:
            found["priority"] = [Lead.priority.in_(list(f.priority))]
        if f.score_min is not None:
            found["score_min"] = [Lead.score >= f.score_min]
        if f.score_max is not None:
            found["score_max"] = [Lead.score <= f.score_max]
        if f.dynamics is not None:
            found["dynamics"] = [Lead.dynamics_state.is_(None) if f.dynamics == "none"
                                 else Lead.dynamics_state == f.dynamics]
        if f.referral is not None:
            found["referral"] = [Lead.pc_referral_count > 0 if f.referral else Lead.pc_referral_count == 0]
        if f.scanned_before is not None:
            found["scanned_before"] = [or_(Lead.scanned_at.is_(None), Lead.scanned_at < _utc(f.scanned_before))]
        if f.q and f.q.strip():
            found["q"] = [self._text_match(f.q.strip())]
        return {name: conditions for name, conditions in found.items() if conditions}

    def _text_match(self, q: str) -> ColumnElement[bool]:
        """Substring of domain or company: ILIKE on PostgreSQL (Unicode case folding), LIKE
        on SQLite (case-insensitive for ASCII letters only: ``şişe`` misses ``Şişecam``)."""
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if self._dialect == "postgresql":
            return or_(Lead.domain.ilike(pattern, escape="\\"), Lead.company.ilike(pattern, escape="\\"))
        return or_(Lead.domain.like(pattern, escape="\\"), Lead.company.like(pattern, escape="\\"))

    @property
    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name


# --- helpers of the repository (module-private except the cursor codec) -----------------------

def domain_key(domain: str) -> str:
    """The stored form of a domain: trimmed, lower case, no trailing dot."""
    return domain.strip().lower().rstrip(".")


def _presence(column: Any, wanted: object) -> list[ColumnElement[bool]]:
    if wanted is True:
        return [column.is_not(None)]
    if wanted is False:
        return [column.is_(None)]
    return []


def _utc(moment: datetime) -> datetime:
    """Aware UTC (naive values are taken as UTC): SQLite stores the wall time as text."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _after(terms: Sequence[_Term], values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``terms`` (mixed directions allowed)."""
    branches = []
    for i, term in enumerate(terms):
        same = [t.expr == v for t, v in zip(terms[:i], values[:i])]
        beyond = term.expr < values[i] if term.desc else term.expr > values[i]
        branches.append(and_(*same, beyond))
    return or_(*branches)


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    """Opaque, URL-safe text naming the sort and the last row's sort values."""
    plain = [{"dt": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    raw = json.dumps({"s": sort, "v": plain}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, sort: str, width: int) -> list[Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if data["s"] != sort or len(data["v"]) != width:
            raise ValueError("cursor of another sort")
        return [datetime.fromisoformat(v["dt"]) if isinstance(v, dict) else v for v in data["v"]]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InputError(f"invalid cursor ({exc})", column="cursor") from None


def _merge_rows(rows: Iterable[LeadInput]) -> list[dict[str, Any]]:
    """One insert row per domain (first company/source wins), contacts and tags de-duplicated."""
    now = datetime.now(UTC)
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = domain_key(row.domain)
        if not key:
            raise InputError("a lead needs a domain", column="domain")
        into = merged.setdefault(key, {"domain": key, "company": None, "source": None,
                                       "contacts": [], "tags": [], "created_at": now, "updated_at": now})
        into["company"] = into["company"] or _text(row.company)
        into["source"] = into["source"] or _text(row.source)
        into["contacts"] = _unique(into["contacts"] + [_contact(c) for c in row.contacts])
        into["tags"] = _unique(into["tags"] + [t.strip() for t in row.tags if t and t.strip()])
    return list(merged.values())


def _text(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _contact(contact: dict[str, Any]) -> dict[str, Any]:
    """Sorted keys, no empty values, e-mail in lower case: equal contacts compare equal in SQL."""
    clean = {k: v.strip() if isinstance(v, str) else v for k, v in sorted(contact.items())}
    if isinstance(clean.get("email"), str):
        clean["email"] = clean["email"].lower()
    return {k: v for k, v in clean.items() if v not in (None, "")}


def _unique(items: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = json.dumps(item, sort_keys=True)
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out


__all__ = ["SORTS", "LeadFilter", "LeadInput", "LeadPage", "LeadRepository", "PageRequest",
           "decode_cursor", "domain_key", "encode_cursor"]
