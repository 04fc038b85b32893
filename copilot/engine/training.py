"""Fit a company's model from its company directory, with progress shown."""

from __future__ import annotations

import time

from copilot.settings import Settings


def train_from_company_dir(settings: Settings, name: str, *, embedder=None, quiet: bool = False):
    from rich.console import Console

    from copilot.engine.service import company_root, train_company
    from copilot.errors import NotFound
    from copilot.formats.company_dir import read_company_dir

    root = company_root(settings, name)
    if not root.exists():
        raise NotFound(f"no company {name!r} under {root.parent}; import one or run `copilot demo init`")
    con = Console(quiet=quiet)
    started = time.perf_counter()
    with con.status(f"reading {name}") as status:
        data = read_company_dir(root, name)
        if embedder is None:
            from copilot.index.embeddings import build_embedder

            embedder = build_embedder(settings, progress=not quiet)
        model = train_company(settings, name, data.company, data.postings, embedder,
                              progress=lambda msg: status.update(msg))
    rep = model.scorer.report
    con.print(f"[green]trained[/] {name}: {model.info['postings']:,} postings, "
              f"{model.info['unique_texts']:,} unique texts, scorer {rep.get('fit_rows', 0):,} rows, "
              f"candidate recall {rep.get('candidate_recall', float('nan')):.1%}, "
              f"{time.perf_counter() - started:.1f} s")
    return model
