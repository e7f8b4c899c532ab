# Config checks, sample discovery and input functions. No rules here.
import re
import sys

from snakemake.utils import validate

from vramscribe import __version__
from vramscribe.atomic import check_writable
from vramscribe.errors import VramscribeError
from vramscribe.models import check_model_available, check_pipeline_spec
from vramscribe.samples import find_samples
from vramscribe.settings import Settings, config_problems
from vramscribe.stages import STAGES


def fail(message):
    """Stop before any job with one line per problem."""
    print(message, file=sys.stderr)
    sys.exit(1)


problems = config_problems(config, workflow.source_path("../schemas/config.schema.yaml"))
if problems:
    fail("\n".join(f"vramscribe: error: {p} — fix config/config.yaml or --config" for p in problems))
validate(config, schema="../schemas/config.schema.yaml")

try:
    SETTINGS = Settings.from_config(config)
    SETTINGS.check()
    check_model_available(SETTINGS.whisper_model)
    check_pipeline_spec(SETTINGS.diarization_pipeline, SETTINGS.token_file)
    SAMPLES = find_samples(config["input_dir"], config["samples"])
    check_writable("results")
except VramscribeError as error:
    fail(error)


def sample_pattern():
    """A regex matching exactly the known sample names (they may hold dots, spaces, dashes)."""
    return "|".join(re.escape(name) for name in SAMPLES)


def sample_source(wildcards):
    """The input file of a sample."""
    return SAMPLES[wildcards.sample]


def attempt_number(wildcards, attempt):
    """The retry attempt, for the out-of-memory ladder (params are not re-evaluated on retry)."""
    return attempt


def memory_logs(wildcards=None):
    """Every stage memory log of every sample."""
    return expand("results/{sample}/memory/{stage}.json", sample=SAMPLES, stage=STAGES)


BATCH_SIZE = config["batch_files"]
BATCHES = {
    f"batch_{i // BATCH_SIZE:04d}": list(SAMPLES)[i : i + BATCH_SIZE]
    for i in range(0, len(SAMPLES), BATCH_SIZE)
}


def batch_samples(wildcards):
    """The samples of one batch (batch_files > 1)."""
    return BATCHES[wildcards.batch]


def batch_sources(wildcards):
    """The input files of one batch."""
    return [SAMPLES[name] for name in BATCHES[wildcards.batch]]


def report_inputs(wildcards=None):
    """The report waits for every memory log, or in batch mode for every batch."""
    if BATCH_SIZE > 1:
        return expand("results/batches/{batch}.json", batch=BATCHES)
    return memory_logs()


def final_outputs():
    """The default target: per-sample transcripts (or batches), the cleanup report, the evaluation if asked."""
    run_wide = ["results/report/cleanup_verification.json"]
    if config.get("references"):
        run_wide.append("results/evaluation.json")
    if BATCH_SIZE > 1:
        return report_inputs() + run_wide
    per_sample = expand(
        "results/{sample}/{name}",
        sample=SAMPLES,
        name=["aligned.json", "diarization.rttm"],
    )
    return per_sample + run_wide


def write_partial_report():
    """On a failed run (e.g. --keep-going with a bad file), report what completed and what failed."""
    from vramscribe.report import write_report

    write_report(SAMPLES, "results", "results/report", logs_dir="logs", partial=True)
