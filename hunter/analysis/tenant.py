"""A rough size estimate of the organisation behind a domain, from public DNS only.

Pure.  The points, counts and bands are data (``tenant_size`` in ``rules/providers.yaml``);
this module only finds the signals.  It says ``unknown`` rather than guess: below every band
the value is ``unknown``, or the catalogue's ``below_bands_with_suite`` (``small``) when
Microsoft 365 or Google Workspace is detected.  Every signal used is listed as evidence.
"""

from __future__ import annotations

from hunter.analysis import m365 as m365_signals
from hunter.analysis import transport_security
from hunter.dns.facts import DnsFacts
from hunter.model import M365, Dmarc, Gateway, Google, Spf, TenantSize
from hunter.rules import catalogue as rules
from hunter.rules.catalogue import Catalogue, TenantRules

Found = dict[str, tuple[int, str]]         # signal -> (count, detail)


def _labels(signals: list[str]) -> str:
    return ", ".join(sorted({line.split()[0] for line in signals}))


def _dmarc_enforced(dmarc: Dmarc) -> tuple[int, str]:
    enforced = dmarc.valid and dmarc.policy in ("quarantine", "reject") and (dmarc.coverage or 0) >= 100
    return (1, f"p={dmarc.policy}") if enforced else (0, "")


def _report_domain(uri: str) -> str:
    address = uri.split(":", 1)[-1].split("!", 1)[0]
    return address.rsplit("@", 1)[-1].strip().lower().rstrip(".")


def _related(one: str, other: str) -> bool:
    return one == other or one.endswith("." + other) or other.endswith("." + one)


def _dmarc_outsourced(dmarc: Dmarc, domain: str) -> tuple[int, str]:
    outside = sorted({d for d in map(_report_domain, dmarc.rua) if d and not _related(d, domain)})
    return len(outside), ", ".join(outside)


def saas_verifications(facts: DnsFacts, domain: str, prefixes: tuple[str, ...]) -> list[str]:
    """The SaaS verification prefixes found among the domain's TXT records."""
    records = [r.strip().lower() for r in facts.records(domain, "TXT")]
    return [p for p in prefixes if any(r.startswith(p.lower()) for r in records)]


def _saas(facts: DnsFacts, domain: str, tenant_rules: TenantRules) -> tuple[int, str]:
    found = saas_verifications(facts, domain, tenant_rules.saas_txt)
    return len(found), ", ".join(p.rstrip("=:._") for p in found)


def _found(facts: DnsFacts, domain: str, *, gateway: Gateway | None, spf: Spf, dmarc: Dmarc,
           tenant_rules: TenantRules) -> Found:
    teams = m365_signals.teams_signals(facts, domain)
    devices = m365_signals.device_signals(facts, domain)
    security = transport_security.evaluate(facts, domain)
    saas = _saas(facts, domain, tenant_rules)
    includes = list(dict.fromkeys(spf.includes))
    return {
        "gateway": (1, gateway.name) if gateway else (0, ""),
        "device_management": (len(devices), _labels(devices)),
        "teams": (len(teams), _labels(teams)),
        "dmarc_enforced": _dmarc_enforced(dmarc),
        "dmarc_reports_outsourced": _dmarc_outsourced(dmarc, domain),
        "saas_verifications": saas,
        "saas_verifications_many": saas,
        "spf_senders": (len(includes), f"{len(includes)} includes"),
        "mta_sts": (int(security.mta_sts), ""),
        "bimi": (int(security.bimi), ""),
    }


def _fired(found: Found, tenant_rules: TenantRules) -> list[tuple[str, int, str]]:
    fired = []
    for name, signal in tenant_rules.signals.items():
        count, detail = found.get(name, (0, ""))
        if count and count >= (signal.min_count or 1):
            fired.append((name, signal.points, signal.text.format(detail=detail)))
    names = {name for name, _, _ in fired}
    if "saas_verifications_many" in names:       # the bigger count replaces the smaller
        fired = [f for f in fired if f[0] != "saas_verifications"]
    return fired


def _band(points: int, signals: int, tenant_rules: TenantRules) -> str | None:
    for band in tenant_rules.bands:
        if points >= band.min_points and signals >= band.min_signals:
            return band.value
    return None


def _summary(points: int, signals: int, value: str, tenant_rules: TenantRules) -> str:
    bands = ", ".join(f"{b.value} {b.min_points}/{b.min_signals}" for b in tenant_rules.bands)
    return (f"Estimate from public DNS: {points} points from {signals} signals -> {value} "
            f"(bands points/signals: {bands})")


def _below_bands(suite: bool, tenant_rules: TenantRules) -> tuple[str, str]:
    if suite and tenant_rules.below_bands_with_suite == "small":
        return "small", "Only a basic Microsoft 365 / Google Workspace setup is visible: small, low confidence"
    return "unknown", "Not enough public signals to estimate the organisation's size"


def estimate(facts: DnsFacts, domain: str, *, m365: M365, google: Google, gateway: Gateway | None,
             spf: Spf, dmarc: Dmarc, catalogue: Catalogue | None = None) -> TenantSize:
    """``small``/``medium``/``large``/``enterprise`` when the DNS says enough, else ``unknown``."""
    tenant_rules = (catalogue or rules.load()).tenant
    found = _found(facts, domain, gateway=gateway, spf=spf, dmarc=dmarc, tenant_rules=tenant_rules)
    fired = _fired(found, tenant_rules)
    points = sum(p for _, p, _ in fired)
    evidence = [f"{text} (+{p})" for _, p, text in fired]
    value = _band(points, len(fired), tenant_rules)
    if value is None:
        value, line = _below_bands(m365.detected or google.detected, tenant_rules)
        evidence.append(line)
    evidence.append(_summary(points, len(fired), value, tenant_rules))
    return TenantSize(value=value, evidence=evidence)  # type: ignore[arg-type]

