"""Rule align: words to speakers, subtitles, then the final cleanup (logic: vramscribe.stages)."""

from vramscribe.jobs import rule_job
from vramscribe.stages import run_align, run_final

with rule_job(snakemake) as (paths, settings, monitor):  # noqa: F821 (injected by Snakemake)
    run_align(paths, monitor)
    run_final(paths, monitor)
