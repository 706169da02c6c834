"""MaxMind GeoIP2 / GeoLite2 offline databases (.mmdb) as ``IpLookup`` adapters.

One adapter per database file, each with its own provider name, so the merge precedence
(``ipfacts.PRECEDENCE``) can rank them apart:

    maxmind-city             GeoIP2/GeoLite2 City (or Enterprise)  country, region, city
    maxmind-country          GeoIP2/GeoLite2 Country                country
    maxmind-asn              GeoLite2 ASN                           asn, as_org
    maxmind-isp              GeoIP2 ISP          (db dir only)      asn, as_org, isp
    maxmind-connection-type  GeoIP2 Connection-Type (db dir only)   connection_type
    maxmind-anonymous-ip     GeoIP2 Anonymous-IP (db dir only)      proxy/VPN/Tor/hosting flags

Files are read into memory (``MODE_MEMORY``) so an updater overwriting a file in place can never
pull the pages from under a reader; ``DbFile`` re-opens the file when it changes on disk.
``geoip2`` is imported only here, on first use (extra ``hunter[enrichment]``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Self

from ..errors import IntegrationUnavailable
from .base import (ENRICHMENT_EXTRA, DbFile, DbFileStatus, EnrichmentSettings, FileAdapter, IpFacts,
                   configured_path)

Reader = Any   # geoip2.database.Reader (imported lazily)
Reading = Callable[[Reader, str, str], IpFacts | None]


def _geoip2() -> tuple[ModuleType, ModuleType, ModuleType]:
    try:
        import geoip2.database
        import geoip2.errors
        import maxminddb
    except ImportError as exc:
        raise IntegrationUnavailable("maxmind", f"geoip2/maxminddb not installed: {ENRICHMENT_EXTRA}") from exc
    return geoip2.database, geoip2.errors, maxminddb


def _read_city(reader: Reader, ip: str, name: str) -> IpFacts | None:
    enterprise = reader.metadata().database_type.endswith("-Enterprise")
    r = reader.enterprise(ip) if enterprise else reader.city(ip)
    return _facts(ip, name, country_code=r.country.iso_code, country=r.country.name,
                  region=r.subdivisions.most_specific.name, city=r.city.name)


def _read_country(reader: Reader, ip: str, name: str) -> IpFacts | None:
    r = reader.country(ip)
    return _facts(ip, name, country_code=r.country.iso_code, country=r.country.name)


def _read_asn(reader: Reader, ip: str, name: str) -> IpFacts | None:
    r = reader.asn(ip)
    return _facts(ip, name, asn=r.autonomous_system_number, as_org=r.autonomous_system_organization)


def _read_isp(reader: Reader, ip: str, name: str) -> IpFacts | None:
    r = reader.isp(ip)
    return _facts(ip, name, asn=r.autonomous_system_number, as_org=r.autonomous_system_organization,
                  isp=r.isp)


def _read_connection_type(reader: Reader, ip: str, name: str) -> IpFacts | None:
    return _facts(ip, name, connection_type=reader.connection_type(ip).connection_type)


def _read_anonymous_ip(reader: Reader, ip: str, name: str) -> IpFacts | None:
    r = reader.anonymous_ip(ip)
    return _facts(ip, name, is_proxy=bool(r.is_anonymous), is_vpn=bool(r.is_anonymous_vpn),
                  is_tor=bool(r.is_tor_exit_node),
                  is_datacenter=True if r.is_hosting_provider else None,
                  is_residential=True if r.is_residential_proxy else None)


def _facts(ip: str, name: str, **fields: Any) -> IpFacts | None:
    present = {k: (v or None) if isinstance(v, str) else v for k, v in fields.items()}
    if all(v is None for v in present.values()):
        return None
    return IpFacts(ip=ip, sources=(name,), **present)


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of MaxMind database: how it is found, which files it accepts, how it is read."""

    name: str                          # provider name
    accepts: tuple[str, ...]           # metadata database_type suffixes accepted
    patterns: tuple[str, ...]          # file names searched in HUNTER_ENRICHMENT_DB_DIR
    read: Reading
    setting: str | None = None         # the Settings field naming an explicit path


CITY = Kind("maxmind-city", ("-City", "-Enterprise"),
            ("GeoIP2-City.mmdb", "GeoLite2-City.mmdb", "GeoIP2-Enterprise.mmdb",
             "GeoIP2-City-Test.mmdb", "GeoLite2-City-Test.mmdb"),
            _read_city, "enrichment_db_path_maxmind_city")
COUNTRY = Kind("maxmind-country", ("-Country",),
               ("GeoIP2-Country.mmdb", "GeoLite2-Country.mmdb",
                "GeoIP2-Country-Test.mmdb", "GeoLite2-Country-Test.mmdb"),
               _read_country, "enrichment_db_path_maxmind_country")
ASN = Kind("maxmind-asn", ("-ASN",), ("GeoLite2-ASN.mmdb", "GeoLite2-ASN-Test.mmdb"),
           _read_asn, "enrichment_db_path_maxmind_asn")
ISP = Kind("maxmind-isp", ("-ISP",), ("GeoIP2-ISP.mmdb", "GeoIP2-ISP-Test.mmdb"), _read_isp)
CONNECTION_TYPE = Kind("maxmind-connection-type", ("-Connection-Type",),
                       ("GeoIP2-Connection-Type.mmdb", "GeoIP2-Connection-Type-Test.mmdb"),
                       _read_connection_type)
ANONYMOUS_IP = Kind("maxmind-anonymous-ip", ("-Anonymous-IP",),
                    ("GeoIP2-Anonymous-IP.mmdb", "GeoIP2-Anonymous-IP-Test.mmdb"), _read_anonymous_ip)


class WrongDatabaseType(ValueError):
    """The file is a valid .mmdb of another kind (e.g. a Country file configured as City)."""


class MaxMindDatabase(FileAdapter):
    """One .mmdb file; subclasses fix the ``KIND``.  Lookups never raise for file problems."""

    KIND: ClassVar[Kind]

    def __init__(self, path: Path, *, recheck_seconds: float = 60.0) -> None:
        self.name = self.KIND.name
        self.path = Path(path)
        database, errors, maxminddb = _geoip2()
        self._reader_class, self._mode = database.Reader, maxminddb.MODE_MEMORY
        self._not_found = errors.AddressNotFoundError
        self._db: DbFile[Reader] = DbFile(
            self.path, provider=self.name, opener=self._open, closer=lambda r: r.close(),
            version=_version, recheck_seconds=recheck_seconds,
            errors=(maxminddb.InvalidDatabaseError, errors.GeoIP2Error, OSError, ValueError,
                    TypeError, KeyError, IndexError))

    @classmethod
    def from_settings(cls, settings: EnrichmentSettings, *, recheck_seconds: float = 60.0) -> Self | None:
        explicit = getattr(settings, cls.KIND.setting) if cls.KIND.setting else None
        path = configured_path(explicit, settings.enrichment_db_dir, cls.KIND.patterns)
        return cls(path, recheck_seconds=recheck_seconds) if path is not None else None

    def _detail(self, status: DbFileStatus) -> str:
        return f"{self.KIND.name}: {status.version}"

    def _read(self, reader: Reader, ip: str) -> IpFacts | None:
        try:
            return self.KIND.read(reader, ip, self.name)
        except self._not_found:
            return None

    def _open(self, path: Path) -> Reader:
        reader = self._reader_class(str(path), mode=self._mode)
        kind = reader.metadata().database_type
        if not kind.endswith(self.KIND.accepts):
            reader.close()
            raise WrongDatabaseType(f"database type {kind!r} is not one of {'/'.join(self.KIND.accepts)}")
        return reader


class MaxMindCity(MaxMindDatabase):
    KIND = CITY


class MaxMindCountry(MaxMindDatabase):
    KIND = COUNTRY


class MaxMindAsn(MaxMindDatabase):
    KIND = ASN


class MaxMindIsp(MaxMindDatabase):
    KIND = ISP


class MaxMindConnectionType(MaxMindDatabase):
    KIND = CONNECTION_TYPE


class MaxMindAnonymousIp(MaxMindDatabase):
    KIND = ANONYMOUS_IP


ADAPTERS: tuple[type[MaxMindDatabase], ...] = (
    MaxMindCity, MaxMindCountry, MaxMindAsn, MaxMindIsp, MaxMindConnectionType, MaxMindAnonymousIp)


def from_settings(settings: EnrichmentSettings, *, recheck_seconds: float = 60.0) -> list[MaxMindDatabase]:
    """Every MaxMind database configured explicitly or found in the db dir."""
    found = (cls.from_settings(settings, recheck_seconds=recheck_seconds) for cls in ADAPTERS)
    return [adapter for adapter in found if adapter is not None]


def _version(reader: Reader) -> str:
    meta = reader.metadata()
    built = datetime.fromtimestamp(meta.build_epoch, tz=timezone.utc).date().isoformat()
    return f"{meta.database_type} {built}"
