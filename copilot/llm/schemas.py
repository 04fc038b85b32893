"""The only answer shape we accept from the LLM.

The model ranks candidates by short id (C1, C2, ...), never by code, so whatever it writes it cannot
add an account or a dimension value. Anything else (unknown ids, duplicates, extra fields, wrong
types) rejects the whole answer: a half-valid answer is not one we want to explain to an auditor.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator


class AnswerRejected(Exception):
    """The LLM answer does not fit the schema or names something that is not a candidate."""


class LLMAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    ranking: list[str] = Field(min_length=1)
    reasoning: str = Field(min_length=1, max_length=4000)
    reasons: dict[str, str] = Field(default_factory=dict)
    narrative: str | None = Field(default=None, max_length=6000)

    @field_validator("ranking")
    @classmethod
    def _ranking(cls, value: list[str], info: ValidationInfo) -> list[str]:
        allowed = (info.context or {}).get("candidates", set())
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ValueError(f"ranks {', '.join(map(repr, unknown))}, which is not a candidate "
                             f"(candidates: {', '.join(sorted(allowed))})")
        if len(set(value)) != len(value):
            raise ValueError("ranks the same candidate twice")
        return value

    @field_validator("reasons")
    @classmethod
    def _reasons(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        allowed = (info.context or {}).get("candidates", set())
        unknown = [k for k in value if k not in allowed]
        if unknown:
            raise ValueError(f"gives a reason for {', '.join(map(repr, unknown))}, which is not a candidate")
        return value


def parse_answer(data: object, candidate_ids: set[str]) -> LLMAnswer:
    """Validate against the schema and the candidate ids; raise AnswerRejected with a short reason."""
    try:
        return LLMAnswer.model_validate(data, context={"candidates": candidate_ids})
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:3]:
            where = ".".join(str(p) for p in err["loc"]) or "answer"
            parts.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        raise AnswerRejected("; ".join(parts)) from None
