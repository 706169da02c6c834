"""Chromium for the browser tests, and signing in through the login form.

The browser is Debian's ``chromium`` package (``.ci/run`` installs it); Playwright is only the
driver and never downloads a browser of its own: ``launch`` always names the executable.
``HUNTER_CHROMIUM`` points at another binary.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

# The Debian package's binary, then its shell wrapper (which only adds flags from /etc/chromium.d).
CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
# root in a container: no user namespaces for the sandbox, a small /dev/shm, no GPU.
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
LOGIN_PATH = "/login"


def chromium_path() -> str | None:
    """The Chromium executable to drive, or None when there is none."""
    named = os.environ.get("HUNTER_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    return next((path for path in CANDIDATES if os.access(path, os.X_OK)), None)


def launch(playwright: Playwright, executable: str) -> Browser:
    return playwright.chromium.launch(executable_path=executable, args=ARGS, headless=True)


def login(page: Page, live_server: Any, role: str) -> None:
    """Sign in as the live server's user of ``role`` through the login form; fails the test
    when the form does not let the user in."""
    username, password = live_server.users[role]
    page.goto(f"{live_server.url}{LOGIN_PATH}")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    with page.expect_navigation():
        page.click('form [type="submit"]')
    if urlsplit(page.url).path == LOGIN_PATH:
        raise AssertionError(f"signing in as {role} ({username}) failed: still on {page.url}")


__all__ = ["ARGS", "CANDIDATES", "LOGIN_PATH", "chromium_path", "launch", "login"]
