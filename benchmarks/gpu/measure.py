"""GPU memory and speed of the stages, on a long file, with the project's own checkpoints.

python benchmarks/gpu/measure.py MODEL_DIR [--minutes 20] [--batch-size 16] [--device cuda:0]
                                 [--no-diarize] [--json OUT]

MODEL_DIR: a CTranslate2 Whisper directory (benchmarks/gpu/build_model.py makes a large-v3-shaped
one where no hub is reachable), or a model name such as the bundled tiny.en. The example is tiled to
``--minutes`` and written as the preprocess output; then the transcribe, diarize and align stages
run as in the API, each with its checkpoints (a stage's work: its first checkpoint to its last, after
the imports a process pays once). A thread samples the primary figure every 20 ms (NVML
for this process on a GPU, RSS on CPU) for the peaks between checkpoints. Prints one line per
figure; ``--json`` keeps everything.
"""

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import soundfile

from vramscribe import stages, transcribe
from vramscribe.audio import SAMPLE_RATE, load_wav
from vramscribe.memory import CudaBackend, MemoryMonitor, anonymous_rss, backend_for
from vramscribe.settings import Settings

EXAMPLE = Path(__file__).parents[2] / "example" / "dialogue.wav"
GB = 1e9


class PeakSampler(threading.Thread):
    """Highest figure seen since the last ``take()``: NVML's for this process on a GPU, else RSS.

    Not ``backend.read()``: that also resets torch's peak counters, which the checkpoints own.
    """

    def __init__(self, backend) -> None:
        super().__init__(daemon=True)
        process = psutil.Process()
        self.figure = (lambda: backend._nvml()[0] or 0) if isinstance(backend, CudaBackend) else (lambda: anonymous_rss(process))
        self.peak, self.running = 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.figure())
            time.sleep(0.02)

    def take(self) -> int:
        peak, self.peak = self.peak, 0
        return peak


def tiled_example(minutes: float) -> np.ndarray:
    """The example's samples repeated to ``minutes``."""
    samples = load_wav(EXAMPLE)
    return np.tile(samples, int(np.ceil(minutes * 60 * SAMPLE_RATE / len(samples))))[: int(minutes * 60 * SAMPLE_RATE)]


def long_input(paths: stages.SamplePaths, minutes: float) -> float:
    """The example tiled to ``minutes``, written where the preprocess stage would put it."""
    tiled = tiled_example(minutes)
    paths.root.mkdir(parents=True, exist_ok=True)
    soundfile.write(paths.wav, tiled, SAMPLE_RATE, subtype="PCM_16")
    return len(tiled) / SAMPLE_RATE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir")
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--compute-type", default="float16")
    parser.add_argument("--device", default="cuda:0")
    parser.add_argument("--no-diarize", action="store_true", help="transcription only (pyannote not installed)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    settings = Settings(device=args.device, whisper_model=args.model_dir, compute_type=args.compute_type,
                        batch_size=args.batch_size)
    monitor = MemoryMonitor(backend_for(args.device), echo=False)
    sampler = PeakSampler(monitor.backend)
    sampler.start()
    loaded = {}
    run = transcribe.transcribe

    def transcribe_after_load(model, *a, **k):
        checkpoint = monitor.measure("Whisper loaded")
        loaded.update(figure=checkpoint.figure, value=checkpoint.value, reading=checkpoint.reading)
        sampler.take()
        return run(model, *a, **k)

    transcribe.transcribe = transcribe_after_load
    out: dict = {"device": args.device, "model": args.model_dir, "batch_size": args.batch_size,
                 "compute_type": args.compute_type}
    with tempfile.TemporaryDirectory() as tmp:
        paths = stages.SamplePaths.under(tmp, "long")
        out["audio_s"] = long_input(paths, args.minutes)
        timings = {}
        for stage in ["transcribe"] + ([] if args.no_diarize else ["diarize", "align"]):
            sampler.take()
            start = time.perf_counter()
            if stage == "transcribe":
                stages.run_transcribe(paths, settings, monitor)
            elif stage == "diarize":
                stages.run_diarize(paths, settings, monitor)
            else:
                stages.run_align(paths, monitor)
            timings[stage] = time.perf_counter() - start
            memory = json.loads(paths.memory(stage).read_text())
            times = [checkpoint["time"] for checkpoint in memory["checkpoints"]]
            out[stage] = {"seconds": round(timings[stage], 2), "x_realtime": round(out["audio_s"] / timings[stage], 1),
                          "work_seconds": round(max(times) - min(times), 2),
                          "peak": sampler.take(), "cleanups": memory["cleanups"], "checkpoints": memory["checkpoints"]}
    sampler.running = False
    out["whisper_loaded"] = loaded
    out["end_to_end_x_realtime"] = round(out["audio_s"] / sum(timings.values()), 1)
    out["work_x_realtime"] = round(out["audio_s"] / sum(out[stage]["work_seconds"] for stage in timings), 1)
    whisper = out["transcribe"]["cleanups"][0]
    print(f"audio {out['audio_s'] / 60:.1f} min on {args.device}; figure: {whisper['figure']}")
    print(f"Whisper loaded: {loaded['value'] / GB:.2f} GB ({loaded['figure']}), {(loaded['value'] - whisper['baseline']) / GB:.2f} GB "
          f"above the post-initialisation baseline ({whisper['baseline'] / GB:.2f} GB)")
    print(f"transcribe: peak {out['transcribe']['peak'] / GB:.2f} GB, {out['transcribe']['x_realtime']}x realtime, "
          f"Whisper recovered {whisper['recovered']:.1%} ({whisper['verdict']})")
    if not args.no_diarize:
        print(f"diarize: peak {out['diarize']['peak'] / GB:.2f} GB, {out['diarize']['x_realtime']}x realtime, "
              + ", ".join(f"{c['name']} {c['verdict']}" for c in out["diarize"]["cleanups"]))
    print(f"end to end: {out['end_to_end_x_realtime']}x realtime; {out['work_x_realtime']}x from each stage's first "
          "checkpoint to its last (model loads included, a process's one-time imports not)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
