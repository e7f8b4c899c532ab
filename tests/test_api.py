"""The Python API and the CLI on the real CPU path: 19 checkpoints per file, verdicts, leak detection."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import vramscribe.transcribe as transcribe
from conftest import EXAMPLE, REPO, run_workflow
from vramscribe import GPUTranscriptionPipeline
from vramscribe.stages import CHECKPOINT_NAMES, STAGES

pytestmark = pytest.mark.slow


def checkpoint_names(memory):
    return [c["name"] for stage in STAGES for c in memory[stage]["checkpoints"]]


def test_api_processes_files_in_a_row_with_19_checkpoints_each(tmp_path, capsys):
    with GPUTranscriptionPipeline(whisper_model="tiny.en", out_dir=tmp_path) as pipeline:
        first = pipeline.process(EXAMPLE / "dialogue.wav")
        second = pipeline.process(EXAMPLE / "dialogue.wav", out_dir=tmp_path / "again")
    for result in (first, second):
        assert checkpoint_names(result["memory"]) == CHECKPOINT_NAMES
        assert all(c["value"] > 0 for s in STAGES for c in result["memory"][s]["checkpoints"])
        verdicts = [c["verdict"] for s in STAGES for c in result["memory"][s]["cleanups"]]
        assert len(verdicts) == 4 and "leak" not in verdicts
        assert len(result["speakers"]) == 2
    assert [w["text"] for w in first["words"]] == [w["text"] for w in second["words"]]
    assert (tmp_path / "dialogue" / "dialogue.srt").exists() and (tmp_path / "again" / "dialogue" / "aligned.json").exists()
    out = capsys.readouterr().out
    assert out.count("[CPU Memory] Before Whisper Cleanup: RSS: ") == 2


def test_api_cleans_up_when_a_stage_fails(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("decoder exploded")

    monkeypatch.setattr(transcribe, "transcribe", broken)
    with pytest.raises(RuntimeError, match="decoder exploded"):
        with GPUTranscriptionPipeline(out_dir=tmp_path, echo=False) as pipeline:
            pipeline.process(EXAMPLE / "dialogue.wav")
    failed = (tmp_path / "dialogue/memory/transcribe.json").read_text()
    assert "decoder exploded" in failed  # the stage log records the error


def test_hidden_model_reference_is_reported_as_leak(tmp_path, monkeypatch):
    hidden = []
    load = transcribe.load_whisper
    monkeypatch.setattr(transcribe, "load_whisper", lambda *a, **k: hidden.append(load(*a, **k)) or hidden[-1])
    monkeypatch.setattr(transcribe, "unload_whisper", lambda model: None)
    # float32 weights (~150 MB) outweigh what inference leaves in CTranslate2's and ONNX's arenas
    with GPUTranscriptionPipeline(out_dir=tmp_path, echo=False, compute_type="float32") as pipeline:
        result = pipeline.process(EXAMPLE / "dialogue.wav")
    whisper = result["memory"]["transcribe"]["cleanups"][0]
    assert whisper["name"] == "Whisper" and whisper["figure"] == "rss"
    assert whisper["verdict"] == "leak", whisper
    assert whisper["still_referenced"] and "Whisper: still referenced" in " ".join(result["memory"]["transcribe"]["warnings"])
    assert whisper["before"] - whisper["baseline"] > 100 * 1024**2


def test_fail_on_leak_fails_the_workflow(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "tests" / "leak"), os.environ.get("PYTHONPATH")])))
    result = run_workflow(tmp_path, "--config", f"input_dir={EXAMPLE}", "fail_on_leak=true", "whisper={compute_type: float32}", check=False, env=env)
    assert result.returncode != 0
    assert "memory leak: dialogue/Whisper" in result.stderr
    memory = (tmp_path / "results/dialogue/memory/transcribe.json").read_text()
    assert '"verdict": "leak"' in memory


def test_cli_prints_memory_lines(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).with_name("vramscribe")),
         "run", str(EXAMPLE / "dialogue.wav"), "--out", str(tmp_path), "--num-speakers", "2"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("[CPU Memory]")]
    assert [line.split(":")[0].removeprefix("[CPU Memory] ") for line in lines] == CHECKPOINT_NAMES
    assert "speakers SPEAKER_00, SPEAKER_01" in result.stdout
