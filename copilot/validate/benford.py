"""Benford first-digit test over a batch of amounts: chi-square and Nigrini's MAD conformity.

Naturally occurring amounts (invoices, expenses) have leading digit d with probability log10(1 + 1/d).
Fabricated or manipulated batches (amounts just under an approval limit, invented round numbers)
drift from it. Chi-square is over-sensitive on large samples, so the MAD (mean absolute deviation of
the digit proportions, with Nigrini's conformity bands) is reported beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from scipy.stats import chi2

EXPECTED = [math.log10(1 + 1 / d) for d in range(1, 10)]
# Nigrini (2012), first-digit test: MAD upper bounds of each conformity band.
MAD_BANDS = ((0.006, "close"), (0.012, "acceptable"), (0.015, "marginal"))


def first_digit(amount: Decimal | int | str) -> int | None:
    """Leading significant digit of |amount|, None for zero."""
    d = Decimal(amount).copy_abs()
    if d == 0:
        return None
    digits = d.normalize().as_tuple().digits
    for x in digits:
        if x:
            return x
    return None


@dataclass(frozen=True)
class BenfordResult:
    n: int
    observed: list[float]  # proportions of digits 1..9
    chi2: float
    p_value: float
    mad: float
    conformity: str        # close | acceptable | marginal | nonconformity

    def as_evidence(self) -> dict:
        return {"n": self.n, "observed": [round(x, 4) for x in self.observed],
                "expected": [round(x, 4) for x in EXPECTED], "chi2": round(self.chi2, 3),
                "p_value": self.p_value, "mad": round(self.mad, 5), "conformity": self.conformity}


def benford_test(amounts: Iterable[Decimal], *, min_amount: Decimal = Decimal("10")) -> BenfordResult:
    """Amounts below ``min_amount`` are left out: tiny amounts do not follow Benford's law."""
    counts = [0] * 9
    for a in amounts:
        if abs(a) < min_amount:
            continue
        digit = first_digit(a)
        if digit:
            counts[digit - 1] += 1
    n = sum(counts)
    if n == 0:
        return BenfordResult(0, [0.0] * 9, 0.0, 1.0, 0.0, "close")
    observed = [c / n for c in counts]
    stat = sum((c - n * e) ** 2 / (n * e) for c, e in zip(counts, EXPECTED))
    p = float(chi2.sf(stat, df=8))
    mad = sum(abs(o - e) for o, e in zip(observed, EXPECTED)) / 9
    conformity = next((name for bound, name in MAD_BANDS if mad <= bound), "nonconformity")
    return BenfordResult(n, observed, stat, p, mad, conformity)
