"""One trained acme world for the batch-import and bank-feed tests (built once per test session)."""

import pytest

from tests.integration.batchfeed.support import build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    w = build_world(tmp_path_factory.mktemp("batchfeed") / "data")
    yield w
    w.store.close()
