"""POST /v1/suggestions: top-3 codings for one draft line or for every line of a journal entry."""

from __future__ import annotations

import datetime as dt
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from copilot.api.auth import Principal, ensure_entity, require
from copilot.api.deps import settings_dep, suggestion_service
from copilot.domain import JournalLine, Suggestion, SuggestionRequest
from copilot.errors import InputError
from copilot.settings import Settings

router = APIRouter(prefix="/v1", tags=["suggestions"])


class DraftLine(BaseModel):
    """A line as the preparer has it so far. Everything is optional except something to go on."""

    vendor: str | None = Field(None, description="Vendor id or name as typed")
    memo: str = Field("", description="Line memo (Intacct GLENTRY DESCRIPTION)", max_length=2000)
    amount: Decimal | None = Field(None, description="Positive amount, decimal string")
    tr_type: int = Field(1, description="1 debit, -1 credit")
    date: dt.date | None = Field(None, description="Posting date (YYYY-MM-DD)")
    account_no: str | None = Field(None, description="Account already typed, if any")
    dims: dict[str, str] = Field(default_factory=dict, description="Dimensions already typed, canonical keys")
    timesheet_project: str | None = Field(None, description="Project code from the employee's timesheet")
    employee: str | None = None
    document: str | None = None


class SuggestionBody(BaseModel):
    company: str | None = Field(None, description="Company name; default settings.default_company")
    entity: str
    line: DraftLine | None = None
    entry: dict[str, Any] | None = Field(
        None, description="A journal entry in Intacct's JSON form (GLBATCH with ENTRIES.GLENTRY[...], "
                          "optionally inside the {\"operation\": ...} envelope)")

    @model_validator(mode="after")
    def _one_of(self) -> "SuggestionBody":
        if (self.line is None) == (self.entry is None):
            raise ValueError("send exactly one of `line` or `entry`")
        return self


class SuggestionsResponse(BaseModel):
    company: str
    entity: str
    suggestions: list[Suggestion]


def line_request(entity: str, line: DraftLine) -> SuggestionRequest:
    return SuggestionRequest(entity=entity, vendor=line.vendor, memo=line.memo, amount=line.amount,
                             tr_type=line.tr_type, entry_date=line.date, account_no=line.account_no,
                             known_dims={k: v for k, v in line.dims.items() if k != "vendor"},
                             timesheet_project=line.timesheet_project,
                             employee=line.employee or line.dims.get("employee"), document=line.document)


def glentry_request(entity: str, line: JournalLine, when: date | None) -> SuggestionRequest:
    """A GLENTRY as typed so far: its vendor, memo, amount; dimensions present are kept fixed.

    The account is not kept fixed: the point of asking is often that it may be wrong.
    """
    dims = dict(line.dims)
    return SuggestionRequest(entity=entity, vendor=dims.pop("vendor", None), memo=line.memo, amount=line.amount,
                             tr_type=line.tr_type, entry_date=line.entry_date or when,
                             employee=dims.get("employee"), known_dims=dims, document=line.extra.get("DOCUMENT"))


@router.post("/suggestions", response_model=SuggestionsResponse,
             responses={401: {"description": "No or unknown API key"},
                        403: {"description": "Role or entity not allowed"},
                        404: {"description": "Unknown company or entity"}, 422: {"description": "Invalid body"}})
def suggest(body: SuggestionBody, settings: Settings = Depends(settings_dep),
            service=Depends(suggestion_service),
            principal: Principal = Depends(require("preparer"))) -> SuggestionsResponse:
    """Top-3 valid, complete codings per line with calibrated confidence, evidence and reasoning.

    Needs a preparer (or admin) key for the entity.
    """
    ensure_entity(principal, body.entity)
    company = body.company or settings.default_company
    if body.line is not None:
        requests = [line_request(body.entity, body.line)]
    else:
        from copilot.formats.intacct_json import parse_journal_json

        entries = parse_journal_json(body.entry, default_date=None)
        requests = [glentry_request(body.entity, ln, e.batch_date) for e in entries for ln in e.lines]
        if not requests:
            raise InputError("the entry has no GLENTRY lines", field="entry")
    return SuggestionsResponse(company=company, entity=body.entity,
                               suggestions=[service.suggest(company, r) for r in requests])
