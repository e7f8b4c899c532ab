"""Rule preprocess: decode the input to 16 kHz mono WAV (logic: vramscribe.stages.run_preprocess)."""

from vramscribe.jobs import rule_job
from vramscribe.stages import run_preprocess

with rule_job(snakemake) as (paths, settings, monitor):  # noqa: F821 (injected by Snakemake)
    run_preprocess(snakemake.input[0], paths, monitor)  # noqa: F821
