"""Raw faster-whisper, as a user would run it without vramscribe: load, transcribe, consume the segments.

python benchmarks/raw_transcribe.py MODEL_DIR AUDIO [--beam-size 5] [--threads 2]
Same settings as the transcribe stage on CPU: int8, Silero VAD, word timestamps, language detection.
"""

import argparse

from faster_whisper import WhisperModel

parser = argparse.ArgumentParser()
parser.add_argument("model_dir")
parser.add_argument("audio")
parser.add_argument("--beam-size", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

model = WhisperModel(args.model_dir, device="cpu", compute_type="int8", cpu_threads=args.threads)
segments, info = model.transcribe(args.audio, beam_size=args.beam_size, vad_filter=True, word_timestamps=True)
words = sum(len(s.words or []) for s in segments)
print(f"words={words} duration={info.duration:.2f}")
