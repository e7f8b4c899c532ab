"""Rule transcribe: faster-whisper with VAD and word timestamps (logic: vramscribe.stages.run_transcribe)."""

from vramscribe.jobs import rule_job, sample_paths
from vramscribe.stages import run_transcribe

with rule_job(snakemake) as (settings, monitor):  # noqa: F821 (injected by Snakemake)
    paths = sample_paths(snakemake)  # noqa: F821
    run_transcribe(paths, settings, monitor)
