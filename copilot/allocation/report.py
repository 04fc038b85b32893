"""An allocation result as Markdown for people: what was split, on what basis, and what to look at."""

from __future__ import annotations

from copilot.allocation.allocate import AllocationResult


def render(r: AllocationResult) -> str:
    dr, cr = r.entry.debits, r.entry.credits
    out = [f"# Allocation {r.rule} ({r.clause or 'no clause'}) — {r.company} {r.entity} {r.period}", "",
           f"- Pool: {r.currency} {r.pool_total:,.2f} from {r.pool_lines} GL line(s)" if r.pool_lines else
           f"- Pool: {r.currency} {r.pool_total:,.2f} (explicit amount)",
           f"- Basis: {r.basis} by {r.target_dimension}; drivers: {r.driver_source}",
           f"- Entry: {r.entry.journal} '{r.entry.batch_title}' dated {r.entry.batch_date:%m/%d/%Y}, "
           f"{len(r.entry.lines)} lines, debits {dr:,.2f} = credits {cr:,.2f}",
           f"- Ready to post: {'yes' if r.ready else 'NO'}", ""]
    for note in r.notes:
        out.append(f"- Note: {note}")
    if r.notes:
        out.append("")
    out += [f"| {r.target_dimension} | name | driver | share | amount |", "|---|---|---:|---:|---:|"]
    for t in r.targets:
        out.append(f"| {t.code} | {t.name} | {t.driver} | {t.share:.4%} | {t.amount:,.2f} |")
    out.append("")
    if r.problems:
        out += ["## Intacct would refuse", *[f"- {p}" for p in r.problems], ""]
    if r.flags:
        out += ["## Flags before posting", *[f"- {f}" for f in r.flags], ""]
    if r.budget:
        out += ["## Budgets", "| project | budget | spent to date | this allocation | after | status |",
                "|---|---:|---:|---:|---:|---|"]
        for b in r.budget:
            budget = f"{b.budget:,.2f}" if b.budget is not None else "none"
            out.append(f"| {b.project} | {budget} | {b.spent_to_date:,.2f} | {b.allocated:,.2f} | {b.after:,.2f} "
                       f"| {b.status} |")
        out.append("")
    if r.history:
        out += ["## Against the historical pattern", "| target | share now | average before | points | flagged |",
                "|---|---:|---:|---:|---|"]
        for h in r.history:
            hist = f"{h.historical_share:.2%}" if h.historical_share is not None else "-"
            dev = f"{h.deviation * 100:+.1f}" if h.deviation is not None else "-"
            out.append(f"| {h.code} | {h.share:.2%} | {hist} | {dev} | {'yes' if h.flagged else ''} |")
        out.append("")
    return "\n".join(out)
