"""The company domain of a customer known only by its contacts (and perhaps a website).  Pure.

Partner Center referrals carry no domain field: the only signal is the e-mail addresses of the
customer's own contacts (``customerProfile.team[].email``), sometimes a website.  The rules:

* the website, when there is one and it is a usable company domain, wins: it names the company
  itself, while a contact may write from a group company or a reseller;
* otherwise each contact address is trimmed, lower-cased, its host mapped to an A-label (IDN),
  and reduced to the registrable domain (``ali@mail.firma.com.tr`` → ``firma.com.tr``);
  consumer mailboxes (``rules/consumer_domains.txt``) and unusable addresses are dropped;
* several contacts resolve to their most common company domain (ties: the first seen).

The answer always says how it was derived, or why there is no domain, in plain words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from . import target as targets

Source = Literal["website", "contact_email"]


@dataclass(frozen=True, slots=True)
class CompanyDomain:
    domain: str | None
    source: Source | None
    reason: str

    def __post_init__(self) -> None:
        if (self.domain is None) != (self.source is None):
            raise ValueError("a derived domain names its source; no domain has no source")


def derive(emails: Iterable[str | None], *, website: str | None = None) -> CompanyDomain:
    """The company domain behind these contact addresses (see the module docstring)."""
    site = _website(website)
    if site is not None:
        return CompanyDomain(site, "website", f"website {website.strip()!r}")  # type: ignore[union-attr]
    found: list[str] = []
    consumer: list[str] = []
    unusable = 0
    for email in emails:
        text = (email or "").strip()
        if not text:
            continue
        parsed = targets.parse(text)
        if parsed.status == "ok" and parsed.kind == "email" and parsed.registrable_domain:
            found.append(parsed.registrable_domain)
        elif parsed.reason and parsed.reason.startswith("consumer mail domain"):
            consumer.append(_host(text))
        else:
            unusable += 1
    return _choose(found, consumer, unusable)


def _choose(found: list[str], consumer: list[str], unusable: int) -> CompanyDomain:
    dropped = _dropped(consumer, unusable)
    if not found:
        if not consumer and not unusable:
            return CompanyDomain(None, None, "no customer contact e-mail and no website")
        return CompanyDomain(None, None, f"no customer contact at a company domain ({dropped})")
    counts = Counter(found)
    best = max(counts, key=lambda d: (counts[d], -found.index(d)))
    if len(counts) == 1:
        how = f"{_plural(len(found), 'customer contact address')} at {best}"
    else:
        spread = ", ".join(f"{n} at {d}" for d, n in counts.most_common())
        how = f"most common of {len(found)} customer contact addresses ({spread})"
    return CompanyDomain(best, "contact_email", f"{how}; {dropped}" if dropped else how)


def _website(website: str | None) -> str | None:
    if not website or not website.strip():
        return None
    parsed = targets.parse(website.strip())
    if parsed.status != "ok" or parsed.kind == "email" or not parsed.registrable_domain:
        return None
    if targets.is_consumer_domain(parsed.registrable_domain):
        return None
    return parsed.registrable_domain


def _dropped(consumer: list[str], unusable: int) -> str:
    parts = []
    if consumer:
        names = ", ".join(dict.fromkeys(consumer))
        parts.append(f"{_plural(len(consumer), 'consumer mailbox', 'consumer mailboxes')} dropped ({names})")
    if unusable:
        parts.append(f"{_plural(unusable, 'unusable address', 'unusable addresses')} dropped")
    return "; ".join(parts)


def _host(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
