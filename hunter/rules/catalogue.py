"""The provider catalogue (``providers.yaml``): loading, validation and matching.

``load()`` reads the bundled YAML (or a given file) once per path, validates it with Pydantic
and cross-entry checks, and returns a ``Catalogue``; anything wrong raises ``RulesError``
naming the file, the entry key and the field.  Matching is pure and works on label
boundaries: pattern ``outlook.com`` matches ``outlook.com`` and ``x.protection.outlook.com``,
never ``notoutlook.com`` or ``outlook.com.evil.tr``; ``*.example.com`` needs a label in front.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hunter.errors import RulesError

BUNDLED = Path(__file__).with_name("providers.yaml")

Kind = Literal["cloud_suite", "local_hosting", "hosting", "gateway"]
HostField = Literal["mx", "spf", "autodiscover", "dkim"]
HOST_FIELDS: tuple[HostField, ...] = ("mx", "spf", "autodiscover", "dkim")
TXT_FIELDS = ("txt", "weak_txt")
RESERVED_KEYS = frozenset({"self_hosted", "none", "unknown"})
TENANT_SIGNALS = frozenset({
    "gateway", "device_management", "teams", "dmarc_enforced", "dmarc_reports_outsourced",
    "saas_verifications", "saas_verifications_many", "spf_senders", "mta_sts", "bimi",
})

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?$")
_TXT_PREFIX = re.compile(r"^[\x21-\x7e]{3,80}$")


def _check_pattern(pattern: str) -> str:
    base = pattern[2:] if pattern.startswith("*.") else pattern
    labels = base.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"bad pattern {pattern!r}: want lower-case labels a-z 0-9 _ -, "
                         "at least two labels, optional leading '*.', no trailing dot")
    return pattern


def _check_prefix(prefix: str) -> str:
    if not _TXT_PREFIX.match(prefix):
        raise ValueError(f"bad TXT prefix {prefix!r}: want 3-80 printable ASCII characters, no spaces")
    return prefix


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Entry(_Strict):
    """One provider, hosting firm or gateway and the DNS names that reveal it."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str = Field(min_length=1, max_length=80)
    kind: Kind
    source: Literal["documented", "unverified"] = "unverified"
    mx: tuple[str, ...] = Field(min_length=1)
    spf: tuple[str, ...] = ()
    autodiscover: tuple[str, ...] = ()
    dkim: tuple[str, ...] = ()
    txt: tuple[str, ...] = ()
    weak_txt: tuple[str, ...] = ()

    @field_validator(*HOST_FIELDS)
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_pattern(p) for p in value)

    @field_validator(*TXT_FIELDS)
    @classmethod
    def _prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_prefix(p) for p in value)

    @field_validator("key")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_KEYS:
            raise ValueError(f"key {value!r} is reserved for verdicts without an entry")
        return value


class TenantSignal(_Strict):
    points: int = Field(ge=1, le=5)
    text: str = Field(min_length=1)
    min_count: int | None = Field(default=None, ge=1)

    @field_validator("text")
    @classmethod
    def _template(cls, value: str) -> str:
        try:
            value.format(detail="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"text {value!r}: only the placeholder {{detail}} is allowed ({exc})") from None
        return value


class TenantBand(_Strict):
    value: Literal["medium", "large", "enterprise"]
    min_points: int = Field(ge=1)
    min_signals: int = Field(ge=1)


class TenantRules(_Strict):
    """The tenant-size estimate as data: points per signal and bands (highest first)."""

    below_bands_with_suite: Literal["small", "unknown"] = "unknown"
    bands: tuple[TenantBand, ...] = Field(min_length=1)
    signals: dict[str, TenantSignal]
    saas_txt: tuple[str, ...] = ()

    @field_validator("signals")
    @classmethod
    def _known_signals(cls, value: dict[str, TenantSignal]) -> dict[str, TenantSignal]:
        unknown = sorted(set(value) - TENANT_SIGNALS)
        if unknown:
            raise ValueError(f"unknown signal(s) {unknown}; known: {sorted(TENANT_SIGNALS)}")
        return value

    @field_validator("saas_txt")
    @classmethod
    def _prefixes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_prefix(p) for p in value)


class _File(_Strict):
    version: str = Field(min_length=1)
    entries: tuple[Entry, ...] = Field(min_length=1)
    tenant_size: TenantRules


@dataclass(frozen=True, slots=True)
class TxtMatch:
    entry: Entry
    prefix: str
    weak: bool


_Index = dict[str, tuple[Entry, bool]]      # pattern without "*." -> (entry, wildcard)


def label_match(host: str, pattern: str) -> bool:
    """Whether ``host`` matches ``pattern`` on label boundaries (see the module docstring)."""
    host = host.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith("." + pattern[2:])
    return host == pattern or host.endswith("." + pattern)


def _lookup(index: _Index, host: str) -> Entry | None:
    labels = host.lower().rstrip(".").split(".")
    for start in range(len(labels)):
        hit = index.get(".".join(labels[start:]))
        if hit is not None and not (hit[1] and start == 0):
            return hit[0]
    return None


@dataclass(frozen=True, slots=True)
class Catalogue:
    version: str
    source: str
    entries: tuple[Entry, ...]
    tenant: TenantRules
    _indexes: Mapping[str, _Index] = field(repr=False)

    def get(self, key: str) -> Entry | None:
        return next((e for e in self.entries if e.key == key), None)

    def match_mx(self, host: str) -> Entry | None:
        return _lookup(self._indexes["mx"], host)

    def match_include(self, domain: str) -> Entry | None:
        return _lookup(self._indexes["spf"], domain)

    def match_autodiscover(self, target: str) -> Entry | None:
        return _lookup(self._indexes["autodiscover"], target)

    def match_dkim(self, target: str) -> Entry | None:
        return _lookup(self._indexes["dkim"], target)

    def match_txt(self, record: str) -> TxtMatch | None:
        text = record.strip().lower()
        for entry in self.entries:
            for weak, prefixes in ((False, entry.txt), (True, entry.weak_txt)):
                hit = next((p for p in prefixes if text.startswith(p.lower())), None)
                if hit is not None:
                    return TxtMatch(entry, hit, weak)
        return None


def _base(pattern: str) -> str:
    return pattern[2:] if pattern.startswith("*.") else pattern


def _build_index(source: str, entries: tuple[Entry, ...], name: HostField) -> _Index:
    index: _Index = {}
    for entry in entries:
        for pattern in getattr(entry, name):
            _check_clash(source, index, entry, name, pattern)
            index[_base(pattern)] = (entry, pattern.startswith("*."))
    return index


def _check_clash(source: str, index: _Index, entry: Entry, name: str, pattern: str) -> None:
    where = f"entry {entry.key!r} field {name!r}"
    base = _base(pattern)
    if base in index:
        owner = index[base][0].key
        raise RulesError(source, f"{where}: duplicate pattern {pattern!r} (also in entry {owner!r})")
    for known, (other, _) in index.items():
        if other.key != entry.key and (label_match(known, base) or label_match(base, known)):
            raise RulesError(source, f"{where}: pattern {pattern!r} overlaps {known!r} "
                                     f"of entry {other.key!r}")


def _check_txt(source: str, entries: tuple[Entry, ...]) -> None:
    seen: dict[str, str] = {}
    for entry in entries:
        for prefix in entry.txt + entry.weak_txt:
            low = prefix.lower()
            clash = next((k for k in seen if k.startswith(low) or low.startswith(k)), None)
            if clash is not None:
                raise RulesError(source, f"entry {entry.key!r} field 'txt': prefix {prefix!r} "
                                         f"overlaps {clash!r} of entry {seen[clash]!r}")
            seen[low] = entry.key


def _check_keys(source: str, entries: tuple[Entry, ...]) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.key in seen:
            raise RulesError(source, f"entry {entry.key!r}: duplicate key")
        seen.add(entry.key)


def _where(loc: tuple[int | str, ...], raw: Any) -> str:
    if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
        items = raw.get("entries") or []
        item = items[loc[1]] if loc[1] < len(items) else None
        key = item.get("key") if isinstance(item, dict) else None
        label = f"entry {key!r}" if key else f"entry #{loc[1] + 1}"
        rest = [str(part) for part in loc[2:3]]
        return label + (f" field {rest[0]!r}" if rest else "")
    return "field " + ".".join(str(part) for part in loc) if loc else "top level"


def _validate(source: str, raw: Any) -> _File:
    if not isinstance(raw, dict):
        raise RulesError(source, "top level must be a mapping with version, entries, tenant_size")
    try:
        return _File.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        why = first["msg"].removeprefix("Value error, ")
        raise RulesError(source, f"{_where(first['loc'], raw)}: {why}") from None


def _read(source: str) -> Any:
    try:
        return yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(source, f"cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise RulesError(source, f"not valid YAML: {exc}") from None


def parse(source: str, raw: Any) -> Catalogue:
    """A validated ``Catalogue`` from already-loaded YAML data; ``source`` names it in errors."""
    data = _validate(source, raw)
    _check_keys(source, data.entries)
    _check_txt(source, data.entries)
    indexes: dict[str, _Index] = {name: _build_index(source, data.entries, name) for name in HOST_FIELDS}
    return Catalogue(data.version, source, data.entries, data.tenant_size, indexes)


@lru_cache(maxsize=8)
def _load(source: str) -> Catalogue:
    return parse(source, _read(source))


def load(path: str | Path | None = None) -> Catalogue:
    """The catalogue at ``path`` (default: the bundled ``providers.yaml``), cached per path."""
    return _load(str(Path(path or BUNDLED).resolve()))
