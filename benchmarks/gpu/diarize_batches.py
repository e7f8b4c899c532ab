"""The embedded diarization on a GPU, phase by phase, at several batch sizes.

python benchmarks/gpu/diarize_batches.py [--minutes 20] [--batch-sizes 16,32,64,128] [--device cuda:0]

The example tiled to ``--minutes`` (as measure.py), one pipeline, one warm-up on 30 s. Per batch size
(segmentation and embedding alike): seconds up to the first embedding batch (segmentation, speaker
count, windows), of the embeddings and of the rest (clustering, output), ×realtime, torch's peak
allocated, speakers found and the DER of its output against the first batch size's (0: the same
labels). Then the filterbank alone on 128 windows of 1.5 s: torchaudio's Kaldi ``fbank`` called per
window (what the embedding did before 2026-12-04) against the batched one, and CAM++'s frame layers.
"""

import argparse
import time

import torch
import torchaudio

from measure import tiled_example
from vramscribe import diarize
from vramscribe.audio import SAMPLE_RATE
from vramscribe.embedded import build_embedded_pipeline
from vramscribe.scoring import diarization_error_rate


def sync() -> None:
    """Wait for the GPU's queued work (nothing to wait for on CPU, where a smoke test runs this)."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(function, repeats: int = 10) -> float:
    """Mean milliseconds of ``function()`` on the GPU, after one warm-up call."""
    function()
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    sync()
    return (time.perf_counter() - start) / repeats * 1000


def run(pipeline, waveform: torch.Tensor) -> tuple[dict, object]:
    """One diarization with the time of each phase (the progress hook's first and last call of each step)."""
    marks: dict[str, list[float]] = {}

    def hook(step, artifact, file=None, total=None, completed=None):
        sync()
        marks.setdefault(step, []).append(time.perf_counter())

    sync()
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    annotation, _ = diarize.diarize(pipeline, waveform, SAMPLE_RATE, hook=hook)
    sync()
    end = time.perf_counter()
    embeddings = marks.get("embeddings", [end, end])
    return {"segmentation_s": embeddings[0] - start, "embeddings_s": embeddings[-1] - embeddings[0],
            "rest_s": end - embeddings[-1], "total_s": end - start,
            "peak_allocated_gb": torch.cuda.max_memory_allocated() / 1e9 if torch.cuda.is_available() else 0.0}, annotation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--batch-sizes", default="16,32,64,128")
    parser.add_argument("--device", default="cuda:0")
    args = parser.parse_args()
    device = torch.device(args.device)
    samples = tiled_example(args.minutes)
    pipeline = build_embedded_pipeline(device)
    waveform = diarize.waveform_tensor(samples, args.device)
    run(pipeline, waveform[:, : 30 * SAMPLE_RATE])  # warm-up: cuDNN's and cuFFT's plans
    first = None
    for batch_size in map(int, args.batch_sizes.split(",")):
        pipeline.embedding_batch_size = pipeline.segmentation_batch_size = batch_size
        figures, annotation = run(pipeline, waveform)
        first = annotation if first is None else first
        print(f"batch {batch_size}: " + " ".join(f"{k} {v:.2f}" for k, v in figures.items())
              + f" x_realtime {len(samples) / SAMPLE_RATE / figures['total_s']:.1f} speakers {len(annotation.labels())}"
              + f" der_vs_first {diarization_error_rate(first, annotation):.4f}", flush=True)

    embedding = pipeline._embedding
    windows = waveform[0, : 128 * 24000].reshape(128, 24000)
    kaldi = torchaudio.compliance.kaldi.fbank

    def per_window():
        return torch.stack([kaldi(w[None] * 32768, num_mel_bins=80, sample_frequency=SAMPLE_RATE, dither=0.0) for w in windows])

    features = embedding.fbank(windows).permute(0, 2, 1)
    with torch.inference_mode():
        print(f"128 windows of 1.5 s: fbank per window {timed(per_window):.1f} ms, batched {timed(lambda: embedding.fbank(windows)):.1f} ms, "
              f"frame layers {timed(lambda: embedding.frame_layers()(features)):.1f} ms", flush=True)


if __name__ == "__main__":
    main()
