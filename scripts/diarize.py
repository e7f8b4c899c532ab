"""Rule diarize: pyannote.audio speaker diarization (logic: vramscribe.stages.run_diarize)."""

from vramscribe.jobs import rule_job, sample_paths
from vramscribe.stages import run_diarize

with rule_job(snakemake) as (settings, monitor):  # noqa: F821 (injected by Snakemake)
    paths = sample_paths(snakemake)  # noqa: F821
    run_diarize(paths, settings, monitor)
