"""A served GL Copilot for the browser tests and the screenshots: a company ingested and trained, one
API key per role, the real app under uvicorn on 127.0.0.1 and a free port, in a background thread.

    python -m tests.browser.world     # serves the tiny acme company and prints the URLs and keys
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copilot.review.access import KeyStore
from copilot.settings import Settings

USERS = {  # name -> (user id, role, entities)
    "preparer_us": ("pat", "preparer", "US"),
    "approver": ("amy", "approver", "*"),
    "auditor": ("avery", "auditor", "*"),
    "auditor_us": ("ari", "auditor", "US"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class World:
    base_url: str
    keys: dict[str, str]
    settings: Settings
    context: Any
    service: Any
    _stop: Callable[[], None] = field(repr=False, default=lambda: None)

    def url(self, path: str) -> str:
        return self.base_url + path

    def stop(self) -> None:
        self._stop()


def acme_settings(data: Path, **extra: Any) -> Settings:
    """Settings for a throwaway world in ``data``: in-memory vectors, hashing embedder, SQLite."""
    values: dict[str, Any] = {"vector_backend": "memory", "embedding_backend": "hashing", "default_company": "acme",
                              "database_url": f"sqlite:///{data / 'copilot.db'}", **extra}
    return Settings(data_dir=data, **values)


def build_acme(settings: Settings, n_postings: int = 400) -> tuple[Any, Any, Any]:
    """The tiny two-entity company of tests/support/acme.py: written, ingested, trained.
    Returns (SuggestionService, embedder, store)."""
    from copilot.engine.service import SuggestionService
    from copilot.engine.training import train_from_company_dir
    from copilot.formats.company_dir import write_company_dir
    from copilot.index.embeddings import HashingEmbedder
    from copilot.index.ingest import Ingestor
    from copilot.index.qdrant_client_store import QdrantClientStore
    from tests.support.acme import make_company, make_postings

    company, postings = make_company(), make_postings(n_postings)
    write_company_dir(settings.data_dir / "companies" / "acme", company, postings)
    embedder, store = HashingEmbedder(), QdrantClientStore(location=":memory:")
    Ingestor(store, embedder, progress=False).ingest_company("acme", company, postings, None)
    train_from_company_dir(settings, "acme", embedder=embedder, quiet=True)
    return SuggestionService(settings, embedder=embedder, store=store), embedder, store


def serve(settings: Settings, service: Any, *, embedder: Any = None, store: Any = None, clock: Any = None,
          users: dict[str, tuple[str, str, str]] = USERS, port: int | None = None) -> World:
    """The app over ``settings`` with ``service``, learning wired, one key per user, under uvicorn."""
    import uvicorn

    from copilot.api.app import create_app
    from copilot.engine.learning import build_learner
    from copilot.review.context import ReviewContext

    extra = {"clock": clock} if clock else {}
    ctx = ReviewContext.from_settings(settings, on_learn=build_learner(settings, service=service),
                                      embedder=embedder, store=store, **extra)
    store_keys = KeyStore(settings.api_keys_path)
    keys = {name: store_keys.create(user, role, ents)[0] for name, (user, role, ents) in users.items()}
    app = create_app(settings)
    app.state.suggestions = service
    app.state.review_context = ctx
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                                           access_log=False))
    thread = threading.Thread(target=server.run, name="copilot-ui-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the test server did not start on port {port}")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        ctx.db.dispose()

    return World(f"http://127.0.0.1:{port}", keys, settings, ctx, service, stop)


def main() -> None:  # pragma: no cover - a developer's helper
    import tempfile

    for k, v in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("LITELLM_LOCAL_MODEL_COST_MAP", "True")):
        os.environ.setdefault(k, v)
    data = Path(tempfile.mkdtemp(prefix="copilot-ui-"))
    settings = acme_settings(data)
    service, embedder, store = build_acme(settings)
    world = serve(settings, service, embedder=embedder, store=store, port=int(os.environ.get("PORT", "0")) or None)
    print(f"serving {world.base_url}/ui/sidebar  (data {data})")
    for user, key in world.keys.items():
        print(f"  {user:12} {key}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        world.stop()


if __name__ == "__main__":
    main()
