"""The review queue: submit, approve / edit / reject once, learn from approvals and corrections.

Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest

from copilot.domain import DimensionCombination
from copilot.errors import Conflict, InputError, NotFound, PermissionDenied
from copilot.review.audit import AuditFilter
from copilot.review.models import LearnedCoding, Status
from copilot.review.queue import Decision, ListFilter, ReviewService, coding_diff
from copilot.validate.coding import coding_problems
from tests.review_support import (ADMIN, APPROVER_UK, APPROVER_US, AUDITOR_ALL, PREPARER_UK, PREPARER_US,  # noqa: F401
                                  backend, database, fresh_database, make_suggestion, review_company)

NOW = datetime(2025, 3, 20, 15, 0)


@pytest.fixture
def learned() -> list[LearnedCoding]:
    return []


@pytest.fixture
def service(database, learned) -> ReviewService:
    return ReviewService(database, on_learn=learned.append, clock=lambda: NOW)


def test_submit_stores_the_suggestion_pending_and_audits_it(service):
    item = service.submit(make_suggestion(), PREPARER_US)
    assert item.status is Status.pending and item.entity == "US" and item.submitted_by == "pat"
    assert item.request.amount == Decimal("412.30") and item.request.vendor == "Delta Air Lines"
    assert [c.confidence for c in item.suggestion.codings] == [0.82, 0.11, 0.04]
    [record] = service.audit.records(AuditFilter())
    assert record.seq == item.submit_audit_seq and record.action == "submit" and record.review_id == item.id
    assert record.user_id == "pat" and record.role == "preparer" and record.entity == "US"
    extra = record.model_dump()
    assert [c["key"] for c in extra["suggested"]] == [
        "6400|department=SALES|location=NYC", "6410|department=SALES|location=NYC", "6400|department=MKT|location=NYC"]
    assert extra["suggested"][0]["confidence"] == 0.82
    assert extra["prompt_version"] == "reasoning-v1" and extra["prompt_hash"] == "sha256:abc123"
    assert "posting:GL-6400-1" in extra["evidence_ids"]
    assert extra["request"]["memo"] == "Flight JFK-ORD sales kickoff"


def test_approve_takes_the_chosen_coding_and_calls_the_learning_hook(service, learned):
    item = service.submit(make_suggestion(), PREPARER_US, company="acme")
    done = service.approve(item.id, APPROVER_US)
    assert done.status is Status.approved and done.final.key == "6400|department=SALES|location=NYC"
    assert done.changed == [] and done.coding_index == 0 and done.decided_by == "amy"
    [hook] = learned
    assert hook.review_id == item.id and hook.action == "approve" and hook.entity == "US" and hook.company == "acme"
    assert hook.final == done.final and hook.suggested == done.final and hook.changed == []
    assert (hook.vendor, hook.memo, hook.amount, hook.entry_date) == (
        "Delta Air Lines", "Flight JFK-ORD sales kickoff", Decimal("412.30"), date(2025, 3, 14))
    assert hook.audit_seq == done.decision_audit_seq == 2


def test_approving_the_second_coding_records_what_differs_from_the_top(service, learned):
    item = service.submit(make_suggestion(), PREPARER_US)
    done = service.approve(item.id, APPROVER_US, coding_index=1)
    assert done.final.account_no == "6410" and done.changed == ["account"]
    [record] = service.audit.records(AuditFilter(action="approve"))
    assert record.model_dump()["diff"] == {"account": {"from": "6400", "to": "6410"}}
    assert learned[0].final.account_no == "6410"


def test_edit_records_the_human_coding_its_diff_and_the_reason(service, learned):
    item = service.submit(make_suggestion(), PREPARER_US)
    final = DimensionCombination(account_no="6450", dims={"department": "MKT", "location": "NYC"})
    done = service.edit(item.id, APPROVER_US, final, reason="Conference travel is marketing")
    assert done.status is Status.edited and done.final == final
    assert done.changed == ["account", "department"] and done.reason == "Conference travel is marketing"
    record = service.audit.records(AuditFilter(action="edit"))[0].model_dump()
    assert record["final"]["key"] == "6450|department=MKT|location=NYC"
    assert record["diff"] == {"account": {"from": "6400", "to": "6450"},
                              "department": {"from": "SALES", "to": "MKT"}}
    assert record["reason"] == "Conference travel is marketing" and record["suggested_at"].endswith("Z")
    [hook] = learned
    assert hook.action == "edit" and hook.final == final and hook.changed == ["account", "department"]
    assert hook.suggested.key == "6400|department=SALES|location=NYC" and hook.decided_by == "amy"


def test_reject_learns_nothing(service, learned):
    item = service.submit(make_suggestion(), PREPARER_US)
    done = service.reject(item.id, APPROVER_US, reason="Personal expense, not reimbursable")
    assert done.status is Status.rejected and done.final is None and learned == []


def test_an_item_is_decided_once(service):
    item = service.submit(make_suggestion(), PREPARER_US)
    service.approve(item.id, APPROVER_US)
    with pytest.raises(Conflict, match="already approved"):
        service.reject(item.id, APPROVER_US, reason="second thoughts")
    with pytest.raises(Conflict):
        service.approve(item.id, ADMIN)
    assert service.audit.count(AuditFilter()) == 2  # submit + one decision


def test_racing_reviewers_produce_one_decision(service):
    item = service.submit(make_suggestion(), PREPARER_US)
    outcomes: list[str] = []

    def decide(i: int) -> None:
        try:
            service.approve(item.id, APPROVER_US, coding_index=i % 3)
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["won"]
    assert service.audit.count(AuditFilter(action="approve")) == 1 and service.audit.verify().ok


def test_bad_decisions_are_input_errors(service):
    item = service.submit(make_suggestion(), PREPARER_US)
    with pytest.raises(InputError, match="coding_index 3 is out of range"):
        service.approve(item.id, APPROVER_US, coding_index=3)
    with pytest.raises(InputError, match="reason"):
        service.reject(item.id, APPROVER_US, reason="  ")
    with pytest.raises(NotFound):
        service.approve(9999, APPROVER_US)
    empty = service.submit(make_suggestion(codings=[]), PREPARER_US)
    with pytest.raises(InputError):
        service.approve(empty.id, APPROVER_US)
    done = service.edit(empty.id, APPROVER_US, DimensionCombination(account_no="6400"), reason="engine had nothing")
    assert done.changed == ["account"]


def test_roles_and_entities_are_enforced_by_the_service_too(service):
    us = service.submit(make_suggestion("US"), PREPARER_US)
    with pytest.raises(PermissionDenied):
        service.submit(make_suggestion("UK"), PREPARER_US)
    with pytest.raises(PermissionDenied):
        service.submit(make_suggestion("US"), APPROVER_US)
    with pytest.raises(PermissionDenied):
        service.approve(us.id, PREPARER_US)
    with pytest.raises(PermissionDenied):
        service.approve(us.id, AUDITOR_ALL)
    with pytest.raises(NotFound):  # another entity's item does not exist for this approver
        service.approve(us.id, APPROVER_UK)
    with pytest.raises(NotFound):
        service.get(us.id, PREPARER_UK)


def test_list_is_scoped_filtered_and_in_queue_order(service):
    ids = [service.submit(make_suggestion(e), ADMIN).id for e in ("US", "UK", "US", "UK")]
    service.approve(ids[0], ADMIN)
    items, total = service.list_items(PREPARER_US, ListFilter())
    assert [i.id for i in items] == [ids[0], ids[2]] and total == 2
    items, total = service.list_items(APPROVER_US, ListFilter(status=Status.pending))
    assert [i.id for i in items] == [ids[2]]
    items, total = service.list_items(ADMIN, ListFilter(entity="UK", limit=1))
    assert [i.id for i in items] == [ids[1]] and total == 2
    with pytest.raises(PermissionDenied):
        service.list_items(PREPARER_US, ListFilter(entity="UK"))


def test_bulk_decides_each_item_on_its_own(service, learned):
    a, b, c = (service.submit(make_suggestion(), PREPARER_US).id for _ in range(3))
    service.reject(c, APPROVER_US, reason="duplicate")
    results = service.bulk([
        Decision(id=a, action="approve"),
        Decision(id=b, action="edit", final=DimensionCombination(account_no="6500", dims={"department": "OPS"}),
                 reason="ops trip"),
        Decision(id=c, action="approve"),
        Decision(id=424242, action="reject", reason="x"),
    ], APPROVER_US)
    assert [r.ok for r in results] == [True, True, False, False]
    assert results[2].error["status"] == 409 and results[3].error["status"] == 404
    assert [x.review_id for x in learned] == [a, b]
    assert service.audit.verify().ok


def test_a_bulk_submission_writes_the_chain_one_submit_per_item_would(backend, tmp_path, service):
    memos = [f"Flight {i} sales kickoff" for i in range(6)]
    service.submit(make_suggestion(memo=memos[0]), ADMIN)  # the bulk chain continues an existing one
    items = service.submit_many([make_suggestion(e, memo=m) for e, m in zip("US UK US UK US".split(), memos[1:])],
                                ADMIN, company="acme")
    assert [i.id for i in items] == [2, 3, 4, 5, 6] and [i.submit_audit_seq for i in items] == [2, 3, 4, 5, 6]
    assert [i.entity for i in items] == ["US", "UK", "US", "UK", "US"] and [i.request.memo for i in items] == memos[1:]
    assert all(service.get(i.id, ADMIN) == i for i in items)  # what is returned is what is stored
    bulk = service.audit.records(AuditFilter(), limit=None)
    assert [r.review_id for r in bulk] == [1, 2, 3, 4, 5, 6] and service.audit.verify().ok
    with fresh_database(backend, tmp_path / "one-by-one") as db:
        one = ReviewService(db, clock=lambda: NOW)
        one.submit(make_suggestion(memo=memos[0]), ADMIN)
        for e, m in zip("US UK US UK US".split(), memos[1:]):
            one.submit(make_suggestion(e, memo=m), ADMIN, company="acme")
        singles = one.audit.records(AuditFilter(), limit=None)
    assert [r.model_dump() for r in bulk] == [r.model_dump() for r in singles]


def test_submit_ids_stores_what_submit_many_stores(backend, tmp_path, service):
    suggestions = [make_suggestion(e, memo=f"Taxi {i}") for i, e in enumerate(["US", "UK", "US"])]
    seen: list[list[int]] = []
    ids = service.submit_ids(suggestions, ADMIN, company="acme", in_transaction=lambda s, got: seen.append(list(got)))
    assert ids == [1, 2, 3] and seen == [ids]
    with fresh_database(backend, tmp_path / "items") as db:
        other = ReviewService(db, clock=lambda: NOW)
        items = other.submit_many(suggestions, ADMIN, company="acme")
        assert [service.get(i, ADMIN) for i in ids] == [other.get(i.id, ADMIN) for i in items] == items
        assert ([r.model_dump() for r in service.audit.records(AuditFilter(), limit=None)]
                == [r.model_dump() for r in other.audit.records(AuditFilter(), limit=None)])


def test_a_failing_in_transaction_hook_leaves_no_item_and_no_record(service):
    service.submit(make_suggestion(), PREPARER_US)

    def failing(session, items) -> None:
        raise RuntimeError("link table is gone")

    with pytest.raises(RuntimeError):
        service.submit_many([make_suggestion(), make_suggestion()], PREPARER_US, in_transaction=failing)
    assert service.list_items(ADMIN, ListFilter())[1] == 1
    assert service.audit.verify().ok and service.audit.verify().records == 1
    assert service.submit(make_suggestion(), PREPARER_US).submit_audit_seq == 2


def test_a_failing_learning_hook_does_not_undo_the_decision(database, caplog):
    def broken(_: LearnedCoding) -> None:
        raise RuntimeError("index is down")

    svc = ReviewService(database, on_learn=broken, clock=lambda: NOW)
    item = svc.submit(make_suggestion(), PREPARER_US)
    assert svc.approve(item.id, APPROVER_US).status is Status.approved
    assert svc.hook_failures == 1
    assert f"review item {item.id} is decided, but on_learn failed: RuntimeError: index is down" in caplog.text
    assert "Traceback" not in caplog.text
    assert svc.get(item.id, APPROVER_US).status is Status.approved


def test_coding_diff_names_account_and_dimensions():
    a = DimensionCombination(account_no="6400", dims={"department": "SALES", "location": "NYC"})
    b = DimensionCombination(account_no="6400", dims={"department": "SALES", "project": "P1"})
    assert coding_diff(a, b) == {"location": {"from": "NYC", "to": None}, "project": {"from": None, "to": "P1"}}
    assert coding_diff(None, a)["account"] == {"from": None, "to": "6400"}
    assert coding_diff(a, a) == {}


# --- an edit is checked against master data before it is recorded ---------------------------------

@pytest.fixture
def checked(database, learned) -> ReviewService:
    """The service with the master-data check the app wires in, over review_company()'s master data."""
    company = review_company()
    return ReviewService(database, on_learn=learned.append, clock=lambda: NOW,
                         coding_check=lambda _name, request, final: coding_problems(company, request, final))


BAD_EDITS = {  # what the reviewer typed (entity US) -> the fields and rules refused
    "inactive account": (DimensionCombination(account_no="6900", dims={"department": "SALES", "location": "NYC"}),
                         [("final.account_no", "code.inactive_account")]),
    "unknown account": (DimensionCombination(account_no="6999", dims={"department": "SALES"}),
                        [("final.account_no", "code.unknown_account")]),
    "unknown dimension value": (DimensionCombination(account_no="6450", dims={"department": "MARKETING"}),
                                [("final.dims.department", "code.unknown_dimension")]),
    "inactive dimension value": (DimensionCombination(account_no="6450", dims={"department": "OLD"}),
                                 [("final.dims.department", "code.inactive_dimension")]),
    "dimension of another entity": (DimensionCombination(account_no="6400", dims={"department": "FIN",
                                                                                 "location": "LDN"}),
                                    [("final.dims.location", "code.wrong_entity"),
                                     ("final.dims.department", "code.wrong_entity")]),
    "missing required dimension": (DimensionCombination(account_no="6400", dims={"department": "MKT"}),
                                   [("final.dims.location", "dimension.required_missing")]),
    "dimension the company does not have": (DimensionCombination(account_no="6450", dims={"department": "MKT",
                                                                                         "colour": "red"}),
                                            [("final.dims.colour", "code.unknown_dimension")]),
}


@pytest.mark.parametrize("case", list(BAD_EDITS))
def test_an_invalid_edit_is_refused_and_nothing_is_recorded_or_learned(checked, learned, case):
    final, expected = BAD_EDITS[case]
    item = checked.submit(make_suggestion(), PREPARER_US)
    with pytest.raises(InputError) as refused:
        checked.edit(item.id, APPROVER_US, final, reason="reviewer's correction")
    problem = refused.value.to_problem()
    assert problem["status"] == 422 and problem["field"] == "final"
    assert sorted((p["field"], p["rule"]) for p in problem["problems"]) == sorted(expected)
    assert all(p["message"] in problem["detail"] for p in problem["problems"])
    assert "\n" not in problem["detail"]  # the CLI prints it as one line
    assert checked.get(item.id, APPROVER_US).status is Status.pending
    assert [r.action for r in checked.audit.records(AuditFilter())] == ["submit"] and learned == []
    # The same item can still be decided, with a valid coding.
    ok = DimensionCombination(account_no="6450", dims={"department": "MKT"})
    assert checked.edit(item.id, APPROVER_US, ok, reason="marketing event").status is Status.edited
    assert [x.final for x in learned] == [ok] and checked.audit.verify().ok


def test_a_valid_edit_is_recorded_and_learned(checked, learned):
    item = checked.submit(make_suggestion(), PREPARER_US)
    final = DimensionCombination(account_no="6450", dims={"department": "MKT", "location": "NYC"})
    done = checked.edit(item.id, APPROVER_US, final, reason="Conference travel is marketing")
    assert done.status is Status.edited and done.final == final
    assert [x.final for x in learned] == [final]


def test_a_counterparty_the_preparer_typed_satisfies_the_account(checked, learned):
    needs_employee = DimensionCombination(account_no="6700", dims={"department": "SALES"})
    item = checked.submit(make_suggestion(), PREPARER_US)
    with pytest.raises(InputError, match="requires employee"):
        checked.edit(item.id, APPROVER_US, needs_employee, reason="a reimbursement")
    typed = make_suggestion()
    typed = typed.model_copy(update={"request": typed.request.model_copy(update={"employee": "E1"})})
    item = checked.submit(typed, PREPARER_US)
    assert checked.edit(item.id, APPROVER_US, needs_employee, reason="a reimbursement").status is Status.edited
    bad_employee = DimensionCombination(account_no="6700", dims={"department": "SALES", "employee": "E404"})
    item = checked.submit(typed, PREPARER_US)
    with pytest.raises(InputError, match="employee E404 does not exist"):
        checked.edit(item.id, APPROVER_US, bad_employee, reason="a reimbursement")


def test_the_check_answers_for_the_items_own_entity(checked):
    uk_only = DimensionCombination(account_no="6400", dims={"department": "FIN", "location": "LDN"})
    uk = checked.submit(make_suggestion("UK"), PREPARER_UK)
    assert checked.edit(uk.id, APPROVER_UK, uk_only, reason="finance trip").status is Status.edited
    us = checked.submit(make_suggestion("US"), PREPARER_US)
    with pytest.raises(InputError, match="not valid in entity US"):
        checked.edit(us.id, APPROVER_US, uk_only, reason="finance trip")


def test_bulk_refuses_an_invalid_edit_alone_and_a_decided_item_stays_a_conflict(checked, learned):
    a, b = (checked.submit(make_suggestion(), PREPARER_US).id for _ in range(2))
    checked.approve(b, APPROVER_US)
    bad = DimensionCombination(account_no="6900")
    results = checked.bulk([Decision(id=a, action="edit", final=bad, reason="old chart"),
                            Decision(id=b, action="edit", final=bad, reason="old chart")], APPROVER_US)
    assert [r.ok for r in results] == [False, False]
    assert results[0].error["status"] == 422 and results[0].error["problems"][0]["field"] == "final.account_no"
    assert results[1].error["status"] == 409
    assert [x.review_id for x in learned] == [b]
