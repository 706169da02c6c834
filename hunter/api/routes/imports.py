"""Import a lead file [sales]: upload (.csv, .xlsx, .txt) and start an ``import`` job that
stores every row's outcome and, with ``scan=true``, then starts a scan job for the file's leads.

The upload is checked (size, type) and saved under ``<data_dir>/uploads/<uuid>.<ext>``; the
answer is 202 with the job id (``Location: /api/v1/jobs/{id}``); the job's ``result`` carries
the counts.  The job deletes the file when it finishes.
"""

from __future__ import annotations

import uuid
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from ...settings import Settings
from ..deps import Sales, Services, ServicesDep
from ..errors import TooLarge, UnsupportedType, responses
from ..schemas import ImportAccepted

router = APIRouter(tags=["imports"], responses=responses(401, 403, 413, 415, 422))
SUFFIXES = (".csv", ".xlsx", ".txt")
ZIP = b"PK\x03\x04"
BINARY = (b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")
TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
COPY_CHUNK = 1024 * 1024


@router.post("/imports", summary="Upload a lead file and start its import job",
             status_code=status.HTTP_202_ACCEPTED)
async def import_file(
    svc: ServicesDep, _: Sales, response: Response,
    file: Annotated[UploadFile, File(description=".csv, .xlsx or .txt (one domain, e-mail or URL a line)")],
    source: Annotated[str | None, Form(max_length=300, description="label of the batch (default: the file name)")] = None,
    scan: Annotated[bool, Form(description="after the import, start a scan job for the file's leads")] = False,
) -> ImportAccepted:
    name = _client_name(file.filename)
    suffix = _suffix(name)
    path = await run_in_threadpool(save_upload, file.file, svc.settings, suffix=suffix)
    job_id = await run_in_threadpool(_submit, svc, path, source=source or name, shown=name, scan=scan)
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    return ImportAccepted(job_id=job_id)


def _client_name(filename: str | None) -> str:
    """The base name the client gave (browsers may send ``C:\\fakepath\\x.csv``)."""
    return PureWindowsPath(PurePosixPath(filename or "upload").name).name or "upload"


def _suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UnsupportedType(f"Upload a .csv, .xlsx or .txt file, not {suffix or 'a file without extension'}.")
    return suffix


def save_upload(stream: IO[bytes], settings: Settings, *, suffix: str) -> Path:
    """Copy the upload to ``<data_dir>/uploads/<uuid><suffix>``, checking its size and type."""
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4()}{suffix}"
    try:
        _copy(stream, path, limit=settings.api_upload_max_bytes)
        _check_content(path, suffix)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return path


def _copy(stream: IO[bytes], path: Path, *, limit: int) -> None:
    written = 0
    with path.open("wb") as out:
        while chunk := stream.read(COPY_CHUNK):
            written += len(chunk)
            if written > limit:
                raise TooLarge(f"The file is larger than the limit of {limit} bytes.")
            out.write(chunk)


def _check_content(path: Path, suffix: str) -> None:
    with path.open("rb") as f:
        head = f.read(4096)
    if suffix == ".xlsx":
        if not head.startswith(ZIP):
            raise UnsupportedType("The file is not an .xlsx workbook; upload a CSV as .csv.")
        return
    if head.startswith(ZIP) or head.startswith(BINARY):
        raise UnsupportedType(f"The file is not text; a {suffix} upload must be CSV or plain text.")
    if b"\x00" in head and not head.startswith(TEXT_BOMS):
        raise UnsupportedType("The file contains NUL bytes: it is binary, not CSV or text.")


def _submit(svc: Services, path: Path, *, source: str, shown: str, scan: bool) -> str:
    """The import job for the saved upload (the file is the job's from now on)."""
    settings = svc.settings
    params = {"path": str(path), "name": shown, "source": source, "scan": scan,
              "max_rows": settings.import_max_rows, "max_bytes": settings.import_max_bytes}
    try:
        return svc.runner.submit("import", params, lead_ids=[])
    except Exception:
        path.unlink(missing_ok=True)
        raise
