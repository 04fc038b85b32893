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
    ) -> None:
        """Time-split evaluation: top-1/top-3, per dimension, unseen vendors, ECE, coverage, latency, baselines.

        Example: copilot eval --company demo --test-months 3
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
