"""The output of an import in progress and its checkpoint, both committed once per chunk.

Rows go to ``<out>.partial``; after each chunk the file is flushed and fsynced, then
``<out>.checkpoint.json`` is replaced atomically (write a temp file, fsync, rename) with the last
committed input line, the partial file's committed size and the counters so far. A crash at any
moment leaves a checkpoint that describes a prefix of the partial file: resuming truncates the partial
file to that size (dropping rows of the chunk that was being written) and skips input lines up to the
committed one. When the last chunk is committed the partial file is renamed to ``<out>``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from copilot.errors import Conflict, ParseError

VERSION = 1


def checkpoint_path(out: Path) -> Path:
    return out.with_name(out.name + ".checkpoint.json")


def partial_path(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


@dataclass
class Checkpoint:
    batch_id: str
    company: str
    kind: str
    input: str
    input_size: int
    line: int = 1                 # last committed input line (1 = only the header)
    output_bytes: int = 0         # committed size of the partial output
    fingerprint: str = ""         # sha256 of the records up to ``line``
    done: bool = False
    counters: dict[str, Any] = field(default_factory=dict)
    version: int = VERSION

    def save(self, out: Path) -> None:
        path = checkpoint_path(out)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(asdict(self), fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)

    @classmethod
    def load(cls, out: Path) -> "Checkpoint | None":
        path = checkpoint_path(out)
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                raise ValueError(f"version {data.get('version')}")
            return cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise ParseError(f"unreadable checkpoint ({exc}); delete it or rerun with --restart",
                             source=str(path)) from None


class PartialOutput:
    """An append-only text file whose committed prefix survives crashes."""

    def __init__(self, out: Path, committed: int) -> None:
        self.path = partial_path(out)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if committed and not self.path.exists():
            raise Conflict(f"the checkpoint says {committed} bytes were written but {self.path} is gone; "
                           "rerun with --restart")
        mode = "r+b" if self.path.exists() else "w+b"
        self._fh = open(self.path, mode)
        size = self._fh.seek(0, os.SEEK_END)
        if size < committed:
            self._fh.close()
            raise Conflict(f"{self.path} is shorter ({size} bytes) than its checkpoint ({committed}); "
                           "rerun with --restart")
        self._fh.truncate(committed)  # rows of the chunk that was being written when it stopped
        self._fh.seek(committed)

    def write(self, text: str) -> None:
        self._fh.write(text.encode("utf-8"))

    def commit(self) -> int:
        """Flush to disk; returns the committed size."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return self._fh.tell()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def finish(self, out: Path) -> None:
        self.commit()
        self.close()
        os.replace(self.path, out)
        _fsync_dir(out.parent)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
