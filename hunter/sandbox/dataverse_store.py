"""The records of the Dataverse stand-in: leads, their row versions, the alternate-key index, atomic change sets.

Faithful to the service (B.3, B.4): a row version (``versionnumber``, shown as ``@odata.etag``
``W/"<n>"``) that grows on every write across the table; ``statecode``/``statuscode`` kept
consistent (``0x80048408``); an Active alternate key is unique (nulls excepted) and matched
without regard to case, as the service's SQL collation does; a key whose index is not Active
enforces nothing.  ``fullname`` is "first last"; ``createdon``/``modifiedon`` are set by the
store.  Read-only columns in a payload are dropped without error (the stand-in's choice).

``transaction()`` makes a ``$batch`` change set atomic: it holds the store for the change set
and puts everything back (records, versions, creation counts) when the block raises.
``created`` counts how many times each domain (``hnt_domain``, lower-cased) was created, so a
test can check that every lead arrived exactly once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from hunter.sandbox import dataverse_errors as errors
from hunter.sandbox.dataverse_schema import DEFAULT_STATUS, STATES, STATUS_STATE, LeadSchema

__all__ = ["LeadStore"]

Record = dict[str, Any]
_FIRST_VERSION = 1_000_000


class LeadStore:
    """Leads by id; thread-safe (one re-entrant lock, held for a whole change set)."""

    def __init__(self, schema: LeadSchema) -> None:
        self.schema = schema
        self._records: dict[str, Record] = {}
        self._version = _FIRST_VERSION
        self.created: Counter[str] = Counter()
        self._lock = threading.RLock()

    # --- reading ---------------------------------------------------------------------------

    def get(self, record_id: str) -> Record | None:
        with self._lock:
            record = self._records.get(record_id.lower())
            return dict(record) if record else None

    def find(self, key_values: Mapping[str, Any]) -> Record | None:
        """The record whose alternate-key columns equal ``key_values`` (strings without regard to case)."""
        wanted = {name: _fold(value) for name, value in key_values.items()}
        with self._lock:
            for record in self._records.values():
                if all(_fold(record.get(name)) == value for name, value in wanted.items()):
                    return dict(record)
        return None

    def select(self, keep: Callable[[Record], bool] = lambda record: True) -> list[Record]:
        """Copies of the records ``keep`` accepts, oldest first."""
        with self._lock:
            return [dict(record) for record in self._records.values() if keep(record)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    # --- writing ---------------------------------------------------------------------------

    def clean(self, body: Any, *, creating: bool) -> Record:
        """The payload's column values, checked against the schema; ``DataverseError`` otherwise."""
        if not isinstance(body, dict):
            raise errors.bad_request("The request body must be a JSON object describing the lead.")
        values: Record = {}
        for name, value in body.items():
            if "@" in name:
                if name.endswith("@odata.bind"):
                    raise errors.undeclared_navigation(name.partition("@")[0])
                continue                                   # instance annotations are ignored
            column = self.schema.column(name)
            if column is None:
                raise errors.unknown_property(name, self.schema.type_name)
            if column.writable:
                values[name] = column.parse(value, entity=self.schema.entity, entity_set=self.schema.entity_set)
        if creating:
            self.check_required(values)
        return values

    def check_required(self, values: Record) -> None:
        """``DataverseError`` when a column required on create has no value."""
        for column in self.schema.columns:
            if column.required and values.get(column.name) in (None, ""):
                raise errors.required(self.schema.entity, column.name)

    def create(self, values: Record, *, record_id: str | None = None) -> Record:
        """A new record from cleaned ``values``; its id is ``record_id``, else ``leadid`` in them, else new."""
        with self._lock:
            new_id = (record_id or values.get("leadid") or str(uuid.uuid4())).lower()
            if new_id in self._records:
                raise errors.duplicate_id(self.schema.entity, new_id)
            now = _now()
            record: Record = {name: None for name in self.schema.names}
            record.update({"statecode": 0, "statuscode": None, "createdon": now})
            record.update(values, leadid=new_id)
            self._settle(record, values, new_id)
            self._check_unique(record, new_id)
            self._records[new_id] = record
            if record.get("hnt_domain"):
                self.created[str(record["hnt_domain"]).lower()] += 1
            return dict(record)

    def update(self, record_id: str, values: Record) -> Record:
        """The record ``record_id`` with cleaned ``values`` written; ``DataverseError`` 404 when missing."""
        with self._lock:
            current = self._records.get(record_id.lower())
            if current is None:
                raise errors.not_found(self.schema.entity, record_id)
            record = {**current, **{name: value for name, value in values.items() if name != "leadid"}}
            self._settle(record, values, current["leadid"])
            self._check_unique(record, current["leadid"])
            self._records[current["leadid"]] = record
            return dict(record)

    def delete(self, record_id: str) -> None:
        with self._lock:
            if self._records.pop(record_id.lower(), None) is None:
                raise errors.not_found(self.schema.entity, record_id)

    def locked(self) -> threading.RLock:
        """The store's lock, for a read-then-write that must see no other writer (upsert)."""
        return self._lock

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self.created.clear()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: what the block wrote is undone when it raises."""
        with self._lock:
            saved = ({key: dict(record) for key, record in self._records.items()}, self._version, Counter(self.created))
            try:
                yield
            except BaseException:
                self._records, self._version, self.created = saved
                raise

    # --- invariants ------------------------------------------------------------------------

    def _settle(self, record: Record, written: Record, record_id: str) -> None:
        """State/status pair, full name, modification time and a new row version."""
        self._status(record, written, record_id)
        names = [record.get("firstname"), record.get("lastname")]
        record["fullname"] = " ".join(name for name in names if name) or None
        record["modifiedon"] = _now()
        self._version += 1
        record["versionnumber"] = self._version

    def _status(self, record: Record, written: Record, record_id: str) -> None:
        state = record.get("statecode") or 0
        if "statuscode" not in written or written["statuscode"] is None:
            if "statecode" in written or record.get("statuscode") is None:
                record["statuscode"] = DEFAULT_STATUS[state]
            return
        status = written["statuscode"]
        if STATUS_STATE.get(status) != state:
            raise errors.bad_status(status, f"LeadState.{STATES[state]}", self.schema.entity, record_id)

    def _check_unique(self, record: Record, record_id: str) -> None:
        for key in self.schema.keys:
            values = [_fold(record.get(name)) for name in key.attributes]
            if not key.active or None in values:
                continue
            for other_id, other in self._records.items():
                if other_id != record_id and [_fold(other.get(name)) for name in key.attributes] == values:
                    raise errors.duplicate_key(key.name, ", ".join(key.attributes))


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

