"""Run a command as a child process and measure its wall time, CPU time and peak memory.

``os.wait4`` reports the resource usage of exactly that child (and the children it waited for), so
each stage gets its own peak RSS; ``getrusage(RUSAGE_CHILDREN)`` would give the maximum over every
child so far.
"""

from __future__ import annotations

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
    peak_mib: float  # largest resident set size of the child or any of its children (Linux: KiB -> MiB)
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


def run_measured(command: Sequence[str], *, env: Mapping[str, str] | None = None,
                 log: Path | None = None, cwd: Path | None = None) -> Measured:
    """Run ``command`` to completion; stdout and stderr go to ``log`` (or are discarded)."""
    out = open(log, "wb") if log is not None else subprocess.DEVNULL
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT,
                                env=dict(env) if env is not None else None, cwd=cwd)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    finally:
        if log is not None:
            out.close()  # type: ignore[union-attr]
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
    return Measured(command=list(command), seconds=seconds, cpu_seconds=usage.ru_utime + usage.ru_stime,
                    peak_mib=usage.ru_maxrss / 1024, returncode=proc.returncode, log=log)
