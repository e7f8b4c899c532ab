"""Output formats: RTTM (pyannote.core), SRT, WebVTT, plain text and TSV, all written atomically."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pyannote.core import Annotation, Segment

from .atomic import atomic_path, write_text


def rttm_uri(sample: str) -> str:
    """RTTM fields are space-separated: a sample name with spaces gets underscores."""
    return re.sub(r"\s+", "_", sample) or "audio"


def write_rttm(annotation: Annotation, path: str | os.PathLike) -> None:
    """Write an annotation as RTTM."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        annotation.write_rttm(handle)


def read_rttm(path: str | os.PathLike) -> Annotation:
    """Read every turn of an RTTM file (all URIs) into one annotation."""
    annotation = Annotation(uri=Path(path).stem)
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0] == "SPEAKER":
            start, duration = float(fields[3]), float(fields[4])
            annotation[Segment(start, start + duration), len(annotation)] = fields[7]
    return annotation


def turns_of(annotation: Annotation) -> list[tuple[float, float, str]]:
    """(start, end, speaker) per turn, in time order."""
    return [(seg.start, seg.end, str(label)) for seg, _, label in annotation.itertracks(yield_label=True)]


def timestamp(seconds: float, separator: str = ",") -> str:
    """HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (WebVTT)."""
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(segments: list[dict]) -> str:
    """SubRip cues, one per speaker segment, the speaker in brackets."""
    cues = [
        f"{i}\n{timestamp(s['start'])} --> {timestamp(s['end'])}\n[{s['speaker']}] {s['text']}\n"
        for i, s in enumerate(segments, start=1)
    ]
    return "\n".join(cues)


def to_vtt(segments: list[dict]) -> str:
    """WebVTT cues with voice spans (<v SPEAKER>)."""
    cues = [
        f"{timestamp(s['start'], '.')} --> {timestamp(s['end'], '.')}\n<v {s['speaker']}>{s['text']}\n"
        for s in segments
    ]
    return "WEBVTT\n\n" + "\n".join(cues)


def to_txt(segments: list[dict]) -> str:
    """A readable script: one paragraph per speaker turn, consecutive segments of a speaker merged."""
    paragraphs: list[list[str]] = []
    speakers: list[str] = []
    for segment in segments:
        if speakers and speakers[-1] == segment["speaker"]:
            paragraphs[-1].append(segment["text"])
        else:
            speakers.append(segment["speaker"])
            paragraphs.append([segment["text"]])
    return "".join(f"{who}: {' '.join(texts)}\n" for who, texts in zip(speakers, paragraphs))


def to_tsv(segments: list[dict]) -> str:
    """start, end (seconds), speaker, text; tabs and newlines in text become spaces."""
    rows = ["start\tend\tspeaker\ttext"]
    rows += [f"{s['start']:.3f}\t{s['end']:.3f}\t{s['speaker']}\t{_one_line(s['text'])}" for s in segments]
    return "\n".join(rows) + "\n"


def _one_line(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", text)


def write_subtitles(segments: list[dict], out_dir: str | os.PathLike, sample: str) -> list[Path]:
    """Write {sample}.srt/.vtt/.txt/.tsv into ``out_dir``."""
    writers = {"srt": to_srt, "vtt": to_vtt, "txt": to_txt, "tsv": to_tsv}
    paths = []
    for extension, render in writers.items():
        path = Path(out_dir) / f"{sample}.{extension}"
        write_text(path, render(segments))
        paths.append(path)
    return paths
