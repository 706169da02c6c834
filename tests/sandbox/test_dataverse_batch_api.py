"""``$batch`` over HTTPS against the Dataverse stand-in: change sets, stopping or continuing on errors, limits."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from hunter.sandbox import dataverse_batch as batch
from hunter.sandbox.dataverse import DataverseSandbox
from hunter.sandbox.dataverse_batch import Answer, ChangeSet, ChangeSetAnswer, Operation
from tests.sandbox.test_dataverse_api import error_of, fresh_client, web_api

JSON = (("Content-Type", "application/json; type=entry"),)


@pytest.fixture(scope="module")
def dataverse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataverseSandbox]:
    with DataverseSandbox(tmp_path_factory.mktemp("dv-batch")) as running:
        yield running


@pytest.fixture
def api(dataverse: DataverseSandbox) -> Iterator[httpx.Client]:
    yield from fresh_client(dataverse)


def post(subject: str, domain: str, content_id: str | None = None) -> Operation:
    body = json.dumps({"subject": subject, "hnt_domain": domain}).encode()
    return Operation("POST", "/api/data/v9.2/leads", JSON, body, content_id)


def send(api: httpx.Client, parts: list[Operation | ChangeSet], *,
         prefer: str | None = None) -> tuple[httpx.Response, list[Answer | ChangeSetAnswer]]:
    boundary = batch.new_boundary("batch")
    headers = {"Content-Type": f"multipart/mixed; boundary={boundary}", **({"Prefer": prefer} if prefer else {})}
    response = api.post("$batch", content=batch.render_request(parts, boundary), headers=headers)
    if not response.headers["Content-Type"].startswith("multipart/mixed"):
        return response, []
    return response, batch.parse_response(response.content, response.headers["Content-Type"])


def three_change_sets() -> list[Operation | ChangeSet]:
    """The middle change set's second request is too long, so the whole middle change set fails."""
    return [ChangeSet((post("first", "one.example", "1"), post("second", "two.example", "2"))),
            ChangeSet((post("third", "three.example", "1"), post("x" * 301, "four.example", "2"))),
            ChangeSet((post("fifth", "five.example", "1"),))]


def domains(sandbox: DataverseSandbox) -> list[str]:
    return sorted(lead["hnt_domain"] for lead in sandbox.leads())


def test_a_failing_change_set_stops_the_batch_with_400(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    response, parts = send(api, three_change_sets())
    assert response.status_code == 400 and response.headers["Content-Type"].startswith(
        "multipart/mixed; boundary=batchresponse_")
    committed, failed = parts
    assert isinstance(committed, ChangeSetAnswer) and [answer.status for answer in committed.answers] == [204, 204]
    assert [answer.content_id for answer in committed.answers] == ["1", "2"]
    assert committed.answers[0].header("Location") == committed.answers[0].header("OData-EntityId")
    assert isinstance(failed, Answer) and failed.status == 400 and failed.content_id == "2"
    assert json.loads(failed.body)["error"]["code"] == "0x80044331"
    assert domains(dataverse) == ["one.example", "two.example"]           # the middle one rolled back, the last never ran


def test_continue_on_error_runs_every_change_set(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    response, parts = send(api, three_change_sets(), prefer="odata.continue-on-error")
    assert response.status_code == 200 and response.headers["Preference-Applied"] == "odata.continue-on-error"
    assert [type(part).__name__ for part in parts] == ["ChangeSetAnswer", "Answer", "ChangeSetAnswer"]
    assert domains(dataverse) == ["five.example", "one.example", "two.example"]
    assert "three.example" not in dataverse.created_counts()


def test_content_id_references_and_a_top_level_get(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    patch = Operation("PATCH", "$1", JSON, b'{"hnt_score": 64}', "2")
    get = Operation("GET", "leads?$select=hnt_domain,hnt_score", (("Accept", "application/json"),))
    response, (change_set, query) = send(api, [ChangeSet((post("ref", "ref.example", "1"), patch)), get])
    assert response.status_code == 200 and [answer.status for answer in change_set.answers] == [204, 204]
    assert query.status == 200 and query.header("Content-Type") == "application/json; odata.metadata=minimal"
    assert [(lead["hnt_domain"], lead["hnt_score"]) for lead in json.loads(query.body)["value"]] == \
        [("ref.example", 64)]


def test_an_undeclared_content_id_fails_its_change_set(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    response, (failed,) = send(api, [ChangeSet((post("a", "a.example", "1"),
                                                Operation("PATCH", "$7", JSON, b"{}", "2")))])
    assert response.status_code == 400 and failed.status == 400
    assert "Content-ID Reference: '$7' does not exist in the batch context." in failed.body.decode()
    assert dataverse.leads() == []


def test_upserts_in_a_batch_leave_every_lead_exactly_once(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    names = [f"lead{number}.example" for number in range(40)]

    def upsert(domain: str, score: int) -> Operation:
        return Operation("PATCH", f"leads(hnt_domain='{domain}')", JSON,
                         json.dumps({"subject": domain, "hnt_score": score}).encode())
    first = [ChangeSet(tuple(upsert(name, 1) for name in names[:20])), *(upsert(name, 1) for name in names[20:])]
    again = [ChangeSet(tuple(upsert(name, 2) for name in names))]
    assert send(api, first)[0].status_code == send(api, again)[0].status_code == 200
    assert dataverse.created_counts() == {name: 1 for name in names}
    assert {lead["hnt_score"] for lead in dataverse.leads()} == {2} and len(dataverse.leads()) == 40


def test_more_than_1000_requests_are_refused(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    response, _ = send(api, [Operation("GET", "WhoAmI") for _ in range(1001)])
    status, code, message = error_of(response)
    assert (status, code) == (400, "0x80060888") and "at most 1000 requests" in message
    assert send(api, [Operation("GET", "WhoAmI") for _ in range(1000)])[0].status_code == 200


@pytest.mark.parametrize(("body", "text"), [
    (b"--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: application/http\r\n"
     b"Content-Transfer-Encoding: binary\r\n\r\nGET /api/data/v9.2/WhoAmI HTTP/1.1\r\n\r\n\r\n--c--\r\n--b--\r\n",
     "invalid HTTP method 'GET'"),
    (b"--b\r\nContent-Type: application/http\r\n\r\nPOST /api/data/v9.2/leads HTTP/1.1\r\n", "closing delimiter"),
])
def test_malformed_batches_are_400(api: httpx.Client, body: bytes, text: str) -> None:
    response = api.post("$batch", content=body, headers={"Content-Type": "multipart/mixed; boundary=b"})
    assert error_of(response)[:2] == (400, "0x80060888") and text in error_of(response)[2]


def test_a_hand_written_batch_with_bare_line_feeds(dataverse: DataverseSandbox, api: httpx.Client) -> None:
    body = ("--batch_AAA123\nContent-Type: multipart/mixed; boundary=\"changeset_BBB456\"\n\n"
            "--changeset_BBB456\nContent-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: 1\n\n"
            f"POST {dataverse.api_url}/leads HTTP/1.1\nContent-Type: application/json; type=entry\n\n"
            '{"subject":"Task 1 in batch","hnt_domain":"hand.example"}\n'
            "--changeset_BBB456--\n\n--batch_AAA123--\n")
    response = api.post("$batch", content=body.encode(), headers={"Content-Type":
                                                                  'multipart/mixed; boundary="batch_AAA123"'})
    assert response.status_code == 200 and domains(dataverse) == ["hand.example"]


def test_a_batch_needs_a_token(dataverse: DataverseSandbox) -> None:
    with web_api(dataverse, None) as anonymous:
        response = anonymous.post("$batch", content=b"--b--\r\n", headers={"Content-Type": "multipart/mixed; boundary=b"})
    assert response.status_code == 401
