"""Pure parts of the client and the sign-in: Retry-After, backoff, the port MSAL drops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from hunter.integrations.entra import MsalHttp, instance_discovery
from hunter.integrations.http_retry import Backoff, retry_after


def test_retry_after_seconds_dates_and_junk() -> None:
    assert retry_after("7") == 7.0 and retry_after(" 0 ") == 0.0 and retry_after("1.5") == 1.5
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after(later) <= 31
    assert retry_after(None) is None and retry_after("") is None and retry_after("soon") is None
    assert retry_after("-3") == 0.0


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    b = Backoff(base=1.0, cap=60.0)
    assert [b.delay(n, rand=lambda: 1.0) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert b.delay(3, rand=lambda: 0.25) == 2.0


def test_the_authority_port_goes_back_on_msal_port_less_calls() -> None:
    http = MsalHttp(authority="https://127.0.0.1:8443/organizations", ca_bundle=None, timeout=5)
    assert http._with_port("https://127.0.0.1/common/userrealm/a@b.test?api-version=1.0") == \
        "https://127.0.0.1:8443/common/userrealm/a@b.test?api-version=1.0"
    assert http._with_port("https://127.0.0.1:9000/x") == "https://127.0.0.1:9000/x"
    assert http._with_port("https://other.test/x") == "https://other.test/x"
    assert http.trust_env is False
    real = MsalHttp(authority="https://login.microsoftonline.com/contoso.com", ca_bundle=None, timeout=5)
    url = "https://login.microsoftonline.com/common/userrealm/a@contoso.com?api-version=1.0"
    assert real._with_port(url) == url


def test_instance_discovery_only_for_microsoft_hosts() -> None:
    assert instance_discovery("https://login.microsoftonline.com/organizations")
    assert instance_discovery("https://LOGIN.microsoftonline.us/tenant")
    assert not instance_discovery("https://127.0.0.1:8443/organizations")
    assert not instance_discovery("https://login.contoso.test/tenant")
