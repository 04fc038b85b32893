"""CSV text from user files: UTF-8 (with or without Excel's byte-order mark) or BOM-marked UTF-16.

A file saved in another encoding (Excel's "CSV (Comma delimited)" on Windows writes cp1252) is refused
with the line and column of the first byte that is not UTF-8, not guessed at: a guessed encoding would
put wrong vendor names and memos into the books without anyone noticing. Lines are decoded one at a
time, so a 100 MB import streams in constant memory and the error names the exact line.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

from copilot.errors import ParseError

HINT = "save it as 'CSV UTF-8' and try again"


class CsvText:
    """An iterator of text lines for ``csv.reader`` over a binary stream; a context manager."""

    def __init__(self, stream: BinaryIO, source: str | None) -> None:
        self.source = source
        self._stream = stream
        head = stream.read(4)
        self._lines: Iterator[str]
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            # Rare (Excel's "Unicode text"); decoded as a whole stream, so an error cannot name its line.
            stream.seek(0)
            text = io.TextIOWrapper(stream, encoding="utf-16", newline="")
            self._lines = self._utf16(text)
        else:
            skip = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
            stream.seek(skip)
            self._lines = self._utf8(stream)

    def _utf8(self, stream: BinaryIO) -> Iterator[str]:
        number = 0
        for raw in stream:
            # bytes.splitlines splits at \r\n, \n and a lone \r (old Mac files) and keeps the ending,
            # as csv's newline="" reading expects.
            for part in raw.splitlines(keepends=True):
                number += 1
                try:
                    yield part.decode("utf-8")
                except UnicodeDecodeError as exc:
                    col = len(part[:exc.start].decode("utf-8", "replace")) + 1
                    raise ParseError(f"not UTF-8 text: byte 0x{part[exc.start]:02X} at column {col}; {HINT}",
                                     line=number, source=self.source) from None

    def _utf16(self, text: IO[str]) -> Iterator[str]:
        try:
            yield from text
        except UnicodeDecodeError:
            raise ParseError(f"not valid UTF-16 text; {HINT}", source=self.source) from None

    def __iter__(self) -> Iterator[str]:
        return self._lines

    def __next__(self) -> str:
        return next(self._lines)

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> "CsvText":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_csv_text(path: str | Path, source: str | None = None) -> CsvText:
    """``path`` as CSV text lines (OSError as usual: callers word it for their file)."""
    return CsvText(open(path, "rb"), source or Path(path).name)


def csv_text_from_bytes(data: bytes, source: str | None = None) -> CsvText:
    """An uploaded body as CSV text lines (ParseError names the line of a byte that is not UTF-8)."""
    return CsvText(io.BytesIO(data), source)
