"""Values of the DNS layer: what was asked, what came back, and the sans-I/O protocol.

Pure: no I/O here. ``analysis`` reads these types; only ``dns.lookup`` fills them.

The sans-I/O protocol used by policy code that needs several dependent lookups (the SPF
include walk, the DMARC organisational fallback): a *walker* is a generator that yields
``Query`` values and is sent back an ``Answer`` for each; its ``return`` value is the
result.  ``dns.lookup`` drives walkers for real; tests drive them from a dict with
``drive_from_dict`` below.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

AnswerStatus = Literal["ok", "nxdomain", "nodata", "error"]

# rdtypes Hunter asks for; the text form of each record is dnspython's ``to_text()`` except
# TXT, whose character-strings are decoded (UTF-8, errors replaced) and joined with "".
RDTYPES = ("A", "AAAA", "MX", "TXT", "CNAME", "SRV", "NS", "SOA", "PTR")


@dataclass(frozen=True, slots=True)
class Query:
    name: str          # lower-case, no trailing dot, A-labels
    rdtype: str        # one of RDTYPES

    def __post_init__(self) -> None:
        if self.rdtype not in RDTYPES:
            raise ValueError(f"unsupported rdtype {self.rdtype!r}")
        if self.name != self.name.lower().rstrip("."):
            raise ValueError(f"query name must be normalised: {self.name!r}")


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of one query after retries and resolver fallback.

    ``status``: ``ok`` (records present), ``nxdomain``, ``nodata`` (name exists, no record of
    that type), ``error`` (timeouts, SERVFAIL, REFUSED … from every resolver tried).
    ``records``: rdata text, sorted (TXT: the joined string).  ``cnames``: the CNAME chain
    followed from ``query.name`` (targets, in order), also when the chain ends in NODATA.
    ``errors``: one line per failed attempt, e.g. ``"127.0.0.1:5300 udp: timeout"``.
    """

    query: Query
    status: AnswerStatus
    records: tuple[str, ...] = ()
    cnames: tuple[str, ...] = ()
    ttl: int | None = None
    resolver: str | None = None
    errors: tuple[str, ...] = ()
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def failed(self) -> bool:
        return self.status == "error"


@dataclass(frozen=True, slots=True)
class DnsFacts:
    """Everything the DNS layer learned about one domain, keyed by query."""

    domain: str
    answers: Mapping[Query, Answer] = field(default_factory=dict)

    def get(self, name: str, rdtype: str) -> Answer | None:
        return self.answers.get(Query(name, rdtype))

    def records(self, name: str, rdtype: str) -> tuple[str, ...]:
        answer = self.get(name, rdtype)
        return answer.records if answer is not None and answer.ok else ()

    def cnames(self, name: str, rdtype: str) -> tuple[str, ...]:
        answer = self.get(name, rdtype)
        return answer.cnames if answer is not None else ()


R = TypeVar("R")
Walker = Generator[Query, Answer, R]


def drive(walker: Walker[R], answer_for: Callable[[Query], Answer]) -> R:
    """Run a walker synchronously, answering each query with ``answer_for``."""
    try:
        query = next(walker)
        while True:
            query = walker.send(answer_for(query))
    except StopIteration as stop:
        return stop.value


def answer_from_dict(table: Mapping[tuple[str, str], object]) -> Callable[[Query], Answer]:
    """Answers from a table ``{(name, rdtype): records}`` for tests and pure callers.

    A value may be a list of record texts (``ok``, or ``nodata`` when empty), the strings
    ``"nxdomain"`` / ``"error"``, or a ready ``Answer``.  A name absent from the table
    answers ``nxdomain`` unless some other rdtype of that name is present (then ``nodata``).
    """
    names = {name for name, _ in table}

    def answer_for(query: Query) -> Answer:
        value = table.get((query.name, query.rdtype))
        if isinstance(value, Answer):
            return value
        if value is None:
            return Answer(query, "nodata" if query.name in names else "nxdomain")
        if value in ("nxdomain", "error", "nodata"):
            return Answer(query, value)  # type: ignore[arg-type]
        records = tuple(sorted(value))  # type: ignore[arg-type]
        return Answer(query, "ok" if records else "nodata", records)

    return answer_for
