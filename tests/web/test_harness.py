"""The browser-test harness itself: Chromium starts, errors in the page are caught, and the live
server is Hunter with its data, stand-ins and users (no web page needed)."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from hunter.store import db
from hunter.store.models import Lead

from .conftest import ROLES, BrowserErrors, LiveServer


def test_a_blank_page_runs_script(page) -> None:
    page.goto("about:blank")
    assert page.evaluate("() => [1 + 2, navigator.userAgent.includes('HeadlessChrome')]") == [3, True]


def test_console_errors_are_collected_and_can_be_expected(page, browser_errors: BrowserErrors) -> None:
    browser_errors.expect("expected by the test")
    page.goto("about:blank")
    page.evaluate("() => { console.error('expected by the test'); console.log('not an error'); }")
    page.evaluate("() => setTimeout(() => { throw new Error('expected by the test, uncaught'); })")
    page.wait_for_timeout(50)
    assert len(browser_errors.seen) == 2 and browser_errors.unexpected() == []
    assert browser_errors.seen[1].startswith("page error: ")


@pytest.mark.browser_errors_allowed
def test_the_marker_lets_errors_pass(page, browser_errors: BrowserErrors) -> None:
    page.goto("about:blank")
    page.evaluate("() => console.error('anything')")
    assert [e.split(" (")[0] for e in browser_errors.unexpected()] == ["console: anything"]


def test_the_live_server_answers_in_the_browser(page, live_server: LiveServer) -> None:
    response = page.goto("/healthz")
    assert response is not None and response.status == 200
    assert json.loads(page.inner_text("body")) == {"status": "ok"}
    ready = page.goto(f"{live_server.url}/readyz")
    assert ready is not None and ready.status == 200


def test_the_live_server_holds_the_sample_leads_referrals_and_pushes(live_server: LiveServer) -> None:
    assert live_server.url.startswith("http://127.0.0.1:")
    assert "karadenizfindik.com.tr" in live_server.leads and len(live_server.leads) >= 10
    engine = db.make_engine(live_server.settings.database())
    with db.session_factory(engine)() as session:
        scanned = session.scalar(select(func.count()).where(Lead.scanned_at.is_not(None)))
        referrals = session.scalar(select(func.count()).where(Lead.pc_referral_count > 0))
        pushed = session.scalar(select(func.count()).where(Lead.dynamics_state == "pushed"))
    engine.dispose()
    assert scanned == len(live_server.leads) and referrals > 0 and pushed > 0
    assert len(live_server.crm.leads()) == pushed
    assert live_server.pc.state()["referrals"] == 24
    assert live_server.settings.partner_center_sync_enabled and live_server.settings.d365_enabled
    assert httpx.get(f"{live_server.url}/api/v1/leads").status_code == 401      # the real app, auth and all


def test_one_user_per_role(live_server: LiveServer) -> None:
    pytest.importorskip("hunter.store.users", reason="the web UI's user store is not there yet")
    from hunter.store.users import UserRepository

    assert set(live_server.users) == set(ROLES)
    engine = db.make_engine(live_server.settings.database())
    with db.session_factory(engine)() as session:
        for role, (name, password) in live_server.users.items():
            user = UserRepository(session).verify(name, password)
            assert user is not None and user.role == role
    engine.dispose()
