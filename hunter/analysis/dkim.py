"""DKIM selectors found at ``<selector>._domainkey.<domain>``.

Pure.  A selector is present when its TXT holds a DKIM key record (``v=DKIM1`` or a non-empty
``p=``) or when the name is a CNAME delegation (``Answer.cnames``, e.g. Microsoft 365's
``selector1-<domain>._domainkey.<tenant>.onmicrosoft.com``).  An empty ``p=`` is a revoked
key (RFC 6376 §3.6.1), which parked domains publish on purpose: reported, not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from hunter.dns.facts import Answer, DnsFacts
from hunter.dns.plan import DEFAULT_DKIM_SELECTORS, dkim_name
from hunter.model import Dkim

KeyState = Literal["key", "revoked", "none"]


def _tags(record: str) -> dict[str, str]:
    pairs = (part.split("=", 1) for part in record.split(";") if "=" in part)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def key_state(record: str) -> KeyState:
    """``key`` for a DKIM key record, ``revoked`` for an empty ``p=``, ``none`` otherwise."""
    tags = _tags(record)
    if "p" in tags:
        return "key" if tags["p"] else "revoked"
    return "key" if tags.get("v", "").upper() == "DKIM1" else "none"


def _state(answer: Answer) -> KeyState:
    states = {key_state(record) for record in answer.records} if answer.ok else set()
    if "key" in states:
        return "key"
    return "revoked" if "revoked" in states else "none"


def found(answer: Answer) -> bool:
    """Whether a selector's answer publishes DKIM: a key, or a CNAME delegation without one."""
    state = _state(answer)
    return state == "key" or (state == "none" and bool(answer.cnames))


def _target(answer: Answer) -> str:
    return answer.cnames[-1].rstrip(".").lower()


def _line(selector: str, answer: Answer) -> str:
    if not answer.cnames:
        return f"DKIM selector {selector}: key published as TXT"
    tail = "" if answer.ok else " (no record at the target yet)"
    return f"DKIM selector {selector}: CNAME to {_target(answer)}{tail}"


def evaluate(facts: DnsFacts, domain: str,
             selectors: Sequence[str] = DEFAULT_DKIM_SELECTORS) -> Dkim:
    """Which of ``selectors`` publish DKIM for ``domain``, with one evidence line each."""
    present: list[str] = []
    evidence: list[str] = []
    revoked: list[str] = []
    for selector in selectors:
        answer = facts.get(dkim_name(selector, domain), "TXT")
        if answer is None:
            continue
        if found(answer):
            present.append(selector)
            evidence.append(_line(selector, answer))
        elif _state(answer) == "revoked":
            revoked.append(selector)
    if revoked:
        evidence.append(f"Revoked DKIM key (empty p=) at selector(s): {', '.join(revoked)}")
    return Dkim(present=bool(present), selectors=present, evidence=evidence)


def cname_chains(facts: DnsFacts, domain: str) -> list[tuple[str, tuple[str, ...]]]:
    """``(selector, CNAME targets without trailing dot)`` for every probed selector delegated by CNAME."""
    suffix = f"._domainkey.{domain}"
    chains = []
    for query, answer in facts.answers.items():
        if query.rdtype == "TXT" and query.name.endswith(suffix) and answer.cnames:
            targets = tuple(t.rstrip(".").lower() for t in answer.cnames)
            chains.append((query.name[: -len(suffix)], targets))
    return sorted(chains)


def has_key(facts: DnsFacts, domain: str, selector: str) -> bool:
    """Whether ``selector`` publishes a usable DKIM key (TXT, directly or through a CNAME)."""
    answer = facts.get(dkim_name(selector, domain), "TXT")
    return answer is not None and _state(answer) == "key"
