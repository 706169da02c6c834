"""The dashboard: leads by priority, segment and provider as server-drawn SVG charts linking to
the list so filtered, and the health of the integrations (the latest changes, with markup in
them, are in test_lead_page)."""

from __future__ import annotations

import html

from .support import Web, web  # noqa: F401  (the fixture)


async def test_charts_recent_changes_and_integration_health(web: Web) -> None:
    client = await web.login("viewer")
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert page.text.count('role="img"') >= 3 and " style=" not in page.text
    text = html.unescape(page.text)
    assert "Önceliğe göre" in text and "Segmente göre" in text and "E-posta sağlayıcısına göre" in text
    assert 'href="/leads?priority=P1"' in text and 'href="/leads?segment=' in text and 'href="/leads?provider=' in text
    assert "Bağlantıların sağlığı" in text and "Partner Center" in text and "IP zenginleştirme" in text
    assert "HUNTER_ENRICHMENT_ENABLED" in text
    total = (await web.api.get("/api/v1/leads")).json()["total"]
    assert f'<span class="kpi-value">{total}</span>' in text
    english = html.unescape((await client.get("/dashboard?lang=en")).text)
    assert "By priority" in english and "Integration health" in english
