"""Anomaly-detection evaluation (run by `make eval`): labelled demo anomalies and the injection benchmark.

    python -m eval.anomalies --company demo [--seeds 1,2,3]

Same as `copilot anomalies eval`; the logic lives in copilot.validate.evaluation so the installed
command can run it. Results go to eval/RESULTS.md, section `anomalies-<company>`.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main(argv: list[str] | None = None) -> None:
    from copilot.validate.eval_run import run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--company", default="demo")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated injection seeds")
    parser.add_argument("--no-write", action="store_true", help="print only, do not touch eval/RESULTS.md")
    args = parser.parse_args(argv)
    run(args.company, seeds=[int(s) for s in args.seeds.split(",") if s.strip()], write=not args.no_write)


if __name__ == "__main__":
    main()
