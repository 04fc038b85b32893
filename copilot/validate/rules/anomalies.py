"""History-based detectors: rare values, never-seen combinations, amount outliers, project patterns.

Each compares the line with the HistoryProfile. A line that is itself part of the profile (monitor,
evaluation) is scored leave-one-out, so it cannot vouch for itself.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Iterator

from copilot.domain import JournalEntry
from copilot.validate.findings import Finding
from copilot.validate.policy import RuleConfig
from copilot.validate.profile import amount_group, line_pairs
from copilot.validate.rules.base import LineView, RuleContext, entry_rule, line_rule


def _count(ctx: RuleContext, attribute: str, value: str, ln: LineView) -> int:
    c = ctx.profile.count(attribute, value)  # type: ignore[union-attr]
    return c - 1 if ln.in_history and c > 0 else c


@line_rule("anomaly.rare_value", coding=True)
def rare_value(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    """A single value (account, department, vendor...) the company has almost never used: global anomaly."""
    prof = ctx.profile
    if prof is None or prof.n < int(cfg.param("min_history")):
        return
    max_count = int(cfg.param("max_count"))
    watched = set(cfg.param("attributes"))
    for attr, value in {"account": ln.account_no, **ln.dims}.items():
        if attr not in watched:
            continue
        c = _count(ctx, attr, value, ln)
        if c <= max_count:
            seen = "never been used" if c == 0 else f"been used only {c} time{'s' if c != 1 else ''}"
            yield ctx.finding(cfg, f"{attr} {value} has {seen} in {prof.n} historical lines", ln,
                              attribute=attr, value=value, count=c, history_lines=prof.n)


@line_rule("anomaly.rare_combination", coding=True)
def rare_combination(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    """Each value common, the combination rare or never seen (e.g. a usual vendor on an account it never
    uses): a local anomaly."""
    prof = ctx.profile
    if prof is None:
        return
    watched = set(cfg.param("pairs"))
    max_count = int(cfg.param("max_count"))
    min_context = int(cfg.param("min_context_lines"))
    min_value = int(cfg.param("min_value_count"))
    for key, ctx_value, value in line_pairs(ln.account_no, ln.dims, ln.entity):
        if key not in watched:
            continue
        context, target = key.split(">", 1)
        dist = prof.distribution(target, context, ctx_value)
        n_context = dist.total - (1 if ln.in_history and dist.counts.get(value) else 0)
        if n_context < min_context or _count(ctx, target, value, ln) < min_value:
            continue  # too little history to judge, or the value itself is rare (anomaly.rare_value)
        c = dist.counts.get(value, 0) - (1 if ln.in_history and dist.counts.get(value) else 0)
        if c > max_count:
            continue
        ranked = prof.top_values(context, ctx_value, target, 4)
        if ln.in_history:  # the line's own use does not make its value usual
            ranked = [(v, n - 1 if v == value else n) for v, n in ranked]
        usual = [{"value": v, "count": n} for v, n in sorted(ranked, key=lambda x: -x[1]) if n > 0][:3]
        seen = "never" if c == 0 else f"only {c} time{'s' if c != 1 else ''}"
        yield ctx.finding(cfg, f"{context} {ctx_value} has carried {target} {value} {seen} in {n_context} "
                               f"lines (usually {', '.join(u['value'] for u in usual)})", ln,
                          pair=key, context_value=ctx_value, value=value, count=c, context_lines=n_context,
                          usual=usual)


@line_rule("anomaly.amount_outlier")
def amount_outlier(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    """Robust z-score of log10(amount) against the account's and the vendor+account's history (same side).
    By default only amounts far *above* the usual count: a decimal slip or an inflated invoice."""
    prof = ctx.profile
    if prof is None or ln.amount <= 0:
        return
    threshold = float(cfg.param("z_threshold"))
    min_samples = int(cfg.param("min_samples"))
    floor = float(cfg.param("mad_floor"))
    both = str(cfg.param("direction")) == "both"
    labels = {"account": "account", "vendor": "vendor", "vendor_account": "vendor+account"}
    worst = None
    for kind in cfg.param("groups"):
        if kind != "account" and not ln.vendor:
            continue
        stats = prof.amount_stats(amount_group(kind, account=ln.account_no, vendor=ln.vendor, tr_type=ln.tr_type))
        if stats is None or stats.n - (1 if ln.in_history else 0) < min_samples:
            continue
        z = stats.z(ln.amount, floor)
        if (abs(z) if both else z) >= threshold and (worst is None or abs(z) > abs(worst[1])):
            worst = (labels.get(kind, kind), z, stats)
    if worst is not None:
        label, z, stats = worst
        typical = Decimal(str(round(10 ** stats.median, 2)))
        direction = "above" if z > 0 else "below"
        yield ctx.finding(cfg, f"amount {ln.amount} is far {direction} what this {label} usually carries "
                               f"(median {typical}, robust z {z:.1f} over {stats.n} lines)", ln,
                          group=label, z=round(z, 2), median=typical, history_lines=stats.n,
                          threshold=threshold)


# --- project cost patterns ------------------------------------------------------------------------


@line_rule("project.unusual_account", coding=True)
def project_unusual_account(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    """A project with a history charged on an account it has (almost) never carried, and which projects in
    general rarely carry: e.g. a marketing cost on a client delivery project."""
    project = ln.dims.get("project")
    prof = ctx.profile
    if prof is None or not project:
        return
    dist = prof.distribution("account", "project", project)
    own = 1 if ln.in_history else 0
    n_project = dist.total - own
    count = dist.counts.get(ln.account_no, 0) - (own if dist.counts.get(ln.account_no) else 0)
    if n_project < int(cfg.param("min_project_lines")) or count > int(cfg.param("max_count")):
        return
    # How common is this account on project-coded lines at all (every project together)?
    per_account, total = prof.project_account_totals()
    share_all = (per_account.get(ln.account_no, 0) - own) / max(1, total - own)
    if share_all >= float(cfg.param("max_account_share")):
        return
    usual = [{"account_no": a, "lines": c} for a, c in prof.top_values("project", project, "account")]
    yield ctx.finding(cfg, f"project {project} has never carried account {ln.account_no} in {n_project} lines "
                           f"(usually {', '.join(u['account_no'] for u in usual)}); {share_all:.1%} of all "
                           "project lines use it", ln, project=project, account_no=ln.account_no, count=count,
                      project_lines=n_project, account_share_on_projects=round(share_all, 4), usual=usual)


@entry_rule("project.allocation_split")
def allocation_split(entry: JournalEntry | None, lines: list[LineView], ctx: RuleContext, cfg: RuleConfig
                     ) -> Iterator[Finding]:
    """One cost (same account, side and memo) spread over several projects in proportions unlike that
    account's history on those projects (separate items, e.g. trips on different projects, are not a split)."""
    if ctx.profile is None:
        return
    by_cost: dict[tuple[str, int, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for ln in lines:
        if ln.dims.get("project"):
            by_cost[(ln.account_no, ln.tr_type, " ".join(ln.memo.lower().split()))][ln.dims["project"]] += ln.amount
    max_dev = float(cfg.param("max_deviation"))
    min_hist = Decimal(str(cfg.param("min_history_amount")))
    for (account, _side, _memo), split in sorted(by_cost.items()):
        if len(split) < 2:
            continue
        hist = {p: ctx.profile.project_amounts.get(p, {}).get(account, [Decimal("0")])[0] for p in split}
        if any(ln.in_history for ln in lines):  # leave this entry's own amounts out of the history
            hist = {p: max(hist[p] - split[p], Decimal("0")) for p in split}
        hist_total, now_total = sum(hist.values()), sum(split.values())
        if hist_total < min_hist or now_total == 0:
            continue
        now = {p: float(a / now_total) for p, a in split.items()}
        usual = {p: float(a / hist_total) for p, a in hist.items()}
        deviation = 0.5 * sum(abs(now[p] - usual[p]) for p in split)  # total variation distance
        if deviation > max_dev:
            yield ctx.finding(cfg, f"account {account} is split across projects {', '.join(sorted(split))} "
                                   f"unlike their usual shares (deviation {deviation:.0%})",
                              entry_index=lines[0].entry_index, account_no=account,
                              split={p: round(v, 4) for p, v in now.items()},
                              usual={p: round(v, 4) for p, v in usual.items()}, deviation=round(deviation, 4))


@line_rule("project.over_budget")
def over_budget(ln: LineView, ctx: RuleContext, cfg: RuleConfig) -> Iterator[Finding]:
    """Costs to date on the project's expense accounts plus this line exceed its budget."""
    project_id = ln.dims.get("project")
    company = ctx.company
    project = company.projects.get(project_id) if company and project_id else None
    if project is None or project.budget is None or ctx.profile is None or ln.in_history:
        return
    acct = company.accounts.get(ln.account_no)  # type: ignore[union-attr]
    if acct is None or acct.account_type.lower().replace(" ", "") != "incomestatement" or \
            acct.normal_balance.lower() != "debit":
        return
    spent = Decimal("0")
    for account_no, (_gross, net) in ctx.profile.project_amounts.get(project.project_id, {}).items():
        a = company.accounts.get(account_no)  # type: ignore[union-attr]
        if a is not None and a.account_type.lower().replace(" ", "") == "incomestatement" and \
                a.normal_balance.lower() == "debit":
            spent += net
    after = spent + ln.amount * ln.tr_type
    limit = project.budget * (1 + Decimal(str(cfg.param("tolerance_pct"))) / 100)
    if after > limit and ln.tr_type == 1:
        yield ctx.finding(cfg, f"project {project.project_id} would reach {after:.2f} against a budget of "
                               f"{project.budget}", ln, project=project.project_id, spent=spent.quantize(Decimal("0.01")),
                          after=after.quantize(Decimal("0.01")), budget=project.budget)
