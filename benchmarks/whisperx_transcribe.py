"""WhisperX's transcription on a local CTranslate2 model, CPU int8: what a WhisperX user runs first.

python benchmarks/whisperx_transcribe.py MODEL_DIR AUDIO [--batch-size 8] [--threads 2]
Run with the python of a separate venv holding whisperx 3.8.6 (never the project's venv).
Its VAD is the pyannote segmentation model bundled in the whisperx wheel (offline). Not run: its
wav2vec2 word alignment and its diarization, which download models from the hub.
"""

import argparse

import whisperx

parser = argparse.ArgumentParser()
parser.add_argument("model_dir")
parser.add_argument("audio")
parser.add_argument("--batch-size", type=int, default=8)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

model = whisperx.load_model(
    args.model_dir, "cpu", compute_type="int8", threads=args.threads, language="en",
    asr_options={"beam_size": 5}, vad_method="pyannote",
)
result = model.transcribe(whisperx.load_audio(args.audio), batch_size=args.batch_size)
words = sum(len(s["text"].split()) for s in result["segments"])
print(f"words={words} segments={len(result['segments'])}")
