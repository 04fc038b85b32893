"""The review loop's learning hook: an approved or corrected coding is learned at once.

``copilot.review`` calls ``build_learner(settings)`` once per process and then the learner for every
approve/edit decision (see copilot/review/context.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable

from copilot.domain import Posting
from copilot.settings import Settings


def correction_posting(learned) -> Posting:
    """A LearnedCoding as a posting of source 'correction' (the human's final coding)."""
    req = learned.request
    dims = dict(learned.final.dims)
    if req.vendor and "vendor" not in dims:
        dims["vendor"] = req.vendor
    return Posting(record_no=f"review-{learned.review_id}", entity=learned.entity,
                   entry_date=req.entry_date or learned.decided_at.date(), journal="REVIEW",
                   account_no=learned.final.account_no, tr_type=req.tr_type,
                   amount=abs(req.amount) if req.amount is not None else Decimal("0.00"), memo=req.memo,
                   dims=dims, document=req.document, source="correction",
                   extra={"decided_by": learned.decided_by, "audit_seq": learned.audit_seq,
                          "action": learned.action})


def fold_correction(model, posting: Posting) -> Posting:
    """Fold a human-approved coding into ``model``'s counts (weighted above history) and return it as
    it is to be indexed: vendor resolved to its id, source "correction".

    The one learning step shared by the live service (SuggestionService.learn, which then indexes the
    point in the vector store) and the learning evaluation (which adds it to an in-memory index), so the
    evaluation measures what the live system does.
    """
    vendor = model.resolve_vendor(posting.dims.get("vendor"))
    update: dict = {"source": "correction"}
    if vendor:
        update["dims"] = {**posting.dims, "vendor": vendor}
    posting = posting.model_copy(update=update)
    model.history.add(posting)
    model.info.pop("_file", None)  # the model no longer equals the file it was loaded from
    return posting


def build_learner(settings: Settings, service=None) -> Callable:
    if service is None:
        from copilot import components

        service = components.suggestion_service(settings)

    def learn(learned) -> None:
        company = getattr(learned, "company", None) or settings.default_company
        service.learn(company, correction_posting(learned))

    return learn
