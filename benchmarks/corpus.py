"""Benchmark inputs built with ffmpeg in a temporary folder: a long file and a corpus of 20 short clips.

Nothing here is committed: the clips are slices and concatenations of the bundled example and of
../shared/eval/data, rebuilt on every run (a few seconds).
"""

from __future__ import annotations

import os
from pathlib import Path

import ffmpeg
import soundfile

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "example" / "dialogue.wav"
EVAL_DATA = Path(os.environ.get("VRAMSCRIBE_EVAL_DATA", REPO.parent / "shared" / "eval" / "data"))

# (name, [(source, start s, end s or None, times)]): every clip 10-30 s; concatenations mix voices and rates.
CLIP_PLAN = [
    ("c01_dialogue_a", [("example", 0, 12)]),
    ("c02_dialogue_b", [("example", 8, 26)]),
    ("c03_dialogue_c", [("example", 1, 31)]),
    ("c04_dialogue_d", [("example", 15, 29)]),
    ("c05_dev00_a", [("dev00", 0, 10.5)]),
    ("c06_dev00_b", [("dev00", 5, 25)]),
    ("c07_dev00_c", [("dev00", 0, 30)]),
    ("c08_dev00_d", [("dev00", 12, 28)]),
    ("c09_jfk", [("jfk", 0, None)]),
    ("c10_jfk_stereo", [("jfk", 0, None), ("stereo", 0, None)]),
    ("c11_ldc_jfk_ldc", [("ldc", 0, None), ("jfk", 0, None), ("ldc8k", 0, None)]),
    ("c12_dev00_jfk", [("dev00", 0, 12), ("jfk", 0, None)]),
    ("c13_dialogue_jfk", [("example", 0, 10), ("jfk", 0, None)]),
    ("c14_stereo_dev00", [("stereo", 0, None), ("dev00", 10, 30)]),
    ("c15_ldc8k_dialogue", [("ldc8k", 0, None), ("example", 20, 31)]),
    ("c16_dev00_dialogue", [("dev00", 20, 30), ("example", 0, 12)]),
    ("c17_jfk_jfk", [("jfk", 0, None, 2)]),
    ("c18_stereo_x3", [("stereo", 0, None, 3)]),
    ("c19_dialogue_dev00", [("example", 10, 22), ("dev00", 0, 14)]),
    ("c20_ldc_stereo_jfk", [("ldc", 0, None), ("stereo", 0, None), ("jfk", 0, None)]),
]


def sources() -> dict[str, Path]:
    """The audio files clips are cut from; a missing eval file is an error naming it."""
    found = {
        "example": EXAMPLE,
        "dev00": EVAL_DATA / "dev00.wav",
        "jfk": EVAL_DATA / "jfk.flac",
        "ldc": EVAL_DATA / "LDC93S1.wav",
        "ldc8k": EVAL_DATA / "LDC93S1_8k.wav",
        "stereo": EVAL_DATA / "stereo_diarization.wav",
    }
    missing = [str(p) for p in found.values() if not p.exists()]
    if missing:
        raise SystemExit(f"benchmarks: missing input {', '.join(missing)} — set VRAMSCRIBE_EVAL_DATA")
    return found


def duration(path: str | os.PathLike) -> float:
    """Seconds of audio in a WAV file."""
    info = soundfile.info(str(path))
    return info.frames / info.samplerate


def _piece(path: Path, start: float, end: float | None, times: int = 1):
    """One input slice (played ``times`` times) as a 16 kHz mono stream (concat needs identical formats)."""
    options = {"ss": start} if start else {}
    if times > 1:
        options["stream_loop"] = times - 1
    if end is not None:
        options["to"] = end
    return ffmpeg.input(str(path), **options).audio.filter("aformat", sample_rates=16000, channel_layouts="mono")


def _write(pieces, out: Path) -> Path:
    stream = pieces[0] if len(pieces) == 1 else ffmpeg.concat(*pieces, v=0, a=1)
    ffmpeg.output(stream, str(out), ac=1, ar=16000, acodec="pcm_s16le").overwrite_output().run(quiet=True)
    return out


def make_long_input(folder: str | os.PathLike, repeats: int = 5) -> Path:
    """The example dialogue repeated ``repeats`` times (5 -> 156 s), so fixed costs do not dominate."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return _write([_piece(EXAMPLE, 0, None, repeats)], folder / f"dialogue_x{repeats}.wav")


def make_clips(folder: str | os.PathLike, count: int = len(CLIP_PLAN)) -> list[Path]:
    """The first ``count`` clips of CLIP_PLAN as 16 kHz mono WAV files in ``folder``; each 10-30 s."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    found = sources()
    clips = []
    for name, parts in CLIP_PLAN[:count]:
        out = _write([_piece(found[part[0]], *part[1:]) for part in parts], folder / f"{name}.wav")
        seconds = duration(out)
        if not 10.0 <= seconds <= 30.5:
            raise SystemExit(f"benchmarks: clip {out} is {seconds:.1f} s, outside 10-30 s — fix CLIP_PLAN")
        clips.append(out)
    return clips


if __name__ == "__main__":
    import sys
    import tempfile

    target = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="vramscribe-corpus-"))
    for clip in make_clips(target):
        print(f"{clip}\t{duration(clip):.2f}")
    print(make_long_input(target), f"{duration(make_long_input(target)):.2f}")
