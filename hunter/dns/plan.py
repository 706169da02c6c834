"""Which names Hunter asks about for one domain: the fixed part of the lookup plan.

Pure.  The SPF include walk and the DMARC organisational fallback are dependent lookups and
are driven separately (see ``dns.facts`` for the walker protocol).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .facts import Answer, Query

# Probed concurrently at <selector>._domainkey.<domain> (TXT, CNAME chain followed).
DEFAULT_DKIM_SELECTORS: tuple[str, ...] = (
    "selector1", "selector2", "google", "default", "k1", "k2", "k3", "s1", "s2",
    "mail", "dkim", "zoho", "zmail",
)

# Microsoft 365 names (Exchange autodiscover, Teams/Skype, Intune/Entra enrolment).
M365_CNAMES: tuple[str, ...] = (
    "autodiscover", "lyncdiscover", "sip", "enterpriseregistration", "enterpriseenrollment", "msoid",
)
M365_SRV: tuple[str, ...] = ("_sip._tls", "_sipfederationtls._tcp")
MAIL_SRV: tuple[str, ...] = ("_autodiscover._tcp",)


def queries(domain: str, *, dkim_selectors: tuple[str, ...] = DEFAULT_DKIM_SELECTORS) -> list[Query]:
    """Every independent query for ``domain``; order is stable (it is the evidence order)."""
    plan = [
        Query(domain, "MX"),
        Query(domain, "A"),
        Query(domain, "AAAA"),
        Query(domain, "TXT"),
        Query(f"_mta-sts.{domain}", "TXT"),
        Query(f"_smtp._tls.{domain}", "TXT"),
        Query(f"default._bimi.{domain}", "TXT"),
    ]
    plan += [Query(f"{label}.{domain}", "CNAME") for label in M365_CNAMES]
    plan += [Query(f"{label}.{domain}", "SRV") for label in M365_SRV + MAIL_SRV]
    plan += [Query(f"{selector}._domainkey.{domain}", "TXT") for selector in dkim_selectors]
    return plan


def dkim_name(selector: str, domain: str) -> str:
    return f"{selector}._domainkey.{domain}"


def ip_queries(domain: str, mx_hosts: Iterable[str]) -> list[Query]:
    """A and AAAA for the names whose addresses may say where a company's servers are.

    Every MX host, the apex, ``www.<domain>`` and ``autodiscover.<domain>`` (whose addresses
    count only as ``autodiscover_counts`` says).  Order is stable; no duplicates.
    """
    names = [host.lower().rstrip(".") for host in mx_hosts] + [domain, f"www.{domain}", f"autodiscover.{domain}"]
    unique = [name for name in dict.fromkeys(names) if name]
    return [Query(name, rdtype) for name in unique for rdtype in ("A", "AAAA")]


def autodiscover_counts(cname: Answer | None, *, is_cloud: Callable[[str], bool] = lambda _: False) -> bool:
    """Whether the addresses of ``autodiscover.<domain>`` can tell anything about the company,
    judged from the answer to its CNAME query (part of the main plan).

    Not when the name does not exist (NXDOMAIN: no record of any type there, RFC 8020), not when
    that lookup failed, and not when it points at a cloud name (``is_cloud``), whose addresses
    are the provider's.
    """
    if cname is None:
        return True
    if cname.status in ("nxdomain", "error"):
        return False
    targets = cname.records or cname.cnames
    return not (targets and is_cloud(targets[0].lower().rstrip(".")))
