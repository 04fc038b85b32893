"""`make bench`: every benchmark in turn; each writes its own section of eval/RESULTS.md."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["eval.bench_import", "eval.bench_vectorstore", "eval.bench_ingest", "eval.bench_suggest", "eval.bench_batch"]


def main() -> None:
    failed = []
    for name in BENCHMARKS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            print(f"skip {name}: not present", file=sys.stderr)
            continue
        print(f"== {name}", file=sys.stderr, flush=True)
        try:
            module.main([])
        except SystemExit as exc:  # argparse / explicit exits
            if exc.code:
                failed.append(name)
        except Exception as exc:  # keep going: one broken benchmark must not hide the others
            print(f"{name} failed: {exc}", file=sys.stderr)
            failed.append(name)
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
