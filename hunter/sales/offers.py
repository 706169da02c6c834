"""The configured offers that fit an analysis, with their price text.  Pure.

An offer fits when every group its ``fits`` lists matches: the segment, one of the posture
gaps, the provider kind.  Invalid input and DNS failures get no offers.  A price is shown only
when the configuration gives one; otherwise "price on request".
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from ..model import Analysis
from .config import Fits, Offer, SalesConfig
from .texts import Lang, phrase


class OfferLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    name: str
    price: float | None
    currency: str | None
    unit: str | None
    price_text: str


def choose(analysis: Analysis, *, gaps: list[str], config: SalesConfig, lang: Lang) -> list[OfferLine]:
    """The fitting offers in catalogue order."""
    if analysis.status in ("invalid", "dns_error") or analysis.segment is None:
        return []
    return [_line(o, config, lang) for o in config.offers if fits(o.fits, analysis, gaps)]


def fits(rule: Fits, analysis: Analysis, gaps: list[str]) -> bool:
    return (
        (not rule.segments or analysis.segment in rule.segments)
        and (not rule.gaps or any(g in rule.gaps for g in gaps))
        and (not rule.provider_kinds or analysis.provider.kind in rule.provider_kinds)
    )


def _line(offer: Offer, config: SalesConfig, lang: Lang) -> OfferLine:
    return OfferLine(
        key=offer.key, name=offer.name(lang), price=offer.price,
        currency=config.currency if offer.price is not None else None, unit=offer.unit(lang),
        price_text=price_text(offer, currency=config.currency, lang=lang),
    )


def price_text(offer: Offer, *, currency: str, lang: Lang) -> str:
    if offer.price is None:
        return phrase(lang, "price.on_request")
    amount = amount_text(offer.price, lang)
    unit = offer.unit(lang)
    if unit is None:
        return phrase(lang, "price.amount", amount=amount, currency=currency)
    return phrase(lang, "price.with_unit", amount=amount, currency=currency, unit=unit)


def amount_text(price: float, lang: Lang) -> str:
    """``12`` or ``12.50`` (``12,50`` in Turkish); no thousands separator, never rounded."""
    if float(price).is_integer():
        text = str(int(price))
    else:
        text = f"{price:.2f}" if round(price, 2) == price else repr(float(price))
    return text.replace(".", ",") if lang == "tr" else text
