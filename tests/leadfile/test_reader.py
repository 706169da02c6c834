"""hunter.leadfile: every file is generated in tmp_path at test time (no binary fixtures)."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from hunter import leadfile
from hunter.errors import InputError
from hunter.leadfile import columns, encoding
from hunter.leadfile.reader import LeadRow

TITLE_CSV = (
    "Müşteri Listesi 2026;;;;\n"
    ";;;;\n"
    "Hazırlayan: Ayşe Yılmaz;;;;\n"
    "FİRMA ÜNVANI;Açık Adres;WEB SİTESİ;E-posta;Telefon\n"
    "Şişecamköy Cam Sanayi A.Ş.;\"Çubuklu Mah.; Beykoz; İstanbul\";www.sisecamkoy.com.tr;"
    "info@sisecamkoy.com.tr;0216 000 00 00\n"
    "Güneşli Ödeme Hizmetleri Ltd. Şti.;Ankara;;satis@gunesli-odeme.com.tr;\n"
    ";;;;\n"
    "IĞDIR İÇECEK ÜRETİM A.Ş.;Iğdır;-;;\n"
)


def write(tmp_path: Path, name: str, text: str, codec: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(codec))
    return path


def rows(source: Path | str, **kwargs: object) -> list[LeadRow]:
    return list(leadfile.read(source, **kwargs))  # type: ignore[arg-type]


def values(source: Path | str, **kwargs: object) -> list[tuple[int, str]]:
    return [(r.row, r.value) for r in rows(source, **kwargs)]


# --- CSV: encodings, title rows, delimiters ------------------------------------------------------

@pytest.mark.parametrize("codec", ["cp1254", "iso8859_9", "utf-8", "utf-8-sig", "utf-16"])
def test_turkish_csv_with_title_rows_in_every_encoding(tmp_path: Path, codec: str) -> None:
    got = rows(write(tmp_path, "musteriler.csv", TITLE_CSV, codec))
    assert [(r.row, r.value, r.column) for r in got] == [
        (5, "www.sisecamkoy.com.tr", "WEB SİTESİ"),
        (6, "satis@gunesli-odeme.com.tr", "E-posta"),
        (8, "", None),
    ]
    assert [r.company for r in got] == ["Şişecamköy Cam Sanayi A.Ş.",
                                        "Güneşli Ödeme Hizmetleri Ltd. Şti.",
                                        "IĞDIR İÇECEK ÜRETİM A.Ş."]
    assert got[0].fields["Açık Adres"] == "Çubuklu Mah.; Beykoz; İstanbul"
    assert got[0].fields["Telefon"] == "0216 000 00 00"


def test_windows_line_ends_and_bom_do_not_leak_into_headers(tmp_path: Path) -> None:
    text = "Web Sitesi,Firma Adı\r\nornek.com.tr,Örnek A.Ş.\r\n"
    (row,) = rows(write(tmp_path, "a.csv", text, "utf-8-sig"))
    assert row == LeadRow(2, "ornek.com.tr", "Web Sitesi", "Örnek A.Ş.",
                          {"Web Sitesi": "ornek.com.tr", "Firma Adı": "Örnek A.Ş."})


@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_delimiters(tmp_path: Path, delimiter: str) -> None:
    lines = [["Şirket", "Adres", "Website"], ["Bir", "Bursa", "bir.com"], ["İki", "İzmir", "iki.com"]]
    text = "".join(delimiter.join(cells) + "\n" for cells in lines)
    assert values(write(tmp_path, "a.csv", text)) == [(2, "bir.com"), (3, "iki.com")]


def test_quoted_fields_with_delimiters_and_newlines_keep_excel_row_numbers(tmp_path: Path) -> None:
    text = ('Firma Adı;Adres;Web Adresi\n'
            '"Kuzey; Güney Ltd.";"Atatürk Cad. No:1\nKat 2; Daire 3";kuzey.com.tr\n'
            '"Çınar ""Yapı"" A.Ş.";Adana;cinar.com.tr\n')
    got = rows(write(tmp_path, "a.csv", text, "cp1254"))
    assert [(r.row, r.value, r.company) for r in got] == [
        (2, "kuzey.com.tr", "Kuzey; Güney Ltd."), (3, "cinar.com.tr", 'Çınar "Yapı" A.Ş.')]
    assert got[0].fields["Adres"] == "Atatürk Cad. No:1\nKat 2; Daire 3"


def test_tab_delimited_txt_from_excel_is_a_table(tmp_path: Path) -> None:
    text = "Rapor\t\t\nFirma\tE-Posta Adresi\tAdres\nDoğu A.Ş.\tbilgi@dogu.com.tr\tVan\n"
    path = write(tmp_path, "liste.txt", text, "utf-16")  # Excel's "Unicode Text"
    assert leadfile.detect_format(path) == "csv"
    assert [(r.row, r.value, r.column) for r in rows(path)] == [
        (3, "bilgi@dogu.com.tr", "E-Posta Adresi")]


def test_ascii_start_then_windows_1254_later_is_read_as_turkish(tmp_path: Path) -> None:
    body = "".join(f"firma{i}.com.tr;Firma {i}\n" for i in range(5000))  # > 64 KiB of ASCII
    path = write(tmp_path, "a.csv", "Domain;Unvan\n" + body + "sis.com.tr;Şişli Gıda\n", "cp1254")
    last = rows(path)[-1]
    assert (last.row, last.value, last.company) == (5002, "sis.com.tr", "Şişli Gıda")


def test_utf8_start_then_other_bytes_later_raises_with_the_row(tmp_path: Path) -> None:
    body = "".join(f"firma{i}.com.tr;Öz Firma {i}\n" for i in range(5000)).encode()
    path = tmp_path / "a.csv"
    path.write_bytes("Domain;Unvan\n".encode() + body + "sis.com.tr;Şişli\n".encode("cp1254"))
    with pytest.raises(InputError, match="not UTF-8") as caught:
        rows(path)
    assert caught.value.row == 5002


def test_multibyte_character_across_the_sample_boundary(tmp_path: Path) -> None:
    filler = "x" * (encoding.SAMPLE_BYTES - len("Domain;Unvan\na.com;") - 1)
    path = write(tmp_path, "a.csv", f"Domain;Unvan\na.com;{filler}Ş\n")
    assert encoding.sniff(path.read_bytes()[:encoding.SAMPLE_BYTES], complete=False) == "utf-8"
    assert rows(path)[0].company == filler + "Ş"


def test_unclosed_quote_is_reported_with_the_row(tmp_path: Path) -> None:
    text = 'Domain;Unvan\na.com;"Açık tırnak\n' + "b.com;x\n" * 20000
    with pytest.raises(InputError, match="quote") as caught:
        rows(write(tmp_path, "a.csv", text))
    assert caught.value.row == 2


def test_binary_content_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"Domain\x00\x01\x02")
    with pytest.raises(InputError, match="NUL"):
        rows(path)


# --- header rules -------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "role"), [
    ("WEB SİTESİ", "website"), ("Web Sitesi", "website"), ("WEB SITESI", "website"),
    ("web_sitesi", "website"), ("İnternet Adresi", "website"), ("URL", "website"),
    ("WWW", "website"), ("E-POSTA", "email"), ("e-mail", "email"), ("EMAIL", "email"),
    ("Mail Adresi", "email"), ("E-Posta Adresi", "email"), ("ALAN ADI", "domain"),
    ("Alan adı", "domain"), ("Domain Adı", "domain"), ("FİRMA ÜNVANI", "company"),
    ("Firma Unvanı", "company"), ("ŞİRKET", "company"), ("Company Name", "company"),
    ("MÜŞTERİ", "company"), ("Account Name", "company"),
])
def test_header_names_fold_turkish_and_ascii_forms(header: str, role: str) -> None:
    assert columns.role_of(header) == role


@pytest.mark.parametrize("header", ["Adres", "Açık Adres", "ADRES", "Address", "Fatura Adresi",
                                    "Posta Adresi", "İş Adresi", "Web Sitesi Notu", "Posta Kodu"])
def test_postal_address_and_other_columns_have_no_role(header: str) -> None:
    assert columns.role_of(header) is None


def test_turkish_lower() -> None:
    assert columns.turkish_lower("IĞDIR İLİ") == "ığdır ili"
    assert columns.fold("Şİrket_Adı") == columns.fold("sirket adi") == "sirketadi"


def test_address_column_is_never_the_value(tmp_path: Path) -> None:
    text = "Firma Adı;Adres;Fatura Adresi\nA;www.adres-gibi.com;Ankara\n"
    with pytest.raises(InputError, match="no website, e-mail or domain column") as caught:
        rows(write(tmp_path, "a.csv", text))
    assert "'Adres'" in str(caught.value) and "a.csv" in str(caught.value)


def test_value_falls_through_website_email_domain(tmp_path: Path) -> None:
    text = ("Alan Adı;E-posta;Web Sitesi;Adres\n"
            "c.com;b@b.com;a.com;Konya\n"
            "c.com;b@b.com;;Konya\n"
            "c.com;;yok;Konya\n"
            ";;;Konya\n")
    got = [(r.row, r.value, r.column) for r in rows(write(tmp_path, "a.csv", text))]
    assert got == [(2, "a.com", "Web Sitesi"), (3, "b@b.com", "E-posta"),
                   (4, "c.com", "Alan Adı"), (5, "", None)]


def test_duplicate_blank_and_extra_columns_keep_every_cell(tmp_path: Path) -> None:
    text = "Website;;Website;Not\na.com;x;b.com;n;fazla\n"
    (row,) = rows(write(tmp_path, "a.csv", text))
    assert row.fields == {"Website": "a.com", "B": "x", "Website (2)": "b.com", "Not": "n",
                          "E": "fazla"}


def test_repeated_header_rows_are_not_data(tmp_path: Path) -> None:
    text = "Domain;Firma\na.com;A\nDomain;Firma\nb.com;B\n"
    assert values(write(tmp_path, "a.csv", text)) == [(2, "a.com"), (4, "b.com")]


def test_single_column_without_header_is_a_list(tmp_path: Path) -> None:
    text = "ornek.com.tr\n\n\"https://www.firma.com.tr/iletisim\"\n# not\nkisi@eposta.com\n"
    assert values(write(tmp_path, "a.csv", text)) == [
        (1, "ornek.com.tr"), (3, "https://www.firma.com.tr/iletisim"), (5, "kisi@eposta.com")]


def test_single_column_with_header(tmp_path: Path) -> None:
    got = rows(write(tmp_path, "a.csv", "E-Posta\nx@a.com\n"))
    assert [(r.row, r.value, r.column) for r in got] == [(2, "x@a.com", "E-Posta")]


def test_header_is_searched_only_in_the_first_rows(tmp_path: Path) -> None:
    text = "Not;Tutar\n" * 25 + "Domain;Firma\na.com;A\n"
    with pytest.raises(InputError, match="headers: 'Not', 'Tutar'"):
        rows(write(tmp_path, "a.csv", text))


# --- TXT and stdin ------------------------------------------------------------------------------

def test_txt_skips_blanks_and_comments_but_counts_them(tmp_path: Path) -> None:
    text = "# Fuar listesi\r\n\r\n  ornek.com.tr  \r\n\t\r\nbilgi@firma.com.tr\r\n# son\r\nx.com"
    assert leadfile.detect_format(write(tmp_path, "a.txt", text)) == "txt"
    got = rows(tmp_path / "a.txt")
    assert [(r.row, r.value, r.column, r.fields) for r in got] == [
        (3, "ornek.com.tr", None, {}), (5, "bilgi@firma.com.tr", None, {}), (7, "x.com", None, {})]


def test_txt_in_windows_1254(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "şeker.com.tr\nçiçek.com.tr\n", "cp1254")
    assert values(path) == [(1, "şeker.com.tr"), (2, "çiçek.com.tr")]


def test_stdin_text_list() -> None:
    stdin = io.StringIO("# yapıştırılan\nornek.com.tr\n\nfirma.com\n")
    assert values("-", stdin=stdin) == [(2, "ornek.com.tr"), (4, "firma.com")]


def test_stdin_bytes_sniffed_as_csv_with_header() -> None:
    data = "Firma Adı;Web Sitesi\nÖrnek;ornek.com.tr\n".encode("cp1254")
    (row,) = rows("-", stdin=io.BytesIO(data))
    assert (row.row, row.value, row.company, row.column) == (2, "ornek.com.tr", "Örnek",
                                                             "Web Sitesi")


def test_stdin_text_wrapper_uses_its_bytes() -> None:
    stdin = io.TextIOWrapper(io.BytesIO("Domain\nçam.com.tr\n".encode("cp1254")), "utf-8")
    assert values("-", stdin=stdin) == [(2, "çam.com.tr")]


def test_stdin_list_with_commas_stays_a_list() -> None:
    stdin = io.StringIO("a.com, b.com\nc.com\n")
    assert values("-", stdin=stdin) == [(1, "a.com, b.com"), (2, "c.com")]


# --- XLSX ---------------------------------------------------------------------------------------

def make_workbook(path: Path, *, cover: bool = False) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    if cover:
        sheet.title = "Kapak"
        sheet["A1"] = "Bu dosya satış ekibi içindir"
        sheet = book.create_sheet("Liste")
    sheet["A1"] = "MÜŞTERİ LİSTESİ — 2026"
    sheet.merge_cells("A1:E1")
    sheet["A2"] = "Hazırlayan: Satış"
    for col, name in enumerate(["Sıra", "Firma Ünvanı", "Adres", "Web Adresi", "E-Posta"], 1):
        sheet.cell(row=4, column=col, value=name)
    sheet.append([1, "Ilgaz Orman Ürünleri A.Ş.", "Kastamonu", "https://ilgaz-orman.com.tr", None])
    sheet.append([2.0, "Öğretmen Yayıncılık", "İzmir", None, "iletisim@ogretmen-yay.com.tr"])
    sheet.append([])
    sheet.append([None, None, None, None, None])
    sheet.append([5, "Boş Ltd.", "Muğla", "  ", ""])
    book.save(path)
    return path


@pytest.mark.parametrize("cover", [False, True])
def test_xlsx_with_title_rows_and_merged_title(tmp_path: Path, cover: bool) -> None:
    path = make_workbook(tmp_path / "liste.xlsx", cover=cover)
    assert leadfile.detect_format(path) == "xlsx"
    got = rows(path)
    assert [(r.row, r.value, r.column, r.company) for r in got] == [
        (5, "https://ilgaz-orman.com.tr", "Web Adresi", "Ilgaz Orman Ürünleri A.Ş."),
        (6, "iletisim@ogretmen-yay.com.tr", "E-Posta", "Öğretmen Yayıncılık"),
        (9, "", None, "Boş Ltd."),
    ]
    assert got[1].fields["Sıra"] == "2"


def test_xlsx_data_starting_below_empty_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active["B3"] = "Domain"
    book.active["B4"] = "a.com.tr"
    book.save(tmp_path / "a.xlsx")
    assert values(tmp_path / "a.xlsx") == [(4, "a.com.tr")]


def test_xlsx_renamed_to_csv_is_read_as_a_workbook(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "liste.xlsx")
    renamed = path.rename(tmp_path / "liste.csv")
    assert leadfile.detect_format(renamed) == "xlsx"
    assert values(renamed)[0] == (5, "https://ilgaz-orman.com.tr")


# --- limits -------------------------------------------------------------------------------------

def test_max_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "a.com\nb.com\n\nc.com\n")
    assert len(rows(path, max_rows=3)) == 3
    with pytest.raises(InputError, match=r"more than 2 rows \(max_rows\)") as caught:
        rows(path, max_rows=2)
    assert caught.value.row == 4


def test_max_bytes_for_a_file_fails_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "Domain\n" + "a.com\n" * 100)
    with pytest.raises(InputError, match=r"limit of 100 bytes \(max_bytes\)"):
        leadfile.read(path, max_bytes=100)
    assert len(rows(path, max_bytes=10_000)) == 100


@pytest.mark.parametrize("make", [lambda b: io.BytesIO(b), lambda b: io.StringIO(b.decode())])
def test_max_bytes_for_stdin(make) -> None:  # type: ignore[no-untyped-def]
    stdin = make(b"a.com\n" * 100_000)
    with pytest.raises(InputError, match="max_bytes"):
        rows("-", stdin=stdin, max_bytes=50_000)


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        leadfile.read("-", max_rows=0)


def test_memory_stays_flat_on_a_large_csv(tmp_path: Path) -> None:
    path = tmp_path / "buyuk.csv"
    with path.open("w", encoding="cp1254", newline="") as out:
        out.write("Müşteri Listesi;;\nFirma Ünvanı;Adres;Web Sitesi\n")
        for i in range(200_000):
            out.write(f"Şirket {i} A.Ş.;\"Çankaya; Ankara\";www.sirket{i}.com.tr\r\n")
    tracemalloc.start()
    try:
        count = sum(1 for _ in leadfile.read(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 3 * 1024 * 1024, f"peak {peak} bytes"


# --- file errors --------------------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found") as caught:
        leadfile.read(tmp_path / "yok.csv")
    assert caught.value.source == str(tmp_path / "yok.csv")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory"):
        leadfile.read(tmp_path)


def test_old_xls_by_extension(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"save as \.xlsx or \.csv"):
        leadfile.read(write(tmp_path, "eski.xls", "x"))


def test_old_xls_by_content(tmp_path: Path) -> None:
    path = tmp_path / "gizli.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(InputError, match="password-protected"):
        leadfile.read(path)


@pytest.mark.parametrize("name", ["liste.ods", "liste.pdf", "liste.docx"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError, match="unsupported file type"):
        leadfile.read(write(tmp_path, name, "x"))


def test_xlsx_that_is_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a zip"):
        leadfile.read(write(tmp_path, "a.xlsx", "Domain;Firma\n"))


def test_damaged_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "bozuk.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(InputError, match="damaged") as caught:
        rows(path)
    assert "bozuk.xlsx" in str(caught.value)


def test_truncated_xlsx(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "kesik.xlsx")
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(InputError, match="damaged"):
        rows(path)


def test_utf16_big_endian_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "liste"  # no extension: a list unless it has a header
    path.write_bytes(b"\xfe\xff" + "Web Sitesi\tŞirket\nçağ.com.tr\tÇağ\n".encode("utf-16-be"))
    assert leadfile.detect_format(path) == "csv"
    assert [(r.value, r.company) for r in rows(path)] == [("çağ.com.tr", "Çağ")]
