"""A small OData v4 ``$filter``/``$orderby`` evaluator for the sandbox APIs, over JSON objects.

``$filter``: ``eq ne gt ge lt le``, ``and``, ``or``, ``not``, parentheses, string literals in
single quotes (``''`` for a quote), numbers, ``true``/``false``/``null``, DateTimeOffset
literals with or without quotes (``2026-11-30T08:12:00.1234567Z``, an offset ``+03:00`` is
accepted), paths with ``/`` (``customerProfile/address/country``) and the lambdas
``collection/any(x:x/field op value)`` and ``/all(...)``.  Only the fields the caller names
may be used.  Dates compare at 100-nanosecond precision (7 fraction digits, .NET ticks), as
``DateTimeOffset`` does; strings compare case-insensitively, like the SQL collations behind
Microsoft's services **[unverified for Partner Center]**.  A bad expression raises
``ODataError`` with a message saying where and why.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["ODataError", "Predicate", "format_ticks", "parse_filter", "parse_orderby", "ticks"]

Kind = Literal["string", "datetime", "number", "collection"]
Predicate = Callable[[Mapping[str, Any]], bool]

_DATE = r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,7})?)?(?:Z|[+-]\d\d:\d\d)"
_TOKEN = re.compile(rf"""\s*(?:
    (?P<string>'(?:[^']|'')*')
  | (?P<date>{_DATE})
  | (?P<number>-?\d+(?:\.\d+)?)(?![\w-])
  | (?P<name>[A-Za-z_][\w]*(?:/[A-Za-z_][\w]*)*)
  | (?P<punct>[(),:])
)""", re.VERBOSE)
_DATE_PARTS = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,7}))?)?(Z|([+-])(\d\d):(\d\d))")
_COMPARISONS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and b is not None and a > b,
    "ge": lambda a, b: a is not None and b is not None and a >= b,
    "lt": lambda a, b: a is not None and b is not None and a < b,
    "le": lambda a, b: a is not None and b is not None and a <= b,
}
_KEYWORDS = {"and", "or", "not", "true", "false", "null", *_COMPARISONS}
_WANTED = {"name": "a property name", "end": "the end of the expression (a missing 'and'/'or'?)"}


class ODataError(ValueError):
    """A query option the service does not accept (answered 400 ``invalidRequest``)."""


def ticks(text: str) -> int:
    """A DateTimeOffset text as 100-ns ticks since 1970 (UTC); ``ODataError`` when malformed."""
    match = _DATE_PARTS.fullmatch(text.strip())
    if match is None:
        raise ODataError(f"'{text}' is not a valid DateTimeOffset (expected e.g. 2026-11-30T08:12:00.1234567Z)")
    year, month, day, hour, minute, second = (int(part or 0) for part in match.group(1, 2, 3, 4, 5, 6))
    try:
        seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
        _check_calendar(year, month, day, hour, minute, second)
    except ValueError:
        raise ODataError(f"'{text}' is not a valid DateTimeOffset (out of range)") from None
    if match.group(8) != "Z":
        offset = (int(match.group(10)) * 60 + int(match.group(11))) * 60
        seconds -= offset if match.group(9) == "+" else -offset
    return seconds * 10_000_000 + int((match.group(7) or "").ljust(7, "0"))


def _check_calendar(year: int, month: int, day: int, hour: int, minute: int, second: int) -> None:
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]
            and hour < 24 and minute < 60 and second < 60):
        raise ValueError("out of range")


def format_ticks(value: int) -> str:
    """Ticks as the 7-digit UTC text Microsoft's JSON uses: ``2026-11-30T08:12:00.1234567Z``."""
    seconds, fraction = divmod(value, 10_000_000)
    return f"{_iso_seconds(seconds)}.{fraction:07d}Z"


def _iso_seconds(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str        # string, date, number, name, punct, keyword, end
    text: str
    at: int


def _tokens(text: str) -> list[_Token]:
    tokens, position = [], 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None:
            position += len(text[position:]) - len(text[position:].lstrip())
            raise ODataError(f"$filter: unexpected character {text[position]!r} at position {position}")
        kind = match.lastgroup or "punct"
        value, start = match.group(kind), match.start(kind)
        if kind == "name" and value in _KEYWORDS:
            kind = "keyword"
        tokens.append(_Token(kind, value, start))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    """Recursive descent: or_expr → and_expr ('or' …) → unary ('and' …) → 'not' unary | primary."""

    def __init__(self, text: str, fields: Mapping[str, Kind]) -> None:
        self.tokens = _tokens(text)
        self.fields = fields
        self.index = 0
        self.scope: dict[str, str] = {}     # lambda variable -> collection path

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self, kind: str | None = None, text: str | None = None) -> _Token:
        token = self.peek()
        if (kind and token.kind != kind) or (text and token.text != text):
            wanted = f"'{text}'" if text else _WANTED.get(kind or "", kind)
            found = f"'{token.text}'" if token.text else "the end of the expression"
            raise ODataError(f"$filter: expected {wanted} at position {token.at}, found {found}")
        self.index += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.or_expr()
        self.take("end")
        return predicate

    def or_expr(self) -> Predicate:
        return self.chain("or", self.and_expr, any)

    def and_expr(self) -> Predicate:
        return self.chain("and", self.unary, all)

    def chain(self, word: str, operand: Callable[[], Predicate], combine: Callable[..., bool]) -> Predicate:
        """``operand (word operand)*``, the operands joined by ``combine`` (``any`` or ``all``)."""
        parts = [operand()]
        while self.peek().text == word:
            self.take()
            parts.append(operand())
        return parts[0] if len(parts) == 1 else (lambda item: combine(part(item) for part in parts))

    def unary(self) -> Predicate:
        if self.peek().text == "not":
            self.take()
            inner = self.unary()
            return lambda item: not inner(item)
        if self.peek().text == "(":
            self.take()
            inner = self.or_expr()
            self.take("punct", ")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        name = self.take("name")
        head, _, last = name.text.rpartition("/")
        if last in ("any", "all") and self.peek().text == "(":
            return self.lambda_(head, last, name.at)
        path, kind = self.field(name)
        operator = self.peek()
        if operator.text not in _COMPARISONS:
            raise ODataError(f"$filter: expected a comparison operator (eq, ne, gt, ge, lt, le) after "
                             f"'{name.text}' at position {operator.at}")
        self.take()
        value = self.literal(kind, name.text)
        compare = _COMPARISONS[operator.text]
        read = _reader(path, kind)
        return lambda item: compare(read(item), value)

    def lambda_(self, collection: str, quantifier: str, at: int) -> Predicate:
        if self.fields.get(collection) != "collection":
            raise ODataError(f"$filter: '{collection}' is not a collection that can be filtered with {quantifier}()")
        self.take("punct", "(")
        variable = self.take("name").text
        self.take("punct", ":")
        self.scope[variable] = collection
        inner = self.or_expr()
        del self.scope[variable]
        self.take("punct", ")")
        test = any if quantifier == "any" else all
        slot = f"${variable}"
        return lambda item: test(inner({**item, slot: element}) for element in _get(item, collection) or [])

    def field(self, token: _Token) -> tuple[str, Kind]:
        first, _, rest = token.text.partition("/")
        if first in self.scope:
            path = f"{self.scope[first]}/{rest}"
            if rest and path in self.fields:
                return f"${first}/{rest}", self.fields[path]
        elif token.text in self.fields and self.fields[token.text] != "collection":
            return token.text, self.fields[token.text]
        allowed = ", ".join(sorted(self.fields))
        raise ODataError(f"$filter: the property '{token.text}' at position {token.at} cannot be filtered on "
                         f"(supported: {allowed})")

    def literal(self, kind: Kind, field: str) -> Any:
        token = self.take()
        if token.kind == "end":
            raise ODataError(f"$filter: a value is missing after '{field}' and its operator")
        if token.text == "null":
            return None
        if kind == "datetime" and token.kind in ("date", "string"):
            try:
                return ticks(token.text.strip("'"))
            except ODataError as error:
                raise ODataError(f"$filter: {error} (position {token.at}, property '{field}')") from None
        if kind == "string" and token.kind == "string":
            return token.text[1:-1].replace("''", "'").casefold()
        if kind == "number" and token.kind == "number":
            return float(token.text)
        raise ODataError(f"$filter: {token.text} at position {token.at} is not a valid {kind} value for "
                         f"'{field}'" + (" (strings go in single quotes)" if kind == "string" else ""))


def _get(item: Mapping[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("/"):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _reader(path: str, kind: Kind) -> Callable[[Mapping[str, Any]], Any]:
    def read(item: Mapping[str, Any]) -> Any:
        value = _get(item, path)
        if value is None:
            return None
        if kind == "datetime":
            return ticks(value)
        if kind == "string":
            return str(value).strip().casefold()
        return float(value)
    return read


def parse_filter(text: str, fields: Mapping[str, Kind]) -> Predicate:
    """A predicate over JSON objects for ``$filter`` text; ``fields`` maps filterable paths to kinds
    (a collection ``team`` and its members' fields as ``team/email``)."""
    if not text.strip():
        return lambda item: True
    return _Parser(text, fields).parse()


def parse_orderby(text: str, allowed: Mapping[str, Kind], *, default: str) -> list[tuple[str, bool]]:
    """``$orderby`` as [(field, descending)], e.g. ``createdDateTime desc``; only ``allowed`` fields."""
    order = []
    for clause in (text or default).split(","):
        words = clause.split()
        if not words or len(words) > 2 or words[0] not in allowed or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ODataError(f"$orderby: '{clause.strip()}' is not supported "
                             f"(use one of {', '.join(sorted(allowed))}, optionally followed by asc or desc)")
        order.append((words[0], len(words) == 2 and words[1] == "desc"))
    return order
