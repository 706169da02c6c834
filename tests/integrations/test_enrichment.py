"""The Enricher (special addresses, providers, metrics) and the pure merge/classify rules."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from hunter.errors import IntegrationError, IntegrationUnavailable
from hunter.integrations import ipfacts
from hunter.integrations.base import Health, IpFacts
from hunter.integrations.enrichment import Enricher
from hunter.integrations.ip2location import IP2LocationDatabase, IP2ProxyDatabase
from hunter.integrations.maxmind import MaxMindAsn, MaxMindCity, MaxMindCountry
from hunter.settings import Settings
from tests.integrations import IP2, MAXMIND, events
from tests.test_layers import PACKAGE, hunter_imports


class FakeLookup:
    """An ``IpLookup`` that answers from a dict and records what it was asked."""

    def __init__(self, name: str, answers: dict[str, dict[str, Any]] | None = None, *,
                 error: Exception | None = None) -> None:
        self.name, self.answers, self.error = name, answers or {}, error
        self.calls: list[str] = []

    def lookup(self, ip: str) -> IpFacts | None:
        self.calls.append(ip)
        if self.error is not None:
            raise self.error
        fields = self.answers.get(ip)
        return IpFacts(ip=ip, sources=(self.name,), **fields) if fields is not None else None

    def check(self) -> Health:
        return Health(name=self.name, ok=self.error is None, detail="fake")

    def close(self) -> None:
        pass


def facts(source: str, **fields: Any) -> IpFacts:
    return IpFacts(ip="192.0.2.1", sources=(source,), **fields)


# ---- special addresses ------------------------------------------------------------------------

@pytest.mark.parametrize(("ip", "label"), [
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("127.0.0.1", "loopback"), ("::1", "loopback"),
    ("169.254.1.1", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.251", "multicast"), ("ff02::1", "multicast"),
    ("192.0.2.10", "documentation"), ("198.51.100.7", "documentation"), ("203.0.113.9", "documentation"),
    ("2001:db8::1", "documentation"),
    ("100.64.0.1", "cgnat"), ("100.127.255.254", "cgnat"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("198.18.0.1", "benchmarking"), ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"), ("0.1.2.3", "reserved"), ("192.0.0.8", "reserved"),
    ("::ffff:10.0.0.1", "private"),
    ("81.2.69.160", None), ("8.8.8.8", None), ("2001:4860:4860::8888", None), ("100.128.0.1", None),
])
def test_classify(ip: str, label: str | None) -> None:
    address = ipfacts.parse(ip)
    assert address is not None and ipfacts.classify(address) == label


def test_special_addresses_are_labelled_without_lookup() -> None:
    fake = FakeLookup("maxmind-city", {"81.2.69.160": {"city": "London"}})
    enricher = Enricher([fake])
    for ip in ("10.0.0.1", "127.0.0.1", "192.0.2.1", "2001:db8::5", "100.64.1.1", "fe80::1", "::ffff:127.0.0.1"):
        got = enricher.lookup(ip)
        assert got is not None and got.special is not None and got.sources == ()
    assert fake.calls == []
    assert enricher.lookup("81.2.69.160") == IpFacts(ip="81.2.69.160", city="London", sources=("maxmind-city",))
    assert fake.calls == ["81.2.69.160"]
    assert enricher.metrics()["special"] == 7


def test_invalid_input_is_none_and_not_looked_up() -> None:
    fake = FakeLookup("ip2location")
    enricher = Enricher([fake])
    assert enricher.lookup("not-an-ip") is None and enricher.lookup("") is None
    assert fake.calls == [] and enricher.metrics()["invalid"] == 2


# ---- merge precedence -------------------------------------------------------------------------

CITY_GB = facts("maxmind-city", country_code="GB", country="United Kingdom", region="England", city="London")
IP2L_GB = facts("ip2location", country_code="GB", country="United Kingdom of Great Britain", region="Kent",
                city="Dover", asn=2856, as_org="BT", isp="BT Public", usage_type="ISP")
COUNTRY_GB = facts("maxmind-country", country_code="GB", country="Britain")
ASN = facts("maxmind-asn", asn=20712, as_org="Andrews & Arnold")
PROXY = facts("ip2proxy", is_proxy=True, proxy_type="VPN", is_vpn=True, is_tor=False, usage_type="DCH",
              country_code="SE", city="Vaxjo")


@pytest.mark.parametrize(("answers", "want"), [
    ([COUNTRY_GB, IP2L_GB, CITY_GB], {"city": "London", "region": "England", "country": "United Kingdom"}),
    ([COUNTRY_GB, IP2L_GB], {"city": "Dover", "country": "United Kingdom of Great Britain"}),
    ([COUNTRY_GB], {"country": "Britain", "city": None}),
    ([IP2L_GB, PROXY], {"city": "Dover", "country_code": "GB"}),          # ip2location > ip2proxy
    ([PROXY, COUNTRY_GB], {"city": "Vaxjo", "country_code": "SE"}),       # ip2proxy > maxmind-country
    ([IP2L_GB, ASN], {"asn": 20712, "as_org": "Andrews & Arnold"}),       # maxmind-asn > ip2location
    ([IP2L_GB], {"asn": 2856, "as_org": "BT", "isp": "BT Public"}),
    ([IP2L_GB, PROXY], {"is_proxy": True, "is_vpn": True, "usage_type": "DCH", "is_datacenter": True,
                        "is_residential": False}),                        # flags: ip2proxy first
    ([IP2L_GB], {"is_proxy": None, "is_datacenter": False, "is_residential": True}),   # from usage ISP
])
def test_merge_precedence(answers: list[IpFacts], want: dict[str, Any]) -> None:
    merged = ipfacts.merge("192.0.2.1", answers)
    assert merged is not None
    assert {k: getattr(merged, k) for k in want} == want


def test_location_gaps_filled_only_from_the_same_country() -> None:
    city_only_country = facts("maxmind-city", country_code="GB", country="United Kingdom")
    same = facts("ip2location", country_code="GB", region="England", city="London")
    other = facts("ip2location", country_code="FR", region="Ile-de-France", city="Paris")
    filled = ipfacts.merge("192.0.2.1", [city_only_country, same])
    assert filled is not None and (filled.city, filled.country) == ("London", "United Kingdom")
    assert filled.sources == ("maxmind-city", "ip2location")
    kept = ipfacts.merge("192.0.2.1", [city_only_country, other])
    assert kept is not None and (kept.country_code, kept.city) == ("GB", None)
    assert kept.sources == ("maxmind-city",)                  # ip2location contributed nothing


def test_asn_org_filled_only_for_the_same_asn() -> None:
    bare = facts("maxmind-asn", asn=29518)
    assert ipfacts.merge("x", [bare, facts("ip2location", asn=29518, as_org="Bredband2")]).as_org == "Bredband2"
    assert ipfacts.merge("x", [bare, facts("ip2location", asn=1, as_org="Other")]).as_org is None


def test_sources_and_unknown_providers() -> None:
    merged = ipfacts.merge("192.0.2.1", [facts("someone-else", city="Nowhere", country_code="ZZ"), CITY_GB])
    assert merged is not None and merged.city == "London" and merged.sources == ("maxmind-city",)
    assert ipfacts.merge("192.0.2.1", []) is None


@pytest.mark.parametrize(("usage", "datacenter", "residential"), [
    ("DCH", True, False), ("CDN", True, False), ("ISP", False, True), ("ISP/MOB", False, True),
    ("COM", False, False), ("SES", False, False), (None, None, None), ("WHAT", None, None),
])
def test_usage_flags(usage: str | None, datacenter: bool | None, residential: bool | None) -> None:
    assert ipfacts.usage_flags(usage) == {"is_datacenter": datacenter, "is_residential": residential}


# ---- real databases ---------------------------------------------------------------------------

def real_enricher(city: Path = MAXMIND / "GeoIP2-City-Test.mmdb") -> Enricher:
    return Enricher([MaxMindCity(city, recheck_seconds=0), MaxMindCountry(MAXMIND / "GeoIP2-Country-Test.mmdb"),
                     MaxMindAsn(MAXMIND / "GeoLite2-ASN-Test.mmdb"),
                     IP2LocationDatabase(IP2 / "IP2LOCATION-LITE-DB1.BIN"),
                     IP2ProxyDatabase(IP2 / "ip2proxy-px12-sample.ipv6.bin")])


def test_enricher_over_real_databases() -> None:
    enricher = real_enricher()
    london = enricher.lookup("81.2.69.160")
    assert london is not None
    assert (london.city, london.country_code, london.country) == ("London", "GB", "United Kingdom")
    assert london.sources[0] == "maxmind-city"
    sweden = enricher.lookup("89.160.20.112")
    assert sweden is not None and (sweden.asn, sweden.as_org, sweden.city) == (29518, "Bredband2 AB", "Linköping")
    tor = enricher.lookup("31.44.238.25")
    assert tor is not None and tor.is_tor is True and tor.proxy_type == "TOR"
    assert tor.country_code == "SE" and tor.sources == ("ip2location", "ip2proxy")
    assert enricher.check().ok
    assert enricher.version().startswith("maxmind-city=GeoIP2-City 2026-02-04;maxmind-country=GeoIP2-Country")
    enricher.close()


def test_a_corrupt_provider_is_skipped_others_still_answer(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hunter.enrichment")
    enricher = real_enricher(MAXMIND / "GeoIP2-City-Test-Broken-Double-Format.mmdb")
    for _ in range(3):
        got = enricher.lookup("81.2.69.160")
        assert got is not None and got.country_code == "GB" and got.city is None
        assert "maxmind-city" not in got.sources
    assert len(events(caplog, "enrichment_db_unusable")) == 1
    assert enricher.metrics()["providers"]["maxmind-city"]["errors"] == 1
    health = enricher.check()
    assert health.ok and "unavailable: maxmind-city" in health.detail
    assert [f.loaded for f in health.files] == [False, True, True, True, True]


def test_a_raising_provider_is_counted_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hunter.enrichment")
    failing = FakeLookup("ip2location", error=IntegrationError("ip2location", "boom"))
    working = FakeLookup("maxmind-asn", {"81.2.69.160": {"asn": 20712}})
    enricher = Enricher([failing, working])
    assert [enricher.lookup("81.2.69.160").asn for _ in range(2)] == [20712, 20712]
    assert enricher.metrics()["providers"]["ip2location"]["errors"] == 2
    assert len(events(caplog, "enrichment_provider_failed")) == 1


def test_metrics_count_lookups_and_time_each_provider() -> None:
    ticks = iter(range(100))
    enricher = Enricher([FakeLookup("a", {"8.8.8.8": {"city": "X"}}), FakeLookup("b")],
                        clock=lambda: float(next(ticks)))
    enricher.lookup("8.8.8.8")
    enricher.lookup("9.9.9.9")
    enricher.lookup("10.0.0.1")
    assert enricher.metrics() == {
        "lookups": 3, "special": 1, "invalid": 0, "answered": 1,
        "providers": {"a": {"latency_sum": 2.0, "latency_count": 2, "errors": 0},
                      "b": {"latency_sum": 2.0, "latency_count": 2, "errors": 0}}}


# ---- configuration ----------------------------------------------------------------------------

def test_from_settings_with_a_db_dir(tmp_path: Path) -> None:
    for name in ("GeoLite2-City-Test.mmdb", "GeoLite2-Country-Test.mmdb", "GeoLite2-ASN-Test.mmdb"):
        shutil.copyfile(MAXMIND / name, tmp_path / name)
    shutil.copyfile(IP2 / "IP2LOCATION-LITE-DB1.BIN", tmp_path / "IP2LOCATION-LITE-DB1.BIN")
    shutil.copyfile(IP2 / "PX10.SAMPLE.BIN", tmp_path / "IP2PROXY-PX10.BIN")
    enricher = Enricher.from_settings(Settings(enrichment_db_dir=tmp_path))
    assert enricher is not None
    assert [a.name for a in enricher.adapters] == [
        "maxmind-city", "maxmind-country", "maxmind-asn", "ip2location", "ip2proxy"]
    got = enricher.lookup("89.160.20.112")
    assert got is not None and (got.city, got.asn) == ("Linköping", 29518)


def test_from_settings_nothing_configured_is_none() -> None:
    assert Enricher.from_settings(Settings()) is None


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HUNTER_ENRICHMENT_DB_PATH_MAXMIND_CITY", str(MAXMIND / "GeoIP2-City-Test.mmdb"))
    monkeypatch.setenv("HUNTER_ENRICHMENT_DB_PATH_IP2PROXY", "")
    monkeypatch.setenv("HUNTER_ENRICHMENT_DB_DIR", str(tmp_path))
    settings = Settings()
    assert settings.enrichment_db_path_maxmind_city == MAXMIND / "GeoIP2-City-Test.mmdb"
    assert settings.enrichment_db_path_ip2proxy is None and settings.enrichment_db_dir == tmp_path
    assert settings.enrichment_enabled is False                 # the flag stays off by default
    enricher = Enricher.from_settings(settings)
    assert enricher is not None and [a.name for a in enricher.adapters] == ["maxmind-city"]


def test_missing_library_names_the_extra(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for module in ("geoip2", "geoip2.database", "geoip2.errors"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(IntegrationUnavailable, match=r"hunter\[enrichment\]"):
        MaxMindCity(MAXMIND / "GeoIP2-City-Test.mmdb")
    settings = Settings(enrichment_db_path_maxmind_city=MAXMIND / "GeoIP2-City-Test.mmdb",
                        enrichment_db_path_ip2location=IP2 / "IP2LOCATION-LITE-DB1.BIN")
    enricher = Enricher.from_settings(settings)
    assert enricher is not None and [a.name for a in enricher.adapters] == ["ip2location"]
    assert "hunter[enrichment]" in events(caplog, "enrichment_provider_skipped")[0].getMessage()


@pytest.mark.parametrize("module", ["maxmind.py", "ip2location.py"])
def test_adapters_import_only_base_model_and_errors(module: str) -> None:
    allowed = ("hunter.integrations.base", "hunter.model", "hunter.errors")
    imports = hunter_imports(PACKAGE / "integrations" / module)
    assert all(name.startswith(allowed) for name in imports), imports


def test_recent_version_is_the_last_one_while_it_is_fresh() -> None:
    now = [100.0]
    enricher = Enricher([FakeLookup("a")], recheck_seconds=60, clock=lambda: now[0])
    assert enricher.recent_version() is None                     # never asked: the loop must not
    version = enricher.version()
    assert enricher.recent_version() == version
    now[0] += 59.9
    assert enricher.recent_version() == version
    now[0] += 0.1                                                 # the adapters would recheck now
    assert enricher.recent_version() is None
