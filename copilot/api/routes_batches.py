"""Batch imports over HTTP: upload an Intacct CSV import file, follow it, download the enriched file.

    POST /v1/batches?company=demo&kind=je   (multipart field ``file``, or a text/csv body)
    GET  /v1/batches/{id}                   status and summary
    GET  /v1/batches/{id}/output            the enriched CSV once done
    POST /v1/batches/{id}/resume            continue a batch whose process stopped

Preparers (and admins) import; preparers, approvers and auditors read. The import runs in the
background (202) unless ``wait=true`` (201 with the final summary): fine for small files and tests.
"""

from __future__ import annotations

import tempfile
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from copilot.api.auth import READERS, SUBMITTERS, Principal, require
from copilot.api.deps import settings_dep, suggestion_service
from copilot.batch.service import BatchService, iter_file
from copilot.errors import InputError

router = APIRouter(prefix="/v1/batches", tags=["batches"])
CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel", "application/octet-stream")


class Batch(BaseModel):
    id: str
    company: str
    kind: str
    status: str = Field(description="running | done | failed")
    filename: str = ""
    submitted_by: str
    created_at: str
    updated_at: str
    summary: dict[str, Any] = Field(description="lines, total, auto_coded, sent_to_review, errors_by_kind, "
                                                "review_reasons, lines_per_s ... (partial while running)")
    error: str | None = None


def batch_service(request: Request) -> BatchService:
    state = request.app.state
    if getattr(state, "batches", None) is None:
        from copilot.review.context import context_for

        ctx = context_for(state, lambda: settings_dep(request))
        state.batches = BatchService(settings_dep(request), ctx.reviews, ctx.db,
                                     suggestions=suggestion_service(request))
    return state.batches


def _public(row: dict[str, Any]) -> Batch:
    return Batch(**{k: v for k, v in row.items() if k != "output_path"})


@router.post("", status_code=202, response_model=Batch, summary="Import a CSV file (JE or AP bill template)",
             responses={201: {"description": "Done (wait=true)"}, 403: {"description": "Not a preparer"},
                        422: {"description": "Malformed file (the problem names the line and field)"}})
async def create(request: Request, response: Response,
                 company: str | None = Query(None, description="Company (default: settings.default_company)"),
                 kind: str = Query("auto", pattern="^(auto|je|apbill)$", description="Template"),
                 entity: str | None = Query(None, description="Entity of lines that name none"),
                 as_of: date | None = Query(None, description="Validate as of this date (default today)"),
                 wait: bool = Query(False, description="Run before answering (small files)"),
                 principal: Principal = Depends(require(*SUBMITTERS)),
                 service: BatchService = Depends(batch_service)) -> Batch:
    """Upload as multipart/form-data (field ``file``) or as the raw CSV body. Every line gets a suggested
    coding, confidence and reason; doubtful lines go to the review queue; the enriched CSV is at
    ``/v1/batches/{id}/output`` when the status is ``done``."""
    settings = settings_dep(request)
    ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    filename = ""
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=20)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InputError("multipart upload without a `file` field", field="file")
        filename = upload.filename or ""
        batch_id = await run_in_threadpool(service.save_upload, iter_file(upload.file))
        await upload.close()
    elif ctype in CSV_TYPES or not ctype:
        with tempfile.SpooledTemporaryFile(max_size=8 << 20) as tmp:  # large bodies spill to disk
            async for block in request.stream():
                tmp.write(block)
            tmp.seek(0)
            batch_id = await run_in_threadpool(service.save_upload, iter_file(tmp))
    else:
        raise InputError(f"send the file as multipart/form-data or text/csv, not {ctype}", field="content-type")
    row = await run_in_threadpool(service.start, batch_id, principal, company=company or settings.default_company,
                                  kind=kind, entity=entity, as_of=as_of, filename=filename, wait=wait)
    if wait and row["status"] == "failed":
        problem = row["summary"].get("problem") or {"type": "https://gl-copilot.dev/problems/copilot-error",
                                                    "title": "CopilotError", "status": 500, "detail": row["error"]}
        return JSONResponse({**problem, "batch_id": batch_id}, status_code=problem.get("status", 500),
                            media_type="application/problem+json")
    if wait:
        response.status_code = 201
    return _public(row)


@router.get("/{batch_id}", response_model=Batch, summary="A batch's status and summary")
def get_batch(batch_id: str, principal: Principal = Depends(require(*READERS)),
              service: BatchService = Depends(batch_service)) -> Batch:
    return _public(service.get(batch_id, principal))


@router.get("/{batch_id}/output", summary="The enriched CSV", response_class=FileResponse,
            responses={409: {"description": "Not done yet"}})
def get_output(batch_id: str, principal: Principal = Depends(require(*READERS)),
               service: BatchService = Depends(batch_service)) -> FileResponse:
    path = service.output(batch_id, principal)
    return FileResponse(path, media_type="text/csv", filename=f"batch-{batch_id}.enriched.csv")


@router.post("/{batch_id}/resume", response_model=Batch, status_code=202, summary="Continue a stopped batch")
def resume(batch_id: str, wait: bool = Query(False), principal: Principal = Depends(require(*SUBMITTERS)),
           service: BatchService = Depends(batch_service)) -> Batch:
    return _public(service.resume(batch_id, principal, wait=wait))
