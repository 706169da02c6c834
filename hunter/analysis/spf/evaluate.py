"""check_host() of RFC 7208 §4 as a walker: which client may send for a domain.

Sans-I/O: ``check_host`` yields ``Query`` values and is sent ``Answer`` values (see
``hunter.dns.facts``); it never raises and returns an ``SpfResult``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ...dns.facts import Walker
from . import macro, names, parse
from .match import match_a, match_exists, match_ip, match_mx, match_ptr
from .names import IpAddress
from .record import Mechanism, Result, SpfRecord, SpfSyntaxError
from .session import Session, SpfAbort, expand, lookup, soft_lookup, target


@dataclass(frozen=True, slots=True)
class SpfResult:
    """The verdict and its evidence: the deciding term and the limits spent."""

    result: Result
    explanation: str | None = None      # exp= text, only for fail (None: no exp= or unusable)
    mechanism: str | None = None        # the matching term as written; None for the default
    lookups: int = 0
    void_lookups: int = 0
    error: str | None = None            # why, for temperror / permerror


@dataclass(frozen=True, slots=True)
class _Outcome:
    """The result of one record and the record that decided it (for its exp=)."""

    result: Result
    mechanism: str | None = None
    domain: str = ""
    exp: str | None = None


def check_host(ip: str | IpAddress, domain: str, sender: str, *, helo: str = "",
               receiver: str = "unknown", timestamp: int | None = None) -> Walker[SpfResult]:
    """Evaluate the SPF policy of ``domain`` for a message from ``ip`` (RFC 7208 §4).

    ``sender`` is the MAIL FROM address (``postmaster@<domain>`` when empty or without a
    local-part); ``helo`` fills ``%{h}``; ``receiver`` and ``timestamp`` fill ``%{r}``, ``%{t}``.
    An IPv4-mapped IPv6 ``ip`` is checked as IPv4.  Only an invalid ``ip`` raises (ValueError,
    at the first ``next``); everything about the domain is a result.
    """
    session = _session(ip, domain, sender, helo=helo, receiver=receiver, timestamp=timestamp)
    try:
        outcome = yield from _check(session, domain)
        explanation = None
        if outcome.result == "fail" and outcome.exp is not None:
            explanation = yield from _explain(session, outcome)
    except SpfAbort as abort:
        return SpfResult(abort.result, None, None, session.lookups, session.void_lookups, str(abort))
    return SpfResult(outcome.result, explanation, outcome.mechanism, session.lookups,
                     session.void_lookups)


def _session(ip: str | IpAddress, domain: str, sender: str, *, helo: str, receiver: str,
             timestamp: int | None) -> Session:
    local, at, sender_domain = sender.rpartition("@")
    if not at:
        local, sender_domain = "", sender
    return Session(names.address(ip), local or "postmaster", sender_domain or domain,
                   helo or "unknown", receiver, int(time.time()) if timestamp is None else timestamp)


def _check(session: Session, domain: str) -> Walker[_Outcome]:
    """check_host() for one <domain>: none, or the result of its record."""
    name = names.initial_domain(domain)
    if name is None:
        return _Outcome("none", domain=domain)
    record = yield from fetch(session, name.lower())
    if record is None:
        return _Outcome("none", domain=name)
    return (yield from _evaluate(session, record, name))


def fetch(session: Session, name: str) -> Walker[SpfRecord | None]:
    """The one SPF record of ``name`` (§4.4, §4.5); None when there is none."""
    texts = parse.select((yield from lookup(session, name, "TXT", void=False)))
    if len(texts) > 1:
        raise SpfAbort("permerror", f"{name}: several SPF records")
    if not texts:
        return None
    try:
        return parse.parse(texts[0])
    except SpfSyntaxError as error:
        raise SpfAbort("permerror", f"{name}: {error}") from None


def _evaluate(session: Session, record: SpfRecord, domain: str) -> Walker[_Outcome]:
    """Mechanisms left to right (§4.6.2), then redirect= (§6.1), else neutral (§4.7)."""
    for mechanism in record.mechanisms:
        if (yield from _matches(session, mechanism, domain)):
            return _Outcome(mechanism.result, mechanism.text, domain, record.exp)
    if record.uses_redirect:
        return (yield from _redirect(session, record.redirect or "", domain))
    return _Outcome("neutral", None, domain, record.exp)


def _matches(session: Session, mechanism: Mechanism, domain: str) -> Walker[bool]:
    kind = mechanism.kind
    if kind == "all":
        return True
    if kind in ("ip4", "ip6"):
        return match_ip(session, mechanism)
    if kind == "include":
        return (yield from _include(session, mechanism, domain))
    step = {"a": match_a, "mx": match_mx, "ptr": match_ptr, "exists": match_exists}[kind]
    return (yield from step(session, mechanism, domain))


def _include(session: Session, mechanism: Mechanism, domain: str) -> Walker[bool]:
    """§5.2: pass matches; fail, softfail, neutral do not; errors propagate."""
    outcome = yield from _nested(session, mechanism.domain_spec, domain, mechanism.text)
    return outcome.result == "pass"


def _redirect(session: Session, spec: str, domain: str) -> Walker[_Outcome]:
    """§6.1: the result of the target's record replaces this one."""
    return (yield from _nested(session, spec, domain, f"redirect={spec}"))


def _nested(session: Session, spec: str | None, domain: str, term: str) -> Walker[_Outcome]:
    """check_host() on the target of include: / redirect=; none there is permerror."""
    session.count_lookup(term)
    name = yield from target(session, spec, domain)
    outcome = (yield from _check(session, name)) if name else _Outcome("none")
    if outcome.result == "none":
        raise SpfAbort("permerror", f"{term!r}: no SPF record at {name or spec}")
    return outcome


def _explain(session: Session, outcome: _Outcome) -> Walker[str | None]:
    """§6.2: the exp= text of the deciding record, or None when it cannot be used."""
    name = yield from target(session, outcome.exp, outcome.domain)
    if name is None:
        return None
    answer = yield from soft_lookup(name, "TXT")
    if len(answer) != 1:
        return None
    try:
        macro.check(answer[0], explanation=True)
    except SpfSyntaxError:
        return None
    return (yield from expand(session, answer[0], outcome.domain, explanation=True))
