"""The in-memory referrals behind the Referrals API stand-in, and the changes tests ask for.

``touch`` changes referrals the way Partner Center does over time: a status/substatus step
allowed by the transition table (A.5: New/Pending → New/Received → Active/Accepted →
Closed/Won), or, for a closed referral, a changed deal value; each change gets a fresh
``eTag`` and an ``updatedDateTime`` of "now" with 7 fraction digits.  Timestamps the store
writes are strictly increasing and later than every timestamp already in it, so
``updatedDateTime gt <the latest before>`` finds exactly what changed.  ``add`` appends new
referrals (New/Pending, created now) from the same generator.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from hunter.sandbox import referral_data
from hunter.sandbox.odata import format_ticks, ticks

__all__ = ["ReferralStore"]

_NEXT = {("New", "Pending"): ("New", "Received"), ("New", "Received"): ("Active", "Accepted"),
         ("Active", "Accepted"): ("Closed", "Won")}


class ReferralStore:
    """Referrals by id, in insertion order; thread-safe; readers get copies."""

    def __init__(self, referrals: Iterable[dict[str, Any]] = (), *, seed: int = 2026,
                 anchor: dt.datetime = referral_data.ANCHOR) -> None:
        self._items = {item["id"]: copy.deepcopy(item) for item in referrals}
        self._seed, self._anchor = seed, anchor
        self._generated = len(self._items)
        self._lock = threading.Lock()
        self._last = max((ticks(item[key]) for item in self._items.values()
                          for key in ("createdDateTime", "updatedDateTime")), default=0)

    @classmethod
    def generated(cls, count: int, *, seed: int = 2026, anchor: dt.datetime = referral_data.ANCHOR) -> ReferralStore:
        return cls(referral_data.generate(count, seed=seed, anchor=anchor), seed=seed, anchor=anchor)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def select(self, keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Copies of the referrals ``keep`` accepts, in insertion order."""
        with self._lock:
            return [copy.deepcopy(item) for item in self._items.values() if keep(item)]

    def get(self, referral_id: str) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(referral_id)
            return copy.deepcopy(item) if item is not None else None

    def counts(self) -> dict[str, Any]:
        with self._lock:
            statuses = Counter(f"{item['status']}/{item['substatus']}" for item in self._items.values())
            latest = format_ticks(self._last) if self._last else None
        return {"referrals": sum(statuses.values()), "by_status": dict(sorted(statuses.items())),
                "latest_change": latest}

    def touch(self, ids: Iterable[str] | None = None, *, count: int | None = None) -> list[str]:
        """Change the referrals ``ids``, or the ``count`` least recently updated; their ids in order."""
        if ids is None and count is None:
            raise ValueError("touch needs referral ids or a count")
        with self._lock:
            if ids is not None:
                chosen = list(dict.fromkeys(ids))
                missing = [referral_id for referral_id in chosen if referral_id not in self._items]
                if missing:
                    raise KeyError(f"no referral with id {', '.join(missing)}")
            else:
                oldest = sorted(self._items.values(), key=lambda item: (ticks(item["updatedDateTime"]), item["id"]))
                chosen = [item["id"] for item in oldest[:max(count or 0, 0)]]
            for referral_id in chosen:
                self._change(self._items[referral_id])
        return chosen

    def add(self, count: int) -> list[str]:
        """Append ``count`` new referrals (New/Pending, created now); their ids."""
        with self._lock:
            fresh = referral_data.generate(count, seed=self._seed, anchor=self._anchor, start=self._generated)
            self._generated += count
            for item in fresh:
                now = self._now()
                item.update(createdDateTime=now, updatedDateTime=now, status="New", substatus="Pending",
                            acceptedDateTime=None, eTag=_etag())
                self._items[item["id"]] = item
        return [item["id"] for item in fresh]

    def _change(self, item: dict[str, Any]) -> None:
        now = self._now()
        step = _NEXT.get((item["status"], item["substatus"]))
        if step is not None:
            item["status"], item["substatus"] = step
            if step[0] == "Active":
                item["acceptedDateTime"] = now
        else:
            details = item["details"]
            details["dealValue"] = int(details.get("dealValue") or 0) + 5000
        item["updatedDateTime"] = now
        item["eTag"] = _etag()

    def _now(self) -> str:
        """Now as a 7-digit text, later than every timestamp the store holds (call under the lock)."""
        self._last = max(time.time_ns() // 100, self._last + 1)
        return format_ticks(self._last)


def _etag() -> str:
    return f'"{secrets.token_hex(4)}-0000-0000-0000-{secrets.token_hex(6)}"'
