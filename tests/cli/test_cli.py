"""The `hunter` command line, end to end against the sandbox DNS."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from hunter.cli.main import app

runner = CliRunner()


def ns(world) -> list[str]:
    return ["--nameserver", world.address, "--timeout", "0.3"]


def test_analyze_json_lines_in_input_order(world):
    result = runner.invoke(app, ["analyze", "selfhosted.test", "nan", "M365-TENANT.test.", "--json", *ns(world)])
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["input"] for o in objects] == ["selfhosted.test", "nan", "M365-TENANT.test."]
    assert [o["status"] for o in objects] == ["ok", "invalid", "ok"]
    assert objects[2]["domain"] == "m365-tenant.test" and objects[2]["provider"]["key"] == "m365"


def test_analyze_human_output(world):
    result = runner.invoke(app, ["analyze", "gateway-m365.test", *ns(world)])
    assert result.exit_code == 0
    assert "Microsoft 365 behind Proofpoint" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["analyze", "x.test", "--nameserver", "not-an-ip"], "nameserver"),
    (["analyze", "x.test", "--nameserver", "127.0.0.1:99999"], "port"),
    (["scan", "/nonexistent/leads.csv"], "/nonexistent/leads.csv"),
    (["scan", "leads.xls"], "xlsx"),
])
def test_usage_errors_exit_non_zero_with_a_clear_message(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "leads.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in result.stderr and "Traceback" not in result.stderr


def write_leads(path: Path) -> None:
    rows = ["Müşteri Listesi", "", "FİRMA ÜNVANI;WEB SİTESİ;E-POSTA;ADRES",
            "Anadolu Tekstil;www.anadolutekstil.com.tr;;Bursa Cad. No:1",
            "Boş Firma;;;İstanbul", "Toros Yapı;;muhasebe@torosyapi.com.tr;Mersin",
            "Formül;=cmd|' /C calc'!A0;;Ankara"]
    path.write_bytes("\r\n".join(rows).encode("cp1254"))


def test_scan_csv_to_jsonl_keeps_every_row(world, tmp_path):
    leads, out = tmp_path / "leads.csv", tmp_path / "out.jsonl"
    write_leads(leads)
    result = runner.invoke(app, ["scan", str(leads), "--out", str(out), *ns(world)])
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [o["status"] for o in objects] == ["ok", "invalid", "ok", "invalid"]
    assert objects[1]["reason"] == "row 5: no website, e-mail or domain in this row"
    assert objects[2]["domain"] == "torosyapi.com.tr" and objects[2]["local_provider"] == "İsimtescil"
    assert "4 domains" in result.stderr and "invalid 2" in result.stderr


def test_scan_to_csv_is_excel_safe(world, tmp_path):
    leads, out = tmp_path / "leads.csv", tmp_path / "out.csv"
    write_leads(leads)
    assert runner.invoke(app, ["scan", str(leads), "-o", str(out), *ns(world)]).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert len(rows) == 4 and rows[0]["provider_key"] == "m365"
    assert rows[3]["input"].startswith("'=")


def test_scan_to_xlsx(world, tmp_path):
    leads, out = tmp_path / "leads.csv", tmp_path / "out.xlsx"
    write_leads(leads)
    assert runner.invoke(app, ["scan", str(leads), "-o", str(out), *ns(world)]).exit_code == 0
    sheet = load_workbook(out, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "domain" and len(rows) == 5 and rows[1][0] == "anadolutekstil.com.tr"


def test_scan_stdin(world):
    result = runner.invoke(app, ["scan", "-", *ns(world)], input="zoho-co.test\n# comment\nnan\n")
    assert result.exit_code == 0, result.output
    statuses = [json.loads(line)["status"] for line in result.stdout.splitlines()]
    assert statuses == ["ok", "invalid"]


def test_demo_runs_on_the_bundled_sandbox():
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    for text in ("anadolutekstil.com.tr", "Proofpoint", "Natro", "P1", "dns_error", "nxdomain"):
        assert text in result.stdout


def test_schema_command_prints_the_schema():
    result = runner.invoke(app, ["schema"])
    schema = json.loads(result.stdout)
    assert "provider" in schema["required"] and schema["$id"] == "urn:hunter:analysis:1"


def test_scan_writes_dns_metrics(world, tmp_path):
    metrics = tmp_path / "metrics.json"
    result = runner.invoke(app, ["scan", "-", "--metrics", str(metrics), *ns(world)],
                           input="m365-tenant.test\nvanmermer.com.tr\n")
    assert result.exit_code == 0, result.output
    snapshot = json.loads(metrics.read_text())
    assert snapshot["queries"]["MX"] >= 2 and snapshot["failures"]["MX"] >= 1
    assert snapshot["latency"]["count"] > 0 and world.address in snapshot["sent_by_resolver"]
