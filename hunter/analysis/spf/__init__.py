"""SPF (RFC 7208): parse records, evaluate check_host(), audit a domain's include tree.

Pure and sans-I/O: ``check_host`` and ``walk`` are walkers (``hunter.dns.facts``) that yield
the queries they need and are sent the answers.

    spf.parse(text) -> SpfRecord                      raises SpfSyntaxError
    spf.check_host(ip, domain, sender, helo=...) -> Walker[SpfResult]
    spf.walk(domain) -> Walker[model.Spf]             IP-independent audit, never raises
"""

from __future__ import annotations

from .audit import walk
from .evaluate import SpfResult, check_host
from .parse import is_spf, parse, select
from .record import (
    MAX_LOOKUPS,
    MAX_VOID_LOOKUPS,
    Mechanism,
    Modifier,
    Result,
    SpfRecord,
    SpfSyntaxError,
)

__all__ = [
    "MAX_LOOKUPS", "MAX_VOID_LOOKUPS", "Mechanism", "Modifier", "Result", "SpfRecord",
    "SpfResult", "SpfSyntaxError", "check_host", "is_spf", "parse", "select", "walk",
]
