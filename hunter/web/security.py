"""What every page of the lead screen is sent with: a strict Content-Security-Policy (no inline
script or style, nothing from another origin), no sniffing, no framing, no referrer to other
sites; and whether a cookie is ``Secure`` (the request came over HTTPS, or
``HUNTER_COOKIE_SECURE=true``).  The API keeps its own headers: its interactive docs load
Swagger UI, which this policy would block."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..settings import Settings

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
API_PREFIXES = ("/api/", "/debug/", "/healthz", "/readyz", "/metrics")


def is_page(scope: Mapping[str, Any]) -> bool:
    """Whether a request belongs to the lead screen: its route is one of ``hunter.web``'s, or no
    route matched and the address is none of the API's (an unknown page)."""
    endpoint = scope.get("endpoint")
    if endpoint is not None:
        return getattr(endpoint, "__module__", "").startswith("hunter.web")
    return not scope["path"].startswith(API_PREFIXES)


def secure_cookies(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure == "auto":
        return request.url.scheme == "https"
    return settings.cookie_secure == "true"


class SecurityHeaders:
    """A pure ASGI middleware adding ``HEADERS`` to every answer of the lead screen."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and is_page(scope):    # routed by now
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
