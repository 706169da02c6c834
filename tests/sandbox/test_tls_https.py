"""The throw-away CA and the small HTTPS server behave like real TLS and HTTP/1.1 endpoints."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from hunter.sandbox.https import HttpsServer, Request, Response
from hunter.sandbox.tls import ThrowawayCA


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCA:
    return ThrowawayCA.create(tmp_path_factory.mktemp("ca"))


def _echo(request: Request) -> Response:
    return Response.json({"method": request.method, "path": request.path, "params": request.params,
                          "query": request.query, "length": len(request.body),
                          "form": request.form() if request.header("Content-Type") == "application/x-www-form-urlencoded"
                          else None})


def _boom(request: Request) -> Response:
    raise RuntimeError("a bug in a stand-in")


@pytest.fixture(scope="module")
def server(ca: ThrowawayCA) -> Iterator[HttpsServer]:
    https = HttpsServer(ca.server_context())
    https.route("GET", r"/items/(?P<item>[^/]+)", _echo)
    https.route("POST", r"/items/(?P<item>[^/]+)", _echo)
    https.route("GET", r"/boom", _boom)
    https.route("GET", r"/drop", lambda request: Response.dropped())
    with https:
        yield https


@pytest.fixture
def client(ca: ThrowawayCA, server: HttpsServer) -> Iterator[httpx.Client]:
    server.clear_requests()
    with httpx.Client(base_url=server.url, verify=ca.client_context(), trust_env=False, timeout=5) as http:
        yield http


# --- the CA ----------------------------------------------------------------------------------

def test_ca_writes_pem_files_with_private_keys_0600(ca: ThrowawayCA) -> None:
    for key in (ca.ca_key_file, ca.key_file):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert ca.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert ca.ca_file.name == "ca.pem" and ca.cert_file.name == "server.pem" and ca.key_file.name == "server.key"


def test_server_certificate_names_loopback_and_is_short_lived(ca: ThrowawayCA) -> None:
    cert = x509.load_pem_x509_certificate(ca.cert_file.read_bytes())
    issuer = x509.load_pem_x509_certificate(ca.ca_file.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.IPAddress)) == {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    cert.verify_directly_issued_by(issuer)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= dt.timedelta(days=31)
    assert issuer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_an_existing_valid_ca_is_reused_and_a_missing_server_cert_reissued(tmp_path: Path) -> None:
    first = ThrowawayCA.create(tmp_path)
    ca_pem, server_pem = first.ca_file.read_bytes(), first.cert_file.read_bytes()
    again = ThrowawayCA.create(tmp_path)
    assert again.ca_file.read_bytes() == ca_pem and again.cert_file.read_bytes() == server_pem
    again.cert_file.unlink()
    third = ThrowawayCA.create(tmp_path)
    assert third.ca_file.read_bytes() == ca_pem and third.cert_file.read_bytes() != server_pem


def test_a_broken_ca_is_replaced_and_the_server_cert_follows(tmp_path: Path) -> None:
    first = ThrowawayCA.create(tmp_path)
    ca_pem = first.ca_file.read_bytes()
    first.ca_key_file.write_text("not a key")
    second = ThrowawayCA.create(tmp_path)
    issuer = x509.load_pem_x509_certificate(second.ca_file.read_bytes())
    assert second.ca_file.read_bytes() != ca_pem
    x509.load_pem_x509_certificate(second.cert_file.read_bytes()).verify_directly_issued_by(issuer)


# --- the server ------------------------------------------------------------------------------

def test_routes_get_path_parameters_query_and_form(client: httpx.Client) -> None:
    got = client.get("/items/%C3%A7a%C4%9Flar", params={"$top": "5", "q": "a b"}).json()
    assert got["params"] == {"item": "çağlar"} and got["query"] == {"$top": "5", "q": "a b"}
    posted = client.post("/items/x", data={"grant_type": "password", "scope": "a b"}).json()
    assert posted["form"] == {"grant_type": "password", "scope": "a b"} and posted["method"] == "POST"


def test_every_answer_has_content_length_and_unknown_routes_are_json(client: httpx.Client) -> None:
    missing = client.get("/nothing/here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "notFound"
    assert missing.headers["content-length"] == str(len(missing.content))
    wrong = client.delete("/items/1")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, POST"


def test_keep_alive_serves_many_requests_on_one_connection(client: httpx.Client, server: HttpsServer) -> None:
    for _ in range(5):
        assert client.get("/items/1").status_code == 200
    assert len({entry["peer"] for entry in server.requests}) == 1


def test_chunked_request_bodies_are_read(client: httpx.Client) -> None:
    body = client.post("/items/1", content=iter([b"abc", b"defg"])).json()
    assert body["length"] == 7


def test_request_log_records_without_secrets_and_can_be_cleared(client: httpx.Client, server: HttpsServer) -> None:
    client.get("/items/1?a=1", headers={"Authorization": "Bearer secret-token", "client-request-id": "abc"})
    (entry,) = server.requests
    assert entry["authorization"] is True and entry["client-request-id"] == "abc" and entry["query"] == "a=1"
    assert entry["status"] == 200 and "secret-token" not in repr(entry)
    server.clear_requests()
    assert server.requests == []


def test_a_failing_handler_answers_500_and_the_server_keeps_serving(client: httpx.Client) -> None:
    assert client.get("/boom").json()["error"]["code"] == "generalException"
    assert client.get("/items/2").status_code == 200


def test_a_dropped_request_closes_the_connection_without_an_answer(client: httpx.Client, server: HttpsServer) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/drop")
    assert client.get("/items/3").status_code == 200
    assert server.requests[0]["status"] is None


def test_interceptors_answer_before_routing(ca: ThrowawayCA) -> None:
    https = HttpsServer(ca.server_context())
    https.route("GET", "/x", lambda request: Response(200, b"routed"))
    https.intercept(lambda request: Response(418, b"intercepted") if request.query.get("stop") else None)
    with https, httpx.Client(verify=ca.client_context(), trust_env=False) as http:
        assert http.get(f"{https.url}/x").content == b"routed"
        assert http.get(f"{https.url}/x?stop=1").status_code == 418


def test_a_client_not_trusting_the_ca_fails_the_handshake_and_others_go_on(server: HttpsServer,
                                                                            client: httpx.Client) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/items/1", verify=ssl.create_default_context(), trust_env=False)
    assert client.get("/items/1").status_code == 200


def test_stop_closes_idle_keep_alive_connections_at_once(ca: ThrowawayCA) -> None:
    https = HttpsServer(ca.server_context()).start()
    url = https.url
    with httpx.Client(verify=ca.client_context(), trust_env=False, timeout=2) as http:
        assert http.get(f"{url}/none").status_code == 404
        started = time.monotonic()
        https.stop()
        assert time.monotonic() - started < 2
        with pytest.raises(httpx.TransportError):
            http.get(f"{url}/none")
    https.stop()   # twice is fine


def test_ipv6_loopback(ca: ThrowawayCA) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    https = HttpsServer(ca.server_context(), host="::1")
    try:
        https.start()
    except OSError:
        pytest.skip("::1 cannot be bound here")
    try:
        with httpx.Client(verify=ca.client_context(), trust_env=False) as http:
            assert https.url.startswith("https://[::1]:")
            assert http.get(f"{https.url}/none").status_code == 404
    finally:
        https.stop()


def test_serving_writes_nothing_to_stderr(client: httpx.Client, capfd: pytest.CaptureFixture[str]) -> None:
    client.get("/items/1")
    client.get("/nothing")
    assert capfd.readouterr().err == ""
