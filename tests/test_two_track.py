"""Two-track recordings (one talker per channel), real runs: split and attributed by channel, copies mixed."""

import csv
import re

import numpy as np
import pytest
import soundfile
from pyannote.core import Segment, Timeline

from conftest import DIARIZATION_DATA, EVAL_DATA, EXAMPLE, needs_eval_data, read_json, run_workflow
from media import two_track_dialogue
from vramscribe import GPUTranscriptionPipeline
from vramscribe.formats import read_rttm
from vramscribe.scoring import diarization_error_rate, word_error_rate, word_speaker_accuracy
from vramscribe.stages import CHECKPOINT_NAMES, STAGES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    with GPUTranscriptionPipeline(out_dir=tmp_path_factory.mktemp("two_track"), echo=False) as p:
        yield p


def text_of(result, speaker):
    return " ".join(s["text"] for s in result["segments"] if s["speaker"] == speaker)


@needs_eval_data("stereo_diarization.wav", "stereo_diarization.left.txt", "stereo_diarization.right.txt")
def test_each_channel_sentence_goes_to_its_own_speaker(pipeline):
    result = pipeline.process(EVAL_DATA / "stereo_diarization.wav")
    channels = result["memory"]["preprocess"]["details"]["channels"]
    assert channels["decision"] == "split" and channels["requested"] == "auto"
    left, right = ((EVAL_DATA / f"stereo_diarization.{side}.txt").read_text() for side in ("left", "right"))
    assert result["speakers"] == ["CH1", "CH2"]
    assert word_error_rate(left, text_of(result, "CH1")) <= 0.15
    assert word_error_rate(right, text_of(result, "CH2")) <= 0.15
    assert word_error_rate(f"{left} {right}", f"{text_of(result, 'CH1')} {text_of(result, 'CH2')}") <= 0.15
    rttm = read_rttm(f"{result['out_dir']}/diarization.rttm")
    both = rttm.label_timeline("CH1").support().crop(rttm.label_timeline("CH2").support(), mode="intersection")
    assert both.duration() > 1.0  # the two talkers overlap, and the RTTM keeps it
    starts = [w["start"] for w in result["words"]]
    assert starts == sorted(starts)


@needs_eval_data("stereo_a2.wav", "stereo_a2.rttm", "stereo_a2.uem", folder=DIARIZATION_DATA)
def test_two_voices_leaking_at_minus_20_db(pipeline):
    result = pipeline.process(DIARIZATION_DATA / "stereo_a2.wav")
    reference = read_rttm(DIARIZATION_DATA / "stereo_a2.rttm")
    hypothesis = read_rttm(f"{result['out_dir']}/diarization.rttm")
    assert hypothesis.labels() == ["CH1", "CH2"] and result["speakers"] == ["CH1", "CH2"]
    assert diarization_error_rate(reference, hypothesis, Timeline([Segment(0, 93.215)])) <= 0.05
    assert len(result["words"]) > 150
    assert word_speaker_accuracy(result["words"], reference, any_overlapping=True) >= 0.97
    assert [c["name"] for s in STAGES for c in result["memory"][s]["checkpoints"]] == CHECKPOINT_NAMES
    assert result["memory"]["diarize"]["details"]["voices"] == {"CH1": "one", "CH2": "one"}
    assert "leak" not in [c["verdict"] for s in STAGES for c in result["memory"][s]["cleanups"]]


@needs_eval_data("jfk.flac")
def test_identical_channels_are_mixed_exactly_as_before(pipeline, tmp_path):
    auto = pipeline.process(EVAL_DATA / "jfk.flac")
    assert auto["memory"]["preprocess"]["details"]["channels"]["decision"] == "mix"
    with GPUTranscriptionPipeline(out_dir=tmp_path, echo=False, channels="mix") as mix_pipeline:
        mixed = mix_pipeline.process(EVAL_DATA / "jfk.flac")
    assert soundfile.info(f"{auto['out_dir']}/audio.wav").channels == 1
    assert open(f"{auto['out_dir']}/audio.wav", "rb").read() == open(f"{mixed['out_dir']}/audio.wav", "rb").read()
    assert [(w["text"], w["start"], w["speaker"]) for w in auto["words"]] == [(w["text"], w["start"], w["speaker"]) for w in mixed["words"]]


def test_a_track_holding_two_voices_is_diarized_further(tmp_path):
    speech, rate = soundfile.read(str(EXAMPLE / "dialogue.wav"), dtype="float32")
    speech = speech[: 16 * rate]
    quiet = np.random.default_rng(1).standard_normal(len(speech)).astype(np.float32) * 0.001
    soundfile.write(str(tmp_path / "booth.wav"), np.stack([speech, quiet]).T, rate, subtype="PCM_16")
    with GPUTranscriptionPipeline(out_dir=tmp_path / "out", echo=False, channels="split") as p:
        result = p.process(tmp_path / "booth.wav")
    assert result["memory"]["diarize"]["details"]["voices"] == {"CH1": "several", "CH2": "one"}
    assert result["speakers"] == ["CH1_SPEAKER_00", "CH1_SPEAKER_01"]
    reference = read_rttm(EXAMPLE / "dialogue.rttm").crop(Segment(0, 16))
    assert word_speaker_accuracy(result["words"], reference) >= 0.9


def test_workflow_splits_a_two_track_call(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    two_track_dialogue(inputs / "call.wav")
    run_workflow(tmp_path, "--config", f"input_dir={inputs}", "channels=split")
    root = tmp_path / "results" / "call"
    assert soundfile.info(str(root / "audio.wav")).channels == 2
    aligned = read_json(root / "aligned.json")
    assert aligned["speakers"] == ["CH1", "CH2"]
    reference = read_rttm(EXAMPLE / "dialogue.rttm").crop(Segment(0, 11))
    assert word_speaker_accuracy(aligned["words"], reference) >= 0.95
    assert set(read_rttm(root / "diarization.rttm").labels()) == {"CH1", "CH2"}
    rows = list(csv.DictReader(open(root / "call.tsv"), delimiter="\t"))
    assert [float(r["start"]) for r in rows] == sorted(float(r["start"]) for r in rows)
    assert {r["speaker"] for r in rows} == {"CH1", "CH2"} and "[CH2]" in (root / "call.srt").read_text()
    logs = [read_json(root / f"memory/{stage}.json") for stage in STAGES]
    assert [c["name"] for log in logs for c in log["checkpoints"]] == CHECKPOINT_NAMES
    assert logs[0]["details"]["channels"]["decision"] == "split"
    markdown = (tmp_path / "results/report/cleanup_verification.md").read_text()
    assert "Channels: 2, split -> **split**" in markdown
    progress = [line for line in (tmp_path / "logs/transcribe/call.log").read_text().splitlines()
                if line.startswith("[progress] transcribe call: ")]
    marks = [tuple(map(float, re.search(r": ([\d.]+) / ([\d.]+) s", line).groups())) for line in progress]
    both_tracks = 2 * soundfile.info(str(root / "audio.wav")).duration  # the tracks are transcribed one after the other
    assert marks and all(abs(total - both_tracks) < 0.2 for _, total in marks) and "done in" in progress[-1]
    assert [position for position, _ in marks] == sorted(position for position, _ in marks)
