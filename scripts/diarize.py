"""Rule diarize: pyannote.audio speaker diarization (logic: vramscribe.stages.run_diarize)."""

from vramscribe.jobs import rule_job
from vramscribe.stages import run_diarize

with rule_job(snakemake) as (paths, settings, monitor):  # noqa: F821 (injected by Snakemake)
    run_diarize(paths, settings, monitor)
