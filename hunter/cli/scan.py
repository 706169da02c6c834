"""Drive ``flows.scan`` for the command line: read the lead file, write results, count."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from .. import leadfile
from ..errors import InputError
from ..flows.scan import analyze_many
from ..model import Analysis
from ..settings import Settings
from ..wiring import build_context
from . import loop, output

EMPTY_ROW = "row {row}: no website, e-mail or domain in this row"


async def analyze_list(texts: list[str], settings: Settings) -> list[Analysis]:
    ctx = build_context(settings)
    try:
        return [a async for a in analyze_many(texts, ctx, concurrency=settings.dns_concurrency)]
    finally:
        await ctx.aclose()


def open_writer(out: Path | None) -> tuple[output.Writer, object]:
    """A writer by the file name's suffix (.jsonl default, .csv, .xlsx); stdout when None."""
    if out is None:
        return output.JsonlWriter(sys.stdout), None
    suffix = out.suffix.lower()
    try:
        if suffix == ".xlsx":
            return output.XlsxWriter(out), None
        stream = out.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"cannot write output: {exc.strerror}", source=str(out)) from None
    if suffix == ".csv":
        return output.CsvWriter(stream), stream
    return output.JsonlWriter(stream), stream


def estimate_rows(path: str) -> int | None:
    """A quick row estimate for the progress bar (newlines in a text file); None if unknown."""
    if path == "-" or Path(path).suffix.lower() == ".xlsx":
        return None
    try:
        with open(path, "rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return None


def texts_of(rows: Iterator[leadfile.LeadRow], row_numbers: deque[int]) -> Iterator[str]:
    """The text of each row; remembers row numbers in order so results can name their row."""
    for row in rows:
        row_numbers.append(row.row)
        yield row.value


def explain_empty(result: Analysis, row: int) -> Analysis:
    if result.status == "invalid" and not result.input.strip():
        return result.model_copy(update={"reason": EMPTY_ROW.format(row=row)})
    return result


@contextmanager
def progress_bar(enabled: bool, total: int | None):
    if not enabled:
        yield lambda: None
        return
    bar = Progress(TextColumn("[bold]scan"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]:>6.0f}/s"), TimeElapsedColumn(),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    started = time.monotonic()
    with bar:
        task = bar.add_task("scan", total=total, rate=0.0)

        def advance() -> None:
            done = bar.tasks[0].completed + 1
            bar.update(task, advance=1, rate=done / max(time.monotonic() - started, 1e-6))
        yield advance


def run(source: str, *, out: Path | None, settings: Settings, progress: bool | None,
        metrics_out: Path | None = None) -> str:
    """Scan ``source`` to ``out``; returns the one-line summary.  Raises InputError."""
    rows = leadfile.read(source, stdin=sys.stdin)
    first = next(rows, None)  # surface unreadable input before creating the output file
    show = sys.stderr.isatty() if progress is None else progress
    writer, stream = open_writer(out)
    try:
        counts = loop.run(scan_rows(_chain(first, rows), writer, settings, show=show,
                                    total=estimate_rows(source), metrics_out=metrics_out))
    finally:
        writer.close()
        if stream is not None:
            stream.close()
    return counts


def _chain(first, rows):
    if first is not None:
        yield first
        yield from rows


async def scan_rows(rows: Iterator[leadfile.LeadRow], writer: output.Writer, settings: Settings, *,
                    show: bool, total: int | None = None, metrics_out: Path | None = None) -> str:
    """Analyse every row through ``flows.scan`` into ``writer``; returns the summary line."""
    ctx = build_context(settings)
    statuses: Counter[str] = Counter()
    providers: Counter[str] = Counter()
    row_numbers: deque[int] = deque()
    started = time.monotonic()
    try:
        with progress_bar(show, total) as advance:
            texts = texts_of(rows, row_numbers)
            async for result in analyze_many(texts, ctx, concurrency=settings.dns_concurrency):
                result = explain_empty(result, row_numbers.popleft())
                writer.write(result)
                statuses[result.status] += 1
                if result.status not in ("invalid", "dns_error"):
                    providers[result.provider.key] += 1
                advance()
    finally:
        await ctx.aclose()
        if metrics_out is not None:
            write_metrics(metrics_out, ctx.resolver.metrics.snapshot())
    return output.summary(statuses, providers, time.monotonic() - started)


def write_metrics(path: Path, snapshot: dict[str, object]) -> None:
    try:
        path.write_text(json.dumps(snapshot, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write metrics: {exc.strerror}", source=str(path)) from None
