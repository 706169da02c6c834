"""Hunter's lead values <-> Dataverse lead columns.  Pure: no I/O but reading the mapping file.

The mapping is data (``hunter/rules/dynamics.yaml``, or ``HUNTER_D365_MAPPING``; its format is
described in that file).  ``load(path)`` validates it into a frozen ``LeadMapping`` or raises
``RulesError`` naming the file and the field.  ``record(fields, mapping)`` turns the source
fields (``SOURCES``) into a ``LeadRecord`` whose values already fit their columns:

* empty (``None``, blank text, empty list) is ``None``, sent as JSON null (clears the column);
* text is cut at ``max_length`` — counted in UTF-16 code units as Dataverse counts, so never
  inside a surrogate pair — on a word boundary where possible, ending in "…", never between a
  letter and its combining mark; one-line ``string`` columns get their whitespace collapsed;
* integers are clamped to ``min``/``max``; a value that is not a whole number is refused
  (``ValueError`` naming the column);
* a URL without a scheme gets ``https://``; a URL or e-mail that is not valid or too long is
  left ``None`` (one bad address never costs the whole lead a 400);
* a ``required`` column without a value, or an unusable key, is a ``ValueError``.

``fingerprint(record)`` is a stable hash of what would be written ("unchanged" when equal);
``problems(mapping, attributes, keys)`` compares the mapping with the table's metadata.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from ...errors import RulesError
from ..base import ColumnProblem, LeadRecord

BUNDLED = Path(__file__).resolve().parents[2] / "rules" / "dynamics.yaml"

#: The values the flow fills (the ``source`` of a column).
#: Dataverse's own ceilings: String columns hold at most 4000 characters, Memo 1,048,576.
LIMITS = {"string": 4000, "url": 4000, "email": 4000, "memo": 1_048_576}
#: The Dataverse ``AttributeType`` each mapping type needs.
ATTRIBUTE_TYPES = {"string": "String", "url": "String", "email": "String", "memo": "Memo", "integer": "Integer"}
INT32 = (-(2 ** 31), 2 ** 31 - 1)
ELLIPSIS = "…"

Source = Literal["subject", "company", "domain", "website", "contact_email", "summary", "score", "segment",
                 "priority", "provider", "gateway", "tenant_size", "infra_summary", "pc_referral", "hunter_url"]
ColumnType = Literal["string", "memo", "integer", "url", "email"]
#: The values the flow fills (the ``source`` of a column), and the column types.
SOURCES: tuple[str, ...] = get_args(Source)
TYPES: tuple[str, ...] = get_args(ColumnType)

_NAME = r"^[a-z][a-z0-9_]{0,99}$"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_EMAIL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}|\d{1,3}(?:\.\d{1,3}){3}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Column(_Strict):
    """One mapped column (see the format in ``dynamics.yaml``)."""

    source: Source
    fallback: str | None = None
    type: ColumnType
    max_length: int | None = Field(None, ge=1)
    min: int | None = None
    max: int | None = None
    create_only: bool = False
    required: bool = False

    @field_validator("fallback")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None:
            names = [name for group in _PLACEHOLDER.findall(value) for name in group.split("|")]
            unknown = [name for name in names if name not in SOURCES]
            if unknown or not names:
                raise ValueError(f"the fallback {value!r} must use {{source}} placeholders from "
                                 f"{', '.join(SOURCES)}; unknown: {', '.join(unknown) or '(none given)'}")
        return value

    @model_validator(mode="after")
    def _limits(self) -> Column:
        if self.type == "integer":
            if self.max_length is not None:
                raise ValueError("max_length is for text columns; an integer column takes min and max")
            low, high = self.bounds
            if not INT32[0] <= low <= high <= INT32[1]:
                raise ValueError(f"min {low} and max {high} must be whole numbers with min <= max, "
                                 f"within {INT32[0]}..{INT32[1]}")
            return self
        if self.min is not None or self.max is not None:
            raise ValueError(f"min and max are for integer columns, not {self.type}")
        if self.max_length is None:
            raise ValueError(f"max_length is required for a {self.type} column")
        if self.max_length > LIMITS[self.type]:
            raise ValueError(f"max_length {self.max_length} is above what Dataverse allows for {self.type} "
                             f"({LIMITS[self.type]})")
        return self

    @property
    def bounds(self) -> tuple[int, int]:
        return (INT32[0] if self.min is None else self.min, INT32[1] if self.max is None else self.max)


class Key(_Strict):
    column: str = Field(pattern=_NAME)
    name: str = Field(pattern=_NAME)


class LeadMapping(_Strict):
    """The whole mapping; ``path`` is the file it came from (for messages)."""

    version: Literal[1]
    entity: str = Field("lead", pattern=_NAME)
    entity_set: str = Field("leads", pattern=_NAME)
    key: Key
    language: Literal["tr", "en"] = "tr"
    columns: dict[str, Column] = Field(min_length=1)
    _path: str = PrivateAttr(default="")

    @field_validator("columns")
    @classmethod
    def _names(cls, columns: dict[str, Column]) -> dict[str, Column]:
        bad = [name for name in columns if not re.fullmatch(_NAME, name)]
        if bad:
            raise ValueError(f"column names are Dataverse logical names (lower-case a-z 0-9 _): {', '.join(bad)}")
        return columns

    @model_validator(mode="after")
    def _key_column(self) -> LeadMapping:
        column = self.columns.get(self.key.column)
        if column is None:
            raise ValueError(f"key.column {self.key.column!r} must be one of the columns")
        if column.type != "string" or column.create_only or not column.required:
            raise ValueError(f"the key column {self.key.column!r} must be a required string column, not create_only")
        return self

    @property
    def path(self) -> str:
        return self._path

    @property
    def create_only(self) -> frozenset[str]:
        return frozenset(name for name, column in self.columns.items() if column.create_only)


# --- loading ---------------------------------------------------------------------------------

def load(path: Path | str | None = None) -> LeadMapping:
    """The mapping at ``path`` (the bundled one when None), read and validated once per path."""
    return _load(Path(path).resolve() if path else BUNDLED)


@lru_cache(maxsize=8)
def _load(path: Path) -> LeadMapping:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RulesError(str(path), f"cannot read: {exc}") from None
    return parse(raw, source=str(path))


def parse(raw: object, *, source: str) -> LeadMapping:
    """Validate already-read YAML data; ``RulesError`` names ``source`` and the field."""
    if not isinstance(raw, dict):
        raise RulesError(source, "top level must be a mapping with version, key, columns …")
    try:
        mapping = LeadMapping.model_validate(raw)
    except ValidationError as exc:
        raise RulesError(source, "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}"
                                           for e in exc.errors())) from None
    mapping._path = source
    return mapping


# --- building a record -------------------------------------------------------------------------

def record(fields: Mapping[str, Any], mapping: LeadMapping, *, record_id: str | None = None) -> LeadRecord:
    """The ``LeadRecord`` of one lead; ``ValueError`` naming the column when it cannot be sent."""
    unknown = sorted(set(fields) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown source fields {', '.join(unknown)} (known: {', '.join(SOURCES)})")
    values: dict[str, Any] = {}
    for name, column in mapping.columns.items():
        raw = fields.get(column.source)
        if _empty(raw) and column.fallback:
            raw = fill(column.fallback, fields)
        try:
            values[name] = _key(raw, column) if name == mapping.key.column else value(raw, column)
        except ValueError as exc:
            raise ValueError(f"column {name} (from {column.source}): {exc}") from None
        if values[name] is None and column.required:
            raise ValueError(f"column {name} is required, but {column.source} is empty")
    key = values[mapping.key.column]
    return LeadRecord(key=key, values=values, create_only=mapping.create_only, record_id=record_id)


def _key(raw: Any, column: Column) -> str | None:
    """The alternate key's value: lower-case, no trailing dot, never cut (a cut key is another key)."""
    if _empty(raw):
        return None
    key = str(raw).strip().rstrip(".").lower()
    if re.search(r"\s", key) or _units(key) > (column.max_length or 0):
        raise ValueError(f"{key[:80]!r} is not usable as the key (spaces, or longer than {column.max_length})")
    return key


def fill(template: str, fields: Mapping[str, Any]) -> str | None:
    """``template`` with each ``{a|b}`` replaced by the first non-empty source; None when any is empty."""
    missing = False

    def one(match: re.Match[str]) -> str:
        nonlocal missing
        found = next((fields[name] for name in match.group(1).split("|") if not _empty(fields.get(name))), None)
        missing = missing or found is None
        return "" if found is None else str(found).strip()

    text = _PLACEHOLDER.sub(one, template)
    return None if missing else text


def value(raw: Any, column: Column) -> Any:
    """``raw`` made fit for ``column``, or None; ``ValueError`` for a number that is not one."""
    if _empty(raw):
        return None
    if column.type == "integer":
        return integer(raw, column.bounds)
    if column.type == "email":
        return email(raw, column.max_length or 0)
    if isinstance(raw, (list, tuple)):
        raw = next((item for item in raw if not _empty(item)), None)
    if column.type == "url":
        return url(raw, column.max_length or 0)
    text = _clean(str(raw), multiline=column.type == "memo")
    return cut(text, column.max_length or 0) if text else None


def integer(raw: Any, bounds: tuple[int, int]) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a whole number")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    elif isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d{1,19}\s*", raw):
        raw = int(raw)
    if not isinstance(raw, int):
        raise ValueError(f"{raw!r} is not a whole number")
    return min(max(raw, bounds[0]), bounds[1])


def email(raw: Any, limit: int) -> str | None:
    """The first valid address (``raw`` may be a list), or None."""
    for item in raw if isinstance(raw, (list, tuple)) else (raw,):
        text = str(item).strip().removeprefix("mailto:") if item is not None else ""
        if _EMAIL.fullmatch(text) and len(text) <= min(limit, 254):
            return text
    return None


def url(raw: Any, limit: int) -> str | None:
    """An http(s) URL (``https://`` added when there is no scheme), or None when not valid or too long."""
    text = str(raw).strip() if raw is not None else ""
    if text and "://" not in text:
        text = f"https://{text}"
    scheme, _, rest = text.partition("://")
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    host = re.sub(r":\d{1,5}$", "", host)
    if scheme.lower() not in ("http", "https") or not _HOST.fullmatch(_ascii(host)) or re.search(r"\s", text):
        return None
    return text if _units(text) <= limit else None


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-16 units, cut cleanly (see the module docstring)."""
    if _units(text) <= limit:
        return text
    room, used, end = limit - 1, 0, 0
    for char in text:
        width = 2 if ord(char) > 0xFFFF else 1
        if used + width > room:
            break
        used, end = used + width, end + 1
    while 0 < end < len(text) and _joins(text[end]):
        end -= 1                                  # keep a letter with its marks
    head = text[:end]
    space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
    if not text[end].isspace() and space >= len(head) // 2:
        head = head[:space]                       # the last word would be cut: drop it
    head = head.rstrip(" \t\n,;:.-–—\u200d") or head.rstrip()
    return head + ELLIPSIS


def fingerprint(rec: LeadRecord) -> str:
    """A stable hash of the key, the values and the create-only columns (never the Dataverse id)."""
    payload = {"key": rec.key, "values": dict(rec.values), "create_only": sorted(rec.create_only)}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, (list, tuple)):
        return all(_empty(item) for item in raw)
    return False


def _clean(text: str, *, multiline: bool) -> str:
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if not multiline:
        return " ".join(text.split())
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def _ascii(host: str) -> str:
    """An internationalised host name in its ASCII (punycode) form, for checking only."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def _units(text: str) -> int:
    """Length in UTF-16 code units (what Dataverse's MaxLength counts)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _joins(char: str) -> bool:
    """A character that belongs to the one before it (combining mark, variation selector, ZWJ)."""
    return unicodedata.category(char) in ("Mn", "Me", "Mc") or char == "\u200d"


# --- readiness: the mapping against the table's metadata -----------------------------------------

def problems(mapping: LeadMapping, attributes: Sequence[Mapping[str, Any]],
             keys: Sequence[Mapping[str, Any]]) -> list[ColumnProblem]:
    """What keeps the table from taking Hunter's leads, column by column, then the key."""
    by_name = {str(a.get("LogicalName")): a for a in attributes}
    found = [problem for name, column in mapping.columns.items()
             if (problem := _column_problem(mapping, name, column, by_name.get(name))) is not None]
    key = _key_problem(mapping, keys)
    return found + ([key] if key else [])


def _column_problem(mapping: LeadMapping, name: str, column: Column,
                    attribute: Mapping[str, Any] | None) -> ColumnProblem | None:
    wanted = ATTRIBUTE_TYPES[column.type]
    if attribute is None:
        return ColumnProblem(name, "missing", f"the {mapping.entity} table has no column {name}; the mapping "
                                              f"writes {column.source} there ({wanted}, {_size(column)})")
    actual = attribute.get("AttributeType")
    if actual != wanted:
        return ColumnProblem(name, "wrong_type", f"{name} is {actual} in Dataverse; the mapping needs {wanted} "
                                                 f"({column.type})")
    if column.type == "integer":
        low, high = attribute.get("MinValue"), attribute.get("MaxValue")
        want_low, want_high = column.bounds
        if isinstance(low, int) and isinstance(high, int) and (low > want_low or high < want_high):
            return ColumnProblem(name, "too_short", f"{name} accepts {low}..{high}; the mapping sends "
                                                    f"{want_low}..{want_high}")
        return None
    length = attribute.get("MaxLength")
    if isinstance(length, int) and length < (column.max_length or 0):
        return ColumnProblem(name, "too_short", f"{name} holds {length} characters; the mapping sends up to "
                                                f"{column.max_length}: raise its maximum length in Dataverse or "
                                                f"lower max_length in {mapping.path or 'the mapping'}")
    return None


def _key_problem(mapping: LeadMapping, keys: Sequence[Mapping[str, Any]]) -> ColumnProblem | None:
    column = mapping.key.column
    key = next((k for k in keys if list(k.get("KeyAttributes") or ()) == [column]), None)
    if key is None:
        return ColumnProblem(column, "key_missing", f"the {mapping.entity} table has no alternate key on {column} "
                                                    f"alone: create one (e.g. {mapping.key.name}) so pushes can "
                                                    f"upsert by domain")
    status = key.get("EntityKeyIndexStatus")
    if status != "Active":
        return ColumnProblem(column, "key_inactive", f"the alternate key {key.get('LogicalName')} on {column} is "
                                                     f"{status}, not Active: Dataverse is still building its "
                                                     f"index, or building it failed")
    return None


def _size(column: Column) -> str:
    if column.type == "integer":
        low, high = column.bounds
        return f"{low}..{high}"
    return f"up to {column.max_length} characters"


__all__ = ["BUNDLED", "Column", "LeadMapping", "SOURCES", "TYPES", "cut", "fingerprint", "load", "parse",
           "problems", "record", "value"]
