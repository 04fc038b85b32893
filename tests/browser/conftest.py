"""Browser tests: Debian's chromium, driven by Playwright (no downloaded browsers), against the real
app served by uvicorn on 127.0.0.1 with the tiny acme company ingested and trained.

Chromium comes from `make browser-deps` (apt-get install chromium). Without it the tests skip with the
reason, except when CI is set: there they must run, so a missing browser fails them.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.world import World, acme_settings, build_acme, serve

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_path() -> str | None:
    path = os.environ.get("COPILOT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).is_file() and os.access(path, os.X_OK) else None


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def browser() -> Iterator["object"]:
    path = chromium_path()
    if path is None:
        reason = "chromium is not installed (run `make browser-deps`: apt-get install -y chromium)"
        if in_ci():
            pytest.fail(f"{reason}; CI is set, so the browser tests must run")
        pytest.skip(reason)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # a broken install, not a missing browser: never skipped
        pytest.fail("the playwright package is missing: pip install -e '.[test]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, timeout=30_000)
        yield b
        b.close()


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("ui-world")
    settings = acme_settings(data)
    service, embedder, store = build_acme(settings)
    w = serve(settings, service, embedder=embedder, store=store)
    yield w
    w.stop()
    store.close()


def expect(*args, **kwargs):
    """playwright's expect, imported late so that a missing package fails in the fixture, not at collection.
    Waits run in Playwright's injected script: the pages' CSP forbids eval, so no wait_for_function."""
    from playwright.sync_api import expect as _expect

    return _expect(*args, **kwargs)


def open_page(browser, world: World, path: str, *, key: str | None = None, approver: str | None = None,
              width: int = 400, height: int = 900):
    """A fresh browser context (its own sessionStorage) on ``path``; with ``key`` already signed in."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    script = ""
    if key:
        script += f"sessionStorage.setItem('glcopilot.apiKey', {json.dumps(key)});"
    if approver:
        script += f"sessionStorage.setItem('glcopilot.approverKey', {json.dumps(approver)});"
    if script:
        context.add_init_script(script)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    page.goto(world.url(path))
    return page
