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
from typing import Literal

from pydantic import BaseModel

from copilot.domain.master import Company
from copilot.domain.suggestions import Evidence, RankedCoding, SuggestionRequest
from copilot.llm import facts as F
from copilot.llm.prompts import Prompt, PromptRegistry, combine
from copilot.settings import Settings

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
    def __init__(self, settings: Settings, prompts: PromptRegistry | None = None, gateway=None) -> None:
        self.settings = settings
        self.prompts = prompts or PromptRegistry(settings.prompts_dir)
        self.gateway = gateway

    def explain(self, request: SuggestionRequest, codings: list[RankedCoding], evidence: list[Evidence],
                company: Company) -> Explanation:
        codings = _unique(codings)
        return self.deterministic(request, codings, evidence, company)

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


def _unique(codings: list[RankedCoding]) -> list[RankedCoding]:
    """The engine should not send duplicates; if it does, the first (best) one wins."""
    seen: set[str] = set()
    out = []
    for c in codings:
        if c.combination.key not in seen:
            seen.add(c.combination.key)
            out.append(c)
    return out
