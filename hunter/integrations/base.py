"""The integration interfaces (STYLE.md §8) and the values they exchange.

``IpLookup.lookup(ip) -> IpFacts | None`` is the only thing the core ever sees of IP enrichment.
Every adapter also has ``name``, ``from_settings(settings) -> Self | None``, ``check() -> Health``
and ``close()``.

``DbFile`` is the one piece of machinery the offline-database adapters (MaxMind, IP2Location,
IP2Proxy) share: lazy, thread-safe, once-per-process loading of a file that is re-opened when it
is replaced on disk, and that is skipped (logged once) while it is missing or corrupt.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

log = logging.getLogger("hunter.enrichment")

T = TypeVar("T")
R = TypeVar("R")

#: Install hint used by every enrichment adapter when its client library is missing.
ENRICHMENT_EXTRA = "pip install 'hunter[enrichment]'"


@dataclass(frozen=True, slots=True)
class IpFacts:
    """What the offline databases say about one address.  "No data" is ``None``, never a placeholder.

    ``special`` labels an address that is never looked up ("private", "loopback", "documentation"…).
    ``sources`` names the providers that contributed at least one field, in precedence order.
    """

    ip: str
    special: str | None = None
    country_code: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    asn: int | None = None
    as_org: str | None = None
    isp: str | None = None
    domain: str | None = None
    connection_type: str | None = None
    usage_type: str | None = None
    is_datacenter: bool | None = None
    is_proxy: bool | None = None
    proxy_type: str | None = None
    is_vpn: bool | None = None
    is_tor: bool | None = None
    is_residential: bool | None = None
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.ip:
            raise ValueError("IpFacts.ip is required")
        if self.asn is not None and not 0 <= self.asn < 2**32:
            raise ValueError(f"IpFacts.asn out of range: {self.asn}")

    @property
    def is_hosting(self) -> bool | None:
        """Alias of ``is_datacenter`` (MaxMind calls it "hosting provider")."""
        return self.is_datacenter


@dataclass(frozen=True, slots=True)
class DbFileStatus:
    """One database file as ``check()`` sees it."""

    path: str
    loaded: bool
    version: str | None = None      # build date (MaxMind) or database version (IP2Location/IP2Proxy)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "loaded": self.loaded, "version": self.version, "error": self.error}


@dataclass(frozen=True, slots=True)
class Health:
    """An integration's status for the config/status endpoint and ``hunter enrichment status``."""

    name: str
    ok: bool
    detail: str
    files: tuple[DbFileStatus, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail,
                "files": [f.to_dict() for f in self.files]}


class IpLookup(Protocol):
    name: str

    def lookup(self, ip: str) -> IpFacts | None:
        """Facts about ``ip``, or None when there are none.  Never raises for a missing/corrupt file."""
        ...

    def check(self) -> Health: ...

    def close(self) -> None: ...


class EnrichmentSettings(Protocol):
    """The part of ``hunter.settings.Settings`` the enrichment adapters read (adapters never import it)."""

    @property
    def enrichment_db_dir(self) -> Path | None: ...
    @property
    def enrichment_db_path_maxmind_city(self) -> Path | None: ...
    @property
    def enrichment_db_path_maxmind_country(self) -> Path | None: ...
    @property
    def enrichment_db_path_maxmind_asn(self) -> Path | None: ...
    @property
    def enrichment_db_path_ip2location(self) -> Path | None: ...
    @property
    def enrichment_db_path_ip2proxy(self) -> Path | None: ...


def find_db(directory: Path | None, patterns: tuple[str, ...]) -> Path | None:
    """The first file in ``directory`` whose name matches a pattern (case-insensitive, in pattern order)."""
    if directory is None or not directory.is_dir():
        return None
    names = sorted(p for p in directory.iterdir() if p.is_file())
    for pattern in patterns:
        for path in names:
            if fnmatch.fnmatchcase(path.name.lower(), pattern.lower()):
                return path
    return None


def configured_path(explicit: Path | None, directory: Path | None, patterns: tuple[str, ...]) -> Path | None:
    """An explicit path wins (even when the file is missing: that is reported); else search the dir."""
    return explicit if explicit is not None else find_db(directory, patterns)


Signature = tuple[int, int, int]


def _signature(path: Path) -> Signature | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class DbFile(Generic[T]):
    """A database file opened lazily, once, and re-opened when it changes on disk.

    ``opener`` turns a path into a handle (raising one of ``errors`` when the file is unusable);
    ``query`` runs a read against the current handle.  A read that raises one of ``errors`` marks
    the file broken: it is logged once and skipped until the file on disk changes.  The file is
    stat-ed (inode, mtime, size) at most every ``recheck_seconds``.  ``serialize=True`` holds a
    lock around each read for client libraries that share one file object between calls.
    """

    def __init__(self, path: Path, *, provider: str, opener: Callable[[Path], T],
                 closer: Callable[[T], None], version: Callable[[T], str | None],
                 errors: tuple[type[BaseException], ...], recheck_seconds: float = 60.0,
                 serialize: bool = False, clock: Callable[[], float] = time.monotonic) -> None:
        self.path, self.provider = path, provider
        self._opener, self._closer, self._version = opener, closer, version
        self._errors, self._recheck, self._clock = errors, recheck_seconds, clock
        self._lock = threading.Lock()
        self._read_lock: threading.Lock | None = threading.Lock() if serialize else None
        self._handle: T | None = None
        self._sig: Signature | None = None
        self._checked_at: float | None = None
        self._error: str | None = None
        self._logged: set[tuple[Signature | None, str]] = set()
        self.loads = 0
        self.failures = 0       # failed opens and reads (each counted, each distinct one logged once)

    def query(self, read: Callable[[T], R]) -> R | None:
        """``read(handle)``, or None when the file is missing, corrupt, or the read failed."""
        handle = self._current()
        if handle is None:
            return None
        try:
            if self._read_lock is None:
                return read(handle)
            with self._read_lock:
                return read(handle)
        except self._errors as exc:
            self._mark_broken(handle, exc)
            return None

    def status(self) -> DbFileStatus:
        handle = self._current()
        version = self._safe_version(handle) if handle is not None else None
        return DbFileStatus(path=str(self.path), loaded=handle is not None, version=version,
                            error=self._error)

    def close(self) -> None:
        with self._lock:
            self._drop()
            self._checked_at = None

    def _current(self) -> T | None:
        with self._lock:
            now = self._clock()
            if self._checked_at is not None and now - self._checked_at < self._recheck:
                return self._handle
            self._checked_at = now
            sig = _signature(self.path)
            if self._loaded_once() and sig == self._sig:
                return self._handle
            self._drop()
            self._sig = sig
            self._handle = self._open(sig)
            return self._handle

    def _loaded_once(self) -> bool:
        return self._handle is not None or self._error is not None

    def _open(self, sig: Signature | None) -> T | None:
        if sig is None:
            self._fail(sig, "file not found")
            return None
        try:
            handle = self._opener(self.path)
        except self._errors as exc:
            self._fail(sig, _describe(exc))
            return None
        self._error = None
        self.loads += 1
        log.info("enrichment database loaded", extra={
            "event": "enrichment_db_loaded", "provider": self.provider, "path": str(self.path),
            "version": self._safe_version(handle)})
        return handle

    def _mark_broken(self, handle: T, exc: BaseException) -> None:
        with self._lock:
            if self._handle is not handle:
                return          # already replaced by a reload
            self._drop()
            self._fail(self._sig, _describe(exc))

    def _fail(self, sig: Signature | None, error: str) -> None:
        self._error = error
        self.failures += 1
        key = (sig, error)
        if key in self._logged:
            return
        self._logged.add(key)
        log.warning("enrichment database unusable, provider skipped: %s", error, extra={
            "event": "enrichment_db_unusable", "provider": self.provider, "path": str(self.path),
            "error": error})

    def _drop(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        if self._read_lock is None:
            self._closer(handle)
            return
        with self._read_lock:
            self._closer(handle)

    def _safe_version(self, handle: T) -> str | None:
        try:
            return self._version(handle)
        except self._errors:
            return None


def normalise_ip(ip: str) -> str | None:
    """The address in its canonical text form, or None when ``ip`` is not an IP address."""
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None


class FileAdapter:
    """What every file-backed ``IpLookup`` shares: the query through its ``DbFile`` holder,
    status, failure count and close.  Subclasses set ``name`` and ``_db`` and define ``_read``
    (and may override ``_detail``)."""

    name: str
    _db: DbFile[Any]

    def lookup(self, ip: str) -> IpFacts | None:
        address = normalise_ip(ip)
        if address is None:
            return None
        return self._db.query(lambda handle: self._read(handle, address))

    def check(self) -> Health:
        status = self._db.status()
        detail = self._detail(status) if status.loaded else f"unavailable: {status.error}"
        return Health(name=self.name, ok=status.loaded, detail=detail, files=(status,))

    @property
    def failures(self) -> int:
        """Failed opens and reads of the file so far (for ``Enricher.metrics``)."""
        return self._db.failures

    def close(self) -> None:
        self._db.close()

    def _detail(self, status: DbFileStatus) -> str:
        return f"version {status.version}"

    def _read(self, handle: Any, ip: str) -> IpFacts | None:
        raise NotImplementedError


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# --- Partner Center referrals --------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ReferralRecord:
    """One Partner Center referral as the adapter read it.  ``contact_emails`` are the
    customer's own contacts (``customerProfile.team[].email``, as sent), never the top-level
    team of Microsoft's and the partner's sellers; ``updated_text`` is ``updatedDateTime``
    exactly as sent (7 fraction digits: the delta watermark)."""

    id: str
    engagement_id: str | None
    name: str | None
    status: str | None
    substatus: str | None
    type: str | None
    qualification: str | None
    direction: str | None
    customer_name: str | None
    customer_country: str | None
    customer_size: str | None
    contact_emails: tuple[str, ...]
    website: str | None
    deal_value: float | None
    currency: str | None
    created: datetime | None
    updated: datetime | None
    updated_text: str
    raw: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ReferralBatch:
    """Everything one fetch read: the records, how many pages, the service's ``request-id`` of
    every page, and the items that could not be read (``"referral <id>: <why>"``)."""

    records: tuple[ReferralRecord, ...]
    pages: int
    request_ids: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


class ReferralSource(Protocol):
    """Where referrals come from (Partner Center; a fake in tests).  ``fetch`` raises only
    ``IntegrationError`` subclasses; ``since`` is the raw watermark, ``None`` for everything."""

    name: str

    def fetch(self, *, since: str | None) -> ReferralBatch: ...

    def check(self) -> Health: ...

    def close(self) -> None: ...



# --- Dynamics 365 Sales (Dataverse) ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LeadRecord:
    """One Hunter lead as Dataverse columns, already checked against the mapping's types and
    lengths.  ``key`` is the alternate key's value (``hnt_domain``); ``values`` are every mapped
    column (the key column included); ``create_only`` names the columns written only when the
    record is created (a subject a salesperson edited is never overwritten).  ``record_id`` is
    the Dataverse id from an earlier acknowledgement, if any."""

    key: str
    values: Mapping[str, Any]
    create_only: frozenset[str] = frozenset()
    record_id: str | None = None


@dataclass(frozen=True, slots=True)
class PushResult:
    """What happened to one ``LeadRecord``: ``created`` or ``updated`` with the Dataverse id, or
    ``failed`` with the service's own message in plain words; the request id of the last
    attempt, the error code, the HTTP status, and how many attempts it took."""

    key: str
    outcome: str                     # created, updated, failed
    record_id: str | None = None
    status: int | None = None
    request_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class ColumnProblem:
    """One finding of a readiness check: a column missing, of the wrong type or too short, or
    the alternate key missing or not active."""

    column: str
    problem: str                     # missing, wrong_type, too_short, key_missing, key_inactive
    detail: str


class LeadSink(Protocol):
    """Where leads are pushed (Dataverse; a fake in tests).  ``push`` never raises for one lead's
    failure (that is a ``failed`` result); it raises an ``IntegrationError`` subclass only when
    nothing can be pushed (sign-in refused, service unreachable after the retries)."""

    name: str
    language: str                    # the language of the description (the sales summary)

    def record(self, fields: Mapping[str, Any], *, record_id: str | None) -> LeadRecord:
        """The lead's source fields (the mapping's vocabulary) as checked column values."""
        ...

    def fingerprint(self, record: LeadRecord) -> str:
        """A stable hash of what ``push`` would write (equal: nothing to send)."""
        ...

    def push(self, records: Sequence[LeadRecord]) -> list[PushResult]: ...

    def readiness(self) -> list[ColumnProblem]: ...

    def record_url(self, record_id: str) -> str: ...

    def check(self) -> Health: ...

    def close(self) -> None: ...
