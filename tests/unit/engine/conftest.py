"""Fixtures over the small synthetic company in tests/support/acme.py."""

import pytest

from copilot.engine.model import build_company_model
from copilot.index.embeddings import HashingEmbedder
from tests.support.acme import make_company, make_postings


@pytest.fixture(scope="session")
def embedder():
    return HashingEmbedder(dim=256)


@pytest.fixture(scope="session")
def company():
    return make_company()


@pytest.fixture(scope="session")
def postings():
    return make_postings()


@pytest.fixture(scope="session")
def model(company, postings, embedder):
    return build_company_model("acme", company, postings, embedder.embed)
