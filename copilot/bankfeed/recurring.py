"""Recurring items: the same payee, a similar amount, at a regular interval (payroll, rent, fees...).

A group is the lines of one entity, direction and payee key; it is recurring when it has at least
``min_count`` lines, most intervals are within 35 % of their median, the median is a known cadence,
and the amounts stay within ``amount_spread`` of their median. Lines of a recurring group carry its id,
cadence and typical amount: a reviewer sees "monthly, usually 11,600" next to the line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from copilot.bankfeed.cleanse import Cleansed
from copilot.bankfeed.feed import FeedLine

CADENCES = (("weekly", 5, 9), ("biweekly", 12, 16), ("semimonthly", 14, 17), ("monthly", 26, 35),
            ("quarterly", 84, 98), ("yearly", 350, 380))


@dataclass(frozen=True)
class Recurring:
    group_id: str
    payee: str
    cadence: str
    count: int
    typical_amount: Decimal


def find_recurring(lines: list[FeedLine], cleansed: dict[str, Cleansed], *, min_count: int = 3,
                   amount_spread: float = 0.35) -> dict[str, Recurring]:
    groups: dict[tuple, list[FeedLine]] = defaultdict(list)
    for ln in lines:
        c = cleansed[ln.line_id]
        if c.key:
            groups[(ln.entity, ln.bank_account, ln.direction, c.key)].append(ln)
    out: dict[str, Recurring] = {}
    n = 0
    for key, members in sorted(groups.items(), key=lambda kv: str(kv[0])):
        if len(members) < min_count:
            continue
        members.sort(key=lambda ln: (ln.on, ln.row))
        gaps = [(b.on - a.on).days for a, b in zip(members, members[1:])]
        gaps = [g for g in gaps if g > 0]
        if len(gaps) < min_count - 1:
            continue
        mid = median(gaps)
        regular = sum(1 for g in gaps if abs(g - mid) <= 0.35 * mid + 1) / len(gaps)
        cadence = next((name for name, lo, hi in CADENCES if lo <= mid <= hi), None)
        amounts = [abs(ln.amount) for ln in members]
        typical = median(amounts)
        similar = sum(1 for a in amounts if abs(a - typical) <= Decimal(str(amount_spread)) * typical) / len(amounts)
        if cadence is None or regular < 0.6 or similar < 0.75:
            continue
        n += 1
        rec = Recurring(group_id=f"REC-{n:03d}", payee=cleansed[members[0].line_id].payee, cadence=cadence,
                        count=len(members), typical_amount=typical)
        for ln in members:
            out[ln.line_id] = rec
    return out
