"""The transcribe stage as its own process, exactly as the workflow's transcribe job runs it (minus Snakemake).

python benchmarks/stage_transcribe.py RESULTS SAMPLE [BATCH_SIZE]
RESULTS/SAMPLE/audio.wav must exist (the preprocess stage's output); writes transcript.json and
memory/transcribe.json beside it. Threads come from OMP_NUM_THREADS, as under Snakemake.
"""

import sys

from vramscribe.memory import CpuBackend, MemoryMonitor
from vramscribe.settings import Settings
from vramscribe.stages import SamplePaths, run_transcribe

results, sample = sys.argv[1], sys.argv[2]
settings = Settings(device="cpu", batch_size=int(sys.argv[3]) if len(sys.argv) > 3 else 1)
result = run_transcribe(SamplePaths.under(results, sample), settings, MemoryMonitor(CpuBackend()))
words = sum(len(s["words"]) for s in result["segments"])
print(f"words={words} duration={result['duration']:.2f}")
