"""Reading lead lists (CSV, XLSX, TXT or stdin) as a stream of :class:`LeadRow`.

Nothing is loaded whole: CSV and TXT go line by line through :mod:`.encoding`, XLSX through
openpyxl's read-only ``iter_rows``. Path problems (missing, directory, unsupported type, too big)
raise :class:`InputError` when :func:`read` is called; content problems (no usable column, bad
encoding, damaged workbook, too many rows) raise it while iterating, naming the row.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import sys
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TypeVar
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from hunter.errors import InputError
from hunter.leadfile import columns, encoding

Format = Literal["csv", "xlsx", "txt"]
STDIN = "-"
STDIN_NAME = "<stdin>"
DELIMITERS = ";,\t|"
HEAD_LINES = 200
HEAD_CHARS = 64 * 1024

_CSV_SUFFIXES = frozenset({".csv", ".tsv"})
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_TEXT_SUFFIXES = frozenset({".txt", ".text", ".list", ".lst", ""})
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XLSX_ERRORS = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError,
                EOFError, ParseError, zlib.error)

T = TypeVar("T")
Record = tuple[int, list[str]]
Rows = Generator["LeadRow", None, None]


@dataclass(frozen=True, slots=True)
class LeadRow:
    row: int                 # 1-based row (Excel) or line (TXT) number in the source
    value: str               # website, else e-mail, else domain; "" if the row has none
    column: str | None       # header of the column the value came from (None for TXT)
    company: str | None      # the company name column, when there is one and it is filled
    fields: dict[str, str]   # the whole row by header, values stripped


def read(path_or_dash: str | Path, *, stdin: IO[Any] | None = None, max_rows: int | None = None,
         max_bytes: int | None = None) -> Iterator[LeadRow]:
    """The rows of a lead file, or of ``stdin`` when ``path_or_dash`` is ``"-"``."""
    _check_limit("max_rows", max_rows)
    _check_limit("max_bytes", max_bytes)
    if str(path_or_dash) == STDIN:
        stream = sys.stdin if stdin is None else stdin
        rows = _text_rows(encoding.decode_lines(stream, source=STDIN_NAME, max_bytes=max_bytes),
                          source=STDIN_NAME, kind="auto")
        return _limited(rows, max_rows=max_rows, source=STDIN_NAME)
    path = Path(path_or_dash)
    kind = detect_format(path)
    _check_size(path, max_bytes)
    rows = _read_xlsx(path) if kind == "xlsx" else _read_text(path, kind=kind, max_bytes=max_bytes)
    return _limited(rows, max_rows=max_rows, source=str(path))


def detect_format(path: str | Path) -> Format:
    """``xlsx`` for a workbook, ``csv`` for a table, ``txt`` for a list; InputError otherwise.

    The extension decides, corrected by the content: a zip is a workbook whatever its name, and a
    ``.txt`` (Excel's "Text (Tab delimited)") with a recognised header row is a table.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    _check_file(path)
    if suffix == ".xls":
        raise InputError("old Excel 97-2003 .xls files are not supported; save as .xlsx or .csv",
                         source=str(path))
    if suffix not in _CSV_SUFFIXES | _XLSX_SUFFIXES | _TEXT_SUFFIXES:
        raise InputError(f"unsupported file type {suffix!r}; use .csv, .xlsx or .txt",
                         source=str(path))
    return _format_by_content(path, suffix)


def _format_by_content(path: Path, suffix: str) -> Format:
    with _open(path) as handle:
        magic = handle.read(len(_OLE_MAGIC))
        if magic.startswith(_OLE_MAGIC):
            raise InputError("an old .xls or password-protected Excel file; save it as .xlsx "
                             "(without a password) or .csv", source=str(path))
        if magic.startswith(_ZIP_MAGIC):
            return "xlsx"
        if suffix in _XLSX_SUFFIXES:
            raise InputError("not a valid .xlsx workbook (not a zip archive); if it is a CSV or "
                             "text file, give it that extension", source=str(path))
        if suffix in _CSV_SUFFIXES:
            return "csv"
        handle.seek(0)
        head = _head(encoding.decode_lines(handle, source=str(path)))
    return "csv" if _is_tabular(head, _choose_delimiter(head)) else "txt"


# --- paths and limits ---------------------------------------------------------------------------

def _check_limit(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise InputError("is a directory, not a file", source=str(path))
    if not path.exists():
        raise InputError("file not found", source=str(path))


def _check_size(path: Path, max_bytes: int | None) -> None:
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise InputError(f"file is {size} bytes, larger than the limit of {max_bytes} bytes "
                         "(max_bytes)", source=str(path))


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except OSError as error:
        raise InputError(f"cannot open: {error.strerror or error}", source=str(path)) from None


def _limited(rows: Generator[LeadRow, None, None], *, max_rows: int | None, source: str
             ) -> Iterator[LeadRow]:
    with closing(rows):
        for count, row in enumerate(rows, 1):
            if max_rows is not None and count > max_rows:
                raise InputError(f"more than {max_rows} rows (max_rows); split the file",
                                 source=source, row=row.row)
            yield row


def _numbered(items: Iterable[T], *, source: str) -> Iterator[tuple[int, T]]:
    """``enumerate(items, 1)``, turning csv parse errors into InputError with the row number."""
    iterator = iter(items)
    for number in itertools.count(1):
        try:
            item = next(iterator)
        except StopIteration:
            return
        except csv.Error as error:
            raise InputError(f"cannot parse the CSV ({error}); is a quote (\") left open?",
                             source=source, row=number) from None
        yield number, item


# --- text: CSV, TXT, stdin ----------------------------------------------------------------------

def _read_text(path: Path, *, kind: Format, max_bytes: int | None) -> Rows:
    with _open(path) as handle:
        lines = encoding.decode_lines(handle, source=str(path), max_bytes=max_bytes)
        yield from _text_rows(lines, source=str(path), kind=kind)


def _text_rows(lines: Iterator[str], *, source: str,
               kind: Literal["csv", "txt", "auto"]) -> Rows:
    head = _head(lines)
    delimiter = _choose_delimiter(head)
    if kind == "auto":
        kind = "csv" if _is_tabular(head, delimiter) else "txt"
    everything = itertools.chain(head, lines)
    if kind == "txt":
        yield from _list_rows(_numbered(everything, source=source))
    else:
        records = _numbered(csv.reader(everything, delimiter=delimiter), source=source)
        yield from _table(records, source=source)


def _head(lines: Iterator[str]) -> list[str]:
    """The first lines, enough to find the header and delimiter (at most HEAD_LINES / HEAD_CHARS)."""
    head: list[str] = []
    size = 0
    for line in lines:
        head.append(line)
        size += len(line)
        if len(head) >= HEAD_LINES or size >= HEAD_CHARS:
            break
    return head


def _parse_head(head: Sequence[str], delimiter: str) -> list[Record]:
    try:
        return list(itertools.islice(enumerate(csv.reader(head, delimiter=delimiter), 1),
                                     columns.HEADER_SCAN_ROWS))
    except csv.Error:
        return []


def _choose_delimiter(head: Sequence[str]) -> str:
    """The delimiter that reveals the best header; else csv.Sniffer's guess; else by counting."""
    sniffed = _sniff_delimiter(head)
    candidates = sorted(DELIMITERS, key=lambda d: d != sniffed)  # the sniffed one wins ties
    best, best_matched = None, 0
    for delimiter in candidates:
        layout = columns.find_header(_parse_head(head, delimiter))
        if layout is not None and layout.matched > best_matched:
            best, best_matched = delimiter, layout.matched
    return best or sniffed or _count_delimiter(head)


def _sniff_delimiter(head: Sequence[str]) -> str | None:
    try:
        return csv.Sniffer().sniff("".join(head[:50]), delimiters=DELIMITERS).delimiter
    except csv.Error:
        return None


def _count_delimiter(head: Sequence[str]) -> str:
    first = next((line for line in head if line.strip()), "")
    return max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","


def _is_tabular(head: Sequence[str], delimiter: str) -> bool:
    """For TXT and stdin: a header with two filled cells, or a header on the first used line."""
    records = _parse_head(head, delimiter)
    layout = columns.find_header(records)
    if layout is None:
        return False
    first = next((n for n, cells in records if _used(cells) and not cells[0].startswith("#")), 0)
    return first == layout.row or sum(bool(c) for c in layout.header) >= 2


def _list_rows(lines: Iterable[tuple[int, str]]) -> Iterator[LeadRow]:
    for number, line in lines:
        text = _clean(line)
        if text and not text.startswith("#"):
            yield LeadRow(number, text, None, None, {})


# --- tables: CSV and XLSX -----------------------------------------------------------------------

def _table(records: Iterator[Record], *, source: str) -> Iterator[LeadRow]:
    head = list(itertools.islice(records, columns.HEADER_SCAN_ROWS))
    layout = columns.find_header(head)
    if layout is None:
        yield from _single_column(head, records, source=source)
        return
    for number, raw in itertools.chain(head, records):
        cells = [_clean(cell) for cell in raw]
        if number <= layout.row or not any(cells) or tuple(cells) == layout.header:
            continue
        value, column = layout.value_of(cells)
        yield LeadRow(number, value, column, layout.company_of(cells), layout.fields(cells))


def _single_column(head: list[Record], rest: Iterator[Record], *, source: str
                   ) -> Iterator[LeadRow]:
    """No known header: a one-column table is a list; anything wider is an error."""
    if any(sum(bool(_clean(c)) for c in cells) > 1 for _, cells in head):
        shown = next((cells for _, cells in head if _used(cells)), [])
        names = ", ".join(repr(_clean(c)[:40]) for c in shown[:12] if _clean(c))
        raise InputError(f"no website, e-mail or domain column; headers: {names}", source=source)
    lines = ((n, next((c for c in cells if _clean(c)), "")) for n, cells in
             itertools.chain(head, rest))
    yield from _list_rows(lines)


def _used(cells: Sequence[str]) -> bool:
    return any(_clean(cell) for cell in cells)


def _clean(cell: str) -> str:
    return cell.strip().strip("\u200b\ufeff").strip()


# --- XLSX ---------------------------------------------------------------------------------------

def _read_xlsx(path: Path) -> Rows:
    source = str(path)
    with _open(path) as handle:
        workbook = _guard(lambda: openpyxl.load_workbook(handle, read_only=True, data_only=True),
                          source=source)
        try:
            sheet = _guard(lambda: _pick_sheet(workbook), source=source)
            yield from _table(_sheet_records(sheet, source=source), source=source)
        finally:
            workbook.close()


def _guard(action: Callable[[], T], *, source: str, row: int | None = None) -> T:
    try:
        return action()
    except _XLSX_ERRORS as error:
        raise InputError(f"damaged or not an Excel .xlsx workbook ({type(error).__name__}: "
                         f"{error})", source=source, row=row) from None


def _pick_sheet(workbook: Any) -> Any:
    """The active sheet, or the first other sheet with a recognised header in its first rows."""
    sheets = [s for s in dict.fromkeys((workbook.active, *workbook.worksheets))
              if hasattr(s, "iter_rows")]
    for sheet in sheets:
        sheet.reset_dimensions()  # a stale <dimension> must not cut columns or rows
        rows = enumerate(sheet.iter_rows(values_only=True), 1)
        head = [(n, [_cell_text(v) for v in values])
                for n, values in itertools.islice(rows, columns.HEADER_SCAN_ROWS)]
        if columns.find_header(head) is not None:
            return sheet
    return sheets[0] if sheets else None


def _sheet_records(sheet: Any, *, source: str) -> Iterator[Record]:
    if sheet is None:
        return
    rows = iter(sheet.iter_rows(values_only=True))
    for number in itertools.count(1):
        values = _guard(lambda: next(rows, None), source=source, row=number)
        if values is None:
            return
        yield number, [_cell_text(value) for value in values]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)
