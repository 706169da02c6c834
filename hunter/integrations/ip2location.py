"""IP2Location (any DB level) and IP2Proxy (any PX level) offline BIN files as ``IpLookup`` adapters.

Both client libraries answer "no data" with placeholder strings ("-", "NOT SUPPORTED", "This
parameter is unavailable…", "INVALID IP ADDRESS", the sample files' "This is a sample BIN
database…" sentences); ``clean`` turns every one of them into ``None``.  Both libraries share one
file object between calls, so reads are serialised (``DbFile(serialize=True)``).  The libraries
are imported only here, on first use (extra ``hunter[enrichment]``).
"""

from __future__ import annotations

import struct
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Self

from ..errors import IntegrationUnavailable
from .base import ENRICHMENT_EXTRA, DbFile, EnrichmentSettings, FileAdapter, IpFacts, configured_path

_PLACEHOLDERS = frozenset({
    "", "-", "N/A", "NOT SUPPORTED", "INVALID IP ADDRESS", "MISSING IP ADDRESS",
    "IPV6 ADDRESS MISSING IN IPV4 BIN", "IPV4 ADDRESS MISSING IN IPV6 BIN",
})
_PLACEHOLDER_PREFIXES = ("this parameter is unavailable", "this is a sample bin database",
                         "this is ip2location", "this is ip2proxy", "please upgrade")

#: IP2Proxy proxy types (https://www.ip2location.com/database/px12): which flags each one sets.
_VPN_TYPES = frozenset({"VPN"})
_TOR_TYPES = frozenset({"TOR"})
_RESIDENTIAL_TYPES = frozenset({"RES"})
_DATACENTER_TYPES = frozenset({"DCH"})

_READ_ERRORS: tuple[type[BaseException], ...] = (OSError, ValueError, struct.error, IndexError,
                                                   TypeError, KeyError)


def clean(value: object) -> str | None:
    """A library value as text, or None for every "no data" placeholder."""
    if value is None:
        return None
    text = str(value).strip()
    if text.upper() in _PLACEHOLDERS or text.lower().startswith(_PLACEHOLDER_PREFIXES):
        return None
    return text


def clean_country_code(value: object) -> str | None:
    text = clean(value)
    return text.upper() if text is not None and len(text) == 2 and text.isalpha() else None


def clean_asn(value: object) -> int | None:
    text = clean(value)
    if text is None:
        return None
    digits = text.upper().removeprefix("AS")
    return int(digits) if digits.isdigit() and int(digits) < 2**32 else None


class WrongDatabaseType(ValueError):
    """The BIN header says it is another product (an IP2Proxy file configured as IP2Location…)."""


class ProbeFailed(ValueError):
    """The library could not read a record: the file is truncated or corrupt."""


def _header(path: Path, *, products: tuple[int, ...], max_type: int) -> tuple[int, str]:
    """(database type, "yy.mm.dd") from the 32-byte header, checking it names the right product."""
    with path.open("rb") as f:
        head = f.read(32)
    if len(head) < 32:
        raise WrongDatabaseType("file too short for a BIN header")
    dbtype, columns, year, month, day = head[:5]
    if head[29] not in products or not 1 <= dbtype <= max_type or columns == 0:
        raise WrongDatabaseType(f"header is not an expected BIN (type {dbtype}, product {head[29]})")
    return dbtype, f"{year}.{month}.{day}"


def _library(module: str) -> ModuleType:
    try:
        return __import__(module)
    except ImportError as exc:
        raise IntegrationUnavailable(module.lower(), f"{module} not installed: {ENRICHMENT_EXTRA}") from exc


class _BinDatabase(FileAdapter):
    """Shared life cycle of the two BIN adapters; subclasses open and read their library."""

    PROVIDER: ClassVar[str]
    SETTING: ClassVar[str]
    PATTERNS: ClassVar[tuple[str, ...]]
    LIBRARY: ClassVar[str]

    def __init__(self, path: Path, *, recheck_seconds: float = 60.0) -> None:
        self.name = self.PROVIDER
        self.path = Path(path)
        self._lib = _library(self.LIBRARY)
        self._db: DbFile[tuple[Any, str]] = DbFile(
            self.path, provider=self.name, opener=self._open, closer=lambda h: h[0].close(),
            version=lambda h: h[1], errors=_READ_ERRORS, recheck_seconds=recheck_seconds,
            serialize=True)

    @classmethod
    def from_settings(cls, settings: EnrichmentSettings, *, recheck_seconds: float = 60.0) -> Self | None:
        path = configured_path(getattr(settings, cls.SETTING), settings.enrichment_db_dir, cls.PATTERNS)
        return cls(path, recheck_seconds=recheck_seconds) if path is not None else None

    def _read(self, handle: tuple[Any, str], ip: str) -> IpFacts | None:
        return self._read_db(handle[0], ip)

    def _open(self, path: Path) -> tuple[Any, str]:
        raise NotImplementedError

    def _read_db(self, db: Any, ip: str) -> IpFacts | None:
        raise NotImplementedError


class IP2LocationDatabase(_BinDatabase):
    """IP2Location DB1…DB26: location, ISP, domain, usage type and AS where the level has them."""

    PROVIDER = "ip2location"
    SETTING = "enrichment_db_path_ip2location"
    PATTERNS = ("IP2LOCATION-*.BIN", "IP2LOCATION*.BIN", "DB[0-9]*.BIN")
    LIBRARY = "IP2Location"

    def _open(self, path: Path) -> tuple[Any, str]:
        dbtype, date = _header(path, products=(0, 1), max_type=26)
        db = self._lib.IP2Location(str(path))
        try:
            db.get_all("1.0.0.0")          # a truncated file fails here, not mid-scan
        except _READ_ERRORS as exc:
            db.close()
            raise ProbeFailed(f"cannot read a record: {type(exc).__name__}: {exc}") from exc
        return db, f"DB{dbtype} {date}"

    def _read_db(self, db: Any, ip: str) -> IpFacts | None:
        return location_facts(ip, db.get_all(ip), source=self.name)


class IP2ProxyDatabase(_BinDatabase):
    """IP2Proxy PX1…PX12: proxy type and flags, plus location/ISP/AS/usage where the level has them."""

    PROVIDER = "ip2proxy"
    SETTING = "enrichment_db_path_ip2proxy"
    PATTERNS = ("IP2PROXY-*.BIN", "IP2PROXY*.BIN", "PX[0-9]*.BIN")
    LIBRARY = "IP2Proxy"

    def _open(self, path: Path) -> tuple[Any, str]:
        _header(path, products=(0, 2), max_type=12)
        db = self._lib.IP2Proxy(str(path))
        if db.get_all("1.0.0.0")["is_proxy"] == -1:   # the library hides read errors as -1
            db.close()
            raise ProbeFailed("cannot read a record")
        return db, f"PX{db.get_package_version()} {db.get_database_version()}"

    def _read_db(self, db: Any, ip: str) -> IpFacts | None:
        record = db.get_all(ip)
        if record["is_proxy"] == -1:
            raise ProbeFailed(f"cannot read the record for {ip}")
        return proxy_facts(ip, record, source=self.name)


def location_facts(ip: str, record: Any, *, source: str) -> IpFacts | None:
    """IpFacts from an ``IP2LocationRecord`` (attributes absent at lower DB levels are placeholders)."""
    if record is None:
        return None
    get = lambda attr: getattr(record, attr, None)  # noqa: E731
    return _facts(ip, source, country_code=clean_country_code(get("country_short")),
                  country=clean(get("country_long")), region=clean(get("region")),
                  city=clean(get("city")), isp=clean(get("isp")), domain=clean(get("domain")),
                  usage_type=clean(get("usage_type")), asn=clean_asn(get("asn")),
                  as_org=clean(get("as_name")))


def proxy_facts(ip: str, record: dict[str, Any], *, source: str) -> IpFacts | None:
    """IpFacts from ``IP2Proxy.get_all()``: a listed address gets its flags, an unlisted one "not a proxy"."""
    proxy_type = clean(record.get("proxy_type"))
    return _facts(ip, source, country_code=clean_country_code(record.get("country_short")),
                  country=clean(record.get("country_long")), region=clean(record.get("region")),
                  city=clean(record.get("city")), isp=clean(record.get("isp")),
                  domain=clean(record.get("domain")), usage_type=clean(record.get("usage_type")),
                  asn=clean_asn(record.get("asn")), as_org=clean(record.get("as_name")),
                  **proxy_flags(int(record.get("is_proxy", -1)), proxy_type))


def proxy_flags(is_proxy: int, proxy_type: str | None) -> dict[str, Any]:
    """IP2Proxy's ``is_proxy`` (0 no, 1 anonymiser, 2 data centre/search engine) and proxy type as flags."""
    if is_proxy == 0:
        return {"is_proxy": False, "is_vpn": False, "is_tor": False}
    if is_proxy not in (1, 2):
        return {}
    flags: dict[str, Any] = {"is_proxy": is_proxy == 1, "proxy_type": proxy_type}
    if proxy_type is not None:
        flags |= {"is_vpn": proxy_type in _VPN_TYPES, "is_tor": proxy_type in _TOR_TYPES,
                  "is_residential": True if proxy_type in _RESIDENTIAL_TYPES else None,
                  "is_datacenter": True if proxy_type in _DATACENTER_TYPES else None}
    return flags


def _facts(ip: str, source: str, **fields: Any) -> IpFacts | None:
    if all(value is None for value in fields.values()):
        return None
    return IpFacts(ip=ip, sources=(source,), **fields)


def from_settings(settings: EnrichmentSettings, *, recheck_seconds: float = 60.0) -> list[_BinDatabase]:
    """The IP2Location and IP2Proxy databases configured explicitly or found in the db dir."""
    found = (cls.from_settings(settings, recheck_seconds=recheck_seconds)
             for cls in (IP2LocationDatabase, IP2ProxyDatabase))
    return [adapter for adapter in found if adapter is not None]
