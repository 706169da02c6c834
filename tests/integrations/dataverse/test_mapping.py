"""The lead mapping: the bundled YAML, validation messages, and values made fit for their columns (pure)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hunter.errors import RulesError
from hunter.integrations.base import ColumnProblem
from hunter.integrations.dataverse import mapping
from hunter.sandbox.dataverse_schema import lead_schema

BUNDLED = mapping.load()
TYPES = {"String": ("string", "url", "email"), "Memo": ("memo",), "Integer": ("integer",)}


def make(**fields: object) -> dict:
    return mapping.record({"domain": "ornek.com.tr", **fields}, BUNDLED).values


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "dynamics.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def bundled_data() -> dict:
    return yaml.safe_load(mapping.BUNDLED.read_text(encoding="utf-8"))


# --- the bundled mapping ------------------------------------------------------------------------

def test_the_bundled_mapping_loads_with_every_column_of_the_issue() -> None:
    assert set(BUNDLED.columns) == {
        "subject", "companyname", "websiteurl", "emailaddress1", "description", "hnt_domain", "hnt_score",
        "hnt_segment", "hnt_priority", "hnt_provider", "hnt_gateway", "hnt_tenantsize", "hnt_infrasummary",
        "hnt_pcreferral", "hnt_hunterurl"}
    assert (BUNDLED.entity, BUNDLED.entity_set, BUNDLED.key.column, BUNDLED.key.name) == \
        ("lead", "leads", "hnt_domain", "hnt_domain_key")
    assert BUNDLED.language == "tr" and BUNDLED.create_only == frozenset({"subject"})
    assert {column.source for column in BUNDLED.columns.values()} == set(mapping.SOURCES)
    assert BUNDLED.path == str(mapping.BUNDLED)


def test_the_bundled_mapping_fits_the_stand_ins_lead_table() -> None:
    """Same names, types and lengths as ``dataverse_schema`` (B.3 and the custom columns)."""
    schema = lead_schema()
    for name, column in BUNDLED.columns.items():
        table = schema.column(name)
        assert table is not None, name
        assert column.type in TYPES[table.type], name
        if column.type == "integer":
            assert column.bounds == (table.min_value, table.max_value)
        else:
            assert column.max_length == table.max_length, name
    assert (BUNDLED.columns["subject"].max_length, BUNDLED.columns["description"].max_length) == (300, 2000)


# --- validation names the file and the field ---------------------------------------------------------

@pytest.mark.parametrize(("change", "where"), [
    (lambda d: d["columns"]["hnt_score"].update(max_length=5), "columns.hnt_score"),
    (lambda d: d["columns"]["hnt_segment"].update(source="sector"), "columns.hnt_segment.source"),
    (lambda d: d["columns"]["hnt_segment"].pop("max_length"), "max_length is required"),
    (lambda d: d["columns"]["hnt_segment"].update(colour="red"), "columns.hnt_segment.colour"),
    (lambda d: d["columns"]["description"].update(max_length=2_000_000), "above what Dataverse allows"),
    (lambda d: d["columns"]["hnt_score"].update(min=50, max=10), "min <= max"),
    (lambda d: d["columns"]["subject"].update(fallback="Hunter: {firm}"), "firm"),
    (lambda d: d["key"].update(column="hnt_nothing"), "key.column 'hnt_nothing'"),
    (lambda d: d["columns"]["hnt_domain"].update(create_only=True), "key column"),
    (lambda d: d.update(language="de"), "language"),
    (lambda d: d.update(version=2), "version"),
    (lambda d: d["columns"].update({"Bad-Name": {"source": "score", "type": "integer"}}), "Bad-Name"),
])
def test_a_bad_mapping_names_the_file_and_the_field(tmp_path: Path, change, where: str) -> None:
    data = bundled_data()
    change(data)
    path = write(tmp_path, data)
    with pytest.raises(RulesError) as caught:
        mapping.load(path)
    assert str(path) in str(caught.value) and where in str(caught.value)


def test_unreadable_yaml_and_a_list_are_rules_errors(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read"):
        mapping.load(write(tmp_path, "columns: [unclosed"))
    with pytest.raises(RulesError, match="top level must be a mapping"):
        mapping.parse(["a"], source="x.yaml")


def test_a_customer_mapping_can_make_more_columns_create_only(tmp_path: Path) -> None:
    data = bundled_data()
    data["columns"]["companyname"]["create_only"] = True
    data["language"] = "en"
    custom = mapping.load(write(tmp_path, data))
    assert custom.create_only == {"subject", "companyname"} and custom.language == "en"
    assert mapping.record({"domain": "a.example"}, custom).create_only == {"subject", "companyname"}


# --- values -------------------------------------------------------------------------------------

def test_empty_values_are_null_and_the_subject_falls_back_to_company_or_domain() -> None:
    values = make(company="  ", contact_email=None, summary="", score=None, provider=[])
    assert values["subject"] == "Hunter: ornek.com.tr"
    assert all(values[name] is None for name in ("companyname", "emailaddress1", "description", "hnt_score",
                                                 "hnt_provider"))
    assert make(company="Örnek A.Ş.")["subject"] == "Hunter: Örnek A.Ş."
    assert make(company="Örnek", subject="Hunter: Örnek (E5)")["subject"] == "Hunter: Örnek (E5)"


def test_the_key_is_the_domain_lower_cased_and_a_lead_without_one_is_refused() -> None:
    record = mapping.record({"domain": " Ornek.COM.tr. "}, BUNDLED, record_id="abc")
    assert record.key == record.values["hnt_domain"] == "ornek.com.tr" and record.record_id == "abc"
    with pytest.raises(ValueError, match="hnt_domain is required"):
        mapping.record({"company": "x"}, BUNDLED)
    with pytest.raises(ValueError, match="not usable as the key"):
        mapping.record({"domain": "a" * 254}, BUNDLED)
    with pytest.raises(ValueError, match="unknown source fields sector"):
        mapping.record({"domain": "a.example", "sector": "x"}, BUNDLED)


def test_a_long_summary_is_cut_cleanly_on_a_word_boundary() -> None:
    summary = "Şirket e-postasını Google Workspace üzerinde barındırıyor ve DMARC politikası yok. " * 40
    value = make(summary=summary)["description"]
    assert len(value) <= 2000 and value.endswith("…") and not value.endswith(" …")
    assert summary.startswith(value[:-1]) and summary[len(value) - 1] in " ."


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("short", 10, "short"),
    ("hello wonderful world", 12, "hello…"),
    ("hello, world", 9, "hello…"),
    ("abcdefghijklmnop", 6, "abcde…"),                 # one long word: a hard cut
    ("ab😀😀", 4, "ab…"),                               # never half a surrogate pair (UTF-16 units)
    ("ab😀😀", 5, "ab😀…"),
    ("ce\u0301e\u0301", 4, "ce\u0301…"),             # never a letter without its accent
])
def test_cut(text: str, limit: int, expected: str) -> None:
    assert mapping.cut(text, limit) == expected
    assert len(expected.encode("utf-16-le")) // 2 <= limit


def test_one_line_columns_collapse_whitespace_and_memos_keep_lines() -> None:
    values = make(segment="competitive \n\t behind  gateway", infra_summary="mail: M365\r\nweb: Natro\x00\n")
    assert values["hnt_segment"] == "competitive behind gateway"
    assert values["hnt_infrasummary"] == "mail: M365\nweb: Natro"


@pytest.mark.parametrize(("raw", "expected"), [(87, 87), ("87", 87), (87.0, 87), (150, 100), (-5, 0), (" 9 ", 9)])
def test_integers_are_checked_and_clamped(raw: object, expected: int) -> None:
    assert make(score=raw)["hnt_score"] == expected


@pytest.mark.parametrize("raw", ["high", 87.5, True, "8 7", [1]])
def test_a_score_that_is_not_a_whole_number_is_refused_naming_the_column(raw: object) -> None:
    with pytest.raises(ValueError, match="column hnt_score"):
        make(score=raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("ali@ornek.com.tr", "ali@ornek.com.tr"), (" mailto:ali@ornek.com.tr ", "ali@ornek.com.tr"),
    ("not an address", None), ("ali@ornek", None), ("ali @ornek.com", None),
    (["bad", "", "veli@ornek.com.tr"], "veli@ornek.com.tr"), ("a" * 95 + "@x.com", None),
])
def test_an_invalid_email_leaves_the_column_null(raw: object, expected: str | None) -> None:
    assert make(contact_email=raw)["emailaddress1"] == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("https://www.ornek.com.tr/", "https://www.ornek.com.tr/"), ("ornek.com.tr", "https://ornek.com.tr"),
    ("http://örnek.com.tr:8080/a?b=1", "http://örnek.com.tr:8080/a?b=1"), ("ftp://ornek.com.tr", None),
    ("https://", None), ("https://bad host.com", None), ("https://ornek.com.tr/" + "a" * 200, None),
])
def test_urls_are_checked_and_never_cut(raw: str, expected: str | None) -> None:
    assert make(website=raw)["websiteurl"] == expected


def test_fingerprint_is_stable_and_sensitive() -> None:
    first = mapping.record({"domain": "a.example", "score": 70, "company": "A"}, BUNDLED)
    again = mapping.record({"company": "A", "score": "70", "domain": "A.example"}, BUNDLED, record_id="x")
    changed = mapping.record({"domain": "a.example", "score": 71, "company": "A"}, BUNDLED)
    assert mapping.fingerprint(first) == mapping.fingerprint(again)
    assert mapping.fingerprint(first) != mapping.fingerprint(changed)
    assert len(mapping.fingerprint(first)) == 64


# --- readiness, from metadata as values ------------------------------------------------------------

def attribute(name: str, kind: str, **extra: object) -> dict:
    return {"LogicalName": name, "AttributeType": kind, **extra}


def test_problems_column_by_column_then_the_key() -> None:
    attributes = [attribute(name, "Memo" if column.type == "memo" else
                            "Integer" if column.type == "integer" else "String",
                            MaxLength=column.max_length, MinValue=column.min, MaxValue=column.max)
                  for name, column in BUNDLED.columns.items() if name not in ("hnt_gateway",)]
    attributes = [a | {"MaxLength": 5} if a["LogicalName"] == "hnt_priority" else a for a in attributes]
    attributes = [a | {"AttributeType": "String"} if a["LogicalName"] == "description" else a for a in attributes]
    attributes = [a | {"MaxValue": 50} if a["LogicalName"] == "hnt_score" else a for a in attributes]
    keys = [{"LogicalName": "hnt_domain_key", "KeyAttributes": ["hnt_domain"], "EntityKeyIndexStatus": "Failed"}]
    found = mapping.problems(BUNDLED, attributes, keys)
    assert [(p.column, p.problem) for p in found] == [
        ("description", "wrong_type"), ("hnt_score", "too_short"), ("hnt_priority", "too_short"),
        ("hnt_gateway", "missing"), ("hnt_domain", "key_inactive")]
    assert "holds 5 characters; the mapping sends up to 10" in found[2].detail
    assert "Failed, not Active" in found[4].detail
    assert mapping.problems(BUNDLED, attributes, [])[-1] == ColumnProblem(
        "hnt_domain", "key_missing", "the lead table has no alternate key on hnt_domain alone: create one "
                                     "(e.g. hnt_domain_key) so pushes can upsert by domain")
