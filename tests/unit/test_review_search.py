"""Auditor search: meaning first, exact filters inside the vector query, every hit cites its records."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

import pytest

from copilot.domain import DimensionCombination
from copilot.errors import InputError, PermissionDenied
from copilot.index.embeddings import HashingEmbedder
from copilot.index.qdrant_client_store import QdrantClientStore
from copilot.review.audit import AuditFilter, AuditLog
from copilot.review.queue import ReviewService
from copilot.review.search import COLLECTION, AuditSearch, range_tokens, value_tokens
from tests.review_support import (ADMIN, APPROVER_US, AUDITOR_ALL, AUDITOR_US, PREPARER_US,  # noqa: F401
                                  make_suggestion, module_database)


@pytest.mark.parametrize("levels, trials", [(3, 300), (4, 40)])
def test_range_tokens_cover_exactly_the_range(levels, trials):
    rng = random.Random(5)
    top = 10 ** levels - 1
    carried = [set(value_tokens("x", v, levels)) for v in range(top + 1)]
    for _ in range(trials):
        lo, hi = sorted(rng.randint(0, top) for _ in range(2))
        cover = set(range_tokens("x", lo, hi, levels))
        inside = {v for v in range(top + 1) if not cover.isdisjoint(carried[v])}
        assert inside == set(range(lo, hi + 1)), (lo, hi)
        assert len(cover) <= 19 * levels


def test_range_tokens_stay_small_for_real_ranges():
    assert len(range_tokens("d", date(2024, 1, 17).toordinal(), date(2025, 6, 3).toordinal(), 7)) < 60
    assert len(range_tokens("a", 0, 10 ** 15 - 1, 15)) == 10  # open-ended amount range: the top level


@pytest.fixture(scope="module")
def world(module_database):
    """Decided items in two entities, indexed as the ReviewService decides them (built once per backend)."""
    database = module_database
    audit = AuditLog(database)
    search = AuditSearch(database, audit, embedder=HashingEmbedder(dim=256), store=QdrantClientStore(location=":memory:"))
    svc = ReviewService(database, audit, on_decided=search.index_item, clock=lambda: datetime(2025, 4, 2, 10))
    ids = {}

    def decide(name, entity, vendor, memo, amount, when, action, **kw):
        item = svc.submit(make_suggestion(entity, vendor=vendor, memo=memo, amount=amount, when=when,
                                          narrative=kw.pop("narrative", None)), ADMIN)
        ids[name] = item.id
        if action == "approve":
            svc.approve(item.id, APPROVER_US if entity == "US" else ADMIN)
        elif action == "edit":
            svc.edit(item.id, ADMIN, DimensionCombination(account_no=kw["account"], dims={"department": "IT"}),
                     reason=kw["reason"])
        elif action == "reject":
            svc.reject(item.id, ADMIN, reason=kw["reason"])

    decide("flight", "US", "Delta Air Lines", "Flight to Chicago for the sales kickoff", "412.30",
           date(2025, 3, 14), "approve", narrative="Airfare for the sales team travelling to the kickoff meeting")
    decide("laptop", "US", "Dell", "Laptops for new engineers", "12999.00", date(2025, 3, 20), "edit",
           account="1500", reason="Laptops over the capitalization threshold are fixed assets")
    decide("gift", "US", "Amazon", "Gift cards for clients", "800.00", date(2025, 2, 2), "reject",
           reason="Gifts need a policy exception")
    decide("uk_flight", "UK", "British Airways", "Flight to Chicago for the sales kickoff", "350.00",
           date(2025, 3, 15), "approve")
    svc.submit(make_suggestion("US", memo="still pending flight"), ADMIN)  # pending: never indexed
    return search, ids, audit


def test_search_finds_by_meaning_and_cites_item_and_audit_record(world):
    search, ids, audit = world
    hits = search.search(AUDITOR_ALL, "capitalization of laptop purchases")
    assert hits[0].review_id == ids["laptop"]
    top = hits[0]
    assert top.decision == "edited" and top.account_no == "1500" and top.final == "1500|department=IT"
    assert top.review_url == f"/v1/reviews/{ids['laptop']}"
    record = audit.records(AuditFilter(review_id=ids["laptop"], action="edit"))[0]
    assert (top.audit_seq, top.audit_hash) == (record.seq, record.hash)
    assert "fixed assets" in top.reason and top.amount == "12999.00" and top.date == "2025-03-20"


def test_pending_items_are_not_searchable(world):
    search, ids, _ = world
    found = {h.review_id for h in search.search(AUDITOR_ALL, "still pending flight", limit=50)}
    assert found == {ids["flight"], ids["laptop"], ids["gift"], ids["uk_flight"]}


def test_entity_scope_is_always_applied(world):
    search, ids, _ = world
    us_hits = search.search(AUDITOR_US, "Flight to Chicago for the sales kickoff", limit=50)
    assert ids["uk_flight"] not in {h.review_id for h in us_hits}
    assert {h.entity for h in us_hits} == {"US"}
    with pytest.raises(PermissionDenied):
        search.search(AUDITOR_US, "flight", entity="UK")
    with pytest.raises(PermissionDenied):
        search.search(PREPARER_US, "flight")


def test_scope_is_inside_the_vector_query_not_after_it(world, monkeypatch):
    search, ids, _ = world
    seen: list[dict] = []
    real = search.store.search

    def spy(name, vector, *, limit, filters=None):
        seen.append(dict(filters or {}))
        return real(name, vector, limit=limit, filters=filters)

    monkeypatch.setattr(search.store, "search", spy)
    hits = search.search(AUDITOR_US, "Flight to Chicago", limit=1)
    assert seen[-1]["entity"] == ["US"]
    assert [h.review_id for h in hits] == [ids["flight"]]  # limit 1 still finds the US one


@pytest.mark.parametrize("filters, expected", [
    ({"decision": "rejected"}, {"gift"}),
    ({"account": "1500"}, {"laptop"}),
    ({"date_from": date(2025, 3, 14), "date_to": date(2025, 3, 15)}, {"flight", "uk_flight"}),
    ({"date_to": date(2025, 3, 1)}, {"gift"}),
    ({"amount_min": Decimal("412.30"), "amount_max": Decimal("800.00")}, {"flight", "gift"}),
    ({"amount_min": Decimal("412.31")}, {"gift", "laptop"}),
    ({"amount_max": Decimal("412.29")}, {"uk_flight"}),
    ({"user": "amy"}, {"flight"}),
    ({"entity": "UK"}, {"uk_flight"}),
])
def test_filters(world, filters, expected):
    search, ids, _ = world
    hits = search.search(AUDITOR_ALL, "expense", limit=50, **filters)
    assert {h.review_id for h in hits} == {ids[n] for n in expected}


def test_bad_queries_are_input_errors(world):
    search, _, _ = world
    with pytest.raises(InputError):
        search.search(AUDITOR_ALL, "   ")
    with pytest.raises(InputError):
        search.search(AUDITOR_ALL, "x", decision="maybe")
    with pytest.raises(InputError):
        search.search(AUDITOR_ALL, "x", amount_min=Decimal("5"), amount_max=Decimal("1"))


def test_reindex_rebuilds_the_collection_from_the_database(world):
    search, ids, _ = world
    search.store.drop_collection(COLLECTION)
    search._ready = False
    assert search.search(AUDITOR_ALL, "laptop") == []
    assert search.reindex() == 4
    assert search.search(AUDITOR_ALL, "laptop capitalization")[0].review_id == ids["laptop"]
