"""CSV and XLSX exports: every matching row, the list's model, Excel-safe, on both backends."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from hunter.exports import EXPORT_COLUMNS, LeadView, export_row
from hunter.store.leads import LeadRepository

from .conftest import SEEDED, Api, seed
from .test_auth import assert_problem

EVIL = ("=HYPERLINK(\"http://x\")", "+cmd", "-2+3", "@SUM(A1)")   # the store strips leading TAB/CR


def add_evil_leads(api: Api) -> None:
    with api.services.sessions() as session:
        for n, company in enumerate(EVIL):
            LeadRepository(session).upsert(f"evil{n}.test", company=company, source="test")
        session.commit()


def test_export_row_neutralises_every_formula_start() -> None:
    view = LeadView(id=1, domain="=a.test", company="\tTab", provider_key=None, provider_name=None,
                    provider_kind=None, local_provider="\rCR", gateway_key=None, gateway="@x",
                    segment=None, priority=None, priority_label="+1", score=-5, tenant_size="-x",
                    status=None, scanned_at=None)
    row = dict(zip(EXPORT_COLUMNS, export_row(view, None)))
    assert (row["domain"], row["company"], row["local_provider"], row["gateway"]) == ("'=a.test", "'\tTab", "'\rCR", "'@x")
    assert (row["priority_label"], row["tenant_size"], row["score"]) == ("'+1", "'-x", -5)


def read_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


async def test_csv_has_bom_all_rows_the_list_model_and_no_formulas(any_api: Api) -> None:
    await seed(any_api)
    add_evil_leads(any_api)
    response = await any_api.get("/api/v1/exports/leads.csv", params={"sort": "domain"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert response.headers["content-disposition"] == f'attachment; filename="hunter-leads-{day}.csv"'
    rows = read_csv(response.content)
    assert len(rows) == len(SEEDED) + len(EVIL) and tuple(rows[0]) == EXPORT_COLUMNS
    listed = (await any_api.get("/api/v1/leads", params={"sort": "domain", "limit": 500})).json()["items"]
    assert [r["domain"] for r in rows] == [i["domain"] for i in listed]
    for row, item in zip(rows, listed):
        assert (row["priority"], row["priority_label"], row["segment"]) == (
            item["priority"] or "", item["priority_label"] or "", item["segment"] or "")
    companies = {r["company"] for r in rows if r["domain"].startswith("evil")}
    assert companies == {"'" + c for c in EVIL}
    natro = next(r for r in rows if r["domain"] == "karadenizfindik.com.tr")
    assert natro["provider_name"] and natro["mx"] and natro["reasons"]


async def test_csv_follows_the_filters(any_api: Api) -> None:
    await seed(any_api)
    rows = read_csv((await any_api.get("/api/v1/exports/leads.csv", params={"segment": "competitive"})).content)
    assert {r["domain"] for r in rows} == {"gworkspace.test", "zoho-co.test", "hybrid-co.test"}
    scores = [int(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)                 # the list's default sort
    empty = read_csv((await any_api.get("/api/v1/exports/leads.csv", params={"q": "nothing-matches"})).content)
    assert empty == []


async def test_xlsx_has_every_row_and_no_formulas(any_api: Api) -> None:
    await seed(any_api)
    add_evil_leads(any_api)
    response = await any_api.get("/api/v1/exports/leads.xlsx", params={"sort": "domain"})
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == EXPORT_COLUMNS and len(rows) == 1 + len(SEEDED) + len(EVIL)
    company = EXPORT_COLUMNS.index("company")
    assert {r[company] for r in rows[1:] if r[1].startswith("evil")} == {"'" + c for c in EVIL}


async def test_export_validates_like_the_list(any_api: Api) -> None:
    assert_problem(await any_api.get("/api/v1/exports/leads.csv", params={"sort": "nope"}), 422)
    assert_problem(await any_api.get("/api/v1/exports/leads.xlsx", params={"limit": 5}), 422)
    assert_problem(await any_api.client.get("/api/v1/exports/leads.csv"), 401)


def test_the_export_label_names_the_gateway_like_the_verdict() -> None:
    from hunter.exports import priority_label
    from hunter.scoring import rules as scoring_rules

    rules = scoring_rules.load(scoring_rules.DEFAULT_PATH)
    assert priority_label(rules, "P5", "unknown_behind_gateway", gateway="Proofpoint") == "Unknown behind Proofpoint"
    assert priority_label(rules, "P1", "greenfield", gateway="Proofpoint") == rules.priorities["P1"].en
    assert priority_label(rules, None, "unknown") == rules.segments["unknown"].en
    assert priority_label(rules, None, None) is None
