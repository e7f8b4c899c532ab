"""Speaker diarization with pyannote.audio: the embedded offline pipeline, a local one, or one from the hub."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import torch
from pyannote.core import Annotation

from .errors import VramscribeError
from .models import EMBEDDED, check_pipeline_spec, read_token

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")  # no telemetry from offline clusters


def pipeline_loader(spec: str, device: str, token_file: str | None = None) -> Callable[[], object]:
    """A function that loads the pipeline named by ``spec`` on ``device``: "embedded", a local directory, or a hub name.

    The pipeline's code is imported here, so that memory baselines taken before calling it measure
    the model weights, not the import of pyannote itself.
    """
    if spec == EMBEDDED:
        from .embedded import build_embedded_pipeline

        return lambda: build_embedded_pipeline(torch.device(device))
    from pyannote.audio import Pipeline

    check_pipeline_spec(spec, token_file)
    return lambda: _from_pretrained(Pipeline, spec, device, token_file)


def _from_pretrained(pipeline_class, spec: str, device: str, token_file: str | None):
    try:
        pipeline = pipeline_class.from_pretrained(spec, token=read_token(token_file))
    except Exception as exc:
        raise VramscribeError(
            spec, f"could not load the pyannote pipeline ({type(exc).__name__})",
            "check the name, your token's access to it, and the network; or use embedded",
        ) from None
    if pipeline is None:
        raise VramscribeError(spec, "pyannote returned no pipeline", "accept the model's conditions on the hub")
    return pipeline.to(torch.device(device))


def waveform_tensor(samples: np.ndarray, device: str) -> torch.Tensor:
    """(1, n) float32 waveform on the run's device, as pyannote takes it; (tracks, n) for split tracks."""
    return torch.from_numpy(samples).to(device=device, dtype=torch.float32).reshape(-1, samples.shape[-1])


def diarize(
    pipeline,
    waveform: torch.Tensor,
    sample_rate: int,
    *,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    hook: Callable | None = None,
) -> tuple[Annotation, Annotation]:
    """(full diarization with overlaps, exclusive one-speaker-at-a-time diarization).

    ``hook`` is pyannote's progress hook (step name, artifact, completed/total chunks).
    """
    output = pipeline(
        {"waveform": waveform, "sample_rate": sample_rate},
        num_speakers=num_speakers,
        min_speakers=min_speakers,
        max_speakers=max_speakers,
        hook=hook,
    )
    if isinstance(output, Annotation):
        return output, output
    return output.speaker_diarization, output.exclusive_speaker_diarization
