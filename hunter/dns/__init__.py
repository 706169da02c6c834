"""DNS layer: ``Target`` -> ``DnsFacts`` (async lookups, retry, resolver fallback).

``facts`` and ``plan`` are pure values; ``options`` (DnsOptions, Nameserver), ``wire`` (the
message format), ``transport`` (one round trip), ``response`` (reply -> Answer), ``cache``,
``metrics`` and ``lookup`` (Resolver: the policy) do the I/O.  See docs/dns.md.  Nothing is
re-exported here so that importing ``hunter.dns.facts`` stays free of I/O modules.
"""
