"""Domain names and addresses as SPF sees them (RFC 7208 §4.3, §5.5, §7.3).

Pure helpers: which names may be queried, reverse names, the IP forms used by macros.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address

IpAddress = IPv4Address | IPv6Address

MAX_NAME = 253
MAX_LABEL = 63


def address(ip: str | IpAddress) -> IpAddress:
    """Parse ``ip``; an IPv4-mapped IPv6 address is the IPv4 address it maps (§5)."""
    value = ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(value, IPv6Address) and value.ipv4_mapped is not None:
        return value.ipv4_mapped
    return value


def reverse_name(ip: IpAddress) -> str:
    """The in-addr.arpa / ip6.arpa name of ``ip``, lower-case."""
    return ip.reverse_pointer.lower()


def dotted(ip: IpAddress) -> str:
    """``%{i}``: dotted quad, or dot-separated upper-case nibbles for IPv6 (§7.3)."""
    if isinstance(ip, IPv4Address):
        return str(ip)
    return ".".join(ip.exploded.replace(":", "").upper())


def version_label(ip: IpAddress) -> str:
    """``%{v}``."""
    return "in-addr" if isinstance(ip, IPv4Address) else "ip6"


def labels_ok(name: str) -> bool:
    """Every label 1..63 ASCII characters, total at most 253 (trailing dot already gone)."""
    labels = name.split(".")
    return (name.isascii() and len(name) <= MAX_NAME
            and all(0 < len(label) <= MAX_LABEL for label in labels))


def query_name(expanded: str) -> str | None:
    """The name to query for an expanded domain-spec, or None when it cannot be a name.

    A trailing dot is dropped, a name longer than 253 characters loses labels from the left
    (§7.3), and empty or over-long labels make the target non-existent (§4.3, §4.8).
    """
    name = expanded[:-1] if expanded.endswith(".") else expanded
    while len(name) > MAX_NAME and "." in name:
        name = name.split(".", 1)[1]
    return name.lower() if name and labels_ok(name) else None


def initial_domain(domain: str) -> str | None:
    """The <domain> of check_host() when well-formed and multi-label (§4.3), else None."""
    name = domain[:-1] if domain.endswith(".") else domain
    if "." not in name or name.startswith("[") or not labels_ok(name):
        return None
    return name


def within(name: str, domain: str) -> bool:
    """True when ``name`` is ``domain`` or one of its subdomains (case-insensitive)."""
    name, domain = name.lower().rstrip("."), domain.lower().rstrip(".")
    return name == domain or name.endswith("." + domain)
