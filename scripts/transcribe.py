"""Rule transcribe: faster-whisper with VAD and word timestamps (logic: vramscribe.stages.run_transcribe)."""

from vramscribe.jobs import rule_job
from vramscribe.stages import run_transcribe

with rule_job(snakemake) as (paths, settings, monitor):  # noqa: F821 (injected by Snakemake)
    run_transcribe(paths, settings, monitor)
