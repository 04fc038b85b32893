"""Run the anomaly evaluation on a company and write eval/RESULTS.md (``copilot anomalies eval``,
``python -m eval.anomalies``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

from copilot.errors import NotFound


def run(company: str, *, seeds: Sequence[int] = (1, 2, 3), labels: Path | None = None, write: bool = True,
        settings=None) -> str:
    from rich.console import Console

    from copilot.evaluation.results import write_section
    from copilot.formats.company_dir import read_company_dir
    from copilot.settings import get_settings
    from copilot.validate.context import company_dir
    from copilot.validate.evaluation import (injection_benchmark, labelled_evaluation, read_labels,
                                             render_injection, render_labelled)
    from copilot.validate.policy import load_policies

    settings = settings or get_settings()
    root = company_dir(settings, company)
    if not root.is_dir():
        raise NotFound(f"no company {company!r} under {root.parent}; run `copilot demo init` first")
    con = Console()
    started = time.perf_counter()
    policy, calendar = load_policies(settings.policies_dir)
    parts = []
    with con.status("reading the company") as status:
        data = read_company_dir(root, company)
        label_file = labels or root / "extras" / "anomaly_labels.csv"
        if label_file.exists():
            status.update("validating the labelled history")
            res = labelled_evaluation(data.postings, read_labels(label_file), company=data.company, policy=policy,
                                      calendar=calendar, progress=status.update)
            parts.append(render_labelled(company, res))
        else:
            parts.append(f"_No labelled anomalies for `{company}` ({label_file} not found)._")
        inj = injection_benchmark(data.postings, company=data.company, seeds=seeds, params=policy.scoring,
                                  progress=status.update)
        parts.append(render_injection(company, inj))
    md = f"### Anomaly detection: `{company}`\n\n" + "\n\n".join(parts)
    con.print(md)
    if write:
        seeds_arg = ",".join(map(str, seeds))
        write_section(f"anomalies-{company}", md,
                      command=f"copilot anomalies eval --company {company} --seeds {seeds_arg}")
        con.print(f"[green]written[/] eval/RESULTS.md section anomalies-{company} "
                  f"({time.perf_counter() - started:.0f} s)")
    return md
