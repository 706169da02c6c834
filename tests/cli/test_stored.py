"""`hunter db upgrade`, `import`, `rescan`, `leads list|show` together on SQLite, against the sandbox."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hunter.cli.demo import SAMPLE_LEADS
from hunter.sandbox.dns import Fault

runner = CliRunner()


@pytest.fixture
def env(world, tmp_path, monkeypatch):
    monkeypatch.setenv("HUNTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUNTER_DNS_NAMESERVERS", world.address)
    monkeypatch.setenv("HUNTER_DNS_TIMEOUT", "0.3")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("HUNTER_DATABASE_URL", raising=False)
    from hunter.cli.main import app

    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["import", str(SAMPLE_LEADS)]).exit_code == 0
    return app


def test_rescan_list_and_show(env, world):
    result = runner.invoke(env, ["rescan", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    assert "done — 16 scanned, 0 failed of 16" in result.output
    listed = runner.invoke(env, ["leads", "list", "--priority", "P1", "--sort", "-score"])
    assert listed.exit_code == 0 and "karadenizfindik.com.tr" in listed.output
    shown = runner.invoke(env, ["leads", "show", "karadenizfindik.com.tr", "--lang", "tr"])
    assert shown.exit_code == 0, shown.output
    assert "Natro" in shown.output and "Yüksek potansiyelli" in shown.output


def test_rescan_records_what_changed(env, world):
    assert runner.invoke(env, ["rescan", "torosyapi.com.tr"]).exit_code == 0
    world.faults.set(".torosyapi.com.tr", Fault("servfail"))
    world.faults.set("torosyapi.com.tr", Fault("servfail"))
    try:
        result = runner.invoke(env, ["rescan", "https://www.torosyapi.com.tr/"])
    finally:
        world.faults.remove(".torosyapi.com.tr")
        world.faults.remove("torosyapi.com.tr")
    assert result.exit_code == 0, result.output
    assert "changes: status_changed 1" in result.output


@pytest.mark.parametrize("args, message", [
    (["rescan"], "name DOMAINs"),
    (["rescan", "unknown-lead.com.tr"], "is not a lead"),
    (["rescan", "nan"], "is not a domain"),
    (["leads", "show", "karadenizfindik.com.tr", "--lang", "de"], "--lang"),
])
def test_rescan_and_show_errors(env, args, message):
    result = runner.invoke(env, args)
    assert result.exit_code == 2 and message in result.stderr
