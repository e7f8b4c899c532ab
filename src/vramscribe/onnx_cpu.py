"""CPU inference of a torch model through ONNX Runtime, exported once per machine and cached.

The embedded diarization's two models (segmentation-3.0 and CAM++) run 17-28 % faster this way on
two cores than in torch, the dev set's whole diarization ~17 % (docs/benchmarks.md). Exporting takes
2-5 s, so each export is kept in a cache folder under a name made from the model's weights, its
layers and the library versions; a later process loads it in a fraction of a second. Where the
folder cannot be written, the export is used from memory.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from pathlib import Path

import onnxruntime
import torch

from .atomic import atomic_path


def cache_folder() -> Path:
    """``$VRAMSCRIBE_CACHE``, else ``$XDG_CACHE_HOME/vramscribe``, else ``~/.cache/vramscribe``."""
    if os.environ.get("VRAMSCRIBE_CACHE"):
        return Path(os.environ["VRAMSCRIBE_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vramscribe"


def export_name(module: torch.nn.Module, name: str) -> str:
    """``NAME-DIGEST.onnx``: the digest covers the weights, the layers and the torch and ONNX Runtime versions."""
    digest = hashlib.sha256(f"{module!r}{torch.__version__}{onnxruntime.__version__}".encode())
    for key, tensor in module.state_dict().items():
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return f"{name}-{digest.hexdigest()[:16]}.onnx"


def _export(module: torch.nn.Module, example: torch.Tensor, dynamic: dict[int, str]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notices
        torch.onnx.export(module.eval(), (example,), buffer, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": dynamic, "output": dynamic}, opset_version=17, dynamo=False)
    return buffer.getvalue()


class OnnxModel:
    """``module`` as an ONNX Runtime session on one CPU thread per call (callers run several calls at once)."""

    def __init__(self, module: torch.nn.Module, example: torch.Tensor, name: str, dynamic: dict[int, str]) -> None:
        path = cache_folder() / export_name(module, name)
        if path.is_file():
            model = path.read_bytes()
        else:
            model = _export(module, example, dynamic)
            try:
                with atomic_path(path) as tmp:
                    tmp.write_bytes(model)
            except OSError:
                pass  # a read-only cache: this process keeps its export in memory
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        self.session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.session.run(None, {"input": inputs.contiguous().numpy()})[0])
