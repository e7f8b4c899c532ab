"""faster-whisper transcription with Silero VAD and word timestamps, into a plain JSON-able dict."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from .audio import SAMPLE_RATE


def whisper_loader(model_path: str, device: str, compute_type: str) -> Callable[[], Any]:
    """A function that loads the model; faster-whisper and its VAD runtime are imported here, so that
    a memory baseline taken before calling it measures the model, not the import of the library."""
    import faster_whisper.vad  # noqa: F401  (onnxruntime, for the Silero VAD)

    return lambda: load_whisper(model_path, device, compute_type)


def load_whisper(model_path: str, device: str, compute_type: str):
    """Load a CTranslate2 Whisper model; ``device`` is "cpu" or "cuda[:N]"."""
    from faster_whisper import WhisperModel

    kind, _, index = device.partition(":")
    threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    return WhisperModel(
        model_path, device=kind, device_index=int(index or 0), compute_type=compute_type, cpu_threads=threads
    )


def default_compute_type(device: str) -> str:
    """float16 on a GPU, int8 on CPU (fastest there, same words on the bundled model)."""
    return "float16" if device.startswith("cuda") else "int8"


CHUNK_SECONDS = 600.0  # longer audio is transcribed in pieces, so features never cover the whole file


def transcribe(
    model,
    samples: np.ndarray,
    *,
    language: str | None = None,
    beam_size: int = 5,
    batch_size: int = 1,
    chunk_seconds: float = CHUNK_SECONDS,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """Transcribe 16 kHz samples; each lazy segment generator is consumed here, before the model can go.

    faster-whisper computes the features of all it is given at once (≈ 3.6 GB per hour), so long
    audio goes in pieces of ``chunk_seconds``, cut at the quietest 0.1 s near each boundary.
    ``progress`` is called with the position (s) reached after each segment.
    """
    options = dict(beam_size=beam_size, vad_filter=True, word_timestamps=True)
    if batch_size > 1:
        from faster_whisper import BatchedInferencePipeline

        batched = BatchedInferencePipeline(model=model)
        run = lambda audio, **kw: batched.transcribe(audio, batch_size=batch_size, **kw)
    else:
        run = model.transcribe
    segments, info = [], None
    for start, end in chunk_bounds(samples, chunk_seconds):
        pieces, chunk_info = run(samples[start:end], language=language, **options)
        for piece in pieces:
            segments.append(_segment(piece, start / SAMPLE_RATE))
            if progress:
                progress(segments[-1]["end"])
        info, language = info or chunk_info, language or chunk_info.language
    for index, segment in enumerate(segments, start=1):
        segment["id"] = index
    return {
        "language": info.language,
        "language_probability": round(float(info.language_probability), 4),
        "duration": round(len(samples) / SAMPLE_RATE, 3),
        "segments": segments,
    }


def transcribe_tracks(model, tracks: np.ndarray, *, language: str | None = None, **options) -> dict[str, Any]:
    """Transcribe each row of ``tracks`` (channels, samples) with the one model; one row is plain `transcribe`.

    Every segment of a split recording names its ``track`` (from 1); segments of all tracks are
    merged in time order. The language is detected on the first track that has speech, then kept.
    """
    if len(tracks) == 1:
        return transcribe(model, tracks[0], language=language, **options)
    progress, results = options.pop("progress", None), []
    for index, samples in enumerate(tracks):
        done = index * len(samples) / SAMPLE_RATE  # progress counts the tracks one after another
        track_progress = progress and (lambda position, done=done: progress(done + position))
        results.append(transcribe(model, samples, language=language, progress=track_progress, **options))
        language = language or (results[-1]["language"] if results[-1]["segments"] else None)
    spoken = next((r for r in results if r["segments"]), results[0])
    segments = sorted(
        ({**segment, "track": index} for index, r in enumerate(results, start=1) for segment in r["segments"]),
        key=lambda s: (s["start"], s["track"]),
    )
    for index, segment in enumerate(segments, start=1):
        segment["id"] = index
    return {**spoken, "segments": segments, "tracks": len(tracks)}


def chunk_bounds(samples: np.ndarray, chunk_seconds: float) -> list[tuple[int, int]]:
    """(start, end) sample ranges of at most ~``chunk_seconds``, each cut at the quietest 0.1 s within 5 s of its end."""
    size, step, reach = int(chunk_seconds * SAMPLE_RATE), SAMPLE_RATE // 10, 5 * SAMPLE_RATE
    bounds, start = [], 0
    while len(samples) - start > size:
        low = start + size - reach
        window = samples[low:low + 2 * reach]
        frames = window[: len(window) // step * step].reshape(-1, step)
        cut = low + int(np.argmin(np.abs(frames).mean(axis=1))) * step + step // 2
        bounds.append((start, cut))
        start = cut
    return bounds + [(start, len(samples))]


def _segment(segment, offset: float = 0.0) -> dict[str, Any]:
    return {
        "id": segment.id,
        "start": round(segment.start + offset, 3),
        "end": round(segment.end + offset, 3),
        "text": segment.text.strip(),
        "probability": round(math.exp(segment.avg_logprob), 4),
        "avg_logprob": round(segment.avg_logprob, 4),
        "no_speech_prob": round(segment.no_speech_prob, 4),
        "words": [
            {"start": round(w.start + offset, 3), "end": round(w.end + offset, 3), "text": w.word.strip(), "probability": round(w.probability, 4)}
            for w in segment.words or []
        ],
    }


def unload_whisper(model) -> None:
    """Free the CTranslate2 weights and the cached Silero VAD session (the caller still drops its reference)."""
    from faster_whisper.vad import get_vad_model

    model.model.unload_model()
    get_vad_model.cache_clear()
