"""Memory creep across files: the floor left after each file's final cleanup, growing file after file.

Each file's cleanup verdicts can read good while something outside the measured cleanups (a cache
keeping a tensor per file, a list of results) grows the process. Among the files one process ran
(a batch job, or `process()` calls on one pipeline), creep is a floor that rises steadily
(Spearman's rank correlation with the file's position >= 0.8) and by more than 64 MiB in all (the
least-squares slope times the files' span). Measured without a leak (benchmarks/repeat_memory.py,
10 files in one process, CPU): the floor moves within 574-628 MB, up and down (correlation 0.67,
fitted rise 40 MB), so 64 MiB is above that noise. Simulated on that 52 MB band: no false alarm in
2,000 flat series of 4-30 files; a leak of 32 MB a file is caught from 5 files on, 16 MB from 8.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass

import numpy as np

MIN_FILES = 4  # fewer floors cannot tell a trend from noise
RISE_BYTES = 64 * 1024**2
STEADY_CORRELATION = 0.8


@dataclass
class Creep:
    """The floor's trend over the files of one process."""

    files: int
    first: int
    last: int
    slope_per_file: float  # bytes
    rise: float  # bytes, slope x (files - 1)
    correlation: float
    creep: bool

    def as_dict(self) -> dict:
        return asdict(self)


def rank_correlation(values: list[int]) -> float:
    """Spearman's rank correlation of ``values`` with their positions (1.0: only ever rising)."""
    ranks = np.argsort(np.argsort(values, kind="stable"), kind="stable")
    order = np.arange(len(values))
    if np.std(ranks) == 0:
        return 0.0
    return float(np.corrcoef(order, ranks)[0, 1])


def floor_trend(floors: list[int]) -> Creep | None:
    """The trend of the floors after each file's final cleanup, in the order the files ran (None: too few)."""
    if len(floors) < MIN_FILES:
        return None
    slope = float(np.polyfit(np.arange(len(floors)), np.asarray(floors, dtype=float), 1)[0])
    rise = slope * (len(floors) - 1)
    correlation = rank_correlation(floors)
    return Creep(len(floors), int(floors[0]), int(floors[-1]), slope, rise, correlation,
                 rise > RISE_BYTES and correlation >= STEADY_CORRELATION)


def process_id() -> str:
    """`host:pid:start time`: which files shared a process (pids are reused over a long run)."""
    import psutil

    return f"{socket.gethostname()}:{os.getpid()}:{psutil.Process().create_time():.0f}"
