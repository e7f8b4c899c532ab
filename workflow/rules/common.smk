# Config checks, sample discovery and input functions. No rules here.
import os
import re
import sys

from snakemake.utils import validate

from vramscribe import __version__
from vramscribe.atomic import check_writable
from vramscribe.errors import VramscribeError
from vramscribe.models import check_model_available, check_pipeline_spec
from vramscribe.samples import batches, files_per_job, find_samples
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


# Input recordings are params, not Snakemake inputs: a file that is gone at planning or job time (a
# dangling link, a deleted or moved recording) would stop the whole run (MissingInputException) or
# its batch ("Missing files after 5 seconds"). Its job reads it and fails alone with one line instead.
# Each file's size and mtime are a param too, so a changed recording reruns its jobs.


def source_state(path):
    """`size:mtime_ns` of an input file, or `missing`."""
    try:
        info = os.stat(path)
    except OSError:
        return "missing"
    return f"{info.st_size}:{info.st_mtime_ns}"


def sample_sources(wildcards):
    """The input file of a sample, as a list (resources)."""
    return [SAMPLES[wildcards.sample]]


def sample_path(wildcards):
    """The input file of a sample."""
    return SAMPLES[wildcards.sample]


def sample_state(wildcards):
    """The input file's size and mtime."""
    return source_state(SAMPLES[wildcards.sample])


def attempt_number(wildcards, attempt):
    """The retry attempt, for the out-of-memory ladder (params are not re-evaluated on retry)."""
    return attempt


def memory_logs(wildcards=None):
    """Every stage memory log of every sample."""
    return expand("results/{sample}/memory/{stage}.json", sample=SAMPLES, stage=STAGES)


BATCH_SIZE = files_per_job(config["batch_files"], len(SAMPLES))
BATCHES = batches(SAMPLES, BATCH_SIZE)


def batch_paths(wildcards):
    """{sample: input file} of one batch."""
    return {name: SAMPLES[name] for name in BATCHES[wildcards.batch]}


def batch_sources(wildcards):
    """The input files of one batch, as a list (resources)."""
    return list(batch_paths(wildcards).values())


def batch_states(wildcards):
    """{sample: size and mtime of its input file} of one batch."""
    return {name: source_state(path) for name, path in batch_paths(wildcards).items()}


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
