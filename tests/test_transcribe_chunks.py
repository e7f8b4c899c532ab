"""Long audio is transcribed in pieces cut at quiet points; the words stay the same."""

import numpy as np
import pytest

from conftest import EXAMPLE
from vramscribe import audio, models, transcribe
from vramscribe.scoring import word_error_rate


def test_chunks_cover_everything_and_cut_in_the_quiet():
    rate = audio.SAMPLE_RATE
    loud = np.ones(30 * rate, dtype=np.float32)
    loud[int(18.3 * rate):int(18.5 * rate)] = 0  # the only quiet spot within 5 s of the 20 s mark
    bounds = transcribe.chunk_bounds(loud, 20.0)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(loud)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    assert len(bounds) == 2 and 18.3 * rate <= bounds[0][1] <= 18.5 * rate
    assert transcribe.chunk_bounds(loud, 600.0) == [(0, len(loud))]


@pytest.mark.slow
def test_chunked_transcription_keeps_the_words_and_their_times(tmp_path):
    wav = tmp_path / "a.wav"
    audio.preprocess(EXAMPLE / "dialogue.wav", wav)
    samples = audio.load_wav(wav)
    model = transcribe.load_whisper(models.resolve_model_path("tiny.en"), "cpu", "int8")
    whole = transcribe.transcribe(model, samples)
    pieces = transcribe.transcribe(model, samples, chunk_seconds=12.0)
    text = lambda result: " ".join(w["text"] for s in result["segments"] for w in s["words"])
    assert word_error_rate(text(whole), text(pieces)) <= 0.1
    starts = [w["start"] for s in pieces["segments"] for w in s["words"]]
    assert starts == sorted(starts) and starts[-1] > 20.0  # offsets added: times run to the end
    assert [s["id"] for s in pieces["segments"]] == list(range(1, len(pieces["segments"]) + 1))
    assert pieces["duration"] == whole["duration"]
