# vramscribe: audio -> speaker-attributed transcripts, with a verified GPU-memory cleanup report.
# Run: snakemake --cores 1 --resources gpu=1   (see README.md)
from snakemake.utils import min_version

min_version("9.0")


configfile: f"{workflow.basedir}/config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/resources.smk"


wildcard_constraints:
    sample=sample_pattern(),
    batch=r"batch_\d+",


include: "workflow/rules/preprocess.smk"
include: "workflow/rules/transcribe.smk"
include: "workflow/rules/diarize.smk"
include: "workflow/rules/align.smk"
include: "workflow/rules/batch.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/evaluate.smk"


rule all:
    default_target: True
    input:
        final_outputs(),


onerror:
    write_partial_report()
