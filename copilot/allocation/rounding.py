"""Split an amount by weights so the cents add up exactly: the largest-remainder method.

Each share first gets its amount rounded *down* to the cent (in absolute value); the cents left over go
one by one to the shares with the largest remainders. Ties go to the larger weight, then to the share
listed first, so the same input always gives the same split. A negative total is split as its absolute
value and every share carries the sign: -100.00 over three is -33.34 / -33.33 / -33.33.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Hashable, Sequence, TypeVar

from copilot.domain.money import CENT, money
from copilot.errors import InputError

K = TypeVar("K", bound=Hashable)


def largest_remainder(total: Decimal, weights: Sequence[tuple[K, Decimal]], *,
                      what: str = "driver") -> list[tuple[K, Decimal]]:
    """``total`` split over ``weights`` to the cent; the result sums to ``total`` exactly.

    Zero weights are left out (they get nothing, and no zero line is written). Negative weights, a total
    that is not whole cents, duplicate keys or all-zero weights are an InputError naming ``what``.
    """
    if not isinstance(total, Decimal):
        raise InputError(f"amount to split must be a Decimal, got {type(total).__name__}", field="amount")
    if total != money(total):
        raise InputError(f"amount to split {total} is not in whole cents", field="amount")
    keys = [k for k, _ in weights]
    if len(set(keys)) != len(keys):
        dupes = sorted({str(k) for k in keys if keys.count(k) > 1})
        raise InputError(f"{what} lists a target more than once: {', '.join(dupes)}", field=what)
    checked: list[tuple[int, K, Decimal]] = []
    for i, (key, w) in enumerate(weights):
        if isinstance(w, float):
            raise InputError(f"{what} for {key} is a float; use a decimal string", field=what)
        w = Decimal(w)
        if not w.is_finite() or w < 0:
            raise InputError(f"{what} for {key} must be zero or positive, got {w}", field=what)
        if w > 0:
            checked.append((i, key, w))
    if not checked:
        raise InputError(f"every {what} is zero: there is no basis to split {total} on", field=what)
    wsum = sum((w for _, _, w in checked), Decimal(0))
    sign = -1 if total < 0 else 1
    cents = int((abs(total) / CENT).to_integral_value())
    floors: list[int] = []
    remainders: list[Decimal] = []
    for _, _, w in checked:
        exact = Decimal(cents) * w / wsum
        floor = int(exact.to_integral_value(rounding=ROUND_DOWN))
        floors.append(floor)
        remainders.append(exact - floor)
    left = cents - sum(floors)
    order = sorted(range(len(checked)), key=lambda j: (-remainders[j], -checked[j][2], checked[j][0]))
    for j in order[:left]:
        floors[j] += 1
    return [(key, sign * Decimal(n) * CENT) for (_, key, _), n in zip(checked, floors)]
