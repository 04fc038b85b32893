"""Kept for scripts run from the repository root; the writer lives in copilot.evaluation.results."""

from copilot.evaluation.results import RESULTS, write_section  # noqa: F401
