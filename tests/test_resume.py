"""Interruptions and secrets: a SIGKILLed run resumes to the same result; a token never reaches an output."""

import os
import signal
import subprocess
import time

import pytest

from conftest import EXAMPLE, REPO, SNAKEMAKE, read_json, run_workflow

pytestmark = pytest.mark.slow


def words_and_turns(workdir):
    aligned = read_json(workdir / "results/dialogue/aligned.json")
    rttm = (workdir / "results/dialogue/diarization.rttm").read_text()
    return [(w["text"], w["speaker"]) for w in aligned["words"]], rttm


def test_sigkill_during_transcription_then_rerun_completes_identically(tmp_path, example_run):
    command = [SNAKEMAKE, "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path), "--cores", "2",
               "--resources", "gpu=1", "--config", f"input_dir={EXAMPLE}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = tmp_path / "logs/transcribe/dialogue.log"
    deadline = time.time() + 300
    while time.time() < deadline and "Before Transcription" not in (log.read_text() if log.exists() else ""):
        time.sleep(0.05)
    assert "Before Transcription" in log.read_text(), "transcription never started"
    os.killpg(process.pid, signal.SIGKILL)  # the whole run dies mid-transcription, as on a power cut
    process.wait()
    assert not (tmp_path / "results/dialogue/transcript.json").exists()
    wav_written = (tmp_path / "results/dialogue/audio.wav").stat().st_mtime_ns  # finished work survives
    run_workflow(tmp_path, "--unlock", "--config", f"input_dir={EXAMPLE}")
    run_workflow(tmp_path, "--config", f"input_dir={EXAMPLE}")
    assert (tmp_path / "results/dialogue/audio.wav").stat().st_mtime_ns == wav_written  # resumed, not redone
    assert words_and_turns(tmp_path) == words_and_turns(example_run)
    leftovers = [p for p in (tmp_path / "results").rglob("*") if ".tmp" in p.name]
    assert leftovers == []


def test_token_never_reaches_logs_or_outputs(tmp_path):
    token = "hf_FAKEtoken0123456789secret"
    token_file = tmp_path / "token.txt"
    token_file.write_text(token)
    env = dict(os.environ, HF_TOKEN=token)
    result = run_workflow(
        tmp_path, "--config", f"input_dir={EXAMPLE}", f"diarization={{'token_file': '{token_file}'}}", env=env
    )
    assert token not in result.stdout + result.stderr
    leaks = [p for p in tmp_path.rglob("*") if p.is_file() and p != token_file and token.encode() in p.read_bytes()]
    assert leaks == []
