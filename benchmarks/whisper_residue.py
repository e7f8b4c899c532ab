"""What Whisper leaves in a CPU process: load + unload alone, then load + transcribe + unload.

python benchmarks/whisper_residue.py [COMPUTE_TYPE] [BATCH_SIZE]   (default: int8 1, the CPU default)
Figures are anonymous RSS after gc.collect() and malloc_trim, as the memory checkpoints take them.
"""

import gc
import sys
from pathlib import Path

from vramscribe import audio, models, transcribe
from vramscribe.memory import CpuBackend

compute_type = sys.argv[1] if len(sys.argv) > 1 else "int8"
batch_size = int(sys.argv[2]) if len(sys.argv) > 2 else 1
backend = CpuBackend()
samples = audio.load_wav(Path(__file__).parents[1] / "example" / "dialogue.wav")
load = transcribe.whisper_loader(models.resolve_model_path(models.BUNDLED_MODEL), "cpu", compute_type)


def mb() -> float:
    gc.collect()
    backend.release()
    return backend.read().rss / 2**20


for label, infer in (("load + unload", False), ("load + transcribe + unload", True)):
    baseline = mb()
    model = load()
    result = transcribe.transcribe(model, samples, batch_size=batch_size) if infer else None
    before = mb()
    transcribe.unload_whisper(model)
    del model, result
    after = mb()
    print(f"{label} ({compute_type}, batch {batch_size}): baseline {baseline:.0f} MB, before cleanup {before:.0f} MB, "
          f"after {after:.0f} MB, recovered {(before - after) / (before - baseline):.0%}")
