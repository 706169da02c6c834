"""The provider catalogue: the bundled file, label-boundary matching and validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hunter.errors import RulesError
from hunter.rules import catalogue
from hunter.rules.catalogue import label_match

TENANT = {
    "bands": [{"value": "medium", "min_points": 2, "min_signals": 2}],
    "signals": {"gateway": {"points": 2, "text": "gateway ({detail})"}},
}


def entry(key: str = "acme", **fields: object) -> dict[str, object]:
    return {"key": key, "name": key.title(), "kind": "hosting", "mx": [f"{key}.example"], **fields}


def write(tmp_path: Path, entries: list[dict[str, object]], **top: object) -> Path:
    path = tmp_path / "providers.yaml"
    data = {"version": "t1", "entries": entries, "tenant_size": TENANT, **top}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(RulesError) as info:
        catalogue.load(path)
    message = str(info.value)
    assert str(path) in message
    return message


# ------------------------------------------------------------------ the bundled catalogue

def test_bundled_loads_and_is_cached() -> None:
    cat = catalogue.load()
    assert cat.version and cat is catalogue.load() and cat is catalogue.load(catalogue.BUNDLED)
    keys = {e.key for e in cat.entries}
    assert {"m365", "google", "yandex", "zoho", "natro", "turhost", "turkhost", "isimtescil", "kriweb",
            "ttnet", "superonline", "godaddy", "proofpoint", "mimecast", "barracuda", "cisco",
            "trendmicro", "symantec", "sophos", "hornetsecurity", "spamexperts", "forcepoint"} <= keys


def test_bundled_names_and_kinds() -> None:
    cat = catalogue.load()
    expect = {"m365": ("Microsoft 365", "cloud_suite"), "google": ("Google Workspace", "cloud_suite"),
              "yandex": ("Yandex 360", "cloud_suite"), "zoho": ("Zoho Mail", "cloud_suite"),
              "turkhost": ("Türkhost", "local_hosting"), "isimtescil": ("İsimtescil", "local_hosting"),
              "guzelhosting": ("Güzel Hosting", "local_hosting"), "proofpoint": ("Proofpoint", "gateway")}
    for key, (name, kind) in expect.items():
        found = cat.get(key)
        assert found is not None and (found.name, found.kind) == (name, kind)


@pytest.mark.parametrize(("host", "key"), [
    ("m365-tenant-test.mail.protection.outlook.com", "m365"),
    ("M365-TENANT-TEST.MAIL.PROTECTION.OUTLOOK.COM.", "m365"),
    ("contoso-com.l-v1.mx.microsoft", "m365"),
    ("aspmx.l.google.com", "google"), ("smtp.google.com", "google"), ("mx.yandex.net", "yandex"),
    ("mx.zoho.eu", "zoho"), ("mx1-eu1.ppe-hosted.com", "proofpoint"), ("mx0a-001.pphosted.com", "proofpoint"),
    ("eu-smtp-inbound-1.mimecast.com", "mimecast"), ("d123.ess.barracudanetworks.com", "barracuda"),
    ("mx1.hc1-2.iphmx.com", "cisco"), ("cluster1.eu.messagelabs.com", "symantec"),
    ("mx.natrohost.com", "natro"), ("mx.ttmail.com", "ttnet"), ("smtp.secureserver.net", "godaddy"),
    ("notoutlook.com", None), ("outlook.com.evil.tr", None), ("mail.protection.outlook.com.evil.tr", None),
    ("evilgoogle.com", None), ("google.com.tr", None), ("example.com", None),
])
def test_match_mx(host: str, key: str | None) -> None:
    found = catalogue.load().match_mx(host)
    assert (found.key if found else None) == key


@pytest.mark.parametrize(("target", "key"), [
    ("spf.protection.outlook.com", "m365"), ("_spf.google.com", "google"), ("zoho.eu", "zoho"),
    ("us._netblocks.mimecast.com", "mimecast"), ("spf.protection.outlook.com.evil.tr", None),
    ("xspf.protection.outlook.com", None), ("spf.mandrillapp.com", None),
])
def test_match_include(target: str, key: str | None) -> None:
    found = catalogue.load().match_include(target)
    assert (found.key if found else None) == key


def test_match_other_evidence() -> None:
    cat = catalogue.load()
    assert getattr(cat.match_autodiscover("autodiscover.outlook.com."), "key", None) == "m365"
    assert getattr(cat.match_dkim("selector1-x._domainkey.t.onmicrosoft.com"), "key", None) == "m365"
    assert cat.match_dkim("dkim.mcsv.net") is None
    ms = cat.match_txt("MS=ms123")
    assert ms is not None and ms.entry.key == "m365" and not ms.weak
    site = cat.match_txt("google-site-verification=abc")
    assert site is not None and site.entry.key == "google" and site.weak
    assert cat.match_txt("facebook-domain-verification=1") is None


@pytest.mark.parametrize(("host", "pattern", "expected"), [
    ("outlook.com", "outlook.com", True), ("x.mail.protection.outlook.com", "outlook.com", True),
    ("notoutlook.com", "outlook.com", False), ("outlook.com.evil.tr", "outlook.com", False),
    ("x.mail.protection.outlook.com", "*.mail.protection.outlook.com", True),
    ("mail.protection.outlook.com", "*.mail.protection.outlook.com", False),
])
def test_label_match(host: str, pattern: str, expected: bool) -> None:
    assert label_match(host, pattern) is expected


def test_wildcard_pattern_needs_a_label(tmp_path: Path) -> None:
    cat = catalogue.load(write(tmp_path, [entry("acme", mx=["*.mx.acme.example"])]))
    assert cat.match_mx("a.mx.acme.example") is not None
    assert cat.match_mx("mx.acme.example") is None


def test_custom_file_and_version(tmp_path: Path) -> None:
    cat = catalogue.load(write(tmp_path, [entry("acme"), entry("beta", kind="gateway")]))
    assert cat.version == "t1" and [e.key for e in cat.entries] == ["acme", "beta"]
    assert cat.source == str(tmp_path / "providers.yaml")


# ------------------------------------------------------------------ validation errors

@pytest.mark.parametrize(("entries", "parts"), [
    ([entry(kind="isp")], ["entry 'acme'", "field 'kind'"]),
    ([entry(), entry()], ["entry 'acme'", "duplicate key"]),
    ([entry("acme", mx=["mx.shared.example"]), entry("beta", mx=["mx.shared.example"])],
     ["entry 'beta'", "field 'mx'", "duplicate pattern", "'acme'"]),
    ([entry("acme", mx=["shared.example"]), entry("beta", mx=["mx.shared.example"])],
     ["entry 'beta'", "field 'mx'", "overlaps", "'acme'"]),
    ([entry("acme", mx=["mx.shared.example"]), entry("beta", mx=["*.shared.example"])],
     ["entry 'beta'", "field 'mx'", "overlaps"]),
    ([entry("acme", spf=["spf.x.example"]), entry("beta", spf=["x.example"])], ["entry 'beta'", "field 'spf'"]),
    ([entry(mx=[""])], ["entry 'acme'", "field 'mx'", "bad pattern"]),
    ([entry(mx=[])], ["entry 'acme'", "field 'mx'"]),
    ([entry(mx=["Acme.example"])], ["entry 'acme'", "field 'mx'", "bad pattern"]),
    ([entry(mx=["acme..example"])], ["field 'mx'", "bad pattern"]),
    ([entry(mx=["acme example"])], ["field 'mx'", "bad pattern"]),
    ([entry(mx=["acme.example."])], ["field 'mx'", "bad pattern"]),
    ([entry(mx=["example"])], ["field 'mx'", "bad pattern"]),
    ([entry(mx=["mx.*.example"])], ["field 'mx'", "bad pattern"]),
    ([entry(dkim=["ÿ.example"])], ["field 'dkim'", "bad pattern"]),
    ([entry(txt=["a b=c"])], ["entry 'acme'", "field 'txt'", "bad TXT prefix"]),
    ([entry("acme", txt=["acme-verification="]), entry("beta", weak_txt=["ACME-verification=x"])],
     ["entry 'beta'", "field 'txt'", "overlaps"]),
    ([entry("unknown")], ["entry 'unknown'", "reserved"]),
    ([entry("Bad Key")], ["entry 'Bad Key'", "field 'key'"]),
    ([entry(colour="red")], ["entry 'acme'", "field 'colour'"]),
    ([{"name": "Nameless", "kind": "hosting", "mx": ["x.example"]}], ["entry #1", "field 'key'"]),
])
def test_invalid_entries(tmp_path: Path, entries: list[dict[str, object]], parts: list[str]) -> None:
    message = error_of(write(tmp_path, entries))
    for part in parts:
        assert part in message, message


def test_missing_version(tmp_path: Path) -> None:
    path = write(tmp_path, [entry()])
    data = yaml.safe_load(path.read_text())
    del data["version"]
    path.write_text(yaml.safe_dump(data))
    assert "field version" in error_of(path)


def test_unknown_tenant_signal(tmp_path: Path) -> None:
    tenant = {**TENANT, "signals": {"astrology": {"points": 1, "text": "x"}}}
    assert "unknown signal" in error_of(write(tmp_path, [entry()], tenant_size=tenant))


def test_bad_tenant_text_template(tmp_path: Path) -> None:
    tenant = {**TENANT, "signals": {"gateway": {"points": 1, "text": "{who}"}}}
    assert "placeholder" in error_of(write(tmp_path, [entry()], tenant_size=tenant))


@pytest.mark.parametrize(("text", "part"), [
    ("version: [unclosed", "not valid YAML"), ("- just\n- a list\n", "top level must be a mapping"), ("", "top level")])
def test_not_a_catalogue(tmp_path: Path, text: str, part: str) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(text)
    assert part in error_of(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read" in error_of(tmp_path / "absent.yaml")
