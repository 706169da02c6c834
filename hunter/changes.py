"""What changed between two analyses of the same domain: the change events of a rescan.  Pure.

Kinds: ``status_changed``, ``provider_moved``, ``gateway_added``, ``gateway_removed``,
``gateway_changed``, ``mx_changed``, ``spf_changed``, ``dmarc_tightened``, ``dmarc_loosened``,
``dkim_added``, ``dkim_removed``, ``tenant_changed``, ``priority_changed``, ``score_changed``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Analysis

DMARC_STRENGTH = {None: 0, "none": 1, "quarantine": 2, "reject": 3}


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    before: str | None
    after: str | None


def diff(previous: Analysis | None, current: Analysis) -> list[Change]:
    """Changes from ``previous`` to ``current`` (none for a first scan).

    A scan whose DNS failed (``dns_error``) says nothing about mail: only the status change is
    reported, so a passing outage never reads as "provider moved" or "DMARC loosened".
    """
    if previous is None:
        return []
    changes = _pair("status_changed", previous.status, current.status)
    if "dns_error" in (previous.status, current.status) or "invalid" in (previous.status, current.status):
        return changes
    changes += _provider(previous, current) + _gateway(previous, current)
    changes += _pair("mx_changed", _mx(previous), _mx(current))
    changes += _pair("spf_changed", previous.spf.record, current.spf.record)
    changes += _dmarc(previous, current) + _dkim(previous, current)
    changes += _pair("tenant_changed", previous.m365.tenant, current.m365.tenant)
    changes += _pair("priority_changed", previous.priority, current.priority)
    changes += _pair("score_changed", _text(previous.score), _text(current.score))
    return changes


def _pair(kind: str, before: str | None, after: str | None) -> list[Change]:
    return [Change(kind, before, after)] if before != after else []


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _provider(previous: Analysis, current: Analysis) -> list[Change]:
    if previous.provider.key == current.provider.key:
        return []
    return [Change("provider_moved", previous.provider.name, current.provider.name)]


def _gateway(previous: Analysis, current: Analysis) -> list[Change]:
    before = previous.gateway.name if previous.gateway else None
    after = current.gateway.name if current.gateway else None
    if before == after:
        return []
    kind = "gateway_added" if before is None else "gateway_removed" if after is None else "gateway_changed"
    return [Change(kind, before, after)]


def _mx(analysis: Analysis) -> str | None:
    return " ".join(f"{m.preference}:{m.host}" for m in analysis.mx) or None


def _dmarc(previous: Analysis, current: Analysis) -> list[Change]:
    before = _dmarc_text(previous)
    after = _dmarc_text(current)
    if before == after:
        return []
    old = (DMARC_STRENGTH[previous.dmarc.policy], previous.dmarc.coverage or 0)
    new = (DMARC_STRENGTH[current.dmarc.policy], current.dmarc.coverage or 0)
    return [Change("dmarc_tightened" if new > old else "dmarc_loosened", before, after)]


def _dmarc_text(analysis: Analysis) -> str | None:
    d = analysis.dmarc
    if d.policy is None:
        return None
    return f"p={d.policy}" + (f" pct={d.coverage}" if d.coverage not in (None, 100) else "")


def _dkim(previous: Analysis, current: Analysis) -> list[Change]:
    before, after = set(previous.dkim.selectors), set(current.dkim.selectors)
    changes = []
    if after - before:
        changes.append(Change("dkim_added", _join(before), _join(after)))
    if before - after:
        changes.append(Change("dkim_removed", _join(before), _join(after)))
    return changes


def _join(selectors: set[str]) -> str | None:
    return ",".join(sorted(selectors)) or None
