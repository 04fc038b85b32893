"""``copilot demo init``: generate the demo company (Harborview Analytics) into a company directory."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import typer

from copilot.errors import InputError


def register(app: typer.Typer) -> None:
    demo = typer.Typer(help="The demo company: a seeded three-entity ledger with labelled hard cases.",
                       no_args_is_help=True)
    app.add_typer(demo, name="demo")

    @demo.command("init")
    def init(
        seed: int = typer.Option(None, "--seed", help="Random seed; the same seed gives byte-identical output "
                                                      "(default: settings.demo_seed, 7)"),
        out: Path | None = typer.Option(None, "--out", file_okay=False,
                                        help="Company directory to write (default <data_dir>/companies/demo)"),
        months: int = typer.Option(24, "--months", min=1, max=120, help="Months of GL history"),
        start: str = typer.Option("2023-01-01", "--start", help="First month of the history (YYYY-MM-DD)"),
        as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON"),
        progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar"),
    ) -> None:
        """Generate the demo company: 3 entities, ~90 accounts, 300+ vendors, 24 months of GL detail.

        Writes intacct/<OBJECT>/page-NNNN.xml readByQuery pages (GLDETAIL, master data, APBILL, ARINVOICE).

        Writes extras/ with the bank feed, timesheets, intercompany pairs and the anomaly and noise labels (extras/README.md).

        The rules the data follows are the policies in policies/*.md.

        Example: copilot demo init --seed 7 --months 24
        """
        from copilot.demo.generator import STEPS, generate_demo, write_demo
        from copilot.settings import get_settings

        settings = get_settings()
        try:
            first = date.fromisoformat(start)
        except ValueError:
            raise InputError(f"--start must be a date like 2023-01-01, got {start!r}", field="start") from None
        seed = settings.demo_seed if seed is None else seed
        root = out or settings.data_dir / "companies" / "demo"
        t0 = time.perf_counter()
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      disable=not progress, transient=False) as bar:
            task = bar.add_task("generating", total=len(STEPS))

            def step(name: str) -> None:
                bar.update(task, description=f"generating: {name}", advance=0 if name == STEPS[0] else 1)

            demo_company = generate_demo(seed=seed, months=months, start=first, progress=step)
            bar.update(task, description="generated", completed=len(STEPS))
            writing = bar.add_task("writing pages", total=len(demo_company.postings))
            write_demo(demo_company, root, progress=lambda n: bar.advance(writing, n))
        seconds = time.perf_counter() - t0
        manifest = dict(demo_company.manifest, seconds=round(seconds, 1), out=str(root))
        if as_json:
            typer.echo(json.dumps(manifest, indent=2, sort_keys=True))
            return
        c = manifest["counts"]
        typer.echo(f"wrote {root} in {seconds:.1f}s: {c['postings']:,} postings in {c['entries']:,} entries, "
                   f"{c['accounts']} accounts, {c['vendors']} vendors, {c['customers']} customers, "
                   f"{c['employees']} employees, {c['projects']} projects, {c['bank_feed']:,} bank lines, "
                   f"{c['anomaly_labels']} anomaly labels (rate {manifest['anomaly_rate']:.2%}), "
                   f"noise {manifest['noise_rate']:.2%}")

    @demo.command("keys")
    def keys() -> None:
        """Create API keys for the local demo (once) and print them: a US01 preparer, an approver,
        an auditor and an admin. The plain keys are kept in <data_dir>/demo_keys.txt for this demo only;
        real deployments create keys with `copilot keys create`, which stores only their hashes.
        """
        from copilot.review.access import KeyStore
        from copilot.settings import get_settings

        settings = get_settings()
        saved = settings.data_dir / "demo_keys.txt"
        if not saved.exists():
            store = KeyStore(settings.api_keys_path)
            lines = []
            for user, role, entities in (("demo-preparer", "preparer", "US01"), ("demo-approver", "approver", "*"),
                                         ("demo-auditor", "auditor", "*"), ("demo-admin", "admin", "*")):
                secret, _ = store.create(user, role, entities)
                lines.append(f"{role:<9} {entities:<5} {secret}")
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_text("\n".join(lines) + "\n", encoding="utf-8")
        typer.echo(f"demo API keys ({saved}):")
        typer.echo(saved.read_text(encoding="utf-8").rstrip())
