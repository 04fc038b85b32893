"""``copilot company import-csv``: a company's history from any CSV ledger export plus a mapping.

The command joins the ``company`` group of copilot.formats.commands when that group is registered
first (it is, in COMMAND_MODULES); otherwise it stands alone as ``copilot import-ledger``.
"""

from __future__ import annotations

import time
from pathlib import Path

import typer

def import_csv(name: str, file: Path, mapping_file: Path, *, skip_bad_rows: bool = False,
               member: str | None = None, replace: bool = False, show_bad: int = 10) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    from copilot.errors import Conflict
    from copilot.ledger_import.mapping import load_mapping
    from copilot.ledger_import.service import company_path, import_ledger_file, master_counts
    from copilot.settings import get_settings

    target = company_path(get_settings().data_dir, name)
    if (target / "intacct").exists() and not replace:  # before reading a large file for nothing
        raise Conflict(f"company {name!r} already exists at {target}; pass --replace to overwrite it")
    mapping = load_mapping(mapping_file)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
               TextColumn("{task.fields[rows]:>10,} rows  {task.fields[rate]:>7,.0f} rows/s"),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(f"importing {file.name}", total=None, rows=0, rate=0.0)
        started = time.perf_counter()

        def on_progress(rows: int, done: int, total: int | None) -> None:
            elapsed = time.perf_counter() - started
            progress.update(task, completed=done, total=total, rows=rows,
                            rate=rows / elapsed if elapsed > 0 else 0.0)

        result = import_ledger_file(
            file, mapping, target, member=member, skip_bad_rows=skip_bad_rows, replace=replace,
            fail_hint=" (fix the row, or pass --skip-bad-rows to import the others)",
            progress=on_progress, mapping_file=mapping_file)
    report = result.report
    rate = report.rows_read / result.seconds if result.seconds > 0 else 0.0
    typer.echo(f"{report.rows_read:,} rows in {result.seconds:.2f}s ({rate:,.0f} rows/s): "
               f"{report.imported:,} imported, {sum(report.filtered.values()):,} filtered out, "
               f"{report.bad_rows:,} bad")
    for reason, count in report.filtered.most_common():
        typer.echo(f"  filtered ({reason}): {count:,}")
    if report.bad_rows:
        typer.echo(f"skipped {report.bad_rows:,} bad rows; problems per column:")
        for column, count in report.bad_by_field.most_common():
            typer.echo(f"  {column}: {count:,}")
        for bad in report.rejects[:show_bad]:
            typer.echo(f"  line {bad.line}, field {bad.field}: {bad.message}")
        if report.incomplete_entries:
            typer.echo(f"  {report.incomplete_entries:,} entries lost some of their lines to bad rows")
        typer.echo(f"skipped rows are listed in {target / 'extras' / 'ledger_import_rejects.csv'}")
    for note in report.notes:
        typer.echo(f"note: {note}")
    counts = master_counts(result.company)
    typer.echo("master data: " + (", ".join(f"{n:,} {k}" for k, n in counts.items()) or "none"))
    typer.echo(f"imported into {target}")


def _command(
    name: str = typer.Argument(..., help="Name for the company (a folder under data_dir/companies)."),
    file: Path = typer.Option(..., "--file", "-f", exists=True, dir_okay=False,
                              help="The ledger: a .csv, a .zip holding one (read in place) or a .csv.gz."),
    mapping: Path = typer.Option(..., "--mapping", "-m", exists=True, dir_okay=False,
                                 help="YAML mapping of columns to date, amount, account, dimensions... "
                                      "(see mappings/*.yaml)."),
    skip_bad_rows: bool = typer.Option(False, "--skip-bad-rows",
                                       help="Skip rows that cannot be read, count them per column and list "
                                            "them in extras/ledger_import_rejects.csv, instead of stopping "
                                            "at the first one."),
    member: str = typer.Option(None, "--member", help="Which file of a .zip holding several."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite a company of the same name."),
    show_bad: int = typer.Option(10, "--show-bad", min=0, help="How many bad rows to print."),
) -> None:
    """Import a company's GL history from a CSV ledger export, through a column mapping.

    Every row becomes one GL posting (lines as the file holds them; no balancing line is invented).
    Accounts, dimension values, vendors and entities are derived from the distinct codes and titles
    seen. The company is written as Intacct readByQuery pages, like `copilot company import`, so
    every later step treats it exactly like an Intacct company. A bad row stops the import with its
    line and column unless --skip-bad-rows is given.

    Example: copilot company import-csv calderdale --mapping mappings/calderdale_pcard.yaml
    --file ../shared/data/calderdale_pcard/calderdale_pcard_2014-10_2022-08.csv.zip
    """
    import_csv(name, file, mapping, skip_bad_rows=skip_bad_rows, member=member, replace=replace,
               show_bad=show_bad)


def register(app: typer.Typer) -> None:
    for group in app.registered_groups:
        if group.name == "company" and group.typer_instance is not None:
            group.typer_instance.command("import-csv")(_command)
            return
    app.command("import-ledger")(_command)
