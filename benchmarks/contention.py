"""A diarization job alone and beside a competing 2-thread process, with default or passive OpenMP waiting.

python benchmarks/contention.py [WAV] [ROUNDS] [POLICIES]   (default: the example, 2 rounds, all policies, comma-separated; 2 threads per job)

Each measurement is a fresh process running the diarize stage on WAV (imports, model load and
diarization: what a rule job does). `default` is GNU OpenMP's own wait policy (what vramscribe ran
with before it set PASSIVE: idle threads spin a while before sleeping). The competitor is another such
diarization, in a loop, with the default policy, as another user's job would be. Rounds interleave the conditions,
so a drifting machine load hits them alike. Prints one line per run and the slowdowns.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WAV = sys.argv[1] if len(sys.argv) > 1 else str(REPO / "example" / "dialogue.wav")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
JOB = f"""
import os, sys, time, tempfile
import vramscribe  # sets OMP_WAIT_POLICY=PASSIVE unless set; torch is not imported yet
if os.environ.get("BENCH_POLICY") != "PASSIVE":
    os.environ.pop("OMP_WAIT_POLICY", None)
from vramscribe.memory import MemoryMonitor, CpuBackend
from vramscribe.settings import Settings
from vramscribe.stages import SamplePaths, run_diarize
import shutil
out = tempfile.mkdtemp()
paths = SamplePaths.under(out, "bench")
paths.root.mkdir(parents=True)
shutil.copy({WAV!r}, paths.wav)
run_diarize(paths, Settings(device="cpu"), MemoryMonitor(CpuBackend(), echo=False))
shutil.rmtree(out)
"""
COMPETITOR = f"while True:\n    exec({JOB!r})"


POLICIES = {"default": {}, "PASSIVE": {}, "spin 10k": {"GOMP_SPINCOUNT": "10000"}}


CHOSEN = sys.argv[3].split(",") if len(sys.argv) > 3 else list(POLICIES)


def environment(policy: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="2", BENCH_POLICY=policy, **POLICIES[policy])
    env.pop("OMP_WAIT_POLICY", None)
    return env


def timed_job(policy: str) -> tuple[float, float]:
    """(wall s, CPU s) of one diarize job."""
    start = time.perf_counter()
    before = os.times()
    subprocess.run([sys.executable, "-c", JOB], env=environment(policy), check=True)
    after = os.times()
    return time.perf_counter() - start, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def competitor() -> subprocess.Popen:
    """A 2-thread diarization loop with the OpenMP defaults; the caller stops it."""
    return subprocess.Popen([sys.executable, "-c", COMPETITOR], env=environment("default"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for round_ in range(1, ROUNDS + 1):
        for policy in CHOSEN:
            for beside in ("alone", "beside a 2-thread job"):
                rival = competitor() if beside != "alone" else None
                if rival:
                    time.sleep(15)  # the competitor is past its imports and diarizing
                try:
                    wall, cpu = timed_job(policy)
                    if rival and rival.poll() is not None:
                        sys.exit(f"the competitor stopped (exit {rival.returncode}) before the timed job ended")
                finally:
                    if rival:
                        rival.kill()
                        rival.wait()
                load = os.getloadavg()[0]
                results.setdefault((policy, beside), []).append((wall, cpu))
                print(f"round {round_} wait policy {policy:7s} {beside:22s} wall {wall:6.1f} s  cpu {cpu:6.1f} s  load {load:.2f}", flush=True)
    for policy in CHOSEN:
        alone = min(w for w, _ in results[(policy, "alone")])
        beside = min(w for w, _ in results[(policy, "beside a 2-thread job")])
        print(f"wait policy {policy}: best alone {alone:.1f} s, best beside {beside:.1f} s, slowdown {beside / alone:.2f}x")


if __name__ == "__main__":
    main()
