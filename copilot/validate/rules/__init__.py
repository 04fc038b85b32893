"""Validation rules. Importing this package registers every rule (see base.py for the registry)."""

from copilot.validate.rules import accounting, anomalies, batch, calendar, duplicates, structure  # noqa: F401
from copilot.validate.rules.base import (BATCH_RULES, CODING_RULES, ENTRY_RULES, LINE_RULES,
                                         LINE_SAFE_ENTRY_RULES, LineView, RuleContext, SessionIndex,
                                         all_rule_ids, entry_lines, posting_line)

__all__ = ["BATCH_RULES", "CODING_RULES", "ENTRY_RULES", "LINE_RULES", "LINE_SAFE_ENTRY_RULES", "LineView",
           "RuleContext", "SessionIndex", "all_rule_ids", "entry_lines", "posting_line"]
