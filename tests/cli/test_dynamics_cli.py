"""``hunter dynamics check|push|status`` end to end: the real adapter (MSAL, httpx) against the
Dataverse stand-in, the store on SQLite, the sample leads scanned on the sandbox DNS."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from hunter.cli.demo import SAMPLE_LEADS
from hunter.sandbox.dataverse import DataverseSandbox
from hunter.sandbox.dataverse_schema import lead_schema
from hunter.sandbox.dns import Fault

runner = CliRunner()


@pytest.fixture(scope="module")
def crm(tmp_path_factory) -> Iterator[DataverseSandbox]:
    with DataverseSandbox(tmp_path_factory.mktemp("dv")) as sandbox:
        yield sandbox


@pytest.fixture
def env(crm, cli_env):
    cli_env({**crm.settings_env(), "HUNTER_D365_MAX_ATTEMPTS": "2", "HUNTER_PUBLIC_URL": "http://127.0.0.1:8000"})
    crm.clear_leads()
    crm.faults.clear()
    from hunter.cli.main import app

    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["import", str(SAMPLE_LEADS)]).exit_code == 0
    assert runner.invoke(app, ["rescan", "--older-than", "0"]).exit_code == 0
    yield app
    crm.faults.clear()


def push(app, *args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["dynamics", "push", "--json", *args])
    return result.exit_code, json.loads(result.stdout.strip().splitlines()[-1])


def test_check_push_repush_and_a_changed_verdict(env, crm, world) -> None:
    checked = runner.invoke(env, ["dynamics", "check"])
    assert checked.exit_code == 0 and "ready" in checked.output
    code, first = push(env, "--priority", "P1")
    assert code == 0 and first["created"] >= 2 and first["failed"] == 0
    held = {lead["hnt_domain"]: lead for lead in crm.leads()}
    toros = held["torosyapi.com.tr"]
    assert toros["subject"].startswith("Hunter: ") and toros["hnt_priority"] == "P1"
    assert toros["hnt_hunterurl"].startswith("http://127.0.0.1:8000/leads/") and toros["description"]
    assert push(env, "--priority", "P1")[1]["unchanged"] == first["created"]          # nothing sent
    assert all(n == 1 for n in crm.created_counts().values())
    shown = json.loads(runner.invoke(env, ["leads", "show", "torosyapi.com.tr", "--json"]).stdout)
    assert shown["dynamics"]["state"] == "pushed" and "main.aspx?pagetype=entityrecord&etn=lead&id=" in shown["dynamics"]["url"]
    world.faults.set("torosyapi.com.tr", Fault("servfail"))          # the verdict changes on rescan
    world.faults.set(".torosyapi.com.tr", Fault("servfail"))
    try:
        assert runner.invoke(env, ["rescan", "torosyapi.com.tr"]).exit_code == 0
    finally:
        world.faults.remove("torosyapi.com.tr")
        world.faults.remove(".torosyapi.com.tr")
    assert json.loads(runner.invoke(env, ["leads", "show", "torosyapi.com.tr", "--json"]).stdout)["dynamics"]["state"] == "stale"
    code, changed = push(env, "--changed")
    assert code == 0 and changed["updated"] == 1 and changed["created"] == 0
    updated = {lead["hnt_domain"]: lead for lead in crm.leads()}["torosyapi.com.tr"]
    assert updated["hnt_segment"] == "unknown" and updated["subject"] == toros["subject"]
    status = json.loads(runner.invoke(env, ["dynamics", "status", "--json"]).stdout)
    assert status["enabled"] and status["counts"]["pushed"] == first["created"] and status["counts"]["stale"] == 0


def test_check_finds_a_missing_column_and_an_inactive_key(env, crm) -> None:
    schema = crm.store.schema
    with crm.store.locked():
        crm.store.schema = lead_schema(drop=["hnt_score"], key_status="Pending")
    try:
        result = runner.invoke(env, ["dynamics", "check", "--json"])
    finally:
        with crm.store.locked():
            crm.store.schema = schema
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1
    assert {(p["column"], p["problem"]) for p in found} == {("hnt_score", "missing"), ("hnt_domain", "key_inactive")}
    assert all(p["detail"] for p in found)


def test_the_service_down_marks_failed_and_hunter_works_on(env, crm) -> None:
    crm.faults.add("down", path="dataverse")
    code, summary = push(env, "torosyapi.com.tr", "karadenizfindik.com.tr")
    assert code == 1 and summary["failed"] == 2
    shown = json.loads(runner.invoke(env, ["leads", "show", "torosyapi.com.tr", "--json"]).stdout)
    assert shown["dynamics"]["state"] == "failed" and shown["dynamics"]["error"]
    assert shown["verdict"]["priority"] == "P1"                          # the verdict untouched
    crm.faults.clear()
    code, retried = push(env, "--failed")
    assert code == 0 and retried["created"] == 2


def test_the_flag_off_sends_nothing(env, crm, monkeypatch) -> None:
    monkeypatch.setenv("HUNTER_D365_ENABLED", "false")
    crm.clear_requests()
    for command in (["dynamics", "push", "--all"], ["dynamics", "check"]):
        result = runner.invoke(env, command)
        assert result.exit_code == 1 and "HUNTER_D365_ENABLED" in result.output
    assert crm.requests == []
    assert runner.invoke(env, ["dynamics", "status"]).exit_code == 0
