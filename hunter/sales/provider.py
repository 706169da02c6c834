"""What the provider evidence says, in the salesperson's language.  Pure.

Names (provider, hosting firm, gateway, tenant, MX hosts) come from the analysis; the kinds of
evidence behind the verdict are read from the first words of the evidence lines.
"""

from __future__ import annotations

from ..model import Analysis
from . import angle as angles
from .angle import Angle
from .texts import Lang, domain_name, phrase

# First words of an evidence line (hunter/analysis/provider.py) -> the kind of record it cites.
EVIDENCE_KINDS = (
    ("mx ", "mx"),
    ("spf includes", "spf"),
    ("autodiscover", "autodiscover"),
    ("dkim", "dkim"),
    ("txt", "txt"),
    ("dns signals", "signals"),
    ("microsoft 365 tenant", "tenant"),
)
_MX_SHOWN = 3


def display_name(analysis: Analysis, lang: Lang) -> str:
    """The provider's name, or a description when it has none (own server, unidentified)."""
    kind = analysis.provider.kind
    return phrase(lang, f"where.{kind}") if kind in ("self_hosted", "unknown", "none") else analysis.provider.name


def describe(analysis: Analysis, angle: Angle, lang: Lang) -> str:
    """A short paragraph: who hosts the mail, how sure we are, and what stands in front of it."""
    if angle in ("invalid", "dns_error", "nxdomain", "no_mail"):
        domain = domain_name(analysis.domain, analysis.input)
        return phrase(lang, _status_key(analysis, angle), domain=domain)
    return " ".join(_lines(analysis, lang))


def _status_key(analysis: Analysis, angle: Angle) -> str:
    if angle != "no_mail":
        return f"provider.status.{angle}"
    if analysis.status == "null_mx":
        return "provider.status.null_mx"
    return "provider.status.no_mx_fallback" if analysis.mx_fallback_a else "provider.status.no_mx"


def _lines(analysis: Analysis, lang: Lang) -> list[str]:
    found = analysis.provider
    conf = phrase(lang, f"conf.{found.confidence}")
    lines = [phrase(lang, f"provider.{found.kind}", provider=found.name, conf=conf)]
    lines += _gateway(analysis, lang)
    if angles.is_hybrid(analysis):
        lines.append(phrase(lang, "provider.hybrid"))
    lines += _names(analysis, lang)
    lines += _basis(analysis, lang)
    return lines


def _gateway(analysis: Analysis, lang: Lang) -> list[str]:
    if analysis.gateway is None:
        return []
    known = analysis.provider.kind != "unknown"
    key = "provider.gateway_known" if known else "provider.gateway_unknown"
    return [phrase(lang, key, gateway=analysis.gateway.name)]


def _names(analysis: Analysis, lang: Lang) -> list[str]:
    lines = []
    if analysis.m365.tenant:
        lines.append(phrase(lang, "provider.tenant", tenant=analysis.m365.tenant))
    elif analysis.m365.detected and analysis.provider.key != "m365" and not angles.is_hybrid(analysis):
        lines.append(phrase(lang, "provider.m365_traces"))
    if analysis.google.detected and analysis.provider.key != "google":
        lines.append(phrase(lang, "provider.google_traces"))
    if analysis.local_provider and analysis.local_provider != analysis.provider.name:
        lines.append(phrase(lang, "provider.local", local=analysis.local_provider))
    return lines


def _basis(analysis: Analysis, lang: Lang) -> list[str]:
    lines = []
    hosts = [h.host for h in sorted(analysis.mx, key=lambda h: h.preference)][:_MX_SHOWN]
    if hosts:
        lines.append(phrase(lang, "provider.mx", hosts=", ".join(hosts)))
    kinds = evidence_kinds(analysis.provider.evidence)
    if kinds:
        names = ", ".join(phrase(lang, f"evidence.{k}") for k in kinds)
        lines.append(phrase(lang, "provider.basis", kinds=names))
    return lines


def evidence_kinds(evidence: list[str]) -> list[str]:
    """The kinds of record the evidence lines cite, in order, each once ("Also seen" skipped)."""
    kinds: list[str] = []
    for line in evidence:
        lowered = line.lower()
        kind = next((k for start, k in EVIDENCE_KINDS if lowered.startswith(start)), None)
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds
