"""Facet counts for the lead list: how many matching leads have each value of a verdict column.

Standard faceting: a facet's counts are taken over the leads matching every *other* condition of
the filter, so a facet keeps showing the values one could switch to (with ``priority=P1`` the
priority facet still counts P2 … P6).  A facet owns the ``LeadFilter`` fields that are
conditions on its column (``FACET_FILTERS``): the ``gateway_key`` facet also drops ``gateway``
(any/none gateway), whose two choices are its own values: a key, or ``None``.

Values come back most frequent first, ties by value (``None`` last).  ``referral`` counts
``"true"``/``"false"`` (``pc_referral_count > 0``) and ``dynamics`` counts the push states with
``"none"`` for leads never pushed: the values the filter takes.

How it is counted: a facet whose field is filtered gets its own ``GROUP BY`` (the filter
without its conditions); the facets that are not filtered all see the same conditions, so on
PostgreSQL they are counted together, one ``GROUP BY`` of all their columns (a single hash
aggregate) summed per column in Python — k + 1 queries for k filtered facets.  At 100 000 leads
(``bench/web_pages.py --mode queries``) the nine facets take 20–90 ms p50 where nine separate
queries took 50–380 ms (each a scan of every lead once another facet is filtered).  SQLite has
no hash aggregate and would sort every lead for the joint query, while one facet alone walks its
column's index: there every facet is its own query.  Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ..errors import InputError
from .leads import LeadFilter, LeadRepository
from .models import Lead

FACETS = ("priority", "segment", "provider_key", "gateway_key", "local_provider", "tenant_size",
          "referral", "dynamics", "status")
FACET_FILTERS: dict[str, tuple[str, ...]] = {name: (name,) for name in FACETS} | {
    "gateway_key": ("gateway_key", "gateway")}

Counts = list[tuple[str | None, int]]


class FacetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def counts(self, filters: LeadFilter, fields: Sequence[str] = FACETS) -> dict[str, Counts]:
        """``{field: [(value, leads), …]}`` for each of ``fields`` (in that order), over the leads
        matching ``filters`` without the field's own conditions.  An unknown field is an ``InputError``."""
        unknown = [name for name in fields if name not in FACETS]
        if unknown:
            raise InputError(f"unknown facet {unknown[0]!r}; use one of {', '.join(FACETS)}", column="facets")
        fields = list(dict.fromkeys(fields))
        by_field = LeadRepository(self.session).conditions_by_field(filters)
        free = [name for name in fields if by_field.keys().isdisjoint(FACET_FILTERS[name])]
        found: dict[str, Counts] = {}
        if len(free) > 1 and self.session.get_bind().dialect.name == "postgresql":
            found = self._together(free, [c for conditions in by_field.values() for c in conditions])
        for name in fields:
            if name not in found:
                found |= self._together([name], [c for field, conditions in by_field.items()
                                                 if field not in FACET_FILTERS[name] for c in conditions])
        return {name: found[name] for name in fields}

    def _together(self, fields: list[str], conditions: list[ColumnElement[bool]]) -> dict[str, Counts]:
        """Facets under the same conditions: one ``GROUP BY`` of all their columns, summed per column."""
        values = [_value(name) for name in fields]
        totals: list[dict[str | None, int]] = [{} for _ in fields]
        for *row, n in self.session.execute(select(*values, func.count()).where(*conditions).group_by(*values)):
            for name, value, counts in zip(fields, row, totals):
                label = _label(name, value)
                counts[label] = counts.get(label, 0) + n
        return {name: ordered(list(counts.items())) for name, counts in zip(fields, totals)}


def ordered(counts: Sequence[tuple[str | None, int]]) -> Counts:
    """Most frequent first, ties by value, ``None`` last among equals."""
    return sorted(counts, key=lambda item: (-item[1], item[0] is None, item[0] or ""))


def _value(name: str) -> ColumnElement[Any]:
    if name == "referral":
        return (Lead.pc_referral_count > 0).label("referral")
    if name == "dynamics":
        return Lead.dynamics_state
    return getattr(Lead, name)


def _label(name: str, value: Any) -> str | None:
    if name == "referral":
        return "true" if value else "false"
    if name == "dynamics":
        return value if value is not None else "none"
    return value


__all__ = ["FACETS", "FACET_FILTERS", "Counts", "FacetRepository", "ordered"]
