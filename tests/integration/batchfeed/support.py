"""A trained acme company for the batch-import and bank-feed tests (the test_suggest_api.py pattern):
company dir -> Ingestor (edge Qdrant) -> train_from_company_dir -> SuggestionService, hashing embedder.

Acme plus an AP control account (2000) whose history holds the credit side of the bills, so a JE's
typed AP line is what the engine expects. Dates: the history runs through 2024; the files below are
dated January 2025 and validated as of 2025-02-03, before January's close deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from copilot.engine.service import SuggestionService
from copilot.engine.training import train_from_company_dir
from copilot.formats.company_dir import write_company_dir
from copilot.index.embeddings import HashingEmbedder
from copilot.index.ingest import Ingestor
from copilot.index.store import build_vector_store
from copilot.settings import Settings
from copilot.domain import Account, Posting
from tests.support.acme import make_company, make_postings

AS_OF = date(2025, 2, 3)


@dataclass
class World:
    settings: Settings
    service: SuggestionService
    store: object
    embedder: HashingEmbedder


def build_world(data: Path, **settings_extra) -> World:
    settings = Settings(data_dir=data, vector_backend="edge", embedding_backend="hashing",
                        database_url=f"sqlite:///{data / 'copilot.db'}", **settings_extra)
    company, postings = make_company(), make_postings(1200)
    company.accounts["2000"] = Account(account_no="2000", title="Accounts Payable", account_type="balancesheet",
                                       normal_balance="credit")
    postings += [Posting(record_no=f"AP{i}", entity=p.entity, entry_date=p.entry_date, account_no="2000", tr_type=-1,
                         amount=p.amount, memo=f"AP {company.vendors[p.dims['vendor']].name}",
                         dims={"vendor": p.dims["vendor"]})
                 for i, p in enumerate(postings[::3])]
    write_company_dir(data / "companies" / "acme", company, postings)
    embedder, store = HashingEmbedder(), build_vector_store(settings)
    Ingestor(store, embedder, progress=False).ingest_company("acme", company, postings, None)
    train_from_company_dir(settings, "acme", embedder=embedder, quiet=True)
    service = SuggestionService(settings, embedder=embedder, store=store)
    return World(settings, service, store, embedder)


JE_HEADER = "DONOTIMPORT,JOURNAL,DATE,DESCRIPTION,REFERENCE_NO,LINE_NO,ACCT_NO,LOCATION_ID,DEPT_ID,MEMO,DEBIT,CREDIT,VENDOR_ID"
JE_MEMOS = [("V1", "airfare client visit"), ("V2", "printer paper toner"), ("V3", "jira confluence licences"),
            ("V4", "client lunch"), ("V1", "airfare conference engineering"), ("V2", "team lunch catering")]


def je_csv(entries: int, *, comment_every: int = 0, description_row: bool = True) -> str:
    """A JE import file: each entry is 2 expense lines to code (account empty) and an AP credit."""
    rows = [JE_HEADER]
    if description_row:
        rows.append("Do not import,Journal,Date,Description,Reference,Line,Account,Location,Department,Memo,"
                    "Debit,Credit,Vendor")
    for e in range(entries):
        if comment_every and e % comment_every == 0:
            rows.append(f"#,note for entry {e},,,,,,,,,,,")
        v1, m1 = JE_MEMOS[e % len(JE_MEMOS)]
        v2, m2 = JE_MEMOS[(e + 2) % len(JE_MEMOS)]
        a1, a2 = 100 + e % 50, 40 + e % 7
        day = f"01/{(e % 27) + 2:02d}/2025"
        rows.append(f",GJ,{day},bills {e},REF{e},1,,NYC,,{m1} inv {1000 + e},{a1}.00,,{v1}")
        rows.append(f",,,,,2,,NYC,,{m2} inv {2000 + e},{a2}.50,,{v2}")
        rows.append(f",,,,,3,2000,,,AP {e},,{a1 + a2}.50,{v1}")
    return "\n".join(rows) + "\n"


AP_HEADER = "BILL_NO,VENDOR_ID,DATE,DUE_DATE,DESCRIPTION,LINE_NO,ACCT_NO,AMOUNT,MEMO,LOCATION_ID,DEPT_ID,ENTITY"


def ap_csv(bills: int) -> str:
    rows = [AP_HEADER]
    for b in range(bills):
        v, memo = JE_MEMOS[b % len(JE_MEMOS)]
        rows.append(f"B{b},{v},01/{(b % 27) + 2:02d}/2025,02/15/2025,bill {b},1,,{100 + b}.00,{memo},,,US")
        rows.append(f",,,,,2,,{20 + b}.25,{memo} extra,,,")
    return "\n".join(rows) + "\n"
