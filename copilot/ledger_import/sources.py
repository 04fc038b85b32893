"""Opening a ledger file: a plain CSV, a CSV inside a .zip, or a gzipped CSV, read in place.

Nothing is extracted to disk: a zip member is decompressed as it is read, so a large export imports
in constant memory and the data never has to be copied into the working tree.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from copilot.errors import InputError, NotFound


@dataclass
class OpenedLedger:
    stream: BinaryIO
    name: str  # what error messages call the file (the member name for a zip)
    size: int | None  # bytes to read, when known (for the progress bar)
    position: Callable[[], int]  # bytes read so far


@contextmanager
def open_ledger(path: Path | str, member: str | None = None) -> Iterator[OpenedLedger]:
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            info = _pick_member(archive, path, member)
            with archive.open(info) as stream:
                yield OpenedLedger(stream, f"{path.name}:{info.filename}", info.file_size, stream.tell)
        return
    raw = open(path, "rb")
    try:
        if raw.read(2) == b"\x1f\x8b":
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw) as stream:
                # Progress follows the compressed bytes: the uncompressed size is not known up front.
                yield OpenedLedger(stream, path.name, path.stat().st_size, raw.tell)
        else:
            raw.seek(0)
            yield OpenedLedger(raw, path.name, path.stat().st_size, raw.tell)
    finally:
        raw.close()


def _pick_member(archive: zipfile.ZipFile, path: Path, member: str | None) -> zipfile.ZipInfo:
    files = [i for i in archive.infolist()
             if not i.is_dir() and not i.filename.startswith("__MACOSX/")
             and not Path(i.filename).name.startswith(".")]
    if member is not None:
        for info in files:
            if info.filename == member or Path(info.filename).name == member:
                return info
        raise NotFound(f"{path}: no member {member!r} (it holds: {', '.join(i.filename for i in files)})")
    tables = [i for i in files if i.filename.lower().endswith((".csv", ".txt", ".tsv"))] or files
    if len(tables) == 1:
        return tables[0]
    if not tables:
        raise InputError(f"{path}: the zip file is empty")
    raise InputError(f"{path}: the zip holds {len(tables)} files; name one with --member "
                     f"({', '.join(i.filename for i in tables[:10])})")


def text_stream(opened: OpenedLedger, encoding: str) -> io.TextIOWrapper:
    """Decode as the mapping says. Undecodable bytes survive as lone surrogates (surrogateescape)
    so the reader can reject exactly the rows that hold them, naming the line and column."""
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # Excel writes a byte-order mark; it must not end up in the first header
    return io.TextIOWrapper(opened.stream, encoding=encoding, errors="surrogateescape", newline="")
