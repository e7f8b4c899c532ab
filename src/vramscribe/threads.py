"""Thread pools that share their cores: set before torch or CTranslate2 starts its OpenMP runtime.

Both bring their own GNU OpenMP. By default its idle threads spin, waiting for the next parallel
region; beside another busy process on the same cores, that spinning takes the CPU the working
threads need (a 47 s diarization took 769 s beside one 2-thread job). PASSIVE makes them sleep.
Thread counts default to the CPUs this process may run on (a SLURM or cgroup allotment), not the
machine's: CTranslate2 would otherwise start 4 threads whatever the allotment.

Their threads also allocate, and glibc gives each thread its own heap (arena) whose freed top
``malloc_trim`` cannot return: ``one_heap`` keeps every thread on the main one.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from collections.abc import MutableMapping


def allotted_cpus() -> int:
    """CPUs this process may use (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def share_cores(environ: MutableMapping[str, str] = os.environ) -> None:
    """Passive OpenMP waiting and an allotment-sized thread count, unless the user set them."""
    environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    environ.setdefault("OMP_NUM_THREADS", str(allotted_cpus()))


M_ARENA_MAX = -8  # glibc's mallopt() parameter: the most heaps (arenas) threads may allocate from


@functools.cache
def glibc() -> ctypes.CDLL | None:
    """The C library whose heap the process allocates from, where it is glibc (Linux); else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def one_heap(environ: MutableMapping[str, str] = os.environ) -> bool:
    """Every thread started from now on allocates from glibc's main heap, which ``malloc_trim`` returns whole.

    A worker thread's own heap keeps what it freed (up to tens of MB at its top, once torch has
    freed large tensors) beyond ``malloc_trim``'s reach: a freed model then read as a leak
    (docs/benchmarks.md). False where not glibc, or when the user set ``MALLOC_ARENA_MAX``.
    """
    libc = glibc()
    if libc is None or "MALLOC_ARENA_MAX" in environ:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, 1))
