"""Roles on every page and action (viewer reads; sales also imports, rescans, pushes; admin also
manages users and tokens and runs syncs), and the CSRF token on every POST."""

from __future__ import annotations

import pytest

from .support import Web, csrf_of, web  # noqa: F401  (the fixture)

PAGES = {"/leads": "viewer", "/leads/{id}": "viewer", "/leads.csv": "viewer", "/leads.xlsx": "viewer",
         "/dashboard": "viewer", "/referrals": "viewer", "/import": "sales", "/admin": "admin"}
ACTIONS = {"/leads/{id}/rescan": "sales", "/leads/{id}/dynamics": "sales", "/import": "sales",
           "/import/analyze": "sales", "/referrals/sync": "admin", "/admin/users": "admin",
           "/admin/users/1/disable": "admin", "/admin/tokens": "admin", "/admin/tokens/1/revoke": "admin",
           "/logout": "viewer"}
RANK = ("viewer", "sales", "admin")


def allowed(user: str, needed: str) -> bool:
    return RANK.index(user) >= RANK.index(needed)


async def test_each_role_sees_the_pages_it_may_and_403_for_the_rest(web: Web) -> None:
    lead = web.leads["torosyapi.com.tr"]
    for role in RANK:
        client = await web.login(role)
        for path, needed in PAGES.items():
            answer = await client.get(path.format(id=lead))
            expected = 200 if allowed(role, needed) else 403
            assert answer.status_code == expected, (role, path, answer.status_code)
        if role == "viewer":
            page = await client.get(f"/leads/{lead}")
            assert "/rescan" not in page.text and "/dynamics\"" not in page.text     # no buttons it may not use
            assert 'href="/import"' not in page.text and 'href="/admin"' not in page.text


@pytest.mark.parametrize("role", RANK)
async def test_each_action_needs_its_role(web: Web, role: str) -> None:
    lead = web.leads["torosyapi.com.tr"]
    client = await web.login(role)
    token = csrf_of(await client.get("/leads"))
    for path, needed in ACTIONS.items():
        if path == "/logout":
            continue
        answer = await client.post(path.format(id=lead), data={"csrf": token})
        if allowed(role, needed):
            assert answer.status_code != 403, (role, path)
        else:
            assert answer.status_code == 403, (role, path, answer.status_code)
            assert "Yetkiniz yok" in answer.text


async def test_every_post_without_the_csrf_token_is_refused(web: Web) -> None:
    lead = web.leads["torosyapi.com.tr"]
    client = await web.login("admin")
    for path in ACTIONS:
        for extra in ({}, {"csrf": "forged-token"}):
            answer = await client.post(path.format(id=lead), data={"username": "x", "password": "y", **extra})
            assert answer.status_code == 403, (path, extra, answer.status_code)
            assert "Form süresi doldu" in answer.text
    header = csrf_of(await client.get("/leads"))
    by_header = await client.post(f"/leads/{lead}/rescan", headers={"x-csrf-token": header})
    assert by_header.status_code == 303                  # the header is as good as the field (fetch)


async def test_a_stranger_posting_is_sent_to_sign_in(web: Web) -> None:
    answer = await web.client().post(f"/leads/{web.leads['torosyapi.com.tr']}/rescan")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    job = await web.client().get("/jobs/anything")
    assert job.status_code == 401 and job.headers["content-type"] == "application/json"
