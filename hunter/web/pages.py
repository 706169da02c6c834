"""Rendering a page: the Jinja2 environment (autoescape on for every template, undefined names
are errors), what every page knows (the reader's language, the user, the CSRF token, the
language switch, a one-time message), the static files' versioned URLs, and the answer's
headers (no caching of pages that hold customer data)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request

from ..api.deps import services
from ..sales.texts import domain_name
from . import i18n, turkish
from .auth import WebUser, current_user
from .messages import MESSAGES

FLASH_COOKIE = "hunter_flash"
YEAR = 365 * 24 * 3600

ENV = Environment(loader=PackageLoader("hunter.web", "templates"), autoescape=True,
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
ENV.filters["tr_upper"] = turkish.upper
ENV.filters["idn"] = lambda domain: domain_name(domain, domain or "")     # başkentholding.com.tr, not xn--


@lru_cache(maxsize=None)
def static_version(name: str) -> str:
    data = resources.files("hunter.web").joinpath("static", name).read_bytes()
    return hashlib.sha256(data).hexdigest()[:12]


def static_url(name: str) -> str:
    return f"/static/{name}?v={static_version(name)}"


def translator(request: Request) -> i18n.Translator:
    svc = services(request)
    return i18n.Translator(i18n.choose(request), i18n.timezone(svc.settings.web_timezone))


def render(request: Request, template: str, *, status: int = 200, user: WebUser | None = None,
           headers: Mapping[str, str] | None = None, **values: Any) -> HTMLResponse:
    t = translator(request)
    user = user or _known_user(request)
    flash = _read_flash(request, t)
    html = ENV.get_template(template).render(
        request=request, t=t, lang=t.lang, user=user, csrf=user.csrf if user else "",
        static=static_url, lang_url=lambda lang: lang_link(request, lang), flash=flash,
        path=request.url.path, **values)
    response = HTMLResponse(html, status_code=status, headers=dict(headers or {}))
    response.headers["Cache-Control"] = "no-store"
    if request.query_params.get("lang") in i18n.LANGS:
        response.set_cookie(i18n.COOKIE, t.lang, max_age=YEAR, httponly=True, samesite="lax", path="/")
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def render_error(request: Request, status: int, key: str, *, detail: str | None,
                 headers: Mapping[str, str] | None = None) -> HTMLResponse:
    return render(request, "error.html", status=status, headers=headers, key=key, detail=detail, code=status)


def _known_user(request: Request) -> WebUser | None:
    try:
        return current_user(request)
    except SQLAlchemyError:    # an error page must render even when the database is down
        return None


PAGES = ("/leads", "/dashboard", "/referrals", "/import", "/admin")


def lang_link(request: Request, lang: str) -> str:
    """This page in ``lang``; after a POST, the page its form is on (a POST address has no GET)."""
    if request.method == "GET":
        return with_params(request, lang=lang)
    page = "/" + request.url.path.strip("/").split("/")[0]
    return f"{page if page in PAGES else '/leads'}?lang={lang}"


def with_params(request: Request, **changes: str | None) -> str:
    """This page's URL with some query parameters replaced (``None`` removes one)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    items += [(k, v) for k, v in changes.items() if v is not None]
    return request.url.path + (f"?{urlencode(items)}" if items else "")


# --- a one-time message after a POST (post/redirect/get) ------------------------------------------

def flash(response: Response, key: str, *, level: str = "ok", **values: str | int) -> Response:
    """Show ``key`` (a catalogue key) on the next page this browser renders."""
    data = json.dumps({"k": key, "l": level, "v": values}, separators=(",", ":"))
    response.set_cookie(FLASH_COOKIE, base64.urlsafe_b64encode(data.encode()).decode(), max_age=120,
                        httponly=True, samesite="lax", path="/")
    return response


def _read_flash(request: Request, t: i18n.Translator) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or len(raw) > 2000:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()))
        values = {str(k): v for k, v in data["v"].items() if isinstance(v, (str, int))}
        if data["k"] not in MESSAGES:
            return None
        return {"text": t(data["k"], **values), "level": "error" if data["l"] == "error" else "ok"}
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None
