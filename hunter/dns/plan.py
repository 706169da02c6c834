"""Which names Hunter asks about for one domain, given the answers so far.

Pure.  ``queries`` is the full plan (every name any domain may need); ``Staged`` asks only what
the first answers make worth asking (docs/dns.md, "The query plan"): after the MX, the apex TXT
(SPF, verification records), ``_domainkey`` (does any DKIM selector exist at all?) and the
mail-security names; then, from what the MX and the SPF say (an ``Outlook``, worked out by
``analysis.provider.outlook`` with the catalogue), the DKIM selectors of the provider first and
the Microsoft discovery names where Microsoft 365 or hybrid Exchange is plausible (elsewhere one
name of each set Microsoft publishes, the rest once one of them points at Microsoft).  The
SPF include walk and the DMARC organisational fallback are dependent lookups driven separately
(see ``dns.facts`` for the walker protocol).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

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
# One name of each record set Microsoft 365 publishes (Exchange: autodiscover; Teams/Skype:
# lyncdiscover beside sip and the two SRV; Intune/Entra: enterpriseregistration beside
# enterpriseenrollment), asked where Microsoft 365 is not plausible from the mail records: a
# Teams or Intune footprint on a domain whose mail is elsewhere still shows (see ``Staged``).
M365_SENTINELS: tuple[str, ...] = ("autodiscover", "lyncdiscover", "enterpriseregistration")
MAIL_SRV: tuple[str, ...] = ("_autodiscover._tcp",)   # evidence only: no analysis reads it
MAIL_SECURITY: tuple[str, ...] = ("_mta-sts", "_smtp._tls", "default._bimi")   # TXT, RFC 8461/8460, BIMI

# The DKIM selectors a provider signs with (when Hunter probes them at all, see ``Staged``).
PROVIDER_SELECTORS: dict[str, tuple[str, ...]] = {
    "m365": ("selector1", "selector2"),
    "google": ("google",),
    "yandex": ("mail",),
    "zoho": ("zoho", "zmail"),
}
# Shared hosting signs with the key its control panel made: "default" in cPanel and Plesk.
HOSTING_SELECTORS: tuple[str, ...] = ("default",)


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
    judged from the answer to its CNAME query — or, where the plan did not ask that, from its
    A answer, whose CNAME chain says the same.

    Not when the name does not exist (NXDOMAIN: no record of any type there, RFC 8020), not when
    that lookup failed, and not when it points at a cloud name (``is_cloud``), whose addresses
    are the provider's.
    """
    if cname is None:
        return True
    if cname.status in ("nxdomain", "error"):
        return False
    targets = (cname.records if cname.query.rdtype == "CNAME" else ()) or cname.cnames
    return not (targets and is_cloud(targets[0].lower().rstrip(".")))


# ----------------------------------------------------------------------------- the staged plan

MailKind = Literal["suite", "hosting", "open", "none"]


@dataclass(frozen=True, slots=True)
class Outlook:
    """What the MX and the apex TXT records say about who handles a domain's mail.

    ``kind``: ``suite`` / ``hosting`` when every MX host belongs to the one catalogue entry
    ``provider`` (a cloud suite, a hosting firm); ``none`` without MX hosts; ``open`` otherwise —
    a gateway, an own or unlisted MX host, several providers, or a failed TXT lookup: the answers
    so far do not say who holds the mailboxes.  ``m365``: Microsoft 365 is plausible (its MX,
    SPF include or ``MS=`` record).  ``other_senders``: the SPF record authorises senders beyond
    the provider (an include or redirect of someone else, ``ip4``/``ip6``/``exists`` terms …).
    """

    kind: MailKind = "open"
    provider: str | None = None
    m365: bool = False
    other_senders: bool = True

    @property
    def settled(self) -> bool:
        """Whether the provider alone may settle which DKIM selectors are worth probing."""
        return self.kind in ("suite", "hosting") and not self.other_senders


class Judge(Protocol):
    """What the staged plan needs judged from the answers (``analysis`` knows how; ``dns`` must not)."""

    def outlook(self, answers: Mapping[Query, Answer], domain: str) -> Outlook:
        """The ``Outlook`` from the MX and, once answered, the apex TXT (until then the MX alone)."""

    def microsoft(self, answers: Mapping[Query, Answer], domain: str) -> bool:
        """Whether a Microsoft discovery name answered so far points at Microsoft 365."""

    def implicit_mx(self, answer: Answer) -> bool:
        """Whether an MX answer leaves mail to the A/AAAA records (no MX host, not a null MX)."""

    def dkim_found(self, answer: Answer) -> bool:
        """Whether a selector's TXT answer publishes DKIM (a key, or a CNAME delegation)."""


class Staged:
    """The staged plan of one domain: ``next(answers)`` gives the queries worth asking now.

    Each query comes out once; call ``next`` again whenever an answer arrived (``answers`` holds
    every answer so far, the SPF and DMARC walks' included) until it gives nothing and nothing is
    in flight.  The caller asks the MX first; nothing follows an NXDOMAIN or failed MX.
    """

    def __init__(self, domain: str, *, judge: Judge,
                 selectors: tuple[str, ...] = DEFAULT_DKIM_SELECTORS) -> None:
        self.domain, self.selectors, self.judge = domain, selectors, judge
        self.outlook: Outlook | None = None     # from the MX and the apex TXT, once both are in
        self.mx, self.txt = Query(domain, "MX"), Query(domain, "TXT")
        self.probe = Query(f"_domainkey.{domain}", "TXT")
        self.sentinels = [Query(f"{label}.{domain}", "CNAME") for label in M365_SENTINELS]
        self._asked: set[Query] = set()
        self._started = self._settled = False
        self._sentinels_judged = 0      # how many sentinel answers the judge has seen
        self._every_name = False        # every Microsoft discovery name is asked

    def next(self, answers: Mapping[Query, Answer]) -> list[Query]:
        """The queries not asked yet that the answers so far make worth asking."""
        mx = answers.get(self.mx)
        if mx is None or mx.status in ("error", "nxdomain"):
            return []
        wanted: list[Query] = []
        if not self._started:
            self._started = True
            early = self.judge.outlook(answers, self.domain)     # the MX may say enough already
            wanted += self._first(mx) + self._microsoft(early) + self._own_selectors(early)
        if self.outlook is None and self.txt in answers:
            self.outlook = self.judge.outlook(answers, self.domain)
            wanted += self._microsoft(self.outlook) + self._own_selectors(self.outlook)
        if self.outlook is not None and not self._settled:
            wanted += self._dkim(answers, self.outlook)
        wanted += self._after_sentinels(answers)
        fresh = [q for q in dict.fromkeys(wanted) if q not in self._asked]
        self._asked.update(fresh)
        return fresh

    def _first(self, mx: Answer) -> list[Query]:
        """Asked of every domain that exists: what the rest depends on, and what all need."""
        domain = self.domain
        first = [self.txt, self.probe, *(Query(f"{label}.{domain}", "TXT") for label in MAIL_SECURITY)]
        if self.judge.implicit_mx(mx):
            first += [Query(domain, "A"), Query(domain, "AAAA")]
        return first

    def _microsoft(self, outlook: Outlook) -> list[Query]:
        """Every discovery name where Microsoft 365 or hybrid Exchange is plausible or the answers
        do not say who holds the mailboxes; elsewhere the sentinels only (``M365_SENTINELS``)."""
        if not (outlook.m365 or outlook.kind == "open"):
            return self.sentinels
        return self._every_microsoft_name()

    def _after_sentinels(self, answers: Mapping[Query, Answer]) -> list[Query]:
        """Every discovery name once a sentinel points at Microsoft 365 (judged again only when
        a further sentinel answer holds a record)."""
        if self._every_name:
            return []
        found = [a for q in self.sentinels if (a := answers.get(q)) is not None and (a.records or a.cnames)]
        if len(found) <= self._sentinels_judged:
            return []
        self._sentinels_judged = len(found)
        return self._every_microsoft_name() if self.judge.microsoft(answers, self.domain) else []

    def _every_microsoft_name(self) -> list[Query]:
        self._every_name = True
        domain = self.domain
        return ([Query(f"{label}.{domain}", "CNAME") for label in M365_CNAMES]
                + [Query(f"{label}.{domain}", "SRV") for label in M365_SRV])

    def _dkim(self, answers: Mapping[Query, Answer], outlook: Outlook) -> list[Query]:
        """The provider's selectors first; every selector when they do not settle it."""
        probe = answers.get(self.probe)
        if probe is None:
            return []
        if probe.status == "nxdomain":          # RFC 8020: no name exists under _domainkey
            self._settled = True
            return []
        own = self._own_selectors(outlook)
        if outlook.settled and own:
            answered = [answers.get(q) for q in own]
            if any(a is None for a in answered):
                return own
            if any(self.judge.dkim_found(a) for a in answered if a is not None):
                self._settled = True
                return []
        self._settled = True
        return [self._selector(s) for s in self.selectors]

    def _own_selectors(self, outlook: Outlook) -> list[Query]:
        """The selectors of the provider the MX names, and Microsoft's where it is plausible
        (they reveal the tenant; asked whatever ``_domainkey`` says, against servers that
        answer NXDOMAIN for an empty non-terminal)."""
        own = HOSTING_SELECTORS if outlook.kind == "hosting" else PROVIDER_SELECTORS.get(outlook.provider or "", ())
        if outlook.m365:
            own += PROVIDER_SELECTORS["m365"]
        return [self._selector(s) for s in self.selectors if s in own]

    def _selector(self, selector: str) -> Query:
        return Query(dkim_name(selector, self.domain), "TXT")
