"""Shared fixtures for the review, audit and access tests: both databases, suggestions, keys, an app.

Import the fixtures you use into the test module (pytest finds imported fixtures by name).
PostgreSQL tests use a fresh schema per test on the local server (COPILOT_TEST_POSTGRES_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/test) and drop it afterwards; they are skipped, saying
why, only when that server cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from copilot.domain import (Account, Company, DimensionCombination, DimensionValue, Employee, Entity, Evidence,
                            Posting, Suggestion, SuggestionRequest)
from copilot.domain.suggestions import RankedCoding
from copilot.review.access import KeyStore, Principal
from copilot.review.db import Database
from copilot.settings import Settings

PG_URL = os.environ.get("COPILOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_error: list[str] = []


def postgres_unreachable() -> str | None:
    """None when the test server answers, else why not (checked once per run)."""
    if not _pg_error:
        try:
            engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_error.append("")
        except Exception as exc:  # any failure means: cannot run these tests here
            _pg_error.append(f"PostgreSQL unreachable at {PG_URL}: {exc.__class__.__name__}: {str(exc)[:200]}")
    return _pg_error[0] or None


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def db_settings(backend: str, tmp_path: Path, **extra: Any) -> Settings:
    """Settings for a throwaway database of the given backend (a file, or a fresh Postgres schema)."""
    if backend == "postgres":
        why = postgres_unreachable()
        if why:
            pytest.skip(why)
        schema = f"copilot_test_{uuid.uuid4().hex[:12]}"
        return Settings(data_dir=tmp_path, database_url=PG_URL, database_schema=schema, **extra)
    return Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'copilot.db'}", **extra)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@contextmanager
def fresh_database(backend: str, tmp_path: Path) -> Iterator[Database]:
    db = Database.from_settings(db_settings(backend, tmp_path))
    db.create_all()
    try:
        yield db
    finally:
        db.drop_schema()
        db.dispose()


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[Database]:
    with fresh_database(backend, tmp_path) as db:
        yield db


@pytest.fixture(scope="module", params=BACKENDS)
def module_database(request, tmp_path_factory) -> Iterator[Database]:
    """One database per backend for a whole module (for read-only tests over a costly setup)."""
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as db:
        yield db


def tamper(db: Database, sql: str, **params: Any) -> None:
    """Change audit rows the way a privileged attacker would: switch off the append-only triggers first."""
    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(text("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only"))
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS audit_records_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_records_no_delete"))
        conn.execute(text(sql), params)


# --- suggestions as the engine returns them -------------------------------------------------------

def ranked(account: str, confidence: float, **dims: str) -> RankedCoding:
    return RankedCoding(combination=DimensionCombination(account_no=account, dims=dims), confidence=confidence,
                        evidence_ids=[f"posting:GL-{account}-1"], reasoning=f"{account}: similar postings")


def make_suggestion(entity: str = "US", *, vendor: str = "Delta Air Lines", memo: str = "Flight JFK-ORD sales kickoff",
                    amount: str = "412.30", when: date = date(2025, 3, 14),
                    codings: list[RankedCoding] | None = None, narrative: str | None = None,
                    reasoning: str = "12 of 14 similar Delta postings were coded to 6400 Travel") -> Suggestion:
    codings = codings if codings is not None else [
        ranked("6400", 0.82, department="SALES", location="NYC"),
        ranked("6410", 0.11, department="SALES", location="NYC"),
        ranked("6400", 0.04, department="MKT", location="NYC"),
    ]
    return Suggestion(
        request=SuggestionRequest(entity=entity, vendor=vendor, memo=memo, amount=Decimal(amount), entry_date=when),
        codings=codings,
        evidence=[Evidence(kind="posting", ref=f"GL-{c.combination.account_no}-1", text="similar") for c in codings],
        reasoning=reasoning, narrative=narrative, model="deterministic", prompt_version="reasoning-v1",
        prompt_hash="sha256:abc123")


# --- the master data those suggestions are coded against ---------------------------------------------

def review_company(name: str = "demo") -> Company:
    """Accounts and dimensions of make_suggestion()'s codings, and the ways an edit can go wrong:
    an inactive account (6900), an inactive department (OLD), a UK-only department (FIN) and location
    (LDN), an account that requires the employee (6700)."""
    def dv(dim: str, code: str, entities: tuple[str, ...] = (), status: str = "active") -> DimensionValue:
        return DimensionValue(dimension=dim, code=code, name=code.title(), entities=entities, status=status)

    def acct(no: str, title: str, req: tuple[str, ...] = (), status: str = "active") -> Account:
        return Account(account_no=no, title=title, required_dimensions=frozenset(req), status=status)

    accounts = [acct("6400", "Travel", ("department", "location")), acct("6410", "Airfare", ("department", "location")),
                acct("6450", "Marketing Events", ("department",)), acct("6500", "Office Supplies", ("department",)),
                acct("6700", "Employee Reimbursements", ("department", "employee")),
                acct("6900", "Travel (old chart)", status="inactive")]
    return Company(
        name=name, entities={"US": Entity(entity_id="US", name="Acme US"),
                             "UK": Entity(entity_id="UK", name="Acme UK", currency="GBP")},
        accounts={a.account_no: a for a in accounts},
        dimensions={"department": {"SALES": dv("department", "SALES"), "MKT": dv("department", "MKT"),
                                   "OPS": dv("department", "OPS"), "FIN": dv("department", "FIN", ("UK",)),
                                   "OLD": dv("department", "OLD", status="inactive")},
                    "location": {"NYC": dv("location", "NYC", ("US",)), "LDN": dv("location", "LDN", ("UK",))}},
        employees={"E1": Employee(employee_id="E1", name="Erin Example", department="SALES")})


def write_review_company(data_dir: Path, name: str = "demo") -> None:
    """review_company() as a company directory under ``data_dir``, with a little history, so the
    review context's default edit check finds it exactly where a real company would be."""
    from copilot.formats.company_dir import write_company_dir

    root = data_dir / "companies" / name
    if root.exists():
        return
    history = [Posting(record_no=f"H{i}", entity="US", entry_date=date(2025, 1, 1 + i), account_no="6400",
                       amount=Decimal("100.00") + i, memo="Flight", dims={"department": "SALES", "location": "NYC"})
               for i in range(5)]
    write_company_dir(root, review_company(name), history)


PREPARER_US = Principal("pat", "preparer", frozenset({"US"}))
PREPARER_UK = Principal("ulla", "preparer", frozenset({"UK"}))
APPROVER_US = Principal("amy", "approver", frozenset({"US"}))
APPROVER_UK = Principal("ugo", "approver", frozenset({"UK"}))
AUDITOR_US = Principal("aud-us", "auditor", frozenset({"US"}))
AUDITOR_ALL = Principal("aud", "auditor", "*")
ADMIN = Principal("root", "admin", "*")


# --- the HTTP app, with one key per role ----------------------------------------------------------

USERS = {  # name -> (role, entities)
    "preparer_us": ("preparer", "US"),
    "preparer_uk": ("preparer", "UK"),
    "approver_us": ("approver", "US"),
    "approver_uk": ("approver", "UK"),
    "auditor_us": ("auditor", "US"),
    "auditor_all": ("auditor", "*"),
    "admin": ("admin", "*"),
}


class Api:
    """A TestClient plus one API key per user in USERS; ``api.as_("approver_us").post(...)``."""

    def __init__(self, client: Any, keys: dict[str, str], context: Any, learned: list) -> None:
        self.client, self.keys, self.context, self.learned = client, keys, context, learned

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[user]}"}

    def as_(self, user: str) -> "_As":
        return _As(self, user)


class _As:
    def __init__(self, api: Api, user: str) -> None:
        self.api, self.user = api, user

    def __getattr__(self, method: str):
        def call(url: str, **kw: Any):
            return getattr(self.api.client, method)(url, headers=self.api.headers(self.user), **kw)
        return call


_key_file: list[tuple[str, dict[str, str]]] = []


def write_keys(path: Path) -> dict[str, str]:
    """A key file with one key per user in USERS (made once per run: creating keys is deliberate work)."""
    if not _key_file:
        first = path.with_name("keys-template.yaml")
        store = KeyStore(first)
        keys = {user: store.create(user, role, entities)[0] for user, (role, entities) in USERS.items()}
        _key_file.append((first.read_text(encoding="utf-8"), keys))
    text, keys = _key_file[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return keys


@contextmanager
def open_api(settings: Settings, *, app_state: dict[str, Any] | None = None, **context: Any) -> Iterator[Api]:
    """The app over ``settings`` with one key per user in USERS; ``context`` goes to ReviewContext
    (default: a learning hook that records what it is given, in ``api.learned``)."""
    from fastapi.testclient import TestClient

    from copilot.api.app import create_app
    from copilot.review.context import ReviewContext

    keys = write_keys(settings.api_keys_path)
    write_review_company(settings.data_dir, settings.default_company)
    learned: list = []
    context.setdefault("on_learn", learned.append)
    ctx = ReviewContext.from_settings(settings, **context)
    app = create_app(settings)
    app.state.review_context = ctx
    for name, value in (app_state or {}).items():
        setattr(app.state, name, value)
    try:
        with TestClient(app) as client:
            yield Api(client, keys, ctx, learned)
    finally:
        ctx.db.drop_schema()
        ctx.close()


@pytest.fixture
def api(backend: str, tmp_path: Path) -> Iterator[Api]:
    with open_api(db_settings(backend, tmp_path, embedding_backend="hashing", vector_backend="memory")) as a:
        yield a


@pytest.fixture(scope="module", params=BACKENDS)
def module_api(request, tmp_path_factory) -> Iterator[Api]:
    """One app per backend for a whole module, for tests that only add independent items."""
    path = tmp_path_factory.mktemp("api")
    with open_api(db_settings(request.param, path, embedding_backend="hashing", vector_backend="memory")) as a:
        yield a
