"""Output formats of the command line: JSON Lines, CSV (UTF-8 BOM, Excel-safe) and XLSX."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import IO, Protocol

from ..exports import COLUMNS, FORMULA_START, flatten, safe_cell
from ..model import Analysis

__all__ = ["COLUMNS", "FORMULA_START", "CsvWriter", "JsonlWriter", "XlsxWriter", "flatten",
           "safe_cell", "summary", "to_json"]


def to_json(analysis: Analysis) -> str:
    """One compact JSON object (UTF-8 text, not \\u-escaped), serialised by pydantic-core."""
    return analysis.model_dump_json()


class Writer(Protocol):
    def write(self, analysis: Analysis) -> None: ...
    def close(self) -> None: ...


class JsonlWriter:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, analysis: Analysis) -> None:
        self._stream.write(to_json(analysis) + "\n")

    def close(self) -> None:
        self._stream.flush()


class CsvWriter:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        stream.write("\ufeff")
        self._csv = csv.DictWriter(stream, fieldnames=COLUMNS)
        self._csv.writeheader()

    def write(self, analysis: Analysis) -> None:
        self._csv.writerow({k: safe_cell(v) for k, v in flatten(analysis.model_dump(mode="json")).items()})

    def close(self) -> None:
        self._stream.flush()


class XlsxWriter:
    """Streams rows with openpyxl's write-only workbook; saved on close."""

    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self._path = path
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("Hunter")
        self._sheet.append(list(COLUMNS))

    def write(self, analysis: Analysis) -> None:
        self._sheet.append([safe_cell(v) for v in flatten(analysis.model_dump(mode="json")).values()])

    def close(self) -> None:
        self._book.save(self._path)


def summary(counts_status: Counter[str], counts_provider: Counter[str], seconds: float) -> str:
    total = sum(counts_status.values())
    rate = total / seconds if seconds > 0 else 0.0
    statuses = ", ".join(f"{k} {v}" for k, v in counts_status.most_common())
    providers = ", ".join(f"{k} {v}" for k, v in counts_provider.most_common())
    return (f"{total} domains in {seconds:.1f} s ({rate:.0f}/s) — status: {statuses or 'none'}"
            f" — providers: {providers or 'none'}")
