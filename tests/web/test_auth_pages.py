"""Signing in and out of the lead screen: sessions in the database, cookie flags, CSRF on every
POST, the sign-in rate limit, expiry, disabled users, safe redirects and the security headers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from hunter.store.models import WebSession
from hunter.store.users import UserRepository
from hunter.web.security import CSP

from .support import USERS, Web, bare_web, csrf_of, post, sign_in, web  # noqa: F401  (fixtures)


async def test_a_stranger_is_sent_to_sign_in_and_back_where_they_were(bare_web: Web) -> None:
    client = bare_web.client()
    answer = await client.get("/leads?priority=P1&sort=domain")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fleads%3Fpriority%3DP1%26sort%3Ddomain"
    name, password = USERS["viewer"]
    signed = await sign_in(client, name, password, next="/leads?priority=P1&sort=domain")
    assert signed.status_code == 303 and signed.headers["location"] == "/leads?priority=P1&sort=domain"
    assert (await client.get("/leads?priority=P1&sort=domain")).status_code == 200


async def test_the_session_cookie_is_httponly_lax_and_secure_only_over_https(bare_web: Web) -> None:
    name, password = USERS["sales"]
    plain = await sign_in(bare_web.client(), name, password)
    cookie = plain.headers["set-cookie"]
    assert cookie.startswith("hunter_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie and "Path=/" in cookie
    tls = await sign_in(bare_web.client(base_url="https://hunter.test"), name, password)
    assert "Secure" in tls.headers["set-cookie"]


@pytest.mark.parametrize(("forced", "base", "secure"), [("true", "http://hunter.test", True),
                                                        ("false", "https://hunter.test", False)])
async def test_cookie_secure_can_be_forced_either_way(bare_web: Web, forced: str, base: str, secure: bool) -> None:
    svc = bare_web.services
    bare_web.api.app.state.services = replace(svc, settings=svc.settings.model_copy(update={"cookie_secure": forced}))
    login_form = await bare_web.client(base_url=base).get("/login")
    assert ("Secure" in login_form.headers["set-cookie"]) is secure
    if not secure:
        answer = await sign_in(bare_web.client(base_url=base), *USERS["sales"])
        assert answer.status_code == 303 and "Secure" not in answer.headers["set-cookie"]


async def test_only_the_digest_of_the_cookie_is_stored(bare_web: Web) -> None:
    client = await bare_web.login("viewer")
    value = client.cookies["hunter_session"]
    with bare_web.services.sessions() as session:
        rows = session.query(WebSession).all()
    assert len(rows) == 1 and rows[0].id != value and len(rows[0].id) == 64


async def test_a_wrong_password_is_refused_with_a_message_and_no_cookie(bare_web: Web) -> None:
    name, _ = USERS["viewer"]
    answer = await sign_in(bare_web.client(), name, "not-the-password")
    assert answer.status_code == 401
    assert "Kullanıcı adı veya parola yanlış" in answer.text
    assert "hunter_session" not in answer.headers.get("set-cookie", "")
    unknown = await sign_in(bare_web.client(), "nobody", "whatever-123")
    assert unknown.status_code == 401 and "Kullanıcı adı veya parola yanlış" in unknown.text


async def test_sign_in_without_its_csrf_token_is_refused(bare_web: Web) -> None:
    client = bare_web.client()
    name, password = USERS["viewer"]
    answer = await client.post("/login", data={"username": name, "password": password})
    assert answer.status_code == 403
    await client.get("/login")                     # the cookie half, but a wrong form half
    forged = await client.post("/login", data={"username": name, "password": password, "csrf": "forged"})
    assert forged.status_code == 403


async def test_five_failures_then_429_even_with_the_right_password(bare_web: Web) -> None:
    client = bare_web.client(**{"accept-language": "en"})
    name, password = USERS["admin"]
    for _ in range(5):
        assert (await sign_in(client, name, "wrong-password")).status_code == 401
    blocked = await sign_in(client, name, password)
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.text and int(blocked.headers["retry-after"]) > 0
    other = USERS["viewer"]
    assert (await sign_in(bare_web.client(), *other)).status_code == 303     # another name is not blocked


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
async def test_sign_in_never_redirects_to_another_site(bare_web: Web, target: str) -> None:
    name, password = USERS["viewer"]
    answer = await sign_in(bare_web.client(), name, password, next=target)
    assert answer.status_code == 303 and answer.headers["location"] == "/leads"


async def test_sign_out_needs_the_csrf_token_and_ends_the_session_for_real(bare_web: Web) -> None:
    client = await bare_web.login("viewer")
    stolen = client.cookies["hunter_session"]
    refused = await client.post("/logout")
    assert refused.status_code == 403
    out = await post(client, "/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    replay = bare_web.client()
    replay.cookies.set("hunter_session", stolen)
    assert (await replay.get("/leads")).status_code == 303
    signed_out = await client.get("/login")
    assert "Oturum kapatıldı" in signed_out.text


async def test_a_session_ends_at_its_expiry_and_when_idle(bare_web: Web) -> None:
    client = await bare_web.login("viewer")
    past = datetime.now(UTC) - timedelta(minutes=1)
    with bare_web.services.sessions() as session:
        session.execute(update(WebSession).values(expires_at=past))
        session.commit()
    assert (await client.get("/leads")).status_code == 303
    idle = await bare_web.login("viewer")
    with bare_web.services.sessions() as session:
        session.execute(update(WebSession).values(last_seen_at=datetime.now(UTC) - timedelta(hours=3)))
        session.commit()
    assert (await idle.get("/leads")).status_code == 303


async def test_disabling_a_user_ends_their_sessions_at_once(bare_web: Web) -> None:
    client = await bare_web.login("sales")
    with bare_web.services.sessions() as session:
        users = UserRepository(session)
        users.set_disabled(users.by_name(USERS["sales"][0]), True)
        session.commit()
    assert (await client.get("/leads")).status_code == 303
    answer = await sign_in(bare_web.client(), *USERS["sales"])
    assert answer.status_code == 401


async def test_every_page_has_the_security_headers_and_the_api_keeps_its_own(web: Web) -> None:
    client = await web.login("admin")
    for path in ("/login", "/leads", f"/leads/{web.leads['torosyapi.com.tr']}", "/dashboard", "/referrals",
                 "/import", "/admin", "/no-such-page"):
        answer = await client.get(path)
        assert answer.headers["content-security-policy"] == CSP, path
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["x-frame-options"] == "DENY"
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP and "frame-ancestors 'none'" in CSP
    assert "content-security-policy" not in (await client.get("/api/v1/docs")).headers
    unknown = await client.get("/api/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"
    page = await client.get("/no-such-page", headers={"accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")


async def test_pages_are_not_cached_and_static_files_are(bare_web: Web) -> None:
    client = await bare_web.login("viewer")
    page = await client.get("/leads")
    assert page.headers["cache-control"] == "no-store"
    css = csrf_of(page) and page.text.split('href="/static/hunter.css?v=')[1].split('"')[0]
    versioned = await client.get(f"/static/hunter.css?v={css}")
    assert versioned.status_code == 200 and "immutable" in versioned.headers["cache-control"]
    assert versioned.headers["content-type"].startswith("text/css")
    js = await client.get("/static/hunter.js")
    assert js.headers["cache-control"] == "no-cache" and js.headers["content-type"].startswith("text/javascript")
    assert (await client.get("/static/../settings.py")).status_code == 404
    assert "<script>" not in page.text and " style=" not in page.text      # nothing the CSP would block
