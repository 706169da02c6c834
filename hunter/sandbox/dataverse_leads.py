"""The ``leads`` entity set of the Dataverse stand-in: create, read, query, update, upsert, delete.

Faithful to the Web API (reference B.2, B.4):

- ``POST leads``: 204 with ``OData-EntityId``; with ``Prefer: return=representation`` 201, the
  record (``$select`` honoured), ``Preference-Applied`` and no ``OData-EntityId``;
- ``GET leads(<guid>)`` / ``leads(hnt_domain='x')`` (strings single-quoted, ``''`` for a quote;
  the key must be an Active alternate key), ``$select``, ``ETag``; ``If-None-Match: W/"<v>"``
  answers 304;
- ``GET leads`` with ``$select``, ``$filter`` (``odata``), ``$orderby``, ``$top``, ``$count``;
  ``Prefer: odata.maxpagesize=N`` pages (5000 by default) with an ``@odata.nextLink`` whose
  ``$skiptoken`` is a paging cookie (``<cookie pagenumber="2" pagingcookie="…" />``); with
  ``$top`` there is no next link;
- ``PATCH leads(<key>)``: upsert without conditions (204 + ``OData-EntityId`` either way; with
  return=representation 201 created / 200 updated); ``If-Match: *`` update only (404);
  ``If-None-Match: *`` create only (412 ``0x80060892``); ``If-Match: W/"<v>"`` optimistic
  concurrency (412 ``0x80060882``); key columns in the body are dropped and, on create, taken
  from the URL;
- ``DELETE leads(<key>)`` (``If-Match: W/"<v>"`` honoured): 204.

Choices: ``$expand``, ``$apply``, ``$search`` are refused (no related tables here), ``$skip``
is refused as by the service; the records come in creation order unless ``$orderby`` says
otherwise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote, urlencode

from hunter.sandbox import dataverse_errors as errors
from hunter.sandbox.dataverse_schema import Column, LeadSchema, is_guid
from hunter.sandbox.dataverse_store import LeadStore, Record
from hunter.sandbox.https import Request, Response
from hunter.sandbox.odata import Kind, ODataError, parse_filter

__all__ = ["JSON_TYPE", "LeadsResource", "Prefer", "json_response", "parse_key"]

JSON_TYPE = "application/json; odata.metadata=minimal"
PAGE_SIZE = 5000
_FILTER_KINDS: dict[str, Kind] = {"String": "string", "Memo": "string", "Uniqueidentifier": "string",
                                  "Integer": "number", "Picklist": "number", "State": "number", "Status": "number",
                                  "BigInt": "number", "DateTime": "datetime"}
_REFUSED = ("$expand", "$apply", "$search", "$skip")
_KEY_PAIR = re.compile(r"\s*([A-Za-z_]\w*)\s*=\s*('(?:[^']|'')*'|[^,]+?)\s*(?:,|$)")
Key = tuple[str, Any]          # ("id", "<guid>") or ("key", {"hnt_domain": "x"})


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, {"Content-Type": JSON_TYPE, **(headers or {})})


class Prefer:
    """The ``Prefer`` preferences of a request (one or more headers, comma-separated)."""

    def __init__(self, request: Request) -> None:
        values = request.headers.get_all("Prefer") or []
        self.words = {word.strip().split("=")[0].lower(): word.strip() for value in values for word in value.split(",")}

    @property
    def representation(self) -> bool:
        return self.words.get("return", "").lower() == "return=representation"

    @property
    def annotations(self) -> bool:
        return "odata.include-annotations" in self.words

    @property
    def continue_on_error(self) -> bool:
        return "odata.continue-on-error" in self.words

    @property
    def page_size(self) -> int:
        word = self.words.get("odata.maxpagesize", "")
        size = word.partition("=")[2].strip()
        return int(size) if size.isdigit() and int(size) > 0 else PAGE_SIZE


def parse_key(text: str, schema: LeadSchema) -> Key:
    """The inside of ``leads(…)``: a bare GUID, ``leadid=<guid>`` or an Active alternate key's values."""
    if is_guid(text.strip()):
        return "id", text.strip().lower()
    pairs, position = {}, 0
    while position < len(text):
        match = _KEY_PAIR.match(text, position)
        if match is None or match.end() == position:
            raise errors.bad_request(f"The key '({text})' is not valid: expected name='value' pairs.")
        pairs[match.group(1)] = _key_value(match.group(2))
        position = match.end()
    if list(pairs) == [schema.primary_id] and isinstance(pairs[schema.primary_id], str) \
            and is_guid(pairs[schema.primary_id]):
        return "id", pairs[schema.primary_id].lower()
    if not pairs or schema.key_for(pairs) is None:
        raise errors.key_not_defined(schema.entity)
    return "key", pairs


def _key_value(text: str) -> Any:
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if is_guid(text) or not re.fullmatch(r"-?\d+", text):
        return text
    return int(text)


def _etag(record: Record) -> str:
    return f'W/"{record["versionnumber"]}"'


def _version_of(tag: str) -> str:
    return tag.strip().removeprefix("W/").strip('"')


class LeadsResource:
    """The ``leads`` entity set over a ``LeadStore``; ``base`` is the Web API URL the request used."""

    def __init__(self, store: LeadStore) -> None:
        self.store = store

    @property
    def schema(self) -> LeadSchema:
        return self.store.schema

    # --- reading ---------------------------------------------------------------------------

    def read(self, request: Request, base: str, key_text: str) -> Response:
        key = parse_key(key_text, self.schema)
        select = self._select(request.query.get("$select"))
        record = self._existing(key)
        tag = _etag(record)
        wanted = request.header("If-None-Match")
        if wanted and wanted.strip() not in ("null", "*") and _version_of(wanted) == str(record["versionnumber"]):
            return Response(304, b"", {"ETag": tag})
        body = {"@odata.context": self._context(base, select, entity=True),
                **self.render(record, select, annotations=Prefer(request).annotations)}
        return json_response(body, headers={"ETag": tag})

    def query(self, request: Request, base: str) -> Response:
        options = request.query
        refused = next((option for option in _REFUSED if option in options), None)
        if refused:
            raise errors.bad_request(f"The query parameter {refused} is not supported")
        select = self._select(options.get("$select"))
        records = sorted(self.store.select(self._filter(options.get("$filter", ""))),
                         key=self._order(options.get("$orderby", "")))
        prefer = Prefer(request)
        body: dict[str, Any] = {"@odata.context": self._context(base, select, entity=False)}
        if options.get("$count", "").lower() == "true":
            body["@odata.count"] = min(len(records), PAGE_SIZE)
        page, next_link = self._page(records, options, prefer.page_size, base)
        body["value"] = [self.render(record, select, annotations=prefer.annotations) for record in page]
        if next_link:
            body["@odata.nextLink"] = next_link
        return json_response(body)

    def _page(self, records: list[Record], options: dict[str, str], size: int,
              base: str) -> tuple[list[Record], str | None]:
        top = options.get("$top")
        if top is not None:
            if not top.isdigit():
                raise errors.bad_request(f"Invalid value '{top}' for $top query option found.")
            return records[:int(top)], None
        number, start = _cookie_position(options.get("$skiptoken"), records, size)
        page = records[start:start + size]
        if start + size >= len(records):
            return page, None
        rest = {name: value for name, value in options.items() if name != "$skiptoken"}
        cookie = (f'<cookie page="{number}"><leadid last="{{{page[-1]["leadid"].upper()}}}" '
                  f'first="{{{page[0]["leadid"].upper()}}}" /></cookie>')
        rest["$skiptoken"] = f'<cookie pagenumber="{number + 1}" pagingcookie="{quote(cookie)}" istracking="False" />'
        return page, f"{base}/{self.schema.entity_set}?{urlencode(rest, quote_via=quote, safe='$,')}"

    # --- writing ---------------------------------------------------------------------------

    def create(self, request: Request, base: str) -> Response:
        values = self.store.clean(_json_body(request), creating=True)
        record = self.store.create(values)
        return self._written(request, base, record, created=True)

    def write(self, request: Request, base: str, key_text: str) -> Response:
        """PATCH: update, create-only, update-only or upsert, as the conditional headers say."""
        key = parse_key(key_text, self.schema)
        values = self.store.clean(_json_body(request), creating=False)
        for name in self._key_columns(key):
            values.pop(name, None)                       # B.4: key columns in the body are ignored
        with self.store.locked():
            existing = self._find(key)
            self._check_conditions(request, key, existing)
            if existing is not None:
                return self._written(request, base, self.store.update(existing["leadid"], values), created=False)
            record = self.store.create(self._with_key(values, key), record_id=key[1] if key[0] == "id" else None)
        return self._written(request, base, record, created=True)

    def delete(self, request: Request, base: str, key_text: str) -> Response:
        key = parse_key(key_text, self.schema)
        with self.store.locked():
            record = self._existing(key)
            wanted = request.header("If-Match")
            if wanted and wanted.strip() != "*" and _version_of(wanted) != str(record["versionnumber"]):
                raise errors.version_mismatch()
            self.store.delete(record["leadid"])
        return Response(204)

    def _check_conditions(self, request: Request, key: Key, existing: Record | None) -> None:
        if_match, if_none_match = request.header("If-Match"), request.header("If-None-Match")
        if if_none_match and if_none_match.strip() == "*" and existing is not None:
            raise errors.already_exists()
        if if_match and existing is None:
            raise self._missing(key)
        if if_match and if_match.strip() != "*" and _version_of(if_match) != str(existing["versionnumber"]):
            raise errors.version_mismatch()

    def _with_key(self, values: Record, key: Key) -> Record:
        """The values of a record created by upsert: the alternate key's columns come from the URL."""
        values = dict(values)
        if key[0] == "key":
            for name, value in key[1].items():
                column = self.schema.column(name)
                assert column is not None
                values[name] = column.parse(value, entity=self.schema.entity, entity_set=self.schema.entity_set)
        self.store.check_required(values)
        return values

    def _written(self, request: Request, base: str, record: Record, *, created: bool) -> Response:
        entity_id = f"{base}/{self.schema.entity_set}({record['leadid']})"
        prefer = Prefer(request)
        if not prefer.representation:
            return Response(204, b"", {"OData-EntityId": entity_id})
        select = self._select(request.query.get("$select"))
        body = {"@odata.context": self._context(base, select, entity=True),
                **self.render(record, select, annotations=prefer.annotations)}
        return json_response(body, 201 if created else 200, {"Preference-Applied": "return=representation",
                                                             "ETag": _etag(record)})

    # --- helpers ---------------------------------------------------------------------------

    def render(self, record: Record, select: list[str] | None, *, annotations: bool = False) -> dict[str, Any]:
        """The JSON of a record: ``@odata.etag``, the selected columns (the primary key always)."""
        names = select if select is not None else self.schema.names
        if self.schema.primary_id not in names:
            names = [*names, self.schema.primary_id]
        body: dict[str, Any] = {"@odata.etag": _etag(record)}
        for name in names:
            body[name] = record.get(name)
            column = self.schema.column(name)
            if annotations and column is not None and column.options and record.get(name) in column.options:
                body[f"{name}@OData.Community.Display.V1.FormattedValue"] = column.options[record[name]]
        return body

    def _select(self, text: str | None) -> list[str] | None:
        if text is None or not text.strip():
            return None
        names = [name.strip() for name in text.split(",") if name.strip()]
        for name in names:
            if self.schema.column(name) is None:
                raise errors.unknown_property(name, self.schema.type_name)
        return names

    def _filter(self, text: str) -> Callable[[Record], bool]:
        fields = {column.name: _FILTER_KINDS[column.type] for column in self.schema.columns}
        try:
            return parse_filter(text, fields)
        except ODataError as error:
            raise errors.bad_request(str(error)) from None

    def _order(self, text: str) -> Callable[[Record], tuple[Any, ...]]:
        clauses = []
        for clause in filter(None, (part.strip() for part in text.split(","))):
            name, _, direction = clause.partition(" ")
            column = self.schema.column(name)
            if column is None:
                raise errors.unknown_property(name, self.schema.type_name)
            if direction.strip() not in ("", "asc", "desc"):
                raise errors.bad_request(f"$orderby: '{clause}' is not valid (asc or desc).")
            clauses.append((column, direction.strip() == "desc"))
        return lambda record: tuple(_sort_value(record.get(column.name), column, descending)
                                    for column, descending in clauses)

    def _context(self, base: str, select: list[str] | None, *, entity: bool) -> str:
        shape = f"({','.join(select)})" if select else ""
        return f"{base}/$metadata#{self.schema.entity_set}{shape}" + ("/$entity" if entity else "")

    def _find(self, key: Key) -> Record | None:
        return self.store.get(key[1]) if key[0] == "id" else self.store.find(key[1])

    def _existing(self, key: Key) -> Record:
        record = self._find(key)
        if record is None:
            raise self._missing(key)
        return record

    def _missing(self, key: Key) -> errors.DataverseError:
        if key[0] == "id":
            return errors.not_found(self.schema.entity, key[1])
        return errors.key_not_found(self.schema.entity)

    def _key_columns(self, key: Key) -> list[str]:
        return [self.schema.primary_id] if key[0] == "id" else list(key[1])


def _json_body(request: Request) -> Any:
    try:
        return request.json()
    except ValueError:
        raise errors.bad_request("The request body is not valid JSON.") from None


def _sort_value(value: Any, column: Column, descending: bool) -> tuple[Any, ...]:
    """Nulls first ascending, last descending; strings without regard to case."""
    if value is None:
        return (1 if descending else 0,)
    if isinstance(value, str):
        value = value.casefold()
        return (0 if descending else 1, _Reversed(value) if descending else value)
    return (0 if descending else 1, -value if descending else value)


class _Reversed:
    """Wraps a string so that sorting puts it in descending order."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value


def _cookie_position(token: str | None, records: list[Record], size: int) -> tuple[int, int]:
    """(page number, index of the first record) of a ``$skiptoken`` paging cookie; (1, 0) without one."""
    if not token:
        return 1, 0
    number = re.search(r'pagenumber="(\d+)"', token)
    last = re.search(r'last="\{?([0-9A-Fa-f-]{36})\}?"', unquote(token))
    if number is None:
        raise errors.bad_request("The $skiptoken is not a valid paging cookie: follow @odata.nextLink as returned.")
    page = int(number.group(1))
    if last is not None:
        ids = [record["leadid"] for record in records]
        if last.group(1).lower() in ids:
            return page, ids.index(last.group(1).lower()) + 1
    return page, (page - 1) * size
