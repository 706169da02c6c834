"""The analysis object of ``shared/CONTRACT.md`` and its parts: frozen Pydantic models.

One shape always: a missing value is ``None`` or ``[]``, never a missing key.  The JSON
Schema in ``hunter/analysis.schema.json`` is generated from ``Analysis``
(``hunter schema``) and checked against it in the tests.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["ok", "no_mx", "null_mx", "nxdomain", "dns_error", "invalid"]
ProviderKind = Literal["cloud_suite", "local_hosting", "hosting", "self_hosted", "none", "unknown"]
Confidence = Literal["high", "medium", "low", "none"]
TenantSizeValue = Literal["small", "medium", "large", "enterprise", "unknown"]
Priority = Literal["P1", "P2", "P3", "P4", "P5", "P6"]


class Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_serialization_defaults_required=True)


class MxHost(Part):
    host: str
    preference: int = Field(ge=0, le=65535)


class Provider(Part):
    key: str
    name: str
    kind: ProviderKind
    confidence: Confidence
    evidence: list[str] = []


class Gateway(Part):
    key: str
    name: str
    evidence: list[str] = []


class Spf(Part):
    present: bool = False
    valid: bool = False
    record: str | None = None
    all: Literal["-all", "~all", "?all", "+all"] | None = None
    lookups: int = 0
    void_lookups: int = 0
    includes: list[str] = []
    error: str | None = None


class Dmarc(Part):
    present: bool = False
    valid: bool = False
    record: str | None = None
    policy: Literal["none", "quarantine", "reject"] | None = None
    subdomain_policy: Literal["none", "quarantine", "reject"] | None = None
    pct: int | None = None
    coverage: int | None = None
    rua: list[str] = []
    ruf: list[str] = []
    adkim: Literal["r", "s"] | None = None
    aspf: Literal["r", "s"] | None = None
    source: Literal["domain", "organizational"] | None = None
    errors: list[str] = []


class Dkim(Part):
    present: bool = False
    selectors: list[str] = []
    evidence: list[str] = []


class M365(Part):
    detected: bool = False
    tenant: str | None = None
    signals: list[str] = []


class Google(Part):
    detected: bool = False
    signals: list[str] = []


class MailSecurity(Part):
    """Presence of the newer mail-transport protections."""

    mta_sts: bool = False
    tls_rpt: bool = False
    bimi: bool = False
    evidence: list[str] = []


class TenantSize(Part):
    value: TenantSizeValue = "unknown"
    evidence: list[str] = []


class Reason(Part):
    code: str
    points: int
    text: str


class DnsError(Part):
    """One query that failed after retries and fallback: what, and each resolver's error."""

    name: str
    rdtype: str
    errors: list[str] = []


class Evidence(Part):
    """The raw material behind the verdict, so any score can be explained and re-derived."""

    records: dict[str, list[str]] = {}     # "name TYPE" -> record texts (incl. CNAME chains)
    dns_errors: list[DnsError] = []
    resolvers: list[str] = []
    rules_version: str | None = None


class IpInfo(Part):
    """One IP address behind the domain, the roles it plays, and what the offline IP databases
    say of it (null when unknown; ``special`` labels private/documentation/… addresses, which
    are never looked up)."""

    ip: str
    roles: list[Literal["mail", "web", "autodiscover", "own_server"]] = []
    hosts: list[str] = []                    # the names that resolved to it
    special: str | None = None
    country_code: str | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    asn: int | None = None
    as_org: str | None = None
    isp: str | None = None
    is_datacenter: bool | None = None
    is_residential: bool | None = None
    is_proxy: bool | None = None
    is_vpn: bool | None = None
    is_tor: bool | None = None
    sources: list[str] = []


class Infrastructure(Part):
    ips: list[IpInfo] = []
    summary_en: str | None = None
    summary_tr: str | None = None


class Analysis(Part):
    domain: str | None
    input: str
    status: Status
    reason: str | None = None                # why status is not ok (invalid input, DNS failure)
    registrable_domain: str | None = None
    mx: list[MxHost] = []
    mx_fallback_a: bool = False              # no MX but A/AAAA at the name (RFC 5321 implicit MX)
    provider: Provider
    local_provider: str | None = None
    gateway: Gateway | None = None
    spf: Spf = Spf()
    dmarc: Dmarc = Dmarc()
    dkim: Dkim = Dkim()
    m365: M365 = M365()
    google: Google = Google()
    mail_security: MailSecurity = MailSecurity()
    tenant_size: TenantSize = TenantSize()
    score: int | None = None
    segment: str | None = None
    priority: Priority | None = None
    priority_label: str | None = None
    reasons: list[Reason] = []
    infrastructure_summary: str | None = None   # = infrastructure.summary_en, when enrichment is on
    infrastructure: Infrastructure | None = None
    evidence: Evidence = Evidence()
    analysed_at: str | None = None           # ISO 8601 UTC
    rules_version: str | None = None
