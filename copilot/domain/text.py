"""Text normalization shared by the engine, its evaluation and the baselines.

Memos carry invoice numbers, dates and card references that never repeat; keeping them would make
every memo unique. We keep words and short alphanumeric tokens and drop digit-heavy noise.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"[a-z][a-z0-9&'+-]*|\d{1,3}(?=\s|$)")
_NOISE = re.compile(r"\b(?:[a-z]*\d[a-z0-9-]*\d[a-z0-9-]*|\d+)\b")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")


def clean(text: str | None, *, limit: int = 500) -> str:
    """Untrusted text made safe to store, embed and show: no control chars, bounded length."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text))
    text = _CONTROL.sub(" ", text)
    return _SPACE.sub(" ", text).strip()[:limit]


def normalize(text: str | None) -> str:
    """Lowercase words without numbers, for lexical features and de-duplicated embedding."""
    if not text:
        return ""
    low = clean(text).lower()
    low = _NOISE.sub(" ", low)
    return " ".join(t for t in re.findall(r"[a-z][a-z&'+-]*", low) if len(t) > 1)


def vendor_key(name_or_id: str | None) -> str:
    """A stable key for matching a vendor as typed to the vendor master (id or name)."""
    if not name_or_id:
        return ""
    low = clean(name_or_id).lower()
    low = re.sub(r"\b(inc|llc|ltd|limited|gmbh|plc|corp|corporation|co|company|the)\b\.?", " ", low)
    return re.sub(r"[^a-z0-9]+", "", low)


def query_text(vendor_name: str | None, memo: str | None) -> str:
    """The text embedded for a posting or a request: vendor name and memo."""
    return f"{clean(vendor_name, limit=120)} | {clean(memo, limit=300)}".strip(" |")
