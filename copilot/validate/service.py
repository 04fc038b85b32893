"""Run the rules over journal entries (or GL detail lines) and decide pass / review / block.

    validator = Validator(policy, calendar, company=company, profile=profile, suggester=engine.suggest)
    report = validator.validate(entries)

The suggester is any callable SuggestionRequest -> Suggestion (copilot.engine provides one); findings
of coding rules get its top-3 as corrections. Without it, findings still carry their evidence.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date
from typing import Callable, Iterable, Iterator

from copilot.domain import Company, JournalEntry, Posting, Suggestion, SuggestionRequest
from copilot.validate.findings import Correction, EntryReport, Finding, LineScore, ValidationReport
from copilot.validate.policy import CloseCalendar, RulesPolicy
from copilot.validate.profile import HistoryProfile
from copilot.validate.rules import (BATCH_RULES, CODING_RULES, ENTRY_RULES, LINE_RULES, LINE_SAFE_ENTRY_RULES,
                                    LineView, RuleContext, SessionIndex, all_rule_ids, entry_lines,
                                    posting_line)
from copilot.validate.scoring import LineScorer

log = logging.getLogger(__name__)

Suggester = Callable[[SuggestionRequest], Suggestion]
COUNTERPARTY = ("vendor", "customer", "employee")


class Validator:
    def __init__(self, policy: RulesPolicy, calendar: CloseCalendar, *, company: Company | None = None,
                 profile: HistoryProfile | None = None, suggester: Suggester | None = None,
                 top_k: int = 3) -> None:
        policy.check_known(all_rule_ids())
        self.policy, self.calendar = policy, calendar
        self.company, self.profile, self.suggester, self.top_k = company, profile, suggester, top_k
        self.scorer = LineScorer(profile, policy.scoring) if profile is not None else None

    def context(self, as_of: date | None = None) -> RuleContext:
        return RuleContext(policy=self.policy, calendar=self.calendar, as_of=as_of or date.today(),
                           company=self.company, profile=self.profile, session=SessionIndex())

    # --- journal entries ----------------------------------------------------------------------

    def validate(self, entries: list[JournalEntry], *, as_of: date | None = None,
                 suggest: bool = True) -> ValidationReport:
        ctx = self.context(as_of)
        reports: list[EntryReport] = []
        all_lines: list[LineView] = []
        for i, entry in enumerate(entries):
            lines = entry_lines(entry, i, self.company)
            all_lines.extend(lines)
            findings = list(self._entry_findings(entry, lines, ctx))
            scores = []
            for ln in lines:
                score = self.score(ln)
                if score is not None:
                    scores.append(score)
                findings.extend(self._line_findings(ln, ctx, score))
                ctx.session.add(ln)
            if suggest and self.suggester is not None:
                self._add_corrections(findings, lines)
            reports.append(EntryReport(
                index=i, journal=entry.journal, batch_date=entry.batch_date.isoformat(), entity=entry.entity,
                reference_no=entry.reference_no, record_no=entry.record_no,
                verdict=self.policy.verdict.decide(findings), findings=findings, line_scores=scores))
        batch = list(self._batch_findings(all_lines, ctx))
        every = [f for r in reports for f in r.findings] + batch
        counts = Counter(f.severity for f in every)
        return ValidationReport(verdict=self.policy.verdict.decide(every), entries=reports,
                                batch_findings=batch, counts={s: counts.get(s, 0) for s in ("error", "warning", "info")},
                                company=self.company.name if self.company else None,
                                policy_version=self.policy.version)

    # --- GL detail lines (monitor, evaluation) --------------------------------------------------

    def check_line(self, ln: LineView, ctx: RuleContext) -> tuple[list[Finding], LineScore | None]:
        """Line rules plus the date rules, for a lone line outside any entry."""
        findings = list(self._entry_findings(None, [ln], ctx, only=LINE_SAFE_ENTRY_RULES))
        score = self.score(ln)
        findings.extend(self._line_findings(ln, ctx, score))
        ctx.session.add(ln)
        return findings, score

    def check_postings(self, postings: Iterable[Posting], *, in_history: bool, as_of: date | None = None
                       ) -> Iterator[tuple[Posting, list[Finding], LineScore | None]]:
        ctx = self.context(as_of)
        for i, p in enumerate(postings):
            ln = posting_line(p, in_history=in_history, index=i)
            findings, score = self.check_line(ln, ctx)
            yield p, findings, score

    def validate_history(self, postings: Iterable[Posting], *, as_of: date | None = None,
                         progress: Callable[[int], None] | None = None
                         ) -> Iterator[tuple[Posting, list[Finding], LineScore | None]]:
        """Every rule over postings already in the profile (leave-one-out), batch by batch.

        Postings of one batch_no form an entry, so entry rules (balance, allocation split) run too; an
        entry-level finding is reported on each of the entry's lines. Without ``as_of`` and without a
        WHENCREATED stamp, a batch counts as posted on its own date (no creation date is known).
        """
        batches: dict[str, list[Posting]] = {}
        for p in postings:
            batches.setdefault(p.batch_no or f"#{p.record_no}", []).append(p)
        ctx = self.context(as_of)
        for e, group in enumerate(batches.values()):
            lines = [posting_line(p, in_history=True, index=i, entry_index=e) for i, p in enumerate(group)]
            ctx.as_of = as_of or max(ln.day for ln in lines)
            entry_level = list(self._entry_findings(None, lines, ctx))
            for p, ln in zip(group, lines):
                score = self.score(ln)
                own = [f for f in self._line_findings(ln, ctx, score)]
                yield p, entry_level + own, score
            if progress is not None:
                progress(len(group))

    # --- internals ----------------------------------------------------------------------------

    def score(self, ln: LineView) -> LineScore | None:
        if self.scorer is None:
            return None
        return self.scorer.score(ln.account_no, ln.dims, ln.entity, ln.amount, exclude_self=ln.in_history,
                                 tr_type=ln.tr_type, entry_index=ln.entry_index, line_index=ln.line_index)

    def _entry_findings(self, entry: JournalEntry | None, lines: list[LineView], ctx: RuleContext,
                        only: set[str] | None = None) -> Iterator[Finding]:
        for rule_id, fn in ENTRY_RULES.items():
            cfg = self.policy.rule(rule_id)
            if cfg is not None and (only is None or rule_id in only):
                yield from fn(entry, lines, ctx, cfg)

    def _line_findings(self, ln: LineView, ctx: RuleContext, score: LineScore | None) -> Iterator[Finding]:
        for rule_id, fn in LINE_RULES.items():
            cfg = self.policy.rule(rule_id)
            if cfg is not None:
                yield from fn(ln, ctx, cfg)
        cfg = self.policy.rule("anomaly.score")
        if cfg is not None and score is not None and score.score >= float(cfg.param("min_score")):
            yield ctx.finding(cfg, f"unusual line (anomaly score {score.score:.4f}, strongest signal "
                                   f"{score.top})", ln, score=round(score.score, 6), surprise=round(score.surprise, 3),
                              top=score.top)

    def _batch_findings(self, lines: list[LineView], ctx: RuleContext) -> Iterator[Finding]:
        for rule_id, fn in BATCH_RULES.items():
            cfg = self.policy.rule(rule_id)
            if cfg is not None:
                yield from fn(lines, ctx, cfg)

    def _add_corrections(self, findings: list[Finding], lines: list[LineView]) -> None:
        cache: dict[int, list[Correction]] = {}
        for f in findings:
            if f.rule_id not in CODING_RULES or f.line_index is None or f.corrections:
                continue
            if f.line_index not in cache:
                cache[f.line_index] = self._suggest(lines[f.line_index])
            f.corrections = list(cache[f.line_index])

    def _suggest(self, ln: LineView) -> list[Correction]:
        request = SuggestionRequest(
            entity=ln.entity or "", vendor=ln.vendor, memo=ln.memo, amount=ln.amount, tr_type=ln.tr_type,
            entry_date=ln.day, employee=ln.dims.get("employee"), document=ln.document or None,
            known_dims={k: v for k, v in ln.dims.items() if k in COUNTERPARTY})
        try:
            suggestion = self.suggester(request)  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - a failing engine must not stop validation
            log.warning("suggester failed for %s: %s", ln.where, exc)
            return []
        out = []
        for coding in suggestion.codings[: self.top_k]:
            combo = coding.combination
            dims = {**{k: v for k, v in ln.dims.items() if k in COUNTERPARTY}, **combo.dims}
            out.append(Correction(kind="coding", account_no=combo.account_no, dims=dims,
                                  confidence=round(coding.confidence, 4), evidence_ids=list(coding.evidence_ids),
                                  description=coding.reasoning or f"suggested coding {combo.key}"))
        return out


class ValidationService:
    """Validation for named companies: policies and company contexts cached, engine suggestions optional.

    ``suggester_for(company)`` returns the engine's suggest callable for a company, or None.
    """

    def __init__(self, settings, *, suggester_for: Callable[[str], Suggester | None] | None = None,
                 contexts=None) -> None:
        from copilot.validate.context import Contexts

        self.settings = settings
        self.contexts = contexts or Contexts(settings)
        self.suggester_for = suggester_for

    def validator(self, company: str, *, suggest: bool = True) -> Validator:
        policy, calendar = self.contexts.policies()
        ctx = self.contexts.company(company)
        suggester = self.suggester_for(company) if (suggest and self.suggester_for) else None
        return Validator(policy, calendar, company=ctx.company, profile=ctx.profile, suggester=suggester,
                         top_k=getattr(self.settings, "top_k", 3))

    def validate(self, company: str, entries: list[JournalEntry], *, as_of: date | None = None,
                 suggest: bool = True) -> ValidationReport:
        return self.validator(company, suggest=suggest).validate(entries, as_of=as_of, suggest=suggest)
