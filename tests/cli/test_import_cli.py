"""`hunter db upgrade` and `hunter import` on SQLite and PostgreSQL, through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hunter.cli.main import app
from hunter.store import migrate
from hunter.store.db import make_engine, session_factory
from hunter.store.models import ImportBatch, ImportRow, Lead

runner = CliRunner()

LEADS_CSV = "\r\n".join([
    "Bayi Listesi 2026;;;",
    "FİRMA ÜNVANI;WEB SİTESİ;E-POSTA;YETKİLİ",
    "Anadolu Tekstil A.Ş.;www.anadolutekstil.com.tr;info@anadolutekstil.com.tr;Ayşe Yılmaz",
    "Toros Yapı Ltd. Şti.;;muhasebe@torosyapi.com.tr;",
    "Boş Firma;-;;",
    "Ali Bey;;ali@gmail.com;Ali Kaya",
    "Anadolu Tekstil Bursa;anadolutekstil.com.tr;satis@anadolutekstil.com.tr;Can Demir",
    "Telefon Ltd;0212 555 44 33;;",
]) + "\r\n"


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"HUNTER_DATABASE_URL": database_url, "HUNTER_DATA_DIR": str(tmp_path / "data")}


@pytest.fixture
def leads_csv(tmp_path: Path) -> Path:
    path = tmp_path / "bayiler.csv"
    path.write_bytes(LEADS_CSV.encode("cp1254"))
    return path


def invoke(args: list[str], env: dict[str, str], **kwargs: object):
    return runner.invoke(app, args, env=env, **kwargs)


def upgraded(env: dict[str, str]) -> dict[str, str]:
    result = invoke(["db", "upgrade"], env)
    assert result.exit_code == 0, result.output
    return env


# --- db upgrade ------------------------------------------------------------------------------

def test_db_upgrade_on_the_default_sqlite_file(tmp_path: Path) -> None:
    env = {"HUNTER_DATA_DIR": str(tmp_path / "data")}
    result = runner.invoke(app, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    path = (tmp_path / "data" / "hunter.db").resolve()
    assert result.stdout.strip() == f"database at revision {migrate.head()} (sqlite: {path})"
    assert path.exists()
    again = runner.invoke(app, ["db", "upgrade"], env=env)          # a no-op the second time
    assert again.exit_code == 0 and again.stdout == result.stdout


def test_db_upgrade_names_the_backend(env: dict[str, str], database_url: str) -> None:
    result = invoke(["db", "upgrade"], env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"database at revision {migrate.head()} (")
    assert migrate.current(database_url) == migrate.head()


def test_an_unreachable_database_is_an_error_without_the_password() -> None:
    env = {"HUNTER_DATABASE_URL": "postgresql+psycopg://hunter:Gizli-Parola-42@127.0.0.1:1/hunter"}
    for args in (["db", "upgrade"], ["import", "x.csv"]):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 2
        assert result.stderr.startswith("error: ") and "127.0.0.1" in result.stderr
        assert "Gizli-Parola-42" not in result.output + result.stderr
        assert "Traceback" not in result.stderr


# --- import ----------------------------------------------------------------------------------

def test_import_json_has_exactly_the_documented_shape(env: dict[str, str], leads_csv: Path) -> None:
    result = invoke(["import", str(leads_csv), "--json"], upgraded(env))
    assert result.exit_code == 0, result.stderr
    [line] = result.stdout.splitlines()
    body = json.loads(line)
    assert list(body) == ["imported", "duplicates", "rejected", "batch_id"]
    assert (body["imported"], body["duplicates"]) == (2, 1)
    assert body["rejected"] == [
        {"row": 5, "value": "", "reason": "no website, e-mail or domain in this row"},
        {"row": 6, "value": "ali@gmail.com", "reason":
            "consumer mail domain gmail.com: an address there does not name a company domain"},
        {"row": 8, "value": "0212 555 44 33", "reason": "looks like a phone number, not a domain"},
    ]
    assert isinstance(body["batch_id"], int)


def test_import_commits_leads_and_the_batch(env: dict[str, str], leads_csv: Path,
                                            database_url: str) -> None:
    result = invoke(["import", str(leads_csv), "--json", "--source", "fuar-2026"], upgraded(env))
    batch_id = json.loads(result.stdout)["batch_id"]
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            batch = session.get(ImportBatch, batch_id)
            assert (batch.status, batch.source, batch.imported, batch.duplicates, batch.rejected) \
                == ("done", "fuar-2026", 2, 1, 3)
            rows = session.scalars(select(ImportRow.outcome).where(ImportRow.batch_id == batch_id)
                                   .order_by(ImportRow.row)).all()
            assert len(rows) == 6
            anadolu = session.scalars(select(Lead).where(Lead.domain == "anadolutekstil.com.tr")).one()
            assert anadolu.source == "fuar-2026" and len(anadolu.contacts) == 2
    finally:
        engine.dispose()


def test_import_twice_reports_everything_as_duplicates(env: dict[str, str], leads_csv: Path) -> None:
    first = json.loads(invoke(["import", str(leads_csv), "--json"], upgraded(env)).stdout)
    second = json.loads(invoke(["import", str(leads_csv), "--json"], env).stdout)
    assert (second["imported"], second["duplicates"]) == (0, 3)
    assert second["rejected"] == first["rejected"] and second["batch_id"] != first["batch_id"]


def test_import_human_summary(env: dict[str, str], leads_csv: Path) -> None:
    result = invoke(["import", str(leads_csv)], upgraded(env))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bayiler.csv: 6 rows — 2 imported, 1 duplicates, 3 rejected")
    assert "  row 6: 'ali@gmail.com' — consumer mail domain gmail.com" in result.stdout


def test_import_from_stdin(env: dict[str, str]) -> None:
    result = invoke(["import", "-", "--json"], upgraded(env),
                    input="egemermer.com.tr\nsatis@egemermer.com.tr\nnan\n")
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert (body["imported"], body["duplicates"], [r["row"] for r in body["rejected"]]) == (1, 1, [3])


def test_import_needs_an_initialised_database(env: dict[str, str], leads_csv: Path) -> None:
    result = invoke(["import", str(leads_csv), "--json"], env)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: database not initialised: run `hunter db upgrade`")


@pytest.mark.parametrize("name, content, message", [
    ("yok.csv", None, "file not found"),
    ("eski.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "save as .xlsx or .csv"),
    ("rapor.pdf", b"%PDF-1.4", "unsupported file type"),
    ("bozuk.xlsx", b"PK\x03\x04 not really a zip", "damaged or not an Excel .xlsx workbook"),
])
def test_an_unreadable_file_exits_2(env: dict[str, str], tmp_path: Path, name: str,
                                    content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = invoke(["import", str(path), "--json"], upgraded(env))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_an_error_midway_keeps_the_committed_chunks_and_marks_the_batch_failed(
        env: dict[str, str], tmp_path: Path, database_url: str) -> None:
    """2 500 UTF-8 rows, then a Windows-1254 line: the reader stops at that line."""
    path = tmp_path / "karisik.csv"
    good = "".join(f"Şirket {n};firma-{n}.com.tr\n" for n in range(2_500))
    path.write_bytes(("Firma;Web Sitesi\n" + good).encode("utf-8") + "Çağ Ltd;cag.com.tr\n".encode("cp1254"))
    result = invoke(["import", str(path), "--json"], upgraded(env))
    assert result.exit_code == 2 and "mixes encodings" in result.stderr
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as session:
            batch = session.scalars(select(ImportBatch)).one()
            assert batch.status == "failed" and "mixes encodings" in (batch.error or "")
            assert batch.imported == 2_500
            assert session.query(Lead).count() == 2_500
    finally:
        engine.dispose()


def test_json_lists_every_rejected_row_even_beyond_those_kept_in_memory(env: dict[str, str]) -> None:
    text = "firma.com.tr\n" + "-\n0212 555 44 33\n" * 700
    result = invoke(["import", "-", "--json"], upgraded(env), input=text)
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["imported"] == 1 and len(body["rejected"]) == 1_400
    assert [r["row"] for r in body["rejected"]] == list(range(2, 1_402))
    assert body["rejected"][-1] == {"row": 1_401, "value": "0212 555 44 33",
                                    "reason": "looks like a phone number, not a domain"}
