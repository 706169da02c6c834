"""walk(domain): the IP-independent audit of a domain's SPF policy, as Hunter reports it.

A walker (``hunter.dns.facts``): it fetches the record, follows every include= and
redirect= (depth first, in record order), counts DNS-querying terms (§4.6.4) over the
whole tree and void lookups, and finds loops.  Targets whose macros depend on the client
(``%{i}``, ``%{s}`` …) cannot be followed without one and are counted but not fetched.
A DNS failure while probing an ``a`` / ``mx`` / ``exists`` target for voidness is ignored;
one while fetching a nested record makes the policy invalid.  Never raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ... import model
from ...dns.facts import Answer, Query, Walker
from . import macro, names, parse
from .match import mx_host
from .record import (
    ALL_TEXT,
    MAX_LOOKUPS,
    MAX_NAMES,
    MAX_VOID_LOOKUPS,
    AllText,
    Mechanism,
    SpfRecord,
    SpfSyntaxError,
)

MAX_QUERIES = 60    # a budget, so that a hostile tree cannot keep the walk going


@dataclass(slots=True)
class _Audit:
    lookups: int = 0
    void_lookups: int = 0
    queries: int = 0
    includes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def include(self, name: str) -> None:
        if name not in self.includes:
            self.includes.append(name)

    def error(self, text: str) -> None:
        if text not in self.errors:
            self.errors.append(text)

    def ask(self, name: str, rdtype: str) -> Walker[Answer]:
        self.queries += 1
        return (yield Query(name, rdtype))


def walk(domain: str) -> Walker[model.Spf]:
    """Audit the SPF policy of ``domain`` without a client IP; returns ``model.Spf``."""
    name = domain.lower().rstrip(".")
    answer: Answer = yield Query(name, "TXT")
    if answer.failed:
        return model.Spf(error=f"dns: TXT {name}: {_why(answer)}")
    texts = parse.select(answer.records) if answer.ok else []
    if len(texts) > 1:
        shown = ", ".join(repr(text) for text in texts)
        return model.Spf(present=True, error=f"several SPF records: {shown}")
    if not texts:
        return model.Spf()
    return (yield from _audit_top(name, texts[0]))


def _why(answer: Answer) -> str:
    return "; ".join(answer.errors) or "lookup failed"


def _audit_top(name: str, text: str) -> Walker[model.Spf]:
    try:
        record = parse.parse(text)
    except SpfSyntaxError as error:
        return model.Spf(present=True, record=text, error=str(error))
    audit = _Audit()
    all_ = yield from _record(audit, record, name, (name,))
    if audit.lookups > MAX_LOOKUPS:
        audit.error(f"too many DNS lookups: {audit.lookups} (limit {MAX_LOOKUPS})")
    if audit.void_lookups > MAX_VOID_LOOKUPS:
        audit.error(f"too many void lookups: {audit.void_lookups} (limit {MAX_VOID_LOOKUPS})")
    return model.Spf(
        present=True, valid=not audit.errors, record=text, all=all_, lookups=audit.lookups,
        void_lookups=audit.void_lookups, includes=audit.includes,
        error="; ".join(audit.errors) or None,
    )


def _record(audit: _Audit, record: SpfRecord, domain: str,
            chain: tuple[str, ...]) -> Walker[AllText | None]:
    """Audit one record; returns its effective ``all`` (through redirect= when it has none)."""
    for mechanism in record.mechanisms:
        audit.lookups += mechanism.needs_lookup
        if mechanism.kind == "include":
            yield from _descend(audit, mechanism.domain_spec, domain, chain, "include")
        elif mechanism.kind in ("a", "mx", "exists"):
            yield from _probe(audit, mechanism, domain)
    if record.uses_redirect:
        audit.lookups += 1
        return (yield from _descend(audit, record.redirect, domain, chain, "redirect"))
    found = record.all
    return ALL_TEXT[found.qualifier] if found is not None else None


def _target(audit: _Audit, spec: str | None, domain: str, term: str) -> str | None:
    """The name a term points at, or None when it depends on the client or is malformed."""
    if spec is None:
        return domain
    if macro.letters(spec) - {"d"}:
        return None
    name = names.query_name(macro.expand(spec, {"d": domain}))
    if name is None:
        audit.error(f"{term}:{spec}: not a valid domain name")
    return name


def _descend(audit: _Audit, spec: str | None, domain: str, chain: tuple[str, ...],
             term: str) -> Walker[AllText | None]:
    name = _target(audit, spec, domain, term)
    if name is None:
        return None
    audit.include(name)
    if name in chain:
        audit.error(f"loop: {' -> '.join((*chain, name))}")
        return None
    if audit.queries >= MAX_QUERIES:
        audit.error(f"walk stopped after {MAX_QUERIES} queries")
        return None
    record = yield from _fetch(audit, name, term)
    if record is None:
        return None
    return (yield from _record(audit, record, name, (*chain, name)))


def _fetch(audit: _Audit, name: str, term: str) -> Walker[SpfRecord | None]:
    answer = yield from audit.ask(name, "TXT")
    if answer.failed:
        audit.error(f"dns: TXT {name}: {_why(answer)}")
        return None
    texts = parse.select(answer.records) if answer.ok else []
    if len(texts) != 1:
        audit.void_lookups += not answer.ok or not answer.records
        audit.error(f"{name}: several SPF records" if texts else f"{term}:{name}: no SPF record")
        return None
    try:
        return parse.parse(texts[0])
    except SpfSyntaxError as error:
        audit.error(f"{name}: {error}")
        return None


def _probe(audit: _Audit, mechanism: Mechanism, domain: str) -> Walker[None]:
    """Count a void lookup when an a / mx / exists target has no records (§4.6.4)."""
    name = _target(audit, mechanism.domain_spec, domain, mechanism.kind)
    if name is None or audit.queries >= MAX_QUERIES:
        return
    rdtypes = {"a": ("A", "AAAA"), "mx": ("MX",), "exists": ("A",)}[mechanism.kind]
    answers = []
    for rdtype in rdtypes:
        answer = yield from audit.ask(name, rdtype)
        answers.append(answer)
        if answer.failed or answer.records:
            break
    if all(not a.failed and not a.records for a in answers):
        audit.void_lookups += 1
    elif mechanism.kind == "mx" and len([r for r in answers[0].records if mx_host(r)]) > MAX_NAMES:
        audit.error(f"{mechanism.text}: {name} has more than {MAX_NAMES} MX records")
