"""Explain ranked codings: deterministic text always, an LLM re-rank and narrative when configured.

The engine hands over its candidates (already valid and calibrated) and the evidence. The answer is
built from templates filled with evidence facts; if an LLM is configured it may re-order the same
candidates and write the reasoning and narrative, but its answer is used only if it picks among the
candidates by id and every figure it states is grounded. Otherwise the deterministic answer is
returned with ``fallback_reason`` saying why.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from copilot.domain.master import Company
from copilot.domain.suggestions import Evidence, RankedCoding, SuggestionRequest
from copilot.errors import UpstreamError
from copilot.llm import facts as F
from copilot.llm.grounding import allowances
from copilot.llm.prompts import Prompt, PromptRegistry, combine
from copilot.llm.rerank import build_messages, expand_ids, short_ids
from copilot.llm.schemas import AnswerRejected, parse_answer
from copilot.settings import Settings

if TYPE_CHECKING:
    from copilot.llm.gateway import LLMGateway

log = logging.getLogger(__name__)


class Explanation(BaseModel):
    order: list[str]  # candidate DimensionCombination keys, best first (a permutation of a subset)
    reasoning: str  # overall reasoning for the top coding, citing evidence ids/figures
    coding_reasons: dict[str, str]  # key -> one-line reason per candidate
    narrative: str | None = None  # audit narrative, only when amount >= materiality threshold
    generated_by: Literal["deterministic", "llm"] = "deterministic"
    fallback_reason: str | None = None  # why the LLM output was not used
    model: str | None = None
    prompt_version: str
    prompt_hash: str


def is_material(request: SuggestionRequest, threshold: Decimal) -> bool:
    return request.amount is not None and abs(request.amount) >= threshold


class Explainer:
    """Deterministic explanations, optionally re-ranked and written by an LLM (``settings.llm_model``)."""

    def __init__(self, settings: Settings, prompts: PromptRegistry | None = None,
                 gateway: LLMGateway | None = None) -> None:
        self.settings = settings
        self.prompts = prompts or PromptRegistry(settings.prompts_dir)
        if gateway is None and settings.llm_model:
            from copilot.llm.gateway import LLMGateway

            gateway = LLMGateway(settings)
        self.gateway = gateway

    def explain(self, request: SuggestionRequest, codings: list[RankedCoding], evidence: list[Evidence],
                company: Company) -> Explanation:
        codings = _unique(codings)
        if self.gateway is None or not codings:
            return self.deterministic(request, codings, evidence, company)
        return self.with_llm(request, codings, evidence, company)

    # ------------------------------------------------------------ LLM

    def with_llm(self, request: SuggestionRequest, codings: list[RankedCoding], evidence: list[Evidence],
                 company: Company) -> Explanation:
        """Ask the LLM to re-rank and explain; any doubt about its answer means the deterministic one."""
        assert self.gateway is not None
        rerank = self.prompts.get("rerank")
        model = self.gateway.model or "llm"
        material = is_material(request, self.settings.materiality_threshold)
        book = F.build_facts(request, codings, evidence, company, self.prompts.get("reasoning"))
        ids = short_ids(codings)

        def fallback(reason: str) -> Explanation:
            log.info("LLM explanation not used: %s", reason)
            det = self.deterministic(request, codings, evidence, company, extra_prompts=(rerank,))
            return det.model_copy(update={"fallback_reason": reason})

        messages = build_messages(rerank, request, codings, evidence, company, book, material=material,
                                  threshold=self.settings.materiality_threshold)
        try:
            data = self.gateway.complete_json(messages)
        except UpstreamError as exc:
            attempts = getattr(self.gateway, "attempts", 0)
            return fallback(f"{exc.message}" + (f" after {attempts} attempts" if attempts > 1 else ""))
        except Exception as exc:  # noqa: BLE001 - a suggestion must never fail because of its explanation
            log.exception("unexpected LLM failure")
            return fallback(f"{model}: unexpected error {type(exc).__name__}")
        try:
            answer = parse_answer(data, set(ids))
        except AnswerRejected as exc:
            return fallback(f"{model}: answer rejected: {exc}")

        def text(value: str | None) -> str | None:
            return expand_ids(value.strip(), ids, book.labels) if value and value.strip() else None

        reasoning = text(answer.reasoning) or ""
        narrative = text(answer.narrative) if material else None
        if material and narrative is None:
            return fallback(f"{model}: no narrative for a material line")
        det_reasons = F.reasoning_text(book, codings, self.prompts.get("reasoning"))[1]
        reasons = {ids[sid]: text(r) or det_reasons[ids[sid]] for sid, r in answer.reasons.items()}
        reasons = {c.combination.key: reasons.get(c.combination.key, det_reasons[c.combination.key])
                   for c in codings}

        allow = allowances(request, codings, evidence, company, materiality=self.settings.materiality_threshold,
                             review_threshold=self.settings.review_confidence_threshold)
        checked = {"reasoning": reasoning, "narrative": narrative}
        checked.update({f"reason for {sid}": reasons[ids[sid]] for sid in answer.reasons})
        problems = [f"{where}: {p}" for where, value in checked.items() for p in allow.check(value)]
        if problems:
            more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
            return fallback(f"{model}: ungrounded text, using the deterministic explanation: "
                            f"{'; '.join(problems[:3])}{more}")

        # The facts the model was shown, and any reason it did not write, come from the reasoning templates.
        version, digest = combine([rerank, self.prompts.get("reasoning")])
        return Explanation(order=[ids[sid] for sid in answer.ranking], reasoning=reasoning,
                           coding_reasons=reasons, narrative=narrative, generated_by="llm",
                           fallback_reason=None, model=model, prompt_version=version, prompt_hash=digest)

    # ------------------------------------------------------------ deterministic

    def deterministic(self, request: SuggestionRequest, codings: list[RankedCoding], evidence: list[Evidence],
                      company: Company, *, extra_prompts: tuple[Prompt, ...] = ()) -> Explanation:
        reasoning_p = self.prompts.get("reasoning")
        narrative_p = self.prompts.get("narrative")
        book = F.build_facts(request, codings, evidence, company, reasoning_p)
        reasoning, reasons = F.reasoning_text(book, codings, reasoning_p)
        used = [reasoning_p]
        narrative = None
        if codings and is_material(request, self.settings.materiality_threshold):
            narrative = F.narrative_text(request, codings, book, company, narrative_p, reasoning_p,
                                         self.settings.review_confidence_threshold)
            used.append(narrative_p)
        version, digest = combine(used + list(extra_prompts))
        return Explanation(order=[c.combination.key for c in codings], reasoning=reasoning,
                           coding_reasons=reasons, narrative=narrative, generated_by="deterministic",
                           fallback_reason=None, model=None, prompt_version=version, prompt_hash=digest)


    def reasons(self, request: SuggestionRequest, codings: list[RankedCoding], evidence: list[Evidence],
                company: Company) -> Explanation:
        """Only the deterministic one-line reason of each of ``codings``, versioned as deterministic()
        would version the whole explanation (each reason depends on its coding and the evidence alone)."""
        reasoning_p = self.prompts.get("reasoning")
        book = F.build_facts(request, codings, evidence, company, reasoning_p)
        used = [reasoning_p]
        if codings and is_material(request, self.settings.materiality_threshold):
            used.append(self.prompts.get("narrative"))
        version, digest = combine(used)
        return Explanation(order=[c.combination.key for c in codings], reasoning="",
                           coding_reasons=F.coding_reasons(book, codings, reasoning_p), narrative=None,
                           generated_by="deterministic", fallback_reason=None, model=None,
                           prompt_version=version, prompt_hash=digest)


def _unique(codings: list[RankedCoding]) -> list[RankedCoding]:
    """The engine should not send duplicates; if it does, the first (best) one wins."""
    seen: set[str] = set()
    out = []
    for c in codings:
        if c.combination.key not in seen:
            seen.add(c.combination.key)
            out.append(c)
    return out
