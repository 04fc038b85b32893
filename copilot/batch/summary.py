"""What an import did: counts over the whole file (across resumed runs) and this run's speed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Summary:
    batch_id: str
    company: str
    kind: str
    input: str
    output: str
    total: int                                   # data lines in the file
    resumed_from: int = 0                        # lines already done by earlier runs
    counters: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    lines_this_run: int = 0
    info_findings: dict[str, int] = field(default_factory=dict)
    batch_notes: list[str] = field(default_factory=list)
    status: str = "running"

    @classmethod
    def start(cls, ckpt, input_path: str, output_path: str, total: int) -> "Summary":
        counters = {"lines": 0, "auto": 0, "review": 0, "error": 0, "entries": 0, "kept_rows": 0,
                    "errors": {}, "review_reasons": {}, "filled": {}, "review_items": 0}
        counters.update(ckpt.counters or {})
        return cls(batch_id=ckpt.batch_id, company=ckpt.company, kind=ckpt.kind, input=input_path,
                   output=output_path, total=total, resumed_from=int(counters["lines"]), counters=counters)

    def add(self, outcomes, records) -> None:
        c = self.counters
        errors, reasons, filled = Counter(c["errors"]), Counter(c["review_reasons"]), Counter(c["filled"])
        for o in outcomes:
            c["lines"] += 1
            c[o.status] += 1
            c["entries"] += o.line.starts_entry
            if o.error_kind:
                errors[o.error_kind] += 1
            for kind, _ in o.reasons:
                reasons[kind] += 1
            filled.update(o.filled)
            c["review_items"] += o.review_id is not None
        c["kept_rows"] += sum(1 for r, _ in records if r.kind in ("comment", "description"))
        c["errors"], c["review_reasons"], c["filled"] = dict(errors), dict(reasons), dict(filled)
        self.lines_this_run += len(outcomes)

    def add_findings(self, info: Counter, notes: list[str]) -> None:
        """Info findings and notes about whole chunks (this run's; they are not checkpointed)."""
        self.info_findings = dict(Counter(self.info_findings) + info)
        self.batch_notes.extend(notes)

    def finish(self, seconds: float) -> None:
        self.seconds = seconds
        self.status = "done"

    @property
    def lines_per_s(self) -> float:
        return self.lines_this_run / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "company": self.company, "kind": self.kind, "status": self.status,
                "input": self.input, "output": self.output, "lines": self.counters["lines"], "total": self.total,
                "auto_coded": self.counters["auto"], "sent_to_review": self.counters["review"],
                "errors": self.counters["error"], "errors_by_kind": self.counters["errors"],
                "review_reasons": self.counters["review_reasons"], "filled": self.counters["filled"],
                "entries": self.counters["entries"], "kept_rows": self.counters["kept_rows"],
                "review_items": self.counters["review_items"], "resumed_from": self.resumed_from,
                "lines_this_run": self.lines_this_run, "seconds": round(self.seconds, 2),
                "lines_per_s": round(self.lines_per_s, 1), "info_findings": self.info_findings,
                "batch_notes": self.batch_notes}

    def render(self) -> str:
        d = self.to_dict()
        parts = [f"batch {d['batch_id']} ({d['kind']}, company {d['company']}): {d['lines']:,} lines, "
                 f"{d['auto_coded']:,} auto-coded, {d['sent_to_review']:,} sent to review, {d['errors']:,} errors",
                 f"output: {d['output']}"]
        if d["resumed_from"]:
            parts.append(f"resumed after {d['resumed_from']:,} lines done earlier")
        parts.append(f"this run: {d['lines_this_run']:,} lines in {d['seconds']:.1f} s "
                     f"({d['lines_per_s']:,.0f} lines/s)")
        if d["errors_by_kind"]:
            parts.append("errors by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(d["errors_by_kind"].items())))
        if d["review_reasons"]:
            top = sorted(d["review_reasons"].items(), key=lambda kv: -kv[1])
            parts.append("review reasons: " + ", ".join(f"{k} {v}" for k, v in top[:8]))
        if d["batch_notes"]:
            parts.append("batch findings: " + "; ".join(d["batch_notes"][:3]))
        return "\n".join(parts)
