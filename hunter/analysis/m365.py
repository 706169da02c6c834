"""Microsoft 365 signals in public DNS, and the tenant's initial ``*.onmicrosoft.com`` name.

Pure.  Exchange Online evidence (MX, SPF, autodiscover, ``MS=`` TXT, DKIM CNAMEs) comes from
the ``m365`` entry of the provider catalogue; the Microsoft-only names (Teams/Skype, Entra
device registration, Intune enrolment, msoid) are listed here.  The tenant is read from the
DKIM CNAME target ``selector1-<domain-dashed>._domainkey.<tenant>.onmicrosoft.com`` (or the
newer ``….<tenant>.<x>-v1.dkim.mail.microsoft`` form).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from hunter.analysis import dkim, mx, provider
from hunter.dns.facts import DnsFacts
from hunter.model import M365
from hunter.rules import catalogue as rules
from hunter.rules.catalogue import Catalogue, label_match

# name in front of the domain -> (CNAME target patterns, what it means)
CnameTable = Mapping[str, tuple[tuple[str, ...], str]]
TEAMS_CNAMES: CnameTable = {
    "lyncdiscover": (("lync.com",), "Teams/Skype for Business"),
    "sip": (("lync.com",), "Teams/Skype for Business"),
}
DEVICE_CNAMES: CnameTable = {
    "enterpriseregistration": (("enterpriseregistration.windows.net",), "Entra ID device registration"),
    "enterpriseenrollment": (("manage.microsoft.com",), "Intune enrolment"),
}
OTHER_CNAMES: CnameTable = {
    "msoid": (("microsoftonline-p.net", "microsoftonline.com"), "Microsoft 365 sign-in"),
}
TEAMS_SRV = ("_sip._tls", "_sipfederationtls._tcp")

_TENANT = (
    re.compile(r"^selector[12]-[a-z0-9-]+\._domainkey\.([a-z0-9-]+)\.onmicrosoft\.com$"),
    re.compile(r"^selector[12]-[a-z0-9-]+\._domainkey\.([a-z0-9-]+)\.[a-z0-9-]+\.dkim\.mail\.microsoft$"),
)


def tenant_from_dkim(target: str) -> str | None:
    """``selector1-x-com._domainkey.contoso.onmicrosoft.com`` -> ``contoso.onmicrosoft.com``."""
    target = target.lower().rstrip(".")
    for pattern in _TENANT:
        match = pattern.match(target)
        if match:
            return f"{match.group(1)}.onmicrosoft.com"
    return None


def tenant(facts: DnsFacts, domain: str) -> str | None:
    """The initial tenant name revealed by a DKIM CNAME, if any."""
    for _, targets in dkim.cname_chains(facts, domain):
        found = tenant_from_dkim(targets[-1])
        if found:
            return found
    return None


def _cname_signals(facts: DnsFacts, domain: str, table: CnameTable) -> list[str]:
    signals = []
    for label, (patterns, meaning) in table.items():
        for target in provider.cname_targets(facts, f"{label}.{domain}"):
            if any(label_match(target, p) for p in patterns):
                signals.append(f"{label} CNAME {target} ({meaning})")
    return signals


def _srv_signals(facts: DnsFacts, domain: str) -> list[str]:
    signals = []
    for label in TEAMS_SRV:
        for record in facts.records(f"{label}.{domain}", "SRV"):
            target = record.split()[-1].rstrip(".").lower()
            if label_match(target, "lync.com"):
                signals.append(f"{label} SRV {target} (Teams/Skype for Business)")
    return signals


def teams_signals(facts: DnsFacts, domain: str) -> list[str]:
    """Teams / Skype for Business Online records (lyncdiscover, sip, SIP SRV)."""
    return _cname_signals(facts, domain, TEAMS_CNAMES) + _srv_signals(facts, domain)


def device_signals(facts: DnsFacts, domain: str) -> list[str]:
    """Entra ID device registration and Intune enrolment records."""
    return _cname_signals(facts, domain, DEVICE_CNAMES)


def discovery_seen(facts: DnsFacts, domain: str, *, catalogue: Catalogue) -> bool:
    """Whether any Microsoft discovery name answered so far points at Microsoft 365: an
    autodiscover CNAME into Exchange Online, a Teams/Skype, device or sign-in record.  The
    staged query plan asks the rest of those names only then (``dns.plan``, the sentinels)."""
    return (any(clue.entry.key == "m365" for clue in provider.autodiscover_clues(facts, domain, catalogue))
            or bool(teams_signals(facts, domain) or device_signals(facts, domain)
                    or _cname_signals(facts, domain, OTHER_CNAMES)))


def _mail_signals(facts: DnsFacts, domain: str, catalogue: Catalogue) -> list[str]:
    hosts = [h.host for h in mx.parse(facts, domain).hosts]
    signals = [f"MX {h} (Exchange Online)" for h in hosts if _is_m365(catalogue.match_mx(h))]
    clues = provider.collect(facts, domain, catalogue=catalogue)
    return signals + [c.what for c in clues if c.entry.key == "m365"]


def _is_m365(entry: rules.Entry | None) -> bool:
    return entry is not None and entry.key == "m365"


def detect(facts: DnsFacts, domain: str, *, catalogue: Catalogue | None = None) -> M365:
    """Microsoft 365 as seen from DNS; ``catalogue`` defaults to the bundled one."""
    cat = catalogue or rules.load()
    signals = [
        *_mail_signals(facts, domain, cat),
        *teams_signals(facts, domain),
        *device_signals(facts, domain),
        *_cname_signals(facts, domain, OTHER_CNAMES),
    ]
    return M365(detected=bool(signals), tenant=tenant(facts, domain), signals=signals)
