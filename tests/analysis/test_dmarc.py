"""hunter.analysis.dmarc against shared/data/dmarc/dmarc-record-cases.json and walk() tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from hunter import model
from hunter.analysis import dmarc
from hunter.dns.facts import Answer, Query, answer_from_dict, drive


def _shared_dir() -> Path:
    configured = os.environ.get("HUNTER_SHARED_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[3] / "shared"


CASES_FILE = _shared_dir() / "data" / "dmarc" / "dmarc-record-cases.json"
CASES: dict[str, Any] = json.loads(CASES_FILE.read_text(encoding="utf-8"))

# Where Hunter deliberately differs from the file's expectation, and why.
DEPARTURES: dict[str, tuple[str, str]] = {
    "v=DMARC1; sp=reject; p=reject": (
        "valid", "tolerant auditor: p out of order is a warning, as DMARCbis/checkdmarc "
                 "accept 'v=DMARC1; sp=none; p=reject' (last case of the file)"),
}

# effective key in the file -> attribute of DmarcRecord
ATTRIBUTE = {"p": "policy", "sp": "subdomain_policy", "np": "nonexistent_policy"}


def _expected(case: dict[str, Any]) -> str:
    if case["record"] in DEPARTURES:
        return DEPARTURES[case["record"]][0]
    strict, lenient = case.get("rfc7489_strict"), case.get("dmarcbis_lenient")
    if strict and lenient:
        assert strict == lenient, case
    return str(lenient or strict)


def _verdict(text: str) -> tuple[str, dmarc.DmarcRecord | None]:
    try:
        record = dmarc.parse(text)
    except dmarc.DmarcSyntaxError:
        return "invalid", None
    return ("valid" if record.valid else "invalid"), record


def _effective(record: dmarc.DmarcRecord, key: str) -> object:
    value = getattr(record, ATTRIBUTE.get(key, key))
    if key in ("rua", "ruf"):
        return [uri.text for uri in value]
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda case: repr(case["record"])[:60])
def test_record_case(case: dict[str, Any]) -> None:
    verdict, record = _verdict(case["record"])
    assert verdict == _expected(case)
    if verdict == "invalid":
        assert record is None or record.errors, "an invalid record must say why"
        return
    assert record is not None
    for key, value in case.get("effective", {}).items():
        assert _effective(record, key) == value, key


def test_every_case_is_covered() -> None:
    assert len(CASES["cases"]) >= 70
    assert set(DEPARTURES) <= {case["record"] for case in CASES["cases"]}


# --- parse details --------------------------------------------------------------------------

def test_defaults_of_a_minimal_record() -> None:
    record = dmarc.parse("v=DMARC1; p=quarantine")
    assert (record.policy, record.subdomain_policy, record.nonexistent_policy) == ("quarantine",) * 3
    assert (record.pct, record.adkim, record.aspf, record.fo, record.rf, record.ri) == (
        100, "r", "r", ("0",), ("afrf",), 86400)
    assert (record.psd, record.t, record.errors, record.warnings) == ("u", "n", (), ())


def test_report_uri_size_suffix_is_parsed_and_uri_kept() -> None:
    record = dmarc.parse("v=DMARC1; p=none; rua=mailto:a@x.example!10m, mailto:b@y.example!0G;"
                         " ruf=mailto:c@z.example!512")
    assert [(u.uri, u.max_size) for u in record.rua] == [
        ("mailto:a@x.example", 10 * 2**20), ("mailto:b@y.example", 0)]
    assert [(u.text, u.max_size) for u in record.ruf] == [("mailto:c@z.example!512", 512)]


@pytest.mark.parametrize("text, warning", [
    ("v=DMARC1; p=none;; rua=mailto:a@x.example", "empty tag"),
    ("v=DMARC1; p=none; future=1", "unknown tag 'future'"),
    ("v=DMARC1; p=none; rua=https://reports.example/dmarc", "not mailto"),
])
def test_tolerated_oddities_are_warnings(text: str, warning: str) -> None:
    record = dmarc.parse(text)
    assert record.valid
    assert any(warning in item for item in record.warnings)


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    (" v=DMARC1; p=none", "whitespace"),
    ("v=dmarc1; p=none", "exactly 'DMARC1'"),
    ("v=DMARC1 p=none", "missing ';'"),
    ("v=spf1 -all", "SPF"),
    ("p=none; v=DMARC1", "must start with"),
])
def test_not_dmarc_raises_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(dmarc.DmarcSyntaxError, match=message):
        dmarc.parse(text)


def test_syntax_error_is_a_value_error() -> None:
    assert issubclass(dmarc.DmarcSyntaxError, ValueError)


# --- evaluate -------------------------------------------------------------------------------

RULES = CASES["record_set_rules"]


def test_rule_multiple_records_apply_no_policy() -> None:
    result = dmarc.evaluate(RULES[0]["txt_records_at__dmarc"], source="domain")
    assert result.present and not result.valid
    assert result.policy is None and result.coverage is None
    assert any("multiple DMARC records (2)" in error for error in result.errors)


def test_rule_unrelated_txt_is_discarded() -> None:
    result = dmarc.evaluate(RULES[1]["txt_records_at__dmarc"], source="domain")
    assert result.valid and result.policy == "reject" and result.errors == []
    assert result.record == "v=DMARC1; p=reject"


def test_rule_empty_set_is_absent_without_errors() -> None:
    result = dmarc.evaluate(RULES[2]["txt_records_at__dmarc"], source="domain")
    assert result == model.Dmarc()


def test_evaluate_valid_record_fills_the_contract_fields() -> None:
    result = dmarc.evaluate(
        ["v=DMARC1; p=quarantine; sp=reject; pct=25; adkim=s; rua=mailto:d@firma.com.tr"],
        source="domain")
    assert result.model_dump() == {
        "present": True, "valid": True,
        "record": "v=DMARC1; p=quarantine; sp=reject; pct=25; adkim=s; rua=mailto:d@firma.com.tr",
        "policy": "quarantine", "subdomain_policy": "reject", "pct": 25, "coverage": 25,
        "rua": ["mailto:d@firma.com.tr"], "ruf": [], "adkim": "s", "aspf": "r",
        "source": "domain", "errors": []}


def test_evaluate_p_none_still_reports_coverage_as_pct() -> None:
    result = dmarc.evaluate(["v=DMARC1; p=none"], source="domain")
    assert (result.policy, result.pct, result.coverage) == ("none", 100, 100)


def test_evaluate_invalid_record_has_no_effective_policy() -> None:
    result = dmarc.evaluate(["v=DMARC1; p=reject; fo=x; rua=mailto:d@x.example"], source="domain")
    assert result.present and not result.valid
    assert (result.policy, result.subdomain_policy, result.pct, result.coverage) == (None,) * 4
    assert result.rua == ["mailto:d@x.example"]
    assert result.errors == ["fo: invalid value 'x'"]


def test_evaluate_warnings_are_prefixed() -> None:
    result = dmarc.evaluate(["v=DMARC1; p=reject; xyz=1"], source="domain")
    assert result.valid and result.errors == ["warning: unknown tag 'xyz' ignored"]


def test_evaluate_lookalike_is_reported_not_silently_dropped() -> None:
    result = dmarc.evaluate(["v=dmarc1; p=reject"], source="domain")
    assert result.present and not result.valid and result.record == "v=dmarc1; p=reject"
    assert "exactly 'DMARC1'" in result.errors[0]


def test_evaluate_spf_at_dmarc_is_named() -> None:
    result = dmarc.evaluate(["v=spf1 -all"], source="domain")
    assert not result.present and "SPF record" in result.errors[0]


def test_evaluate_organizational_uses_sp() -> None:
    result = dmarc.evaluate(["v=DMARC1; p=reject; sp=none; pct=50"], source="organizational")
    assert (result.policy, result.subdomain_policy, result.coverage) == ("none", "none", 50)
    assert result.source == "organizational"


# --- walk -----------------------------------------------------------------------------------

def _walk(table: dict[tuple[str, str], object], domain: str,
          org: str | None) -> tuple[model.Dmarc, list[Query]]:
    """Drive walk() from a table; return the result and the queries it asked, in order."""
    asked: list[Query] = []
    answer_for = answer_from_dict(table)

    def recording(query: Query) -> Answer:
        asked.append(query)
        return answer_for(query)

    return drive(dmarc.walk(domain, org), recording), asked


def test_walk_domain_record_needs_one_query() -> None:
    table = {("_dmarc.firma.com.tr", "TXT"): ["v=DMARC1; p=reject"]}
    result, asked = _walk(table, "firma.com.tr", "firma.com.tr")
    assert result.valid and result.policy == "reject" and result.source == "domain"
    assert asked == [Query("_dmarc.firma.com.tr", "TXT")]


def test_walk_falls_back_to_the_organizational_domain() -> None:
    table = {("_dmarc.firma.com.tr", "TXT"): ["v=DMARC1; p=reject; sp=quarantine; pct=40"]}
    result, asked = _walk(table, "mail.firma.com.tr", "firma.com.tr")
    assert result.source == "organizational" and result.valid
    assert (result.policy, result.subdomain_policy, result.coverage) == ("quarantine", "quarantine", 40)
    assert asked == [Query("_dmarc.mail.firma.com.tr", "TXT"),
                           Query("_dmarc.firma.com.tr", "TXT")]


def test_walk_org_fallback_without_sp_uses_p() -> None:
    table = {("_dmarc.firma.com.tr", "TXT"): ["v=DMARC1; p=reject"]}
    result, asked = _walk(table, "Mail.Firma.com.tr.", "firma.com.tr")
    assert result.source == "organizational" and result.policy == "reject"


def test_walk_no_record_anywhere_is_absent() -> None:
    result, asked = _walk({}, "mail.firma.com.tr", "firma.com.tr")
    assert result == model.Dmarc()
    assert len(asked) == 2


def test_walk_same_org_domain_does_not_ask_twice() -> None:
    result, asked = _walk({}, "firma.com.tr", "firma.com.tr")
    assert not result.present and len(asked) == 1


def test_walk_dns_error_is_never_silent() -> None:
    failed = Answer(Query("_dmarc.firma.com.tr", "TXT"), "error",
                    errors=("127.0.0.1:53 udp: timeout", "1.1.1.1:53 udp: SERVFAIL"))
    result, asked = _walk({("_dmarc.firma.com.tr", "TXT"): failed}, "firma.com.tr", "firma.com.tr")
    assert not result.present and not result.valid
    assert result.errors == ["dns: _dmarc.firma.com.tr TXT failed: 127.0.0.1:53 udp: timeout; "
                             "1.1.1.1:53 udp: SERVFAIL"]
    assert len(asked) == 1


def test_walk_dns_error_at_the_organizational_domain() -> None:
    table: dict[tuple[str, str], object] = {("_dmarc.firma.com.tr", "TXT"): "error"}
    result, asked = _walk(table, "mail.firma.com.tr", "firma.com.tr")
    assert not result.present
    assert result.errors == ["dns: _dmarc.firma.com.tr TXT failed: no resolver answered"]


def test_walk_multiple_records_do_not_fall_back() -> None:
    table = {("_dmarc.mail.firma.com.tr", "TXT"): ["v=DMARC1; p=reject", "v=DMARC1; p=none"],
             ("_dmarc.firma.com.tr", "TXT"): ["v=DMARC1; p=quarantine"]}
    result, asked = _walk(table, "mail.firma.com.tr", "firma.com.tr")
    assert result.present and not result.valid and result.source == "domain"
    assert "multiple DMARC records" in result.errors[0]
    assert len(asked) == 1


def test_walk_unrelated_txt_is_discarded_then_falls_back() -> None:
    table = {("_dmarc.mail.firma.com.tr", "TXT"): ["google-site-verification=abc"],
             ("_dmarc.firma.com.tr", "TXT"): ["v=DMARC1; p=quarantine", "ms=ms123"]}
    result, asked = _walk(table, "mail.firma.com.tr", "firma.com.tr")
    assert result.valid and result.source == "organizational" and result.policy == "quarantine"
    assert result.errors == []


def test_walk_lookalike_falls_back_but_keeps_the_error() -> None:
    table = {("_dmarc.mail.firma.com.tr", "TXT"): ["v=dmarc1; p=reject"],
             ("_dmarc.firma.com.tr", "TXT"): ["v=DMARC1; p=none"]}
    result, asked = _walk(table, "mail.firma.com.tr", "firma.com.tr")
    assert result.source == "organizational" and result.policy == "none"
    assert "ignored TXT 'v=dmarc1; p=reject'" in result.errors[0]


def test_walk_nxdomain_at_dmarc_name_is_no_record() -> None:
    table: dict[tuple[str, str], object] = {("_dmarc.firma.com.tr", "TXT"): "nxdomain"}
    result, asked = _walk(table, "firma.com.tr", None)
    assert result == model.Dmarc()
