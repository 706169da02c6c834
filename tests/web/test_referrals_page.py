"""The Partner Center page: referrals with status, derived domain and linked lead; those without
a lead apart with the reason; the last sync and its outcome; "sync now" for admins only, refused
while the sync is off."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime

from hunter.store.referrals import ReferralRepository, SyncRunRepository

from .support import Web, post, web  # noqa: F401  (the fixture)


def referrals(web: Web) -> None:
    with web.services.sessions() as session:
        repo = ReferralRepository(session)
        lead = web.leads["karadenizfindik.com.tr"]
        repo.upsert("r-linked", {"customer_name": "Karadeniz Fındık A.Ş.", "name": "Karadeniz - Teams",
                                 "status": "New", "substatus": "Pending", "domain": "karadenizfindik.com.tr",
                                 "domain_source": "contact_email", "deal_value": 50000.0, "currency": "TRY",
                                 "updated": datetime(2026, 11, 2, tzinfo=UTC)}, raw={"id": "r-linked"}, lead_id=lead)
        repo.upsert("r-alone", {"customer_name": "Akdeniz Gıda Ltd. Şti.", "name": "Akdeniz - Azure",
                                "status": "Active", "substatus": "Accepted",
                                "domain_reason": "no customer contact at a company domain (gmail.com)"},
                    raw={"id": "r-alone"}, lead_id=None)
        repo.recount([lead])
        runs = SyncRunRepository(session)
        run = runs.start(mode="delta", trigger="schedule", job_id=None, watermark_before=None)
        runs.finish(run, status="failed", reason="the account may not read referrals: it needs the role Referrals Admin",
                    fetched=0)
        session.commit()


async def test_linked_referrals_those_without_a_lead_apart_and_the_last_sync(web: Web) -> None:
    referrals(web)
    client = await web.login("viewer")
    page = html.unescape((await client.get("/referrals")).text)
    linked, apart = page.split("Müşteri adayı olmayanlar", 1)
    assert "Karadeniz Fındık A.Ş." in linked and f'href="/leads/{web.leads["karadenizfindik.com.tr"]}"' in linked
    assert "50.000 TRY" in linked and "kişi e-postasından" in linked
    assert "Akdeniz Gıda Ltd. Şti." in apart and "Şirket alan adında müşteri kişisi yok (atlanan: gmail.com)" in apart
    assert "Akdeniz Gıda" not in linked
    assert "it needs the role Referrals Admin" in page and "Başarısız" in page
    only_unlinked = html.unescape((await client.get("/referrals?linked=false")).text)
    assert "Akdeniz Gıda" in only_unlinked and "Karadeniz Fındık A.Ş." not in only_unlinked
    search = html.unescape((await client.get("/referrals?q=akdeniz&linked=false&status=Active")).text)
    assert "Akdeniz Gıda" in search and 'value="akdeniz"' in search
    assert "Şimdi eşitle" not in page                  # a viewer has no sync button


async def test_sync_now_is_for_admins_and_refused_while_the_sync_is_off(web: Web) -> None:
    admin = await web.login("admin")
    page = await admin.get("/referrals")
    assert "Şimdi eşitle" in page.text and 'disabled aria-describedby="sync-off"' in page.text
    off = await post(admin, "/referrals/sync", form_page="/referrals")
    assert off.status_code == 303 and off.headers["location"] == "/referrals"
    assert "Partner Center eşitlemesi kapalı" in html.unescape((await admin.get("/referrals")).text)
    svc = web.services
    web.api.app.state.services = replace(svc, settings=svc.settings.model_copy(
        update={"partner_center_sync_enabled": True}))
    on = await post(admin, "/referrals/sync", form_page="/referrals")
    job_id = re.fullmatch(r"/referrals\?job=([0-9a-f-]+)", on.headers["location"]).group(1)
    assert (await admin.get(f"/jobs/{job_id}")).json()["kind"] == "pc_sync"
    assert f'data-job="{job_id}"' in (await admin.get(on.headers["location"])).text
    sales = await web.login("sales")
    assert (await post(sales, "/referrals/sync", form_page="/referrals")).status_code == 403
