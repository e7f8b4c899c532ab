"""A GPU of its own for each GPU job: claim free device slots by lock file, then set CUDA_VISIBLE_DEVICES.

`snakemake --resources gpu=N` only counts GPU jobs (at most N at once); it never says which device a
job should use, so every job would start on device 0. Each job therefore takes the first free device
with an exclusive `flock` on `<tmp>/vramscribe-gpu-slots/<uid>/<allocation>/<device>.lock`, keeps it
while its process lives (the kernel drops the lock on exit, even on SIGKILL), and sees only that
device. Slots are counted per SLURM allocation (`local` outside SLURM): inside a SLURM job the
devices are the ones SLURM gave that job, so claiming them changes nothing.
"""

from __future__ import annotations

import fcntl
import os
import sys
import tempfile
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import IO

_claims: list["GpuClaim"] = []  # this process's claims: released when it exits


class GpuClaim:
    """Devices locked by this process; `release` unlocks them."""

    def __init__(self, devices: list[str], locks: list[IO]) -> None:
        self.devices, self._locks = devices, locks

    def release(self) -> None:
        for lock in self._locks:
            lock.close()
        self._locks = []


def visible_gpus(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Device ids a job may use: CUDA_VISIBLE_DEVICES when set, else every GPU NVML sees (none without a driver)."""
    if "CUDA_VISIBLE_DEVICES" in environ:
        ids = [d.strip() for d in environ["CUDA_VISIBLE_DEVICES"].split(",")]
        return [d for d in ids if d and not d.startswith("-")]
    import pynvml

    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return []
    try:
        return [str(i) for i in range(pynvml.nvmlDeviceGetCount())]
    finally:
        pynvml.nvmlShutdown()


def lock_dir(environ: MutableMapping[str, str] = os.environ) -> Path:
    """Where this machine's slot locks live: one folder per user and SLURM allocation."""
    allocation = environ.get("SLURM_JOB_ID", "local")
    return Path(tempfile.gettempdir()) / "vramscribe-gpu-slots" / str(os.getuid()) / allocation


def try_claim(count: int, devices: list[str], folder: Path) -> GpuClaim | None:
    """Lock the first `count` free devices, all or none (holding part while waiting could deadlock)."""
    folder.mkdir(parents=True, exist_ok=True)
    claimed, locks = [], []
    for device in devices:
        lock = open(folder / f"{device.replace('/', '_')}.lock", "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        claimed.append(device)
        locks.append(lock)
        if len(claimed) == count:
            return GpuClaim(claimed, locks)
    GpuClaim(claimed, locks).release()
    return None


def claim_gpus(count: int, devices: list[str], folder: Path, poll: float = 0.5) -> GpuClaim:
    """Wait until `count` of `devices` are free (at most all of them) and lock them."""
    count = min(count, len(devices))
    claim = try_claim(count, devices, folder)
    if claim is None:
        print(f"[vramscribe] all {len(devices)} GPU slots are taken; waiting for one to free up", file=sys.stderr)
    while claim is None:
        time.sleep(poll)
        claim = try_claim(count, devices, folder)
    return claim


def pin_gpus(count: int, device: str = "auto", environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Give this process `count` GPUs of its own by setting CUDA_VISIBLE_DEVICES; call before CUDA starts.

    Does nothing for a job that needs no GPU, for `device: cpu` or an explicit `cuda:N`, or without GPUs.
    """
    if count < 1 or device not in ("auto", "cuda"):
        return []
    devices = visible_gpus(environ)
    if not devices:
        return []
    if "CUDA_VISIBLE_DEVICES" not in environ:
        environ.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")  # number devices as NVML does
    claim = claim_gpus(count, devices, lock_dir(environ))
    _claims.append(claim)
    environ["CUDA_VISIBLE_DEVICES"] = ",".join(claim.devices)
    return claim.devices
