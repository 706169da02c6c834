"""The lead list (filters, sorts, cursor pagination) and one lead in full, on both backends."""

from __future__ import annotations

import pytest

from .conftest import SEEDED, Api, seed
from .test_auth import assert_problem


async def listing(api: Api, **params) -> dict:
    response = await api.get("/api/v1/leads", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def domains(api: Api, **params) -> list[str]:
    return [item["domain"] for item in (await listing(api, **params))["items"]]


async def test_list_shows_the_verdict_of_each_lead(any_api: Api) -> None:
    await seed(any_api)
    page = await listing(any_api, sort="domain")
    assert page["total"] == len(SEEDED) and page["next_cursor"] is None
    natro = next(i for i in page["items"] if i["domain"] == "karadenizfindik.com.tr")
    assert natro["provider"] == {"key": "natro", "name": natro["provider"]["name"], "kind": "local_hosting"}
    assert natro["local_provider"] == "Natro" and natro["segment"] == "greenfield"
    assert natro["priority"] == "P1" and natro["priority_label"] == "High-potential greenfield"
    assert natro["status"] == "ok" and natro["scanned_at"] and isinstance(natro["score"], int)
    gateway = next(i for i in page["items"] if i["domain"] == "gateway-m365.test")
    assert gateway["gateway"]["key"] == "proofpoint" and gateway["gateway"]["name"]


FILTERS = [
    ({"provider": "m365"}, {"m365-tenant.test", "gateway-m365.test"}),
    ({"kind": "local_hosting"}, {"karadenizfindik.com.tr", "torosyapi.com.tr"}),
    ({"gateway": "true"}, {"gateway-m365.test"}),
    ({"gateway": "proofpoint"}, {"gateway-m365.test"}),
    ({"local_provider": "Natro"}, {"karadenizfindik.com.tr"}),
    ({"segment": "competitive"}, {"gworkspace.test", "zoho-co.test", "hybrid-co.test"}),
    ({"priority": ["P1", "P6"]}, {"selfhosted.test", "karadenizfindik.com.tr", "torosyapi.com.tr", "parked.test"}),
    ({"score_min": 50, "score_max": 60}, {"selfhosted.test", "hybrid-co.test"}),
    ({"tenant_size": "large"}, {"hybrid-co.test"}),
    ({"status": "null_mx"}, {"parked.test"}),
    ({"q": "findik"}, {"karadenizfindik.com.tr"}),
    ({"provider": "m365", "gateway": "false"}, {"m365-tenant.test"}),
]
SORTS = ["score", "-score", "priority", "domain", "company", "scanned_at", "-scanned_at"]


async def test_filters(any_api: Api) -> None:
    await seed(any_api)
    for params, expected in FILTERS:
        page = await listing(any_api, **params)
        assert {i["domain"] for i in page["items"]} == expected, params
        assert page["total"] == len(expected), params


async def test_gateway_false_excludes_gateways(any_api: Api) -> None:
    await seed(any_api)
    found = set(await domains(any_api, gateway="false"))
    assert "gateway-m365.test" not in found and len(found) == len(SEEDED) - 1


async def test_cursor_walk_visits_every_lead_once_in_order(any_api: Api) -> None:
    await seed(any_api)
    for sort in SORTS:
        await walk(any_api, sort)


async def walk(api: Api, sort: str) -> None:
    whole = await domains(api, sort=sort, limit=500)
    walked, cursor = [], None
    while True:
        params = {"sort": sort, "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await listing(api, **params)
        walked += [item["domain"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert walked == whole and sorted(walked) == sorted(SEEDED), sort


async def test_sorts_order_the_list(any_api: Api) -> None:
    await seed(any_api)
    scores = [i["score"] for i in (await listing(any_api, sort="-score"))["items"]]
    assert scores == sorted(scores, reverse=True)
    assert await domains(any_api, sort="domain") == sorted(SEEDED)


async def test_offset_pagination(any_api: Api) -> None:
    await seed(any_api)
    whole = await domains(any_api, sort="domain")
    assert await domains(any_api, sort="domain", limit=3, offset=3) == whole[3:6]


BAD_PARAMS = [
    {"sort": "price"}, {"limit": 0}, {"limit": 501}, {"priority": "P9"}, {"score_min": -1},
    {"kind": "mainframe"}, {"colour": "red"}, {"offset": -1},
]


async def test_bad_query_parameters_are_422_problems(any_api: Api) -> None:
    for params in BAD_PARAMS:
        body = assert_problem(await any_api.get("/api/v1/leads", params=params), 422)
        assert body["errors"] and all("loc" in e and "msg" in e for e in body["errors"]), params
        assert body["errors"][0]["loc"][0] == "query", params
    body = assert_problem(await any_api.get("/api/v1/leads", params={"cursor": "not-a-cursor"}), 422)
    assert "cursor" in body["detail"]


@pytest.mark.parametrize("lang", ["tr", "en"])
async def test_detail_has_verdict_breakdown_evidence_sales_and_history(any_api: Api, lang: str) -> None:
    ids = await seed(any_api)
    response = await any_api.get(f"/api/v1/leads/{ids['karadenizfindik.com.tr']}", params={"lang": lang})
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["lead"]["domain"] == "karadenizfindik.com.tr"
    verdict = detail["verdict"]
    assert verdict["priority"] == "P1" and verdict["reasons"]
    assert sum(r["points"] for r in verdict["reasons"]) == verdict["score"]
    assert detail["evidence"]["domain"] == "karadenizfindik.com.tr" and detail["evidence"]["mx"]
    assert detail["sales"]["lang"] == lang and detail["sales"]["one_liner"]
    assert [h["status"] for h in detail["history"]] == ["ok"]
    assert detail["changes"] == []


async def test_detail_sales_summary_speaks_the_language_asked(any_api: Api) -> None:
    ids = await seed(any_api, ("karadenizfindik.com.tr",))
    url = f"/api/v1/leads/{ids['karadenizfindik.com.tr']}"
    tr = (await any_api.get(url)).json()["sales"]
    en = (await any_api.get(url, params={"lang": "en"})).json()["sales"]
    assert tr["lang"] == "tr" and en["lang"] == "en" and tr["one_liner"] != en["one_liner"]


async def test_missing_lead_is_404_problem(any_api: Api) -> None:
    assert_problem(await any_api.get("/api/v1/leads/424242"), 404)
    assert_problem(await any_api.get("/api/v1/leads/1", params={"lang": "de"}), 422)
