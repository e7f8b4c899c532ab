"""The Python API: every stage in one process, the same 19 checkpoints and artifacts as the workflow."""

from __future__ import annotations

import json
import os
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import stages
from .atomic import check_writable
from .creep import Creep, floor_trend
from .memory import MemoryMonitor, backend_for, free_memory
from .settings import Settings, resolve_device


class GPUTranscriptionPipeline:
    """``with GPUTranscriptionPipeline(whisper_model="large-v3") as p: p.process("a.mp3")``.

    Each ``process`` call loads and frees its models around its own checkpoints, so memory is
    verified per file; leaving the ``with`` block (also on an exception) frees whatever is left.
    """

    def __init__(self, out_dir: str | os.PathLike = "results", echo: bool = True, **options: Any) -> None:
        if "whisper_model" not in options and "model" in options:
            options["whisper_model"] = options.pop("model")
        self.settings = Settings(**options)
        self.settings.check()
        self.settings = replace(self.settings, device=resolve_device(self.settings.device))
        self.out_dir = Path(out_dir)
        self.monitor = MemoryMonitor(backend_for(self.settings.device), echo=echo)

    def __enter__(self) -> "GPUTranscriptionPipeline":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if tb is not None:
            traceback.clear_frames(tb)  # frames of a failed stage still hold its model
        self.cleanup_models()

    def process(self, source: str | os.PathLike, out_dir: str | os.PathLike | None = None) -> dict[str, Any]:
        """Run preprocess, transcribe, diarize, align and final cleanup on one file; return aligned.json's content."""
        check_writable(out_dir or self.out_dir)
        paths = stages.SamplePaths.under(out_dir or self.out_dir, Path(source).stem)
        result = stages.run_sample(source, paths, self.settings, self.monitor)
        return {**result, "sample": paths.sample, "out_dir": str(paths.root), "memory": memory_logs(paths)}

    def creep(self) -> Creep | None:
        """The trend of the floor left after each processed file's final cleanup (None: under 4 files yet)."""
        return floor_trend(self.monitor.floors)

    def cleanup_models(self) -> None:
        """Free everything this process no longer references: gc, then the allocator caches."""
        free_memory(self.monitor.backend, everything=True)


def memory_logs(paths: stages.SamplePaths) -> dict[str, Any]:
    """The five stage memory logs of a sample, by stage."""
    return {s: json.loads(paths.memory(s).read_text(encoding="utf-8")) for s in stages.STAGES if paths.memory(s).exists()}
