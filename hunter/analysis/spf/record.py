"""Values of a parsed SPF record (RFC 7208 §4.6, §5, §6): mechanisms, modifiers, the record.

Pure values; ``parse`` builds them from text and ``evaluate`` / ``audit`` judge them.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from typing import Literal

Qualifier = Literal["+", "-", "~", "?"]
Kind = Literal["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"]
AllText = Literal["-all", "~all", "?all", "+all"]
Result = Literal["none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"]

KINDS: tuple[Kind, ...] = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
ALL_TEXT: dict[Qualifier, AllText] = {"+": "+all", "-": "-all", "~": "~all", "?": "?all"}
RESULT_OF: dict[Qualifier, Result] = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
# Terms that cost one DNS lookup each against the limit of §4.6.4 (redirect= is the sixth).
LOOKUP_KINDS: frozenset[str] = frozenset({"include", "a", "mx", "ptr", "exists"})
MAX_LOOKUPS = 10        # §4.6.4: DNS-querying terms per check_host() evaluation
MAX_VOID_LOOKUPS = 2    # §4.6.4: lookups answering NXDOMAIN or no records
MAX_NAMES = 10          # §4.6.4: MX names per "mx", PTR names per "ptr" / %{p}


class SpfSyntaxError(ValueError):
    """A record (or one of its terms) does not follow the grammar of RFC 7208."""


@dataclass(frozen=True, slots=True)
class Mechanism:
    """One mechanism: ``qualifier`` + ``kind`` and its arguments, ``text`` as written."""

    qualifier: Qualifier
    kind: Kind
    text: str
    domain_spec: str | None = None          # macro-string; None = the current <domain>
    network: IPv4Network | IPv6Network | None = None   # ip4 / ip6
    cidr4: int = 32
    cidr6: int = 128

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown mechanism {self.kind!r}")
        if not (0 <= self.cidr4 <= 32 and 0 <= self.cidr6 <= 128):
            raise ValueError(f"cidr length out of range in {self.text!r}")

    @property
    def result(self) -> Result:
        return RESULT_OF[self.qualifier]

    @property
    def needs_lookup(self) -> bool:
        return self.kind in LOOKUP_KINDS


@dataclass(frozen=True, slots=True)
class Modifier:
    """An unknown modifier (``name=value``), kept but ignored (§6)."""

    name: str       # lower-case
    value: str


@dataclass(frozen=True, slots=True)
class SpfRecord:
    text: str
    mechanisms: tuple[Mechanism, ...] = ()
    redirect: str | None = None     # domain-spec of redirect=
    exp: str | None = None          # domain-spec of exp=
    modifiers: tuple[Modifier, ...] = ()

    @property
    def all(self) -> Mechanism | None:
        """The first ``all`` mechanism; with one, ``redirect=`` is never used (§6.1)."""
        return next((m for m in self.mechanisms if m.kind == "all"), None)

    @property
    def uses_redirect(self) -> bool:
        return self.redirect is not None and self.all is None

    @property
    def lookup_terms(self) -> int:
        """DNS-querying terms of this record alone (§4.6.4), not counting nested records."""
        return sum(m.needs_lookup for m in self.mechanisms) + self.uses_redirect
