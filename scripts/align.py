"""Rule align: words to speakers, subtitles, then the final cleanup (logic: vramscribe.stages)."""

from vramscribe.jobs import rule_job, sample_paths
from vramscribe.stages import run_align, run_final

with rule_job(snakemake) as (settings, monitor):  # noqa: F821 (injected by Snakemake)
    paths = sample_paths(snakemake)  # noqa: F821
    run_align(paths, monitor)
    run_final(paths, monitor)
