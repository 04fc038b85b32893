"""Batch-level rules: tests that only mean something over many lines at once."""

from __future__ import annotations

from decimal import Decimal
from typing import Iterator

from copilot.validate.benford import benford_test
from copilot.validate.findings import Finding
from copilot.validate.policy import RuleConfig
from copilot.validate.rules.base import LineView, RuleContext, batch_rule


@batch_rule("batch.benford")
def benford(lines: list[LineView], ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    """First digits of the batch's amounts against Benford's law (chi-square p-value and MAD)."""
    result = benford_test((ln.amount for ln in lines), min_amount=Decimal(str(cfg.param("min_amount"))))
    if result.n < int(cfg.param("min_sample")):
        return
    p_limit, mad_limit = float(cfg.param("p_value")), float(cfg.param("mad_threshold"))
    if result.p_value < p_limit and result.mad > mad_limit:
        yield ctx.finding(cfg, f"first digits of {result.n} amounts depart from Benford's law "
                               f"(chi-square p={result.p_value:.2g}, MAD {result.mad:.4f}: {result.conformity})",
                          **result.as_evidence())
