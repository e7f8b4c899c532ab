# Threads, memory (MB) and runtime (minutes) per rule, for SLURM (--cpus-per-task, --mem, -t) and for
# local runs: a base for the models plus a share per hour of audio; memory and runtime grow with the
# retry attempt. Tune NEEDS for your site; profiles/slurm/config.yaml can override any rule.
import json
import os
from functools import lru_cache
from typing import NamedTuple

import av
import soundfile

from vramscribe.audio import AUDIO_EXTENSIONS


class Needs(NamedTuple):
    """What one job of a rule asks for; `per_hour` values are added per hour of audio."""

    threads: int
    mem_mb: int
    mem_mb_per_hour: int
    runtime: int
    runtime_per_hour: int


NEEDS = {
    "preprocess": Needs(threads=1, mem_mb=2000, mem_mb_per_hour=500, runtime=10, runtime_per_hour=5),
    "transcribe": Needs(threads=2, mem_mb=6000, mem_mb_per_hour=1000, runtime=20, runtime_per_hour=60),
    "diarize": Needs(threads=2, mem_mb=6000, mem_mb_per_hour=2000, runtime=20, runtime_per_hour=30),
    "align": Needs(threads=1, mem_mb=2000, mem_mb_per_hour=500, runtime=10, runtime_per_hour=5),
    "batch": Needs(threads=2, mem_mb=8000, mem_mb_per_hour=3000, runtime=30, runtime_per_hour=90),
    "report": Needs(threads=1, mem_mb=2000, mem_mb_per_hour=0, runtime=15, runtime_per_hour=0),
}
MAX_THREADS = 8


@lru_cache(maxsize=None)
def _seconds(path, modified):
    """Duration of one input: a WAV header, the container header for other audio, or a transcript's `duration`.

    In-process (PyAV, faster-whisper's decoder): an ffprobe per file would cost 30-100 ms, 5-15 min
    of planning for 10,000 files.
    """
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as handle:
            return float(json.load(handle).get("duration") or 0)
    if path.lower().endswith(".wav"):
        return soundfile.info(path).duration
    with av.open(path) as container:
        return (container.duration or 0) / av.time_base


def audio_hours(input):
    """Hours of audio a job reads. Inputs not made yet count 0: Snakemake asks again before the job runs."""
    total = 0.0
    for path in map(str, input):
        if not path.lower().endswith((".json", *AUDIO_EXTENSIONS)) or not os.path.exists(path):
            continue
        try:
            total += _seconds(path, os.stat(path).st_mtime_ns)
        except (av.FFmpegError, OSError, RuntimeError, ValueError):
            pass  # an unreadable file: its job fails with the real error, not the scheduler
    return total / 3600


def rule_threads(rule, sources=None):
    """Threads: the rule's base, doubled for audio longer than an hour (capped at MAX_THREADS).

    The audio is the job's input, or ``sources(wildcards)`` for rules that read the recordings (params).
    """
    return lambda wildcards, input: min(
        MAX_THREADS, NEEDS[rule].threads * (2 if audio_hours(sources(wildcards) if sources else input) > 1 else 1)
    )


def rule_mem_mb(rule, sources=None):
    """Memory in MB: base plus a share per audio hour, times the attempt."""
    needs = NEEDS[rule]
    return lambda wildcards, input, attempt: int(
        (needs.mem_mb + needs.mem_mb_per_hour * audio_hours(sources(wildcards) if sources else input)) * attempt
    )


def rule_runtime(rule, sources=None):
    """Wall-time limit in minutes: base plus a share per audio hour, times the attempt."""
    needs = NEEDS[rule]
    return lambda wildcards, input, attempt: int(
        (needs.runtime + needs.runtime_per_hour * audio_hours(sources(wildcards) if sources else input)) * attempt
    )
