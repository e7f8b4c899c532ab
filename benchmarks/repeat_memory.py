"""Memory over many files in one process: do cleanups hold, does the floor creep up?

python benchmarks/repeat_memory.py [AUDIO] [N]   (default: the example, 10 times)
Prints, per file, the four cleanup verdicts and the RSS after the final cleanup; then the floor's
trend (vramscribe.creep: slope per file, rank correlation, creep or not).
"""

import sys
import tempfile
from pathlib import Path

from vramscribe import GPUTranscriptionPipeline

audio = sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).parents[1] / "example" / "dialogue.wav")
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 10
with tempfile.TemporaryDirectory() as out, GPUTranscriptionPipeline(out_dir=out, echo=False) as pipeline:
    for i in range(repeats):
        memory = pipeline.process(audio, out_dir=Path(out) / str(i))["memory"]
        verdicts = ", ".join(f"{c['name']} {c['verdict']}" for stage in memory.values() for c in stage["cleanups"])
        floor = memory["final"]["checkpoints"][-1]
        print(f"file {i + 1}: {verdicts}; after final cleanup {floor['figure']} {floor['value'] / 2**20:.0f} MB", flush=True)
    print(f"trend: {pipeline.creep()}")
