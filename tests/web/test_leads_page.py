"""The lead list page: the API's rows for the API's parameters, facets with counts, sortable
columns, keyset pages, exports of exactly what is filtered, Turkish and English."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from starlette.requests import Request

from hunter.web import listing
from hunter.web.i18n import Translator

from .support import Web, web  # noqa: F401  (the fixture)

DOMAIN = re.compile(r'class="domain-link" title="([^"]+)"')
NEXT = re.compile(r'href="([^"]+)" rel="next"')
QUERIES = ["", "sort=domain", "priority=P1&priority=P2", "provider=m365", "gateway=true", "gateway=false",
           "local_provider=Natro", "segment=competitive&sort=company", "q=toros", "referral=false",
           "dynamics=none&sort=-scanned_at", "tenant_size=unknown&score_min=10", "status=ok&sort=priority"]


def shown(page: httpx.Response) -> list[str]:
    return [m.replace("&amp;", "&") for m in DOMAIN.findall(page.text)]


async def api_domains(web: Web, query: str) -> list[str]:
    answer = await web.api.get(f"/api/v1/leads?{query}")
    assert answer.status_code == 200, answer.text
    return [item["domain"] for item in answer.json()["items"]]


async def test_the_page_lists_what_the_api_lists_for_the_same_query_string(web: Web) -> None:
    client = await web.login("viewer")
    for query in QUERIES:
        page = await client.get(f"/leads?{query}")
        assert page.status_code == 200, query
        assert shown(page) == await api_domains(web, query), query


async def test_facets_count_each_value_and_switch_filters_on_and_off(web: Web) -> None:
    client = await web.login("viewer")
    page = await client.get("/leads?priority=P1")
    assert shown(page) == await api_domains(web, "priority=P1")
    p1 = re.search(r'<a href="([^"]*)" class="facet-value is-selected" aria-current="true">\s*'
                   r'<span class="facet-check" aria-hidden="true"></span>\s*<span class="badge badge-p1">P1</span>', page.text)
    assert p1 and p1.group(1) == "/leads", "the selected P1 facet links to the list without it"
    assert re.search(r'href="/leads\?priority=P1&amp;priority=P2"', page.text), "another priority adds to the filter"
    provider = re.search(r'href="/leads\?priority=P1&amp;provider=natro"[^>]*>.*?<span class="count">(\d+)</span>',
                         page.text, re.S)
    assert provider and int(provider.group(1)) == len(await api_domains(web, "priority=P1&provider=natro"))
    assert "Ağ geçidi yok" in page.text and "facet-clear" in page.text


async def test_sortable_headers_and_keyset_pages_follow_the_api(web: Web) -> None:
    client = await web.login("viewer")
    page = await client.get("/leads?sort=domain&limit=2")
    assert 'aria-sort="ascending"' in page.text
    seen = shown(page)
    while (found := NEXT.search(page.text)) is not None:
        target = found.group(1).replace("&amp;", "&")
        assert "cursor=" in target and dict(parse_qsl(urlsplit(target).query))["sort"] == "domain"
        page = await client.get(target)
        seen += shown(page)
        assert "İlk sayfa" in page.text
    assert seen == await api_domains(web, "sort=domain&limit=500")
    score = await client.get("/leads?sort=-score")
    assert 'aria-sort="descending"' in score.text and 'href="/leads?sort=score"' in score.text


async def test_an_invalid_filter_says_so_and_shows_the_whole_list(web: Web) -> None:
    client = await web.login("viewer")
    page = await client.get("/leads?priority=P9&lang=en&job=x")
    assert page.status_code == 200 and "The filter could not be read (priority" in page.text
    assert len(shown(page)) == len(web.leads)


async def test_exports_are_the_apis_for_exactly_what_is_filtered(web: Web) -> None:
    client = await web.login("viewer")
    page = await client.get("/leads?provider=m365&sort=domain&limit=1")
    assert 'href="/leads.csv?provider=m365&amp;sort=domain"' in page.text
    mine = await client.get("/leads.csv?provider=m365&sort=domain")
    theirs = await web.api.get("/api/v1/exports/leads.csv?provider=m365&sort=domain")
    assert mine.status_code == 200 and mine.content == theirs.content
    assert mine.headers["content-disposition"].startswith('attachment; filename="hunter-leads-')
    assert mine.text.count("\n") == 1 + len(await api_domains(web, "provider=m365"))
    workbook = await client.get("/leads.xlsx?priority=P1")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"


async def test_language_from_accept_language_then_the_switch_which_keeps_the_url(web: Web) -> None:
    english = await web.login("viewer", **{"accept-language": "en-GB,en;q=0.9,tr;q=0.5"})
    page = await english.get("/leads?priority=P1")
    assert '<html lang="en">' in page.text and "Download CSV" in page.text
    switch = re.search(r'<a href="([^"]+)" lang="tr"', page.text).group(1).replace("&amp;", "&")
    assert switch == "/leads?priority=P1&lang=tr"
    turkish = await english.get(switch)
    assert '<html lang="tr">' in turkish.text and "CSV indir" in turkish.text
    assert "hunter_lang=tr" in turkish.headers["set-cookie"]
    again = await english.get("/leads")
    assert '<html lang="tr">' in again.text                        # the choice is kept in a cookie
    default = await web.login("viewer")
    assert '<html lang="tr">' in (await default.get("/leads")).text


def test_text_facets_are_in_turkish_alphabetical_order(web: Web) -> None:
    request = Request({"type": "http", "method": "GET", "path": "/leads", "query_string": b"", "headers": []})
    state = listing.parse(request)
    counts = {"local_provider": [("Natro", 9), ("İsimtescil", 5), ("Çözüm Host", 3), ("Isparta Net", 2),
                                 ("ılık hosting", 1), (None, 40)]}
    facets = {f.field: f for f in listing.facets(counts, state, t=Translator("tr"), ctx=web.services.context)}
    labels = [v.label for v in facets["local_provider"].values]
    assert labels == ["Çözüm Host", "ılık hosting", "Isparta Net", "İsimtescil", "Natro", "Yerel sağlayıcı değil"]
    assert facets["local_provider"].values[-1].href == "/leads?local_provider=false"


@pytest.mark.parametrize("header", ["tr-TR,tr;q=0.9", "de-DE,de;q=0.9", ""])
def test_turkish_is_the_default_language(header: str) -> None:
    from hunter.web.i18n import from_header

    assert from_header(header) == "tr"
    assert from_header("fr;q=0.9, en;q=0.8, tr;q=0.1") == "en"
