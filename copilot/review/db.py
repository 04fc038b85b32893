"""The relational store: one SQLAlchemy declarative ``Base`` for every table, SQLite or PostgreSQL by URL.

Any package may declare tables on ``Base`` (the review queue and audit log here, webhook events in
validate); ``Database.create_all`` creates whatever has been imported. SQLite is the laptop default
(a file in data_dir); PostgreSQL is the shared-server shape, optionally inside its own schema (the
tests use a throwaway schema per run so parallel runs never see each other's rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from copilot.errors import ConfigurationError, UpstreamError

if TYPE_CHECKING:
    from copilot.settings import Settings

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class Base(DeclarativeBase):
    """The one declarative base of the product; import your models before ``create_all``."""


class Database:
    """An engine plus a session factory. ``session()`` is one transaction: commit on success."""

    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ConfigurationError(f"database_url is not a SQLAlchemy URL: {exc}") from None
        self.url = url
        self.dialect = parsed.get_backend_name()
        self.schema = schema
        connect_args: dict[str, Any] = {}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            # Requests run in a thread pool; SQLite's own locking serializes writers (wait up to 30 s).
            connect_args = {"check_same_thread": False, "timeout": 30}
        elif schema:
            if not _SCHEMA_NAME.match(schema):
                raise ConfigurationError(f"database_schema {schema!r} is not a plain identifier")
            connect_args = {"options": f"-csearch_path={schema}"}
        try:
            self.engine: Engine = create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args)
        except Exception as exc:  # a missing driver, a bad option: say which URL
            raise ConfigurationError(f"cannot use database {parsed.render_as_string()}: {exc}") from exc
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: "Settings") -> "Database":
        return cls(settings.db_url, schema=settings.database_schema)

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def create_all(self) -> None:
        """Create every table declared on ``Base`` that does not exist yet (idempotent)."""
        # Importing the models registers their tables (and their triggers) on Base.metadata.
        import copilot.review.models  # noqa: F401

        try:
            with self.engine.begin() as conn:
                if self.is_postgres and self.schema:
                    conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
                Base.metadata.create_all(conn)
        except OperationalError as exc:
            reason = " ".join(str(exc.orig).split())  # the driver's message spans lines; errors are one line
            raise UpstreamError(f"database unreachable ({make_url(self.url).render_as_string()}): {reason}") from None

    def drop_schema(self) -> None:
        """PostgreSQL only: drop this database's schema and everything in it (test clean-up)."""
        if self.is_postgres and self.schema:
            with self.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        with self.sessions.begin() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets auditors read while a reviewer writes; foreign keys are off by default in SQLite.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
