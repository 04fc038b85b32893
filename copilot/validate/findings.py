"""What validation says about an entry: findings, per-line anomaly scores and one verdict."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Severity = Literal["info", "warning", "error"]
Verdict = Literal["pass", "review", "block"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


class Correction(BaseModel):
    """A suggested fix. Coding corrections carry the engine's ranked account + dimensions."""

    kind: Literal["coding", "amount", "date", "account", "text"]
    description: str
    account_no: str | None = None
    dims: dict[str, str] = Field(default_factory=dict)
    confidence: float | None = None
    evidence_ids: list[str] = Field(default_factory=list)


class Finding(BaseModel):
    """One rule's verdict on one line (``line_index``), one entry (``line_index`` None) or the batch.

    ``evidence`` holds the numbers the rule used (counts, medians, thresholds) so a reviewer can check it.
    """

    rule_id: str
    severity: Severity
    message: str
    entry_index: int | None = None
    line_index: int | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    corrections: list[Correction] = Field(default_factory=list)


class LineScore(BaseModel):
    """Per-line anomaly score: 1 - the smallest p-value among the line's components.

    ``surprise`` is -log10 of that p-value (unbounded, for ranking); ``components`` maps each
    component (``value:vendor``, ``pair:account>department``, ``amount:account``...) to its own score.
    """

    entry_index: int | None = None
    line_index: int | None = None
    score: float
    surprise: float
    top: str = ""
    components: dict[str, float] = Field(default_factory=dict)


class EntryReport(BaseModel):
    index: int
    journal: str
    batch_date: str
    entity: str | None = None
    reference_no: str | None = None
    record_no: str | None = None
    verdict: Verdict
    findings: list[Finding] = Field(default_factory=list)
    line_scores: list[LineScore] = Field(default_factory=list)


class ValidationReport(BaseModel):
    verdict: Verdict
    entries: list[EntryReport] = Field(default_factory=list)
    batch_findings: list[Finding] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)  # severity -> number of findings
    company: str | None = None
    policy_version: str = ""

    @property
    def findings(self) -> list[Finding]:
        return [f for e in self.entries for f in e.findings] + list(self.batch_findings)
