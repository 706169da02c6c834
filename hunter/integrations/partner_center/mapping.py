"""Partner Center JSON <-> Hunter's values.  Pure: no I/O, no clock.

A referral page is ``{"value": [...], "@odata.nextLink": "..."}`` (docs: A.3, A.7).  A referral
becomes a ``ReferralRecord``; the customer's contacts come from ``customerProfile.team[]`` only,
never from the top-level ``team`` (Microsoft's and the partner's own sellers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..base import ReferralRecord

_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def record(raw: Mapping[str, Any]) -> ReferralRecord:
    """One referral; raises ValueError naming what is missing or malformed."""
    rid = _text(raw.get("id"))
    if rid is None:
        raise ValueError("no id")
    updated_text = _text(raw.get("updatedDateTime"))
    updated = moment(updated_text)
    if updated is None:
        raise ValueError(f"updatedDateTime {raw.get('updatedDateTime')!r} is not a date and time")
    customer = _dict(raw.get("customerProfile"))
    details = _dict(raw.get("details"))
    return ReferralRecord(
        id=rid, engagement_id=_text(raw.get("engagementId")), name=_text(raw.get("name")),
        status=_text(raw.get("status")), substatus=_text(raw.get("substatus")), type=_text(raw.get("type")),
        qualification=_text(raw.get("qualification")), direction=_text(raw.get("direction")),
        customer_name=_text(customer.get("name")), customer_country=_text(_dict(customer.get("address")).get("country")),
        customer_size=_text(customer.get("size")), contact_emails=contact_emails(customer),
        website=_text(customer.get("website") or customer.get("websiteUrl")),
        deal_value=_number(details.get("dealValue")), currency=_text(details.get("currency")),
        created=moment(_text(raw.get("createdDateTime"))), updated=updated,
        updated_text=updated_text, raw=dict(raw))    # type: ignore[arg-type]


def contact_emails(customer: Mapping[str, Any]) -> tuple[str, ...]:
    """The e-mail addresses of the customer's own team, as sent (normalised later)."""
    team = customer.get("team")
    if not isinstance(team, list):
        return ()
    return tuple(str(p["email"]) for p in team if isinstance(p, dict) and isinstance(p.get("email"), str))


def page(body: object) -> tuple[list[Any], str | None]:
    """The items of one list page and the next page's link (verbatim), or raises ValueError."""
    if not isinstance(body, dict) or not isinstance(body.get("value"), list):
        raise ValueError("the answer is not an OData collection (no 'value' list)")
    link = body.get("@odata.nextLink")
    return body["value"], link if isinstance(link, str) and link.strip() else None


def error_of(body: object) -> tuple[str | None, str | None]:
    """``(code, message)`` of a documented error body ``{"error": {"code", "message", …}}``."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        inner = _dict(error.get("innerError"))
        message = _text(error.get("message")) or _text(inner.get("message"))
        return _text(error.get("code")), message[:500] if message else None
    if isinstance(error, str):                      # Entra-style {"error": "...", "error_description"}
        return error, _text(body.get("error_description"))     # type: ignore[union-attr]
    return None, None


def moment(text: str | None) -> datetime | None:
    """An ISO 8601 time with up to 7 fraction digits (Partner Center's) as an aware datetime
    (microseconds: the raw text stays the watermark)."""
    match = _STAMP.match(text.strip()) if text else None
    if match is None:
        return None
    whole, fraction, zone = match.groups()
    try:
        value = datetime.fromisoformat(whole + (zone if zone and zone != "Z" else "+00:00"))
    except ValueError:
        return None
    return value.replace(microsecond=int(((fraction or "") + "000000")[:6])).astimezone(UTC)


def filter_since(watermark: str) -> str:
    """The delta filter: referrals updated after the watermark (an OData DateTimeOffset literal)."""
    if not _STAMP.match(watermark.strip()):
        raise ValueError(f"watermark {watermark!r} is not a date and time")
    return f"updatedDateTime gt {watermark.strip()}"


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)     # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
