"""A company's GL history from any CSV ledger export, through a small YAML column mapping.

mapping.py   the mapping file (pydantic), see mappings/*.yaml
csv_ledger.py  the streaming reader: rows -> Postings, master data derived from what the rows use
service.py   file (csv / zip / gz) -> company directory of readByQuery pages
commands.py  ``copilot company import-csv``
"""

from copilot.ledger_import.csv_ledger import LedgerReader
from copilot.ledger_import.mapping import LedgerMapping, load_mapping, parse_mapping
from copilot.ledger_import.report import BadRow, ImportReport
from copilot.ledger_import.service import import_ledger_file, read_ledger_file, write_company

__all__ = ["LedgerReader", "LedgerMapping", "load_mapping", "parse_mapping", "BadRow", "ImportReport",
           "import_ledger_file", "read_ledger_file", "write_company"]
