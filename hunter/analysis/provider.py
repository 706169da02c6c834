"""Who hosts a company's mailboxes, and which security gateway sits in front.

Pure.  The MX decides when it names a provider.  A gateway in the MX never hides the
provider: it is then found from the other evidence the catalogue knows (SPF includes,
autodiscover CNAME, DKIM CNAMEs, verification TXT), weighted into a confidence.  An MX under
the company's own domain is an own server, unless a hosting firm's SPF says whose server it is.
Every verdict carries human-readable evidence lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hunter.analysis import dkim, mx
from hunter.dns import plan
from hunter.dns.facts import DnsFacts
from hunter.model import M365, Confidence, Gateway, Google, MxHost, Provider, Spf
from hunter.rules.catalogue import Catalogue, Entry

# Weight of one kind of clue; per entry only the strongest clue of each kind counts.
WEIGHTS = {"autodiscover": 3, "dkim": 3, "spf": 2, "txt": 2, "weak_txt": 1, "signals": 1}
_STEP_DOWN: dict[Confidence, Confidence] = {"high": "medium", "medium": "low", "low": "low", "none": "none"}


@dataclass(frozen=True, slots=True)
class ProviderVerdict:
    provider: Provider
    local_provider: str | None = None
    gateway: Gateway | None = None


@dataclass(frozen=True, slots=True)
class Clue:
    """One piece of non-MX evidence pointing at a catalogue entry."""

    entry: Entry
    source: str          # a key of WEIGHTS
    what: str            # e.g. "SPF includes spf.protection.outlook.com"

    @property
    def weight(self) -> int:
        return WEIGHTS[self.source]

    @property
    def text(self) -> str:
        role = ", gateway" if self.entry.kind == "gateway" else ""
        weak = "; weak evidence" if self.source == "weak_txt" else ""
        return f"{self.what} ({self.entry.name}{role}{weak})"


# ------------------------------------------------------------------ reading the facts

def spf_targets(facts: DnsFacts, domain: str) -> list[str]:
    """``include:`` and ``redirect=`` targets of the domain's own SPF record (top level only)."""
    records = [r for r in facts.records(domain, "TXT") if r.lower().startswith("v=spf1")]
    targets = []
    for term in " ".join(records).split():
        name, sep, value = term.lower().lstrip("+-~?").partition(":" if ":" in term else "=")
        if sep and name in ("include", "redirect") and value:
            targets.append(value.rstrip("."))
    return targets


def cname_targets(facts: DnsFacts, name: str) -> list[str]:
    """CNAME targets of ``name`` (records of a CNAME query, else the chain followed)."""
    found = facts.records(name, "CNAME") or facts.cnames(name, "CNAME")
    return [target.rstrip(".").lower() for target in found]


def _short(record: str, keep: int = 40) -> str:
    return record if len(record) <= keep else record[:keep] + "…"


def _spf_clues(includes: Sequence[str], catalogue: Catalogue) -> list[Clue]:
    hits = ((catalogue.match_include(target), target) for target in includes)
    return [Clue(entry, "spf", f"SPF includes {target}") for entry, target in hits if entry]


def autodiscover_clues(facts: DnsFacts, domain: str, catalogue: Catalogue) -> list[Clue]:
    """The catalogue entries the autodiscover CNAME points into (weight 3 each)."""
    hits = ((catalogue.match_autodiscover(t), t) for t in cname_targets(facts, f"autodiscover.{domain}"))
    return [Clue(entry, "autodiscover", f"autodiscover CNAME {t}") for entry, t in hits if entry]


def _dkim_clues(facts: DnsFacts, domain: str, catalogue: Catalogue) -> list[Clue]:
    clues = []
    for selector, targets in dkim.cname_chains(facts, domain):
        entry = catalogue.match_dkim(targets[-1])
        if entry is not None:
            clues.append(Clue(entry, "dkim", f"DKIM {selector} CNAME {targets[-1]}"))
    return clues


def _txt_clues(facts: DnsFacts, domain: str, catalogue: Catalogue) -> list[Clue]:
    clues = []
    for record in facts.records(domain, "TXT"):
        hit = catalogue.match_txt(record)
        if hit is not None:
            source = "weak_txt" if hit.weak else "txt"
            clues.append(Clue(hit.entry, source, f"TXT {_short(record)}"))
    return clues


def collect(facts: DnsFacts, domain: str, *, catalogue: Catalogue,
            spf_includes: Sequence[str] | None = None) -> list[Clue]:
    """Every non-MX clue the catalogue recognises; SPF targets read from facts when not given."""
    includes = spf_targets(facts, domain) if spf_includes is None else spf_includes
    return [
        *_spf_clues(includes, catalogue),
        *autodiscover_clues(facts, domain, catalogue),
        *_dkim_clues(facts, domain, catalogue),
        *_txt_clues(facts, domain, catalogue),
    ]


# ------------------------------------------------------------------ weighing clues

@dataclass(frozen=True, slots=True)
class Weighed:
    entry: Entry
    points: int
    kinds: int
    clues: tuple[Clue, ...]

    @property
    def confidence(self) -> Confidence:
        if self.points >= 5 and self.kinds >= 2:
            return "high"
        return "medium" if self.points >= 2 else "low"


def weigh(clues: Sequence[Clue], entry: Entry) -> Weighed:
    mine = tuple(c for c in clues if c.entry.key == entry.key)
    best: dict[str, int] = {}
    for clue in mine:
        best[clue.source] = max(best.get(clue.source, 0), clue.weight)
    return Weighed(entry, sum(best.values()), len(best), mine)


def best_provider(clues: Sequence[Clue]) -> Weighed | None:
    """The non-gateway entry with most points (first seen wins a tie)."""
    entries = {c.entry.key: c.entry for c in clues if c.entry.kind != "gateway"}
    weighed = [weigh(clues, entry) for entry in entries.values()]
    return max(weighed, key=lambda w: w.points, default=None)


def _suite_clues(clues: list[Clue], m365: M365, google: Google, catalogue: Catalogue) -> list[Clue]:
    """Add the detectors' own signals for a suite the catalogue clues did not already show."""
    extra = []
    for key, model in (("m365", m365), ("google", google)):
        entry = catalogue.get(key)
        if entry and model.detected and model.signals and not any(c.entry.key == key for c in clues):
            extra.append(Clue(entry, "signals", "DNS signals: " + "; ".join(model.signals[:3])))
    return clues + extra


# ------------------------------------------------------------------ the verdict

_SELF = ("self_hosted", "Own mail server", "self_hosted")
_NONE = ("none", "No mail", "none")
_UNKNOWN = ("unknown", "Unknown", "unknown")


def _made(who: Entry | tuple[str, str, str], confidence: Confidence, evidence: list[str]) -> Provider:
    key, name, kind = (who.key, who.name, who.kind) if isinstance(who, Entry) else who
    return Provider(key=key, name=name, kind=kind, confidence=confidence, evidence=evidence)  # type: ignore[arg-type]


def _is_own(host: str, own: str) -> bool:
    return host == own or host.endswith("." + own)


def _label(entry: Entry | None, host: str, own: str) -> str:
    if entry is not None:
        return entry.name + (" (gateway)" if entry.kind == "gateway" else "")
    if _is_own(host, own):
        return f"under the company's own domain {own}"
    return "not in the catalogue"


def _more(count: int) -> str:
    if count == 0:
        return ""
    return ", as is 1 more MX host" if count == 1 else f", as are {count} more MX hosts"


def _mx_lines(matches: Sequence[tuple[MxHost, Entry | None]], own: str) -> list[str]:
    groups: dict[str, list[str]] = {}
    for host, entry in matches:
        groups.setdefault(_label(entry, host.host, own), []).append(host.host)
    lines = []
    for label, hosts in groups.items():
        more = _more(len(hosts) - 1)
        lines.append(f"MX {hosts[0]} is {label}{more}")
    return lines


def _clue_lines(clues: Sequence[Clue], chosen: str | None, m365: M365) -> list[str]:
    lines = [c.text for c in clues if c.entry.key == chosen]
    if chosen == "m365" and m365.tenant:
        lines.append(f"Microsoft 365 tenant {m365.tenant}")
    others = [c for c in clues if c.entry.key != chosen]
    lines += [f"Also seen: {c.text}" for c in others]
    suites = {c.entry.name for c in others if c.entry.kind != "gateway" and c.source != "weak_txt"}
    if chosen is not None and suites:
        lines.append(f"Mixed setup: {', '.join(sorted(suites))} also configured; the MX decides the provider")
    return lines


def _gateway(matches: list[tuple[MxHost, Entry | None]], own: str) -> Gateway | None:
    entry = next((e for _, e in matches if e is not None and e.kind == "gateway"), None)
    if entry is None:
        return None
    mine = [(h, e) for h, e in matches if e is not None and e.key == entry.key]
    return Gateway(key=entry.key, name=entry.name, evidence=_mx_lines(mine, own))


def _from_mx(entry: Entry, lines: list[str], clues: Sequence[Clue], m365: M365) -> Provider:
    return _made(entry, "high", lines + _clue_lines(clues, entry.key, m365))


def _behind_gateway(gateway: Gateway, has_own: bool, lines: list[str],
                    clues: Sequence[Clue], m365: M365) -> Provider:
    found = best_provider(clues)
    if found is not None:
        count = len(found.clues)
        note = f"Provider behind {gateway.name} inferred from {count} other record{'s' if count > 1 else ''}"
        return _made(found.entry, found.confidence, lines + _clue_lines(clues, found.entry.key, m365) + [note])
    if has_own:
        return _own_server(lines, clues, m365)
    note = f"No evidence of the mailbox provider behind {gateway.name}"
    return _made(_UNKNOWN, "low", [*lines, note, *_clue_lines(clues, None, m365)])


def _own_server(lines: list[str], clues: Sequence[Clue], m365: M365) -> Provider:
    found = best_provider(clues)
    if found is not None and found.entry.kind in ("local_hosting", "hosting") and found.points >= 2:
        name = found.entry.name
        note = f"Own-domain MX with {name} in SPF: the mail server is probably hosted at {name}"
        return _made(found.entry, "medium", lines + _clue_lines(clues, found.entry.key, m365) + [note])
    evidence = lines + _clue_lines(clues, None, m365)
    if m365.detected or any(c.entry.key == "m365" for c in clues):
        evidence.append("Microsoft 365 evidence beside an own MX: likely hybrid Exchange "
                        "(on-premises server in front of Exchange Online)")
    return _made(_SELF, "medium", evidence)


def _unlisted(lines: list[str], clues: Sequence[Clue], m365: M365) -> Provider:
    found = best_provider(clues)
    if found is not None and found.points >= 2:
        note = "MX host not in the catalogue (an unlisted gateway or relay?): provider inferred from other records"
        evidence = lines + _clue_lines(clues, found.entry.key, m365) + [note]
        return _made(found.entry, _STEP_DOWN[found.confidence], evidence)
    return _made(_UNKNOWN, "low", lines + _clue_lines(clues, None, m365))


def _without_mx(facts: DnsFacts, domain: str, clues: Sequence[Clue], m365: M365) -> Provider:
    seen = _clue_lines(clues, None, m365)
    result = mx.parse(facts, domain)
    if result.status == "dns_error":
        return _made(_UNKNOWN, "none", ["MX lookup failed (DNS error)", *seen])
    if result.status == "nxdomain":
        return _made(_NONE, "high", ["The domain does not exist (NXDOMAIN)"])
    if result.null_mx:
        return _made(_NONE, "high", ["Null MX (RFC 7505): the domain declares it accepts no mail", *seen])
    if result.fallback_a:
        line = ("No MX record: mail would fall back to the domain's A/AAAA address "
                "(RFC 5321 implicit MX), usually a web server")
        return _made(_NONE, "low", [line, *seen])
    return _made(_NONE, "high", ["No MX and no A/AAAA record: the domain cannot receive mail", *seen])


def _includes(spf: Spf, facts: DnsFacts, domain: str) -> list[str]:
    return list(dict.fromkeys([*spf.includes, *spf_targets(facts, domain)]))


def _with_mx(matches: list[tuple[MxHost, Entry | None]], clues: Sequence[Clue], *, own: str,
             gateway: Gateway | None, m365: M365) -> Provider:
    lines = _mx_lines(matches, own)
    suite = next((e for _, e in matches if e is not None and e.kind != "gateway"), None)
    if suite is not None:
        return _from_mx(suite, lines, clues, m365)
    has_own = any(e is None and _is_own(h.host, own) for h, e in matches)
    if gateway is not None:
        return _behind_gateway(gateway, has_own, lines, clues, m365)
    if has_own:
        return _own_server(lines, clues, m365)
    return _unlisted(lines, clues, m365)


def classify(facts: DnsFacts, *, domain: str, mx_hosts: Sequence[MxHost], spf: Spf, m365: M365,
             google: Google, catalogue: Catalogue, registrable_domain: str | None = None) -> ProviderVerdict:
    """The provider behind the MX (behind any gateway), the local firm's name and the gateway."""
    clues = collect(facts, domain, catalogue=catalogue, spf_includes=_includes(spf, facts, domain))
    clues = _suite_clues(clues, m365, google, catalogue)
    if not mx_hosts:
        return ProviderVerdict(_without_mx(facts, domain, clues, m365))
    own = registrable_domain or domain
    matches = [(host, catalogue.match_mx(host.host)) for host in mx_hosts]
    gateway = _gateway(matches, own)
    provider = _with_mx(matches, clues, own=own, gateway=gateway, m365=m365)
    local = provider.name if provider.kind == "local_hosting" else None
    return ProviderVerdict(provider, local, gateway)


# ------------------------------------------------------------------ what the plan needs first

_SENDER_TERMS = ("ip4", "ip6", "exists")     # servers or services that may sign with any selector


def _spf_terms(facts: DnsFacts, domain: str) -> list[tuple[str, str]]:
    """(term name, value) of the domain's own SPF record(s), qualifiers dropped, lower-case."""
    records = [r for r in facts.records(domain, "TXT") if r.lower().startswith("v=spf1")]
    terms = []
    for term in " ".join(records).lower().split():
        name, _, value = term.lstrip("+-~?").partition(":" if ":" in term else "=")
        terms.append((name, value.rstrip(".")))
    return terms


def _other_senders(facts: DnsFacts, domain: str, provider: str | None, m365: bool,
                   catalogue: Catalogue) -> bool:
    """Whether the SPF authorises a sender beyond ``provider`` (and Microsoft 365 when plausible)."""
    mine = {provider, "m365" if m365 else None} - {None}
    for name, value in _spf_terms(facts, domain):
        if name in _SENDER_TERMS:
            return True
        if name in ("include", "redirect") and value:
            entry = catalogue.match_include(value) or catalogue.match_mx(value)
            if entry is None or entry.key not in mine:
                return True
    return False


def _m365_hint(facts: DnsFacts, domain: str, catalogue: Catalogue) -> bool:
    """Microsoft 365 named by the SPF (an include or redirect) or a verification TXT (``MS=``)."""
    if any(getattr(catalogue.match_include(t), "key", None) == "m365" for t in spf_targets(facts, domain)):
        return True
    entry = catalogue.get("m365")
    prefixes = tuple(p.lower() for p in entry.txt + entry.weak_txt) if entry is not None else ()
    return any(r.strip().lower().startswith(prefixes) for r in facts.records(domain, "TXT")) if prefixes else False


def outlook(facts: DnsFacts, domain: str, *, catalogue: Catalogue) -> plan.Outlook:
    """What the MX and the apex TXT say about the mail, for the staged query plan (``dns.plan``).

    Before the TXT answer is in, from the MX alone.  A failed TXT lookup says nothing: ``open``.
    """
    hosts = mx.parse(facts, domain).hosts
    entries = [catalogue.match_mx(host.host) for host in hosts]
    txt = facts.get(domain, "TXT")
    m365 = any(getattr(e, "key", None) == "m365" for e in entries) or _m365_hint(facts, domain, catalogue)
    keys = {e.key for e in entries if e is not None}
    if not hosts:
        kind, provider = "none", None
    elif None in entries or any(e.kind == "gateway" for e in entries if e) or len(keys) != 1 or (txt and txt.failed):
        kind, provider = "open", None
    else:
        first = entries[0]
        assert first is not None
        kind = "suite" if first.kind == "cloud_suite" else "hosting"
        provider = first.key
    senders = txt is None or _other_senders(facts, domain, provider, m365, catalogue)
    return plan.Outlook(kind=kind, provider=provider, m365=m365, other_senders=senders)  # type: ignore[arg-type]
