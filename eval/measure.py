"""Run a command as a child process and measure its wall time, CPU time and peak memory.

``os.wait4`` reports the resource usage of exactly that child (and the children it waited for), so
each stage gets its own peak RSS; ``getrusage(RUSAGE_CHILDREN)`` would give the maximum over every
child so far. One catch: Linux counts in a child's peak the memory of the process it was forked
from (the copy exists until exec), so a benchmark holding 400 MB would see every child at 400 MB.
The command is therefore started by a small launcher (``python -m eval.measure``, a fresh
interpreter of ~10 MB) that forks it, waits for it and reports its usage as JSON.

    python -m eval.measure STATS.json -- COMMAND [ARGS...]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence


@dataclass
class Measured:
    command: list[str]
    seconds: float  # wall clock
    cpu_seconds: float  # user + system, the child and its waited-for children
    peak_mib: float  # largest resident set size of the child or any of its children
    returncode: int
    log: Path | None = None

    def check(self) -> "Measured":
        if self.returncode != 0:
            tail = ""
            if self.log is not None and self.log.exists():
                tail = "\n" + "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
            raise RuntimeError(f"{' '.join(self.command)} exited with {self.returncode}{tail}")
        return self


def copilot_command(*args: str) -> list[str]:
    """The copilot CLI run by this interpreter (the venv's), whatever PATH holds."""
    return [sys.executable, "-m", "copilot.cli", *args]


def _run_and_wait(command: Sequence[str]) -> dict:
    """Fork ``command`` from this (small) process; its own wall time, CPU time and peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen(list(command))
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
    return {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_mib": usage.ru_maxrss / 1024,  # Linux reports KiB
            "returncode": proc.returncode}


def run_measured(command: Sequence[str], *, env: Mapping[str, str] | None = None,
                 log: Path | None = None, cwd: Path | None = None) -> Measured:
    """Run ``command`` to completion through the launcher; stdout and stderr go to ``log`` (or are
    discarded)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="measure-") as tmp:
        stats_path = Path(tmp) / "stats.json"
        out = open(log, "wb") if log is not None else subprocess.DEVNULL
        try:
            launcher = [sys.executable, "-m", "eval.measure", str(stats_path), "--", *command]
            here = Path(__file__).resolve().parent.parent  # so `-m eval.measure` resolves from any cwd
            child_env = dict(env if env is not None else os.environ)
            child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(here), child_env.get("PYTHONPATH")]))
            code = subprocess.call(launcher, stdout=out, stderr=subprocess.STDOUT, env=child_env, cwd=cwd)
        finally:
            if log is not None:
                out.close()  # type: ignore[union-attr]
        if not stats_path.exists():
            raise RuntimeError(f"the measuring launcher failed (exit {code}) for: {' '.join(command)}")
        stats = json.loads(stats_path.read_text())
    return Measured(command=list(command), log=log, **stats)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[1] != "--":
        sys.exit("usage: python -m eval.measure STATS.json -- COMMAND [ARGS...]")
    stats = _run_and_wait(args[2:])
    Path(args[0]).write_text(json.dumps(stats))
    sys.exit(stats["returncode"])


if __name__ == "__main__":
    main()
