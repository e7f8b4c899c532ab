"""Bad and awkward input: each failure is one actionable line; awkward but valid files go through."""

import os
import shutil

import pytest

from media import image, silence, speech_clip, video, white_noise
from vramscribe import GPUTranscriptionPipeline
from vramscribe.audio import preprocess
from vramscribe.errors import VramscribeError
from vramscribe.stages import CHECKPOINT_NAMES, STAGES

LINE = "vramscribe: error: "


def assert_one_line_error(source, tmp_path, cause):
    with pytest.raises(VramscribeError) as caught:
        preprocess(source, tmp_path / "out.wav")
    message = str(caught.value)
    assert message.startswith(f"{LINE}{source}: ") and "\n" not in message and " — " in message
    assert cause in message
    assert not (tmp_path / "out.wav").exists() and not list(tmp_path.glob(".out.wav*"))


def test_missing_file(tmp_path):
    assert_one_line_error(tmp_path / "nope.wav", tmp_path, "file not found")


def test_empty_file(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    assert_one_line_error(tmp_path / "empty.wav", tmp_path, "empty (0 bytes)")


def test_truncated_header(tmp_path):
    good = speech_clip(tmp_path / "good.wav")
    (tmp_path / "cut.wav").write_bytes(good.read_bytes()[:30])
    assert_one_line_error(tmp_path / "cut.wav", tmp_path, "not a readable audio/video file")


def test_text_named_wav(tmp_path):
    (tmp_path / "notes.wav").write_text("this is not audio\n" * 50)
    assert_one_line_error(tmp_path / "notes.wav", tmp_path, "not a readable audio/video file")


def test_image(tmp_path):
    picture = image(tmp_path / "picture.png")
    assert_one_line_error(picture, tmp_path, "has no audio stream")


def test_video_without_audio(tmp_path):
    assert_one_line_error(video(tmp_path / "silent.mp4", with_audio=False), tmp_path, "has no audio stream")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    clip = speech_clip(tmp_path / "locked.wav")
    clip.chmod(0)
    assert_one_line_error(clip, tmp_path, "not readable")


@pytest.mark.parametrize(
    "name, extra",
    [
        ("eight_khz.wav", ["-ar", "8000"]),
        ("six_channels.wav", ["-ac", "6"]),
        ("hifi.flac", ["-ar", "44100", "-ac", "2", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"]),
        ("song.mp3", ["-ac", "2", "-ar", "44100"]),
        ("voice.ogg", ["-c:a", "libopus"]),
    ],
)
def test_formats_become_16k_mono_pcm(tmp_path, name, extra):
    import soundfile

    info = preprocess(speech_clip(tmp_path / name, 0.0, 3.0, *extra), tmp_path / "out.wav")
    wav = soundfile.info(str(tmp_path / "out.wav"))
    assert (wav.samplerate, wav.channels, wav.subtype) == (16000, 1, "PCM_16")
    assert info["duration"] == pytest.approx(3.0, abs=0.1)


@pytest.mark.slow
def test_awkward_valid_files_go_through_every_stage(tmp_path):
    files = [
        silence(tmp_path / "silence.wav"),
        white_noise(tmp_path / "noise.wav"),
        speech_clip(tmp_path / "one_second.wav", 0.4, 1.0),
        video(tmp_path / "clip.mp4", with_audio=True),
    ]
    with GPUTranscriptionPipeline(out_dir=tmp_path / "out", echo=False) as pipeline:
        results = {f.stem: pipeline.process(f) for f in files}
    for result in results.values():
        assert [c["name"] for s in STAGES for c in result["memory"][s]["checkpoints"]] == CHECKPOINT_NAMES
    assert results["silence"]["words"] == [] and results["silence"]["speakers"] == []
    assert (tmp_path / "out/silence/diarization.rttm").read_text() == ""
    from vramscribe.formats import read_rttm

    noise_labels = set(read_rttm(tmp_path / "out/noise/diarization.rttm").labels())
    assert set(results["noise"]["speakers"]) <= noise_labels  # no speaker the model did not report
    assert results["clip"]["words"]


@pytest.mark.slow
def test_keep_going_finishes_other_files_and_reports_failures(tmp_path):
    from conftest import read_json, run_workflow

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    names = ["talk one", "ünïcödé", "it's \"quoted\"", "$(touch pwned)", "-dash"]
    for index, name in enumerate(names):
        speech_clip(corpus / f"{name}.wav", 4.0 * index, 4.0)
    (corpus / "broken.wav").write_text("not audio at all\n" * 20)
    work = tmp_path / "work"
    result = run_workflow(work, "--keep-going", "--config", f"input_dir={corpus}", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("vramscribe: error: ")]
    assert len(errors) == 1 and "broken.wav: not a readable audio/video file" in errors[0]
    for name in names:
        assert read_json(work / "results" / name / "aligned.json")["words"], name
        assert (work / "results" / name / f"{name}.srt").exists()
    assert not (work / "pwned").exists() and not (tmp_path / "pwned").exists()
    report = read_json(work / "results/report/cleanup_verification.json")
    assert [f["sample"] for f in report["failures"]] == ["broken"]
    assert "not a readable audio/video file" in report["failures"][0]["error"]
    assert sorted(report["samples"]) == sorted(names)


def unwritable_results(work):
    """A results folder nobody can write into, root included: a plain file stands where it should be."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "results").write_text("a file, not a folder\n")
    return work / "results"


def test_unwritable_results_folder_stops_the_workflow_before_any_job(tmp_path):
    from conftest import EXAMPLE, run_workflow

    results = unwritable_results(tmp_path / "work")
    result = run_workflow(tmp_path / "work", "--dry-run", "--config", f"input_dir={EXAMPLE}", check=False)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith(LINE)]
    assert errors == [f"{LINE}results: cannot write outputs here (File exists) — run from a writable folder, or give one with --directory"]
    assert results.read_text() == "a file, not a folder\n"


def test_unwritable_results_folder_in_the_api(tmp_path):
    results = unwritable_results(tmp_path)
    with pytest.raises(VramscribeError, match="cannot write outputs here"):
        with GPUTranscriptionPipeline(out_dir=results, echo=False) as pipeline:
            pipeline.process(tmp_path / "never-read.wav")
