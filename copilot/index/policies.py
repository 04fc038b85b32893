"""Policy documents (policies/*.md) -> citable chunks.

llama-index's MarkdownNodeParser splits a file by heading; we then split each section at every line
that starts a clause (``TE-2.1 Client meals ...``, ``- **AP-3** ...``), so one chunk is one clause and
a reason can cite exactly the rule it used. Sections longer than a few hundred tokens are split further
by SentenceSplitter, each piece keeping its clause id. Text before the first clause of a section belongs
to the heading's clause if the heading has one (``## TE-2 Meals``).

Chunk ids are built from the file and the clause (or heading), not from positions, so editing one
clause re-embeds that clause only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from copilot.errors import InputError

# A clause id: 1-6 capital letters (optionally two groups), a dash, dotted numbers: TE-2.1, AP-3, FA-CAP-1.2
CLAUSE_ID = re.compile(r"\b([A-Z]{1,6}(?:-[A-Z]{1,6})?-\d+(?:\.\d+)*)\b")
# A line that starts a clause: optional list marker, emphasis or bracket, then the id.
_CLAUSE_LINE = re.compile(r"^\s*(?:[-*+]\s+|\d+[.)]\s+)?[*_\[(]*([A-Z]{1,6}(?:-[A-Z]{1,6})?-\d+(?:\.\d+)*)\b")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MAX_CHARS = 1500
_SENTENCE = re.compile(r".+?(?:[.!?](?:\s+|$)|$)", re.S)  # a sentence with its trailing space


@dataclass(frozen=True)
class PolicyChunk:
    file: str  # path relative to the policies dir, e.g. "travel.md"
    heading: str  # the nearest heading above the chunk
    clause: str | None  # the clause this chunk states, e.g. "TE-2.1"
    clause_ids: tuple[str, ...]  # every clause id the chunk states (primary first)
    text: str
    chunk_id: str  # stable: file + clause/heading (+ ~n for pieces)

    @property
    def embed_text(self) -> str:
        return f"{self.heading}\n{self.text}" if self.heading and self.heading not in self.text else self.text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "section"


def _split_clauses(body: str, heading_clause: str | None) -> list[tuple[str | None, str]]:
    """[(clause id, text)] in order; lines before the first clause line go to the heading's clause."""
    segments: list[tuple[str | None, list[str]]] = [(heading_clause, [])]
    for line in body.splitlines():
        m = _CLAUSE_LINE.match(line)
        if m:
            segments.append((m.group(1), [line]))
        else:
            segments[-1][1].append(line)
    return [(cid, "\n".join(lines).strip()) for cid, lines in segments if "\n".join(lines).strip()]


def _pieces(text: str) -> list[str]:
    if len(text) <= _MAX_CHARS:
        return [text]
    from llama_index.core.node_parser import SentenceSplitter

    # Word counts and a regex sentence splitter rather than the defaults (tiktoken and NLTK punkt):
    # importing those costs seconds to tens of seconds, and a clause only needs to stay well inside
    # the embedding model's 256-token window.
    return SentenceSplitter(chunk_size=180, chunk_overlap=20, tokenizer=str.split,
                            chunking_tokenizer_fn=_SENTENCE.findall).split_text(text)


def chunk_markdown(text: str, file: str) -> list[PolicyChunk]:
    """Chunks of one markdown document (``file`` is used for ids and citations only)."""
    from llama_index.core import Document
    from llama_index.core.node_parser import MarkdownNodeParser

    nodes = MarkdownNodeParser().get_nodes_from_documents([Document(text=text)])
    chunks: list[PolicyChunk] = []
    used: dict[str, int] = {}
    title = Path(file).stem.replace("_", " ").replace("-", " ")
    for node in nodes:
        content = node.get_content()
        first, _, rest = content.partition("\n")
        m = _HEADING.match(first)
        if m:
            heading, body = m.group(1).strip(), rest
        else:
            path = [p for p in str(node.metadata.get("header_path", "")).split("/") if p]
            heading, body = (path[-1] if path else title), content
        hm = CLAUSE_ID.match(heading)
        heading_clause = hm.group(1) if hm else None
        for clause, seg in _split_clauses(body, heading_clause):
            stated = [clause] if clause else []
            stated += [c.group(1) for line in seg.splitlines() if (c := _CLAUSE_LINE.match(line))]
            clause_ids = tuple(dict.fromkeys(stated))
            base = f"{file}#{clause or _slug(heading)}"
            for piece in _pieces(seg):
                n = used.get(base, 0)
                used[base] = n + 1
                chunks.append(PolicyChunk(file=file, heading=heading, clause=clause, clause_ids=clause_ids,
                                          text=piece.strip(), chunk_id=base if n == 0 else f"{base}~{n}"))
    return chunks


def chunk_policies(policies_dir: Path) -> list[PolicyChunk]:
    """Chunks of every ``*.md`` under ``policies_dir`` (sorted, so ids and order are reproducible)."""
    policies_dir = Path(policies_dir)
    if not policies_dir.is_dir():
        raise InputError(f"policies directory not found: {policies_dir}")
    out: list[PolicyChunk] = []
    for path in sorted(policies_dir.rglob("*.md")):
        rel = path.relative_to(policies_dir).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{rel}: not UTF-8 text ({exc.reason})") from None
        if text.strip():
            out.extend(chunk_markdown(text, rel))
    return out
