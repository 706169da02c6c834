"""The ``lead`` table the Dataverse stand-in holds: its columns, their types and limits, its keys.

Faithful to the Dynamics 365 ``lead`` reference (B.3): ``subject`` String(300) (RequiredLevel
ApplicationRequired), ``firstname``/``lastname`` String(50), ``companyname`` String(100),
``websiteurl`` Url(200), ``emailaddress1`` Email(100), ``telephone1`` Phone(50), ``description``
Memo(2000), ``leadsourcecode`` Picklist 1–10, ``statecode``/``statuscode`` with their pairs,
``leadid`` the primary key, plus the read-only ``fullname``, ``createdon``, ``modifiedon`` and
``versionnumber``.  Hunter's own columns carry the ``hnt_`` prefix (B.6); ``hnt_domain`` is the
alternate key ``hnt_domain_key``.

Choices of the stand-in: ``subject`` is checked on create (the real service leaves
ApplicationRequired to forms; Hunter wants the stand-in strict); ``emailaddress1`` must look
like an address; ``hnt_score`` is 0..100.

``lead_schema(drop=…, change=…, key_status=…, key=…)`` builds variants, so a client's
readiness check can meet a missing column, another type or length, or a key that is missing,
``Pending`` or ``Failed``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from hunter.sandbox import dataverse_errors as errors

__all__ = ["Column", "EntityKey", "LeadSchema", "lead_schema", "KEY_STATUSES"]

AttributeType = Literal["String", "Memo", "Integer", "Picklist", "State", "Status", "Uniqueidentifier",
                        "DateTime", "BigInt"]
KEY_STATUSES = ("Active", "Pending", "InProgress", "Failed")
_NAMESPACE = uuid.UUID("3b0c8f5e-9a4b-4c55-8a55-1f0e6d1c2b7a")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
EDM_TYPES = {"String": "Edm.String", "Memo": "Edm.String", "Integer": "Edm.Int32", "Picklist": "Edm.Int32",
             "State": "Edm.Int32", "Status": "Edm.Int32", "Uniqueidentifier": "Edm.Guid",
             "DateTime": "Edm.DateTimeOffset", "BigInt": "Edm.Int64"}
LEAD_SOURCES = {1: "Advertisement", 2: "Employee Referral", 3: "External Referral", 4: "Partner",
                5: "Public Relations", 6: "Seminar", 7: "Trade Show", 8: "Web", 9: "Word of Mouth", 10: "Other"}
STATES = {0: "Open", 1: "Qualified", 2: "Disqualified"}
STATUSES = {1: "New", 2: "Contacted", 3: "Qualified", 4: "Lost", 5: "Cannot Contact", 6: "No Longer Interested",
            7: "Canceled"}
STATUS_STATE = {1: 0, 2: 0, 3: 1, 4: 2, 5: 2, 6: 2, 7: 2}     # statuscode -> its statecode (B.3)
DEFAULT_STATUS = {0: 1, 1: 3, 2: 4}
_SCHEMA_NAMES = {name.lower(): name for name in (
    "LeadId", "Subject", "FirstName", "LastName", "FullName", "CompanyName", "JobTitle", "WebSiteUrl",
    "EMailAddress1", "Telephone1", "Description", "LeadSourceCode", "StateCode", "StatusCode", "CreatedOn",
    "ModifiedOn", "VersionNumber")}


def metadata_id(name: str) -> str:
    """A stable ``MetadataId`` for a table, column or key of the stand-in."""
    return str(uuid.uuid5(_NAMESPACE, name))


def is_guid(text: str) -> bool:
    return _GUID.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class Column:
    """One column (``AttributeMetadata``): logical name, type, limits, what may be written."""

    name: str
    type: AttributeType
    max_length: int | None = None
    format: str | None = None              # String: Text, Email, Url, Phone; Memo: TextArea
    min_value: int | None = None
    max_value: int | None = None
    options: Mapping[int, str] = field(default_factory=dict)
    required: bool = False                 # checked on create (see the module docstring)
    writable: bool = True                  # False: IsValidForCreate/Update false, silently dropped
    custom: bool = False

    @property
    def edm_type(self) -> str:
        return EDM_TYPES[self.type]

    @property
    def schema_name(self) -> str:
        """``leadid`` → ``LeadId`` (the lead reference's names); ``hnt_score`` → ``hnt_Score`` (B.6)."""
        if self.name in _SCHEMA_NAMES:
            return _SCHEMA_NAMES[self.name]
        prefix, _, rest = self.name.rpartition("_")
        return f"{prefix}_{rest[:1].upper()}{rest[1:]}" if prefix else rest[:1].upper() + rest[1:]

    def parse(self, value: Any, *, entity: str, entity_set: str) -> Any:
        """``value`` as stored, or ``DataverseError`` the way the service words it."""
        if value is None:
            return None
        if self.type in ("String", "Memo"):
            return self._text(value, entity=entity, entity_set=entity_set)
        if self.type == "Uniqueidentifier":
            if not isinstance(value, str) or not is_guid(value):
                raise errors.wrong_type(entity_set, self.name, value, self.edm_type)
            return value.lower()
        if self.type in ("Integer", "Picklist", "State", "Status", "BigInt"):
            return self._number(value, entity=entity, entity_set=entity_set)
        raise errors.wrong_type(entity_set, self.name, value, self.edm_type)

    def _text(self, value: Any, *, entity: str, entity_set: str) -> str:
        if not isinstance(value, str):
            raise errors.wrong_type(entity_set, self.name, _literal(value), self.edm_type)
        if self.max_length is not None and len(value) > self.max_length:
            raise errors.too_long(entity, self.name, self.max_length)
        if self.format == "Email" and value and _EMAIL.fullmatch(value) is None:
            raise errors.bad_email(entity, self.name, value)
        return value

    def _number(self, value: Any, *, entity: str, entity_set: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise errors.wrong_type(entity_set, self.name, _literal(value), self.edm_type)
        if self.options and value not in self.options:
            raise errors.out_of_range(entity, self.name, value, ", ".join(str(option) for option in self.options))
        low, high = self.min_value, self.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            raise errors.out_of_range(entity, self.name, value, f"{low} to {high}")
        return value


@dataclass(frozen=True, slots=True)
class EntityKey:
    """An alternate key (``EntityKeyMetadata``); only an ``Active`` one can address records."""

    name: str
    attributes: tuple[str, ...]
    status: str = "Active"

    def __post_init__(self) -> None:
        if self.status not in KEY_STATUSES:
            raise ValueError(f"unknown EntityKeyIndexStatus {self.status!r} (one of {', '.join(KEY_STATUSES)})")

    @property
    def active(self) -> bool:
        return self.status == "Active"


@dataclass(frozen=True, slots=True)
class LeadSchema:
    """The table: ``lead`` in entity set ``leads``, its columns in order and its alternate keys."""

    columns: tuple[Column, ...]
    keys: tuple[EntityKey, ...] = ()
    entity: str = "lead"
    entity_set: str = "leads"
    primary_id: str = "leadid"
    primary_name: str = "fullname"

    def __post_init__(self) -> None:
        names = [column.name for column in self.columns]
        if self.primary_id not in names:
            raise ValueError(f"the schema must keep its primary key column {self.primary_id!r}")
        for key in self.keys:
            missing = [name for name in key.attributes if name not in names]
            if missing:
                raise ValueError(f"key {key.name!r} uses columns the schema does not have: {', '.join(missing)}")

    @property
    def type_name(self) -> str:
        return f"Microsoft.Dynamics.CRM.{self.entity}"

    def column(self, name: str) -> Column | None:
        return next((column for column in self.columns if column.name == name), None)

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def key_for(self, attributes: Iterable[str]) -> EntityKey | None:
        """The Active key made of exactly ``attributes`` (the service does not know the others)."""
        wanted = set(attributes)
        return next((key for key in self.keys if key.active and set(key.attributes) == wanted), None)

    def with_key_status(self, status: str) -> LeadSchema:
        return replace(self, keys=tuple(replace(key, status=status) for key in self.keys))


def _literal(value: Any) -> str:
    return value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def _s(name: str, length: int, **kw: Any) -> Column:
    return Column(name, "String", max_length=length, format=kw.pop("format", "Text"), **kw)


STANDARD_COLUMNS = (
    Column("leadid", "Uniqueidentifier"),
    _s("subject", 300, required=True),
    _s("firstname", 50), _s("lastname", 50),
    _s("fullname", 160, writable=False),
    _s("companyname", 100), _s("jobtitle", 100),
    _s("websiteurl", 200, format="Url"), _s("emailaddress1", 100, format="Email"),
    _s("telephone1", 50, format="Phone"),
    Column("description", "Memo", max_length=2000, format="TextArea"),
    Column("leadsourcecode", "Picklist", options=LEAD_SOURCES),
    Column("statecode", "State", options=STATES),
    Column("statuscode", "Status", options=STATUSES),
    Column("createdon", "DateTime", writable=False),
    Column("modifiedon", "DateTime", writable=False),
    Column("versionnumber", "BigInt", writable=False),
)
HUNTER_COLUMNS = (
    _s("hnt_domain", 253, custom=True),
    Column("hnt_score", "Integer", min_value=0, max_value=100, custom=True),
    _s("hnt_segment", 100, custom=True), _s("hnt_priority", 10, custom=True),
    _s("hnt_provider", 100, custom=True), _s("hnt_gateway", 100, custom=True),
    _s("hnt_tenantsize", 20, custom=True),
    Column("hnt_infrasummary", "Memo", max_length=4000, format="TextArea", custom=True),
    _s("hnt_pcreferral", 100, custom=True),
    _s("hnt_hunterurl", 500, format="Url", custom=True),
)
DOMAIN_KEY = EntityKey("hnt_domain_key", ("hnt_domain",))


def lead_schema(*, drop: Iterable[str] = (), change: Mapping[str, Mapping[str, Any]] | None = None,
                key_status: str = "Active", key: bool = True) -> LeadSchema:
    """The lead table Hunter expects, or a variant of it.

    ``drop``: columns that are not there (e.g. ``["hnt_score"]``); ``change``: per column, the
    fields to replace, e.g. ``{"hnt_domain": {"max_length": 100}}`` or ``{"hnt_score": {"type":
    "String", "max_length": 10}}``; ``key_status``: the ``EntityKeyIndexStatus`` of
    ``hnt_domain_key``; ``key=False``: no alternate key at all.
    """
    dropped, change = set(drop), dict(change or {})
    known = {column.name for column in STANDARD_COLUMNS + HUNTER_COLUMNS}
    unknown = (dropped | set(change)) - known
    if unknown:
        raise ValueError(f"no such lead column: {', '.join(sorted(unknown))}")
    columns = tuple(replace(column, **change.get(column.name, {}))
                    for column in STANDARD_COLUMNS + HUNTER_COLUMNS if column.name not in dropped)
    keys = (replace(DOMAIN_KEY, status=key_status),) if key and "hnt_domain" not in dropped else ()
    return LeadSchema(columns, keys)
