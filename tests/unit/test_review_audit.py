"""The audit trail is a hash chain: every edit, deletion, reordering or insertion is caught, by seq.

Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from copilot.review.audit import AuditFilter, AuditLog, canonical_json, sha256_hex
from copilot.review.models import GENESIS_HASH
from tests.review_support import ADMIN, APPROVER_US, backend, database, tamper  # noqa: F401

T0 = datetime(2025, 3, 1, 9, 30)


def append_n(db, log: AuditLog, n: int, *, entity: str = "US", start: datetime = T0) -> None:
    for i in range(n):
        with db.session() as s:
            log.append(s, action="approve", principal=APPROVER_US, entity=entity, review_id=i + 1,
                       content={"reason": f"ok {i}", "final": {"key": "6400|department=SALES"}},
                       at=start + timedelta(hours=i))


def test_an_untouched_chain_verifies(database):
    log = AuditLog(database)
    assert log.verify().ok and log.verify().records == 0
    append_n(database, log, 5)
    result = log.verify()
    assert result.ok, result
    assert result.records == 5 and result.head_seq == 5
    recs = log.records(AuditFilter())
    assert [r.seq for r in recs] == [1, 2, 3, 4, 5]
    assert recs[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(recs, recs[1:]))
    assert result.head_hash == recs[-1].hash


def test_each_hash_is_sha256_of_the_stored_canonical_body(database):
    log = AuditLog(database)
    append_n(database, log, 2)
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT seq, body, hash FROM audit_records ORDER BY seq")).all()
    for seq, body, digest in rows:
        doc = json.loads(body)
        assert body == canonical_json(doc)
        assert digest == sha256_hex(body)
        assert doc["seq"] == seq and doc["user_id"] == "amy" and doc["role"] == "approver"
        assert doc["created_at"].endswith("Z")


def test_the_database_refuses_updates_and_deletes(database):
    log = AuditLog(database)
    append_n(database, log, 2)
    for sql in ("UPDATE audit_records SET entity = 'UK' WHERE seq = 1", "DELETE FROM audit_records WHERE seq = 2"):
        with pytest.raises(DBAPIError, match="append-only"):
            with database.engine.begin() as conn:
                conn.execute(text(sql))
    assert log.verify().ok


@pytest.mark.parametrize("attack, bad_seq, words", [
    ("UPDATE audit_records SET body = replace(body, 'ok 2', 'ok 9') WHERE seq = 3", 3, "modified"),
    ("UPDATE audit_records SET entity = 'UK' WHERE seq = 2", 2, "column entity"),
    ("UPDATE audit_records SET user_id = 'mallory' WHERE seq = 4", 4, "column user_id"),
    ("DELETE FROM audit_records WHERE seq = 3", 3, "missing"),
    ("DELETE FROM audit_records WHERE seq = 5", 5, "missing"),  # the newest: only the head knows
    ("DELETE FROM audit_records", 1, "missing"),
])
def test_tampering_is_detected_and_names_the_first_bad_record(database, attack, bad_seq, words):
    log = AuditLog(database)
    append_n(database, log, 5)
    tamper(database, attack)
    result = log.verify()
    assert not result.ok
    assert result.first_bad_seq == bad_seq, result
    assert words in result.reason
    assert f"seq {bad_seq}" in result.message()


def test_a_rehashed_edit_still_breaks_the_link_to_the_next_record(database):
    """Editing a record and recomputing its own hash is caught by the following record's prev_hash."""
    log = AuditLog(database)
    append_n(database, log, 3)
    with database.engine.connect() as conn:
        body = conn.execute(text("SELECT body FROM audit_records WHERE seq = 2")).scalar_one()
    forged = body.replace("ok 1", "forged")
    tamper(database, "UPDATE audit_records SET body = :b, hash = :h WHERE seq = 2", b=forged, h=sha256_hex(forged))
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3 and "does not link" in result.reason


def test_swapping_two_records_is_detected(database):
    log = AuditLog(database)
    append_n(database, log, 3)
    tamper(database, "UPDATE audit_records SET seq = seq + 100 WHERE seq IN (2, 3)")
    tamper(database, "UPDATE audit_records SET seq = 3 WHERE seq = 102")
    tamper(database, "UPDATE audit_records SET seq = 2 WHERE seq = 103")
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 2


def test_a_record_inserted_behind_the_logs_back_is_detected(database):
    log = AuditLog(database)
    append_n(database, log, 2)
    with database.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM audit_records WHERE seq = 2")).mappings().one()
    tamper(database, "INSERT INTO audit_records (seq, prev_hash, hash, body, created_at, action, user_id, role, "
                     "entity, review_id) VALUES (3, :p, :h, :b, :c, 'approve', 'x', 'admin', 'US', 1)",
           p=row["hash"], h="f" * 64, b="{}", c=row["created_at"])
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3 and "outside the audit log" in result.reason


def test_concurrent_writers_never_fork_the_chain(database):
    log = AuditLog(database)
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(8):
                with database.session() as s:
                    log.append(s, action="submit", principal=ADMIN, entity="US", review_id=k * 100 + i,
                               content={"n": i}, at=T0)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    result = log.verify()
    assert result.ok and result.records == 32, result
    assert sorted(r.review_id for r in log.records(AuditFilter(), limit=None)) == sorted(
        k * 100 + i for k in range(4) for i in range(8))


def test_a_failed_transaction_leaves_no_record(database):
    log = AuditLog(database)
    with pytest.raises(RuntimeError):
        with database.session() as s:
            log.append(s, action="submit", principal=ADMIN, entity="US", review_id=1, content={}, at=T0)
            raise RuntimeError("the decision failed after its audit record was written")
    assert log.verify().ok and log.verify().records == 0
    append_n(database, log, 1)
    assert log.records(AuditFilter())[0].seq == 1


def test_filters_and_exports(database):
    log = AuditLog(database)
    append_n(database, log, 3, entity="US")  # 2025-03-01 09:30, 10:30, 11:30
    append_n(database, log, 2, entity="UK", start=datetime(2025, 3, 3, 8))
    assert [r.entity for r in log.records(AuditFilter(entities=["UK"]))] == ["UK", "UK"]
    assert log.count(AuditFilter(date_from=date(2025, 3, 2))) == 2
    assert log.count(AuditFilter(date_to=date(2025, 3, 1))) == 3
    assert log.count(AuditFilter(entities=["US"], date_from=date(2025, 3, 3))) == 0

    rows = list(csv.DictReader(io.StringIO("".join(log.export(AuditFilter(entities=["UK"]), "csv")))))
    assert [r["seq"] for r in rows] == ["4", "5"] and {r["entity"] for r in rows} == {"UK"}
    assert rows[0]["final"] == "6400|department=SALES" and rows[0]["user_id"] == "amy"
    assert len(rows[0]["hash"]) == 64

    doc = json.loads("".join(log.export(AuditFilter(entity="US"), "json")))
    assert [r["seq"] for r in doc["records"]] == [1, 2, 3]
    # An exported record re-hashes to its hash: auditors can check the chain offline.
    for rec in doc["records"]:
        digest = rec.pop("hash")
        assert sha256_hex(canonical_json(rec)) == digest


def test_export_pages_through_large_logs(database):
    log = AuditLog(database)
    append_n(database, log, 7)
    assert [r.seq for r in log.iter_records(AuditFilter(), batch=3)] == list(range(1, 8))
