"""The corpus baseline: one process that loads Whisper and the diarization pipeline once and loops over files.

python benchmarks/baseline_loop.py MODEL_DIR OUT_DIR AUDIO...
What a user would write by hand with the raw libraries: transcription (int8, VAD, word timestamps,
beam 5) + the embedded pyannote pipeline + word-to-speaker alignment, one JSON per file, no
memory checkpoints. Threads: OMP_NUM_THREADS (default 2) for CTranslate2; torch reads it too.
"""

import json
import os
import sys
import time
from pathlib import Path

import soundfile
import torch
from faster_whisper import WhisperModel

from vramscribe.align import word_speakers
from vramscribe.embedded import build_embedded_pipeline

model_dir, out_dir, files = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
out_dir.mkdir(parents=True, exist_ok=True)
start = time.perf_counter()
model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=int(os.environ.get("OMP_NUM_THREADS", "2")))
pipeline = build_embedded_pipeline(torch.device("cpu"))
loaded = time.perf_counter() - start
for path in files:
    samples, rate = soundfile.read(path, dtype="float32")
    segments, info = model.transcribe(samples, beam_size=5, vad_filter=True, word_timestamps=True)
    words = [{"start": w.start, "end": w.end, "text": w.word} for s in segments for w in s.words or []]
    output = pipeline({"waveform": torch.from_numpy(samples)[None], "sample_rate": rate})
    exclusive = getattr(output, "exclusive_speaker_diarization", output)
    turns = [(t.start, t.end, label) for t, _, label in exclusive.itertracks(yield_label=True)]
    for word, speaker in zip(words, word_speakers(words, turns)):
        word["speaker"] = speaker
    (out_dir / f"{Path(path).stem}.json").write_text(json.dumps(words), encoding="utf-8")
print(f"files={len(files)} models_loaded_in={loaded:.2f}s total={time.perf_counter() - start:.2f}s")
