"""MX records of a domain: hosts by preference, null MX (RFC 7505), implicit MX (RFC 5321 §5.1).

Pure: reads ``DnsFacts`` only.  ``status`` is a hint for the analysis status: ``ok``,
``no_mx`` (name exists, no MX), ``null_mx``, ``nxdomain`` or ``dns_error``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from hunter.dns.facts import Answer, DnsFacts
from hunter.model import MxHost

MxStatus = Literal["ok", "no_mx", "null_mx", "nxdomain", "dns_error"]


@dataclass(frozen=True, slots=True)
class MxResult:
    hosts: list[MxHost] = field(default_factory=list)   # sorted by preference, then host
    null_mx: bool = False                               # the single record "0 ." (RFC 7505)
    fallback_a: bool = False                            # no MX, but A/AAAA at the name
    status: MxStatus = "no_mx"
    ignored: list[str] = field(default_factory=list)    # records that could not be read


def parse_record(text: str) -> MxHost | None:
    """``"10 mx1.example.com."`` -> ``MxHost``; ``None`` when the text is not an MX rdata.

    The null MX target ``.`` becomes host ``""``.
    """
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) > 65535:
        return None
    return MxHost(host=parts[1].lower().rstrip("."), preference=int(parts[0]))


def _sorted(hosts: list[MxHost]) -> list[MxHost]:
    unique = {(h.preference, h.host): h for h in hosts}
    return [unique[k] for k in sorted(unique)]


def _has_address(facts: DnsFacts, domain: str) -> bool:
    return bool(facts.records(domain, "A") or facts.records(domain, "AAAA"))


def parse(facts: DnsFacts, domain: str) -> MxResult:
    """The MX picture of ``domain`` from the facts already gathered."""
    answer = facts.get(domain, "MX")
    if answer is not None and answer.status in ("nxdomain", "error"):
        return MxResult(status="nxdomain" if answer.status == "nxdomain" else "dns_error")
    records = answer.records if answer is not None and answer.ok else ()
    parsed = [(text, parse_record(text)) for text in records]
    ignored = [text for text, host in parsed if host is None]
    hosts = [host for _, host in parsed if host is not None]
    if len(hosts) == 1 and hosts[0].host == "":
        return MxResult(null_mx=True, status="null_mx", ignored=ignored)
    hosts = _sorted([h for h in hosts if h.host != ""])   # "." beside real hosts: not a null MX
    if hosts:
        return MxResult(hosts=hosts, status="ok", ignored=ignored)
    return MxResult(fallback_a=_has_address(facts, domain), status="no_mx", ignored=ignored)


def implicit(answer: Answer) -> bool:
    """Whether an MX answer leaves the mail to the name's A/AAAA (RFC 5321 §5.1): the name exists
    and the answer names no MX host and is no null MX.  Only then does ``parse`` read the A/AAAA."""
    domain = answer.query.name
    return parse(DnsFacts(domain, {answer.query: answer}), domain).status == "no_mx"
