"""Find the samples of a run: a folder scanned by extension, or a TSV sample sheet."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

from .audio import AUDIO_EXTENSIONS
from .errors import VramscribeError


def discover(input_dir: str | os.PathLike) -> dict[str, str]:
    """{stem: path} for every audio/video file directly inside ``input_dir``."""
    folder = Path(input_dir)
    if not folder.is_dir():
        raise VramscribeError(folder, "input_dir is not a folder", "set input_dir to the folder holding your audio")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower().lstrip(".") in AUDIO_EXTENSIONS)
    return _by_stem((p.stem, str(p)) for p in files)


def read_sheet(sheet: str | os.PathLike) -> dict[str, str]:
    """{sample: path} from a TSV with columns sample and path."""
    path = Path(sheet)
    if not path.is_file():
        raise VramscribeError(path, "sample sheet not found", "fix config `samples` or leave it empty")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    if rows and not {"sample", "path"} <= set(rows[0]):
        raise VramscribeError(path, "sample sheet needs the columns sample and path", "add a header line: sample<TAB>path")
    return _by_stem((row["sample"], row["path"]) for row in rows)


def _by_stem(pairs) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, path in pairs:
        if name in found:
            raise VramscribeError(
                path, f"sample name {name!r} is also used by {found[name]}", "rename one of the two files"
            )
        if "/" in name or name in (".", ".."):
            raise VramscribeError(path, f"sample name {name!r} cannot be a folder name", "rename the file")
        found[name] = path
    return found


def find_samples(input_dir: str, sheet: str = "") -> dict[str, str]:
    """The run's samples: the sheet when given, else the folder."""
    samples = read_sheet(sheet) if sheet else discover(input_dir)
    if not samples:
        raise VramscribeError(input_dir, "no audio files found", f"put files with one of {', '.join(AUDIO_EXTENSIONS)} there")
    return samples


PER_SAMPLE_LIMIT = 100  # auto: up to this many files, one job per stage and file (finest restarts)
BATCH_JOBS = 200  # auto: above it, about this many batch jobs ...
BATCH_RANGE = (10, 50)  # ... of 10 to 50 files each


def files_per_job(batch_files: int | str, count: int) -> int:
    """Files per job for ``batch_files`` (a number, or auto sized from the corpus's ``count`` files).

    auto keeps planning short: 4 jobs per file cost Snakemake ~12 ms each, so 100 files plan in
    seconds, while 10,000 files become 200 batch jobs of 50.
    """
    if batch_files != "auto":
        return int(batch_files)
    if count <= PER_SAMPLE_LIMIT:
        return 1
    low, high = BATCH_RANGE
    return min(high, max(low, math.ceil(count / BATCH_JOBS)))


def batches(samples: dict[str, str], size: int) -> dict[str, list[str]]:
    """{batch_NNNN: sample names}: consecutive runs of ``size`` samples."""
    names = list(samples)
    return {f"batch_{i // size:04d}": names[i : i + size] for i in range(0, len(names), size)}
