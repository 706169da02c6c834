"""One lead's page: the verdict with every reason and its points, the evidence, the sales
summary in both languages with the copy text, the Partner Center referrals, the Dynamics panel
and its action, the history, the rescan with its progress; markup in any record shows as text."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from hunter.flows.push_leads import PushOptions
from hunter.flows.scan_leads import store_analysis
from hunter.jobs.inprocess import InProcessRunner
from hunter.jobs.tasks import d365_push_task
from hunter.model import Gateway
from hunter.sales import summarise
from hunter.sales.text import plain
from hunter.store.leads import LeadRepository
from hunter.store.referrals import ReferralRepository
from hunter.store.scans import ScanRepository
from hunter.wiring import build_context
from tests.fakes.dynamics import FakeLeadSink
from tests.store.conftest import build_analysis

from .support import Web, job_done, post, web  # noqa: F401  (the fixture)

SCRIPT = '<script>alert("hunter")</script>'
IMG = '<img src=x onerror=alert(1)>'
COPY = re.compile(r'<textarea id="summary-text-(tr|en)"[^>]*>(.*?)</textarea>', re.S)


async def test_the_verdict_evidence_summary_and_history_of_a_lead(web: Web) -> None:
    client = await web.login("viewer")
    lead_id = web.leads["karadenizfindik.com.tr"]
    detail = (await web.api.get(f"/api/v1/leads/{lead_id}?lang=tr")).json()
    page = await client.get(f"/leads/{lead_id}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    for reason in detail["verdict"]["reasons"]:
        assert f"{reason['points']:+d}" in text
    assert f"<strong>{detail['verdict']['score']}</strong>" in text
    evidence = detail["evidence"]
    assert all(evidence[part]["record"] in text for part in ("spf", "dmarc") if evidence[part]["record"])
    assert all(mx["host"] in text for mx in evidence["mx"])
    assert detail["sales"]["one_liner"] in text and detail["sales"]["next_step"] in text
    assert "Kanıtlar (DNS)" in text and "Geçmiş" in text and "Dynamics 365" in text
    copies = {lang: html.unescape(body) for lang, body in COPY.findall(page.text)}
    english = (await web.api.get(f"/api/v1/leads/{lead_id}?lang=en")).json()["sales"]
    assert set(copies) == {"tr", "en"}
    assert copies["tr"].startswith(detail["sales"]["one_liner"]) and copies["en"].startswith(english["one_liner"])
    in_english = await client.get(f"/leads/{lead_id}?lang=en")
    assert english["one_liner"] in html.unescape(in_english.text) and "Evidence (DNS)" in in_english.text


async def test_the_copy_text_is_the_sales_modules_plain_text(web: Web) -> None:
    client = await web.login("sales")
    lead_id = web.leads["torosyapi.com.tr"]
    page = await client.get(f"/leads/{lead_id}")
    with web.services.sessions() as session:
        scans = ScanRepository(session)
        analysis = scans.analysis_of(scans.latest(lead_id))
    copies = dict(COPY.findall(page.text))
    for lang in ("tr", "en"):
        assert html.unescape(copies[lang]) == plain(summarise(analysis, lang=lang, config=web.services.sales_config))


async def test_markup_in_a_company_a_txt_record_and_a_referral_shows_as_text(web: Web) -> None:
    svc = web.services
    with svc.sessions() as session:
        lead, _ = LeadRepository(session).upsert("markup.example.com.tr", company=SCRIPT, source=IMG)
        analysis = build_analysis("markup.example.com.tr", gateway="proofpoint")
        analysis = analysis.model_copy(update={
            "segment": "microsoft", "gateway": Gateway(key="proofpoint", name=IMG, evidence=[SCRIPT]),
            "spf": analysis.spf.model_copy(update={"record": f"v=spf1 include:{IMG} -all"}),
            "evidence": analysis.evidence.model_copy(update={"records": {"markup.example.com.tr TXT": [SCRIPT, IMG]}})})
        store_analysis(session, lead, analysis.model_copy(update={"spf": analysis.spf.model_copy(
            update={"record": "v=spf1 -all"})}))
        store_analysis(session, lead, analysis)          # a change event "spf_changed" to the markup
        ReferralRepository(session).upsert("ref-markup", {"customer_name": SCRIPT, "name": IMG, "status": "New",
                                                          "substatus": "Pending", "domain": lead.domain},
                                           raw={"id": "ref-markup"}, lead_id=lead.id)
        ReferralRepository(session).recount([lead.id])
        session.commit()
        lead_id = lead.id
    client = await web.login("admin")
    for path in (f"/leads/{lead_id}", "/leads?q=markup", "/referrals", "/dashboard"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert SCRIPT not in page.text and "<img src=x" not in page.text, path
        assert "&lt;script&gt;" in page.text or "&lt;img" in page.text, path
    detail = await client.get(f"/leads/{lead_id}")
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail.text and "&lt;script&gt;alert(&#34;hunter&#34;)&lt;/script&gt;" in detail.text
    assert len(re.findall(r"<script\b", detail.text)) == 1          # only the page's own hunter.js


async def test_rescan_starts_a_job_whose_progress_the_page_polls(web: Web) -> None:
    client = await web.login("sales")
    lead_id = web.leads["torosyapi.com.tr"]
    answer = await post(client, f"/leads/{lead_id}/rescan", form_page=f"/leads/{lead_id}")
    assert answer.status_code == 303
    target = answer.headers["location"]
    job_id = re.fullmatch(rf"/leads/{lead_id}\?job=([0-9a-f-]+)", target).group(1)
    running = await client.get(target)
    assert f'data-job="{job_id}"' in running.text and "Yeniden tarama başladı" in running.text
    job = await job_done(client, job_id)
    assert job["status"] == "done" and job["kind"] == "scan" and job["done"] == 1
    history = (await web.api.get(f"/api/v1/leads/{lead_id}")).json()["history"]
    assert len(history) == 2
    assert (await client.get("/jobs/no-such-job")).status_code == 404


async def test_create_or_update_in_dynamics_and_the_panel_shows_the_state_and_link(web: Web) -> None:
    sink = FakeLeadSink()
    svc = web.services
    settings = svc.settings.model_copy(update={"d365_enabled": True, "d365_url": "https://fake.crm4.dynamics.com"})
    runner = InProcessRunner(svc.sessions, lambda: build_context(settings), concurrency=2,
                             job_tasks={"d365_push": d365_push_task(lambda: sink, PushOptions(sales_config=svc.sales_config))})
    svc.runner.close()
    web.api.app.state.services = replace(svc, settings=settings, sink=sink, runner=runner)
    client = await web.login("sales")
    lead_id = web.leads["karadenizfindik.com.tr"]
    first = await post(client, f"/leads/{lead_id}/dynamics", form_page=f"/leads/{lead_id}")
    assert first.status_code == 303 and first.headers["location"] == f"/leads/{lead_id}#dynamics"
    page = await client.get(f"/leads/{lead_id}")
    record = sink.records["karadenizfindik.com.tr"]["leadid"]
    assert "Dynamics 365'te müşteri adayı oluşturuldu" in html.unescape(page.text)
    assert f"https://fake.crm4.dynamics.com/main.aspx?pagetype=entityrecord&amp;etn=lead&amp;id={record}" in page.text
    assert "Gönderildi" in page.text
    again = await post(client, f"/leads/{lead_id}/dynamics", form_page=f"/leads/{lead_id}")
    assert "güncellendi" in html.unescape((await client.get(again.headers["location"])).text)
    assert sink.created == {"karadenizfindik.com.tr": 1}
    sink.reject["karadenizfindik.com.tr"] = "Could not find a property named 'hnt_score'."
    await post(client, f"/leads/{lead_id}/dynamics", form_page=f"/leads/{lead_id}")
    failed = html.unescape((await client.get(f"/leads/{lead_id}")).text)
    assert "Could not find a property named 'hnt_score'." in failed and "Dynamics 365'e gönderilemedi" in failed
    runner.close()


async def test_with_dynamics_off_the_button_is_disabled_and_a_push_says_why(web: Web) -> None:
    client = await web.login("sales")
    lead_id = web.leads["torosyapi.com.tr"]
    page = await client.get(f"/leads/{lead_id}")
    assert 'disabled aria-describedby="d365-off"' in page.text and "HUNTER_D365_ENABLED" in page.text
    answer = await post(client, f"/leads/{lead_id}/dynamics", form_page=f"/leads/{lead_id}")
    after = html.unescape((await client.get(answer.headers["location"])).text)
    assert "Dynamics 365 bağlantısı kapalı ya da yapılandırılmamış" in after


async def test_a_lead_that_does_not_exist_is_a_404_page(web: Web) -> None:
    client = await web.login("viewer")
    for path in ("/leads/999999", "/leads/abc"):
        page = await client.get(path)
        assert page.status_code == 404 and "Bulunamadı" in page.text and "Traceback" not in page.text
