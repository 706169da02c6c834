"""The device authorization grant of the sandbox Entra ID (RFC 8628, as Entra answers it).

``/devicecode`` hands out ``device_code``, an 8-character ``user_code``, ``verification_uri``
(this server's ``/devicelogin``), ``expires_in`` 900, ``interval`` 5 and Entra's ``message``
("To sign in, use a web browser to open the page … and enter the code … to authenticate.").
Polling answers ``authorization_pending`` (AADSTS70016) until the code is approved on the
page or by ``approve()``, ``authorization_declined`` once declined, ``expired_token`` after
``expires_in``, and ``bad_verification_code`` for a code it never issued or already redeemed.
With ``auto_approve`` set to a username, every code is approved for that user on its first
poll (tests and the demo).
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hunter.sandbox import entra_directory as directory
from hunter.sandbox.entra_directory import App, User
from hunter.sandbox.https import Request, Response

__all__ = ["DeviceCodes", "PendingCode"]

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(slots=True)
class PendingCode:
    device_code: str
    user_code: str
    app: App
    scope: str
    expires: float
    user: User | None = None
    declined: bool = False


class DeviceCodes:
    """Issued device codes and their state; ``find_user(username)`` looks users up."""

    def __init__(self, find_user: Callable[[str], User | None], *, lifetime: int = 900, interval: int = 5,
                 auto_approve: str | None = None) -> None:
        self._find_user = find_user
        self.lifetime = lifetime
        self.interval = interval
        self.auto_approve = auto_approve
        self._codes: dict[str, PendingCode] = {}      # by device_code
        self._lock = threading.Lock()

    def start(self, app: App, scope: str, *, verification_uri: str) -> dict[str, object]:
        """A new device code for ``app``: the JSON answer of ``/devicecode``."""
        user_code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        pending = PendingCode("DAQABIQEAAAB" + secrets.token_urlsafe(96), user_code, app, scope,
                              time.time() + self.lifetime)
        with self._lock:
            self._codes[pending.device_code] = pending
        message = (f"To sign in, use a web browser to open the page {verification_uri} and enter the code "
                   f"{user_code} to authenticate.")
        return {"user_code": user_code, "device_code": pending.device_code, "verification_uri": verification_uri,
                "expires_in": self.lifetime, "interval": self.interval, "message": message}

    def approve(self, user_code: str, username: str) -> None:
        """Sign ``username`` in for ``user_code``; ``KeyError`` for an unknown or expired code or user."""
        user = self._find_user(username)
        if user is None:
            raise KeyError(f"no user {username!r} in the sandbox tenant")
        self._pending(user_code).user = user

    def decline(self, user_code: str) -> None:
        self._pending(user_code).declined = True

    def _pending(self, user_code: str) -> PendingCode:
        wanted = user_code.strip().upper()
        with self._lock:
            for pending in self._codes.values():
                if pending.user_code == wanted and pending.expires > time.time():
                    return pending
        raise KeyError(f"no pending device code {user_code!r}")

    def poll(self, device_code: str, client_id: str) -> PendingCode:
        """The approved code (redeemed: it works once); ``EntraError`` while it is not."""
        with self._lock:
            pending = self._codes.get(device_code)
            if pending is None or pending.app.client_id != client_id:
                raise directory.bad_device_code()
            if pending.expires <= time.time():
                del self._codes[device_code]
                raise directory.expired_device_code()
            if pending.declined:
                del self._codes[device_code]
                raise directory.declined_device_code()
            if pending.user is None and self.auto_approve:
                pending.user = self._find_user(self.auto_approve)
            if pending.user is None:
                raise directory.authorization_pending()
            del self._codes[device_code]
            return pending

    # --- the verification page -------------------------------------------------------------

    def page(self, request: Request) -> Response:
        """``GET /devicelogin``: the form (code, username, password)."""
        return Response.html(_form(request.query.get("otc", "")))

    def submit(self, request: Request) -> Response:
        """``POST /devicelogin``: approve (or decline) the code after checking the password."""
        form = request.form()
        code, username = form.get("otc", ""), form.get("username", "")
        user = self._find_user(username)
        try:
            if form.get("action") == "decline":
                self.decline(code)
                return Response.html(_page("Sign-in declined", _text("You have declined the sign-in on the device.")))
            password = form.get("password", "").encode()
            if user is None or not secrets.compare_digest(user.password.encode(), password):
                return Response.html(_form(code, username, "Your account or password is incorrect."), 400)
            self.approve(code, username)
        except KeyError:
            return Response.html(_form(code, username, "That code didn't work. Check the code and try again."), 400)
        return Response.html(_page("Signed in", _text(f"{user.display_name}: you have signed in on your device. "
                                                      "You may now close this window.")))


def _text(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def _page(title: str, body_html: str) -> str:
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"</head><body><h1>{html.escape(title)}</h1>{body_html}</body></html>")


def _form(code: str, username: str = "", error: str = "") -> str:
    field = "<p><label>{label} <input name=\"{name}\" type=\"{kind}\" value=\"{value}\"></label></p>"
    fields = "".join(field.format(label=label, name=name, kind=kind, value=html.escape(value, quote=True))
                     for label, name, kind, value in (("Code", "otc", "text", code),
                                                      ("Username", "username", "email", username),
                                                      ("Password", "password", "password", "")))
    note = f"<p role=\"alert\">{html.escape(error)}</p>" if error else ""
    buttons = ("<button name=\"action\" value=\"approve\">Sign in</button> "
               "<button name=\"action\" value=\"decline\">Cancel</button>")
    return _page("Enter code", f"{note}<form method=\"post\" action=\"/devicelogin\">{fields}{buttons}</form>")
