"""POST /api/v1/imports: a Turkish Excel CSV (cp1254) in, an import job out; its result holds
the counts, and with scan=true the id of the scan job it started."""

from __future__ import annotations

import asyncio
import io

import pytest
from openpyxl import Workbook

from .conftest import Api, api_settings, open_api
from .test_auth import assert_problem
from .test_jobs import wait_for

CSV = ("Firma Adı;Web Sitesi;E-posta\r\n"
       "Karadeniz Fındık A.Ş.;www.karadenizfindik.com.tr;satis@karadenizfindik.com.tr\r\n"
       "Toros Yapı;torosyapi.com.tr;\r\n"
       "Karadeniz Fındık (şube);karadenizfindik.com.tr;\r\n"
       "Çağrı Merkezi;telefon yok;\r\n"
       "Şimşek Gıda;zoho-co.test;info@zoho-co.test\r\n")


def upload(content: bytes, name: str = "müşteriler.csv", **form) -> dict:
    return {"files": {"file": (name, content, "text/csv")}, "data": form}


def uploads(api: Api) -> list:
    return list((api.services.settings.data_dir / "uploads").glob("*"))


async def imported(api: Api, content: bytes, name: str = "müşteriler.csv", **form) -> dict:
    """Upload, check the 202 answer, wait for the import job; the finished job."""
    response = await api.post("/api/v1/imports", **upload(content, name, **form))
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert response.headers["location"] == f"/api/v1/jobs/{job_id}"
    return await wait_for(api, job_id)


async def test_cp1254_csv_is_imported_with_counts(any_api: Api) -> None:
    api = any_api
    job = await imported(api, CSV.encode("cp1254"))
    assert (job["kind"], job["status"], job["error"], job["progress"]) == ("import", "done", None, 1.0)
    assert job["done"] == 5                                   # rows read
    result = job["result"]
    assert (result["imported"], result["duplicates"], result["rejected_count"]) == (3, 1, 1)
    assert result["rejected"][0]["row"] == 5 and result["rejected"][0]["value"] == "telefon yok"
    assert result["rejected"][0]["reason"] and result["batch_id"] and result["scan_job"] is None
    assert "resumed" not in result
    page = (await api.get("/api/v1/leads", params={"sort": "domain"})).json()
    assert [i["company"] for i in page["items"]] == ["Karadeniz Fındık A.Ş.", "Toros Yapı", "Şimşek Gıda"]
    assert uploads(api) == []                                 # the job deleted the upload
    listed = (await api.get("/api/v1/jobs")).json()
    assert listed[0]["id"] == job["id"] and listed[0]["result"] == result


async def test_scan_true_starts_a_scan_job_for_the_imported_leads(any_api: Api) -> None:
    api = any_api
    job = await imported(api, CSV.encode("cp1254"), source="fuar 2025", scan="true")
    assert job["status"] == "done", job
    scan_id = job["result"]["scan_job"]
    assert scan_id
    scan = await wait_for(api, scan_id)
    assert (scan["kind"], scan["status"], scan["total"], scan["done"]) == ("scan", "done", 3, 3)
    natro = (await api.get("/api/v1/leads", params={"q": "karadeniz"})).json()["items"][0]
    assert natro["provider"]["key"] == "natro" and natro["priority"] == "P1"


async def test_xlsx_and_txt_uploads(api: Api) -> None:
    book = Workbook()
    book.active.append(["Şirket", "Web"])
    book.active.append(["Hybrid", "hybrid-co.test"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = await imported(api, buffer.getvalue(), "liste.xlsx")
    assert job["status"] == "done" and job["result"]["imported"] == 1
    job = await imported(api, b"gworkspace.test\nselfhosted.test\n", "a.txt")
    assert job["status"] == "done" and job["result"]["imported"] == 2
    assert uploads(api) == []


@pytest.mark.parametrize(("name", "content"), [
    ("leads.pdf", b"%PDF-1.7 ..."),
    ("leads.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"),
    ("leads", b"a.test\n"),
    ("leads.xlsx", b"domain\na.test\n"),
    ("leads.csv", b"PK\x03\x04zip inside"),
    ("leads.csv", b"\x89PNG\r\n\x1a\n"),
])
async def test_wrong_type_is_415(api: Api, name: str, content: bytes) -> None:
    body = assert_problem(await api.post("/api/v1/imports", **upload(content, name)), 415)
    assert "/" not in body["detail"].replace("/s", "")          # no server paths
    assert not list((api.services.settings.data_dir / "uploads").glob("*"))


async def test_upload_too_big_is_413(world_settings, tmp_path) -> None:
    settings = api_settings(world_settings, f"sqlite:///{tmp_path / 'api.db'}", tmp_path,
                            api_upload_max_bytes=1000)
    async with open_api(settings) as api:
        big = b"domain\n" + b"a-long-domain-name.test\n" * 60
        assert_problem(await api.post("/api/v1/imports", **upload(big)), 413)
        huge = b"domain\n" + b"x.test\n" * 20_000         # over the limit even with multipart overhead
        assert_problem(await api.post("/api/v1/imports", **upload(huge)), 413)

        async def chunks():                               # no Content-Length: counted while read
            yield (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
                   b"Content-Type: text/csv\r\n\r\n")
            for _ in range(200):
                yield b"x" * 1024
                await asyncio.sleep(0)
        response = await api.post("/api/v1/imports", content=chunks(),
                                  headers={"Content-Type": "multipart/form-data; boundary=xyz"})
        assert_problem(response, 413)


async def test_unreadable_csv_fails_the_job_without_server_paths(api: Api) -> None:
    job = await imported(api, b"name;city\nAli;Rize\n", "kisiler.csv")
    assert job["status"] == "failed" and job["error"].startswith("InputError: ")
    assert "kisiler.csv" in job["error"] and str(api.services.settings.data_dir) not in job["error"]
    assert uploads(api) == []                                 # deleted when the job failed


async def test_the_row_limit_fails_the_job(world_settings, tmp_path) -> None:
    settings = api_settings(world_settings, f"sqlite:///{tmp_path / 'api.db'}", tmp_path,
                            import_max_rows=2)
    async with open_api(settings) as api:
        job = await imported(api, b"a-co.test\nb-co.test\nc-co.test\n", "a.txt")
        assert job["status"] == "failed" and "a.txt" in job["error"], job


async def test_missing_file_is_422(api: Api) -> None:
    body = assert_problem(await api.post("/api/v1/imports", data={"source": "x"}), 422)
    assert body["errors"][0]["loc"] == ["body", "file"]
