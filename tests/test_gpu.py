"""The real GPU path, where CUDA sees a GPU (the device machine); skipped on CPU machines and in CI.

The fake-backend tests in test_memory.py cover the same logic everywhere; this one checks it
against real NVML and torch figures.
"""

import pytest

from conftest import EXAMPLE
from vramscribe import GPUTranscriptionPipeline
from vramscribe.settings import gpu_visible
from vramscribe.stages import CHECKPOINT_NAMES, STAGES

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not gpu_visible(), reason="no CUDA GPU visible")]


def test_api_on_a_gpu_sees_ctranslate2_through_nvml_and_frees_every_model(tmp_path, capsys):
    with GPUTranscriptionPipeline(device="cuda", compute_type="float16", out_dir=tmp_path) as pipeline:
        result = pipeline.process(EXAMPLE / "dialogue.wav")
    memory = result["memory"]
    checkpoints = {c["name"]: c for s in STAGES for c in memory[s]["checkpoints"]}
    assert [c["name"] for s in STAGES for c in memory[s]["checkpoints"]] == CHECKPOINT_NAMES
    assert all(memory[s]["device"].startswith("cuda") for s in STAGES)
    loaded = checkpoints["Before Whisper Cleanup"]["reading"]
    # CTranslate2 allocates outside PyTorch: NVML sees the Whisper weights, torch's counters do not
    assert loaded["nvml_process"] - loaded["torch_reserved"] > 50 * 1024**2
    cleanups = {c["name"]: c for s in STAGES for c in memory[s]["cleanups"]}
    assert cleanups["Whisper"]["figure"] == "nvml_process"
    assert {c["verdict"] for c in cleanups.values()} <= {"good", "partial", "negligible"}
    assert len(result["speakers"]) == 2
    assert "[GPU Memory] Before Whisper Cleanup: Allocated: " in capsys.readouterr().out
