"""Rule batch: every stage of several samples in one process (logic: vramscribe.stages.run_batch)."""

from vramscribe.jobs import RESULTS, rule_job
from vramscribe.stages import run_batch

with rule_job(snakemake) as (settings, monitor):  # noqa: F821 (injected by Snakemake)
    run_batch(snakemake.params.sources, RESULTS, settings, monitor, snakemake.output.status)  # noqa: F821
