"""Configuration and sample discovery: bad values stop the run before any job, with one clear line."""

import pytest

from conftest import EXAMPLE, run_workflow
from vramscribe.errors import VramscribeError
from vramscribe.samples import find_samples
from vramscribe.settings import coerce_strings


def dry_run(tmp_path, overrides=""):
    """A dry run with ``overrides`` (YAML) on top of the default config."""
    configfile = tmp_path / "overrides.yaml"
    configfile.write_text(f"input_dir: {EXAMPLE}\n{overrides}\n")
    return run_workflow(tmp_path, "--dry-run", "--configfile", str(configfile), check=False)


def test_default_config_plans_every_stage(tmp_path):
    result = dry_run(tmp_path)
    assert result.returncode == 0, result.stderr
    for rule in ("preprocess", "transcribe", "diarize", "align", "report"):
        assert rule in result.stdout


@pytest.mark.parametrize(
    "setting, message",
    [
        ("whisper: {model: huge-v9}", "unknown Whisper model"),
        ("device: gpu", "device: 'gpu' does not match"),
        ("diarization: {min_speakers: 3, max_speakers: 2}", "min_speakers 3 > max_speakers 2"),
        ("diarization: {num_speakers: 0}", "num_speakers: 0 is less than the minimum of 1"),
        ("diarization: {num_speakers: 2, max_speakers: 3}", "num_speakers given with min/max_speakers"),
        ("colour: blue", "'colour' was unexpected"),
        ("channels: stereo", "channels: 'stereo' is not one of ['auto', 'mix', 'split']"),
        ("whisper: {batch_size: many}", "whisper.batch_size: 'many' is not of type 'integer'"),
        ("batch_files: lots", "batch_files: 'lots' does not match '^auto$'"),
        ("batch_files: 0", "batch_files: 0 is less than the minimum of 1"),
        ("diarization: {pipeline: pyannote/speaker-diarization-3.1}", "needs a Hugging Face token"),
    ],
)
def test_bad_config_stops_before_any_job(tmp_path, monkeypatch, setting, message):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    result = dry_run(tmp_path, setting)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("vramscribe: error: ")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.skipif(__import__("vramscribe.models").models.hub_reachable("pyannote/speaker-diarization-3.1"), reason="hub reachable")
def test_hub_models_offline_stop_before_any_job(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_fake_token_for_test")
    result = dry_run(tmp_path, "diarization: {pipeline: pyannote/speaker-diarization-3.1}")
    assert result.returncode != 0 and "the model hub cannot be reached" in result.stderr
    assert "hf_fake_token_for_test" not in result.stdout + result.stderr
    result = dry_run(tmp_path, "whisper: {model: large-v3}")
    assert result.returncode != 0 and "local models: tiny.en (bundled)" in result.stderr


def test_same_stem_twice_is_an_error_naming_both(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"x")
    (tmp_path / "a.flac").write_bytes(b"x")
    with pytest.raises(VramscribeError) as error:
        find_samples(str(tmp_path))
    assert "a.flac" in str(error.value) and "a.wav" in str(error.value)


def test_sample_sheet_and_folder_discovery(tmp_path):
    (tmp_path / "one.mp3").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not audio")
    assert find_samples(str(tmp_path)) == {"one": str(tmp_path / "one.mp3")}
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\tpath\ntalk\t/data/talk.wav\n")
    assert find_samples("unused", str(sheet)) == {"talk": "/data/talk.wav"}
    with pytest.raises(VramscribeError, match="no audio files found"):
        find_samples(str(tmp_path / "empty") if (tmp_path / "empty").mkdir() is None else "")


def test_command_line_strings_take_the_schema_types():
    schema = {"properties": {
        "fail_on_leak": {"type": "boolean"},
        "whisper": {"properties": {"beam_size": {"type": "integer"}, "model": {"type": "string"}}},
        "diarization": {"properties": {"num_speakers": {"type": ["integer", "null"]}}},
    }}
    config = {"fail_on_leak": "true", "whisper": {"beam_size": "3", "model": "7"}, "diarization": {"num_speakers": "null"}}
    coerce_strings(config, schema)
    assert config == {"fail_on_leak": True, "whisper": {"beam_size": 3, "model": "7"}, "diarization": {"num_speakers": None}}
    config = {"fail_on_leak": "maybe"}
    coerce_strings(config, schema)
    assert config == {"fail_on_leak": "maybe"}  # left for the schema check to reject with its one line
