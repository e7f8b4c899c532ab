"""Score a results folder against reference files named by sample.

A reference folder holds, per sample: `{sample}.txt` (transcript), `{sample}.rttm` (speaker turns),
`{sample}.uem` (scored regions, optional) and `{sample}.stm` (speaker-attributed transcript,
optional). A metric whose reference is missing is null; a sample with no reference file is skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from statistics import mean

from pyannote.core import Timeline

from .errors import VramscribeError
from .formats import read_rttm
from .scoring import diarization_error_rate, speaker_attributed_wer, word_error_rate, word_speaker_accuracy

REFERENCE_SUFFIXES = (".txt", ".rttm", ".uem", ".stm")
OUTPUTS = ("transcript.json", "diarization.rttm", "aligned.json")
RATES = ("wer", "der", "der_collar_0.25", "sa_wer", "word_speaker_accuracy")
COLUMNS = {"wer": "WER", "der": "DER", "der_collar_0.25": "DER c0.25", "sa_wer": "SA-WER", "word_speaker_accuracy": "word-spk acc"}


def read_stm(path: str | os.PathLike) -> list[tuple[float, float, str, str]]:
    """(start, end, speaker, text) per STM line; `;;` comments and the optional `<...>` label skipped."""
    turns = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) < 5 or line.startswith(";;"):
            continue
        text = fields[5] if len(fields) > 5 else ""
        if text.startswith("<"):
            text = text.partition(">")[2].strip()
        turns.append((float(fields[3]), float(fields[4]), fields[2], text))
    return turns


def read_uem(path: str | os.PathLike) -> Timeline:
    """Every region of a UEM file (all URIs) as one timeline."""
    from pyannote.database.util import load_uem

    return Timeline([segment for timeline in load_uem(str(path)).values() for segment in timeline])


def check_folder(path: str | os.PathLike, what: str, fix: str) -> Path:
    """``path`` if it is a folder, else a one-line error."""
    if not Path(path).is_dir():
        raise VramscribeError(path, f"{what} folder not found", fix)
    return Path(path)


def check_references(path: str | os.PathLike) -> Path:
    """The references folder, checked (by the CLI and before any workflow job)."""
    return check_folder(path, "references", "give a folder holding <sample>.txt/.rttm/.uem/.stm reference files")


def evaluate_sample(references: Path, outputs: Path, sample: str) -> dict:
    """The metrics of one sample (rates as fractions; null where the reference is missing)."""
    ref = {s: references / f"{sample}{s}" for s in REFERENCE_SUFFIXES if (references / f"{sample}{s}").exists()}
    transcript = json.loads((outputs / "transcript.json").read_text(encoding="utf-8"))
    words = json.loads((outputs / "aligned.json").read_text(encoding="utf-8"))["words"]
    hypothesis = read_rttm(outputs / "diarization.rttm")
    row = dict.fromkeys(RATES) | {"speakers_hyp": len(hypothesis.labels()), "speakers_ref": None}
    if ".txt" in ref:
        text = " ".join(s["text"] for s in transcript["segments"])
        row["wer"] = word_error_rate(ref[".txt"].read_text(encoding="utf-8"), text)
    if ".rttm" in ref:
        reference = read_rttm(ref[".rttm"])
        uem = read_uem(ref[".uem"]) if ".uem" in ref else None
        row["der"] = diarization_error_rate(reference, hypothesis, uem)
        row["der_collar_0.25"] = diarization_error_rate(reference, hypothesis, uem, collar=0.25)
        row["speakers_ref"] = len(reference.labels())
        row["word_speaker_accuracy"] = word_speaker_accuracy(words, reference)
    if ".stm" in ref:
        turns = read_stm(ref[".stm"])
        row["sa_wer"] = speaker_attributed_wer(turns, hypothesis, words)
        row["speakers_ref"] = row["speakers_ref"] or len({t[2] for t in turns})
    return row


def evaluate(references: str | os.PathLike, results: str | os.PathLike, samples: list[str] | None = None) -> dict:
    """Every sample of ``results`` (default: each folder holding aligned.json) scored, their mean, the skipped."""
    references = check_references(references)
    results = check_folder(results, "results", "give the folder a run wrote (holding <sample>/aligned.json)")
    if samples is None:
        samples = sorted(p.parent.name for p in results.glob("*/aligned.json"))
    files, skipped = {}, {}
    for sample in samples:
        if not any((references / f"{sample}{s}").exists() for s in REFERENCE_SUFFIXES):
            skipped[sample] = "no reference files"
        elif not all((results / sample / name).exists() for name in OUTPUTS):
            skipped[sample] = "outputs missing"
        else:
            files[sample] = evaluate_sample(references, results / sample, sample)
    means = {}
    for rate in RATES:
        values = [row[rate] for row in files.values() if row[rate] is not None]
        means[rate] = mean(values) if values else None
    counted = [row for row in files.values() if row["speakers_ref"] is not None]
    exact = sum(row["speakers_hyp"] == row["speakers_ref"] for row in counted)
    return {"references": str(references), "files": files, "mean": means,
            "speaker_count": {"exact": exact, "files": len(counted)}, "skipped": skipped}


def format_table(doc: dict) -> str:
    """One row per file and a mean row; rates in percent, `-` where there is no reference."""

    def cell(value):
        return "-" if value is None else f"{100 * value:.1f}%"

    rows = [["file", *COLUMNS.values(), "speakers hyp/ref"]]
    for sample, row in doc["files"].items():
        speakers = f"{row['speakers_hyp']}/{'-' if row['speakers_ref'] is None else row['speakers_ref']}"
        rows.append([sample, *(cell(row[r]) for r in RATES), speakers])
    rows.append(["mean", *(cell(doc["mean"][r]) for r in RATES), ""])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip() for r in rows]
    if doc["mean"]["der"] is not None:
        counts = doc["speaker_count"]
        lines.append(f"set: mean DER {cell(doc['mean']['der'])} at collar 0, {cell(doc['mean']['der_collar_0.25'])} at 0.25 s; "
                     f"speaker count exact on {counts['exact']}/{counts['files']} files")
    lines += [f"skipped: {sample} ({why})" for sample, why in doc["skipped"].items()]
    return "\n".join(lines)
