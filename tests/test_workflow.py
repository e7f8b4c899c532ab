"""A real Snakemake run on the bundled example: accuracy, outputs, the 19 checkpoints, the report."""

import csv

import pytest
from pyannote.core import Annotation

from conftest import EXAMPLE, read_json
from vramscribe.formats import read_rttm
from vramscribe.scoring import word_error_rate, word_speaker_accuracy
from vramscribe.stages import CHECKPOINT_NAMES, STAGES

pytestmark = pytest.mark.slow
SAMPLE = "dialogue"


def test_transcript_is_accurate(example_run):
    transcript = read_json(example_run / f"results/{SAMPLE}/transcript.json")
    hypothesis = " ".join(s["text"] for s in transcript["segments"])
    assert word_error_rate((EXAMPLE / "dialogue.txt").read_text(), hypothesis) <= 0.30
    assert transcript["language"] == "en" and transcript["model"] == "tiny.en"
    assert 30 < transcript["duration"] < 60
    words = [w for s in transcript["segments"] for w in s["words"]]
    assert words and all({"start", "end", "text", "probability"} <= set(w) for w in words)
    assert all(0 <= w["start"] <= w["end"] <= transcript["duration"] + 0.5 for w in words)


def test_diarization_finds_two_speakers_and_words_carry_the_right_one(example_run):
    rttm = read_rttm(example_run / f"results/{SAMPLE}/diarization.rttm")
    assert isinstance(rttm, Annotation) and len(rttm.labels()) == 2
    aligned = read_json(example_run / f"results/{SAMPLE}/aligned.json")
    reference = read_rttm(EXAMPLE / "dialogue.rttm")
    assert word_speaker_accuracy(aligned["words"], reference) >= 0.80
    assert len(aligned["speakers"]) == 2
    assert all(s["speaker"] for s in aligned["segments"])


def test_every_output_exists_and_parses(example_run):
    root = example_run / "results" / SAMPLE
    import soundfile

    info = soundfile.info(str(root / "audio.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    aligned = read_json(root / "aligned.json")
    assert (root / f"{SAMPLE}.srt").read_text().count("-->") == len(aligned["segments"])
    assert (root / f"{SAMPLE}.vtt").read_text().startswith("WEBVTT")
    assert (root / f"{SAMPLE}.txt").read_text().split(":")[0] in aligned["speakers"]
    rows = list(csv.DictReader(open(root / f"{SAMPLE}.tsv"), delimiter="\t"))
    assert [r["speaker"] for r in rows] == [s["speaker"] for s in aligned["segments"]]
    for rule in ("preprocess", "transcribe", "diarize", "align"):
        assert (example_run / f"logs/{rule}/{SAMPLE}.log").exists()
        assert (example_run / f"benchmarks/{rule}/{SAMPLE}.tsv").exists()
    assert not list(example_run.rglob(".*.tmp*"))  # no partial files


def test_memory_logs_hold_the_19_checkpoints_in_order(example_run):
    logs = [read_json(example_run / f"results/{SAMPLE}/memory/{stage}.json") for stage in STAGES]
    points = [c for log in logs for c in log["checkpoints"]]
    assert [c["name"] for c in points] == CHECKPOINT_NAMES and len(points) == 19
    assert all(log["device"] == "cpu" and log["schema"] == "vramscribe.memory/1" for log in logs)
    assert all(c["figure"] == "rss" and c["value"] > 0 and c["reading"]["rss_peak"] > 0 for c in points)
    cleanups = [c for log in logs for c in log["cleanups"]]
    assert [c["name"] for c in cleanups] == ["Whisper", "Diarization Model", "Waveform", "Alignment Tensors"]
    whisper = cleanups[0]
    assert whisper["before"] - whisper["baseline"] > 20 * 1024**2  # the model's real weights were measured
    assert whisper["verdict"] in ("good", "partial") and whisper["recovered"] > 0.5


def test_report_collects_every_sample(example_run):
    report = read_json(example_run / "results/report/cleanup_verification.json")
    sample = report["samples"][SAMPLE]
    assert [c["name"] for c in sample["checkpoints"]] == CHECKPOINT_NAMES
    assert report["worst_verdict"] in ("good", "partial", "negligible")
    assert set(sample["peaks"]) == set(STAGES)
    markdown = (example_run / "results/report/cleanup_verification.md").read_text()
    assert "Worst verdict" in markdown and "Whisper" in markdown
    png = (example_run / f"results/report/timelines/{SAMPLE}.png").read_bytes()
    assert png.startswith(b"\x89PNG")
