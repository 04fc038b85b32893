"""`copilot eval`: evaluate the engine and its baselines on any imported company."""

from __future__ import annotations

from datetime import date
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_company(
        company: str = typer.Option("demo", help="Company name under data_dir/companies/"),
        split_date: Optional[str] = typer.Option(None, help="Test on lines from this date (YYYY-MM-DD) on"),
        test_months: int = typer.Option(3, help="Test on the last N months (when no --split-date)"),
        max_test: Optional[int] = typer.Option(None, help="Sample at most this many test lines (seeded)"),
        latency_sample: int = typer.Option(300, help="Full suggestions timed for the latency figures"),
        scope: str = typer.Option("pnl", help="pnl = income-statement lines (what preparers code); all = every line"),
        write: bool = typer.Option(True, help="Write the section into eval/RESULTS.md"),
        replay: bool = typer.Option(False, "--replay", help="Learning evaluation instead: replay the test period "
                                    "as a stream of reviewed lines, a static engine against one that learns from "
                                    "each line (section learning-<company>). --max-test scores a sample; every "
                                    "line is still fed back"),
        window_days: int = typer.Option(7, help="--replay: report accuracy per window of this many days"),
        per_line: bool = typer.Option(False, "--per-line", help="--replay: teach each line before the next is "
                                      "suggested (default: entry by entry, as a review queue is worked)"),
    ) -> None:
        """Time-split evaluation: top-1/top-3, per dimension, unseen vendors, ECE, coverage, latency, baselines.

        Example: copilot eval --company demo --test-months 3
        Learning:  copilot eval --company demo --test-months 3 --replay --max-test 3000
        """
        import time

        from rich.console import Console

        from copilot.engine.service import company_root
        from copilot.errors import InputError, NotFound
        from copilot.evaluation.engine_eval import evaluate, render
        from copilot.evaluation.results import write_section
        from copilot.formats.company_dir import read_company_dir
        from copilot.index.embeddings import build_embedder
        from copilot.llm.explain import Explainer
        from copilot.settings import get_settings

        settings = get_settings()
        root = company_root(settings, company)
        if not root.exists():
            raise NotFound(f"no company {company!r} under {root.parent}")
        try:
            cut = date.fromisoformat(split_date) if split_date else None
        except ValueError:
            raise InputError(f"--split-date must be YYYY-MM-DD, got {split_date!r}") from None
        con = Console(stderr=True)
        started = time.perf_counter()
        args = f"--company {company}" + (f" --split-date {split_date}" if split_date else f" --test-months {test_months}")
        args += f" --max-test {max_test}" if max_test else ""
        args += f" --scope {scope}" if scope != "pnl" else ""
        if window_days < 1:
            raise InputError(f"--window-days must be at least 1, got {window_days}", field="window_days")
        if replay:
            args += " --replay" + (f" --window-days {window_days}" if window_days != 7 else "") + \
                (" --per-line" if per_line else "")
            _replay(settings, company, root, con, cut=cut, test_months=test_months, max_test=max_test, scope=scope,
                    window_days=window_days, per_line=per_line, write=write, command=f"copilot eval {args}", started=started)
            return

        def publish(report) -> None:
            # Written after the engine and again after each baseline: a long baseline never holds back
            # (or loses) the engine's figures.
            md = render(report)
            if len(report.baselines) < 3:
                md += "\n- Baselines still running when this section was written: " \
                      f"{len(report.baselines)} of 3 finished."
            if write:
                write_section(f"engine-{company}", md, command=f"copilot eval {args}")

        with con.status("reading the company") as status:
            data = read_company_dir(root, company)
            embedder = build_embedder(settings, progress=True)
            from copilot.engine.timesheets import load_timesheets

            report = evaluate(company, data.company, data.postings, embedder.embed, split_date=cut,
                              test_months=test_months, max_test=max_test, latency_sample=latency_sample,
                              explainer=Explainer(settings), progress=lambda m: (status.update(m), con.log(m)),
                              timesheets=load_timesheets(root), scope=scope, on_engine_done=publish)
        print(render(report))
        if write:
            con.print(f"[green]written[/] eval/RESULTS.md section engine-{company} "
                      f"({time.perf_counter() - started:.0f} s)")


def _replay(settings, company: str, root, con, *, cut, test_months: int, max_test, scope: str, window_days: int,
            per_line: bool = False, write: bool, command: str, started: float) -> None:
    import time

    from copilot.engine.timesheets import load_timesheets
    from copilot.evaluation.learning_eval import render, replay
    from copilot.evaluation.results import write_section
    from copilot.formats.company_dir import read_company_dir
    from copilot.index.embeddings import build_embedder

    with con.status("reading the company") as status:
        data = read_company_dir(root, company)
        embedder = build_embedder(settings, progress=True)
        report = replay(company, data.company, data.postings, embedder.embed, split_date=cut,
                        test_months=test_months, max_test=max_test, timesheets=load_timesheets(root), scope=scope,
                        window_days=window_days, per_line=per_line, progress=lambda m: (status.update(m), con.log(m)))
    md = render(report)
    print(md)
    if write:
        write_section(f"learning-{company}", md, command=command)
        con.print(f"[green]written[/] eval/RESULTS.md section learning-{company} "
                  f"({time.perf_counter() - started:.0f} s)")
