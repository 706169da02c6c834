"""The sales configuration (``hunter/rules/sales.yaml``): who the partner is and what it sells.

``load_config(path)`` reads a YAML file once per path and validates it; anything wrong raises
``RulesError`` naming the file and the field.  Prices are optional: Hunter never invents one,
an offer without a price is shown as "price on request".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import RulesError
from ..model import ProviderKind
from ..scoring.rules import SEGMENTS

BUNDLED = Path(__file__).resolve().parent.parent / "rules" / "sales.yaml"
ENV_VAR = "HUNTER_SALES_CONFIG"

# Posture gaps an offer can fit: the scoring gaps plus the transport protections.
GAP_CODES = (
    "spf_missing", "spf_invalid", "spf_not_strict",
    "dmarc_missing", "dmarc_not_enforced", "dmarc_partial",
    "dkim_missing", "mta_sts_missing", "tls_rpt_missing",
)
PROVIDER_KINDS: tuple[str, ...] = get_args(ProviderKind)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Partner(_Strict):
    name: str = Field(min_length=1, max_length=120)
    name_tr: str | None = Field(default=None, min_length=1, max_length=120)
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()/.-]{5,30}$")
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    def display(self, lang: str) -> str:
        return (self.name_tr or self.name) if lang == "tr" else self.name


class Fits(_Strict):
    """An offer fits when every listed group matches (any value within a group)."""

    segments: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()
    provider_kinds: tuple[str, ...] = ()

    @field_validator("segments")
    @classmethod
    def _segments(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known("segment", value, SEGMENTS)

    @field_validator("gaps")
    @classmethod
    def _gaps(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known("gap code", value, GAP_CODES)

    @field_validator("provider_kinds")
    @classmethod
    def _kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _known("provider kind", value, PROVIDER_KINDS)

    @model_validator(mode="after")
    def _not_empty(self) -> Fits:
        if not (self.segments or self.gaps or self.provider_kinds):
            raise ValueError("fits needs at least one of segments, gaps, provider_kinds")
        return self


def _known(what: str, value: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what} {', '.join(unknown)} (known: {', '.join(allowed)})")
    return value


class Offer(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,47}$")
    name_tr: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    price: float | None = Field(default=None, ge=0)
    unit_tr: str | None = Field(default=None, min_length=1, max_length=40)
    unit_en: str | None = Field(default=None, min_length=1, max_length=40)
    fits: Fits

    def name(self, lang: str) -> str:
        return self.name_tr if lang == "tr" else self.name_en

    def unit(self, lang: str) -> str | None:
        return self.unit_tr if lang == "tr" else self.unit_en


class SalesConfig(_Strict):
    partner: Partner
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    offers: tuple[Offer, ...] = ()

    @field_validator("offers")
    @classmethod
    def _unique(cls, offers: tuple[Offer, ...]) -> tuple[Offer, ...]:
        keys = [o.key for o in offers]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"offer keys must be unique: {', '.join(twice)}")
        return offers


def parse(raw: object, *, source: str) -> SalesConfig:
    """Validate already-read YAML data; raises RulesError naming ``source`` and the field."""
    if not isinstance(raw, dict):
        raise RulesError(source, "top level must be a mapping with partner, currency and offers")
    try:
        return SalesConfig.model_validate(raw)
    except ValidationError as exc:
        raise RulesError(source, _problems(exc)) from None


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())


@lru_cache(maxsize=8)
def _load(path: Path) -> SalesConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RulesError(str(path), f"cannot read: {exc}") from None
    return parse(raw, source=str(path))


def load_config(path: str | Path | None = None) -> SalesConfig:
    """The configuration at ``path`` (the bundled default when None), read once per path.

    Entry points pass the value of ``HUNTER_SALES_CONFIG`` here; this module never reads the
    environment itself.
    """
    return _load(Path(path).resolve() if path else BUNDLED)
