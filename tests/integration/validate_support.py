"""A company on disk (the validation test company), an app on a temporary data dir, and API keys."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from copilot.api.app import create_app
from copilot.formats.company_dir import write_company_dir
from copilot.review.access import KeyStore
from copilot.settings import ROOT, Settings
from copilot.validate.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.unit.validate.conftest import build_company, build_history

SECRET = "test-webhook-secret"


def make_data_dir(root: Path) -> Path:
    write_company_dir(root / "companies" / "acme", build_company(), build_history())
    return root


def make_settings(data_dir: Path, db_url: str | None = None, **kw) -> Settings:
    base = dict(data_dir=data_dir, database_url=db_url or f"sqlite:///{data_dir / 'copilot.db'}",
                webhook_secret=SECRET, default_company="acme", policies_dir=ROOT / "policies",
                api_keys_file=data_dir / "api_keys.yaml")
    return Settings(**{**base, **kw})


@dataclass
class Keys:
    admin: str
    us_preparer: str
    uk_auditor: str


def make_keys(settings: Settings) -> Keys:
    store = KeyStore(settings.api_keys_path)
    return Keys(admin=store.create("ada", "admin", "*")[0],
                us_preparer=store.create("pete", "preparer", "US01")[0],
                uk_auditor=store.create("uma", "auditor", "UK01")[0])


def client(settings: Settings, **state) -> TestClient:
    app = create_app(settings)
    app.state.key_store = KeyStore(settings.api_keys_path)
    for k, v in state.items():
        setattr(app.state, k, v)
    return TestClient(app)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def signed(body: dict | bytes, *, secret: str = SECRET, stamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = str(stamp if stamp is not None else int(time.time()))
    return raw, {"Content-Type": "application/json", TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(secret, ts, raw)}


PG_URL = __import__("os").environ.get("COPILOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_url_or_skip() -> tuple[str, str]:
    """(url, fresh schema) on the local PostgreSQL, or skip the test saying why."""
    import uuid

    import pytest
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure: this machine cannot run it
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {exc.__class__.__name__}")
    return PG_URL, f"copilot_test_{uuid.uuid4().hex[:12]}"
