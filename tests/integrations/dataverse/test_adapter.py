"""``DataverseSink`` against the Dataverse stand-in, with the real MSAL and httpx."""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from hunter.errors import AuthFailed, ConfigError, IntegrationUnavailable
from hunter.integrations.base import ColumnProblem, LeadRecord
from hunter.integrations.dataverse import mapping
from hunter.integrations.dataverse.adapter import DataverseSink
from hunter.sandbox.dataverse import DataverseSandbox
from hunter.sandbox.dataverse_schema import lead_schema
from hunter.sandbox.entra_directory import CONFIDENTIAL_CLIENT_ID

from .conftest import Sleeps, dv_settings, fields, open_sink, records


def by_domain(dataverse: DataverseSandbox) -> dict[str, dict]:
    return {lead["hnt_domain"]: lead for lead in dataverse.leads()}


def api_calls(dataverse: DataverseSandbox) -> list[dict]:
    return [r for r in dataverse.requests if r["path"].startswith("/api/data/")]


def token_calls(dataverse: DataverseSandbox) -> list[dict]:
    return [r for r in dataverse.requests if "/oauth2/" in r["path"]]


def set_schema(dataverse: DataverseSandbox, **variant: object) -> None:
    with dataverse.store.locked():
        dataverse.store.schema = lead_schema(**variant)   # type: ignore[arg-type]


# --- building ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("missing", "setting"), [
    ({"d365_url": None}, "HUNTER_D365_URL"), ({"d365_client_id": None}, "HUNTER_D365_CLIENT_ID"),
    ({"d365_client_secret": None}, "HUNTER_D365_CLIENT_SECRET"),
    ({"aad_authority": "https://login.microsoftonline.com/organizations"}, "HUNTER_AAD_AUTHORITY"),
    ({"d365_authority": "https://login.microsoftonline.com/common"}, "HUNTER_D365_AUTHORITY"),
    ({"d365_mapping": Path("/nonexistent/dynamics.yaml")}, "HUNTER_D365_MAPPING"),
])
def test_from_settings_names_the_missing_setting_and_sends_nothing(dataverse: DataverseSandbox, missing: dict,
                                                                   setting: str) -> None:
    with pytest.raises(ConfigError) as caught:
        DataverseSink.from_settings(dv_settings(dataverse, **missing))
    assert caught.value.setting == setting
    assert dataverse.requests == []


def test_an_environment_in_another_tenant_signs_in_at_its_own_authority(dataverse: DataverseSandbox) -> None:
    settings = dv_settings(dataverse, aad_authority="https://login.microsoftonline.com/organizations",
                           d365_authority=dataverse.authority)
    with DataverseSink.from_settings(settings) as sink:
        assert sink.readiness() == []


def test_building_sends_no_request_and_record_url_points_at_the_record(dataverse: DataverseSandbox,
                                                                      sink: DataverseSink) -> None:
    assert dataverse.requests == [] and (sink.name, sink.language) == ("dataverse", "tr")
    record = sink.record(fields("Ornek.com.tr"), record_id="x")
    assert (record.key, record.record_id) == ("ornek.com.tr", "x")
    assert sink.fingerprint(record) == mapping.fingerprint(record)
    assert sink.record_url("2e6fd393-6b64-47fe-83aa-34b1efe23a5d") == (
        f"{dataverse.url}/main.aspx?pagetype=entityrecord&etn=lead&id=2e6fd393-6b64-47fe-83aa-34b1efe23a5d")


# --- create, update, idempotence -------------------------------------------------------------------

def test_create_writes_every_mapped_column_in_one_batch(dataverse: DataverseSandbox, sink: DataverseSink) -> None:
    results = sink.push(records(sink, ["ornek.com.tr", "anadolu.com.tr"], contact_email="ali@ornek.com.tr"))
    assert [(r.key, r.outcome, r.status, r.attempts) for r in results] == [
        ("ornek.com.tr", "created", 204, 1), ("anadolu.com.tr", "created", 204, 1)]
    leads = by_domain(dataverse)
    lead = leads["ornek.com.tr"]
    assert results[0].record_id == lead["leadid"] and results[0].request_id
    assert (lead["subject"], lead["companyname"], lead["websiteurl"], lead["emailaddress1"], lead["hnt_score"],
            lead["hnt_priority"]) == ("Hunter: Ornek A.Ş.", "Ornek A.Ş.", "https://ornek.com.tr",
                                      "ali@ornek.com.tr", 70, "P2")
    calls = api_calls(dataverse)
    assert [(c["method"], c["path"]) for c in calls] == [("POST", "/api/data/v9.2/$batch")]
    assert calls[0]["client-request-id"]


def test_a_second_push_updates_the_same_record_and_never_makes_a_second(dataverse: DataverseSandbox,
                                                                       sink: DataverseSink) -> None:
    first = sink.push(records(sink, ["ornek.com.tr"]))
    again = sink.push(records(sink, ["ornek.com.tr"], score=91))                 # no record_id: create form, 412
    known = sink.push([mapping.record(fields("ornek.com.tr", score=92), sink.mapping,
                                      record_id=first[0].record_id)])            # record_id: update form
    assert [r.outcome for r in first + again + known] == ["created", "updated", "updated"]
    assert first[0].record_id == again[0].record_id == known[0].record_id
    assert (again[0].attempts, known[0].attempts) == (2, 1)
    assert len(dataverse.leads()) == 1 and dataverse.created_counts() == {"ornek.com.tr": 1}
    assert by_domain(dataverse)["ornek.com.tr"]["hnt_score"] == 92


def test_two_workers_pushing_the_same_leads_make_one_record_each(dataverse: DataverseSandbox,
                                                                 sleeps: Sleeps) -> None:
    domains = [f"firma{i}.com.tr" for i in range(30)]
    sinks = [open_sink(dv_settings(dataverse, d365_batch_size=7, d365_concurrency=3), sleeps) for _ in range(2)]
    outcomes: list[list] = [[], []]

    def work(index: int) -> None:
        outcomes[index] = sinks[index].push(records(sinks[index], domains))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for opened in sinks:
        opened.close()
    assert dataverse.created_counts() == dict.fromkeys(domains, 1) and len(dataverse.leads()) == 30
    pairs = list(zip(*outcomes, strict=True))
    assert all(sorted(r.outcome for r in pair) == ["created", "updated"] for pair in pairs)
    assert all(a.record_id == b.record_id for a, b in pairs)


def test_a_subject_edited_by_a_salesperson_is_not_overwritten(dataverse: DataverseSandbox,
                                                              sink: DataverseSink) -> None:
    (created,) = sink.push(records(sink, ["ornek.com.tr"]))
    dataverse.store.update(created.record_id, {"subject": "Örnek — E5 görüşmesi (Ayşe)"})
    (updated,) = sink.push(records(sink, ["ornek.com.tr"], score=95, company="Örnek Holding"))
    lead = by_domain(dataverse)["ornek.com.tr"]
    assert updated.outcome == "updated"
    assert (lead["subject"], lead["hnt_score"], lead["companyname"]) == ("Örnek — E5 görüşmesi (Ayşe)", 95,
                                                                          "Örnek Holding")


def test_an_empty_value_clears_the_column_on_update(dataverse: DataverseSandbox, sink: DataverseSink) -> None:
    sink.push(records(sink, ["ornek.com.tr"], gateway="Proofpoint"))
    sink.push(records(sink, ["ornek.com.tr"], gateway=None))
    assert by_domain(dataverse)["ornek.com.tr"]["hnt_gateway"] is None


def test_a_record_deleted_in_dynamics_is_created_again(dataverse: DataverseSandbox, sink: DataverseSink) -> None:
    (first,) = sink.push(records(sink, ["ornek.com.tr"]))
    dataverse.store.delete(first.record_id)
    (again,) = sink.push([mapping.record(fields("ornek.com.tr"), sink.mapping, record_id=first.record_id)])
    assert (again.outcome, again.attempts) == ("created", 2) and again.record_id != first.record_id
    assert by_domain(dataverse)["ornek.com.tr"]["leadid"] == again.record_id


def test_a_key_with_a_quote_is_escaped(dataverse: DataverseSandbox, sink: DataverseSink) -> None:
    values = {"subject": "Hunter: O'Reilly", "hnt_domain": "o'reilly.example"}
    record = LeadRecord(key="o'reilly.example", values=values, create_only=frozenset({"subject"}))
    assert [r.outcome for r in sink.push([record]) + sink.push([record])] == ["created", "updated"]
    assert dataverse.created_counts() == {"o'reilly.example": 1}


# --- one bad lead, storms, faults ----------------------------------------------------------------

def test_one_lead_the_service_rejects_fails_alone_with_its_message(dataverse: DataverseSandbox, sleeps: Sleeps,
                                                                   tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    data = yaml.safe_load(mapping.BUNDLED.read_text(encoding="utf-8"))
    data["columns"]["hnt_priority"]["max_length"] = 50          # more than the table's 10
    path = tmp_path / "dynamics.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with open_sink(dv_settings(dataverse, d365_mapping=path), sleeps) as opened:
        batch = records(opened, ["a.example", "b.example", "c.example"])
        batch[1] = mapping.record(fields("b.example", priority="P1 — call this week"), opened.mapping)
        with caplog.at_level(logging.WARNING, logger="hunter.dynamics"):
            results = opened.push(batch)
    assert [r.outcome for r in results] == ["created", "failed", "created"]
    failed = results[1]
    assert (failed.status, failed.error_code, failed.attempts) == (400, "0x80044331", 1)
    assert failed.error == ("A validation error occurred.  The length of the 'hnt_priority' attribute of the 'lead' "
                            "entity exceeded the maximum allowed length of '10'.")
    assert failed.request_id and sorted(by_domain(dataverse)) == ["a.example", "c.example"]
    (line,) = [r for r in caplog.records if getattr(r, "event", None) == "d365_push_failed"]
    assert (line.key, line.request_id, line.error_code) == ("b.example", failed.request_id, "0x80044331")


def test_a_429_storm_loses_nothing_and_pushes_nothing_twice(dataverse: DataverseSandbox) -> None:
    dataverse.protection.configure(concurrent=2, requests=8, window_seconds=1.0)
    dataverse.latency = 0.02
    sleeps = Sleeps(real=1.0)
    domains = [f"storm{i:02}.com.tr" for i in range(50)]
    settings = dv_settings(dataverse, d365_batch_size=10, d365_concurrency=4, d365_max_attempts=3)
    with open_sink(settings, sleeps) as opened:
        created = opened.push(records(opened, domains))
        updated = opened.push(records(opened, domains, score=99))
    refused = dataverse.protection.state()["refused"]
    assert refused.get("concurrency", 0) + refused.get("requests", 0) >= 2, refused
    assert [r.outcome for r in created] == ["created"] * 50 and [r.outcome for r in updated] == ["updated"] * 50
    assert dataverse.created_counts() == dict.fromkeys(domains, 1)
    assert all(lead["hnt_score"] == 99 for lead in dataverse.leads())
    assert any(wait >= 1 for wait in sleeps)                                  # Retry-After honoured


def test_a_429_on_the_batch_waits_retry_after(dataverse: DataverseSandbox, sink: DataverseSink,
                                              sleeps: Sleeps) -> None:
    dataverse.faults.add("429", path="dataverse", retry_after=7, count=2)
    results = sink.push(records(sink, ["a.example", "b.example"]))
    assert [(r.outcome, r.attempts) for r in results] == [("created", 3)] * 2
    assert sleeps[:2] == [7.0, 7.0] and dataverse.created_counts() == {"a.example": 1, "b.example": 1}


@pytest.mark.parametrize("kind", ["500", "503", "drop"])
def test_5xx_and_dropped_connections_are_retried_with_backoff(dataverse: DataverseSandbox, sink: DataverseSink,
                                                              sleeps: Sleeps, kind: str) -> None:
    dataverse.faults.add(kind, path="dataverse", count=2)
    (result,) = sink.push(records(sink, ["a.example"]))
    assert (result.outcome, result.attempts) == ("created", 3)
    assert len(sleeps) == 2 and all(0 <= wait <= 0.05 for wait in sleeps)
    assert dataverse.created_counts() == {"a.example": 1}


def test_a_503_with_retry_after_waits_that_long(dataverse: DataverseSandbox, sink: DataverseSink,
                                                sleeps: Sleeps) -> None:
    dataverse.faults.add("503", path="dataverse", retry_after=4)
    assert sink.push(records(sink, ["a.example"]))[0].outcome == "created" and sleeps == [4.0]


def test_the_service_down_fails_each_lead_with_its_message_and_hunter_goes_on(dataverse: DataverseSandbox,
                                                                              sink: DataverseSink) -> None:
    dataverse.faults.add("down", path="dataverse")
    results = sink.push(records(sink, ["a.example", "b.example"]))
    assert [(r.outcome, r.status, r.error_code, r.attempts) for r in results] == [("failed", 503, "0x80040216", 4)] * 2
    assert results[0].error == "The service is temporarily unavailable. Try again later." and results[0].request_id


def test_an_unreachable_service_raises_after_the_retries(dataverse: DataverseSandbox, sleeps: Sleeps) -> None:
    dataverse.faults.add("drop", path="dataverse", count=100)
    with open_sink(dv_settings(dataverse), sleeps) as opened, pytest.raises(IntegrationUnavailable) as caught:
        opened.push(records(opened, ["a.example"]))
    assert caught.value.system == "dataverse" and "nothing could be pushed" in str(caught.value)
    assert len(sleeps) == 3


def test_a_closed_port_raises_unavailable(dataverse: DataverseSandbox, sleeps: Sleeps) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = dv_settings(dataverse, d365_url=f"https://127.0.0.1:{port}", d365_scope=dataverse.scope)
    with open_sink(settings, sleeps) as opened:
        with pytest.raises(IntegrationUnavailable):
            opened.push(records(opened, ["a.example"]))
        health = opened.check()
    assert not health.ok and "unreachable" in health.detail


# --- sign-in ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["revoke_all", "expire_access_tokens"])
def test_a_401_gets_one_fresh_token_and_the_push_goes_through(dataverse: DataverseSandbox, sink: DataverseSink,
                                                              how: str) -> None:
    sink.push(records(sink, ["a.example"]))
    assert len(token_calls(dataverse)) == 1
    getattr(dataverse, how)()
    (result,) = sink.push(records(sink, ["a.example"], score=12))
    assert result.outcome == "updated" and by_domain(dataverse)["a.example"]["hnt_score"] == 12
    assert len(token_calls(dataverse)) == 2
    assert [c["status"] for c in api_calls(dataverse)] == [200, 401, 200, 200]     # create form, then 412 → update


def test_a_refused_secret_raises_auth_failed_without_the_secret(dataverse: DataverseSandbox, sleeps: Sleeps,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    secret = "not-the-right-secret-1234"
    with open_sink(dv_settings(dataverse, d365_client_secret=SecretStr(secret)), sleeps) as opened:
        with pytest.raises(AuthFailed) as caught:
            opened.push(records(opened, ["a.example"]))
        assert not opened.check().ok
    assert secret not in str(caught.value) and secret not in caplog.text
    assert api_calls(dataverse) == [] and dataverse.leads() == []


def test_an_app_that_is_not_an_application_user_is_told_so(dataverse: DataverseSandbox, sink: DataverseSink) -> None:
    dataverse.remove_application_user(CONFIDENTIAL_CLIENT_ID)
    try:
        with pytest.raises(AuthFailed, match="application user"):
            sink.push(records(sink, ["a.example"]))
        health = sink.check()
        assert not health.ok and "0x80072560" in health.detail and "Application users" in health.detail
    finally:
        dataverse.add_application_user(CONFIDENTIAL_CLIENT_ID)


# --- readiness and check -----------------------------------------------------------------------------

def test_readiness_is_all_clear_on_the_default_table(sink: DataverseSink) -> None:
    assert sink.readiness() == []
    health = sink.check()
    assert health.ok and "all 15 mapped columns" in health.detail


def test_readiness_names_a_missing_column_a_wrong_type_and_a_short_one(dataverse: DataverseSandbox,
                                                                      sink: DataverseSink) -> None:
    set_schema(dataverse, drop=["hnt_gateway"], change={"hnt_score": {"type": "String", "max_length": 10},
                                                        "hnt_priority": {"max_length": 2}})
    found = sink.readiness()
    assert [(p.column, p.problem) for p in found] == [("hnt_score", "wrong_type"), ("hnt_priority", "too_short"),
                                                     ("hnt_gateway", "missing")]
    assert found[0].detail == "hnt_score is String in Dataverse; the mapping needs Integer (integer)"
    assert "hnt_priority holds 2 characters; the mapping sends up to 10" in found[1].detail
    assert not sink.check().ok


@pytest.mark.parametrize(("variant", "expected"), [
    ({"key_status": "Pending"}, "key_inactive"), ({"key_status": "Failed"}, "key_inactive"),
    ({"key": False}, "key_missing"),
])
def test_readiness_finds_an_inactive_or_missing_key(dataverse: DataverseSandbox, sink: DataverseSink,
                                                    variant: dict, expected: str) -> None:
    set_schema(dataverse, **variant)
    (problem,) = sink.readiness()
    assert (problem.column, problem.problem) == ("hnt_domain", expected)
    if expected == "key_inactive":
        assert f"hnt_domain_key on hnt_domain is {variant['key_status']}, not Active" in problem.detail
    assert isinstance(problem, ColumnProblem)


def test_pushing_with_an_inactive_key_fails_each_lead_with_the_services_words(dataverse: DataverseSandbox,
                                                                             sink: DataverseSink) -> None:
    dataverse.set_key_status("Pending")
    (result,) = sink.push(records(sink, ["a.example"]))
    assert (result.outcome, result.status, result.error_code) == ("failed", 400, "0x80060890")
    assert result.error == "The specified key attributes are not a defined key for the lead entity"
