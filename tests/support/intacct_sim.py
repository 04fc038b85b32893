"""State and fault injection shared by the XML and REST halves of the Intacct test server.

``IntacctSimulator.handle(method, path, headers, body)`` is transport-free; tests/intacct_server.py
serves it over real HTTP on 127.0.0.1. Faults are queued with ``inject`` and consumed one per request
(optionally only by one API), so a test says exactly what the next N requests experience.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from tests.support.intacct_data import seed_company


@dataclass(frozen=True)
class SimCredentials:
    sender_id: str = "sim-sender"
    sender_password: str = "Sender-Pw-7f3c!"
    user_id: str = "sim-user"
    company_id: str = "sim-company"
    user_password: str = "User-Pw-91ab!"
    client_id: str = "sim-client-id.app.sage.com"
    client_secret: str = "Client-Secret-55e2!"


@dataclass
class Fault:
    kind: str  # http429 | gw0010 | 5xx | 5xx_after | malformed | slow | pass (no fault)
    api: str | None = None  # xml | rest | None (any)
    seconds: float = 0.0


@dataclass
class Call:
    api: str
    method: str
    path: str
    status: int = 200
    functions: list[str] = field(default_factory=list)
    control_id: str = ""
    function_control_ids: list[str] = field(default_factory=list)
    auth: str = ""
    fault: str | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class ValidationFailure(Exception):
    """A business-rule failure while creating/updating a GLBATCH: (description2, correction) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(p for p, _ in problems))
        self.problems = problems


DIM_FIELDS = {  # GLENTRY create (and read) spelling -> (object, id field)
    "DEPARTMENT": ("DEPARTMENT", "DEPARTMENTID"), "DEPARTMENTID": ("DEPARTMENT", "DEPARTMENTID"),
    "LOCATION": ("LOCATION", "LOCATIONID"), "LOCATIONID": ("LOCATION", "LOCATIONID"),
    "PROJECTID": ("PROJECT", "PROJECTID"), "CLASSID": ("CLASS", "CLASSID"),
    "VENDORID": ("VENDOR", "VENDORID"), "CUSTOMERID": ("CUSTOMER", "CUSTOMERID"),
    "EMPLOYEEID": ("EMPLOYEE", "EMPLOYEEID"),
}
REQUIRE_FLAGS = {"REQUIREDEPT": ("DEPARTMENT", "DEPARTMENTID"), "REQUIRELOC": ("LOCATION", "LOCATIONID"),
                 "REQUIREPROJECT": ("PROJECTID",)}


class IntacctSimulator:
    def __init__(self, data: dict[str, list[dict[str, str]]] | None = None,
                 creds: SimCredentials | None = None, *, gldetail: int = 120):
        self.creds = creds or SimCredentials()
        self.objects = data if data is not None else seed_company(gldetail)
        self.lock = threading.RLock()
        self.base_url = "http://127.0.0.1:0"
        self.faults: deque[Fault] = deque()
        self.calls: list[Call] = []
        self.sessions: dict[str, str] = {}  # session id -> entity ("" = top level)
        self.result_sets: dict[str, tuple[str, list[dict[str, str]], list[str], int, int]] = {}
        self.used_control_ids: set[str] = set()
        self.batches: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, float] = {}  # REST access token -> expiry (monotonic)
        self.refresh_tokens: set[str] = set()
        self.token_ttl_s = 3600.0
        self._next_batch = 501
        # Modes: whole-server conditions rather than one-off faults.
        self.company_expired = False  # control failure PL04000055 for every request
        self.sender_not_authorized = False  # authentication failure naming the sender and company ids
        self.reject_sessions = False  # every session id is refused (a session that expires at once)
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests ever handled at once (concurrency limit checks)
        self.delay_s = 0.0  # added to every request

    # ---- test controls -------------------------------------------------------------------------
    def inject(self, kind: str, times: int = 1, *, api: str | None = None, seconds: float = 0.0,
               skip: int = 0) -> None:
        """Queue ``times`` faults of ``kind``, after letting ``skip`` requests through untouched."""
        with self.lock:
            self.faults.extend(Fault("pass", api) for _ in range(skip))
            self.faults.extend(Fault(kind, api, seconds) for _ in range(times))

    def expire_sessions(self) -> None:
        with self.lock:
            self.sessions.clear()
            self.tokens.clear()

    def expire_result_sets(self) -> None:
        with self.lock:
            self.result_sets.clear()

    def calls_for(self, api: str) -> list[Call]:
        return [c for c in self.calls if c.api == api]

    def function_calls(self, name: str) -> list[Call]:
        return [c for c in self.calls if name in c.functions]

    @property
    def session_endpoint(self) -> str:
        # A different path from the login endpoint, so tests can see the client switched over
        # (Intacct returns e.g. https://na12.intacct.com/ia/xml/xmlgw.phtml).
        return f"{self.base_url}/na12/ia/xml/xmlgw.phtml"

    def add_gldetail(self, rows: list[dict[str, str]]) -> None:
        with self.lock:
            self.objects["GLDETAIL"].extend(rows)

    # ---- dispatch ------------------------------------------------------------------------------
    def take_fault(self, api: str) -> Fault | None:
        with self.lock:
            if self.faults and self.faults[0].api in (None, api):
                fault = self.faults.popleft()
                return None if fault.kind == "pass" else fault
        return None

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        from tests.support import intacct_sim_rest, intacct_sim_xml

        route = path.split("?", 1)[0]
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            if route.endswith("/ia/xml/xmlgw.phtml") and method == "POST":
                return intacct_sim_xml.handle(self, route, body)
            if route.startswith("/ia/api/v1/"):
                return intacct_sim_rest.handle(self, method, path, headers, body)
            return 404, {"Content-Type": "text/plain"}, b"not found"
        finally:
            with self.lock:
                self.in_flight -= 1

    # ---- shared business rules -----------------------------------------------------------------
    def rows_for(self, obj: str) -> list[dict[str, str]] | None:
        if obj == "GLBATCH":
            return [{k: v for k, v in b.items() if k != "ENTRIES"} for b in self.batches.values()]
        return self.objects.get(obj)

    def _find(self, obj: str, id_field: str, code: str) -> dict[str, str] | None:
        return next((r for r in self.objects.get(obj, []) if r.get(id_field) == code), None)

    def validate_batch(self, header: dict[str, str], entries: list[dict[str, str]]) -> list[dict[str, str]]:
        """Apply Intacct's create rules (FORMATS.md 2.4); return normalized entries or raise."""
        problems: list[tuple[str, str]] = []
        for req in ("JOURNAL", "BATCH_DATE", "BATCH_TITLE"):
            if not header.get(req):
                problems.append((f"Required field {req} is missing.", f"Provide a value for {req}."))
        if header.get("BATCH_DATE") and not _is_date(header["BATCH_DATE"]):
            problems.append((f"Invalid date {header['BATCH_DATE']} for BATCH_DATE.", "Use the format mm/dd/yyyy."))
        if header.get("STATE", "Posted") not in ("Draft", "Posted"):
            problems.append((f"Invalid STATE {header['STATE']}.", "Use Draft or Posted."))
        if len(entries) < 2:
            problems.append(("Journal Entry must have at least 2 lines.", ""))
        total = Decimal("0")
        clean: list[dict[str, str]] = []
        for n, line in enumerate(entries, start=1):
            acct = self._find("GLACCOUNT", "ACCOUNTNO", line.get("ACCOUNTNO", ""))
            if acct is None or acct.get("STATUS") != "active":
                problems.append((f"Invalid account number '{line.get('ACCOUNTNO', '')}' on line {n}.",
                                 "Enter an active GL account."))
            raw_amount = line.get("TRX_AMOUNT") or line.get("AMOUNT") or ""
            try:
                amount = Decimal(raw_amount)
                if amount < 0:
                    raise InvalidOperation
            except InvalidOperation:
                problems.append((f"Invalid amount '{raw_amount}' on line {n}.", "Enter a positive amount."))
                amount = Decimal("0")
            tr = line.get("TR_TYPE", "")
            if tr not in ("1", "-1"):
                problems.append((f"Invalid TR_TYPE '{tr}' on line {n}.", "Use 1 (debit) or -1 (credit)."))
            else:
                total += amount * int(tr)
            for fld, (obj, id_field) in DIM_FIELDS.items():
                code = line.get(fld)
                if code and self._find(obj, id_field, code) is None:
                    problems.append((f"Invalid {obj.title()} '{code}' specified on line {n}.", ""))
            for flag, flds in REQUIRE_FLAGS.items():
                if acct and acct.get(flag) == "true" and not any(line.get(f) for f in flds):
                    problems.append((f"Account {acct['ACCOUNTNO']} requires a {flds[0].title()} on line {n}.", ""))
            clean.append(dict(line))
        if total != 0:
            problems.append(("Transactions do not balance.", "Debits must equal credits."))
        if problems:
            raise ValidationFailure(problems)
        return clean

    def store_batch(self, header: dict[str, str], entries: list[dict[str, str]], record_no: str | None = None) -> str:
        with self.lock:
            if record_no is None:
                record_no = str(self._next_batch)
                self._next_batch += 1
            self.batches[record_no] = {**header, "RECORDNO": record_no, "STATE": header.get("STATE") or "Posted",
                                       "ENTRIES": entries}
            return record_no

    def new_id(self) -> str:
        return uuid.uuid4().hex


def _is_date(value: str) -> bool:
    try:
        time.strptime(value, "%m/%d/%Y")
        return True
    except ValueError:
        return False
