"""Where a company's servers are: the roles of its IP addresses and one sentence per language.

Pure.  ``locate`` reads the A/AAAA answers of ``dns.plan.ip_queries`` and gives each distinct
address its roles (mail, web, autodiscover, own_server) and the names that led to it.
``build`` joins them with what the offline IP databases said (plain dicts, as cached) into the
``Infrastructure`` part, whose sentences come only from those facts and the provider verdict.

A mail provider's or gateway's addresses are never reported as the company's location: mail
addresses count as the company's own only when the MX host lies under its own domain (and its
CNAME chain stays there) and the provider verdict does not place that server at a hosting firm.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hunter.analysis.infrastructure_text import (
    FLAGS, KINDS, NETWORK_OWNERS, SPECIAL, SUBJECTS, TEMPLATES, Lang, city_name, country_name, locative,
)
from hunter.dns.facts import DnsFacts, Query
from hunter.model import Gateway, Infrastructure, IpInfo, Provider

ROLE_ORDER = ("mail", "web", "autodiscover", "own_server")
# Networks whose address in front of a website means "behind a CDN" (matched in the AS org / ISP).
CDN_NETWORKS: tuple[str, ...] = ("Cloudflare", "Akamai", "Fastly", "CloudFront", "Amazon")
MAIL_PLATFORM_KINDS = ("cloud_suite", "hosting", "local_hosting")
# An own-domain MX host is the hosting firm's server when the verdict names a hosting firm.
HOSTING_KINDS = ("hosting", "local_hosting")
FACT_FIELDS: tuple[str, ...] = tuple(f for f in IpInfo.model_fields if f not in ("ip", "roles", "hosts"))
_SUBJECT_ORDER = ("web+own_mail", "web", "own_mail", "own_autodiscover")
_KNOWN = ("country_code", "country", "city", "asn", "as_org", "isp")
_RAISED = ("is_datacenter", "is_residential", "is_proxy", "is_vpn", "is_tor")


@dataclass(frozen=True, slots=True)
class Address:
    """One distinct IP address behind the domain, its roles and the names resolving to it."""

    ip: str
    roles: tuple[str, ...]
    hosts: tuple[str, ...]


# ------------------------------------------------------------------ roles

def is_own(name: str, own: str) -> bool:
    return name == own or name.endswith("." + own)


def name_roles(name: str, *, domain: str, own: str, mx_hosts: Iterable[str],
               chain: Sequence[str] = ()) -> set[str]:
    """The roles of the addresses of ``name``; own_server when a mail or autodiscover name lies
    under the company's own domain and its CNAME chain (if any) never leaves it."""
    roles = set()
    if name in mx_hosts:
        roles.add("mail")
    if name == domain or name == f"www.{domain}":
        roles.add("web")
    if name == f"autodiscover.{domain}":
        roles.add("autodiscover")
    if roles & {"mail", "autodiscover"} and all(is_own(n, own) for n in (name, *chain)):
        roles.add("own_server")
    return roles


def locate(facts: DnsFacts, queries: Iterable[Query], *, domain: str, own: str,
           mx_hosts: Sequence[str]) -> list[Address]:
    """Each distinct address once, in query order, with its roles merged and its names listed."""
    found: dict[str, tuple[set[str], list[str]]] = {}
    mail = frozenset(mx_hosts)
    for query in queries:
        answer = facts.answers.get(query)
        if answer is None or not answer.ok:
            continue
        chain = [c.rstrip(".").lower() for c in answer.cnames]
        roles = name_roles(query.name, domain=domain, own=own, mx_hosts=mail, chain=chain)
        for ip in _addresses(answer.records):
            merged, hosts = found.setdefault(ip, (set(), []))
            merged |= roles
            if query.name not in hosts:
                hosts.append(query.name)
    return [Address(ip, tuple(r for r in ROLE_ORDER if r in roles), tuple(hosts))
            for ip, (roles, hosts) in found.items()]


def _addresses(records: Iterable[str]) -> list[str]:
    out = []
    for record in records:
        ip = _canonical_ip(record)
        if ip is not None:
            out.append(ip)
    return out


@lru_cache(maxsize=8192)
def _canonical_ip(record: str) -> str | None:
    """An A/AAAA record's text as the canonical address (IPv6 compressed), None when not one."""
    try:
        return ipaddress.ip_address(record.strip()).compressed
    except ValueError:
        return None


# ------------------------------------------------------------------ facts

def fact_values(found: object | None) -> dict[str, Any]:
    """The ``IpInfo`` fields of an adapter's answer as a plain dict (what the cache keeps)."""
    if found is None:
        return {}
    values = {name: getattr(found, name, None) for name in FACT_FIELDS}
    values["sources"] = list(values.get("sources") or ())
    return values


def ip_info(address: Address, found: Mapping[str, Any] | None) -> IpInfo:
    values = {k: v for k, v in (found or {}).items() if k in FACT_FIELDS and v is not None}
    return IpInfo(ip=address.ip, roles=list(address.roles), hosts=list(address.hosts), **values)


def build(addresses: Sequence[Address], found: Mapping[str, Mapping[str, Any] | None], *,
          provider: Provider | None, gateway: Gateway | None) -> Infrastructure:
    ips = [ip_info(a, found.get(a.ip)) for a in addresses]
    return Infrastructure(
        ips=ips,
        summary_en=summarise(ips, provider=provider, gateway=gateway, lang="en"),
        summary_tr=summarise(ips, provider=provider, gateway=gateway, lang="tr"),
    )


# ------------------------------------------------------------------ the sentence

def summarise(ips: Sequence[IpInfo], *, provider: Provider | None, gateway: Gateway | None,
              lang: Lang) -> str | None:
    """One sentence on where the mail runs and where the company's own servers are; ``None``
    when the IP databases told nothing about the company's own addresses."""
    servers = _server_parts(ips, provider, lang)
    if not servers:
        return None
    parts = [p for p in (_mail_part(provider, gateway, lang), *servers) if p]
    return _capitalise("; ".join(parts), lang) + "."


def _mail_part(provider: Provider | None, gateway: Gateway | None, lang: Lang) -> str | None:
    words = TEMPLATES[lang]
    platform = None
    if provider is not None and provider.kind in HOSTING_KINDS:
        platform = words["mail.hosting"].format(provider=provider.name)
    elif provider is not None and provider.kind in MAIL_PLATFORM_KINDS:
        owner = NETWORK_OWNERS.get(provider.key, provider.name)
        platform = words["mail.platform"].format(provider=provider.name, owner=owner)
    if gateway is None:
        return platform
    if platform is None:
        return words["mail.gateway_only"].format(gateway=gateway.name)
    return words["mail.gateway"].format(mail=platform, gateway=gateway.name)


def subject_of(info: IpInfo, *, mail_is_own: bool) -> str | None:
    """What the address is to the company, for the sentence; None when it is not its own."""
    own_mail = mail_is_own and {"own_server", "mail"} <= set(info.roles)
    web = "web" in info.roles
    if web and own_mail:
        return "web+own_mail"
    if own_mail:
        return "own_mail"
    if web:
        return "web"
    if {"own_server", "autodiscover"} <= set(info.roles):
        return "own_autodiscover"
    return None


def _server_parts(ips: Sequence[IpInfo], provider: Provider | None, lang: Lang) -> list[str]:
    mail_is_own = provider is None or provider.kind not in HOSTING_KINDS
    grouped: dict[str, list[IpInfo]] = {}
    for info in ips:
        subject = subject_of(info, mail_is_own=mail_is_own)
        if subject is not None and _informative(info):
            grouped.setdefault(subject, []).append(info)
    return [describe(_pick(grouped[s]), s, lang) for s in _SUBJECT_ORDER if s in grouped]


def _informative(info: IpInfo) -> bool:
    return (info.special is not None or any(getattr(info, f) is not None for f in _KNOWN)
            or any(getattr(info, f) for f in _RAISED))


def _pick(infos: list[IpInfo]) -> IpInfo:
    """A CDN address first (it explains the rest), then a looked-up one, then a special one."""
    return next((i for i in infos if cdn_of(i)), None) or next(
        (i for i in infos if i.special is None), infos[0])


def cdn_of(info: IpInfo) -> str | None:
    text = " ".join(filter(None, (info.as_org, info.isp))).lower()
    return next((name for name in CDN_NETWORKS if name.lower() in text), None)


def describe(info: IpInfo, subject: str, lang: Lang) -> str:
    """One address in words: network, data centre or residential, place, proxy/VPN/Tor flags."""
    words, who = TEMPLATES[lang], SUBJECTS[lang][subject]
    if info.special is not None:
        label = SPECIAL[lang].get(info.special, SPECIAL[lang]["reserved"])
        return words["special"].format(subject=who, label=label)
    cdn = cdn_of(info) if subject.startswith("web") else None
    if cdn is not None:
        return words["cdn"].format(subject=who, cdn=cdn)
    place = _place(info, lang, with_city=subject != "web")
    network, kind, flags = _network(info, lang), _kind(info, lang), _flags(info, lang)
    if lang == "tr":
        middle = ", ".join(filter(None, (words["network"].format(network=network) if network else None, kind)))
        return " ".join(filter(None, (who, place, middle, flags)))
    on = words["network"].format(network=network) if network else None
    where = words["place"].format(place=place) if place else None
    return " ".join(filter(None, (who, on, kind, where, flags)))


def _place(info: IpInfo, lang: Lang, *, with_city: bool) -> str | None:
    country = country_name(info.country_code, info.country, lang)
    city = city_name(info.city, lang) if with_city else None
    if lang == "tr":
        if country is None:
            return locative(city) if city else None
        return ", ".join(filter(None, (city, locative(country))))
    return ", ".join(filter(None, (city, country))) or None


def _network(info: IpInfo, lang: Lang) -> str | None:
    if info.as_org and info.asn is not None:
        return TEMPLATES[lang]["network_name"].format(org=info.as_org, asn=info.asn)
    if info.as_org:
        return info.as_org
    return f"AS{info.asn}" if info.asn is not None else info.isp


def _kind(info: IpInfo, lang: Lang) -> str | None:
    if info.is_datacenter:
        return KINDS[lang]["datacenter"]
    return KINDS[lang]["residential"] if info.is_residential else None


def _flags(info: IpInfo, lang: Lang) -> str | None:
    raised = [FLAGS[lang][name] for name, value in
              (("proxy", info.is_proxy), ("vpn", info.is_vpn), ("tor", info.is_tor)) if value]
    return TEMPLATES[lang]["flags"].format(flags=", ".join(raised)) if raised else None


def _capitalise(text: str, lang: Lang) -> str:
    first = "İ" if lang == "tr" and text[:1] == "i" else text[:1].upper()
    return first + text[1:]
