"""Google Workspace signals in public DNS.

Pure.  MX, SPF and verification-TXT patterns come from the ``google`` entry of the provider
catalogue; a published ``google._domainkey`` key is Workspace's default DKIM selector.
``google-site-verification`` is listed as a signal but never detects Workspace on its own:
Search Console uses the same record.
"""

from __future__ import annotations

from hunter.analysis import dkim, mx, provider
from hunter.dns.facts import DnsFacts
from hunter.model import Google
from hunter.rules import catalogue as rules
from hunter.rules.catalogue import Catalogue

SELECTOR = "google"


def _mx_signals(facts: DnsFacts, domain: str, catalogue: Catalogue) -> list[str]:
    hosts = [h.host for h in mx.parse(facts, domain).hosts]
    return [f"MX {h}" for h in hosts if getattr(catalogue.match_mx(h), "key", None) == "google"]


def detect(facts: DnsFacts, domain: str, *, catalogue: Catalogue | None = None) -> Google:
    """Google Workspace as seen from DNS; ``catalogue`` defaults to the bundled one."""
    cat = catalogue or rules.load()
    clues = [c for c in provider.collect(facts, domain, catalogue=cat) if c.entry.key == "google"]
    strong = _mx_signals(facts, domain, cat) + [c.what for c in clues if c.source != "weak_txt"]
    if dkim.has_key(facts, domain, SELECTOR):
        strong.append(f"DKIM selector {SELECTOR} publishes a key")
    weak = [f"{c.what} (weak: also used by Search Console)" for c in clues if c.source == "weak_txt"]
    return Google(detected=bool(strong), signals=strong + weak)
