"""Browser tests: Chromium driven by Playwright (sync API) against Hunter served for real.

- ``browser`` (session): Debian's Chromium (``browser.chromium_path``), never a downloaded
  one.  Missing or failing to start: the test is skipped on a developer machine, and fails in
  CI (``CI`` set), where ``.ci/run`` installs the package.
- ``page`` (per test): a fresh browser context (no cookies) and page; every console error and
  uncaught page error is collected by ``browser_errors`` and fails the test at teardown unless
  expected (``browser_errors.expect("substring")``, or ``@pytest.mark.browser_errors_allowed``).
  Its ``base_url`` is ``live_server.url`` when the test uses ``live_server``.
- ``live_server`` (module): ``hunter.api.create_app(settings)`` under uvicorn in a thread on
  127.0.0.1 (a free port), with a migrated SQLite database holding the bundled sample leads
  imported and scanned against the sandbox DNS (``world``), the Partner Center stand-in synced
  (referrals linked to leads), the P1–P3 leads pushed to the Dataverse stand-in, and one user per
  role.  ``live_server.url``, ``.settings``, ``.users`` ({role: (name, password)}), ``.pc``,
  ``.crm``, ``.leads`` ({domain: id}).

Tests using ``browser`` (``page`` included) or ``live_server`` run after every other test of the
session (``pytest_collection_modifyitems``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import SecretStr

from hunter.sandbox.dataverse import DataverseSandbox
from hunter.sandbox.dns import SandboxDns
from hunter.sandbox.partner_center import PartnerCenterSandbox
from hunter.settings import Settings

from . import browser as chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROLES = ("admin", "sales", "viewer")
LAST = frozenset({"browser", "live_server"})
START_TIMEOUT = 30.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser_errors_allowed: console and page errors do not fail the test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests using the browser or the live server run last in the session (in their order).
    Between sync calls Playwright leaves its event loop marked as running in this thread, so no
    asyncio test may run while the session's browser is open; a module's live server is built
    once when its tests stay together."""
    items.sort(key=lambda item: not LAST.isdisjoint(getattr(item, "fixturenames", ())))


# --- the browser ----------------------------------------------------------------------------------

def unavailable(reason: str) -> None:
    """In CI a missing browser is a failure; on a developer machine the test is skipped."""
    if os.environ.get("CI"):
        raise RuntimeError(f"the browser tests need Chromium in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium.chromium_path()
    if executable is None:
        unavailable(f"no Chromium at {' or '.join(chromium.CANDIDATES)} (apt-get install chromium) "
                    "and no HUNTER_CHROMIUM")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    driver = sync_playwright().start()
    try:
        launched = chromium.launch(driver, executable)
    except Error as exc:
        driver.stop()
        unavailable(f"Chromium at {executable} did not start: {exc.message.splitlines()[0]}")
    try:
        yield launched
    finally:
        launched.close()
        driver.stop()


# Chromium asks for /favicon.ico by itself on a page naming no icon (a JSON answer): not the page's error.
ALWAYS_EXPECTED = ("/favicon.ico",)


@dataclass
class BrowserErrors:
    """Console messages of type error and uncaught page errors, as text (with their location)."""

    seen: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=lambda: list(ALWAYS_EXPECTED))

    def expect(self, fragment: str) -> None:
        """Errors containing ``fragment`` do not fail the test."""
        self.expected.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.seen if not any(fragment in e for fragment in self.expected)]


@pytest.fixture
def browser_errors() -> BrowserErrors:
    return BrowserErrors()


@pytest.fixture
def page(browser: Browser, browser_errors: BrowserErrors, request: pytest.FixtureRequest) -> Iterator[Page]:
    base_url = request.getfixturevalue("live_server").url if "live_server" in request.fixturenames else None
    context = browser.new_context(base_url=base_url)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    opened.on("console", lambda message: browser_errors.seen.append(f"console: {message.text} ({message.location})")
              if message.type == "error" else None)
    opened.on("pageerror", lambda error: browser_errors.seen.append(f"page error: {error}"))
    try:
        yield opened
    finally:
        context.close()
    if request.node.get_closest_marker("browser_errors_allowed") is None:
        unexpected = browser_errors.unexpected()
        assert not unexpected, "errors in the browser:\n" + "\n".join(unexpected)


# --- Hunter, served for real ----------------------------------------------------------------------

@dataclass
class LiveServer:
    url: str
    settings: Settings
    users: dict[str, tuple[str, str]]          # role -> (user name, password); {} without hunter.store.users
    pc: PartnerCenterSandbox
    crm: DataverseSandbox
    leads: dict[str, int]                      # domain -> lead id


@pytest.fixture(scope="module")
def live_server(world: SandboxDns, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("live")
    with PartnerCenterSandbox(directory / "sandbox-ca", referrals=24) as pc, \
            DataverseSandbox(directory / "sandbox-ca") as crm, _listening() as (sock, url):
        settings = seeded(world, directory, pc, crm, url=url)
        with serving(settings, sock):
            yield LiveServer(url=url, settings=settings, users=create_users(settings), pc=pc, crm=crm,
                             leads=lead_ids(settings))


def seeded(world: SandboxDns, directory: Path, pc: PartnerCenterSandbox, crm: DataverseSandbox, *,
           url: str) -> Settings:
    """A migrated database with the sample leads imported and scanned, the referrals synced and
    the P1–P3 leads pushed; returns the settings pointing at it all."""
    from hunter import leadfile
    from hunter.cli.demo import SAMPLE_LEADS, with_dynamics, with_partner_center
    from hunter.cli.partner_center import run_sync
    from hunter.flows.import_leads import import_leads
    from hunter.store import db, migrate

    base = Settings(dns_nameservers=(world.address,), dns_timeout=0.3, dns_domain_time_limit=10,
                    data_dir=directory, database_url=SecretStr(f"sqlite:///{directory / 'hunter.db'}"),
                    jobs_concurrency=8)
    settings = with_dynamics(with_partner_center(base, pc), crm, public_url=url)
    migrate.upgrade(settings.database())
    engine = db.make_engine(settings.database())
    sessions = db.session_factory(engine)
    try:
        with sessions() as session:
            imported = import_leads(session, leadfile.read(SAMPLE_LEADS), source=SAMPLE_LEADS.name,
                                    checkpoint=session.commit)
        _scan(settings, sessions, imported.lead_ids)
        with warnings.catch_warnings():         # MSAL: ROPC is discouraged (the stand-in's service account)
            warnings.simplefilter("ignore", DeprecationWarning)
            run_sync(settings, trigger="test")
        _push(settings, sessions)
    finally:
        engine.dispose()
    return settings


def _scan(settings: Settings, sessions: Any, lead_ids: list[int]) -> None:
    from hunter.wiring import job_runner

    runner = job_runner(settings, sessions)
    try:
        job = runner.submit("scan", {"rescan": True}, lead_ids=lead_ids)
        deadline = time.monotonic() + 120
        while not runner.status(job).finished:
            assert time.monotonic() < deadline, "the scan of the sample leads did not finish"
            time.sleep(0.05)
    finally:
        runner.close()


def _push(settings: Settings, sessions: Any) -> None:
    """The P1–P3 leads into the Dataverse stand-in (the flow of ``hunter dynamics push``)."""
    from hunter.flows.push_leads import PushOptions, push_leads
    from hunter.sales import load_config
    from hunter.store.leads import LeadFilter, LeadRepository
    from hunter.wiring import lead_sink

    sink = lead_sink(settings)
    assert sink is not None
    try:
        with sessions() as session:
            ids = list(LeadRepository(session).ids_matching(LeadFilter(priority=("P1", "P2", "P3"))))
        push_leads(sessions, sink, ids, options=PushOptions(sales_config=load_config(settings.sales_config),
                                                             public_url=settings.public_url, trigger="test"))
    finally:
        sink.close()


def create_users(settings: Settings) -> dict[str, tuple[str, str]]:
    """One user per role through the web UI's user store; {} while ``hunter.store.users`` is missing."""
    try:
        from hunter.store.users import UserRepository
    except ImportError:
        return {}
    from hunter.store import db

    users = {role: (f"{role}-user", f"{role}-Password-2026!") for role in ROLES}
    engine = db.make_engine(settings.database())
    try:
        with db.session_factory(engine)() as session, session.begin():
            for role, (name, password) in users.items():
                UserRepository(session).create(name, password=password, role=role)
    finally:
        engine.dispose()
    return users


def lead_ids(settings: Settings) -> dict[str, int]:
    from sqlalchemy import select

    from hunter.store import db
    from hunter.store.models import Lead

    engine = db.make_engine(settings.database())
    try:
        with db.session_factory(engine)() as session:
            return {domain: lead_id for domain, lead_id in session.execute(select(Lead.domain, Lead.id))}
    finally:
        engine.dispose()


@contextmanager
def _listening() -> Iterator[tuple[socket.socket, str]]:
    """A socket already listening on a free port of 127.0.0.1 (no race for the port), and its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        yield sock, f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@contextmanager
def serving(settings: Settings, sock: socket.socket) -> Iterator[None]:
    """Hunter's app under uvicorn in a thread (its own event loop), until the block ends."""
    import uvicorn

    from hunter.api import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the live server did not start (see the log above)")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)
