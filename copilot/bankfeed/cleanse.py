"""Bank statement descriptions made readable: the payee, its canonical key, and the references in it.

    cleanse("DEBIT CARD PURCHASE XXXXXXXXXXXX4411 STAPLES 8562 JERSEY CITY NJ").payee == "STAPLES"
    cleanse("WIRE TYPE:WIRE OUT DATE:231207 TRN:87780853216130 BNF:RAMSEY RAMSEY PLLC").payee == "RAMSEY RAMSEY PLLC"

Removed: card numbers and masked PANs, payment-rail words (POS, ACH, CCD, DD, SEPA, BACS, CHQ, wire
tags...), dates, reference and trace numbers, store numbers and a trailing "CITY ST" location. Kept
aside: references that look like documents (INV-US-002436, PO610533) for matching to open items, and
the method (card, ach, wire, check, sepa...). Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from copilot.domain.text import clean, vendor_key

US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC".split())

# Longest first: a phrase is removed as a whole before its words are.
RAIL_PHRASES = (
    "DEBIT CARD PURCHASE", "CHECK CARD PURCHASE", "CARD PURCHASE", "CHECKCARD", "POS PURCHASE", "POS DEBIT",
    "REMOTE DEPOSIT CHECK", "MOBILE DEPOSIT", "ACH DEBIT", "ACH CREDIT", "ACH PMT", "EPAYMENT", "E-PAYMENT",
    "WIRE TYPE:WIRE OUT", "WIRE TYPE:WIRE IN", "WIRE TRANSFER", "WIRE OUT", "WIRE IN", "ONLINE TRANSFER",
    "FASTER PAYMENT TO", "FASTER PAYMENT", "FASTER PAYMENTS", "BULK PAYMENT", "BILL PAY", "DIRECT DEBIT",
    "SEPA-UEBERWEISUNG", "SEPA-LASTSCHRIFT", "SEPA GUTSCHRIFT", "SEPA CREDIT", "SEPA DEBIT", "SAMMELUEBERWEISUNG",
    "ZELLE FROM", "ZELLE TO", "STRIPE TRANSFER", "GUTSCHRIFT", "LASTSCHRIFT", "UEBERWEISUNG", "ZAHLUNG",
    "CHECK", "CHEQUE", "CHQ", "POS", "ACH", "CCD", "PPD",
    "BACS", "DD", "SEPA", "SO", "STO", "TFR", "TRF", "XFER", "ON-LINE", "ONLINE", "RE", "REF", "ID", "CO",
)
METHODS = (("CHECKCARD", "card"), ("CHECK", "check"), ("CHEQUE", "check"), ("CHQ", "check"), ("CARD", "card"), ("POS", "card"),
           ("ACH", "ach"), ("CCD", "ach"), ("PPD", "ach"), ("WIRE", "wire"), ("BNF", "wire"), ("ORG", "wire"),
           ("SEPA", "sepa"), ("SEPA-UEBERWEISUNG", "sepa"), ("SAMMELUEBERWEISUNG", "sepa"), ("BACS", "bacs"),
           ("FASTER PAYMENT", "fps"), ("DD", "direct_debit"), ("ZELLE", "zelle"), ("STRIPE", "processor"),
           ("BILL PAY", "bill_pay"))

_TAG = re.compile(r"\b(?:TYPE|DATE|TRN|BNF|ORG|OBI|REF|ID|IND ID|IND NAME|CO ID|CO NAME|DESCR|SEC|TRACE|EED)\s*:\s*")
_VALUE_AFTER = re.compile(r"\b(?:TYPE|DATE|TRN|ID|CO ID|TRACE|EED|SEC)\s*:\s*\S*")
_PAN = re.compile(r"\b(?:X{4,}|\*{4,}|#{4,})[\dX*]*\d{2,4}\b|\b\d{4}[ -]?(?:X{4}|\*{4})[ -]?(?:X{4}|\*{4})[ -]?\d{4}\b"
                  r"|\b(?:\d{4}[ -]){3}\d{4}\b")
_CARD_AFTER_POS = re.compile(r"^(POS|CARD|DEBIT CARD PURCHASE|CHECK CARD PURCHASE)\s+\d{4}\b")
_DOC_REF = re.compile(r"\b(?:INVOICE|INV|PO|BILL|RECHNUNG|REF|RE|RG|SO)[-#: ]*(?=[A-Z0-9-]*\d)([A-Z0-9][A-Z0-9/-]{3,})\b")
_DATE = re.compile(r"\b(?:\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\.?|\d{4}-\d{2}-\d{2}|\d{1,2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL"
                   r"|AUG|SEP|OCT|NOV|DEC)\d{0,4}|(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{2,4})\b")
_STORE = re.compile(r"(?:#\s*\d+|\bSTORE\s+\d+|\b\d{3,}\b)")
_MERCHANT_STAR = re.compile(r"\*\S*")
_NUMBERISH = re.compile(r"\b[A-Z]{0,4}-?\d[A-Z0-9-]*\b")  # a token is noise when digits dominate it
_SPACE = re.compile(r"\s+")
_BILL_PAY_TAIL = re.compile(r"\bON-LINE\b.*$")


@dataclass(frozen=True)
class Cleansed:
    raw: str
    payee: str                     # e.g. "STAPLES"; "" when the line names nobody (CHECK 13321)
    key: str                       # canonical key for matching, e.g. "staples"
    method: str = ""               # card | ach | wire | check | sepa | bacs | fps | direct_debit | ...
    refs: tuple[str, ...] = field(default_factory=tuple)  # document-like references, upper case

    @property
    def anonymous(self) -> bool:
        return not self.key


def _method(text: str) -> str:
    for needle, method in METHODS:
        if re.search(rf"(?<![A-Z0-9]){re.escape(needle)}(?![A-Z0-9])", text):
            return method
    return ""


def _refs(text: str) -> tuple[str, ...]:
    found = []
    for m in _DOC_REF.finditer(text):
        token = m.group(0)
        found.append(re.sub(r"^(?:RECHNUNG|REF|RE|RG)[-#: ]*", "", token))
    for token in re.findall(r"\b[A-Z]{2,4}-[A-Z]{0,3}-?\d{4,}\b|\b\d{4}-\d{4,6}\b", text):
        found.append(token)
    return tuple(dict.fromkeys(t for t in found if any(c.isdigit() for c in t)))


def _digit_heavy(token: str) -> bool:
    digits = sum(c.isdigit() for c in token)
    return digits >= 3 or digits * 2 >= len(token.replace("-", ""))


def _strip_location(words: list[str]) -> list[str]:
    """Drop a trailing "CITY ST": the state code and the city words after the last store number."""
    if len(words) >= 3 and words[-1] in US_STATES:
        words = words[:-1]
        # A city is one or two words; keep at least one payee word.
        cut = len(words) - (2 if len(words) >= 4 and len(words[-2]) > 2 else 1)
        return words[:max(cut, 1)]
    return words


def cleanse(description: str) -> Cleansed:
    raw = clean(description, limit=300)
    text = raw.upper()
    method = _method(text)
    text = _PAN.sub(" ", text)
    refs = _refs(text)
    text = _CARD_AFTER_POS.sub(r"\1 ", text)
    # Payee fields of wire and SEPA texts: keep what follows BNF:/ORG:, drop the other tagged values.
    m = re.search(r"\b(?:BNF|ORG|CO NAME|IND NAME)\s*:\s*(.*?)(?=\b(?:OBI|REF|TRN|ID|SEC|DATE)\s*:|$)", text)
    if m and m.group(1).strip():
        text = m.group(1)
    text = _VALUE_AFTER.sub(" ", text)
    text = _TAG.sub(" ", text)
    for ref in refs:
        text = text.replace(ref, " ")
    text = _DATE.sub(" ", text)
    text = _MERCHANT_STAR.sub(" ", text)
    text = _BILL_PAY_TAIL.sub(" ", text)
    # Store numbers separate a merchant from its location: "STAPLES 8562 JERSEY CITY NJ".
    words = _SPACE.sub(" ", text).strip().split(" ")
    if words and words[-1] in US_STATES:
        store_at = next((i for i in range(len(words) - 2, max(len(words) - 6, 0), -1)
                         if _STORE.fullmatch(words[i]) or words[i].startswith("#")), None)
        if store_at is not None:
            words = words[:store_at]
    text = " ".join(words)
    text = _NUMBERISH.sub(lambda m: " " if _digit_heavy(m.group(0)) else m.group(0), text)
    phrases = "|".join(re.escape(p) for p in RAIL_PHRASES)
    text = re.sub(rf"(?<![A-Z0-9&])(?:{phrases})(?![A-Z0-9&])", " ", text)
    words = [w.strip(".,:;-/#*") for w in _SPACE.sub(" ", text).strip().split(" ")]
    words = _strip_location([w for w in words if w and not w.isdigit()])
    payee = " ".join(words).strip()
    return Cleansed(raw=raw, payee=payee, key=vendor_key(payee), method=method, refs=refs)


def doc_key(doc: str | None) -> str:
    """A document number compared the way banks mangle it: upper case, letters and digits only."""
    return re.sub(r"[^A-Z0-9]", "", (doc or "").upper())


_LEGAL = re.compile(r"\b(?:INC|INCORPORATED|LLC|LLP|PLLC|LTD|LIMITED|GMBH|AG|SA|SARL|BV|NV|PLC|CORP|CORPORATION|CO|"
                    r"COMPANY|THE|AND|KG|UG|SE|PTY|PTE|OY|AB|SPA|SRL|LP)\b")


def party_name(name: str, *, truncated: bool = False) -> str:
    """A party's name for fuzzy comparison: upper case, no punctuation, no legal-form words. A bank
    truncates payees, so ``truncated`` also drops a trailing 1-2 letter fragment ("W.B. MASON CO. I")."""
    text = re.sub(r"[^A-Z0-9& ]+", "", (name or "").upper().replace("&", " & ").replace("-", " "))
    text = _LEGAL.sub(" ", text)
    words = [w for w in text.split() if w != "&"]
    if truncated and len(words) > 1 and len(words[-1]) <= 2:
        words = words[:-1]
    return " ".join(words)
