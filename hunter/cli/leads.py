"""``hunter import FILE`` and ``hunter db upgrade``: lead files into the database, the schema up
to date.  Thin: builds Settings, checks the schema, calls ``flows.import_leads`` with a commit
per chunk, formats the result.  Errors go to stderr as ``error: …`` with exit code 2; database
URLs are shown with the password masked, never whole."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Optional, TextIO

import typer

from .. import leadfile
from ..flows.import_leads import ImportResult, RejectedRow, import_leads
from ..store import db, migrate
from ..store.imports import ImportRepository
from .startup import build_settings, describe, errors, fail

SHOWN_REJECTED = 20
PAGE = 1_000
NOT_INITIALISED = "database not initialised: run `hunter db upgrade`"

db_app = typer.Typer(no_args_is_help=True, help="The lead database.")


def import_file(
    file: Annotated[str, typer.Argument(help=".csv, .xlsx, .txt file, or - for stdin.")],
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object with the counts and the rejected rows.")] = False,
    source: Annotated[Optional[str], typer.Option("--source", help="Where the leads came from (default: the file name).")] = None,
) -> None:
    """Import a lead list: one lead per domain; duplicates merged, every bad row named."""
    settings = build_settings()
    url = settings.database()
    with errors(url):
        if migrate.current(url) is None:
            raise fail(f"{NOT_INITIALISED} ({describe(url)})")
        rows = leadfile.read(file, max_rows=settings.import_max_rows, max_bytes=settings.import_max_bytes)
        result = _run(url, rows, source=source or _source_name(file))
    if json_out:
        with errors(url):
            write_json(result, _all_rejected(url, result), sys.stdout)
    else:
        typer.echo(summary(result, source=source or _source_name(file)))


@db_app.command("upgrade")
def upgrade() -> None:
    """Create the database or bring its schema to the latest revision."""
    url = build_settings().database()
    with errors(url):
        migrate.upgrade(url)
        revision = migrate.current(url)
    typer.echo(f"database at revision {revision} ({describe(url)})")


# --- running ----------------------------------------------------------------------------------

def _run(url: str, rows: Iterable[leadfile.LeadRow], *, source: str) -> ImportResult:
    """The import in its own session, committed after every chunk so progress survives."""
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as session:
            return import_leads(session, rows, source=source, checkpoint=session.commit)
    finally:
        engine.dispose()


def _source_name(file: str) -> str:
    return "stdin" if file == "-" else Path(file).name


# --- output -----------------------------------------------------------------------------------

def write_json(result: ImportResult, rejected: Iterable[RejectedRow], out: TextIO) -> None:
    """One object, ``{"imported", "duplicates", "rejected": [{"row", "value", "reason"}],
    "batch_id"}``, written as the rejected rows stream (they may be 100 000)."""
    out.write(f'{{"imported": {result.imported}, "duplicates": {result.duplicates}, "rejected": [')
    for index, row in enumerate(rejected):
        out.write((", " if index else "") + json.dumps(
            {"row": row.row, "value": row.value, "reason": row.reason}, ensure_ascii=False))
    out.write(f'], "batch_id": {result.batch_id}}}\n')


def _all_rejected(url: str, result: ImportResult) -> Iterator[RejectedRow]:
    """The rejected rows: those the result kept, else every one of them from the batch."""
    if len(result.rejected) == result.rejected_count:
        yield from result.rejected
        return
    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as session:
            imports = ImportRepository(session)
            for offset in itertools.count(0, PAGE):
                page = imports.rows(result.batch_id, "rejected", limit=PAGE, offset=offset)
                yield from (RejectedRow(r.row, r.value, r.reason or "") for r in page)
                if len(page) < PAGE:
                    return
    finally:
        engine.dispose()


def summary(result: ImportResult, *, source: str) -> str:
    lines = [f"{source}: {result.rows} rows — {result.imported} imported, "
             f"{result.duplicates} duplicates, {result.rejected_count} rejected "
             f"(import batch {result.batch_id})"]
    if result.rejected:
        lines.append("rejected rows:")
        lines += [f"  row {r.row}: {r.value!r} — {r.reason}" for r in result.rejected[:SHOWN_REJECTED]]
    more = result.rejected_count - min(len(result.rejected), SHOWN_REJECTED)
    if more > 0:
        lines.append(f"  … and {more} more (hunter import --json lists them)")
    return "\n".join(lines)
