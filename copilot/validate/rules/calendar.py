"""Date rules: closed periods, postings after a period's close deadline, future dates, weekends.

They look at each distinct (date, entity) of an entry once, so a ten-line entry gets one finding, not
ten; a line whose own date differs from the others is named by its index.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Iterator

from copilot.domain import JournalEntry
from copilot.validate.findings import Finding
from copilot.validate.policy import RuleConfig
from copilot.validate.rules.base import LineView, RuleContext, entry_rule


def _groups(lines: list[LineView]) -> list[tuple[date, str | None, LineView | None, date | None]]:
    """(day, entity, the line to name or None for the whole entry, posted_on) per distinct date/entity."""
    if not lines:
        return []
    days = [ln.day for ln in lines]
    common = max(set(days), key=days.count)
    seen: set[tuple[date, str | None]] = set()
    out = []
    for ln in lines:
        key = (ln.day, ln.entity)
        if key in seen:
            continue
        seen.add(key)
        single = len(lines) == 1 and ln.line_index is not None and ln.entry_index is None
        out.append((ln.day, ln.entity, ln if (ln.day != common or single) else None, ln.posted_on))
    return out


def _find(ctx: RuleContext, cfg: RuleConfig, message: str, lines: list[LineView], named: LineView | None,
          **evidence) -> Finding:
    if named is not None:
        return ctx.finding(cfg, message, named, **evidence)
    return ctx.finding(cfg, message, entry_index=lines[0].entry_index, **evidence)


@entry_rule("period.closed", line_safe=True)
def period_closed(entry: JournalEntry | None, lines: list[LineView], ctx: RuleContext, cfg: RuleConfig
                  ) -> Iterator[Finding]:
    for day, entity, named, posted in _groups(lines):
        status = ctx.calendar.status(entity, day, posted or ctx.as_of)
        if status.closed:
            yield _find(ctx, cfg, f"posting date {day} falls in closed period {status.period}: {status.reason}",
                        lines, named, date=day, period=status.period, entity=entity, reason=status.reason)


@entry_rule("period.after_close", line_safe=True)
def after_close(entry: JournalEntry | None, lines: list[LineView], ctx: RuleContext, cfg: RuleConfig
                ) -> Iterator[Finding]:
    """Still open, but its close deadline has passed: a late adjustment the controller should see."""
    for day, entity, named, posted in _groups(lines):
        when = posted or ctx.as_of
        status = ctx.calendar.status(entity, day, when)
        if not status.closed and when > status.close_deadline:
            late = (when - status.close_deadline).days
            yield _find(ctx, cfg, f"posting into {status.period} on {when}, {late} days after its close "
                                  f"deadline {status.close_deadline}", lines, named,
                        date=day, period=status.period, posted_on=when, close_deadline=status.close_deadline,
                        days_late=late)


@entry_rule("period.future", line_safe=True)
def future(entry: JournalEntry | None, lines: list[LineView], ctx: RuleContext, cfg: RuleConfig
           ) -> Iterator[Finding]:
    for day, entity, named, posted in _groups(lines):
        ahead = ctx.calendar.setting(entity, "max_days_ahead")
        when = posted or ctx.as_of
        if ahead is not None and day > when + timedelta(days=int(ahead)):
            yield _find(ctx, cfg, f"posting date {day} is {(day - when).days} days in the future", lines, named,
                        date=day, as_of=when, max_days_ahead=ahead)


@entry_rule("date.weekend", line_safe=True)
def weekend(entry: JournalEntry | None, lines: list[LineView], ctx: RuleContext, cfg: RuleConfig
            ) -> Iterator[Finding]:
    """Manual journals dated on a weekend; period-end and reversal dates (the last and first day of a
    month) are where accruals legitimately land whatever the weekday."""
    days = set(cfg.param("days"))  # ISO weekday names or numbers, e.g. [sat, sun]
    journals = {str(j).upper() for j in cfg.param("journals")}
    period_end_ok = bool(cfg.param("except_period_end"))
    lines = [ln for ln in lines if not journals or ln.journal.upper() in journals]
    for day, _entity, named, _posted in _groups(lines):
        if period_end_ok and (day.day == 1 or (day + timedelta(days=1)).day == 1):
            continue
        name = day.strftime("%a").lower()
        if name in days or day.isoweekday() in days:
            yield _find(ctx, cfg, f"posting date {day} is a {day.strftime('%A')}", lines, named,
                        date=day, weekday=day.strftime("%A"))
