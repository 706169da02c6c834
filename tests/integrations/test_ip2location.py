"""IP2Location and IP2Proxy adapters against the sample BIN files and their expected values."""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from hunter.integrations import ip2location
from hunter.integrations.base import IpFacts
from hunter.integrations.ip2location import IP2LocationDatabase, IP2ProxyDatabase, clean, proxy_flags
from hunter.settings import Settings
from tests.integrations import IP2, MAXMIND, events, expected

#: The README's "no data" values, written out independently of the adapter's own list.
UNAVAILABLE = "This parameter is unavailable in selected .BIN data file. Please upgrade data file."


def no_data(value: object) -> bool:
    text = str(value)
    return text in {"-", "NOT SUPPORTED", "INVALID IP ADDRESS", "IPV6 ADDRESS MISSING IN IPV4 BIN",
                    UNAVAILABLE} or text.startswith("This is ")


FIELD = {"country_short": "country_code", "country_long": "country", "region": "region", "city": "city",
         "isp": "isp", "domain": "domain", "usage_type": "usage_type", "asn": "asn", "as_name": "as_org"}


def want_fields(raw: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, field in FIELD.items():
        value = raw.get(key)
        out[field] = None if value is None or no_data(value) else (int(value) if field == "asn" else value)
    return out


LOCATION_CASES = [(db, ip, raw) for db, block in expected(IP2)["ip2location"].items()
                  for ip, raw in block["examples"].items()]
PROXY_CASES = [(db, ip, raw) for db, block in expected(IP2)["ip2proxy"].items()
               for ip, raw in block["examples"].items()]

_open: dict[str, Any] = {}


def location_db(name: str) -> IP2LocationDatabase:
    return _open.setdefault(f"l:{name}", IP2LocationDatabase(IP2 / name))


def proxy_db(name: str) -> IP2ProxyDatabase:
    return _open.setdefault(f"p:{name}", IP2ProxyDatabase(IP2 / name))


@pytest.mark.parametrize(("db", "ip", "raw"), LOCATION_CASES, ids=[f"{d}-{i}" for d, i, _ in LOCATION_CASES])
def test_every_ip2location_example(db: str, ip: str, raw: dict[str, Any]) -> None:
    got = location_db(db).lookup(ip)
    want = want_fields(raw)
    if all(v is None for v in want.values()):
        assert got is None
        return
    assert got is not None and got.sources == ("ip2location",)
    assert {f: getattr(got, f) for f in want} == want


@pytest.mark.parametrize(("db", "ip", "raw"), PROXY_CASES, ids=[f"{d}-{i}" for d, i, _ in PROXY_CASES])
def test_every_ip2proxy_example(db: str, ip: str, raw: dict[str, Any]) -> None:
    got = proxy_db(db).lookup(ip)
    assert got is not None and got.sources == ("ip2proxy",)
    assert {f: getattr(got, f) for f in FIELD.values()} == want_fields(raw)
    assert got.is_proxy is (raw["is_proxy"] == 1)
    kind = None if no_data(raw["proxy_type"]) else raw["proxy_type"]
    assert got.proxy_type == (kind if raw["is_proxy"] else None)
    assert got.is_vpn is (kind == "VPN") and got.is_tor is (kind == "TOR")


@pytest.mark.parametrize(("ip", "flag"), [
    ("31.44.238.25", "is_tor"), ("1.250.255.62", "is_vpn"), ("1.1.235.68", "is_residential"),
    ("1.15.232.62", "is_datacenter"), ("2001:470:0:2fd::3", "is_datacenter"),
])
def test_proxy_types_set_their_flag(ip: str, flag: str) -> None:
    got = proxy_db("ip2proxy-px12-sample.ipv6.bin").lookup(ip)
    assert got is not None and getattr(got, flag) is True


def test_unlisted_address_is_not_a_proxy() -> None:
    got = proxy_db("PX10.SAMPLE.BIN").lookup("8.8.8.8")
    assert got == IpFacts(ip="8.8.8.8", is_proxy=False, is_vpn=False, is_tor=False, sources=("ip2proxy",))


@pytest.mark.parametrize(("is_proxy", "kind", "want"), [
    (0, None, {"is_proxy": False, "is_vpn": False, "is_tor": False}),
    (-1, None, {}),
    (1, None, {"is_proxy": True, "proxy_type": None}),            # PX1: no type column
    (2, "DCH", {"is_proxy": False, "proxy_type": "DCH", "is_vpn": False, "is_tor": False,
                "is_residential": None, "is_datacenter": True}),
    (1, "RES", {"is_proxy": True, "proxy_type": "RES", "is_vpn": False, "is_tor": False,
                "is_residential": True, "is_datacenter": None}),
])
def test_proxy_flags(is_proxy: int, kind: str | None, want: dict[str, Any]) -> None:
    assert proxy_flags(is_proxy, kind) == want


@pytest.mark.parametrize("value", [
    None, "", " - ", "-", "NOT SUPPORTED", UNAVAILABLE, "INVALID IP ADDRESS", "MISSING IP ADDRESS",
    "IPV6 ADDRESS MISSING IN IPV4 BIN",
    "This is a sample BIN database from IP2Location DB3 (IPv6 edition). Please evaluate …",
    "This is IP2Location DB3 IPv6 sample BIN database. Please evaluate IPv4 address …",
])
def test_placeholders_are_none(value: object) -> None:
    assert clean(value) is None


@pytest.mark.parametrize("value", ["London", "LOOPBACK", "Ile-de-France", "ISP/MOB", "13335"])
def test_real_values_are_kept(value: str) -> None:
    assert clean(value) == value


def test_ipv4_address_in_ipv4_only_bin_and_ipv6_missing() -> None:
    db1 = location_db("IP2LOCATION-LITE-DB1.BIN")
    assert db1.lookup("2001:4860:4860::8888") is None
    got = db1.lookup("81.2.69.160")
    assert got is not None and got.country_code == "GB"


@pytest.mark.parametrize(("cls", "name", "error"), [
    (IP2LocationDatabase, "PX10.SAMPLE.BIN", "WrongDatabaseType"),            # a proxy file as location
    (IP2ProxyDatabase, "IP2LOCATION-LITE-DB1.BIN", "WrongDatabaseType"),
    (IP2LocationDatabase, "LICENSE-IP2Location-Python.TXT", "WrongDatabaseType"),
])
def test_wrong_file_is_skipped_and_logged_once(cls: type, name: str, error: str,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hunter.enrichment")
    db = cls(IP2 / name, recheck_seconds=0)
    assert [db.lookup("1.0.0.8"), db.lookup("1.0.16.0")] == [None, None]
    logged = events(caplog, "enrichment_db_unusable")
    assert len(logged) == 1 and error in logged[0].error
    assert not db.check().ok


@pytest.mark.parametrize(("cls", "name"), [
    (IP2LocationDatabase, "ip2location-db3-sample.ipv6.bin"), (IP2ProxyDatabase, "PX10.SAMPLE.BIN")])
def test_truncated_file_is_skipped_and_logged_once(cls: type, name: str, tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hunter.enrichment")
    truncated = tmp_path / name
    truncated.write_bytes((IP2 / name).read_bytes()[:5000])
    db = cls(truncated, recheck_seconds=0)
    assert [db.lookup("1.0.0.0"), db.lookup("2a04::1"), db.lookup("1.0.0.0")] == [None, None, None]
    assert len(events(caplog, "enrichment_db_unusable")) == 1
    assert "ProbeFailed" in (db.check().files[0].error or "")


def test_missing_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hunter.enrichment")
    db = IP2ProxyDatabase(tmp_path / "IP2PROXY-PX12.BIN", recheck_seconds=0)
    assert db.lookup("1.0.0.8") is None and db.lookup("1.0.0.8") is None
    assert len(events(caplog, "enrichment_db_unusable")) == 1
    health = db.check()
    assert (health.ok, health.files[0].loaded, health.files[0].error) == (False, False, "file not found")


def test_reload_when_the_file_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "IP2LOCATION-DB.BIN"
    shutil.copyfile(IP2 / "ip2location-db3-sample.ipv6.bin", target)
    db = IP2LocationDatabase(target, recheck_seconds=0)
    before = db.lookup("2a04::")
    assert before is not None and before.city == "Winnen"
    temp = tmp_path / "new.tmp"
    shutil.copyfile(IP2 / "ip2location-db5-sample.ipv4.bin", temp)
    os.replace(temp, target)
    assert db.lookup("2a04::") is None                        # the IPv4-only file has no IPv6
    after = db.lookup("5.119.202.0")
    assert after is not None and after.city == "Shiraz"
    assert db.check().files[0].version == "DB5 20.25.7"


@pytest.mark.parametrize(("cls", "name", "cases"), [
    (IP2LocationDatabase, "ip2location-db3-sample.ipv6.bin",
     {"1.0.0.0": "Brisbane", "2.118.21.0": "Rome", "2a04:bf00::": "Braunau am Inn"}),
    (IP2ProxyDatabase, "ip2proxy-px12-sample.ipv6.bin",
     {"31.44.238.25": "Vaxjo", "1.250.255.62": "Seoul", "2a01:e0a:966:6220:b071:747d:e670:ff7e": "Paris"}),
])
def test_concurrent_lookups_stay_correct(cls: type, name: str, cases: dict[str, str],
                                         caplog: pytest.LogCaptureFixture) -> None:
    """The libraries share one file object: reads are serialised, so answers never mix."""
    caplog.set_level(logging.INFO, logger="hunter.enrichment")
    db = cls(IP2 / name)
    start = threading.Barrier(12)
    wrong: list[tuple[str, Any]] = []

    def work() -> None:
        start.wait()
        for _ in range(30):
            for ip, city in cases.items():
                got = db.lookup(ip)
                if got is None or got.city != city:
                    wrong.append((ip, got))

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
    assert len(events(caplog, "enrichment_db_loaded")) == 1


def test_from_settings_searches_the_db_dir(tmp_path: Path) -> None:
    shutil.copyfile(IP2 / "IP2LOCATION-LITE-DB1.BIN", tmp_path / "ip2location-lite-db1.bin")
    shutil.copyfile(IP2 / "PX10.SAMPLE.BIN", tmp_path / "IP2PROXY-PX10.BIN")
    shutil.copyfile(MAXMIND / "GeoLite2-ASN-Test.mmdb", tmp_path / "GeoLite2-ASN.mmdb")
    found = ip2location.from_settings(Settings(enrichment_db_dir=tmp_path))
    assert [(a.name, a.path.name) for a in found] == [
        ("ip2location", "ip2location-lite-db1.bin"), ("ip2proxy", "IP2PROXY-PX10.BIN")]


def test_from_settings_explicit_paths(tmp_path: Path) -> None:
    settings = Settings(enrichment_db_path_ip2location=IP2 / "DB24.DEMO6.BIN",
                        enrichment_db_path_ip2proxy=tmp_path / "missing.BIN")
    location, proxy = IP2LocationDatabase.from_settings(settings), IP2ProxyDatabase.from_settings(settings)
    assert location is not None and proxy is not None
    assert proxy.lookup("1.0.0.8") is None and not proxy.check().ok     # configured but missing: reported
    assert IP2LocationDatabase.from_settings(Settings()) is None
