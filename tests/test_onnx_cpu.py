"""CPU inference through ONNX Runtime: torch's outputs, exported once per machine and cached."""

from pathlib import Path

import pytest
import torch

from vramscribe import onnx_cpu
from vramscribe.onnx_cpu import OnnxModel, cache_folder, export_name


def small_model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv1d(4, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv1d(8, 2, 1)).eval()


def no_export(*_):
    raise AssertionError("exported again instead of loading the cached export")


def test_an_export_is_cached_and_reused_by_the_next_load(tmp_path, monkeypatch):
    monkeypatch.setenv("VRAMSCRIBE_CACHE", str(tmp_path))
    model, inputs = small_model(), torch.randn(5, 4, 30)
    first = OnnxModel(model, inputs[:2, :, :10], "small", {0: "batch", 2: "frames"})
    with torch.no_grad():
        expected = model(inputs)
    assert torch.allclose(first(inputs), expected, atol=1e-5)  # batch and length other than the example's
    assert [path.name for path in tmp_path.iterdir()] == [export_name(model, "small")]
    monkeypatch.setattr(onnx_cpu, "_export", no_export)
    assert torch.allclose(OnnxModel(model, inputs[:2], "small", {0: "batch", 2: "frames"})(inputs), expected, atol=1e-5)


def test_other_weights_get_another_export():
    model = small_model()
    before = export_name(model, "small")
    with torch.no_grad():
        model[0].bias += 1.0
    assert export_name(model, "small") != before


def test_an_unwritable_cache_keeps_the_export_in_memory(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("VRAMSCRIBE_CACHE", str(blocker / "cache"))  # cannot be made: its parent is a file
    model, inputs = small_model(), torch.randn(3, 4, 12)
    with torch.no_grad():
        assert torch.allclose(OnnxModel(model, inputs, "small", {0: "batch"})(inputs), model(inputs), atol=1e-5)
    assert list(tmp_path.iterdir()) == [blocker]


@pytest.mark.parametrize("environment, expected", [
    ({"VRAMSCRIBE_CACHE": "/c/v", "XDG_CACHE_HOME": "/x"}, Path("/c/v")),
    ({"XDG_CACHE_HOME": "/x"}, Path("/x/vramscribe")),
    ({}, Path.home() / ".cache" / "vramscribe"),
])
def test_the_cache_folder_follows_the_environment(monkeypatch, environment, expected):
    for name in ("VRAMSCRIBE_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert cache_folder() == expected
