"""``hunter partner-center sync|status|login|referrals`` end to end: real MSAL and httpx against
the HTTPS stand-in, the store on SQLite, the demo zones on the sandbox DNS."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from hunter.sandbox.partner_center import PartnerCenterSandbox

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # MSAL warns on public-client ROPC


@pytest.fixture(scope="module")
def pc(tmp_path_factory) -> Iterator[PartnerCenterSandbox]:
    with PartnerCenterSandbox(tmp_path_factory.mktemp("pc"), referrals=40, device_interval=1) as sandbox:
        yield sandbox


@pytest.fixture
def env(pc, cli_env):
    cli_env({**pc.settings_env(), "HUNTER_PC_MAX_ATTEMPTS": "2"})
    pc.faults.clear()
    pc.clear_requests()
    from hunter.cli.main import app

    yield app
    pc.faults.clear()


def sync(app, *args: str) -> dict:
    result = runner.invoke(app, ["partner-center", "sync", "--json", *args])
    line = json.loads(result.stdout.strip().splitlines()[-1])
    return {"exit": result.exit_code, **line}


def test_sync_delta_rerun_and_listing(env, pc) -> None:
    first = sync(env)
    assert first["exit"] == 0 and list(first)[1:10] == ["mode", "pages", "fetched", "created", "updated",
                                                         "unchanged", "errors", "watermark", "status"]
    assert (first["mode"], first["status"], first["fetched"], first["created"]) == ("full", "succeeded", 40, 40)
    assert first["leads_created"] > 0 and "scan job" in first["scan"]
    again = sync(env)
    assert (again["mode"], again["fetched"], again["created"], again["updated"]) == ("delta", 0, 0, 0)
    changed = pc.touch(count=5)
    pc.clear_requests()
    delta = sync(env)
    assert (delta["fetched"], delta["updated"], delta["created"], delta["unchanged"]) == (5, 5, 0, 0)
    assert len([r for r in pc.requests if r["path"].startswith("/v1.0/engagements/referrals")]) == 1
    lines = runner.invoke(env, ["partner-center", "referrals", "--json"]).stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 40 and {"id", "engagement_id", "status", "substatus", "customer_name", "domain",
                                "domain_source", "lead_id"} <= set(rows[0])
    assert {r["id"] for r in rows[:5]} == set(changed)                 # the most recently updated first
    unlinked = [json.loads(x) for x in runner.invoke(env, ["partner-center", "referrals", "--json", "--unlinked"]).stdout.splitlines()]
    assert unlinked and all(r["lead_id"] is None and r["domain"] is None for r in unlinked)
    some = next(r for r in rows if r["domain"])
    only = runner.invoke(env, ["partner-center", "referrals", "--json", "--domain", some["domain"]]).stdout.splitlines()
    assert all(json.loads(x)["domain"] == some["domain"] for x in only)
    shown = runner.invoke(env, ["leads", "show", some["domain"], "--json"])
    assert json.loads(shown.stdout)["partner_center"]["referral"] is True
    listed = runner.invoke(env, ["leads", "list", "--referral"])
    assert listed.exit_code == 0 and some["domain"] in listed.output


def test_partner_center_down_fails_the_run_and_the_next_run_catches_up(env, pc) -> None:
    first = sync(env)
    pc.touch(count=3)
    pc.faults.add("down")
    failed = sync(env)
    assert failed["exit"] == 1 and failed["status"] == "failed" and "503" in failed["reason"]
    assert failed["watermark"] == first["watermark"]
    status = json.loads(runner.invoke(env, ["partner-center", "status", "--json"]).stdout)
    assert status["last_run"]["status"] == "failed" and status["watermark"] == first["watermark"]
    assert status["last_success"]["watermark_after"] == first["watermark"]
    pc.faults.clear()
    caught_up = sync(env)
    assert caught_up["status"] == "succeeded" and caught_up["updated"] == 3


def test_the_flag_off_sends_nothing(env, pc, monkeypatch) -> None:
    monkeypatch.setenv("HUNTER_PARTNER_CENTER_SYNC_ENABLED", "false")
    for command in (["partner-center", "sync"], ["partner-center", "login"]):
        result = runner.invoke(env, command)
        assert result.exit_code == 1 and "HUNTER_PARTNER_CENTER_SYNC_ENABLED" in result.output
    assert pc.requests == []
    status = runner.invoke(env, ["partner-center", "status"])
    assert status.exit_code == 0 and "off" in status.output


def test_the_seed_plans_flag_name_is_accepted(env, pc, monkeypatch) -> None:
    monkeypatch.delenv("HUNTER_PARTNER_CENTER_SYNC_ENABLED")
    monkeypatch.setenv("PARTNER_CENTER_SYNC_ENABLED", "true")
    assert sync(env)["status"] == "succeeded"


def test_device_code_login(env, pc, monkeypatch) -> None:
    monkeypatch.setenv("HUNTER_PC_AUTH_MODE", "device_code")
    pc.entra.auto_approve = "referrals@partner.test"
    try:
        result = runner.invoke(env, ["partner-center", "login"])
    finally:
        pc.entra.auto_approve = None
    assert result.exit_code == 0, result.output
    assert "enter the code" in result.output and "signed in as referrals@partner.test" in result.output
    assert pc.settings_env()["HUNTER_PC_PASSWORD"] not in result.output
    assert sync(env, "--no-scan")["status"] == "succeeded"                 # silent, from the cache
    status = json.loads(runner.invoke(env, ["partner-center", "status", "--json"]).stdout)
    assert status["auth_mode"] == "device_code" and status["token_cache_present"] is True


def test_mfa_account_message(env, pc, monkeypatch) -> None:
    monkeypatch.setenv("HUNTER_PC_USERNAME", "mfa@partner.test")
    failed = sync(env)
    assert failed["exit"] == 1 and "device_code" in failed["reason"] and "AADSTS50076" in failed["reason"]
