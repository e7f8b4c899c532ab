"""End-to-end through the API, one fresh process: GPUTranscriptionPipeline(out_dir).process(file) per file.

python benchmarks/e2e.py OUT_DIR AUDIO...   -> one JSON line per file: wall of process(), audio seconds.
The first call pays the lazy imports (faster-whisper, pyannote) inside process(); that is counted.
"""

import json
import sys
import time

import soundfile

from vramscribe import GPUTranscriptionPipeline

out_dir, files = sys.argv[1], sys.argv[2:]
with GPUTranscriptionPipeline(out_dir=out_dir, device="cpu", echo=False) as pipeline:
    for path in files:
        info = soundfile.info(path)
        start = time.perf_counter()
        result = pipeline.process(path)
        wall = time.perf_counter() - start
        print(json.dumps({
            "file": path, "audio_s": info.frames / info.samplerate, "process_s": round(wall, 3),
            "speakers": result["speakers"], "words": len(result["words"]),
            "checkpoints": sum(len(m["checkpoints"]) for m in result["memory"].values()),
        }), flush=True)
