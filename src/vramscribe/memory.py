"""Memory checkpoints: what a process holds on its device, measured, levelled and logged.

Figures per checkpoint (bytes):
- ``nvml_process``: this process's GPU memory from NVML. CTranslate2 (faster-whisper) allocates
  outside PyTorch, so this is the only figure that sees the Whisper model on a GPU.
- ``nvml_device_used`` / ``nvml_device_total``: the whole device, every process.
- ``torch_allocated`` / ``torch_reserved`` / ``torch_peak``: PyTorch's caching allocator
  (peak since the previous checkpoint).
- ``rss``: this process's *anonymous* resident memory (heap, weights, tensors; shared-library code
  pages paged in on first use are left out, they are not memory a model holds); ``rss_peak``:
  the process's peak resident set so far. ``rss`` is the figure used on CPU.

The *primary* figure (what the log line shows and verdicts use) is ``nvml_process`` on a GPU when
NVML can see processes, else ``torch_allocated``, and ``rss`` on CPU; each record names it.
"""

from __future__ import annotations

import gc
import itertools
import resource
import sys
import time
import weakref
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Protocol

import psutil

from .threads import glibc

GB = 1024**3
NOTICE_PERCENT = 70.0
CRITICAL_PERCENT = 85.0
GOOD_RECOVERY = 0.95
LEAK_RECOVERY = 0.50
NEGLIGIBLE_BYTES = 1024**2  # a cleanup of less than this is below measurement noise

CRITICAL_ADVICE = (
    "memory is critical: use a smaller Whisper model (whisper.model) or a lower compute_type/"
    "batch_size, or split the file into shorter parts"
)
NOTICE_ADVICE = "memory is high: a longer file or a larger model may run out of memory"


def level_for(percent: float) -> str:
    """normal below 70 %, notice from 70 % to 85 %, critical above 85 %."""
    if percent > CRITICAL_PERCENT:
        return "critical"
    if percent >= NOTICE_PERCENT:
        return "notice"
    return "normal"


def advice_for(level: str) -> str | None:
    """What a user should do at this level (None when nothing)."""
    return {"critical": CRITICAL_ADVICE, "notice": NOTICE_ADVICE}.get(level)


@dataclass
class Reading:
    """Raw figures from a backend; missing ones are None."""

    device: str
    rss: int
    rss_peak: int
    host_total: int
    torch_allocated: int | None = None
    torch_reserved: int | None = None
    torch_peak: int | None = None
    nvml_process: int | None = None
    nvml_device_used: int | None = None
    nvml_device_total: int | None = None

    @property
    def primary(self) -> tuple[str, int, int]:
        """(figure name, value, total it is a share of)."""
        if self.device.startswith("cuda"):
            total = self.nvml_device_total or 0
            if self.nvml_process is not None:
                return "nvml_process", self.nvml_process, total
            return "torch_allocated", self.torch_allocated or 0, total
        return "rss", self.rss, self.host_total


class Backend(Protocol):
    """Where readings come from (real devices, or a fake one in unit tests)."""

    device: str

    def read(self) -> Reading: ...

    def release(self) -> None: ...


def _rss_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def anonymous_rss(process: psutil.Process) -> int:
    """Resident memory minus file-backed/shared pages."""
    info = process.memory_info()
    return info.rss - getattr(info, "shared", 0)


def trim_heap() -> None:
    """Return freed heap pages to the OS (glibc keeps them otherwise, hiding real frees from RSS)."""
    libc = glibc()
    if libc is not None:
        libc.malloc_trim(0)


def trimming_hook(hook: Callable | None, every: int = 32) -> Callable:
    """A progress hook that trims the heap every ``every`` calls (model batches), then calls ``hook``.

    Freed batch activations stay in glibc's main heap, held there by the small outputs kept between
    them: segmentation of 2.2 h in batches of 8 left 2.4 GB of it (docs/benchmarks.md).
    """
    calls = itertools.count(1)

    def trimming(*args, **kwargs) -> None:
        if next(calls) % every == 0:
            trim_heap()
        if hook is not None:
            hook(*args, **kwargs)

    return trimming


class CpuBackend:
    """Process RSS against host memory."""

    device = "cpu"

    def __init__(self) -> None:
        self._process = psutil.Process()

    def read(self) -> Reading:
        return Reading(
            device=self.device,
            rss=anonymous_rss(self._process),
            rss_peak=_rss_peak(),
            host_total=psutil.virtual_memory().total,
        )

    def release(self) -> None:
        trim_heap()


class CudaBackend:
    """NVML (process and device) plus torch allocator figures for one CUDA device."""

    def __init__(self, index: int = 0) -> None:
        import pynvml
        import torch

        self._torch = torch
        self._pynvml = pynvml
        self._index = index
        self.device = f"cuda:{index}"
        self._process = psutil.Process()
        torch.cuda.init()
        torch.zeros(1, device=self.device)  # create the context before the first baseline
        try:
            pynvml.nvmlInit()
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(self._nvml_index(index))
        except pynvml.NVMLError:
            self._handle = None

    @staticmethod
    def _nvml_index(index: int) -> int:
        """NVML numbers devices physically; map through CUDA_VISIBLE_DEVICES when it is set."""
        import os

        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")
        if visible and visible[0].strip().isdigit() and index < len(visible):
            return int(visible[index])
        return index

    def _nvml(self) -> tuple[int | None, int | None, int | None]:
        if self._handle is None:
            return None, None, None
        pynvml = self._pynvml
        info = pynvml.nvmlDeviceGetMemoryInfo(self._handle)
        mine = None
        try:
            for proc in pynvml.nvmlDeviceGetComputeRunningProcesses(self._handle):
                if proc.pid == self._process.pid and proc.usedGpuMemory is not None:
                    mine = (mine or 0) + int(proc.usedGpuMemory)
        except pynvml.NVMLError:
            pass
        return mine, int(info.used), int(info.total)

    def read(self) -> Reading:
        torch = self._torch
        torch.cuda.synchronize(self.device)
        process, used, total = self._nvml()
        if total is None:
            free, total = torch.cuda.mem_get_info(self.device)
            used = total - free
        reading = Reading(
            device=self.device,
            rss=anonymous_rss(self._process),
            rss_peak=_rss_peak(),
            host_total=psutil.virtual_memory().total,
            torch_allocated=torch.cuda.memory_allocated(self.device),
            torch_reserved=torch.cuda.memory_reserved(self.device),
            torch_peak=torch.cuda.max_memory_allocated(self.device),
            nvml_process=process,
            nvml_device_used=used,
            nvml_device_total=total,
        )
        torch.cuda.reset_peak_memory_stats(self.device)
        return reading

    def release(self) -> None:
        # empty_cache() keeps cuBLAS's workspaces: 35 MB still allocated after diarization on an H200, none with this
        clear_workspaces = getattr(self._torch._C, "_cuda_clearCublasWorkspaces", None)
        if clear_workspaces is not None:
            clear_workspaces()
        self._torch.cuda.empty_cache()
        trim_heap()


def backend_for(device: str) -> Backend:
    """The backend measuring ``device`` ("cpu" or "cuda[:N]")."""
    if device.startswith("cuda"):
        return CudaBackend(int(device.split(":")[1]) if ":" in device else 0)
    return CpuBackend()


@dataclass
class Checkpoint:
    """One named measurement."""

    name: str
    time: float
    figure: str
    value: int
    total: int
    percent: float
    level: str
    advice: str | None
    reading: dict[str, Any]

    def log_line(self) -> str:
        """`[GPU Memory] <name>: Allocated: 7.23GB (30.1%)` or `[CPU Memory] <name>: RSS: ...`."""
        if self.figure == "rss":
            head, label = "[CPU Memory]", "RSS"
        else:
            head, label = "[GPU Memory]", "Allocated"
        line = f"{head} {self.name}: {label}: {self.value / GB:.2f}GB ({self.percent:.1f}%)"
        if self.advice:
            line += f" [{self.level.upper()}: {self.advice}]"
        return line


@dataclass
class Cleanup:
    """How much of the memory a model or tensor took came back when it was freed."""

    name: str
    figure: str
    baseline: int
    before: int
    after: int
    recovered: float | None
    verdict: str
    still_referenced: bool = False


def cleanup_verdict(baseline: int, before: int, after: int) -> tuple[float | None, str]:
    """recovered = (before - after) / (before - baseline); >= 95 % good, < 50 % leak, else partial.

    When the thing took less than 1 MiB there is nothing measurable to recover: "negligible".
    """
    taken = before - baseline
    if taken < NEGLIGIBLE_BYTES:
        return None, "negligible"
    recovered = (before - after) / taken
    if recovered >= GOOD_RECOVERY:
        return recovered, "good"
    if recovered < LEAK_RECOVERY:
        return recovered, "leak"
    return recovered, "partial"


def free_memory(backend: Backend, everything: bool = False) -> None:
    """The order that works: callers `del` first, then gc.collect(), then empty the caches.

    Objects frozen at a baseline (they lived before the model did) are skipped, which makes a
    collection ~0.01 s instead of ~0.2 s once torch is imported; ``everything`` unfreezes them first.
    """
    if everything:
        gc.unfreeze()
    gc.collect()
    backend.release()


@dataclass
class MemoryMonitor:
    """Takes named checkpoints and baselines, prints the log line of each, keeps them for JSON."""

    backend: Backend
    sample: str = ""
    stage: str = ""
    echo: bool = True
    checkpoints: list[Checkpoint] = field(default_factory=list)
    baselines: dict[str, int] = field(default_factory=dict)
    footprints: dict[str, int] = field(default_factory=dict)
    cleanups: list[Cleanup] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    floors: list[int] = field(default_factory=list)  # primary figure after each file's final cleanup

    @property
    def device(self) -> str:
        return self.backend.device

    def measure(self, name: str) -> Checkpoint:
        reading = self.backend.read()
        figure, value, total = reading.primary
        percent = 100.0 * value / total if total else 0.0
        level = level_for(percent)
        return Checkpoint(
            name=name,
            time=time.time(),
            figure=figure,
            value=value,
            total=total,
            percent=round(percent, 3),
            level=level,
            advice=advice_for(level),
            reading=asdict(reading),
        )

    def checkpoint(self, name: str) -> Checkpoint:
        """Measure, log one line, and keep the record."""
        point = self.measure(name)
        self.checkpoints.append(point)
        if self.echo:
            print(point.log_line(), flush=True)
        return point

    def baseline(self, key: str) -> int:
        """Primary figure just before ``key`` (a model or tensor) is loaded, after a free.

        What lives now is not ``key``'s: it is frozen, so the collections of ``key``'s cleanup skip it.
        """
        free_memory(self.backend)
        gc.freeze()
        self.baselines[key] = self.measure(f"baseline {key}").value
        return self.baselines[key]

    def footprint(self, key: str) -> int:
        """Record what ``key`` took right after loading it, for a thing freed after others loaded later.

        Its cleanup is then judged against ``before - footprint``: memory other things left behind
        in between is not counted against it.
        """
        self.footprints[key] = self.measure(f"loaded {key}").value - self.baselines[key]
        return self.footprints[key]

    def verify_cleanup(self, key: str, before: Checkpoint, after: Checkpoint, freed: weakref.ref | None = None) -> Cleanup:
        """Verdict for one cleanup, from its baseline and the two checkpoints around it.

        ``freed`` is a weak reference to the deleted object: if it still resolves after ``gc.collect()``
        something else holds it and a warning says so. A partial recovery of an object that is provably
        still alive is a leak: its memory cannot come back while it lives.
        """
        baseline = before.value - self.footprints[key] if key in self.footprints else self.baselines[key]
        recovered, verdict = cleanup_verdict(baseline, before.value, after.value)
        referenced = freed is not None and freed() is not None
        if referenced and verdict == "partial":
            verdict = "leak"
        result = Cleanup(key, before.figure, baseline, before.value, after.value, recovered, verdict, referenced)
        if referenced:
            self.warn(f"{key}: still referenced after del + gc.collect(); find what holds it")
        self.cleanups.append(result)
        return result

    def warn(self, message: str) -> None:
        """A warning that must reach the report (e.g. a model too large for the GPU)."""
        self.warnings.append(message)
        print(f"[vramscribe] warning: {message}", file=sys.stderr, flush=True)

    def to_dict(self) -> dict[str, Any]:
        """The documented memory-log JSON (docs/memory-log.md)."""
        return {
            "schema": "vramscribe.memory/1",
            "sample": self.sample,
            "stage": self.stage,
            "device": self.device,
            "checkpoints": [asdict(c) for c in self.checkpoints],
            "baselines": dict(self.baselines),
            "footprints": dict(self.footprints),
            "cleanups": [asdict(c) for c in self.cleanups],
            "warnings": list(self.warnings),
        }
