"""``copilot company ...``: bring an Intacct export into the data directory and list what is there."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import typer

from copilot.errors import Conflict, InputError

def _companies_dir() -> Path:
    from copilot.settings import get_settings

    return get_settings().data_dir / "companies"


def _check_name(name: str) -> str:
    from copilot.settings import check_company_name

    return check_company_name(name)


def import_company(name: str, source: Path, *, replace: bool = False) -> None:
    """Read every page of ``source`` (so a broken export fails before anything is copied), show
    counts and speed, then copy the pages to data_dir/companies/NAME/intacct/."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from copilot.formats.company_dir import intacct_dir, object_names, page_files, read_company_dir

    _check_name(name)
    src = intacct_dir(source)
    objects = object_names(src)
    if not objects:
        raise InputError(f"{source}: no <OBJECT>/page-*.xml pages found (expected readByQuery "
                         "response pages, e.g. GLACCOUNT/page-0001.xml)", field="--intacct-xml")
    dest = _companies_dir() / name / "intacct"
    same = dest.exists() and dest.resolve() == src.resolve()
    if dest.exists() and not replace and not same:
        raise Conflict(f"company {name!r} already exists at {dest.parent}; pass --replace to overwrite")

    console = Console(stderr=True)
    pages = sum(len(page_files(src, obj)) for obj in objects)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("reading pages", total=pages)

        def on_page(obj: str, path: Path, rows: int) -> None:
            progress.update(task, advance=1, description=f"reading {obj}")

        started = time.perf_counter()
        data = read_company_dir(src, name, on_page=on_page, keep_postings=False)
        elapsed = time.perf_counter() - started

    table = Table(title=f"company {name}")
    table.add_column("object")
    table.add_column("rows", justify="right")
    for obj in sorted(data.counts):
        table.add_row(obj, f"{data.counts[obj]:,}")
    Console().print(table)
    lines = data.counts.get("GLDETAIL", 0)
    rate = lines / elapsed if elapsed > 0 else 0.0
    typer.echo(f"{len(data.company.entities)} entities, {len(data.company.accounts)} accounts, "
               f"{lines:,} GL lines read in {elapsed:.2f}s ({rate:,.0f} lines/s)")
    if same:
        typer.echo(f"already in place at {dest}")
        return
    if dest.exists():
        shutil.rmtree(dest)
    for obj in objects:
        folder = dest / obj
        folder.mkdir(parents=True, exist_ok=True)
        for page in page_files(src, obj):
            shutil.copy2(page, folder / page.name)
    typer.echo(f"imported into {dest}")


def register(app: typer.Typer) -> None:
    company = typer.Typer(help="Company data: import an Intacct export and list what is imported.",
                          no_args_is_help=True)
    app.add_typer(company, name="company")

    @company.command("import")
    def import_cmd(
        name: str = typer.Argument(..., help="Name for the company (a folder under data_dir/companies)."),
        intacct_xml: Path = typer.Option(
            ..., "--intacct-xml", exists=True, file_okay=False, dir_okay=True,
            help="Directory of readByQuery response pages: DIR/<OBJECT>/page-0001.xml (or "
                 "DIR/intacct/<OBJECT>/...), objects LOCATIONENTITY, GLACCOUNT, DEPARTMENT, LOCATION, "
                 "PROJECT, CLASS, VENDOR, CUSTOMER, EMPLOYEE, GLDETAIL and any others."),
        replace: bool = typer.Option(False, "--replace", help="Overwrite a company of the same name."),
    ) -> None:
        """Validate an Intacct export by reading every page, print row counts and speed, then copy it
        into the data directory.

        Example: copilot company import acme --intacct-xml ./acme-export
        """
        import_company(name, intacct_xml, replace=replace)

    @company.command("list")
    def list_cmd() -> None:
        """List imported companies with row counts per object (from each first page's totalcount)."""
        from copilot.formats.company_dir import object_totals

        root = _companies_dir()
        names = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        if not names:
            typer.echo(f"no companies in {root} (import one with: copilot company import NAME --intacct-xml DIR)")
            return
        for name in names:
            totals = object_totals(root / name)
            summary = ", ".join(f"{obj} {n:,}" for obj, n in sorted(totals.items())) or "no Intacct pages"
            typer.echo(f"{name}: {summary}")
