"""Import a lead file into the store: one lead per domain, every input row accounted for.

    rows = leadfile.read("müşteriler.csv", max_rows=200_000)
    result = import_leads(session, rows, source="müşteriler.csv", checkpoint=session.commit)

Each input row becomes exactly one ``ImportRow`` of the batch:

* ``imported``  — the first row naming a domain that was not stored yet;
* ``duplicate`` — a later row of the same domain, or a domain already stored; its company and
  contacts are merged into the lead (the upsert never deletes);
* ``rejected``  — no usable domain, with the reason (``normalise.parse`` says why; a row with no
  website, e-mail or domain at all gets :data:`EMPTY_ROW`).

Rows go through in chunks of :data:`CHUNK_SIZE`: one upsert and one insert of import rows per
chunk, so memory stays flat however long the file.  Duplicates across chunks need no set of
domains in memory: the database reports an already stored domain as not created.

The flow never commits.  ``checkpoint`` (e.g. ``session.commit``) is called after the batch is
started, after every chunk and after the batch is finished or marked failed; a caller passing
``session.commit`` keeps the progress of a long import and the record of a failure.  An
``InputError`` raised while reading (encoding, open quote, too many rows …) marks the batch
``failed`` with the message — the rows read before it are kept — and is raised again.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from .. import normalise
from ..errors import InputError
from ..leadfile import LeadRow, columns
from ..store.imports import ImportRepository, ImportRowInput
from ..store.leads import LeadInput, LeadRepository
from ..store.models import ImportBatch

CHUNK_SIZE = 1_000
MAX_REJECTED_KEPT = 1_000
MAX_SOURCE = 300
EMPTY_ROW = "no website, e-mail or domain in this row"

Contact = dict[str, str]

# Person name columns (compared with ``columns.fold``, like the reader's headers).
NAME_HEADERS = frozenset(columns.fold(name) for name in (
    "yetkili", "yetkili kişi", "yetkili adı", "yetkili ad soyad", "ilgili kişi", "ilgili",
    "iletişim kişisi", "irtibat kişisi", "kişi", "ad soyad", "adı soyadı", "isim soyisim",
    "contact", "contact name", "contact person", "full name",
))
_REPEATED = re.compile(r"\s\(\d+\)$")   # "E-posta (2)": the reader's key for a repeated header
_EMAIL = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+\.[^\s<>()\[\],;:\"']+")


@dataclass(frozen=True, slots=True)
class RejectedRow:
    row: int
    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportResult:
    batch_id: int
    imported: int
    duplicates: int
    rejected: list[RejectedRow]     # the first MAX_REJECTED_KEPT; the batch rows hold all
    lead_ids: list[int]             # every lead the file names, once, in order of first row
    rejected_count: int             # all rejected rows

    @property
    def rows(self) -> int:
        return self.imported + self.duplicates + self.rejected_count


@dataclass(frozen=True, slots=True)
class _Row:
    """One input row, decided: a domain with its contacts, or the reason there is none."""

    source: LeadRow
    domain: str | None
    reason: str | None
    contacts: list[Contact]


@dataclass(slots=True)
class _Tally:
    imported: int = 0
    duplicates: int = 0
    rejected_count: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    lead_ids: list[int] = field(default_factory=list)
    seen_ids: set[int] = field(default_factory=set)

    def count(self, row: _Row, outcome: str, lead_id: int | None) -> None:
        if outcome == "rejected":
            self.rejected_count += 1
            if len(self.rejected) < MAX_REJECTED_KEPT:
                self.rejected.append(RejectedRow(row.source.row, row.source.value, row.reason or ""))
            return
        if outcome == "imported":
            self.imported += 1
        else:
            self.duplicates += 1
        if lead_id is not None and lead_id not in self.seen_ids:
            self.seen_ids.add(lead_id)
            self.lead_ids.append(lead_id)


# --- the flow -------------------------------------------------------------------------------

def import_leads(session: Session, rows: Iterable[LeadRow], *, source: str,
                 chunk_size: int = CHUNK_SIZE,
                 checkpoint: Callable[[], None] | None = None,
                 started: Callable[[int], None] | None = None) -> ImportResult:
    """Store every row's domain as a lead and record the batch; see the module docstring.
    ``started`` is told the new batch's id before the first checkpoint."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, not {chunk_size!r}")
    save = checkpoint or (lambda: None)
    imports = ImportRepository(session)
    batch = imports.start(source[:MAX_SOURCE])
    if started is not None:
        started(batch.id)
    save()
    tally = _Tally()
    try:
        for chunk in _chunks(rows, chunk_size):
            _import_chunk(session, batch.id, chunk, source=source[:MAX_SOURCE], tally=tally)
            save()
    except InputError as error:
        _finish(imports, batch, tally, status="failed", error=str(error))
        save()
        raise
    _finish(imports, batch, tally, status="done")
    save()
    return ImportResult(batch.id, tally.imported, tally.duplicates, tally.rejected,
                        tally.lead_ids, tally.rejected_count)


def _chunks(rows: Iterable[LeadRow], size: int) -> Iterator[list[LeadRow]]:
    """Lists of ``size`` rows.  A reader error is raised only after the rows before it were
    yielded as a last, shorter chunk, so they are stored before the batch is marked failed."""
    iterator = iter(rows)
    chunk: list[LeadRow] = []
    try:
        for row in iterator:
            chunk.append(row)
            if len(chunk) == size:
                yield chunk
                chunk = []
    except InputError:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _finish(imports: ImportRepository, batch: ImportBatch, tally: _Tally, *, status: str,
            error: str | None = None) -> None:
    imports.finish(batch, imported=tally.imported, duplicates=tally.duplicates,
                   rejected=tally.rejected_count, status=status, error=error)


def _import_chunk(session: Session, batch_id: int, chunk: list[LeadRow], *, source: str,
                  tally: _Tally) -> None:
    decided = [_decide(row) for row in chunk]
    inputs = _lead_inputs(decided, source=source)
    stored = LeadRepository(session).upsert_many(inputs) if inputs else {}
    claimed: set[str] = set()
    records = []
    for row in decided:
        record = _record(row, stored, claimed=claimed, seen_ids=tally.seen_ids)
        tally.count(row, record.outcome, record.lead_id)
        records.append(record)
    ImportRepository(session).add_rows(batch_id, records)


def _record(row: _Row, stored: dict[str, tuple[int, bool]], *, claimed: set[str],
            seen_ids: set[int]) -> ImportRowInput:
    """imported for the first row of a newly created lead; duplicate for any other valid row,
    saying whether an earlier row of this file or an earlier import made the lead."""
    value = row.source.value
    if row.domain is None:
        return ImportRowInput(row.source.row, value, "rejected", row.reason)
    lead_id, created = stored[row.domain]
    first = row.domain not in claimed
    claimed.add(row.domain)
    if created and first:
        return ImportRowInput(row.source.row, value, "imported", None, lead_id)
    reason = (f"{row.domain}: same domain as an earlier row" if lead_id in seen_ids
              else f"{row.domain}: already a lead")
    return ImportRowInput(row.source.row, value, "duplicate", reason, lead_id)


# --- rows → leads -----------------------------------------------------------------------------

# A file often repeats a website on consecutive rows (one row per contact person).
_parse = functools.lru_cache(maxsize=1024)(normalise.parse)


def _decide(row: LeadRow) -> _Row:
    if not row.value.strip():
        return _Row(row, None, EMPTY_ROW, [])
    target = _parse(row.value)
    if target.status != "ok" or target.domain is None:
        return _Row(row, None, target.reason or "not a domain", [])
    return _Row(row, target.domain, None, contacts_of(row, value_is_email=target.kind == "email"))


def _lead_inputs(rows: list[_Row], *, source: str) -> list[LeadInput]:
    """One input per domain of the chunk, in order of first row; later rows' contacts merged,
    the first filled company kept."""
    company: dict[str, str | None] = {}
    contacts: dict[str, list[Contact]] = {}
    for row in rows:
        if row.domain is None:
            continue
        if company.get(row.domain) is None:
            company[row.domain] = row.source.company
        contacts[row.domain] = merge_contacts(contacts.get(row.domain, []), row.contacts)
    return [LeadInput(domain=domain, company=company[domain], source=source,
                      contacts=contacts[domain], tags=[]) for domain in company]


# --- contacts ---------------------------------------------------------------------------------

def contacts_of(row: LeadRow, *, value_is_email: bool = False) -> list[Contact]:
    """``[{"email": …, "name": …}]`` from the row's e-mail and person name columns.

    Every address of every e-mail column is kept (lower case, each once); the person's name
    goes with the first address, or stands alone when there is none.  For a list row the
    value itself is the address when it is one.
    """
    emails = list(dict.fromkeys(itertools.chain.from_iterable(
        addresses(text) for key, text in row.fields.items() if text and _column(key) == "email")))
    if value_is_email and not emails:
        emails = addresses(row.value)
    name = next((text for key, text in row.fields.items()
                 if text and _column(key) == "name" and not columns.is_placeholder(text)), None)
    found: list[Contact] = [{"email": email} for email in emails]
    if name and found:
        found[0]["name"] = name
    elif name:
        found.append({"name": name})
    return found


def addresses(text: str) -> list[str]:
    """The e-mail addresses in a cell (``a@x.com; b@x.com``, ``Ali <ali@x.com>``), lower case."""
    return list(dict.fromkeys(match.lower().strip(".") for match in _EMAIL.findall(text)))


def merge_contacts(known: list[Contact], new: list[Contact]) -> list[Contact]:
    """``known`` plus the contacts of ``new`` whose address (or, without one, name) is new; a
    name learnt later is added to the known address."""
    merged = [dict(contact) for contact in known]
    by_key = {_contact_key(contact): contact for contact in merged}
    for contact in new:
        existing = by_key.get(_contact_key(contact))
        if existing is None:
            merged.append(dict(contact))
            by_key[_contact_key(contact)] = merged[-1]
        elif "name" in contact and "name" not in existing:
            existing["name"] = contact["name"]
    return merged


def _contact_key(contact: Contact) -> str:
    return contact.get("email") or f"name:{contact.get('name', '')}"


@functools.lru_cache(maxsize=1024)
def _column(key: str) -> Literal["email", "name"] | None:
    """What a ``LeadRow.fields`` key holds for contacts (cached: every row repeats the keys)."""
    base = _REPEATED.sub("", key)
    if columns.role_of(base) == "email":
        return "email"
    return "name" if columns.fold(base) in NAME_HEADERS else None
