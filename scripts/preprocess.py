"""Rule preprocess: decode the input to 16 kHz mono WAV (logic: vramscribe.stages.run_preprocess)."""

from vramscribe.jobs import rule_job, sample_paths
from vramscribe.stages import run_preprocess

with rule_job(snakemake) as (settings, monitor):  # noqa: F821 (injected by Snakemake)
    paths = sample_paths(snakemake)  # noqa: F821
    run_preprocess(snakemake.params.source, paths, monitor, settings.channels)  # noqa: F821
