"""Turkish and English for every word a person reads on the lead screen.

The language is chosen by ``?lang=`` (kept in a cookie from then on), else the cookie, else the
browser's ``Accept-Language``, else Turkish.  ``Translator`` looks keys up in ``messages``
(both languages side by side, so neither can be forgotten) and formats numbers and times the
way each language writes them; times are shown in ``HUNTER_WEB_TIMEZONE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import Request

from .messages import MESSAGES

LANGS = ("tr", "en")
DEFAULT = "tr"
COOKIE = "hunter_lang"


def choose(request: Request) -> str:
    """The page's language: query, cookie, ``Accept-Language``, Turkish."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(COOKIE)):
        if candidate in LANGS:
            return candidate
    return from_header(request.headers.get("accept-language", ""))


def from_header(header: str) -> str:
    """The best of ``LANGS`` in an ``Accept-Language`` header (q-values honoured)."""
    best, best_q = DEFAULT, 0.0
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        q = _quality(params)
        if primary in LANGS and (q > best_q or (q == best_q and position == 0)):
            best, best_q = primary, q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def timezone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@dataclass(frozen=True, slots=True)
class Translator:
    lang: str
    zone: tzinfo = UTC

    def __call__(self, key: str, **values: object) -> str:
        """The text of ``key`` in this language, ``{name}`` placeholders filled."""
        text = MESSAGES[key][0 if self.lang == "tr" else 1]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in MESSAGES

    def maybe(self, key: str, fallback: str | None) -> str | None:
        """The text of ``key`` when the catalogue has it, else ``fallback`` (a value as stored)."""
        return self(key) if key in MESSAGES else fallback

    @property
    def other(self) -> str:
        return "en" if self.lang == "tr" else "tr"

    def number(self, value: float | int | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        text = f"{value:,.{digits}f}"
        return text.translate(str.maketrans(",.", ".,")) if self.lang == "tr" else text

    def when(self, moment: datetime | str | None) -> str:
        """Date and time in the configured zone: ``30.11.2025 12:12`` / ``2025-11-30 12:12``."""
        local = self._local(moment)
        if local is None:
            return "–"
        return local.strftime("%d.%m.%Y %H:%M" if self.lang == "tr" else "%Y-%m-%d %H:%M")

    def day(self, moment: datetime | str | None) -> str:
        local = self._local(moment)
        if local is None:
            return "–"
        return local.strftime("%d.%m.%Y" if self.lang == "tr" else "%Y-%m-%d")

    def iso(self, moment: datetime | str | None) -> str:
        local = self._local(moment)
        return local.isoformat(timespec="seconds") if local is not None else ""

    def _local(self, moment: datetime | str | None) -> datetime | None:
        if moment is None or moment == "":
            return None
        if isinstance(moment, str):
            try:
                moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
            except ValueError:
                return None
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(self.zone)


__all__ = ["COOKIE", "DEFAULT", "LANGS", "Translator", "choose", "from_header", "timezone"]
