"""The ``$batch`` multipart format, without a server: documented examples parsed, answers rendered and read back."""

from __future__ import annotations

import json
import re

import pytest

from hunter.sandbox import dataverse_batch as batch
from hunter.sandbox.dataverse_batch import Answer, BatchFormatError, ChangeSet, ChangeSetAnswer, Operation

ORG = "https://contoso.crm.dynamics.com"

# The request of "Execute batch operations using the Web API" (powerapps-docs), org URI filled in.
DOCUMENTED_REQUEST = f"""--batch_AAA123
Content-Type: multipart/mixed; boundary="changeset_BBB456"

--changeset_BBB456
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

POST {ORG}/api/data/v9.2/tasks HTTP/1.1
Content-Type: application/json; type=entry

{{"subject":"Task 1 in batch","regardingobjectid_account_task@odata.bind":"{ORG}/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)"}}
--changeset_BBB456
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 2

POST {ORG}/api/data/v9.2/tasks HTTP/1.1
Content-Type: application/json; type=entry

{{"subject":"Task 2 in batch","regardingobjectid_account_task@odata.bind":"{ORG}/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)"}}
--changeset_BBB456--

--batch_AAA123
Content-Type: application/http
Content-Transfer-Encoding: binary

GET {ORG}/api/data/v9.2/accounts(00000000-0000-0000-0000-000000000001)/Account_Tasks?$select=subject HTTP/1.1
Accept: application/json

--batch_AAA123--
"""

# The answer the same page shows (ids shortened to whole GUIDs).
DOCUMENTED_RESPONSE = f"""--batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f
Content-Type: multipart/mixed; boundary=changesetresponse_ff83b4f1-ab48-430c-b81c-926a2c596abc

--changesetresponse_ff83b4f1-ab48-430c-b81c-926a2c596abc
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 1

HTTP/1.1 204 No Content
OData-Version: 4.0
Location: {ORG}/api/data/v9.2/tasks(a59c24d4-9ba0-e611-80ea-00155db31c5b)
OData-EntityId: {ORG}/api/data/v9.2/tasks(a59c24d4-9ba0-e611-80ea-00155db31c5b)


--changesetresponse_ff83b4f1-ab48-430c-b81c-926a2c596abc
Content-Type: application/http
Content-Transfer-Encoding: binary
Content-ID: 2

HTTP/1.1 204 No Content
OData-Version: 4.0
Location: {ORG}/api/data/v9.2/tasks(a69c24d4-9ba0-e611-80ea-00155db31c5b)
OData-EntityId: {ORG}/api/data/v9.2/tasks(a69c24d4-9ba0-e611-80ea-00155db31c5b)


--changesetresponse_ff83b4f1-ab48-430c-b81c-926a2c596abc--
--batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f
Content-Type: application/http
Content-Transfer-Encoding: binary

HTTP/1.1 200 OK
Content-Type: application/json; odata.metadata=minimal
OData-Version: 4.0

{{"@odata.context":"{ORG}/api/data/v9.2/$metadata#tasks(subject)","value":[{{"subject":"Task 1 in batch"}}]}}
--batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f--
"""


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


@pytest.mark.parametrize("encode", [crlf, str.encode], ids=["crlf", "bare-lf"])
def test_the_documented_request_parses(encode) -> None:
    parts = batch.parse_request(encode(DOCUMENTED_REQUEST), 'multipart/mixed; boundary="batch_AAA123"')
    change_set, get = parts
    assert isinstance(change_set, ChangeSet) and isinstance(get, Operation)
    first, second = change_set.operations
    assert (first.method, first.url, first.content_id) == ("POST", f"{ORG}/api/data/v9.2/tasks", "1")
    assert first.header("content-type") == "application/json; type=entry"
    assert json.loads(first.body)["subject"] == "Task 1 in batch"
    assert second.content_id == "2" and json.loads(second.body)["subject"] == "Task 2 in batch"
    assert get.method == "GET" and get.url.endswith("/Account_Tasks?$select=subject") and get.body == b""
    assert get.header("Accept") == "application/json"
    assert batch.count(parts) == 3


def test_the_documented_response_parses() -> None:
    content_type = "multipart/mixed; boundary=batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f"
    change_set, query = batch.parse_response(crlf(DOCUMENTED_RESPONSE), content_type)
    assert isinstance(change_set, ChangeSetAnswer) and isinstance(query, Answer)
    assert [(answer.status, answer.reason, answer.content_id) for answer in change_set.answers] == \
        [(204, "No Content", "1"), (204, "No Content", "2")]
    assert change_set.answers[0].header("OData-EntityId").endswith("tasks(a59c24d4-9ba0-e611-80ea-00155db31c5b)")
    assert change_set.answers[0].body == b""
    assert query.status == 200 and json.loads(query.body)["value"] == [{"subject": "Task 1 in batch"}]


def test_requests_round_trip_with_crlf_everywhere() -> None:
    parts = [ChangeSet((Operation("POST", "/api/data/v9.2/leads", (("Content-Type", "application/json"),),
                                  b'{"subject":"a"}', "1"),
                        Operation("PATCH", "$1", (("Content-Type", "application/json"),), b'{"subject":"b"}', "2"))),
             Operation("GET", "leads?$select=subject", (("Accept", "application/json"),))]
    body = batch.render_request(parts, "batch_round")
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert body.startswith(b"--batch_round\r\nContent-Type: multipart/mixed; boundary=changeset_")
    assert body.endswith(b"--batch_round--\r\n")
    assert batch.parse_request(body, "multipart/mixed; boundary=batch_round") == parts


def test_answers_round_trip() -> None:
    error = json.dumps({"error": {"code": "0x80044331", "message": "too long"}}).encode()
    parts = [ChangeSetAnswer((Answer(204, "No Content", (("OData-Version", "4.0"), ("OData-EntityId", "x")),
                                     content_id="1"),)),
             Answer(400, "Bad Request", (("Content-Type", "application/json; odata.metadata=minimal"),), error)]
    body = batch.render_response(parts, "batchresponse_1")
    assert b"HTTP/1.1 204 No Content\r\n" in body and b"Content-ID: 1\r\n" in body
    assert batch.parse_response(body, "multipart/mixed; boundary=batchresponse_1") == parts


def test_a_body_with_blank_lines_and_a_preamble_keeps_its_bytes() -> None:
    payload = b'{\r\n  "subject": "line one\\nline two"\r\n}'
    body = (b"preamble to ignore\r\n--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            b"POST leads HTTP/1.1\r\nContent-Type: application/json\r\n\r\n" + payload + b"\r\n--b--\r\nepilogue")
    (operation,) = batch.parse_request(body, "multipart/mixed; boundary=b")
    assert operation.body == payload and json.loads(operation.body)["subject"] == "line one\nline two"


@pytest.mark.parametrize(("body", "content_type", "message"), [
    (b"--b\r\nContent-Type: application/http\r\n\r\nGET leads HTTP/1.1\r\n\r\n", "multipart/mixed; boundary=b",
     "closing delimiter --b--"),
    (b"--b--\r\n", "application/json", "content type multipart/mixed"),
    (b"--b\r\nContent-Type: application/http\r\n\r\nGET leads\r\n\r\n--b--\r\n", "multipart/mixed; boundary=b",
     "request line 'GET leads'"),
    (b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n", "multipart/mixed; boundary=b",
     "application/http"),
    (b"--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: application/http\r\n\r\n"
     b"GET leads HTTP/1.1\r\n\r\n--c--\r\n--b--\r\n", "multipart/mixed; boundary=b", "invalid HTTP method 'GET'"),
    (b"--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: multipart/mixed; boundary=d"
     b"\r\n\r\n--d--\r\n--c--\r\n--b--\r\n", "multipart/mixed; boundary=b", "cannot contain another change set"),
])
def test_malformed_batches_are_refused(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(BatchFormatError, match=re.escape(message)):
        batch.parse_request(body, content_type)


def test_the_boundary_may_be_quoted() -> None:
    assert batch.boundary_of('multipart/mixed; boundary="batch_1"') == "batch_1"
    assert batch.boundary_of("multipart/mixed;boundary=batch_2") == "batch_2"
    assert batch.boundary_of("application/json") is None
