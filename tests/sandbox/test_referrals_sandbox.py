"""The Referrals API stand-in (paging, OData, auth, faults, control) and the referral generator."""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hunter.normalise import company_domain
from hunter.sandbox import referral_data
from hunter.sandbox.entra_directory import (
    CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, PUBLIC_CLIENT_ID, SANDBOX_PASSWORD,
)
from hunter.sandbox.odata import ticks
from hunter.sandbox.partner_center import PartnerCenterSandbox

ADMIN, READER = "referrals@partner.test", "reader@partner.test"
ZONES = Path(__file__).resolve().parents[2] / "hunter" / "sandbox" / "zones"
SEVEN_DIGITS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PartnerCenterSandbox]:
    with PartnerCenterSandbox(tmp_path_factory.mktemp("pc"), referrals=250, seed=11) as running:
        yield running


@pytest.fixture
def api(sandbox: PartnerCenterSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(verify=sandbox.ca.client_context(), trust_env=False, timeout=5) as http:
        yield http
    sandbox.faults.clear()


def token(api: httpx.Client, sandbox: PartnerCenterSandbox, username: str = ADMIN, *,
          scope: str | None = None) -> str:
    form = {"grant_type": "password", "client_id": PUBLIC_CLIENT_ID, "username": username,
            "password": SANDBOX_PASSWORD, "scope": scope or sandbox.scope}
    return api.post(f"{sandbox.authority}/oauth2/v2.0/token", data=form).json()["access_token"]


def get(api: httpx.Client, sandbox: PartnerCenterSandbox, url: str | None = None, *, user: str = ADMIN,
        **params: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token(api, sandbox, user)}", "client-request-id": str(uuid.uuid4())}
    return api.get(url or sandbox.base_url, params=params or None, headers=headers)


def every_page(api: httpx.Client, sandbox: PartnerCenterSandbox, *, user: str = ADMIN,
               **params: str) -> list[dict[str, Any]]:
    pages = [get(api, sandbox, user=user, **params).json()]
    while "@odata.nextLink" in pages[-1]:
        pages.append(get(api, sandbox, pages[-1]["@odata.nextLink"], user=user).json())   # verbatim
    return pages


def items(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for page in pages for item in page["value"]]


# --- paging and OData ------------------------------------------------------------------------

def test_paging_follows_next_link_in_pages_of_100(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    pages = every_page(api, sandbox)
    assert [len(page["value"]) for page in pages] == [100, 100, 50]
    assert pages[0]["@odata.nextLink"].startswith(f"{sandbox.base_url}?$skiptoken=")
    assert {page["@odata.count"] for page in pages} == {250}
    assert pages[0]["@odata.context"] == f"{sandbox.url}/v1.0/$metadata#Referrals"
    created = [(ticks(item["createdDateTime"]), item["id"]) for item in items(pages)]
    assert created == sorted(created) and len(set(created)) == 250


def test_top_sets_the_page_size_capped_at_100(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    small = get(api, sandbox, **{"$top": "10"}).json()
    assert len(small["value"]) == 10 and "@odata.nextLink" in small
    assert len(get(api, sandbox, **{"$top": "500"}).json()["value"]) == 100
    for bad in ("0", "-1", "ten"):
        assert get(api, sandbox, **{"$top": bad}).json()["error"]["code"] == "invalidRequest"


def test_updated_since_with_and_without_quotes_finds_exactly_the_touched(api: httpx.Client,
                                                                          sandbox: PartnerCenterSandbox) -> None:
    latest = max(item["updatedDateTime"] for item in items(every_page(api, sandbox)))
    touched = sandbox.touch(count=5)
    for literal in (latest, f"'{latest}'"):
        found = items(every_page(api, sandbox, **{"$filter": f"updatedDateTime gt {literal}"}))
        assert sorted(item["id"] for item in found) == sorted(touched)
        assert all(SEVEN_DIGITS.match(item["updatedDateTime"]) for item in found)
    equal = items(every_page(api, sandbox, **{"$filter": f"updatedDateTime ge {latest}"}))
    assert len(equal) >= 5


def test_orderby_updated_desc_with_ties_by_id(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    found = items(every_page(api, sandbox, **{"$orderby": "updatedDateTime desc", "$top": "70"}))
    keys = [(-ticks(item["updatedDateTime"]), item["id"]) for item in found]
    assert keys == sorted(keys) and len(found) == 250


def test_filter_grammar_from_the_documented_samples(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    everything = items(every_page(api, sandbox))
    expression = ("(status eq 'New' or status eq 'Active') and (direction eq 'Incoming' and type eq 'Shared') "
                  "and customerProfile/address/country eq 'TR'")
    found = items(every_page(api, sandbox, **{"$filter": expression}))
    expected = [item for item in everything if item["status"] in ("New", "Active")
                and item["direction"] == "Incoming" and item["type"] == "Shared"]
    assert [item["id"] for item in found] == [item["id"] for item in expected] and found
    sellers = items(every_page(api, sandbox, **{"$filter": f"team/any(t:t/email eq '{READER}') and status ne 'Closed'"}))
    assert sellers and all(READER in [m["email"] for m in item["team"]] and item["status"] != "Closed"
                           for item in sellers)


@pytest.mark.parametrize("expression", [
    "status eq", "status eq New", "colour eq 'red'", "status eq 'New' and", "(status eq 'New'",
    "updatedDateTime gt 2026-02-30T00:00:00Z", "updatedDateTime gt 'yesterday'", "team/any(t:t/phone eq '1')",
])
def test_a_bad_filter_is_400_invalid_request(api: httpx.Client, sandbox: PartnerCenterSandbox, expression: str) -> None:
    answer = get(api, sandbox, **{"$filter": expression})
    error = answer.json()["error"]
    assert answer.status_code == 400 and error["code"] == "invalidRequest" and error["message"].startswith("$filter")


def test_get_one_referral_with_etag(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    first = get(api, sandbox, **{"$top": "1"}).json()["value"][0]
    one = get(api, sandbox, f"{sandbox.base_url}/{first['id']}")
    assert one.json()["@odata.context"].endswith("$metadata#Referrals/$entity")
    assert one.headers["etag"] == one.json()["eTag"] and one.json()["links"]["self"]["uri"] == f"{sandbox.base_url}/{first['id']}"
    missing = get(api, sandbox, f"{sandbox.base_url}/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "itemNotFound"


def test_every_answer_has_request_id_client_request_id_and_json_type(api: httpx.Client,
                                                                     sandbox: PartnerCenterSandbox) -> None:
    answers = [get(api, sandbox, **{"$top": "1"}), get(api, sandbox, **{"$filter": "bad"}),
               api.get(sandbox.base_url, headers={"client-request-id": "c-1"})]
    assert len({answer.headers["request-id"] for answer in answers}) == 3
    for answer in answers:
        uuid.UUID(answer.headers["request-id"])
        assert answer.headers["content-type"] == "application/json; charset=utf-8"
        assert answer.headers["client-request-id"] == answer.request.headers["client-request-id"]


# --- who may read ----------------------------------------------------------------------------

def test_401_without_or_with_a_bad_token(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    missing = api.get(sandbox.base_url)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthenticated"
    assert missing.headers["www-authenticate"].startswith("Bearer ") and "error=" not in missing.headers["www-authenticate"]
    graph = token(api, sandbox, scope="https://graph.microsoft.com/.default")
    for bad in ("garbage", graph, token(api, sandbox)[:-4] + "AAAA"):
        answer = api.get(sandbox.base_url, headers={"Authorization": f"Bearer {bad}"})
        assert answer.status_code == 401 and 'error="invalid_token"' in answer.headers["www-authenticate"]


def test_expired_and_revoked_tokens_are_401(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    for control in (sandbox.expire_access_tokens, sandbox.revoke_all):
        bearer = {"Authorization": f"Bearer {token(api, sandbox)}"}
        assert api.get(sandbox.base_url, headers=bearer, params={"$top": "1"}).status_code == 200
        control()
        answer = api.get(sandbox.base_url, headers=bearer)
        assert answer.status_code == 401 and answer.json()["error"]["innerError"]["code"] == "revoked"


def test_403_without_a_referral_role_or_app_only(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    assert get(api, sandbox, user="noroles@partner.test").json()["error"]["code"] == "accessDenied"
    form = {"grant_type": "client_credentials", "client_id": CONFIDENTIAL_CLIENT_ID,
            "client_secret": CONFIDENTIAL_CLIENT_SECRET, "scope": sandbox.scope}
    app_token = api.post(f"{sandbox.tenant_authority}/oauth2/v2.0/token", data=form).json()["access_token"]
    assert api.get(sandbox.base_url, headers={"Authorization": f"Bearer {app_token}"}).status_code == 403


def test_referrals_user_sees_only_referrals_with_them_on_the_team(api: httpx.Client,
                                                                  sandbox: PartnerCenterSandbox) -> None:
    everything = items(every_page(api, sandbox))
    mine = [item["id"] for item in everything if READER in [member["email"] for member in item["team"]]]
    seen = items(every_page(api, sandbox, user=READER))
    assert [item["id"] for item in seen] == mine and 0 < len(mine) < len(everything)
    hidden = next(item["id"] for item in everything if item["id"] not in mine)
    assert get(api, sandbox, f"{sandbox.base_url}/{hidden}", user=READER).status_code == 404


# --- faults ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "retry_after", "status"), [
    ("429", 3, 429), ("429", None, 429), ("500", None, 500), ("503", 2, 503), ("503", None, 503),
])
def test_status_faults_are_consumed_per_request(api: httpx.Client, sandbox: PartnerCenterSandbox, kind: str,
                                                retry_after: int | None, status: int) -> None:
    sandbox.faults.add(kind, count=2, retry_after=retry_after)
    answers = [get(api, sandbox, **{"$top": "1"}) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [status, status, 200]
    assert answers[0].headers.get("retry-after") == (None if retry_after is None else str(retry_after))
    assert answers[0].json()["error"]["target"] == "referral" and "request-id" in answers[0].headers


def test_latency_and_drop(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    bearer = {"Authorization": f"Bearer {token(api, sandbox)}"}
    sandbox.faults.add("latency", seconds=0.3)
    started = time.monotonic()
    assert api.get(sandbox.base_url, headers=bearer, params={"$top": "1"}).status_code == 200
    assert time.monotonic() - started >= 0.3
    sandbox.faults.add("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(sandbox.base_url, headers=bearer)
    assert api.get(sandbox.base_url, headers=bearer, params={"$top": "1"}).status_code == 200


def test_down_until_cleared_and_token_faults_in_entra_shape(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    bearer = {"Authorization": f"Bearer {token(api, sandbox)}"}
    sandbox.faults.add("down")
    assert [api.get(sandbox.base_url, headers=bearer).status_code for _ in range(3)] == [503] * 3
    sandbox.faults.clear()
    sandbox.faults.add("429", path="token", retry_after=1)
    answer = api.post(f"{sandbox.authority}/oauth2/v2.0/token", data={"grant_type": "password"})
    assert answer.status_code == 429 and answer.headers["retry-after"] == "1"
    assert answer.json()["error"] == "temporarily_unavailable" and answer.json()["error_codes"]


# --- control endpoints -----------------------------------------------------------------------

def test_control_endpoints(api: httpx.Client, sandbox: PartnerCenterSandbox) -> None:
    control = f"{sandbox.url}/_sandbox"
    api.delete(f"{control}/requests")
    touched = api.post(f"{control}/referrals/touch", json={"count": 2}).json()["touched"]
    assert api.post(f"{control}/referrals/touch", json={"ids": touched}).json()["touched"] == touched
    assert api.post(f"{control}/referrals/touch", json={"ids": ["nope"]}).status_code == 400
    assert api.post(f"{control}/faults", json={"kind": "503", "retry_after": 1}).json()["added"]["kind"] == "503"
    assert api.post(f"{control}/faults", json={"kind": "teapot"}).status_code == 400
    assert get(api, sandbox).status_code == 503
    assert api.delete(f"{control}/faults").json() == {"ok": True}
    assert api.post(f"{control}/tokens/expire").json() == {"ok": True}
    state = api.get(f"{control}/state").json()
    assert state["referrals"] == 250 and state["faults"] == [] and SEVEN_DIGITS.match(state["latest_change"])
    logged = api.get(f"{control}/requests").json()["requests"]
    assert any(entry["path"] == "/v1.0/engagements/referrals" and entry["status"] == 503 for entry in logged)


def test_add_and_touch_follow_the_transition_table(tmp_path: Path) -> None:
    allowed = {"New": {"New", "Active", "Closed"}, "Active": {"Active", "Closed"}, "Closed": {"Closed"}}
    with PartnerCenterSandbox(tmp_path, referrals=30, seed=3) as sandbox, \
            httpx.Client(verify=sandbox.ca.client_context(), trust_env=False) as api:
        added = api.post(f"{sandbox.url}/_sandbox/referrals/add", json={"count": 3}).json()["added"]
        assert len(sandbox.store) == 33 and all(sandbox.store.get(i)["status"] == "New" for i in added)
        before = {item["id"]: item for item in sandbox.store.select(lambda item: True)}
        changed = sandbox.touch(count=33)
        for referral_id in changed:
            old, new = before[referral_id], sandbox.store.get(referral_id)
            assert new["status"] in allowed[old["status"]] and new["eTag"] != old["eTag"]
            assert (new["status"], new["substatus"]) != (old["status"], old["substatus"]) or \
                new["details"]["dealValue"] != old["details"]["dealValue"]
        stamps = [ticks(sandbox.store.get(i)["updatedDateTime"]) for i in changed]
        assert stamps == sorted(set(stamps))


# --- the generator ---------------------------------------------------------------------------

def test_generator_is_deterministic_per_seed() -> None:
    assert referral_data.generate(40, seed=5) == referral_data.generate(40, seed=5)
    assert referral_data.generate(40, seed=5) != referral_data.generate(40, seed=6)
    assert referral_data.generate(10, seed=5, start=30) == referral_data.generate(40, seed=5)[30:]


def test_generator_covers_every_hard_case_and_the_client_rule_agrees() -> None:
    generated = referral_data.generate_cases(60, seed=2026)
    assert set(referral_data.CASES) <= {case.case for case in generated}
    for case in generated:
        emails = [member["email"] for member in case.referral["customerProfile"]["team"]]
        assert company_domain.derive(emails).domain == case.expected_domain, (case.case, emails)
    consumer = [case for case in generated if case.case == "consumer_only"]
    assert all(m["email"].rpartition("@")[2] in referral_data.CONSUMER_DOMAINS
               for case in consumer for m in case.referral["customerProfile"]["team"])
    assert any(m["email"] != m["email"].strip() for case in generated if case.case == "messy"
               for m in case.referral["customerProfile"]["team"])
    assert any(not m["email"].isascii() for case in generated for m in case.referral["customerProfile"]["team"])
    repeats = Counter(case.expected_domain for case in generated if case.expected_domain)
    repeated = [domain for domain, n in repeats.items() if n >= 2]
    engagements = {case.referral["engagementId"] for case in generated if case.expected_domain == repeated[0]}
    assert repeated and len(engagements) >= 2


def test_generated_referrals_have_the_documented_shape() -> None:
    generated = referral_data.generate(60, seed=2026)
    demo = {path.name.removesuffix(".zone") for path in ZONES.glob("*.zone")}
    assert set(referral_data.DEMO_DOMAINS) <= demo and len(referral_data.DEMO_DOMAINS) >= 4
    first = [company_domain.derive([m["email"] for m in item["customerProfile"]["team"]]).domain for item in generated[:6]]
    assert first == list(referral_data.DEMO_DOMAINS)
    for item in generated:
        assert item["customerProfile"]["address"]["country"] == "TR"
        assert item["customerProfile"]["size"] in referral_data.SIZES
        assert item["details"]["currency"] in ("TRY", "USD")
        assert SEVEN_DIGITS.match(item["createdDateTime"]) and SEVEN_DIGITS.match(item["updatedDateTime"])
        assert item["createdDateTime"] <= item["updatedDateTime"]
        sellers = {member["email"].rpartition("@")[2] for member in item["team"]}
        assert "microsoft.com" in sellers and sellers <= {"microsoft.com", "partner.test"}
    names = "".join(item["customerProfile"]["name"] for item in generated)
    assert set("çğıöşüİ") <= set(names)
