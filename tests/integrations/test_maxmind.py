"""MaxMind adapters against the MaxMind test databases and their expected values (shared data)."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from hunter.integrations import maxmind
from hunter.integrations.base import IpFacts
from hunter.integrations.maxmind import (MaxMindAnonymousIp, MaxMindAsn, MaxMindCity, MaxMindConnectionType,
                                         MaxMindCountry, MaxMindDatabase, MaxMindIsp)
from hunter.settings import Settings
from tests.integrations import MAXMIND, events, expected

ADAPTER_FOR = {
    "GeoIP2-City-Test.mmdb": MaxMindCity, "GeoLite2-City-Test.mmdb": MaxMindCity,
    "GeoIP2-Country-Test.mmdb": MaxMindCountry, "GeoLite2-Country-Test.mmdb": MaxMindCountry,
    "GeoLite2-ASN-Test.mmdb": MaxMindAsn, "GeoIP2-ISP-Test.mmdb": MaxMindIsp,
    "GeoIP2-Connection-Type-Test.mmdb": MaxMindConnectionType,
    "GeoIP2-Anonymous-IP-Test.mmdb": MaxMindAnonymousIp,
}

#: expected-values.json key -> IpFacts field
FIELD = {"city": "city", "country_iso": "country_code", "country_name": "country",
         "autonomous_system_number": "asn", "autonomous_system_organization": "as_org", "isp": "isp",
         "connection_type": "connection_type", "is_anonymous": "is_proxy", "is_anonymous_vpn": "is_vpn",
         "is_tor_exit_node": "is_tor"}

CASES = [(db, ip, want) for db in ADAPTER_FOR
         for ip, want in expected(MAXMIND)[db]["examples"].items()]

_adapters: dict[str, MaxMindDatabase] = {}


def adapter(db: str) -> MaxMindDatabase:
    if db not in _adapters:
        _adapters[db] = ADAPTER_FOR[db](MAXMIND / db)
    return _adapters[db]


@pytest.mark.parametrize(("db", "ip", "want"), CASES, ids=[f"{db}-{ip}" for db, ip, _ in CASES])
def test_every_expected_value(db: str, ip: str, want: Any) -> None:
    got = adapter(db).lookup(ip)
    fields = {} if want == "NOT_FOUND" else {FIELD[k]: v for k, v in want.items() if k in FIELD}
    if not any(v is not None for v in fields.values()) and "is_anonymous" not in want:
        assert got is None                       # NOT_FOUND, or a record with nothing we use
        return
    assert got is not None and got.ip == ip and got.sources == (adapter(db).name,)
    for name, value in fields.items():
        assert getattr(got, name) == value, name
    if "subdivision_iso" in want:                # expected values carry the code, we keep the name
        assert (got.region is None) == (want["subdivision_iso"] is None)


def test_documented_examples() -> None:
    london = adapter("GeoIP2-City-Test.mmdb").lookup("81.2.69.160")
    assert london is not None
    assert (london.city, london.region, london.country_code, london.country) == (
        "London", "England", "GB", "United Kingdom")
    bredband = adapter("GeoLite2-ASN-Test.mmdb").lookup("89.160.20.112")
    assert bredband is not None and (bredband.asn, bredband.as_org) == (29518, "Bredband2 AB")


@pytest.mark.parametrize(("db", "ip", "field", "value"), [
    ("GeoIP2-City-Test.mmdb", "2001:218::", "country_code", "JP"),
    ("GeoIP2-City-Test.mmdb", "2a02:cf40::1", "country_code", "NO"),
    ("GeoLite2-ASN-Test.mmdb", "2600:6000::1", "asn", 237),
    ("GeoIP2-Connection-Type-Test.mmdb", "2003::1", "connection_type", "Cable/DSL"),
    ("GeoIP2-Anonymous-IP-Test.mmdb", "abcd:1000::1", "is_proxy", True),
])
def test_ipv6(db: str, ip: str, field: str, value: object) -> None:
    got = adapter(db).lookup(ip)
    assert got is not None and getattr(got, field) == value


def test_anonymous_ip_flags() -> None:
    got = adapter("GeoIP2-Anonymous-IP-Test.mmdb").lookup("81.2.69.0")
    assert got == IpFacts(ip="81.2.69.0", is_proxy=True, is_vpn=True, is_tor=True, is_datacenter=True,
                          is_residential=True, sources=("maxmind-anonymous-ip",))
    plain = adapter("GeoIP2-Anonymous-IP-Test.mmdb").lookup("200.0.0.1")
    assert plain is not None and (plain.is_proxy, plain.is_datacenter, plain.is_residential) == (False, None, None)


def test_enterprise_file_serves_as_city() -> None:
    got = MaxMindCity(MAXMIND / "GeoIP2-Enterprise-Test.mmdb").lookup("74.209.24.0")
    assert got is not None and (got.city, got.country_code) == ("Chatham", "US")


def test_not_an_ip_is_no_data() -> None:
    assert adapter("GeoIP2-City-Test.mmdb").lookup("not-an-ip") is None


def test_missing_file_is_skipped_and_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hunter.enrichment")
    city = MaxMindCity(tmp_path / "GeoLite2-City.mmdb", recheck_seconds=0)
    assert [city.lookup("81.2.69.160") for _ in range(3)] == [None, None, None]
    assert len(events(caplog, "enrichment_db_unusable")) == 1
    health = city.check()
    assert not health.ok and "file not found" in health.detail
    assert health.files[0].loaded is False and health.files[0].error == "file not found"
    assert len(events(caplog, "enrichment_db_unusable")) == 1


@pytest.mark.parametrize(("broken", "error"), [
    ("GeoIP2-City-Test-Broken-Double-Format.mmdb", "InvalidDatabaseError"),   # fails on read
    ("GeoIP2-City-Test-Invalid-Node-Count.mmdb", "InvalidDatabaseError"),     # fails on open
    ("bad-unicode-in-map-key.mmdb", "WrongDatabaseType"),                     # a "Test" database
    ("GeoIP2-Country-Test.mmdb", "WrongDatabaseType"),                        # a Country file as City
    ("LICENSE-MIT", "InvalidDatabaseError"),                                  # not an .mmdb at all
])
def test_corrupt_file_is_skipped_and_logged_once(broken: str, error: str, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hunter.enrichment")
    city = MaxMindCity(MAXMIND / broken, recheck_seconds=0)
    for ip in ("81.2.69.160", "89.160.20.112", "2001:218::", "81.2.69.160"):
        assert city.lookup(ip) is None
    logged = events(caplog, "enrichment_db_unusable")
    assert len(logged) == 1 and error in logged[0].error and logged[0].provider == "maxmind-city"
    health = city.check()
    assert not health.ok and error in (health.files[0].error or "")
    assert city.failures == 1


def test_bad_unicode_key_read_raw_is_caught(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The file decodes badly when read: whatever kind we expect, lookups answer None, never raise."""
    for cls in (MaxMindCity, MaxMindCountry, MaxMindAsn):
        assert cls(MAXMIND / "bad-unicode-in-map-key.mmdb").lookup("1.1.1.1") is None


def _install(source: Path, target: Path) -> None:
    """Replace ``target`` the way updaters do: write a temp file, then rename over it."""
    temp = target.with_suffix(".tmp")
    shutil.copyfile(source, temp)
    os.replace(temp, target)


def test_reload_when_the_file_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "GeoLite2-City.mmdb"
    _install(MAXMIND / "GeoIP2-City-Test.mmdb", target)
    city = MaxMindCity(target, recheck_seconds=0)
    assert city.lookup("128.101.101.101") is None
    _install(MAXMIND / "GeoIP2-Enterprise-Test.mmdb", target)
    got = city.lookup("128.101.101.101")
    assert got is not None and got.city == "Minneapolis"
    assert "GeoIP2-Enterprise" in (city.check().files[0].version or "")


def test_reload_when_overwritten_in_place(tmp_path: Path) -> None:
    target = tmp_path / "GeoLite2-City.mmdb"
    shutil.copyfile(MAXMIND / "GeoIP2-City-Test.mmdb", target)
    city = MaxMindCity(target, recheck_seconds=0)
    assert city.lookup("74.209.24.0") is None
    shutil.copyfile(MAXMIND / "GeoIP2-Enterprise-Test.mmdb", target)     # same inode, new size
    got = city.lookup("74.209.24.0")
    assert got is not None and got.city == "Chatham"


def test_recovers_when_a_broken_file_is_fixed_and_appears(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hunter.enrichment")
    target = tmp_path / "GeoLite2-City.mmdb"
    city = MaxMindCity(target, recheck_seconds=0)
    assert city.lookup("81.2.69.160") is None                              # missing
    _install(MAXMIND / "GeoIP2-City-Test-Broken-Double-Format.mmdb", target)
    assert city.lookup("81.2.69.160") is None                              # corrupt
    _install(MAXMIND / "GeoIP2-City-Test.mmdb", target)
    got = city.lookup("81.2.69.160")
    assert got is not None and got.city == "London"
    assert city.check().ok
    assert len(events(caplog, "enrichment_db_unusable")) == 2              # one per problem


def test_file_is_not_stat_again_within_the_recheck_interval(tmp_path: Path) -> None:
    target = tmp_path / "GeoLite2-City.mmdb"
    _install(MAXMIND / "GeoIP2-City-Test.mmdb", target)
    city = MaxMindCity(target, recheck_seconds=3600)
    assert city.lookup("128.101.101.101") is None
    _install(MAXMIND / "GeoIP2-Enterprise-Test.mmdb", target)
    assert city.lookup("128.101.101.101") is None                          # not noticed yet
    city.close()                                                           # close forgets the file
    assert city.lookup("128.101.101.101") is not None


def test_concurrent_first_lookups_load_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hunter.enrichment")
    city = MaxMindCity(MAXMIND / "GeoIP2-City-Test.mmdb")
    start = threading.Barrier(16)
    answers: list[IpFacts | None] = []

    def work() -> None:
        start.wait()
        answers.extend(city.lookup(ip) for ip in ("81.2.69.160", "89.160.20.112") * 25)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 16 * 50
    assert {a.city for a in answers if a is not None} == {"London", "Linköping"}
    assert all(a is not None for a in answers)
    assert len(events(caplog, "enrichment_db_loaded")) == 1


def test_from_settings_explicit_path_first(tmp_path: Path) -> None:
    shutil.copyfile(MAXMIND / "GeoLite2-City-Test.mmdb", tmp_path / "geolite2-city.mmdb")
    settings = Settings(enrichment_db_dir=tmp_path,
                        enrichment_db_path_maxmind_city=MAXMIND / "GeoIP2-City-Test.mmdb")
    city = MaxMindCity.from_settings(settings)
    assert city is not None and city.path == MAXMIND / "GeoIP2-City-Test.mmdb"


def test_from_settings_searches_the_db_dir_case_insensitively(tmp_path: Path) -> None:
    shutil.copyfile(MAXMIND / "GeoLite2-City-Test.mmdb", tmp_path / "geolite2-city.mmdb")
    shutil.copyfile(MAXMIND / "GeoLite2-ASN-Test.mmdb", tmp_path / "GeoLite2-ASN-Test.mmdb")
    found = maxmind.from_settings(Settings(enrichment_db_dir=tmp_path))
    assert [(a.name, a.path.name) for a in found] == [
        ("maxmind-city", "geolite2-city.mmdb"), ("maxmind-asn", "GeoLite2-ASN-Test.mmdb")]


def test_from_settings_nothing_configured() -> None:
    assert MaxMindCity.from_settings(Settings()) is None
    assert maxmind.from_settings(Settings()) == []
