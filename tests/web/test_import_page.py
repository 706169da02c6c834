"""The import page: upload a lead file (the API's upload and import job), watch it run, then the
counts and the rejected rows (all of them downloadable with row numbers and reasons); a wrong
file says why; one domain analysed on the spot, kept as a lead when asked."""

from __future__ import annotations

import csv
import html
import io
import re

from .support import Web, csrf_of, job_done, web  # noqa: F401  (the fixture)

CSV = ("Firma Adı;Web Sitesi;E-posta\r\n"
       "Karadeniz Fındık A.Ş.;www.karadenizfindik.com.tr;satis@karadenizfindik.com.tr\r\n"
       "Anadolu Tekstil;anadolutekstil.com.tr;\r\n"
       "Çağrı Merkezi;telefon yok;\r\n"
       "Boş;;\r\n"
       "Ege Lojistik;egelojistik.com.tr;\r\n").encode("cp1254")


async def upload(client, content: bytes, name: str = "müşteriler.csv", **form: str):
    token = csrf_of(await client.get("/import"))
    return await client.post("/import", data={"csrf": token, **form}, files={"file": (name, content, "text/csv")})


async def test_upload_watch_it_finish_then_counts_and_rejected_rows(web: Web) -> None:
    client = await web.login("sales")
    answer = await upload(client, CSV, source="Fuar 2025", scan="true")
    assert answer.status_code == 303
    job_id = re.fullmatch(r"/import\?job=([0-9a-f-]+)", answer.headers["location"]).group(1)
    running = await client.get(answer.headers["location"])
    assert f'data-job="{job_id}"' in running.text and "<progress" in running.text
    job = await job_done(client, job_id)
    assert job["status"] == "done" and job["result"]["rejected_count"] == 2
    page = html.unescape((await client.get(f"/import?job={job_id}")).text)
    result = job["result"]
    assert f">{result['imported']}<" in page and f">{result['duplicates']}<" in page
    assert "telefon yok" in page and "Reddedilen satırlar" in page
    scan = result["scan_job"]
    assert scan and f'data-job="{scan}"' in page
    assert (await job_done(client, scan))["status"] == "done"
    rejected = await client.get(f"/import/{job_id}/rejected.csv")
    assert rejected.status_code == 200 and rejected.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(rejected.text.lstrip("\ufeff"))))
    assert rows[0] == ["Satır", "Değer", "Neden"]
    assert [r[0] for r in rows[1:]] == ["4", "5"]       # the file's own row numbers (header = 1)
    assert rows[1][1] == "telefon yok" and all(r[2] for r in rows[1:])
    leads = (await web.api.get("/api/v1/leads?q=anadolutekstil")).json()["items"]
    assert leads and leads[0]["scanned_at"]


async def test_a_file_of_the_wrong_kind_says_why(web: Web) -> None:
    client = await web.login("sales")
    pdf = await upload(client, b"%PDF-1.4 not a list", name="liste.pdf")
    assert pdf.status_code == 415 and ".csv, .xlsx ya da .txt" in pdf.text
    disguised = await upload(client, b"%PDF-1.4 not a list", name="liste.csv")
    assert disguised.status_code == 415
    empty = await client.post("/import", data={"csrf": csrf_of(await client.get("/import"))})
    assert empty.status_code == 422 and "Bir dosya seçin" in empty.text
    assert (await client.get("/import/not-a-job/rejected.csv")).status_code == 404


async def test_analyse_one_domain_on_the_spot_and_keep_it(web: Web) -> None:
    client = await web.login("sales")
    token = csrf_of(await client.get("/import"))
    quick = await client.post("/import/analyze", data={"csrf": token, "domain": "https://www.hybrid-co.test/iletisim"})
    assert quick.status_code == 200 and "hybrid-co.test" in quick.text
    assert (await web.api.get("/api/v1/leads?q=hybrid-co")).json()["total"] == 0
    kept = await client.post("/import/analyze", data={"csrf": token, "domain": "hybrid-co.test", "store": "true"})
    lead = (await web.api.get("/api/v1/leads?q=hybrid-co")).json()["items"][0]
    assert f'href="/leads/{lead["id"]}"' in kept.text
    analysis = (await web.api.post("/api/v1/analyze", json={"domain": "hybrid-co.test"})).json()
    assert analysis["priority"] in kept.text and str(analysis["score"]) in kept.text
    blank = await client.post("/import/analyze", data={"csrf": token, "domain": "  "})
    assert blank.status_code == 422 and "Bir alan adı yazın" in blank.text
    invalid = await client.post("/import/analyze", data={"csrf": token, "domain": "telefon yok"})
    assert invalid.status_code == 200 and "Geçersiz girdi" in invalid.text
