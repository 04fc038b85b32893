"""Money is Decimal, quantized to cents, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """Quantize to cents with the bookkeeping rounding rule (half up)."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str or Decimal")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(text: str | Decimal | int, *, decimal_sep: str = ".", thousands_sep: str = ",") -> Decimal:
    """Parse an amount as people write it: '1,234.50', '(12.00)', '-5', '€ 3,50' with decimal_sep=','."""
    if isinstance(text, (Decimal, int)):
        return money(text)
    if isinstance(text, float):
        raise TypeError("money must not be a float; pass a str or Decimal")
    s = str(text).strip()
    negative = s.startswith("(") and s.endswith(")")
    s = s.strip("()").replace("\u00a0", "").replace(" ", "")
    for sym in ("$", "£", "€", "USD", "GBP", "EUR", "CAD"):
        s = s.replace(sym, "")
    if thousands_sep:
        s = s.replace(thousands_sep, "")
    if decimal_sep != ".":
        s = s.replace(decimal_sep, ".")
    if s.endswith("-"):
        negative, s = True, s[:-1]
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return money(-value if negative else value)
