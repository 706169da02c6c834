"""One line of input (domain, URL or e-mail) → a ``Target``: the domain Hunter will analyse.

Pure and offline.  ``parse`` never raises: anything that is not a usable company domain is
``status="invalid"`` with a ``reason`` a person can act on.

Rules (see also docs/normalise-and-dmarc.md):

* kind: ``email`` (``a@b``, ``mailto:``, ``Name <a@b>``; the first address of a list),
  ``url`` (a scheme, path, query, port or userinfo), ``domain`` (a bare name), ``unknown``
  (placeholders, phone numbers, free text).
* host → lower-case A-label: Turkish ``İ``/``I`` are mapped to plain ``i`` first (see
  ``_TURKISH``), then UTS-46 (``idna``, non-transitional), then each label is checked.
* ``registrable_domain`` comes from the bundled Public Suffix List (``publicsuffixlist``,
  never fetched); unknown top-level domains and bare public suffixes are invalid.
* a leading ``www``/``www<digit>`` label is dropped while a label is left above the
  registrable domain (``www.firma.com`` → ``firma.com``; ``www.com`` stays).  Repeating it
  keeps ``parse(target.domain).domain == target.domain``.
* an e-mail address at a consumer mail domain (``rules/consumer_domains.txt``) is invalid:
  it names a person's mailbox, not a company.  The same name given as a website or domain
  (``gmail.com``) is accepted: someone asked for that domain itself, and it is a real one.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import idna
from publicsuffixlist import PublicSuffixList

Kind = Literal["domain", "url", "email", "unknown"]
Status = Literal["ok", "invalid"]

# Turkish dotted capital İ (U+0130) lower-cases to "i" + U+0307 COMBINING DOT ABOVE in
# Unicode (and in UTS-46), which gives a different, unintended A-label
# (ŞİRKET.com.tr → xn--irket-idb380a instead of şirket.com.tr → xn--irket-idb).  People
# typing İ in a company name mean the letter i, so İ, I and an already-decomposed i + U+0307
# become plain "i" before UTS-46.  Dotless ı (U+0131) is a distinct letter and is kept.
_TURKISH = (("İ", "i"), ("i\u0307", "i"), ("I", "i"))

_EDGE_JUNK = " \t\r\n\u00a0\u200b\u200e\u200f\u2060\ufeff\"'`“”‘’«»,;"
_PLACEHOLDERS = frozenset({
    "", "nan", "none", "null", "nil", "-", "--", "---", ".", "?", "0", "x", "n/a", "na", "#n/a",
    "yok", "yoktur", "yok.", "web sitesi", "web sitesi yok", "website", "web site", "web",
    "www", "tbd", "unknown", "bilinmiyor", "belirtilmemiş", "mail", "e-mail", "email",
})
_PHONE = re.compile(r"\+?[\d\s().\-/]+")
_SCHEME = re.compile(r"(?:[a-z][a-z0-9+.\-]*://|https?:/*)", re.IGNORECASE)
_ANGLE = re.compile(r"[^<>]*<([^<>]*)>")
_DOT_SPACES = re.compile(r"\s*\.\s*")
_LDH = re.compile(r"[a-z0-9-]+")
_WWW = re.compile(r"www\d?")
_MAX_LABEL, _MAX_NAME = 63, 253


@dataclass(frozen=True, slots=True)
class Target:
    input: str
    domain: str | None
    status: Status
    reason: str | None
    registrable_domain: str | None
    kind: Kind

    def __post_init__(self) -> None:
        if (self.status == "ok") != (self.domain is not None and self.reason is None):
            raise ValueError("an ok Target has a domain and no reason; an invalid one a reason")


class _Invalid(ValueError):
    def __init__(self, reason: str, kind: Kind | None = None) -> None:
        super().__init__(reason)
        self.reason, self.kind = reason, kind


# --- data -----------------------------------------------------------------------------------

@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False)   # bundled data; no network


@cache
def consumer_domains() -> frozenset[str]:
    """Entries of ``hunter/rules/consumer_domains.txt`` (``name.*`` kept as written)."""
    text = resources.files("hunter.rules").joinpath("consumer_domains.txt").read_text("utf-8")
    lines = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line)


def is_consumer_domain(registrable: str) -> bool:
    entries = consumer_domains()
    return registrable in entries or f"{registrable.split('.', 1)[0]}.*" in entries


# --- text → kind and host -------------------------------------------------------------------

def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _fold(text: str) -> str:
    for before, after in _TURKISH:
        text = text.replace(before, after)
    return text.lower()


def _unwrap(text: str) -> str:
    text = text.strip(_EDGE_JUNK)
    angle = _ANGLE.fullmatch(text)
    return angle.group(1).strip(_EDGE_JUNK) if angle else text


def _reject_garbage(text: str) -> None:
    if " ".join(_fold(text).split()) in _PLACEHOLDERS:
        raise _Invalid("empty or placeholder value, not a domain", "unknown")
    _reject_ip(text.strip("[]"), "unknown")
    if _PHONE.fullmatch(text) and sum(char.isdigit() for char in text) >= 7:
        raise _Invalid("looks like a phone number, not a domain", "unknown")


def _reject_ip(host: str, kind: Kind | None = None) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    raise _Invalid(f"IP address literal ({address}), not a domain", kind)


def _kind(text: str) -> Kind:
    head = re.split(r"[/?#]", text, maxsplit=1)[0]
    if text.lower().startswith("mailto:") or ("@" in head and ":" not in head.split("@")[0]):
        return "email"
    if _SCHEME.match(text) or any(char in text for char in "/?#:\\"):
        return "url"
    if re.search(r"\s", _DOT_SPACES.sub(".", text)):
        return "unknown"
    return "domain"


def _email_host(text: str) -> str:
    text = re.sub(r"^mailto:", "", text, flags=re.IGNORECASE).split("?", 1)[0]
    address = next((part for part in re.split(r"[;,\s]+", text) if "@" in part), text)
    local, _, host = address.rpartition("@")
    if not local.strip():
        raise _Invalid("e-mail address without a local part")
    return host.strip(_EDGE_JUNK + "<>()")


def _url_host(text: str) -> str:
    scheme = _SCHEME.match(text)
    rest = text[scheme.end():] if scheme else text.lstrip("/")
    authority = re.split(r"[/?#\\]", rest, maxsplit=1)[0].rpartition("@")[2]
    if authority.startswith("["):
        raise _Invalid("IPv6 address literal, not a domain")
    host, colon, port = authority.rpartition(":") if ":" in authority else (authority, "", "")
    if ":" in host:
        raise _Invalid("IPv6 address literal, not a domain")
    if colon and port and not port.isdigit():
        raise _Invalid(f"invalid port {port!r} in URL")
    if not host.strip():
        raise _Invalid("URL without a host name")
    return host


def _host(text: str, kind: Kind) -> str:
    if kind == "email":
        return _email_host(text)
    if kind == "url":
        return _url_host(text)
    if kind == "unknown":
        raise _Invalid("free text with spaces, not a domain")
    return text


# --- host → A-label -------------------------------------------------------------------------

def _ascii_label(label: str) -> str:
    if "_" in label:
        raise _Invalid(f"underscore in label {label!r}: not a host name")
    if not _LDH.fullmatch(label):
        bad = next(char for char in label if not _LDH.fullmatch(char))
        raise _Invalid(f"invalid character {bad!r} in label {label!r}")
    if label.startswith("-") or label.endswith("-"):
        raise _Invalid(f"label {label!r} starts or ends with a hyphen")
    if label.startswith("xn--"):
        try:
            if idna.alabel(idna.ulabel(label)).decode("ascii") != label:
                raise idna.IDNAError("does not round-trip")
        except (idna.IDNAError, UnicodeError) as error:
            raise _Invalid(f"invalid punycode label {label!r}: {error}") from None
    return label


def _label(label: str) -> str:
    if not label:
        raise _Invalid("empty label (consecutive or leading dots)")
    if label.isascii():
        encoded = _ascii_label(label)
    else:
        try:
            encoded = idna.alabel(label).decode("ascii")
        except (idna.IDNAError, UnicodeError) as error:
            raise _Invalid(f"invalid internationalised label {label!r}: {error}") from None
    if len(encoded) > _MAX_LABEL:
        raise _Invalid(f"label longer than {_MAX_LABEL} characters")
    return encoded


def _mapped(host: str) -> str:
    host = _DOT_SPACES.sub(".", host.strip()).rstrip(".")
    if re.search(r"\s", host):
        raise _Invalid("contains spaces, not a domain")
    try:
        mapped = idna.uts46_remap(_fold(host), std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError) as error:
        raise _Invalid(f"invalid character: {error}") from None
    return mapped.rstrip(".")


def to_alabel(host: str) -> str:
    """A host name → lower-case A-label name without trailing dot; ``_Invalid`` if it is none."""
    name = _mapped(host)
    _reject_ip(name)
    if "." not in name:
        raise _Invalid("no dot: a single label is not a domain" if name else "empty host name")
    labels = [_label(label) for label in name.split(".")]
    if labels[-1].isdigit():
        raise _Invalid("numeric top-level label: not a domain")
    encoded = ".".join(labels)
    if len(encoded) > _MAX_NAME:
        raise _Invalid(f"name longer than {_MAX_NAME} characters")
    return encoded


# --- A-label → target -----------------------------------------------------------------------

# RFC 2606 / RFC 6761 reserve ``.test`` for testing: it is in no Public Suffix List, yet the
# sandbox zones and fixture data live there, so it is accepted as a one-label public suffix.
_TESTING_TLDS = frozenset({"test"})


def _registrable(name: str) -> str:
    labels = name.split(".")
    if labels[-1] in _TESTING_TLDS:
        if len(labels) < 2:
            raise _Invalid(f"{name} is a public suffix, not a registrable domain")
        return ".".join(labels[-2:])
    psl = _psl()
    if psl.publicsuffix(name) is None:
        raise _Invalid(f"unknown top-level domain '.{name.rsplit('.', 1)[-1]}'")
    registrable = psl.privatesuffix(name)
    if registrable is None:
        raise _Invalid(f"{name} is a public suffix, not a registrable domain")
    return registrable


def _drop_www(name: str, registrable: str) -> str:
    while name != registrable and _WWW.fullmatch(name.split(".", 1)[0]):
        name = name.split(".", 1)[1]
    return name


def _resolve(text: str) -> tuple[Kind, str, str]:
    _reject_garbage(text)
    kind = _kind(text)
    try:
        name = to_alabel(_host(text, kind))
        registrable = _registrable(name)
    except _Invalid as error:
        raise _Invalid(error.reason, error.kind or kind) from None
    if kind == "email" and is_consumer_domain(registrable):
        raise _Invalid(f"consumer mail domain {registrable}: an address there does not name "
                       f"a company domain", kind)
    return kind, _drop_www(name, registrable), registrable


def parse(text: str) -> Target:
    """Normalise one input; never raises (invalid input is ``status="invalid"``)."""
    raw = _as_text(text)
    try:
        kind, domain, registrable = _resolve(_unwrap(raw))
    except _Invalid as error:
        return Target(raw, None, "invalid", error.reason, None, error.kind or "unknown")
    return Target(raw, domain, "ok", None, registrable, kind)
