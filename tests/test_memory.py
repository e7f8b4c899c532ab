"""Memory logic against fake GPU backends: levels, log lines, verdict maths, baselines, OOM, model choice.

A GPU cannot exist here, so torch.cuda and NVML are faked at their module boundary; the real
CUDA path runs on the GPU machine (docs/benchmarks.md).
"""

import os
import subprocess
import sys
import types
import weakref

import pytest

from vramscribe import memory
from vramscribe.errors import VramscribeError, is_out_of_memory
from vramscribe.memory import GB, CudaBackend, MemoryMonitor, Reading, cleanup_verdict, level_for
from vramscribe.models import fit_warning, recommend_model, smaller_model
from vramscribe.settings import Settings, resolve_device

GIB = 1024**3


class ScriptedBackend:
    """Replays GPU readings: (torch_allocated, nvml_process) bytes on a 24 GiB device."""

    device = "cuda:0"

    def __init__(self, values, nvml=True):
        self.values, self.nvml = list(values), nvml
        self.released = 0

    def read(self):
        torch_bytes, nvml_bytes = self.values.pop(0)
        return Reading(
            device=self.device, rss=1, rss_peak=1, host_total=64 * GIB,
            torch_allocated=torch_bytes, torch_reserved=torch_bytes, torch_peak=torch_bytes,
            nvml_process=nvml_bytes if self.nvml else None, nvml_device_used=nvml_bytes, nvml_device_total=24 * GIB,
        )

    def release(self):
        self.released += 1


@pytest.mark.parametrize(
    "percent, level", [(69.9, "normal"), (70.0, "notice"), (85.0, "notice"), (85.1, "critical"), (0.0, "normal")]
)
def test_levels(percent, level):
    assert level_for(percent) == level


def test_gpu_log_line_uses_nvml_process_figure_and_critical_advice(capsys):
    monitor = MemoryMonitor(ScriptedBackend([(0, int(7.23 * GB)), (0, int(0.86 * 24 * GIB))]))
    point = monitor.checkpoint("Before Whisper Cleanup")
    assert capsys.readouterr().out.strip() == "[GPU Memory] Before Whisper Cleanup: Allocated: 7.23GB (30.1%)"
    assert point.figure == "nvml_process" and point.level == "normal"
    critical = monitor.checkpoint("After Whisper Cleanup")
    assert critical.level == "critical" and "smaller" in critical.advice and "split the file" in critical.advice


def test_without_nvml_processes_the_torch_figure_is_used():
    monitor = MemoryMonitor(ScriptedBackend([(2 * GIB, None)], nvml=False), echo=False)
    assert monitor.checkpoint("Before Transcription").figure == "torch_allocated"


@pytest.mark.parametrize(
    "baseline, before, after, verdict",
    [
        (1 * GIB, 5 * GIB, 1 * GIB, "good"),  # all back
        (1 * GIB, 5 * GIB, int(1.2 * GIB), "good"),  # exactly 95 %
        (1 * GIB, 5 * GIB, int(1.21 * GIB), "partial"),
        (1 * GIB, 5 * GIB, 3 * GIB, "partial"),  # exactly 50 %
        (1 * GIB, 5 * GIB, int(3.01 * GIB), "leak"),
        (1 * GIB, 5 * GIB, 5 * GIB, "leak"),
        (1 * GIB, 1 * GIB + 1000, 1 * GIB, "negligible"),
    ],
)
def test_verdict_maths(baseline, before, after, verdict):
    assert cleanup_verdict(baseline, before, after)[1] == verdict


def test_baseline_after_context_means_context_memory_is_not_a_leak():
    # 0.4 GiB CUDA context exists before the baseline; the model takes 3 GiB and is fully freed.
    backend = ScriptedBackend([(0, int(0.4 * GIB)), (0, int(3.4 * GIB)), (0, int(0.4 * GIB))])
    monitor = MemoryMonitor(backend, echo=False)
    monitor.baseline("Whisper")
    result = monitor.verify_cleanup("Whisper", monitor.checkpoint("Before"), monitor.checkpoint("After"))
    assert result.verdict == "good" and result.recovered == pytest.approx(1.0)
    assert backend.released == 1  # the baseline is taken after freeing caches
    # Against zero instead of the baseline, the same numbers would look partial.
    assert cleanup_verdict(0, int(3.4 * GIB), int(0.4 * GIB))[1] == "partial"


def test_out_of_memory_is_recognised_in_all_three_forms():
    class OutOfMemoryError(RuntimeError):
        pass

    assert is_out_of_memory(OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(RuntimeError("CUDA failed with error out of memory"))
    assert not is_out_of_memory(RuntimeError("CUDA error: device-side assert triggered"))
    assert not is_out_of_memory(ValueError("out of range"))


@pytest.mark.parametrize(
    "gib, model",
    [(None, "tiny.en"), (4, "base"), (5.9, "base"), (7.6, "small"), (11.7, "medium"), (15.7, "large-v3"), (23.6, "large-v3"), (79, "large-v3")],
)
def test_auto_model_by_vram(gib, model):
    assert recommend_model(None if gib is None else int(gib * GIB)) == model


def test_too_large_request_warns_and_retries_step_down():
    assert "larger than recommended" in fit_warning("large-v3", int(7.6 * GIB))
    assert "tight" in fit_warning("large-v3", int(11.7 * GIB))
    assert fit_warning("small", int(7.6 * GIB)) is None
    assert fit_warning("large-v3", None) is None
    assert [smaller_model(m) for m in ("large-v3", "medium.en", "tiny")] == ["medium", "small.en", "tiny"]
    ladder = [Settings(whisper_model="large-v3", batch_size=8, compute_type="float16").for_attempt(a) for a in (1, 2, 3)]
    assert [(s.whisper_model, s.compute_type, s.batch_size) for s in ladder] == [
        ("large-v3", "float16", 8), ("large-v3", "int8", 4), ("medium", "int8", 4)
    ]


def test_cuda_backend_reads_nvml_process_and_torch(monkeypatch):
    """CudaBackend against fake torch.cuda and pynvml modules (the real one runs on the GPU machine)."""
    import os

    calls = []
    cuda = types.SimpleNamespace(
        init=lambda: None, synchronize=lambda d: None, memory_allocated=lambda d: 1 * GIB,
        memory_reserved=lambda d: 2 * GIB, max_memory_allocated=lambda d: 3 * GIB,
        reset_peak_memory_stats=lambda d: calls.append("reset"), empty_cache=lambda: calls.append("empty"),
    )
    workspaces = types.SimpleNamespace(_cuda_clearCublasWorkspaces=lambda: calls.append("cublas workspaces"))
    fake_torch = types.SimpleNamespace(cuda=cuda, _C=workspaces, zeros=lambda *a, **k: None)
    proc = types.SimpleNamespace(pid=os.getpid(), usedGpuMemory=5 * GIB)
    other = types.SimpleNamespace(pid=os.getpid() + 1, usedGpuMemory=9 * GIB)
    fake_nvml = types.SimpleNamespace(
        NVMLError=Exception, nvmlInit=lambda: None, nvmlDeviceGetHandleByIndex=lambda i: ("handle", i),
        nvmlDeviceGetMemoryInfo=lambda h: types.SimpleNamespace(used=14 * GIB, total=80 * GIB),
        nvmlDeviceGetComputeRunningProcesses=lambda h: [proc, other],
    )
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    backend = CudaBackend(0)
    assert backend._handle == ("handle", 3)  # NVML numbering follows CUDA_VISIBLE_DEVICES
    reading = backend.read()
    assert (reading.nvml_process, reading.torch_allocated, reading.torch_peak) == (5 * GIB, 1 * GIB, 3 * GIB)
    assert reading.primary == ("nvml_process", 5 * GIB, 80 * GIB)
    backend.release()
    assert calls == ["reset", "cublas workspaces", "empty"]  # empty_cache() alone keeps cuBLAS's workspaces


def test_footprint_keeps_a_later_models_residue_off_an_earlier_tensors_verdict():
    # waveform 0.1 GiB loaded at 1.0, model residue of 0.5 GiB still there when the waveform is freed.
    backend = ScriptedBackend([(0, 1 * GIB), (0, int(1.1 * GIB)), (0, int(1.6 * GIB)), (0, int(1.5 * GIB))])
    monitor = MemoryMonitor(backend, echo=False)
    monitor.baseline("Waveform")
    assert monitor.footprint("Waveform") == int(1.1 * GIB) - 1 * GIB
    result = monitor.verify_cleanup("Waveform", monitor.checkpoint("Before"), monitor.checkpoint("After"))
    assert result.verdict == "good" and result.baseline == int(1.5 * GIB)


def partial_cleanup(freed):
    """1 GiB taken, 0.7 GiB back: partial by the figures alone."""
    backend = ScriptedBackend([(0, 1 * GIB), (0, 2 * GIB), (0, int(1.3 * GIB))])
    monitor = MemoryMonitor(backend, echo=False)
    monitor.baseline("Whisper")
    return monitor, monitor.verify_cleanup("Whisper", monitor.checkpoint("Before"), monitor.checkpoint("After"), freed)


def test_a_partly_recovered_model_that_is_still_alive_is_a_leak():
    class Model:
        pass

    held = Model()
    monitor, result = partial_cleanup(weakref.ref(held))
    assert (result.verdict, result.still_referenced, result.recovered) == ("leak", True, pytest.approx(0.7))
    assert monitor.warnings == ["Whisper: still referenced after del + gc.collect(); find what holds it"]

    monitor, result = partial_cleanup(weakref.ref(Model()))  # nothing holds this one
    assert (result.verdict, result.still_referenced) == ("partial", False)
    assert monitor.warnings == []


class NoDriver(Exception):
    pass


def fake_nvml_with(gpus: int | None):
    """A pynvml module that finds ``gpus`` devices, or (None) no NVIDIA driver at all."""

    def init():
        if gpus is None:
            raise NoDriver("NVML Shared Library Not Found")

    return types.SimpleNamespace(NVMLError=NoDriver, nvmlInit=init, nvmlDeviceGetCount=lambda: gpus, nvmlShutdown=lambda: None)


@pytest.mark.parametrize(
    "gpus, torch_sees, visible, expected",
    [
        (None, True, None, "cpu"),  # no driver: torch is not even asked
        (0, True, None, "cpu"),
        (1, False, None, "cpu"),  # a driver CUDA cannot use
        (1, True, None, "cuda:0"),
        (1, True, "", "cpu"),  # CUDA_VISIBLE_DEVICES hides every GPU
    ],
)
def test_auto_device(monkeypatch, gpus, torch_sees, visible, expected):
    asked = []
    fake_torch = types.SimpleNamespace(cuda=types.SimpleNamespace(is_available=lambda: asked.append(1) or torch_sees))
    monkeypatch.setitem(sys.modules, "pynvml", fake_nvml_with(gpus))
    monkeypatch.setitem(sys.modules, "torch", fake_torch)
    if visible is None:
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    else:
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert resolve_device("auto") == expected
    assert bool(asked) == bool(gpus and visible is None)
    if expected == "cpu":
        with pytest.raises(VramscribeError, match="no CUDA GPU is visible"):
            resolve_device("cuda")


def test_a_machine_without_a_gpu_driver_resolves_auto_without_importing_torch():
    import subprocess

    code = "import sys; from vramscribe.settings import resolve_device; print(resolve_device('auto'), 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    if out[0] != "cpu":
        pytest.skip("a GPU is visible here: torch must be asked")
    assert out == ["cpu", "False"]


def test_trimming_hook_forwards_every_call_and_trims_every_nth(monkeypatch):
    trims, heard = [], []
    monkeypatch.setattr(memory, "trim_heap", lambda: trims.append(1))
    hook = memory.trimming_hook(lambda *a, **k: heard.append((a, k)), every=4)
    for i in range(10):
        hook("segmentation", None, completed=i, total=10)
    assert len(heard) == 10 and heard[3] == (("segmentation", None), {"completed": 3, "total": 10})
    assert len(trims) == 2  # calls 4 and 8
    memory.trimming_hook(None, every=1)(completed=1, total=1)  # no hook given: trims, forwards nothing
    assert len(trims) == 3


THREAD_HEAP = """
import ctypes, os, sys, threading
if sys.argv[1] == "vramscribe":
    import vramscribe  # one_heap() on import
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
resident = lambda: int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def work():  # as torch does: a large freed tensor raises glibc's thresholds, then smaller ones stay in the heap
    first = libc.malloc(30 << 20); ctypes.memset(first, 1, 30 << 20); libc.free(first)
    blocks = [libc.malloc(10 << 20) for _ in range(5)]
    for block in blocks:
        ctypes.memset(block, 1, 10 << 20)
    for block in blocks:
        libc.free(block)

before = resident()
worker = threading.Thread(target=work)
worker.start(); worker.join()
libc.malloc_trim(0)
print(resident() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc heaps")
def test_what_a_worker_thread_frees_is_returned_by_the_trim():
    def kept(mode):
        environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}  # a user's value is left alone
        out = subprocess.run([sys.executable, "-c", THREAD_HEAP, mode], capture_output=True, text=True, check=True, env=environ)
        return int(out.stdout) / 2**20

    assert kept("plain") > 30  # the thread's own heap keeps its freed top (what made models read as leaks)
    assert kept("vramscribe") < 10
