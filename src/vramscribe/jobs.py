"""What every workflow rule script does around its stage: log to the rule's log, one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import replace

from .errors import VramscribeError
from .gpu_slots import pin_gpus
from .memory import MemoryMonitor, backend_for
from .settings import Settings, resolve_device
from .stages import SamplePaths

RESULTS = "results"


@contextmanager
def rule_job(snakemake) -> Iterator[tuple[Settings, MemoryMonitor]]:
    """(settings for this attempt, memory monitor) for a rule's script.

    Output goes to the rule's log; a VramscribeError ends the job with its one line on stderr.
    """
    pin_gpus(int(getattr(snakemake.resources, "gpu", 0) or 0), snakemake.config.get("device", "auto"))
    attempt = int(getattr(snakemake.resources, "attempt", 1) or 1)
    with open(snakemake.log[0], "w", encoding="utf-8") as log, redirect_stdout(log), redirect_stderr(log):
        try:
            settings = Settings.from_config(snakemake.config, attempt=attempt)
            settings = replace(settings, device=resolve_device(settings.device))
            print(f"[vramscribe] rule {snakemake.rule}, attempt {attempt}, device {settings.device}", flush=True)
            yield settings, MemoryMonitor(backend_for(settings.device))
        except VramscribeError as error:
            print(error, flush=True)
            print(error, file=sys.__stderr__, flush=True)
            sys.exit(1)


def sample_paths(snakemake, sample: str | None = None) -> SamplePaths:
    """Where a sample's artifacts go (the job's own sample by default)."""
    return SamplePaths.under(RESULTS, sample or snakemake.wildcards.sample)
