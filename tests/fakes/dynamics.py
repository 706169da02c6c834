"""A fake ``LeadSink``: Dataverse held in a dict, one record per key, a lead that the service
rejects, and a switch that makes the whole service unavailable."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from hunter.errors import IntegrationUnavailable
from hunter.integrations.base import ColumnProblem, Health, LeadRecord, PushResult


class FakeLeadSink:
    name = "dataverse"
    language = "en"

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}      # key -> columns (with "leadid")
        self.created: dict[str, int] = {}                 # key -> how many times created
        self.pushed: list[list[str]] = []                 # the keys of every push call
        self.reject: dict[str, str] = {}                  # key -> the service's message
        self.down = False
        self.closed = False

    def record(self, fields: Mapping[str, Any], *, record_id: str | None) -> LeadRecord:
        values = {"subject": fields["subject"], "hnt_domain": fields["domain"], "hnt_score": fields["score"],
                  "hnt_priority": fields["priority"], "hnt_segment": fields["segment"],
                  "hnt_pcreferral": fields["pc_referral"], "description": fields["summary"],
                  "hnt_hunterurl": fields["hunter_url"], "emailaddress1": fields["contact_email"]}
        return LeadRecord(key=fields["domain"], values=values, create_only=frozenset({"subject"}), record_id=record_id)

    def fingerprint(self, record: LeadRecord) -> str:
        return hashlib.sha256(json.dumps(dict(record.values), sort_keys=True, default=str).encode()).hexdigest()

    def push(self, records: Sequence[LeadRecord]) -> list[PushResult]:
        self.pushed.append([r.key for r in records])
        if self.down:
            raise IntegrationUnavailable("dataverse", "unreachable after 6 attempts: HTTP 503 (request id req-x)")
        return [self._one(r) for r in records]

    def _one(self, record: LeadRecord) -> PushResult:
        if record.key in self.reject:
            return PushResult(key=record.key, outcome="failed", status=400, request_id=f"req-{record.key}",
                              error_code="0x80044331", error=self.reject[record.key])
        existing = self.records.get(record.key)
        if existing is None:
            self.records[record.key] = {**record.values, "leadid": str(uuid.uuid4())}
            self.created[record.key] = self.created.get(record.key, 0) + 1
            return PushResult(key=record.key, outcome="created", record_id=self.records[record.key]["leadid"], status=204)
        existing.update({k: v for k, v in record.values.items() if k not in record.create_only})
        return PushResult(key=record.key, outcome="updated", record_id=existing["leadid"], status=204)

    def readiness(self) -> list[ColumnProblem]:
        return []

    def record_url(self, record_id: str) -> str:
        return f"https://fake.crm4.dynamics.com/main.aspx?pagetype=entityrecord&etn=lead&id={record_id}"

    def check(self) -> Health:
        return Health(self.name, not self.down, "fake")

    def close(self) -> None:
        self.closed = True
