"""Hunter's Partner Center adapter — real MSAL and httpx — against the HTTPS stand-in: both
sign-in modes, paging, the delta, throttling and faults, token expiry, roles, trust."""

from __future__ import annotations

import stat
import time
from urllib.parse import unquote
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from pydantic import SecretStr

from hunter.errors import AuthFailed, IntegrationUnavailable, RateLimited
from hunter.flows.sync_referrals import newest_watermark
from hunter.integrations.partner_center.adapter import PartnerCenterSource
from hunter.sandbox.entra_directory import CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET

from .conftest import Sleeps, api_calls, pc_settings, source

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # MSAL warns on public-client ROPC


@contextmanager
def opened(settings, sleeps: Sleeps | None = None) -> Iterator[PartnerCenterSource]:
    src = source(settings, sleeps)
    try:
        yield src
    finally:
        src.close()


def test_ropc_public_client_reads_every_page(pc, tmp_path) -> None:
    with opened(pc_settings(pc, tmp_path)) as src:
        batch = src.fetch(since=None)
    assert len(batch.records) == 250 and len({r.id for r in batch.records}) == 250
    assert batch.pages == 3 and len(batch.request_ids) == 3 and batch.errors == ()
    calls = api_calls(pc)
    assert len(calls) == 3 and calls[0]["query"] == "$top=100&$orderby=createdDateTime%20asc"
    ids = [c["client-request-id"] for c in calls]
    assert all(ids) and len(set(ids)) == 3                       # a fresh client-request-id per call
    cache = tmp_path / "partner-center.tokencache"
    assert cache.is_file() and stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_ropc_confidential_client(pc, tmp_path) -> None:
    settings = pc_settings(pc, tmp_path, pc_client_id=CONFIDENTIAL_CLIENT_ID,
                           pc_client_secret=SecretStr(CONFIDENTIAL_CLIENT_SECRET))
    with opened(settings) as src:
        assert len(src.fetch(since=None).records) == 250


def test_a_second_run_signs_in_from_the_cache(pc, tmp_path) -> None:
    with opened(pc_settings(pc, tmp_path)) as src:
        src.fetch(since=None)
    pc.clear_requests()
    with opened(pc_settings(pc, tmp_path)) as again:        # a new process: the cache file only
        again.fetch(since=None)
    assert not [r for r in pc.requests if r["path"].endswith("/token")]


def test_the_delta_fetches_exactly_the_changed_referrals(pc, tmp_path) -> None:
    with opened(pc_settings(pc, tmp_path)) as src:
        watermark = newest_watermark(r.updated_text for r in src.fetch(since=None).records)
        changed = pc.touch(count=5)
        pc.clear_requests()
        delta = src.fetch(since=watermark)
    assert sorted(r.id for r in delta.records) == sorted(changed)
    assert delta.pages == 1 and len(api_calls(pc)) == 1
    assert f"$filter=updatedDateTime gt {watermark}" in unquote(api_calls(pc)[0]["query"])


def test_mfa_account_is_told_to_use_device_code(pc, tmp_path) -> None:
    with opened(pc_settings(pc, tmp_path, username="mfa@partner.test")) as src:
        with pytest.raises(AuthFailed) as refused:
            src.fetch(since=None)
    text = str(refused.value)
    assert "multi-factor" in text and "device_code" in text and "AADSTS50076" in text
    assert pc.settings_env()["HUNTER_PC_PASSWORD"] not in text
    assert not api_calls(pc)


def test_wrong_password_is_a_clear_refusal_without_the_password(pc, tmp_path) -> None:
    with opened(pc_settings(pc, tmp_path, pc_password=SecretStr("not-the-password-123"))) as src:
        with pytest.raises(AuthFailed, match="AADSTS50126") as refused:
            src.fetch(since=None)
    assert "not-the-password-123" not in str(refused.value)


def test_an_account_without_a_referral_role_gets_the_roles_named(pc, tmp_path) -> None:
    with opened(pc_settings(pc, tmp_path, username="noroles@partner.test")) as src:
        with pytest.raises(AuthFailed, match="Referrals Admin or Referrals User") as refused:
            src.fetch(since=None)
    assert "request-id" in str(refused.value)


@pytest.mark.parametrize("kind, retry_after", [("429", 1), ("429", None), ("503", 2), ("503", None), ("500", None)])
def test_throttling_and_server_errors_are_retried(pc, tmp_path, kind, retry_after) -> None:
    pc.faults.add(kind, count=2, retry_after=retry_after)
    sleeps = Sleeps()
    with opened(pc_settings(pc, tmp_path), sleeps) as src:
        assert len(src.fetch(since=None).records) == 250
    assert len(sleeps) == 2
    if retry_after is not None:
        assert sleeps == [retry_after, retry_after]              # Retry-After honoured
    else:
        assert all(0 <= s <= 4.0 for s in sleeps)                # backoff with jitter, capped


def test_a_dropped_connection_and_a_slow_answer_are_retried(pc, tmp_path) -> None:
    pc.faults.add("drop", count=1)
    pc.faults.add("latency", count=1, seconds=1.5)
    sleeps = Sleeps()
    with opened(pc_settings(pc, tmp_path, pc_timeout=1.0), sleeps) as src:
        assert len(src.fetch(since=None).records) == 250
    assert len(sleeps) == 2
    time.sleep(1.0)       # the abandoned slow answer finishes on the server before the next test counts requests


def test_bounded_attempts_then_a_clear_error(pc, tmp_path) -> None:
    pc.faults.add("429", count=10)
    with opened(pc_settings(pc, tmp_path, pc_max_attempts=3)) as src:
        with pytest.raises(RateLimited, match="after 3 attempts"):
            src.fetch(since=None)
    pc.faults.clear()
    pc.faults.add("down", count=1)
    with opened(pc_settings(pc, tmp_path, pc_max_attempts=2)) as src:
        with pytest.raises(IntegrationUnavailable, match="HTTP 503"):
            src.fetch(since=None)


@pytest.mark.parametrize("server_side", ["expire_access_tokens", "revoke_all"])
def test_a_token_dead_on_the_server_is_replaced_once(pc, tmp_path, server_side) -> None:
    with opened(pc_settings(pc, tmp_path)) as src:
        src.fetch(since=None)
        getattr(pc, server_side)()                 # MSAL's cache still holds the old token
        pc.clear_requests()
        assert len(src.fetch(since=None).records) == 250
    statuses = [c["status"] for c in api_calls(pc)]
    assert statuses[0] == 401 and statuses[1:] == [200, 200, 200]


def test_device_code_login_then_silent_runs(pc, tmp_path) -> None:
    settings = pc_settings(pc, tmp_path, pc_auth_mode="device_code", pc_username=None, pc_password=None,
                           secret_key=SecretStr("a-long-demo-secret-key"))
    with opened(settings) as src:
        with pytest.raises(AuthFailed, match="hunter partner-center login"):
            src.fetch(since=None)
    pc.entra.auto_approve = "referrals@partner.test"
    said: list[str] = []
    with opened(settings) as src:
        assert src.login(said.append) == "referrals@partner.test"
    assert "enter the code" in said[0]
    cache = tmp_path / "partner-center.tokencache"
    assert b"refresh" not in cache.read_bytes().lower()        # encrypted with HUNTER_SECRET_KEY
    pc.entra.auto_approve = None
    pc.clear_requests()
    with opened(settings) as later:
        assert len(later.fetch(since=None).records) == 250
    assert not [r for r in pc.requests if "devicecode" in r["path"]]


def test_the_ca_bundle_cannot_be_overridden_by_the_environment(pc, tmp_path, monkeypatch) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate")
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, str(bogus))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")     # a proxy that is not there
    with opened(pc_settings(pc, tmp_path)) as src:
        assert len(src.fetch(since=None).records) == 250


def test_without_the_sandbox_ca_the_server_is_not_trusted(pc, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with opened(pc_settings(pc, tmp_path, ca_bundle=None)) as src:
        with pytest.raises(IntegrationUnavailable, match="certificate is not trusted"):
            src.fetch(since=None)


def test_check_reports_health(pc, tmp_path) -> None:
    with opened(pc_settings(pc, tmp_path)) as src:
        assert src.check().ok
    with opened(pc_settings(pc, tmp_path, username="noroles@partner.test")) as src:
        health = src.check()
    assert not health.ok and "Referrals Admin" in health.detail
