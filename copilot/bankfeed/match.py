"""Match bank lines to open AP bills (money out) and AR invoices (money in).

Lines are taken in date order and every match reduces what its items still have open, so a later
payment sees the balance left by an earlier partial one. For one line, in order:

1. references: document numbers in the text (INV-US-002436) that are open items' numbers;
2. the counterparty: the cleansed payee fuzzily matched (rapidfuzz) to the parties with open items;
   then a subset of that party's open items whose balances add up to the amount (one payment for
   several invoices), oldest due first; failing that a partial payment of one item;
3. no name at all (CHECK 13321): a unique item, or a unique party subset, with exactly that amount.

Items must be in the line's entity and currency, dated no later than a few days after the line and
no earlier than the window. A name found whose open items are all in another currency is reported as
``currency_mismatch``. Subset search is bounded (items per party and nodes visited), so a pathological
party cannot stall a feed. Several equally good answers make the line ``ambiguous``: it goes to review
with its best candidate, and nothing is taken off the open items.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable

from rapidfuzz import fuzz, process

from copilot.bankfeed.cleanse import Cleansed, doc_key, party_name
from copilot.bankfeed.feed import FeedLine, OpenItem

CENT = Decimal("0.01")


@dataclass
class MatchConfig:
    tolerance: Decimal = Decimal("0.00")  # how far the sum of items may be from the amount
    name_threshold: float = 86.0          # rapidfuzz WRatio (0..100) for a payee to name a party
    lead_days: int = 5                    # an item may be dated this many days after the payment
    window_days: int = 400                # ... and no more than this many days before it
    amount_only_days: int = 120           # without a name: item due (AP) / dated (AR) this close to the line
    max_items: int = 24                   # open items of one party considered by the subset search
    max_subset: int = 12                  # items in one payment
    max_nodes: int = 50_000               # search budget per party


@dataclass
class Applied:
    item: OpenItem
    amount: Decimal

    def to_dict(self) -> dict:
        return {"kind": self.item.kind, "item_id": self.item.item_id, "doc_no": self.item.doc_no,
                "party_id": self.item.party_id, "amount": str(self.amount),
                "open_before": str(self.item.residual + self.amount)}


@dataclass
class MatchResult:
    line: FeedLine
    cleansed: Cleansed
    status: str = "unmatched"     # matched | partial | ambiguous | currency_mismatch | unmatched
    how: str = ""                 # reference | name | amount
    items: list[Applied] = field(default_factory=list)
    party: dict | None = None     # {"kind", "id", "name", "score"}
    confidence: float = 0.0
    reason: str = ""
    candidates: list[list[str]] = field(default_factory=list)  # item ids of other answers (ambiguous)

    @property
    def auto(self) -> bool:
        return self.status in ("matched", "partial")


def _cents(x: Decimal) -> int:
    return int((x / CENT).to_integral_value())


def subsets(items: list[OpenItem], target: Decimal, tol: Decimal, *, max_size: int, max_nodes: int,
            limit: int = 2) -> list[list[OpenItem]]:
    """Up to ``limit`` subsets (in the items' order: oldest first) whose residuals sum to target ± tol."""
    values = [_cents(i.residual) for i in items]
    goal, slack = _cents(target), _cents(tol)
    suffix = [0] * (len(values) + 1)
    for i in range(len(values) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + values[i]
    found: list[list[int]] = []
    nodes = 0

    def walk(i: int, total: int, chosen: list[int]) -> None:
        nonlocal nodes
        nodes += 1
        if len(found) >= limit or nodes > max_nodes:
            return
        if chosen and abs(total - goal) <= slack:
            found.append(list(chosen))
            return
        if i == len(values) or len(chosen) >= max_size or total + suffix[i] < goal - slack:
            return
        if total + values[i] <= goal + slack:
            chosen.append(i)
            walk(i + 1, total + values[i], chosen)
            chosen.pop()
        walk(i + 1, total, chosen)

    walk(0, 0, [])
    return [[items[i] for i in idx] for idx in found]


def best_party(payee: str, names: dict[str, str], threshold: float) -> tuple[str, float] | None:
    """(party id, score) of the name the payee names, or None. ``names`` maps ids to ``party_name`` forms.

    Banks cut payees short, so a payee that starts a party's name counts in full (when only one name
    starts so); otherwise rapidfuzz's token-sort ratio must reach ``threshold``. token_sort, not
    token_set: "EXPENSIFY REIMBURSEMENTS" must not name the vendor "Expensify".
    """
    payee = party_name(payee, truncated=True)
    if len(payee) < 3 or not names:
        return None
    if len(payee) >= 6:
        starts = [pid for pid, n in names.items() if n.startswith(payee)]
        if len(starts) == 1:
            return starts[0], 100.0
        if starts:
            names = {pid: names[pid] for pid in starts}
    hit = process.extractOne(payee, names, scorer=fuzz.token_sort_ratio, score_cutoff=threshold)
    if hit is None:
        return None
    return hit[2], round(float(hit[1]), 1)


def _is_prefix(chosen: list[OpenItem], ordered: list[OpenItem]) -> bool:
    return [i.item_id for i in chosen] == [i.item_id for i in ordered[: len(chosen)]]


class Matcher:
    def __init__(self, items: Iterable[OpenItem], config: MatchConfig | None = None) -> None:
        self.config = config or MatchConfig()
        self.items = list(items)
        self.by_doc: dict[str, list[OpenItem]] = defaultdict(list)
        self.by_party: dict[tuple[str, str], list[OpenItem]] = defaultdict(list)
        self.names: dict[str, dict[str, str]] = {"ap": {}, "ar": {}}  # kind -> party id -> name
        self._open_lists: dict[tuple[str, str | None], list[OpenItem]] = {}
        for it in self.items:
            if it.doc_no:
                self.by_doc[doc_key(it.doc_no)].append(it)
            self.by_party[(it.kind, it.party_id)].append(it)
            if it.party_name:
                self.names[it.kind][it.party_id] = it.party_name.upper()
        for group in self.by_party.values():
            group.sort(key=lambda i: i.sort_key)
        # Names of the parties with items in each entity: a payee is looked up among its entity's parties.
        self._all = {k: {pid: party_name(n) for pid, n in v.items()} for k, v in self.names.items()}
        self._norm: dict[str, dict[str | None, dict[str, str]]] = {"ap": defaultdict(dict), "ar": defaultdict(dict)}
        for it in self.items:
            if it.party_id in self._all[it.kind]:
                self._norm[it.kind][it.entity][it.party_id] = self._all[it.kind][it.party_id]

    # --- eligibility ---------------------------------------------------------------------------

    def _open(self, kind: str, entity: str | None) -> list[OpenItem]:
        """Items of one kind and entity that still have something open (settled ones are dropped)."""
        key = (kind, entity)
        if key not in self._open_lists:
            self._open_lists[key] = [it for it in self.items if it.kind == kind
                                     and (entity is None or it.entity in (None, entity))]
        live = [it for it in self._open_lists[key] if it.residual > 0]
        self._open_lists[key] = live
        return live

    def _eligible(self, it: OpenItem, line: FeedLine, kind: str, *, currency: bool = True) -> bool:
        c = self.config
        return (it.kind == kind and it.residual > 0 and (line.entity is None or it.entity in (None, line.entity))
                and (not currency or line.currency is None or it.currency in (None, line.currency))
                and it.on <= line.on + timedelta(days=c.lead_days)
                and it.on >= line.on - timedelta(days=c.window_days))

    def party_for(self, cleansed: Cleansed, kind: str, entity: str | None = None) -> dict | None:
        """The party with open items the payee names, or None (see ``best_party``)."""
        names = self._norm[kind].get(entity) if entity is not None else self._all[kind]
        found = best_party(cleansed.payee, names or {}, self.config.name_threshold)
        if found is None:
            return None
        pid, score = found
        return {"kind": kind, "id": pid, "name": self.names[kind][pid], "score": score}

    # --- one line ------------------------------------------------------------------------------

    def match(self, line: FeedLine, cleansed: Cleansed) -> MatchResult:
        kind = "ap" if line.direction == "out" else "ar"
        amount = abs(line.amount)
        result = MatchResult(line, cleansed)
        if self._by_reference(result, kind, amount):
            return result
        party = self.party_for(cleansed, kind, line.entity)
        result.party = party
        if party is not None:
            self._by_party(result, party, kind, amount)
        elif cleansed.anonymous:
            self._by_amount(result, kind, amount)
        else:
            result.reason = f"no open {'bill' if kind == 'ap' else 'invoice'} of a party named like {cleansed.payee!r}"
        return result

    def _apply(self, result: MatchResult, chosen: list[OpenItem], amounts: list[Decimal] | None = None) -> None:
        amounts = amounts or [it.residual for it in chosen]
        for it, amt in zip(chosen, amounts):
            it.residual -= amt
            result.items.append(Applied(it, amt))

    def _by_reference(self, result: MatchResult, kind: str, amount: Decimal) -> bool:
        found: list[OpenItem] = []
        for ref in result.cleansed.refs:
            for it in self.by_doc.get(doc_key(ref), []):
                if self._eligible(it, result.line, kind) and it not in found:
                    found.append(it)
        if not found:
            return False
        found.sort(key=lambda i: i.sort_key)
        total = sum((i.residual for i in found), Decimal(0))
        result.how = "reference"
        result.party = {"kind": kind, "id": found[0].party_id, "name": found[0].party_name, "score": 100.0}
        tol = self.config.tolerance
        if abs(total - amount) <= tol:
            result.status, result.confidence = "matched", 0.98
            result.reason = f"reference {', '.join(i.doc_no for i in found)} for exactly the open amount"
            self._apply(result, found)
        elif amount < total and len(found) == 1:
            result.status, result.confidence = "partial", 0.9
            result.reason = f"partial payment of {found[0].doc_no}: {amount} of {total} open"
            self._apply(result, found, [amount])
        else:
            # The reference names some of the items; the party's other open items may make up the rest.
            party = result.party
            self._by_party(result, party, kind, amount, must=found)
            if result.status == "unmatched":
                result.status, result.confidence = "ambiguous", 0.5
                result.reason = (f"reference {', '.join(i.doc_no for i in found)} is open for {total}, "
                                 f"the payment is {amount}")
                result.candidates = [[i.item_id for i in found]]
        return True

    def _by_party(self, result: MatchResult, party: dict, kind: str, amount: Decimal,
                  must: list[OpenItem] | None = None) -> None:
        c = self.config
        every = self.by_party.get((kind, party["id"]), [])
        pool = [it for it in every if self._eligible(it, result.line, kind)][: c.max_items]
        if not pool:
            other = [it for it in every if self._eligible(it, result.line, kind, currency=False)]
            if other:
                result.status, result.confidence = "currency_mismatch", 0.3
                result.reason = (f"{party['name']} has open items in {sorted({str(i.currency) for i in other})}, "
                                 f"the payment is in {result.line.currency}")
                result.candidates = [[i.item_id for i in other[:5]]]
            else:
                result.reason = f"{party['name']} has no open item in the window"
            return
        result.how = result.how or "name"
        base = sum((i.residual for i in must), Decimal(0)) if must else Decimal(0)
        rest = [i for i in pool if not must or i not in must]
        found = subsets(rest, amount - base, c.tolerance, max_size=c.max_subset, max_nodes=c.max_nodes) \
            if amount - base > c.tolerance else ([[]] if must else [])
        if found:
            chosen = sorted((must or []) + found[0], key=lambda i: i.sort_key)
            same = all(sorted(i.residual for i in f) == sorted(i.residual for i in found[0]) for f in found)
            clear = len(found) == 1 or _is_prefix(chosen, pool) or same  # equal answers: the oldest (FIFO)
            docs = ", ".join(i.doc_no for i in chosen)
            if clear:
                result.status = "matched"
                result.confidence = round(0.95 if len(found) == 1 else 0.85, 2) * (party["score"] / 100)
                result.reason = (f"{party['name']} ({party['score']:.0f}% name match): "
                                 f"{'open items' if len(chosen) > 1 else 'open item'} {docs} add up to {amount}"
                                 + ("" if len(found) == 1 else " (the oldest ones; other combinations exist)"))
                self._apply(result, chosen)
            else:
                result.status, result.confidence = "ambiguous", 0.5
                result.reason = f"{party['name']}: several combinations of open items add up to {amount}"
                result.candidates = [[i.item_id for i in f] for f in found]
            return
        bigger = [i for i in pool if i.residual > amount]
        if bigger and not must:
            it = bigger[0]
            result.status = "partial" if len(bigger) == 1 else "ambiguous"
            result.confidence = 0.8 if len(bigger) == 1 else 0.45
            result.reason = (f"{party['name']}: partial payment of {it.doc_no} ({amount} of {it.residual} open)"
                             + ("" if len(bigger) == 1 else f"; {len(bigger)} items could take it"))
            if result.status == "partial":
                self._apply(result, [it], [amount])
            else:
                result.candidates = [[i.item_id] for i in bigger[:5]]
            return
        result.reason = f"{party['name']}: no combination of its {len(pool)} open items makes {amount}"

    def _by_amount(self, result: MatchResult, kind: str, amount: Decimal) -> None:
        """No name: an item or one party's items with exactly this amount, near the line's date."""
        c = self.config
        line = result.line
        near = timedelta(days=c.amount_only_days)

        def close(it: OpenItem) -> bool:
            anchor = it.due if (kind == "ap" and it.due) else it.on
            return abs((line.on - anchor).days) <= near.days

        answers: list[list[OpenItem]] = []
        pools: dict[str, list[OpenItem]] = defaultdict(list)
        for it in self._open(kind, line.entity):
            if close(it) and self._eligible(it, line, kind):
                pools[it.party_id].append(it)
        for pool in pools.values():
            pool = sorted(pool, key=lambda i: i.sort_key)[: c.max_items]
            low, high = amount - c.tolerance, amount + c.tolerance
            if min(i.residual for i in pool) > high or sum((i.residual for i in pool), Decimal(0)) < low:
                continue
            found = subsets(pool, amount, c.tolerance, max_size=c.max_subset, max_nodes=c.max_nodes // 10)
            if len(found) == 1 or (found and _is_prefix(found[0], pool)):
                answers.append(found[0])
            elif found:
                answers.extend(found)
            if len(answers) > 3:
                break
        result.how = "amount"
        if len(answers) == 1:
            chosen = answers[0]
            result.status, result.confidence = "matched", 0.75 if len(chosen) == 1 else 0.65
            result.party = {"kind": kind, "id": chosen[0].party_id, "name": chosen[0].party_name, "score": 0.0}
            result.reason = (f"no payee in the text; the only open "
                             f"{'item' if len(chosen) == 1 else 'items of one party'} for exactly {amount}: "
                             f"{', '.join(i.doc_no for i in chosen)}")
            self._apply(result, chosen)
        elif answers:
            result.status, result.confidence = "ambiguous", 0.3
            result.reason = f"no payee in the text and {len(answers)} open items or groups for {amount}"
            result.candidates = [[i.item_id for i in a] for a in answers]
        else:
            result.reason = f"no payee in the text and no open item for {amount}"


def match_feed(lines: list[FeedLine], cleansed: dict[str, Cleansed], matcher: Matcher) -> dict[str, MatchResult]:
    """Every line, in date order (file order within a day), against the shrinking open items."""
    out: dict[str, MatchResult] = {}
    for line in sorted(lines, key=lambda ln: (ln.on, ln.row)):
        out[line.line_id] = matcher.match(line, cleansed[line.line_id])
    return out
