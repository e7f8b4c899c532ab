"""The embedded (offline) diarization: its clustering logic, and its accuracy on real audio."""

import numpy as np
import pytest
import torch

from conftest import EVAL_DATA, EXAMPLE, needs_eval_data
from vramscribe import audio, diarize
from vramscribe.embedded import build_embedded_pipeline, cluster_windows
from vramscribe.formats import read_rttm
from vramscribe.scoring import diarization_error_rate
from pyannote.core import Segment, Timeline


def blobs(centres: int, per_centre: int = 30, spread: float = 0.3, seed: int = 0) -> np.ndarray:
    """Unit vectors scattered around ``centres`` random directions in 192 dimensions."""
    rng = np.random.default_rng(seed)
    points = np.concatenate([c + spread * rng.standard_normal((per_centre, 192)) / np.sqrt(192) * 4
                             for c in rng.standard_normal((centres, 192))])
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def count(labels: np.ndarray) -> int:
    return len(np.unique(labels))


def test_clusters_follow_the_voices_and_the_given_counts():
    three = blobs(3)
    assert count(cluster_windows(three, None, 1, np.inf, 0.5, 0.02)) == 3
    truth = np.repeat(np.arange(3), 30)
    labels = cluster_windows(three, None, 1, np.inf, 0.5, 0.02)
    assert all(count(labels[truth == k]) == 1 for k in range(3))  # each voice in one cluster
    assert count(cluster_windows(three, 2, 2, 2, 0.5, 0.02)) == 2
    assert count(cluster_windows(three, None, 1, 2, 0.5, 0.02)) == 2  # max_speakers
    assert count(cluster_windows(blobs(1), None, 1, np.inf, 0.5, 0.02)) == 1
    assert count(cluster_windows(blobs(1), None, 2, np.inf, 0.5, 0.02)) == 2  # min_speakers


def test_a_few_stray_windows_do_not_become_a_speaker():
    points = np.concatenate([blobs(2), blobs(1, per_centre=2, seed=7)])
    assert count(cluster_windows(points, None, 1, np.inf, 0.5, 0.02)) == 2


@pytest.fixture(scope="module")
def pipeline():
    return build_embedded_pipeline(torch.device("cpu"))


def run(pipeline, path, tmp_path, **speakers):
    wav = tmp_path / "audio.wav"
    audio.preprocess(path, wav)
    full, _ = diarize.diarize(pipeline, diarize.waveform_tensor(audio.load_wav(wav), "cpu"), audio.SAMPLE_RATE, **speakers)
    return full


@pytest.mark.slow
@pytest.mark.parametrize("speakers, target", [({}, 0.25), ({"num_speakers": 2}, 0.15)])
def test_example_meets_its_der_target(pipeline, tmp_path, speakers, target):
    hypothesis = run(pipeline, EXAMPLE / "dialogue.wav", tmp_path, **speakers)
    assert hypothesis.labels() == ["SPEAKER_00", "SPEAKER_01"]
    assert diarization_error_rate(read_rttm(EXAMPLE / "dialogue.rttm"), hypothesis) <= target


@pytest.mark.slow
@needs_eval_data("dev00.wav", "dev00.rttm")
@pytest.mark.parametrize("speakers, target", [({}, 0.25), ({"num_speakers": 2}, 0.15)])
def test_dev00_meets_its_der_target(pipeline, tmp_path, speakers, target):
    hypothesis = run(pipeline, EVAL_DATA / "dev00.wav", tmp_path, **speakers)
    assert len(hypothesis.labels()) == 2
    uem = Timeline([Segment(0.0, 30.0)])
    assert diarization_error_rate(read_rttm(EVAL_DATA / "dev00.rttm"), hypothesis, uem=uem) <= target


@pytest.mark.slow
@needs_eval_data("dev00.wav", "jfk.flac")
def test_speaker_bounds_are_honoured_and_one_voice_stays_one(pipeline, tmp_path):
    assert len(run(pipeline, EVAL_DATA / "dev00.wav", tmp_path, max_speakers=1).labels()) == 1
    assert len(run(pipeline, EVAL_DATA / "dev00.wav", tmp_path, min_speakers=3).labels()) == 3
    assert len(run(pipeline, EVAL_DATA / "jfk.flac", tmp_path).labels()) == 1
