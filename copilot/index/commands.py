"""``copilot ingest``: a company directory into the vector store."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from copilot.errors import NotFound


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(
        company: str = typer.Option("demo", "--company", "-c",
                                    help="Company name: reads <data_dir>/companies/<name>/"),
        policies: Path | None = typer.Option(None, "--policies", file_okay=False,
                                             help="Directory of policy *.md files (default: settings.policies_dir "
                                                  "if it has any)"),
        prune: bool = typer.Option(False, "--prune", help="Also delete indexed history lines the directory no "
                                                          "longer has (use with a full export)"),
        train: bool = typer.Option(True, "--train/--no-train",
                                   help="Then fit the company's ranking model (what `copilot suggest` and the "
                                        "API load); same as `copilot train`"),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars"),
    ) -> None:
        """Index a company's GL history, chart of accounts and policies for retrieval, then train.

        Re-running is cheap: unchanged lines are skipped and embeddings come from the cache in <data_dir>/cache.

        The embedded store (the default) is single-process: stop `copilot serve` first, or use a Qdrant server (COPILOT_QDRANT_URL).

        Example: copilot ingest --company demo --policies policies/
        """
        from copilot.formats.company_dir import read_company_dir
        from copilot.index.embeddings import build_embedder
        from copilot.index.ingest import Ingestor
        from copilot.index.store import build_vector_store
        from copilot.settings import get_settings

        settings = get_settings()
        root = settings.company_dir(company)
        if not root.is_dir():
            raise NotFound(f"no company directory at {root} (run `copilot demo init` or put readByQuery "
                           "pages under intacct/<OBJECT>/)")
        if policies is None and settings.policies_dir.is_dir() and any(settings.policies_dir.rglob("*.md")):
            policies = settings.policies_dir
        typer.echo(f"reading {root} ...", err=True)
        data = read_company_dir(root, company)
        typer.echo(f"{len(data.postings):,} postings, {len(data.company.accounts):,} accounts, "
                   f"{len(data.company.entities):,} entities", err=True)
        embedder = build_embedder(settings, progress=progress)
        store = build_vector_store(settings)
        try:
            report = Ingestor(store, embedder, progress=progress).ingest_company(
                company, data.company, data.postings, policies, prune=prune)
            store.close()  # before training: the embedded store is released as soon as it is written
            typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.summary())
            if train:
                from copilot.engine.service import train_company

                # The embedder's caches already hold every posting text: training embeds nothing new.
                train_company(settings, company, data.company, data.postings, embedder,
                              progress=lambda msg: typer.echo(f"train: {msg}", err=True) if progress else None)
                typer.echo(f"trained the ranking model for {company}", err=True)
            prepare = getattr(embedder, "query_encoder", None)
            if prepare is not None:  # export the fast query runtime now, not on the first request served
                typer.echo("short queries: " + ("onnxruntime" if prepare() is not None else "torch"), err=True)
        finally:
            store.close()
            close = getattr(embedder, "close", None)
            if close:
                close()
