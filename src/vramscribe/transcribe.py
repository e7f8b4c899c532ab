"""faster-whisper transcription with Silero VAD and word timestamps, into a plain JSON-able dict."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np


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


def transcribe(
    model,
    samples: np.ndarray,
    *,
    language: str | None = None,
    beam_size: int = 5,
    batch_size: int = 1,
) -> dict[str, Any]:
    """Transcribe 16 kHz samples; the lazy segment generator is consumed here, before the model can go."""
    options = dict(language=language, beam_size=beam_size, vad_filter=True, word_timestamps=True)
    if batch_size > 1:
        from faster_whisper import BatchedInferencePipeline

        segments, info = BatchedInferencePipeline(model=model).transcribe(samples, batch_size=batch_size, **options)
    else:
        segments, info = model.transcribe(samples, **options)
    return {
        "language": info.language,
        "language_probability": round(float(info.language_probability), 4),
        "duration": round(float(info.duration), 3),
        "segments": [_segment(s) for s in segments],
    }


def _segment(segment) -> dict[str, Any]:
    return {
        "id": segment.id,
        "start": round(segment.start, 3),
        "end": round(segment.end, 3),
        "text": segment.text.strip(),
        "probability": round(math.exp(segment.avg_logprob), 4),
        "avg_logprob": round(segment.avg_logprob, 4),
        "no_speech_prob": round(segment.no_speech_prob, 4),
        "words": [
            {"start": round(w.start, 3), "end": round(w.end, 3), "text": w.word.strip(), "probability": round(w.probability, 4)}
            for w in segment.words or []
        ],
    }


def unload_whisper(model) -> None:
    """Free the CTranslate2 weights and the cached Silero VAD session (the caller still drops its reference)."""
    from faster_whisper.vad import get_vad_model

    model.model.unload_model()
    get_vad_model.cache_clear()
