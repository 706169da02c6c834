"""The Entra ID stand-in, driven by the real MSAL for Python (and httpx for the raw protocol)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import msal
import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hunter.sandbox.entra_directory import (
    CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, PARTNER_CENTER_RESOURCE, PUBLIC_CLIENT_ID, SANDBOX_PASSWORD,
    TENANT_ID,
)
from hunter.sandbox.partner_center import PartnerCenterSandbox

pytestmark = pytest.mark.filterwarnings("ignore:This API has been deprecated:DeprecationWarning")
SCOPE = [f"{PARTNER_CENTER_RESOURCE}/.default"]
ADMIN, READER, MFA = "referrals@partner.test", "reader@partner.test", "mfa@partner.test"


class SandboxSession(requests.Session):
    """Trusts only the sandbox CA and sends MSAL's port-less authority-host calls (user realm
    discovery) to the sandbox port, as Hunter's own client does."""

    def __init__(self, sandbox: PartnerCenterSandbox) -> None:
        super().__init__()
        self.verify, self.trust_env, self._port = str(sandbox.ca_file), False, sandbox.port

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(url)
        if parts.hostname == "127.0.0.1" and parts.port is None:
            url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{self._port}"))
        return super().request(method, url, *args, **kwargs)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PartnerCenterSandbox]:
    with PartnerCenterSandbox(tmp_path_factory.mktemp("pc"), referrals=12, device_interval=1) as running:
        yield running


@pytest.fixture
def session(sandbox: PartnerCenterSandbox) -> Iterator[SandboxSession]:
    sandbox.entra.auto_approve = None
    with SandboxSession(sandbox) as http:
        yield http


@pytest.fixture
def api(sandbox: PartnerCenterSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(verify=sandbox.ca.client_context(), trust_env=False, timeout=5) as http:
        yield http


def public_app(sandbox: PartnerCenterSandbox, session: requests.Session, **kw: Any) -> msal.PublicClientApplication:
    return msal.PublicClientApplication(PUBLIC_CLIENT_ID, authority=kw.pop("authority", sandbox.authority),
                                        instance_discovery=False, http_client=session, **kw)


def confidential_app(sandbox: PartnerCenterSandbox, session: requests.Session,
                     secret: str = CONFIDENTIAL_CLIENT_SECRET) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(CONFIDENTIAL_CLIENT_ID, client_credential=secret,
                                              authority=sandbox.tenant_authority, instance_discovery=False,
                                              http_client=session)


def claims(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def referrals_status(api: httpx.Client, sandbox: PartnerCenterSandbox, token: str) -> int:
    return api.get(sandbox.base_url, params={"$top": "1"}, headers={"Authorization": f"Bearer {token}"}).status_code


# --- discovery -------------------------------------------------------------------------------

@pytest.mark.parametrize("tenant", ["organizations", "common", TENANT_ID, "partner.test"])
def test_openid_configuration_points_at_the_sandbox(api: httpx.Client, sandbox: PartnerCenterSandbox,
                                                    tenant: str) -> None:
    doc = api.get(f"{sandbox.url}/{tenant}/v2.0/.well-known/openid-configuration").json()
    for key in ("authorization_endpoint", "token_endpoint", "device_authorization_endpoint", "jwks_uri", "issuer"):
        assert doc[key].startswith(f"{sandbox.url}/"), key
    assert doc["token_endpoint"].endswith("/oauth2/v2.0/token") and doc["issuer"].endswith("/v2.0")
    v1 = api.get(f"{sandbox.url}/{tenant}/.well-known/openid-configuration").json()
    assert v1["token_endpoint"].endswith("/oauth2/token")


def test_unknown_tenant_is_invalid_tenant(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    answer = api.get(f"{sandbox.url}/contoso.example/v2.0/.well-known/openid-configuration")
    assert answer.status_code == 400 and answer.json()["error_codes"] == [90002]


def test_user_realm_says_managed(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    realm = api.get(f"{sandbox.url}/common/userrealm/{ADMIN}", params={"api-version": "1.0"}).json()
    assert realm == {"ver": "1.0", "account_type": "Managed", "domain_name": "partner.test",
                     "cloud_instance_name": "microsoftonline.com",
                     "cloud_audience_urn": "urn:federation:MicrosoftOnline"}


# --- ROPC, silent, refresh -------------------------------------------------------------------

def test_public_client_ropc_gives_tokens_msal_caches(sandbox: PartnerCenterSandbox, session: SandboxSession,
                                                     api: httpx.Client) -> None:
    app = public_app(sandbox, session)
    result = app.acquire_token_by_username_password(ADMIN, SANDBOX_PASSWORD, scopes=SCOPE)
    assert result["token_type"] == "Bearer" and "refresh_token" in result
    access = claims(result["access_token"])
    assert access["aud"] == PARTNER_CENTER_RESOURCE and access["tid"] == TENANT_ID
    assert access["upn"] == ADMIN and access["scp"] == "user_impersonation" and access["appid"] == PUBLIC_CLIENT_ID
    assert access["iss"] == f"{sandbox.url}/{TENANT_ID}/" and access["exp"] - access["iat"] == 3600
    identity = claims(result["id_token"])
    assert identity["aud"] == PUBLIC_CLIENT_ID and identity["iss"] == f"{sandbox.url}/{TENANT_ID}/v2.0"
    assert identity["ver"] == "2.0" and identity["preferred_username"] == ADMIN
    (account,) = app.get_accounts()
    assert account["username"] == ADMIN and account["home_account_id"] == f"{access['oid']}.{TENANT_ID}"
    assert referrals_status(api, sandbox, result["access_token"]) == 200
    assert any(entry["path"] == f"/common/userrealm/{ADMIN}" for entry in sandbox.requests)


def test_silent_serves_the_cache_then_refreshes_after_expiry(sandbox: PartnerCenterSandbox, session: SandboxSession,
                                                             api: httpx.Client) -> None:
    app = public_app(sandbox, session)
    first = app.acquire_token_by_username_password(ADMIN, SANDBOX_PASSWORD, scopes=SCOPE)
    account = app.get_accounts()[0]
    cached = app.acquire_token_silent(SCOPE, account=account)
    assert cached["token_source"] == "cache" and cached["access_token"] == first["access_token"]
    sandbox.expire_access_tokens()
    assert referrals_status(api, sandbox, cached["access_token"]) == 401
    refreshed = app.acquire_token_silent(SCOPE, account=account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider" and refreshed["access_token"] != first["access_token"]
    assert claims(refreshed["access_token"])["jti"] != claims(first["access_token"])["jti"]
    assert referrals_status(api, sandbox, refreshed["access_token"]) == 200


def test_revoke_all_stops_cached_access_tokens_and_refresh_tokens(sandbox: PartnerCenterSandbox,
                                                                  session: SandboxSession, api: httpx.Client) -> None:
    app = public_app(sandbox, session)
    app.acquire_token_by_username_password(ADMIN, SANDBOX_PASSWORD, scopes=SCOPE)
    account = app.get_accounts()[0]
    sandbox.revoke_all()
    cached = app.acquire_token_silent(SCOPE, account=account)
    assert cached["token_source"] == "cache" and referrals_status(api, sandbox, cached["access_token"]) == 401
    failed = app.acquire_token_silent_with_error(SCOPE, account=account, force_refresh=True)
    assert failed["error"] == "invalid_grant" and failed["error_codes"] == [50173]


def test_mfa_user_cannot_use_ropc(sandbox: PartnerCenterSandbox, session: SandboxSession) -> None:
    result = public_app(sandbox, session).acquire_token_by_username_password(MFA, SANDBOX_PASSWORD, scopes=SCOPE)
    assert result["error"] == "invalid_grant" and result["error_codes"] == [50076]
    assert result["suberror"] == "basic_action" and result["error_description"].startswith("AADSTS50076: ")
    for line in ("Trace ID: ", "Correlation ID: ", "Timestamp: "):
        assert f"\r\n{line}" in result["error_description"]
    assert {"timestamp", "trace_id", "correlation_id"} <= set(result)


def test_wrong_password_and_unknown_user(sandbox: PartnerCenterSandbox, session: SandboxSession) -> None:
    app = public_app(sandbox, session)
    wrong = app.acquire_token_by_username_password(ADMIN, "not-the-password", scopes=SCOPE)
    assert wrong["error"] == "invalid_grant" and wrong["error_codes"] == [50126]
    unknown = app.acquire_token_by_username_password("nobody@partner.test", SANDBOX_PASSWORD, scopes=SCOPE)
    assert unknown["error_codes"] == [50034]


def test_unknown_client_is_aadsts700016(sandbox: PartnerCenterSandbox, session: SandboxSession) -> None:
    app = msal.PublicClientApplication("00000000-1111-2222-3333-444444444444", authority=sandbox.authority,
                                       instance_discovery=False, http_client=session)
    result = app.acquire_token_by_username_password(ADMIN, SANDBOX_PASSWORD, scopes=SCOPE)
    assert result["error"] == "unauthorized_client" and result["error_codes"] == [700016]


# --- confidential client ---------------------------------------------------------------------

def test_confidential_client_ropc_and_client_credentials(sandbox: PartnerCenterSandbox, session: SandboxSession,
                                                         api: httpx.Client) -> None:
    app = confidential_app(sandbox, session)
    user = app.acquire_token_by_username_password(READER, SANDBOX_PASSWORD, scopes=SCOPE)
    assert claims(user["access_token"])["appidacr"] == "1" and referrals_status(api, sandbox, user["access_token"]) == 200
    app_only = app.acquire_token_for_client(SCOPE)
    token = claims(app_only["access_token"])
    assert token["idtyp"] == "app" and token["roles"] and "scp" not in token and "upn" not in token
    assert "refresh_token" not in app_only
    assert referrals_status(api, sandbox, app_only["access_token"]) == 403   # App+User only (A.2)


def test_wrong_secret_is_aadsts7000215(sandbox: PartnerCenterSandbox, session: SandboxSession) -> None:
    result = confidential_app(sandbox, session, secret="wrong").acquire_token_for_client(SCOPE)
    assert result["error"] == "invalid_client" and result["error_codes"] == [7000215]


@pytest.mark.parametrize(("client_id", "secret", "code"), [
    (PUBLIC_CLIENT_ID, "a-secret", 700025),           # a public client must not send a secret
    (CONFIDENTIAL_CLIENT_ID, None, 7000218),          # a confidential one must
])
def test_client_authentication_errors(api: httpx.Client, sandbox: PartnerCenterSandbox, client_id: str,
                                      secret: str | None, code: int) -> None:
    form = {"grant_type": "password", "client_id": client_id, "username": ADMIN, "password": SANDBOX_PASSWORD,
            "scope": SCOPE[0], **({"client_secret": secret} if secret else {})}
    answer = api.post(f"{sandbox.authority}/oauth2/v2.0/token", data=form)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    assert answer.json()["error_codes"] == [code]


def test_client_credentials_basic_auth_and_public_refusal(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    url = f"{sandbox.tenant_authority}/oauth2/v2.0/token"
    basic = api.post(url, data={"grant_type": "client_credentials", "scope": SCOPE[0]},
                     auth=(CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET))
    assert basic.status_code == 200 and basic.json()["expires_in"] == 3600
    public = api.post(url, data={"grant_type": "client_credentials", "scope": SCOPE[0], "client_id": PUBLIC_CLIENT_ID})
    assert public.json()["error_codes"] == [7000218]


def test_v1_endpoint_answers_like_the_documented_sample(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    form = {"resource": PARTNER_CENTER_RESOURCE, "grant_type": "password", "scope": "openid",
            "client_id": CONFIDENTIAL_CLIENT_ID, "client_secret": CONFIDENTIAL_CLIENT_SECRET,
            "username": ADMIN, "password": SANDBOX_PASSWORD}
    answer = api.post(f"{sandbox.url}/common/oauth2/token", data=form).json()
    assert answer["token_type"] == "Bearer" and answer["resource"] == PARTNER_CENTER_RESOURCE
    for key in ("expires_in", "ext_expires_in", "expires_on", "not_before"):
        assert isinstance(answer[key], str) and answer[key].isdigit(), key
    assert referrals_status(api, sandbox, answer["access_token"]) == 200
    refresh = {"grant_type": "refresh_token", "refresh_token": answer["refresh_token"],
               "client_id": CONFIDENTIAL_CLIENT_ID, "client_secret": CONFIDENTIAL_CLIENT_SECRET}
    renewed = api.post(f"{sandbox.url}/common/oauth2/token", data=refresh).json()
    assert renewed["resource"] == PARTNER_CENTER_RESOURCE and renewed["refresh_token"] != answer["refresh_token"]


def test_tokens_verify_with_the_published_keys(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    form = {"grant_type": "client_credentials", "scope": SCOPE[0], "client_id": CONFIDENTIAL_CLIENT_ID,
            "client_secret": CONFIDENTIAL_CLIENT_SECRET}
    token = api.post(f"{sandbox.tenant_authority}/oauth2/v2.0/token", data=form).json()["access_token"]
    jwks_uri = api.get(f"{sandbox.tenant_authority}/v2.0/.well-known/openid-configuration").json()["jwks_uri"]
    (key,) = api.get(jwks_uri).json()["keys"]
    number = lambda text: int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")  # noqa: E731
    public = rsa.RSAPublicNumbers(number(key["e"]), number(key["n"])).public_key()
    head, body, signature = token.split(".")
    public.verify(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)), f"{head}.{body}".encode(),
                  padding.PKCS1v15(), hashes.SHA256())


# --- device code -----------------------------------------------------------------------------

def test_device_code_with_auto_approve(sandbox: PartnerCenterSandbox, session: SandboxSession,
                                       api: httpx.Client) -> None:
    sandbox.entra.auto_approve = READER
    app = public_app(sandbox, session)
    flow = app.initiate_device_flow(SCOPE)
    assert flow["verification_uri"] == f"{sandbox.url}/devicelogin" and flow["interval"] == 1
    assert flow["message"] == (f"To sign in, use a web browser to open the page {sandbox.url}/devicelogin "
                               f"and enter the code {flow['user_code']} to authenticate.")
    result = app.acquire_token_by_device_flow(flow)
    assert result["id_token_claims"]["preferred_username"] == READER
    assert claims(result["access_token"])["amr"] == ["pwd", "mfa"]
    assert referrals_status(api, sandbox, result["access_token"]) == 200


def test_device_code_pending_then_approved(sandbox: PartnerCenterSandbox, session: SandboxSession) -> None:
    app = public_app(sandbox, session)
    flow = app.initiate_device_flow(SCOPE)
    pending = app.acquire_token_by_device_flow(flow, exit_condition=lambda flow: True)
    assert pending["error"] == "authorization_pending" and pending["error_codes"] == [70016]
    sandbox.approve(flow["user_code"], MFA)     # device code sign-in satisfies MFA
    result = app.acquire_token_by_device_flow(flow, exit_condition=lambda flow: True)
    assert claims(result["access_token"])["upn"] == MFA
    again = app.acquire_token_by_device_flow(flow, exit_condition=lambda flow: True)
    assert again["error"] == "bad_verification_code"   # a device code is redeemed once


def test_device_login_page_approves_and_declines(sandbox: PartnerCenterSandbox, session: SandboxSession,
                                                 api: httpx.Client) -> None:
    app = public_app(sandbox, session)
    page = api.get(f"{sandbox.url}/devicelogin", params={"otc": '"><script>x</script>'})
    assert "<script>x" not in page.text and "&lt;script&gt;" in page.text
    approved, declined = app.initiate_device_flow(SCOPE), app.initiate_device_flow(SCOPE)
    login = {"otc": approved["user_code"].lower(), "username": ADMIN, "password": SANDBOX_PASSWORD}
    assert api.post(f"{sandbox.url}/devicelogin", data={**login, "password": "wrong"}).status_code == 400
    assert api.post(f"{sandbox.url}/devicelogin", data=login).status_code == 200
    assert "access_token" in app.acquire_token_by_device_flow(approved, exit_condition=lambda flow: True)
    api.post(f"{sandbox.url}/devicelogin", data={"otc": declined["user_code"], "action": "decline"})
    result = app.acquire_token_by_device_flow(declined, exit_condition=lambda flow: True)
    assert result["error"] == "authorization_declined"


def test_device_code_expires(sandbox: PartnerCenterSandbox, session: SandboxSession) -> None:
    sandbox.entra.device.lifetime = 0
    try:
        app = public_app(sandbox, session)
        result = app.acquire_token_by_device_flow(app.initiate_device_flow(SCOPE))
    finally:
        sandbox.entra.device.lifetime = 900
    assert result["error"] == "expired_token" and result["error_codes"] == [70020]
