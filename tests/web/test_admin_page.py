"""Administration [admin]: users (create, role, password, disable/enable; a new password or a
disabled user ends their sessions) and API tokens (the API's own: shown once, listed, revoked)."""

from __future__ import annotations

import html
import re

from .support import USERS, Web, post, sign_in, web  # noqa: F401  (the fixture)


def user_id(page: str, name: str) -> int:
    return int(re.search(rf'<label class="visually-hidden" for="pw-(\d+)">[^<]*{name}', page).group(1))


async def test_create_a_user_who_signs_in_with_the_role_given(web: Web) -> None:
    admin = await web.login("admin")
    created = await post(admin, "/admin/users", {"username": "Ayşe.Yılmaz", "role": "sales",
                                                 "password": "Güçlü-Parola-9"}, form_page="/admin")
    assert created.status_code == 303
    assert "Ayşe.Yılmaz kullanıcısı oluşturuldu" in html.unescape((await admin.get("/admin")).text)
    person = web.client()
    assert (await sign_in(person, "ayşe.yılmaz", "Güçlü-Parola-9")).status_code == 303
    assert (await person.get("/import")).status_code == 200 and (await person.get("/admin")).status_code == 403
    again = await post(admin, "/admin/users", {"username": "ayşe.yılmaz", "role": "viewer",
                                               "password": "Başka-Parola-1"}, form_page="/admin")
    assert again.status_code == 422 and "zaten kullanılıyor" in html.unescape(again.text)
    short = await post(admin, "/admin/users", {"username": "kisa", "role": "viewer", "password": "123"},
                       form_page="/admin")
    assert short.status_code == 422 and "en az 8 karakter" in html.unescape(short.text)


async def test_role_password_and_disable_take_effect_at_once(web: Web) -> None:
    admin = await web.login("admin")
    viewer = await web.login("viewer")
    target = user_id((await admin.get("/admin")).text, USERS["viewer"][0])
    await post(admin, f"/admin/users/{target}/role", {"role": "sales"}, form_page="/admin")
    assert (await viewer.get("/import")).status_code == 200          # the role is read on every request
    await post(admin, f"/admin/users/{target}/password", {"password": "Yeni-Parola-2026"}, form_page="/admin")
    assert (await viewer.get("/leads")).status_code == 303           # a new password ends the sessions
    person = web.client()
    assert (await sign_in(person, USERS["viewer"][0], "Yeni-Parola-2026")).status_code == 303
    await post(admin, f"/admin/users/{target}/disable", form_page="/admin")
    assert (await person.get("/leads")).status_code == 303
    assert (await sign_in(web.client(), USERS["viewer"][0], "Yeni-Parola-2026")).status_code == 401
    await post(admin, f"/admin/users/{target}/enable", form_page="/admin")
    assert (await sign_in(web.client(), USERS["viewer"][0], "Yeni-Parola-2026")).status_code == 303
    me = user_id((await admin.get("/admin")).text, USERS["admin"][0])
    refused = await post(admin, f"/admin/users/{me}/disable", form_page="/admin")
    assert "Kendi hesabınızı" in html.unescape((await admin.get(refused.headers["location"])).text)


async def test_tokens_are_shown_once_listed_and_revoked(web: Web) -> None:
    admin = await web.login("admin")
    page = await post(admin, "/admin/tokens", {"role": "viewer", "name": "pano"}, form_page="/admin")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    token = re.search(r'value="(hnt_[^"]+)"', page.text).group(1)
    assert (await web.api.client.get("/api/v1/leads", headers={"Authorization": f"Bearer {token}"})).status_code == 200
    listing = await admin.get("/admin")
    assert token not in listing.text and "pano" in listing.text
    token_id = re.search(r'action="/admin/tokens/(\d+)/revoke"[^>]*>.*?</form>', listing.text, re.S)
    ids = [int(i) for i in re.findall(r'action="/admin/tokens/(\d+)/revoke"', listing.text)]
    assert token_id and ids
    await post(admin, f"/admin/tokens/{max(ids)}/revoke", form_page="/admin")
    assert (await web.api.client.get("/api/v1/leads", headers={"Authorization": f"Bearer {token}"})).status_code == 401
