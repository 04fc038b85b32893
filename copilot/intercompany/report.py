"""A reconciliation as Markdown: the summary, every mismatch with its reasons, the pairs, the eliminations."""

from __future__ import annotations

from copilot.intercompany.models import Finding, Reconciliation, Side


def _side(s: Side | None) -> str:
    if s is None:
        return "—"
    return f"{s.entity} {s.account} {s.currency} {s.amount:,.2f} on {s.date} ({s.batch})"


def _row(f: Finding) -> str:
    diff = f"{f.difference:,.2f}" if f.difference is not None else ""
    ref = f.a.reference or ""
    return f"| {f.id} | {f.status} | {ref} | {_side(f.a)} | {_side(f.b)} | {diff} | {f.matched_by} |"


def render(rec: Reconciliation) -> str:
    s = rec.summary
    by = ", ".join(f"{k} {v}" for k, v in s["by_status"].items()) or "nothing found"
    out = [f"# Intercompany reconciliation — {rec.company} {rec.period}", "",
           f"- Compared in {rec.base_currency}, tolerance {rec.base_currency} {rec.tolerance:,.2f}, other side sought "
           f"within {rec.window_days} days, references {'used' if rec.use_reference else 'ignored'}; rates: "
           f"{rec.rates_source or 'none'}",
           f"- Findings: {s['findings']} ({by}); eliminations proposed: {s['eliminations']}", ""]
    out += [f"- Note: {n}" for n in rec.notes]
    if rec.notes:
        out.append("")
    mism = rec.mismatches
    if mism:
        out += ["## Mismatches", ""]
        for f in mism:
            out.append(f"- **{f.id} {f.status}** {f.a.reference or ''}")
            out += [f"  - {r.code}: {r.detail}" for r in f.reasons]
        out.append("")
    header = ["| finding | status | reference | side A | side B | difference | matched by |",
              "|---|---|---|---|---|---:|---|"]
    out += ["## All findings", "", *header, *[_row(f) for f in rec.findings], ""]
    if rec.eliminations:
        out += ["## Proposed eliminations", "", "| finding | entity | journal | lines | debits | credits | problems |",
                "|---|---|---|---:|---:|---:|---|"]
        for e in rec.eliminations:
            en = e.entry
            out.append(f"| {e.finding} | {en.entity} | {en.journal} | {len(en.lines)} | {en.debits:,.2f} | "
                       f"{en.credits:,.2f} | {'; '.join(e.problems)} |")
        out.append("")
    return "\n".join(out)
