"""flows.import_leads on SQLite and PostgreSQL, with Turkish lead files generated in tmp_path."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hunter import leadfile
from hunter.errors import InputError
from hunter.flows import import_leads as flow
from hunter.flows.import_leads import EMPTY_ROW, RejectedRow, import_leads
from hunter.leadfile import LeadRow
from hunter.store.leads import LeadInput, LeadRepository
from hunter.store.models import ImportBatch, ImportRow, Lead
from tests.store.conftest import engine, session  # noqa: F401 - migrated, rolled back per test

PLACEHOLDER = "empty or placeholder value, not a domain"
PHONE = "looks like a phone number, not a domain"
GMAIL = "consumer mail domain gmail.com: an address there does not name a company domain"

# A cp1254 export from a Turkish CRM: title rows, ';', a person column, garbage rows.
CRM_CSV = "\r\n".join([
    "Müşteri Listesi 2026;;;;;",                                                    # 1
    "Hazırlayan: Satış Ekibi;;;;;",                                                 # 2
    ";;;;;",                                                                        # 3
    "FİRMA ÜNVANI;WEB SİTESİ;E-POSTA;YETKİLİ;TELEFON;AÇIK ADRES",                   # 4
    "Anadolu Tekstil A.Ş.;www.anadolutekstil.com.tr;info@anadolutekstil.com.tr;"
    "Ayşe Yılmaz;0212 555 44 33;Bursa",                                             # 5
    "Toros Yapı Ltd. Şti.;;Muhasebe@TorosYapi.com.tr;Mehmet Öztürk;;Mersin",        # 6 e-mail only
    "Şişli Gıda;http://www.sisligida.com.tr/iletisim;;;;İstanbul",                  # 7
    "Boş Firma;-;;;;İzmir",                                                         # 8 empty
    "Nan Ltd;nan;;;;",                                                              # 9
    "Telefon Ltd;0216 444 12 34;;;;",                                               # 10
    "Ali Bey;;ali@gmail.com;Ali Kaya;;",                                            # 11 consumer
    "Anadolu Tekstil (Bursa Şube);anadolutekstil.com.tr;satis@anadolutekstil.com.tr;"
    "Can Demir;;Bursa",                                                             # 12 duplicate
    "Ege Mermer;;;;;İzmir",                                                         # 13 empty
    "Karadeniz Balık;KARADENİZBALIK.COM.TR;;;;Trabzon",                             # 14
]) + "\r\n"

CRM_IMPORTED = {5: "anadolutekstil.com.tr", 6: "torosyapi.com.tr", 7: "sisligida.com.tr",
                14: "karadenizbalik.com.tr"}
CRM_REJECTED = [RejectedRow(8, "", EMPTY_ROW), RejectedRow(9, "nan", PLACEHOLDER),
                RejectedRow(10, "0216 444 12 34", PHONE), RejectedRow(11, "ali@gmail.com", GMAIL),
                RejectedRow(13, "", EMPTY_ROW)]


@pytest.fixture
def crm_csv(tmp_path: Path) -> Path:
    path = tmp_path / "müşteriler.csv"
    path.write_bytes(CRM_CSV.encode("cp1254"))
    return path


def write_dealer_xlsx(path: Path) -> Path:
    """A workbook whose header sits below a title, with a numeric phone cell."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Bayiler"
    sheet.append(["Bayi Listesi — Mart 2026"])
    sheet.append([])
    sheet.append(["Şirket Adı", "Web Adresi", "E-mail", "İlgili Kişi", "Şehir"])
    sheet.append(["Anadolu Tekstil A.Ş.", None, "ik@anadolutekstil.com.tr", "Zeynep Ak", "Bursa"])
    sheet.append(["Marmara Lojistik", "https://marmaralojistik.com.tr", None, None, "Kocaeli"])
    sheet.append(["Hatalı Kayıt", 2125554433, None, None, "İstanbul"])
    sheet.append(["Veli Usta", None, "veli@hotmail.com", "Veli Usta", "Konya"])
    book.save(path)
    return path


def lead(session: Session, domain: str) -> Lead:
    return session.scalars(select(Lead).where(Lead.domain == domain)).one()


def batch_rows(session: Session, batch_id: int) -> list[tuple[int, str, str | None]]:
    query = select(ImportRow.row, ImportRow.outcome, ImportRow.reason).where(
        ImportRow.batch_id == batch_id).order_by(ImportRow.row)
    return [tuple(r) for r in session.execute(query)]


def emails(found: Lead) -> list[str]:
    return sorted(c["email"] for c in found.contacts if "email" in c)


# --- a Turkish CRM export --------------------------------------------------------------------

def test_crm_csv_counts_rows_and_reasons(session: Session, crm_csv: Path) -> None:
    result = import_leads(session, leadfile.read(crm_csv), source="müşteriler.csv")

    assert (result.imported, result.duplicates, result.rejected_count) == (4, 1, 5)
    assert result.rejected == CRM_REJECTED
    assert [session.get(Lead, i).domain for i in result.lead_ids] == list(CRM_IMPORTED.values())
    toros = lead(session, "torosyapi.com.tr")
    assert (toros.company, toros.source) == ("Toros Yapı Ltd. Şti.", "müşteriler.csv")
    assert toros.contacts == [{"email": "muhasebe@torosyapi.com.tr", "name": "Mehmet Öztürk"}]
    assert lead(session, "sisligida.com.tr").contacts == []


def test_a_later_row_of_the_same_domain_is_a_duplicate_whose_contacts_are_merged(
        session: Session, crm_csv: Path) -> None:
    import_leads(session, leadfile.read(crm_csv), source="müşteriler.csv")
    anadolu = lead(session, "anadolutekstil.com.tr")
    assert anadolu.company == "Anadolu Tekstil A.Ş."             # the first row's company
    assert sorted(anadolu.contacts, key=str) == [
        {"email": "info@anadolutekstil.com.tr", "name": "Ayşe Yılmaz"},
        {"email": "satis@anadolutekstil.com.tr", "name": "Can Demir"},
    ]


def test_the_batch_records_every_row_once(session: Session, crm_csv: Path) -> None:
    result = import_leads(session, leadfile.read(crm_csv), source="müşteriler.csv")
    batch = session.get(ImportBatch, result.batch_id)
    assert (batch.status, batch.source, batch.error) == ("done", "müşteriler.csv", None)
    assert (batch.imported, batch.duplicates, batch.rejected) == (4, 1, 5)
    assert batch.finished_at is not None
    rows = batch_rows(session, result.batch_id)
    assert [r[0] for r in rows] == list(range(5, 15))
    assert {r[0]: r[1] for r in rows} == {**{n: "imported" for n in CRM_IMPORTED}, 12: "duplicate",
                                          **{r.row: "rejected" for r in CRM_REJECTED}}
    assert {r[0]: r[2] for r in rows if r[1] != "imported"} == {
        **{r.row: r.reason for r in CRM_REJECTED},
        12: "anadolutekstil.com.tr: same domain as an earlier row"}
    linked = session.execute(select(ImportRow.row, Lead.domain).join(Lead, ImportRow.lead_id == Lead.id)
                             .where(ImportRow.batch_id == result.batch_id))
    assert dict(linked.all()) == {**CRM_IMPORTED, 12: "anadolutekstil.com.tr"}


def test_importing_the_same_file_twice_creates_nothing(session: Session, crm_csv: Path) -> None:
    first = import_leads(session, leadfile.read(crm_csv), source="müşteriler.csv")
    second = import_leads(session, leadfile.read(crm_csv), source="müşteriler.csv")
    assert (second.imported, second.duplicates, second.rejected_count) == (0, 5, 5)
    assert second.lead_ids == first.lead_ids
    assert second.batch_id != first.batch_id
    assert session.scalar(select(func.count()).select_from(Lead)) == 4
    assert len(lead(session, "anadolutekstil.com.tr").contacts) == 2   # merged, not repeated


# --- XLSX, existing leads, lists -------------------------------------------------------------

def test_xlsx_with_a_title_merges_into_existing_leads(session: Session, tmp_path: Path) -> None:
    LeadRepository(session).upsert_many([LeadInput(
        domain="anadolutekstil.com.tr", company=None, source="crm",
        contacts=[{"email": "eski@anadolutekstil.com.tr"}], tags=["vip"])])
    path = write_dealer_xlsx(tmp_path / "bayiler.xlsx")

    result = import_leads(session, leadfile.read(path), source="bayiler.xlsx")

    assert (result.imported, result.duplicates) == (1, 1)
    assert result.rejected == [RejectedRow(6, "2125554433", PHONE),
                               RejectedRow(7, "veli@hotmail.com", result.rejected[1].reason)]
    assert "consumer mail domain hotmail.com" in result.rejected[1].reason
    anadolu = lead(session, "anadolutekstil.com.tr")
    assert emails(anadolu) == ["eski@anadolutekstil.com.tr", "ik@anadolutekstil.com.tr"]
    assert anadolu.tags == ["vip"]                                  # never deleted
    assert anadolu.company == "Anadolu Tekstil A.Ş."
    assert batch_rows(session, result.batch_id)[0] == (
        4, "duplicate", "anadolutekstil.com.tr: already a lead")


def test_a_plain_list_keeps_an_email_value_as_the_contact(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "liste.txt"
    path.write_text("# fuar ziyaretçileri\nsatis@egemermer.com.tr\n\negemermer.com.tr\n-\n",
                    encoding="utf-8")
    result = import_leads(session, leadfile.read(path), source="liste.txt")
    assert (result.imported, result.duplicates) == (1, 1)
    assert result.rejected == [RejectedRow(5, "-", PLACEHOLDER)]
    assert lead(session, "egemermer.com.tr").contacts == [{"email": "satis@egemermer.com.tr"}]


def test_duplicates_across_chunks(session: Session) -> None:
    rows = [LeadRow(n, v, "Web", None, {}) for n, v in
            enumerate(["a-firma.com.tr", "b-firma.com.tr", "x", "A-FIRMA.com.tr", "c-firma.com.tr",
                       "b-firma.com.tr"], start=2)]
    result = import_leads(session, rows, source="t", chunk_size=2)
    outcomes = [r[1] for r in batch_rows(session, result.batch_id)]
    assert outcomes == ["imported", "imported", "rejected", "duplicate", "imported", "duplicate"]
    assert len(result.lead_ids) == 3


# --- failures and limits ---------------------------------------------------------------------

def test_a_reader_error_marks_the_batch_failed_and_keeps_earlier_rows(
        session: Session, crm_csv: Path) -> None:
    with pytest.raises(InputError, match="more than 3 rows") as raised:
        import_leads(session, leadfile.read(crm_csv, max_rows=3), source="müşteriler.csv",
                     chunk_size=2)
    batch = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert (batch.status, batch.error) == ("failed", str(raised.value))
    assert (batch.imported, batch.rejected) == (3, 0)
    assert [r[1] for r in batch_rows(session, batch.id)] == ["imported"] * 3


def test_only_the_first_rejected_rows_are_kept_in_memory_but_all_are_counted(
        session: Session) -> None:
    rows = [LeadRow(n, "nan", "Web", None, {}) for n in range(2, 1_207)]
    result = import_leads(session, rows, source="t")
    assert result.rejected_count == 1_205 and len(result.rejected) == flow.MAX_REJECTED_KEPT
    assert result.rejected[-1].row == 1_001
    assert session.get(ImportBatch, result.batch_id).rejected == 1_205
    count = select(func.count()).where(ImportRow.batch_id == result.batch_id)
    assert session.scalar(count) == 1_205


def test_checkpoint_is_called_after_the_start_each_chunk_and_the_end(session: Session) -> None:
    calls: list[int] = []
    rows = [LeadRow(n, f"firma{n}.com.tr", "Web", None, {}) for n in range(5)]
    import_leads(session, rows, source="t", chunk_size=2, checkpoint=lambda: calls.append(1))
    assert len(calls) == 1 + 3 + 1


# --- memory ----------------------------------------------------------------------------------

def write_big_csv(path: Path, rows: int) -> Path:
    """A CRM export with one row per contact person: five rows per company."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Firma Adı;Web Sitesi;E-posta;Yetkili;Adres\n")
        for n in range(rows):
            company = n // 5
            if n % 50 == 0:     # no website and no e-mail: rejected
                out.write(f"Firma {company} İnşaat Ltd. Şti.;-;;;Organize Sanayi Bölgesi\n")
                continue
            out.write(f"Firma {company} Tekstil Sanayi ve Ticaret A.Ş.;www.firma-{company}.com.tr;"
                      f"kisi{n % 5}@firma-{company}.com.tr;Ayşe Yılmaz {n};"
                      f"Organize Sanayi Bölgesi {n}. Cadde No:{n} Bursa\n")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_importing_50_000_rows_keeps_memory_flat(session: Session, tmp_path: Path) -> None:
    """The reader and the flow hold one chunk: 1 000 rows of ~1.5 KB with their fields, the
    lead inputs, the import rows and the upsert statement (a few MB).  What grows is one int
    per distinct lead (``lead_ids`` and its set, ~80 B each: under 1 MB for 10 000 leads).
    Holding the file's rows would take 50 000 × ~1.5 KB ≈ 75 MB, so a 16 MiB bound proves
    streaming with room to spare.  SQLite only: the Python side is the same on PostgreSQL,
    and tracemalloc makes every allocation slow."""
    path = write_big_csv(tmp_path / "buyuk.csv", 50_000)
    tracemalloc.start()
    try:
        result = import_leads(session, leadfile.read(path), source="buyuk.csv")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.imported, result.duplicates, result.rejected_count) == (10_000, 39_000, 1_000)
    assert len(result.lead_ids) == 10_000
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
    contacts = session.scalar(select(Lead.contacts).where(Lead.domain == "firma-7.com.tr"))
    assert len(contacts) == 5


# --- contacts (pure) -------------------------------------------------------------------------

@pytest.mark.parametrize("cell, found", [
    ("info@firma.com.tr", ["info@firma.com.tr"]),
    ("Satış <SATIS@Firma.com.tr>; muhasebe@firma.com.tr, info@firma.com.tr.",
     ["satis@firma.com.tr", "muhasebe@firma.com.tr", "info@firma.com.tr"]),
    ("yok", []),
    ("0212 555 44 33", []),
])
def test_addresses(cell: str, found: list[str]) -> None:
    assert flow.addresses(cell) == found


def test_contacts_from_repeated_email_columns_and_a_person() -> None:
    row = LeadRow(3, "firma.com.tr", "Web", None,
                  {"Web": "firma.com.tr", "E-posta": "a@firma.com.tr", "E-posta (2)": "b@firma.com.tr",
                   "İlgili Kişi": "Gül Şen", "Adres": "x@y.com Caddesi"})
    assert flow.contacts_of(row) == [{"email": "a@firma.com.tr", "name": "Gül Şen"},
                                     {"email": "b@firma.com.tr"}]


def test_a_person_without_an_address_is_kept() -> None:
    row = LeadRow(3, "firma.com.tr", "Web", None, {"Web": "firma.com.tr", "Contact": "John Doe"})
    assert flow.contacts_of(row) == [{"name": "John Doe"}]


def test_merge_contacts_adds_new_addresses_and_late_names() -> None:
    known = [{"email": "a@x.com.tr"}, {"name": "Ali"}]
    new = [{"email": "a@x.com.tr", "name": "Ayşe"}, {"email": "b@x.com.tr"}, {"name": "Ali"}]
    assert flow.merge_contacts(known, new) == [{"email": "a@x.com.tr", "name": "Ayşe"},
                                               {"name": "Ali"}, {"email": "b@x.com.tr"}]
    assert known == [{"email": "a@x.com.tr"}, {"name": "Ali"}]        # not mutated
