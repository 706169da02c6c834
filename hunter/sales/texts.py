"""Access to the phrase tables of ``turkish.py`` and ``english.py``.

Templates are data: a dotted key names a sentence (or a tuple of sentences) and ``{name}``
placeholders are filled from the analysis or the configuration, never from invented values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import idna

from . import english, turkish

Lang = Literal["tr", "en"]
TABLES: Mapping[str, Mapping[str, str | tuple[str, ...]]] = {"tr": turkish.TEXTS, "en": english.TEXTS}

# Product names quoted as names, not as figures (their digits are part of the name).
PRODUCT_NAMES = ("Microsoft 365", "Office 365", "E3/E5")

# Words in a normaliser's reason -> the key of a localised explanation.
INVALID_MARKERS = (
    ("phone number", "phone"),
    ("ip address", "ip"),
    ("ipv6 address", "ip"),
    ("spaces", "spaces"),
    ("public suffix", "public_suffix"),
    ("consumer mail domain", "consumer"),
    ("empty or placeholder", "empty"),
    ("no dot", "no_dot"),
    ("unknown top-level domain", "tld"),
)


def phrase(lang: Lang, key: str, **values: object) -> str:
    """One sentence with its placeholders filled."""
    template = TABLES[lang][key]
    if not isinstance(template, str):
        raise TypeError(f"phrase {key!r} is a list; use phrases()")
    return template.format_map(values)


def phrases(lang: Lang, key: str, **values: object) -> list[str]:
    """A list of sentences with their placeholders filled."""
    templates = TABLES[lang][key]
    if isinstance(templates, str):
        raise TypeError(f"phrase {key!r} is a sentence; use phrase()")
    return [t.format_map(values) for t in templates]


def known(key: str) -> bool:
    """Whether ``key`` names a phrase (every language has the same keys)."""
    return key in TABLES["en"]


def invalid_reason(lang: Lang, reason: str | None) -> str:
    """Why the input is not a domain, in ``lang`` (the raw reason quoted when not recognised)."""
    lowered = (reason or "").lower()
    key = next((k for marker, k in INVALID_MARKERS if marker in lowered), None)
    if key is None:
        return phrase(lang, "invalid.other", reason=reason or "?")
    return phrase(lang, f"invalid.{key}")


def domain_name(domain: str | None, fallback: str) -> str:
    """The domain as a person writes it (``başkentholding.com.tr``, not its ``xn--`` form)."""
    if not domain:
        return fallback
    try:
        return idna.decode(domain)
    except UnicodeError:          # idna.IDNAError is one
        return domain
