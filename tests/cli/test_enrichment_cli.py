"""``hunter enrichment status`` and ``hunter enrichment lookup`` with the shared MaxMind and
IP2Location test databases, and with files missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hunter.cli.main import app
from tests.conftest import shared_dir

runner = CliRunner()
MAXMIND = shared_dir() / "data" / "maxmind"
IP2LOCATION = shared_dir() / "data" / "ip2location"
LONDON = "81.2.69.160"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Explicit files of three providers; no db dir, so nothing else is picked up."""
    return {"HUNTER_DATA_DIR": str(tmp_path), "HUNTER_ENRICHMENT_ENABLED": "true",
            "HUNTER_ENRICHMENT_DB_DIR": "",
            "HUNTER_ENRICHMENT_DB_PATH_MAXMIND_CITY": str(MAXMIND / "GeoIP2-City-Test.mmdb"),
            "HUNTER_ENRICHMENT_DB_PATH_MAXMIND_ASN": str(MAXMIND / "GeoLite2-ASN-Test.mmdb"),
            "HUNTER_ENRICHMENT_DB_PATH_IP2LOCATION": str(IP2LOCATION / "IP2LOCATION-LITE-DB1.BIN")}


def run(env: dict[str, str], *args: str):
    return runner.invoke(app, ["enrichment", *args], env=env)


def test_status_names_each_file_with_its_version(env: dict[str, str]) -> None:
    result = run(env, "status")
    assert result.exit_code == 0, result.output
    assert "enrichment: enabled" in result.output
    assert "GeoIP2-City-Test.mmdb: loaded, GeoIP2-City 2026-02-04" in result.output
    assert "IP2LOCATION-LITE-DB1.BIN: loaded, DB1" in result.output
    assert str(MAXMIND) not in result.output


def test_status_json(env: dict[str, str]) -> None:
    result = run(env, "status", "--json")
    report = json.loads(result.output)
    assert report["enabled"] is True and report["available"] is True
    assert {p["name"] for p in report["providers"]} == {"maxmind-city", "maxmind-asn", "ip2location"}
    assert all(f["loaded"] and f["version"] for p in report["providers"] for f in p["files"])


def test_status_reports_a_missing_file(env: dict[str, str], tmp_path: Path) -> None:
    env["HUNTER_ENRICHMENT_DB_PATH_MAXMIND_ASN"] = str(tmp_path / "hidden" / "GeoLite2-ASN.mmdb")
    result = run(env, "status")
    assert result.exit_code == 0, result.output                # the others still work
    assert "maxmind-asn              UNAVAILABLE" in result.output
    assert "GeoLite2-ASN.mmdb: not loaded (file not found)" in result.output
    assert "hidden" not in result.stdout                          # (the log on stderr may name it)


def test_status_exits_1_when_on_but_nothing_is_usable(tmp_path: Path) -> None:
    env = {"HUNTER_DATA_DIR": str(tmp_path), "HUNTER_ENRICHMENT_ENABLED": "true",
           "HUNTER_ENRICHMENT_DB_DIR": str(tmp_path / "empty")}
    result = run(env, "status")
    assert result.exit_code == 1
    assert "no enrichment database is configured or found" in result.output


def test_status_says_when_disabled(env: dict[str, str]) -> None:
    env["HUNTER_ENRICHMENT_ENABLED"] = "false"
    result = run(env, "status")
    assert result.exit_code == 0 and "disabled (HUNTER_ENRICHMENT_ENABLED is off)" in result.output


def test_lookup_shows_each_provider_and_the_merged_answer(env: dict[str, str]) -> None:
    result = run(env, "lookup", LONDON)
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert "city=London" in lines["maxmind-city"]
    assert lines["maxmind-asn"].endswith("no data")
    assert "country_code=GB" in lines["ip2location"]
    assert "city=London" in lines["merged"] and "maxmind-city" in lines["sources"]


def test_lookup_json(env: dict[str, str]) -> None:
    report = json.loads(run(env, "lookup", "89.160.20.112", "--json").output)
    answers = {p["name"]: p["facts"] for p in report["providers"]}
    assert answers["maxmind-asn"]["asn"] == 29518
    assert report["merged"]["city"] == "Linköping" and report["merged"]["asn"] == 29518


@pytest.mark.parametrize(("ip", "label"), [("10.0.0.1", "private"), ("127.0.0.1", "loopback"),
                                           ("2001:db8::1", "documentation")])
def test_lookup_of_a_special_address_says_so(env: dict[str, str], ip: str, label: str) -> None:
    result = run(env, "lookup", ip)
    assert result.exit_code == 0
    assert f"special address ({label}): not looked up" in result.output


def test_lookup_of_garbage_exits_2(env: dict[str, str]) -> None:
    result = run(env, "lookup", "firma.com.tr")
    assert result.exit_code == 2
    assert "not an IP address" in result.output


def test_lookup_with_every_file_missing(tmp_path: Path) -> None:
    env = {"HUNTER_DATA_DIR": str(tmp_path), "HUNTER_ENRICHMENT_DB_DIR": "",
           "HUNTER_ENRICHMENT_DB_PATH_MAXMIND_CITY": str(tmp_path / "GeoIP2-City.mmdb")}
    result = run(env, "lookup", LONDON)
    assert result.exit_code == 0, result.output
    assert "maxmind-city             no data" in result.output
    assert "merged                   no data" in result.output
