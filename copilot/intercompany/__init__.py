"""Intercompany reconciliation: pair due-from / due-to entries across entities, explain every mismatch,
propose balanced elimination entries.

Read in this order: config (policies/intercompany_rules.yaml), accounts (which accounts are
intercompany and whom they face), fx (the group's rate table), matching (items, pairs, reasons),
eliminate (entries), service (I/O) and report (Markdown).
"""
