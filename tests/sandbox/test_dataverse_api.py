"""The Dataverse stand-in driven by the real clients: MSAL for the token, httpx for the Web API.

The helpers here (``token_for``, ``web_api``, ``fresh_client``, ``error_of``) serve the other
``test_dataverse_*`` modules too.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import msal
import pytest
import requests

from hunter.sandbox.dataverse import DataverseSandbox
from hunter.sandbox.entra_directory import CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, TENANT_ID

STANDARD_HEADERS = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0",
                    "If-None-Match": "null"}


def token_for(sandbox: DataverseSandbox, client_id: str = CONFIDENTIAL_CLIENT_ID,
              secret: str = CONFIDENTIAL_CLIENT_SECRET) -> str:
    """A fresh app-only token from MSAL (a new application object: nothing cached)."""
    session = requests.Session()
    session.verify, session.trust_env = str(sandbox.ca_file), False
    app = msal.ConfidentialClientApplication(client_id, client_credential=secret, authority=sandbox.authority,
                                             instance_discovery=False, http_client=session)
    result = app.acquire_token_for_client([sandbox.scope])
    assert "access_token" in result, result
    return result["access_token"]


def web_api(sandbox: DataverseSandbox, token: str | None) -> httpx.Client:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=f"{sandbox.api_url}/", verify=sandbox.ca.client_context(), trust_env=False,
                        timeout=10, headers={**STANDARD_HEADERS, **auth})


def claims(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


def entity_id(response: httpx.Response) -> str:
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


def fresh_client(sandbox: DataverseSandbox) -> Iterator[httpx.Client]:
    """An empty table, no faults, and a client with a new token (for an ``api`` fixture)."""
    sandbox.clear_leads()
    sandbox.faults.clear()
    with web_api(sandbox, token_for(sandbox)) as client:
        yield client


@pytest.fixture(scope="module")
def dataverse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataverseSandbox]:
    with DataverseSandbox(tmp_path_factory.mktemp("dv")) as running:
        yield running


@pytest.fixture
def api(dataverse: DataverseSandbox) -> Iterator[httpx.Client]:
    yield from fresh_client(dataverse)


def create(api: httpx.Client, **values: Any) -> str:
    response = api.post("leads", json={"subject": "Hunter lead", **values})
    assert response.status_code == 204, response.text
    return entity_id(response)


# --- sign-in and who am I ------------------------------------------------------------------

def test_msal_gets_a_token_for_the_environment_and_who_am_i_answers(dataverse: DataverseSandbox,
                                                                     api: httpx.Client) -> None:
    token = api.headers["Authorization"].split()[1]
    assert claims(token)["aud"] == dataverse.url and claims(token)["appid"] == CONFIDENTIAL_CLIENT_ID
    response = api.get("WhoAmI")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; odata.metadata=minimal"
    assert response.headers["OData-Version"] == "4.0"
    assert response.headers["REQ_ID"] == response.headers["x-ms-service-request-id"]
    body = response.json()
    assert body["@odata.context"] == f"{dataverse.api_url}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse"
    assert set(body) == {"@odata.context", "BusinessUnitId", "UserId", "OrganizationId"}


def test_settings_env_names_the_environment_and_the_tenant_authority(dataverse: DataverseSandbox) -> None:
    env = dataverse.settings_env()
    assert env["HUNTER_D365_ENABLED"] == "true" and env["HUNTER_D365_URL"] == dataverse.url
    assert env["HUNTER_AAD_AUTHORITY"] == f"{dataverse.url}/{TENANT_ID}"
    assert env["HUNTER_D365_CLIENT_ID"] == CONFIDENTIAL_CLIENT_ID and env["HUNTER_CA_BUNDLE"] == str(dataverse.ca_file)
    assert dataverse.api_url.endswith("/api/data/v9.2") and dataverse.scope == f"{dataverse.url}/.default"


@pytest.mark.parametrize("version", ["v9.0", "v9.1", "v9.2"])
def test_every_supported_version_answers(dataverse: DataverseSandbox, api: httpx.Client, version: str) -> None:
    assert api.get(f"{dataverse.url}/api/data/{version}/WhoAmI").status_code == 200


def test_no_token_is_401_with_the_bearer_challenge(dataverse: DataverseSandbox) -> None:
    with web_api(dataverse, None) as anonymous:
        response = anonymous.get("leads")
    assert error_of(response) == (401, "0x80044302", "Request is not authenticated.")
    challenge = response.headers["WWW-Authenticate"]
    assert challenge == (f"Bearer authorization_uri={dataverse.url}/{TENANT_ID}/oauth2/authorize, "
                         f"resource_id={dataverse.url}/")
    assert response.headers["REQ_ID"]


def test_a_revoked_token_is_401_and_a_new_one_works(dataverse: DataverseSandbox) -> None:
    token = token_for(dataverse)
    dataverse.revoke_all()
    with web_api(dataverse, token) as stale:
        assert error_of(stale.get("WhoAmI"))[:2] == (401, "0x8005F101")
    with web_api(dataverse, token_for(dataverse)) as fresh:
        assert fresh.get("WhoAmI").status_code == 200


def test_a_token_for_another_resource_is_401(dataverse: DataverseSandbox) -> None:
    with web_api(dataverse, "not-a-jwt") as client:
        assert error_of(client.get("WhoAmI"))[:2] == (401, "0x80044302")


def test_an_app_that_is_not_an_application_user_is_403(dataverse: DataverseSandbox) -> None:
    token = token_for(dataverse)
    dataverse.remove_application_user(CONFIDENTIAL_CLIENT_ID)
    try:
        with web_api(dataverse, token) as client:
            assert error_of(client.get("WhoAmI")) == (403, "0x80072560", "The user is not a member of the organization.")
    finally:
        dataverse.add_application_user(CONFIDENTIAL_CLIENT_ID)


def test_an_application_user_without_a_role_may_not_touch_leads(dataverse: DataverseSandbox) -> None:
    dataverse.add_application_user(CONFIDENTIAL_CLIENT_ID, roles=())
    try:
        with web_api(dataverse, token_for(dataverse)) as client:
            assert client.get("WhoAmI").status_code == 200
            status, code, message = error_of(client.post("leads", json={"subject": "x"}))
    finally:
        dataverse.add_application_user(CONFIDENTIAL_CLIENT_ID)
    assert (status, code) == (403, "0x80040220") and "missing prvCreateLead privilege" in message


# --- create and read -----------------------------------------------------------------------

def test_create_answers_204_with_the_entity_id(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    response = api.post("leads", json={"subject": "Hunter: fabrikam.com", "hnt_domain": "fabrikam.com",
                                       "hnt_score": 87, "leadsourcecode": 4})
    assert response.status_code == 204 and response.content == b""
    assert response.headers["OData-EntityId"].startswith(f"{dataverse.api_url}/leads(")
    (lead,) = dataverse.leads()
    assert lead["leadid"] == entity_id(response) and lead["hnt_score"] == 87 and lead["statuscode"] == 1


def test_create_with_return_representation_answers_201_with_the_selected_columns(dataverse: DataverseSandbox,
                                                                                  api: httpx.Client) -> None:
    response = api.post("leads?$select=leadid,subject", json={"subject": "Hunter: contoso.com"},
                        headers={"Prefer": "return=representation"})
    assert response.status_code == 201 and "OData-EntityId" not in response.headers
    assert response.headers["Preference-Applied"] == "return=representation"
    body = response.json()
    assert body["@odata.context"] == f"{dataverse.api_url}/$metadata#leads(leadid,subject)/$entity"
    assert body["@odata.etag"].startswith('W/"') and set(body) == {"@odata.context", "@odata.etag", "leadid",
                                                                    "subject"}


def test_read_by_id_and_by_alternate_key(api: httpx.Client) -> None:
    lead_id = create(api, hnt_domain="xn--bakentholding-jtc.com.tr", companyname="Başkent Holding")
    by_id = api.get(f"leads({lead_id})", params={"$select": "companyname,hnt_domain"})
    by_key = api.get("leads(hnt_domain='xn--bakentholding-jtc.com.tr')", params={"$select": "companyname"})
    assert by_id.status_code == by_key.status_code == 200
    assert by_id.json()["companyname"] == by_key.json()["companyname"] == "Başkent Holding"
    assert by_key.json()["leadid"] == lead_id and by_key.headers["ETag"] == by_key.json()["@odata.etag"]
    assert api.get(f"leads({lead_id})", headers={"If-None-Match": by_id.json()["@odata.etag"]}).status_code == 304


def test_string_keys_unescape_doubled_quotes(api: httpx.Client) -> None:
    create(api, hnt_domain="o'neil.example")
    response = api.get("leads(hnt_domain='o''neil.example')")
    assert response.status_code == 200 and response.json()["hnt_domain"] == "o'neil.example"


def test_missing_records_are_404_with_the_service_codes(api: httpx.Client) -> None:
    missing = "00000000-0000-0000-0000-000000000001"
    assert error_of(api.get(f"leads({missing})")) == (404, "0x80040217", f"lead With Id = {missing} Does Not Exist")
    assert error_of(api.get("leads(hnt_domain='nowhere.example')")) == \
        (404, "0x80060891", "A record with the specified key values does not exist in lead entity")


# --- upsert and conditional writes ---------------------------------------------------------

def test_upsert_creates_then_updates_the_same_record(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    url = "leads(hnt_domain='karadenizfindik.com.tr')"
    first = api.patch(url, json={"subject": "Hunter: karadenizfindik.com.tr", "hnt_score": 40})
    second = api.patch(url, json={"hnt_score": 55, "hnt_domain": "ignored.example"})
    assert first.status_code == second.status_code == 204
    assert entity_id(first) == entity_id(second)
    (lead,) = dataverse.leads()
    assert lead["hnt_score"] == 55 and lead["hnt_domain"] == "karadenizfindik.com.tr"
    assert dataverse.created_counts() == {"karadenizfindik.com.tr": 1}


def test_upsert_with_representation_is_201_then_200_and_the_row_version_grows(api: httpx.Client) -> None:
    url, prefer = "leads(hnt_domain='egelojistik.com.tr')", {"Prefer": "return=representation"}
    created = api.patch(url, json={"subject": "Ege Lojistik"}, headers=prefer)
    updated = api.patch(url, json={"hnt_priority": "P1"}, headers=prefer)
    assert (created.status_code, updated.status_code) == (201, 200)
    versions = [int(response.json()["@odata.etag"][3:-1]) for response in (created, updated)]
    assert versions[1] > versions[0] and updated.json()["hnt_priority"] == "P1"


def test_upsert_by_id_creates_with_that_id(api: httpx.Client) -> None:
    lead_id = "6f8c3a80-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    assert api.patch(f"leads({lead_id})", json={"subject": "by id"}).status_code == 204
    assert api.get(f"leads({lead_id})").json()["subject"] == "by id"


def test_if_match_star_only_updates(api: httpx.Client) -> None:
    url = "leads(hnt_domain='torosyapi.com.tr')"
    assert error_of(api.patch(url, json={"subject": "x"}, headers={"If-Match": "*"}))[:2] == (404, "0x80060891")
    create(api, hnt_domain="torosyapi.com.tr")
    assert api.patch(url, json={"hnt_score": 10}, headers={"If-Match": "*"}).status_code == 204


def test_if_none_match_star_only_creates(api: httpx.Client) -> None:
    url = "leads(hnt_domain='trakyaenerji.com.tr')"
    assert api.patch(url, json={"subject": "Trakya"}, headers={"If-None-Match": "*"}).status_code == 204
    assert error_of(api.patch(url, json={"subject": "again"}, headers={"If-None-Match": "*"})) == \
        (412, "0x80060892", "A record with matching key values already exists.")


def test_if_match_version_is_optimistic_concurrency(api: httpx.Client) -> None:
    lead_id = create(api, hnt_domain="poyrazyazilim.com.tr")
    etag = api.get(f"leads({lead_id})").json()["@odata.etag"]
    assert api.patch(f"leads({lead_id})", json={"hnt_score": 1}, headers={"If-Match": etag}).status_code == 204
    assert error_of(api.patch(f"leads({lead_id})", json={"hnt_score": 2}, headers={"If-Match": etag})) == \
        (412, "0x80060882", "The version of the existing record doesn't match the RowVersion property provided.")


def test_delete(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    lead_id = create(api)
    assert api.delete(f"leads({lead_id})").status_code == 204
    assert dataverse.leads() == [] and api.delete(f"leads({lead_id})").status_code == 404


# --- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "status", "code", "text"), [
    ({"subject": "x", "hnt_colour": "red"}, 400, "0x80060888",
     "Could not find a property named 'hnt_colour' on type 'Microsoft.Dynamics.CRM.lead'."),
    ({"subject": "x" * 301}, 400, "0x80044331",
     "A validation error occurred.  The length of the 'subject' attribute of the 'lead' entity exceeded the "
     "maximum allowed length of '300'."),
    ({"subject": "x", "hnt_score": "high"}, 400, "0x80048d19", "(property 'hnt_score')"),
    ({"subject": "x", "hnt_segment": 7}, 400, "0x80048d19", "expected type 'Edm.String'"),
    ({"subject": "x", "hnt_score": 101}, 400, "0x8004431A", "The value 101 of 'hnt_score'"),
    ({"subject": "x", "leadsourcecode": 11}, 400, "0x8004431A", "The value 11 of 'leadsourcecode'"),
    ({"subject": "x", "emailaddress1": "not-an-address"}, 400, "0x80044331", "not a valid e-mail address"),
    ({"firstname": "Sue"}, 400, "0x80040200", "'subject' attribute"),
    ({"subject": "x", "statuscode": 3}, 400, "0x80048408", "3 is not a valid status code for state code LeadState.Open"),
    ({"subject": "x", "parentaccountid@odata.bind": "/accounts(00000000-0000-0000-0000-000000000001)"}, 400,
     "0x80060888", "An undeclared property 'parentaccountid'"),
])
def test_bad_payloads_are_refused_like_the_service(api: httpx.Client, body: dict[str, Any], status: int, code: str,
                                                   text: str) -> None:
    response = api.post("leads", json=body)
    assert error_of(response)[:2] == (status, code) and text in error_of(response)[2]


def test_a_duplicate_alternate_key_is_412(api: httpx.Client) -> None:
    create(api, hnt_domain="anadolutekstil.com.tr")
    status, code, message = error_of(api.post("leads", json={"subject": "x", "hnt_domain": "ANADOLUTEKSTIL.com.tr"}))
    assert (status, code) == (412, "0x80060892") and message.startswith("Entity Key hnt_domain_key violated.")


def test_a_key_that_is_not_a_key_is_400(api: httpx.Client) -> None:
    assert error_of(api.get("leads(companyname='x')")) == \
        (400, "0x80060890", "The specified key attributes are not a defined key for the lead entity")


# --- queries -------------------------------------------------------------------------------

def test_query_with_select_filter_and_top(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    for score, domain in ((90, "a.example"), (40, "b.example"), (75, "c.example")):
        create(api, hnt_domain=domain, hnt_score=score)
    response = api.get("leads", params={"$select": "hnt_domain,hnt_score", "$filter": "hnt_score ge 70",
                                        "$orderby": "hnt_score desc", "$count": "true"})
    body = response.json()
    assert body["@odata.context"] == f"{dataverse.api_url}/$metadata#leads(hnt_domain,hnt_score)"
    assert [lead["hnt_domain"] for lead in body["value"]] == ["a.example", "c.example"] and body["@odata.count"] == 2
    top = api.get("leads", params={"$top": "1", "$filter": "hnt_domain eq 'B.EXAMPLE'"}).json()
    assert [lead["hnt_score"] for lead in top["value"]] == [40] and "@odata.nextLink" not in top


def test_maxpagesize_pages_with_next_links(api: httpx.Client) -> None:
    domains = [f"page{number}.example" for number in range(5)]
    for domain in domains:
        create(api, hnt_domain=domain)
    seen, url = [], "leads?$select=hnt_domain"
    while url:
        page = api.get(url, headers={"Prefer": "odata.maxpagesize=2"}).json()
        assert len(page["value"]) <= 2
        seen += [lead["hnt_domain"] for lead in page["value"]]
        url = page.get("@odata.nextLink")
        assert url is None or "$skiptoken=" in url
    assert seen == domains


@pytest.mark.parametrize(("params", "code", "text"), [
    ({"$select": "subject,hnt_colour"}, "0x80060888", "Could not find a property named 'hnt_colour'"),
    ({"$filter": "hnt_score eq"}, "0x80060888", "$filter"),
    ({"$skip": "2"}, "0x80060888", "The query parameter $skip is not supported"),
])
def test_bad_queries_are_400(api: httpx.Client, params: dict[str, str], code: str, text: str) -> None:
    status, got_code, message = error_of(api.get("leads", params=params))
    assert (status, got_code) == (400, code) and text in message


def test_unknown_entity_sets_are_404(api: httpx.Client) -> None:
    assert error_of(api.get("accounts")) == (404, "0x80060888", "Resource not found for the segment 'accounts'.")


# --- metadata ------------------------------------------------------------------------------

def test_metadata_is_csdl_with_the_lead_type_and_its_key(api: httpx.Client) -> None:
    response = api.get("$metadata")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/xml"
    text = response.text
    assert '<EntityType Name="lead" BaseType="mscrm.crmbaseentity">' in text
    assert '<PropertyRef Name="leadid" />' in text and '<Property Name="hnt_score" Type="Edm.Int32" />' in text
    assert '<Property Name="hnt_domain" Type="Edm.String" Unicode="false" />' in text
    assert 'PropertyPath="hnt_domain"' in text and '<EntitySet Name="leads"' in text


def test_entity_definitions_with_expanded_attributes_and_keys(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    response = api.get("EntityDefinitions(LogicalName='lead')", params={
        "$select": "LogicalName,EntitySetName,PrimaryIdAttribute",
        "$expand": "Attributes($select=LogicalName,AttributeType,AttributeTypeName),Keys"})
    body = response.json()
    assert body["EntitySetName"] == "leads" and body["PrimaryIdAttribute"] == "leadid"
    attributes = {attribute["LogicalName"]: attribute for attribute in body["Attributes"]}
    assert attributes["hnt_score"]["@odata.type"] == "#Microsoft.Dynamics.CRM.IntegerAttributeMetadata"
    assert attributes["hnt_infrasummary"]["AttributeType"] == "Memo"
    assert attributes["subject"]["AttributeTypeName"] == {"Value": "StringType"}
    assert "MaxLength" not in attributes["subject"]
    (key,) = body["Keys"]
    assert (key["LogicalName"], key["KeyAttributes"], key["EntityKeyIndexStatus"]) == \
        ("hnt_domain_key", ["hnt_domain"], "Active")


def test_attributes_cast_to_strings_show_lengths_and_formats(api: httpx.Client) -> None:
    url = "EntityDefinitions(LogicalName='lead')/Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata"
    strings = {attribute["LogicalName"]: attribute
               for attribute in api.get(url, params={"$select": "LogicalName,MaxLength,FormatName"}).json()["value"]}
    assert strings["subject"]["MaxLength"] == 300 and strings["hnt_domain"]["MaxLength"] == 253
    assert strings["emailaddress1"]["FormatName"] == {"Value": "Email"}
    assert strings["hnt_hunterurl"]["FormatName"] == {"Value": "Url"}
    integer = api.get("EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='hnt_score')").json()
    assert (integer["MinValue"], integer["MaxValue"]) == (0, 100)
    base_only = api.get("EntityDefinitions(LogicalName='lead')/Attributes", params={"$select": "MaxLength"})
    assert error_of(base_only)[:2] == (400, "0x80060888")


# --- faults and control --------------------------------------------------------------------

def test_injected_faults_answer_in_the_dataverse_shape(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    dataverse.faults.add("429", path="dataverse", retry_after=3)
    throttled = api.get("WhoAmI")
    assert error_of(throttled)[:2] == (429, "0x80072322") and throttled.headers["Retry-After"] == "3"
    dataverse.faults.add("503", path="dataverse")
    assert api.get("WhoAmI").status_code == 503
    dataverse.faults.add("drop", path="dataverse")
    with pytest.raises(httpx.TransportError):
        api.get("WhoAmI")
    assert api.get("WhoAmI").status_code == 200


def test_control_endpoints(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    create(api, hnt_domain="kapadokyaturizm.com")
    with httpx.Client(base_url=f"{dataverse.url}/_sandbox/", verify=dataverse.ca.client_context(),
                      trust_env=False) as control:
        assert [lead["hnt_domain"] for lead in control.get("leads").json()["leads"]] == ["kapadokyaturizm.com"]
        state = control.get("state").json()
        assert state["leads"] == 1 and state["created"] == {"kapadokyaturizm.com": 1}
        assert state["keys"] == [{"name": "hnt_domain_key", "attributes": ["hnt_domain"], "status": "Active"}]
        added = control.post("faults", json={"kind": "500", "count": 1}).json()["added"]
        assert added["path"] == "dataverse"
        assert api.get("WhoAmI").status_code == 500
        log = control.get("requests").json()["requests"]
        assert log[-1]["authorization"] is True and "Bearer" not in json.dumps(log)
        assert control.delete("leads").json() == {"ok": True} and dataverse.leads() == []
        assert control.post("tokens/revoke").json() == {"ok": True}
    assert api.get("WhoAmI").status_code == 401
