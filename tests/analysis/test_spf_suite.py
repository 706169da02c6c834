"""The openspf conformance suites (RFC 7208 and RFC 4408) run against ``spf.check_host``.

Every test of ``shared/data/spf/rfc7208-tests.yml`` and ``rfc4408-tests.yml`` is one case,
id ``<suite>/<section>/<test>``.  The zone data become a table with ``suite_records`` (also
meant for the sandbox DNS server) and are answered in memory by ``suite_answers``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
import yaml

from hunter.analysis import spf
from hunter.dns.facts import RDTYPES, Answer, Query, answer_from_dict, drive

Records = dict[tuple[str, str], list[str] | str]
SUITES = ("rfc7208", "rfc4408")
MAX_CNAMES = 8

# RFC 4408 expectations that RFC 7208 changed; each is checked to still fail (strict xfail).
XFAIL: dict[str, str] = {}


def shared_dir() -> Path:
    return Path(os.environ.get("HUNTER_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared")


def suite_documents(suite: str) -> list[dict[str, Any]]:
    path = shared_dir() / "data" / "spf" / f"{suite}-tests.yml"
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


# -- zone data -> records ---------------------------------------------------------------------

def suite_records(doc: dict[str, Any]) -> Records:
    """The zone data of one suite document as ``{(name, rdtype): records | "error"}``.

    Names are lower-case without trailing dot; records are in the text form of
    ``hunter.dns.facts`` (TXT strings joined, MX "pref host.", PTR/CNAME "host.").  Type SPF
    is not served (RFC 7208 uses TXT only) but, as the suite's drivers do, SPF records are
    copied to TXT at a name that has no TXT entry at all (not even ``TXT: NONE``).  A
    ``TIMEOUT`` entry makes every type without records listed before it "error".
    """
    table: Records = {}
    for name, entries in (doc.get("zonedata") or {}).items():
        key = str(name).lower().rstrip(".")
        for rdtype, value in _name_records(_entries(entries)).items():
            table[(key, rdtype)] = value
    return table


def _entries(entries: list[Any]) -> list[tuple[str, Any]]:
    """(type, value) pairs in zone order, "TIMEOUT" as ("TIMEOUT", None), SPF copied to TXT."""
    pairs: list[tuple[str, Any]] = []
    for entry in entries:
        if entry == "TIMEOUT":
            pairs.append(("TIMEOUT", None))
        else:
            pairs.extend((str(rdtype), value) for rdtype, value in entry.items())
    if not any(rdtype == "TXT" for rdtype, _ in pairs):
        pairs += [("TXT", value) for rdtype, value in pairs if rdtype == "SPF"]
    return pairs


def _name_records(pairs: list[tuple[str, Any]]) -> dict[str, list[str] | str]:
    found: dict[str, list[str]] = {}
    for rdtype, value in pairs:
        if rdtype == "TIMEOUT":
            return {**dict.fromkeys(RDTYPES, "error"), **found}
        if rdtype in RDTYPES and value != "NONE":     # NONE only stops the SPF -> TXT copy
            found.setdefault(rdtype, []).append(_rdata(rdtype, value))
    return dict(found)


def _rdata(rdtype: str, value: Any) -> str:
    if rdtype == "TXT":
        return "".join(value) if isinstance(value, list) else str(value)
    if rdtype == "MX":
        return f"{value[0]} {_absolute(str(value[1]))}"
    if rdtype in ("PTR", "CNAME"):
        return _absolute(str(value))
    if rdtype in ("A", "AAAA"):
        return str(ip_address(value))
    return str(value)


def _absolute(name: str) -> str:
    return name if name.endswith(".") else f"{name}."


def suite_answers(records: Records) -> Callable[[Query], Answer]:
    """Answer queries from ``suite_records``, following CNAME chains like a resolver."""
    direct = answer_from_dict(records)

    def answer_for(query: Query) -> Answer:
        name, chain = query.name, list[str]()
        while query.rdtype != "CNAME" and (name, query.rdtype) not in records \
                and isinstance(records.get((name, "CNAME")), list):
            name = records[(name, "CNAME")][0].lower().rstrip(".")
            if name in chain or len(chain) >= MAX_CNAMES:
                return Answer(query, "error", cnames=tuple(chain), errors=("CNAME loop",))
            chain.append(name)
        answer = direct(Query(name, query.rdtype))
        return Answer(query, answer.status, answer.records, cnames=tuple(chain))

    return answer_for


# -- the cases ---------------------------------------------------------------------------------

def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def suite_cases(suite: str) -> Iterator[Any]:
    for doc in suite_documents(suite):
        records = suite_records(doc)
        for name, test in doc["tests"].items():
            case_id = f"{suite}/{_slug(doc['description'])}/{name}"
            marks = [pytest.mark.xfail(strict=True, reason=XFAIL[case_id])] if case_id in XFAIL else []
            yield pytest.param(records, test, id=case_id, marks=marks)


def run_case(records: Records, test: dict[str, Any]) -> spf.SpfResult:
    helo, mailfrom = str(test.get("helo", "")), str(test.get("mailfrom", ""))
    domain = mailfrom.rpartition("@")[2] if mailfrom else helo
    sender = mailfrom or f"postmaster@{helo}"
    walker = spf.check_host(str(test["host"]), domain, sender, helo=helo, timestamp=0)
    return drive(walker, suite_answers(records))


@pytest.mark.parametrize(("records", "test"), [c for s in SUITES for c in suite_cases(s)])
def test_suite(records: Records, test: dict[str, Any]) -> None:
    result = run_case(records, test)
    expected = test["result"] if isinstance(test["result"], list) else [test["result"]]
    assert result.result in expected, result
    if "explanation" in test:
        wanted = None if test["explanation"] == "DEFAULT" else test["explanation"]
        assert result.explanation == wanted, result


def test_xfail_entries_name_real_cases() -> None:
    ids = {case.id for suite in SUITES for case in suite_cases(suite)}
    assert set(XFAIL) <= ids
