"""Explanations: deterministic templates, an optional LLM re-rank, prompt versioning and grounding.

Import cost is small; litellm is imported only when an LLM call is actually made.
"""

from copilot.llm.explain import Explainer, Explanation
from copilot.llm.prompts import Prompt, PromptRegistry

__all__ = ["Explainer", "Explanation", "Prompt", "PromptRegistry"]
