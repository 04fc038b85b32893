"""Carry the AI's reasoning, confidence and prompt version into the entry Intacct stores.

A reviewer opening the draft in Intacct should see why each line was coded as it was. The note goes
into the line memo (GLENTRY DESCRIPTION, the default) or a custom GLENTRY field, per settings. Lines
say what to write through ``line.extra["ai"]`` (or the entry's ``extra["ai"]`` for every line):
``{"reasoning": str, "confidence": float, "prompt_version": str, "model": str}``; ``note_from_suggestion``
builds that from the engine's Suggestion. Text stays ASCII-safe because the XML request is latin-1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from copilot.domain.entries import JournalEntry, JournalLine
from copilot.domain.suggestions import Suggestion
from copilot.errors import InputError

AI_KEY = "ai"


@dataclass(frozen=True)
class AiNote:
    reasoning: str = ""
    confidence: float | None = None
    prompt_version: str | None = None
    model: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> "AiNote | None":
        if not data:
            return None
        confidence = data.get("confidence")
        if confidence is not None:
            try:
                confidence = float(confidence)
            except (TypeError, ValueError):
                raise InputError(f"AI note confidence must be a number, got {confidence!r}",
                                 field="extra.ai.confidence") from None
            if not 0.0 <= confidence <= 1.0:
                raise InputError("AI note confidence must be between 0 and 1", field="extra.ai.confidence")
        return cls(reasoning=str(data.get("reasoning") or "").strip(), confidence=confidence,
                   prompt_version=data.get("prompt_version") or None, model=data.get("model") or None)

    def as_dict(self) -> dict[str, Any]:
        return {"reasoning": self.reasoning, "confidence": self.confidence,
                "prompt_version": self.prompt_version, "model": self.model}

    def head(self) -> str:
        parts = ["AI"]
        if self.confidence is not None:
            parts.append(f"{round(self.confidence * 100)}%")
        if self.prompt_version:
            parts.append(f"prompt {self.prompt_version}")
        return " ".join(parts)


def note_from_suggestion(suggestion: Suggestion, rank: int = 0) -> AiNote:
    """The note for the coding at ``rank`` (0 = the top suggestion the reviewer accepted)."""
    coding = suggestion.codings[rank] if len(suggestion.codings) > rank else None
    reasoning = (coding.reasoning if coding and coding.reasoning else suggestion.reasoning) or ""
    return AiNote(reasoning=reasoning, confidence=coding.confidence if coding else None,
                  prompt_version=suggestion.prompt_version or None, model=suggestion.model)


def _ascii(text: str) -> str:
    text = " ".join(text.split())
    return text.replace("\u2026", "...").replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")


def _shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut; never return more than ``limit`` characters."""
    if len(text) <= limit:
        return text
    if limit <= 3:
        return ""
    cut = text[: limit - 3]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "..."


def render_note(note: AiNote, limit: int) -> str:
    """``AI 87% prompt coding-v3: <reasoning>`` within ``limit`` characters (reasoning shortened)."""
    head = note.head()
    reasoning = _ascii(note.reasoning)
    if not reasoning:
        return head[:limit]
    room = limit - len(head) - 2
    if room < 12:  # not enough for a useful reason; the head alone still says "AI" and the numbers
        return head[:limit]
    return f"{head}: {_shorten(reasoning, room)}"


def memo_with_note(memo: str, note: AiNote, limit: int) -> str:
    """The preparer's memo first and whole when it fits, then ``[AI ...]`` in what room is left."""
    memo = _ascii(memo)
    if len(memo) >= limit - 10:
        return _shorten(memo, limit)
    if not memo:
        return f"[{render_note(note, limit - 2)}]"
    room = limit - len(memo) - 3
    return f"{memo} [{render_note(note, room)}]"


def annotate_line(line: JournalLine, note: AiNote | None, *, target: str, field: str, limit: int) -> JournalLine:
    extra = {k: v for k, v in line.extra.items() if k != AI_KEY}
    if note is None:
        return line.model_copy(update={"extra": extra}) if AI_KEY in line.extra else line
    if target == "custom_field":
        extra[field] = render_note(note, limit)
        return line.model_copy(update={"extra": extra})
    return line.model_copy(update={"extra": extra, "memo": memo_with_note(line.memo, note, limit)})


def prepare_entry(entry: JournalEntry, *, draft: bool, target: str = "description", field: str = "AI_NOTE",
                  limit: int = 400) -> JournalEntry:
    """A copy of ``entry`` ready to write: STATE Draft (or Posted) and the AI notes rendered."""
    default = AiNote.from_mapping(entry.extra.get(AI_KEY))
    lines = [annotate_line(ln, AiNote.from_mapping(ln.extra.get(AI_KEY)) or default,
                           target=target, field=field, limit=limit) for ln in entry.lines]
    extra = {k: v for k, v in entry.extra.items() if k != AI_KEY}
    return entry.model_copy(update={"lines": lines, "extra": extra, "state": "Draft" if draft else "Posted"})
