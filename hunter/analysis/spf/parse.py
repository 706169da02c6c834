"""Text -> ``SpfRecord`` (RFC 7208 §4.5, §4.6.1, §5, §6, §7.1): the whole record is checked.

Pure.  ``parse`` raises ``SpfSyntaxError`` naming the offending term; ``select`` picks the
SPF record out of the TXT strings of a name.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import cast

from . import macro
from .record import KINDS, Kind, Mechanism, Modifier, Qualifier, SpfRecord, SpfSyntaxError

VERSION = "v=spf1"

_MODIFIER = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9_.-]*)=(?P<value>.*)", re.S)
_MECHANISM = re.compile(r"(?P<qualifier>[-+~?]?)(?P<name>[A-Za-z][A-Za-z0-9]*)(?P<rest>.*)", re.S)
_CIDR = r"(0|[1-9][0-9]{0,2})"
_DUAL_CIDR = re.compile(rf"(?::(?P<domain>.+?))?(?:/{_CIDR})?(?://{_CIDR})?", re.S)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IP4 = re.compile(rf":(?P<net>{_OCTET}(?:\.{_OCTET}){{3}})(?:/{_CIDR})?")
_IP6 = re.compile(rf":(?P<net>[0-9A-Fa-f:.]+)(?:/{_CIDR})?")
_TOPLABEL = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9]")


def is_spf(text: str) -> bool:
    """True for text starting "v=spf1" (any case) followed by a space or the end (§4.5)."""
    return text[:6].lower() == VERSION and (len(text) == 6 or text[6] == " ")


def select(texts: tuple[str, ...] | list[str]) -> list[str]:
    """The SPF records among the TXT strings of one name (several = PermError, §4.5)."""
    return [text for text in texts if is_spf(text)]


def parse(text: str) -> SpfRecord:
    """Parse a complete record; every term is checked before anything is evaluated (§4.6)."""
    if not is_spf(text):
        raise SpfSyntaxError("not an SPF record: it must start with 'v=spf1' and a space")
    mechanisms: list[Mechanism] = []
    found: dict[str, str] = {}
    unknown: list[Modifier] = []
    for term in text[6:].split(" "):
        if term:
            _parse_term(term, mechanisms, found, unknown)
    return SpfRecord(text, tuple(mechanisms), found.get("redirect"), found.get("exp"),
                     tuple(unknown))


def _parse_term(term: str, mechanisms: list[Mechanism], found: dict[str, str],
                unknown: list[Modifier]) -> None:
    try:
        _check_charset(term)
        modifier = _MODIFIER.fullmatch(term)
        if modifier is None:
            mechanisms.append(mechanism(term))
            return
        name, value = modifier["name"].lower(), modifier["value"]
        if name not in ("redirect", "exp"):
            macro.check(value)
            unknown.append(Modifier(name, value))
        elif name in found:
            raise SpfSyntaxError(f"{name}= appears more than once")
        else:
            found[name] = domain_spec(value)
    except SpfSyntaxError as error:
        raise SpfSyntaxError(f"term {term!r}: {error}") from None


def _check_charset(term: str) -> None:
    bad = next((c for c in term if not "!" <= c <= "~"), None)
    if bad is not None:
        raise SpfSyntaxError(f"character {bad!r} is not allowed (records are visible 7-bit ASCII)")


def mechanism(term: str) -> Mechanism:
    """Parse one mechanism term such as ``-ip4:192.0.2.0/24`` or ``mx/24//64``."""
    match = _MECHANISM.fullmatch(term)
    if match is None or match["name"].lower() not in KINDS:
        raise SpfSyntaxError("unknown mechanism")
    kind = cast(Kind, match["name"].lower())
    qualifier = cast(Qualifier, match["qualifier"] or "+")
    rest = match["rest"]
    if kind in ("ip4", "ip6"):
        return _ip(qualifier, kind, term, rest)
    if kind in ("a", "mx"):
        return _dual_cidr(qualifier, kind, term, rest)
    return _simple(qualifier, kind, term, rest)


def _simple(qualifier: Qualifier, kind: Kind, term: str, rest: str) -> Mechanism:
    """all (no argument), ptr (optional domain), include / exists (required domain)."""
    if kind == "all" or (kind == "ptr" and not rest):
        if rest:
            raise SpfSyntaxError("'all' takes no argument")
        return Mechanism(qualifier, kind, term)
    if not rest.startswith(":"):
        raise SpfSyntaxError(f"'{kind}' needs ':' and a domain")
    return Mechanism(qualifier, kind, term, domain_spec(rest[1:]))


def _dual_cidr(qualifier: Qualifier, kind: Kind, term: str, rest: str) -> Mechanism:
    match = _DUAL_CIDR.fullmatch(rest)
    if match is None:
        raise SpfSyntaxError(f"'{kind}' takes [':' domain] ['/' ip4-cidr] ['//' ip6-cidr]")
    spec = domain_spec(match["domain"]) if match["domain"] is not None else None
    cidr4, cidr6 = _cidr(match[2], 32), _cidr(match[3], 128)
    return Mechanism(qualifier, kind, term, spec, cidr4=cidr4, cidr6=cidr6)


def _ip(qualifier: Qualifier, kind: Kind, term: str, rest: str) -> Mechanism:
    match = (_IP4 if kind == "ip4" else _IP6).fullmatch(rest)
    if match is None:
        raise SpfSyntaxError(f"'{kind}' takes ':' and an {kind} network, with an optional '/' length")
    limit = 32 if kind == "ip4" else 128
    length = _cidr(match[2], limit)
    try:
        network = ip_network(f"{match['net']}/{length}", strict=False)
    except ValueError:
        raise SpfSyntaxError(f"invalid {kind} address {match['net']!r}") from None
    if not isinstance(network, IPv4Network if kind == "ip4" else IPv6Network):
        raise SpfSyntaxError(f"{match['net']!r} is not an {kind} address")
    return Mechanism(qualifier, kind, term, network=network)


def _cidr(text: str | None, limit: int) -> int:
    if text is None:
        return limit
    if int(text) > limit:
        raise SpfSyntaxError(f"cidr length /{text} is larger than {limit}")
    return int(text)


def domain_spec(text: str) -> str:
    """Check a domain-spec: a macro-string ending in a macro or in '.' toplabel ['.'] (§7.1)."""
    if not text:
        raise SpfSyntaxError("the domain is empty")
    macro.check(text)
    if macro.ends_with_macro(text):
        return text
    head, dot, toplabel = (text[:-1] if text.endswith(".") else text).rpartition(".")
    if not dot or not head or not _TOPLABEL.fullmatch(toplabel):
        raise SpfSyntaxError(f"{text!r} does not end in a valid top-level label or a macro")
    return text
