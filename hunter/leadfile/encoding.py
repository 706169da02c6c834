"""Turning a byte stream into text lines, one line at a time.

Choice of encoding, in order:

1. a byte-order mark: UTF-8 (``utf-8-sig``), UTF-16 LE or BE;
2. the first 64 KiB: strict UTF-8 if they decode as UTF-8 (a character cut at the end of the sample
   is fine), else Windows-1254. ISO-8859-9 (Latin-5) equals Windows-1254 except in 0x80–0x9F, where
   Latin-5 has control characters no text uses, so Windows-1254 reads both;
3. a sample that is pure ASCII proves nothing: the first line with a non-ASCII byte decides (UTF-8
   if it decodes as UTF-8, else Windows-1254). The lines before it are ASCII, the same in both.

Once UTF-8 is chosen, a later line that is not UTF-8 raises :class:`InputError` naming the line:
the file mixes encodings and guessing would corrupt names silently.
"""

from __future__ import annotations

import codecs
import io
import itertools
from collections.abc import Iterator
from typing import IO, Any, BinaryIO, TextIO

from hunter.errors import InputError

SAMPLE_BYTES = 64 * 1024
MAX_LINE_BYTES = 1024 * 1024
FALLBACK = "cp1254"
_ASCII = "ascii"  # not decided yet


def decode_lines(stream: IO[Any], *, source: str, max_bytes: int | None = None) -> Iterator[str]:
    """Lines of ``stream`` (binary, or text already decoded), line ends kept, as csv expects."""
    binary = getattr(stream, "buffer", None)
    if binary is not None:
        return _binary_lines(binary, source=source, max_bytes=max_bytes)
    if isinstance(stream.read(0), str):
        return _text_lines(stream, source=source, max_bytes=max_bytes)
    return _binary_lines(stream, source=source, max_bytes=max_bytes)


def sniff(sample: bytes, *, complete: bool) -> str:
    """The codec for a leading sample: ``utf-8-sig``, ``utf-16``, ``utf-8``, ``cp1254`` or ``ascii``.

    ``ascii`` means "no evidence yet". ``complete`` says the sample is the whole input, so a
    character cut at its end is an error rather than the sample boundary.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if sample.isascii():
        return _ASCII
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        return FALLBACK
    return "utf-8"


def _binary_lines(stream: BinaryIO, *, source: str, max_bytes: int | None) -> Iterator[str]:
    head = _read_up_to(stream, SAMPLE_BYTES)
    codec = sniff(head, complete=len(head) < SAMPLE_BYTES)
    if codec != "utf-16" and b"\x00" in head:
        raise InputError("contains NUL bytes: a binary file, or UTF-16 text without a byte-order "
                         "mark; save it as 'CSV UTF-8' or plain text", source=source)
    buffered = io.BufferedReader(_Replay(head, stream, source=source, max_bytes=max_bytes))
    if codec == "utf-16":
        return _utf16_lines(buffered, source=source)
    if codec == "utf-8-sig":
        buffered.read(len(codecs.BOM_UTF8))
        codec = "utf-8"
    return _decoded(buffered, _LineDecoder(codec, source))


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    while size > 0 and (part := stream.read(size)):
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _decoded(buffered: io.BufferedReader, decoder: _LineDecoder) -> Iterator[str]:
    for number in itertools.count(1):
        line = buffered.readline(MAX_LINE_BYTES)
        if not line:
            return
        if len(line) >= MAX_LINE_BYTES and not line.endswith(b"\n"):
            raise InputError("line longer than 1 MiB: is this really a text file?",
                             source=decoder.source, row=number)
        yield decoder.decode(line, number)


def _utf16_lines(buffered: io.BufferedReader, *, source: str) -> Iterator[str]:
    text = io.TextIOWrapper(buffered, encoding="utf-16", newline="")
    number = 0
    try:
        while line := text.readline(MAX_LINE_BYTES // 2):
            number += 1
            yield line
    except UnicodeDecodeError:
        raise InputError("not valid UTF-16 text", source=source, row=number + 1) from None


def _text_lines(stream: TextIO, *, source: str, max_bytes: int | None) -> Iterator[str]:
    seen = 0
    for number in itertools.count(1):
        line = stream.readline(MAX_LINE_BYTES)
        if not line:
            return
        seen += len(line.encode("utf-8", "surrogatepass"))
        if max_bytes is not None and seen > max_bytes:
            raise _too_big(max_bytes, source)
        yield line.removeprefix("\ufeff") if number == 1 else line


def _too_big(max_bytes: int, source: str) -> InputError:
    return InputError(f"input is larger than the limit of {max_bytes} bytes (max_bytes)",
                      source=source)


class _LineDecoder:
    """Decodes line by line; settles an undecided (ASCII so far) input at its first non-ASCII line."""

    def __init__(self, codec: str, source: str) -> None:
        self.codec, self.source = codec, source

    def decode(self, line: bytes, number: int) -> str:
        if self.codec == _ASCII:
            if line.isascii():
                return line.decode("ascii")
            self.codec = "utf-8" if _is_utf8(line) else FALLBACK
        try:
            return line.decode(self.codec)
        except UnicodeDecodeError as error:
            raise InputError(self._why(line[error.start]), source=self.source, row=number) from None

    def _why(self, byte: int) -> str:
        if self.codec == FALLBACK:
            return f"byte 0x{byte:02X} is neither UTF-8 nor Turkish (Windows-1254/ISO-8859-9) text"
        return (f"byte 0x{byte:02X} is not UTF-8 although the lines before it are: the file mixes "
                "encodings; save it again as 'CSV UTF-8'")


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _Replay(io.RawIOBase):
    """Serves the sniffed head again, then the rest of the stream; counts bytes against max_bytes."""

    def __init__(self, head: bytes, rest: BinaryIO, *, source: str, max_bytes: int | None) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._read = getattr(rest, "read1", rest.read)
        self._source, self._max, self._seen = source, max_bytes, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
        else:
            data = self._read(len(buffer))
            count = len(data)
            buffer[:count] = data
        self._seen += count
        if self._max is not None and self._seen > self._max:
            raise _too_big(self._max, self._source)
        return count
