"""Write a reviewed journal entry back to Intacct: as a Draft for a person to post (the default for AI
proposals), or Posted when a human approved it and the caller says so.

The entry is checked here first (two lines at least, balanced, positive amounts) so an obviously
broken entry never costs an API transaction; Intacct's own business rules are then reported as
IntacctBusinessError, never retried.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from copilot.connector.base import LedgerConnector
from copilot.domain.entries import JournalEntry
from copilot.errors import InputError, ParseError
from copilot.settings import Settings


@dataclass(frozen=True)
class WriteBackResult:
    key: str  # RECORDNO (XML) / key (REST)
    state: str  # Draft | Posted
    api: str
    created: bool  # False: an existing entry was updated


def make_connector(settings: Settings, api: str | None = None, **kw) -> LedgerConnector:
    """The connector for ``api`` (default settings.intacct_api), credentials from settings/env."""
    api = (api or settings.intacct_api).lower()
    if api == "xml":
        from copilot.connector.client import XmlConnector

        return XmlConnector.from_settings(settings, **kw)
    if api == "rest":
        from copilot.connector.rest import RestConnector

        return RestConnector.from_settings(settings, **kw)
    raise InputError(f"unknown Intacct API {api!r}: use xml or rest", field="api")


def entry_reader(settings: Settings) -> Callable[[str], JournalEntry] | None:
    """``record_no -> JournalEntry`` read from Intacct, or None when no credentials are configured.

    What the webhook processor calls for a key-only Smart Event. The connector is built on first use
    (one per process; calls are serialized: a session is not shared between concurrent requests, and
    key-only events are few). A login happens only when an event needs it.
    """
    from copilot.errors import ConfigurationError

    try:
        make_connector(settings).close()  # credentials complete? (builds no session)
    except ConfigurationError:
        return None
    lock, held = threading.Lock(), []

    def read(record_no: str) -> JournalEntry:
        with lock:
            if not held:
                held.append(make_connector(settings))
            return held[0].get_journal_entry(record_no)  # type: ignore[attr-defined]

    return read


def check_entry(entry: JournalEntry) -> None:
    if len(entry.lines) < 2:
        raise InputError("a journal entry needs at least 2 lines", field="lines")
    if not entry.is_balanced:
        raise InputError(f"the entry does not balance: debits {entry.debits} vs credits {entry.credits}",
                         field="lines")


def write_back(connector: LedgerConnector, entry: JournalEntry, *, draft: bool = True,
               record_no: str | None = None) -> WriteBackResult:
    """Create the entry (or update ``record_no`` / ``entry.record_no`` when given)."""
    check_entry(entry)
    key = record_no or entry.record_no
    state = "Draft" if draft else "Posted"
    if key:
        new_key = connector.update_journal_entry(str(key), entry, draft=draft)  # type: ignore[call-arg]
        return WriteBackResult(new_key, state, connector.api, created=False)
    return WriteBackResult(connector.create_journal_entry(entry, draft=draft), state, connector.api, created=True)


def load_entries(path: Path) -> list[JournalEntry]:
    """Journal entries from a file: our JSON (JournalEntry), Intacct JSON/REST JSON, GLBATCH XML or CSV."""
    if not path.is_file():
        raise InputError(f"no such file: {path}", field="file")
    text = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".xml" or text.lstrip().startswith(b"<"):
        from copilot.formats.intacct_xml import parse_glbatch_xml

        return parse_glbatch_xml(text, source=str(path))
    if suffix == ".csv":
        from copilot.formats.journal_csv import read_journal_csv

        return read_journal_csv(str(path))
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"not JSON, XML or CSV: {exc}", source=str(path)) from None
    items = data if isinstance(data, list) else [data]
    if items and all(isinstance(i, dict) and "batch_date" in i and "journal" in i for i in items):
        from pydantic import ValidationError

        try:
            return [JournalEntry.model_validate(i) for i in items]
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ParseError(first["msg"], field=".".join(str(p) for p in first["loc"]), source=str(path)) from None
    from copilot.formats.intacct_json import parse_journal_json

    return parse_journal_json(data)
