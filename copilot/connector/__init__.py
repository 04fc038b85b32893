"""Sage Intacct connector: Web Services XML and REST clients behind one LedgerConnector interface,
incremental checkpointed sync into a company directory, and write-back of Draft entries.

    from copilot.connector import make_connector, sync_company, write_back
    connector = make_connector(settings)            # settings.intacct_api: xml | rest
    sync_company(connector, settings, "acme")        # companies/acme/intacct/... then the index
    write_back(connector, entry)                     # a Draft GLBATCH with the AI's notes in the memo
"""

from copilot.connector.annotate import AiNote, note_from_suggestion, prepare_entry
from copilot.connector.base import SYNC_OBJECTS, LedgerConnector, Page, ReadFilter
from copilot.connector.sync import SyncReport, Syncer, sync_company
from copilot.connector.writeback import WriteBackResult, load_entries, make_connector, write_back

__all__ = [
    "AiNote", "note_from_suggestion", "prepare_entry", "SYNC_OBJECTS", "LedgerConnector", "Page", "ReadFilter",
    "SyncReport", "Syncer", "sync_company", "WriteBackResult", "load_entries", "make_connector", "write_back",
]
