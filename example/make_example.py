#!/usr/bin/env python3
"""Regenerate the bundled two-speaker example dialogue.

Synthesises a short English conversation between two clearly different
espeak-ng voices, concatenates the turns with fixed silent gaps (no overlap)
and writes, next to this script:

  dialogue.wav   16 kHz, mono, 16-bit PCM audio
  dialogue.rttm  ground-truth diarization (one SPEAKER line per turn)
  dialogue.txt   reference transcript, one turn per line
  dialogue.stm   speaker-attributed reference (NIST STM)

Turn boundaries are the real speech extents: the leading and trailing
silence of every synthesised turn is trimmed with an amplitude threshold,
and all times are computed from sample counts.

Requirements: python3 (stdlib only), espeak-ng and sox on PATH.
The output is deterministic for a given espeak-ng / sox version (no dither,
fixed gaps, no randomness).

Usage:  python3 example/make_example.py [--outdir DIR]
"""

from __future__ import annotations

import argparse
import array
import shutil
import subprocess
import sys
import wave
from pathlib import Path

SAMPLE_RATE = 16000
FILE_ID = "dialogue"

# speaker label -> espeak-ng settings (voice+variant, words/min, pitch 0-99)
VOICES = {
    "ALICE": {"voice": "en-us+f3", "speed": 180, "pitch": 75},
    "BOB": {"voice": "en-gb+m3", "speed": 165, "pitch": 25},
}

# (speaker, text) in order; strictly alternating, plain common words.
TURNS = [
    ("ALICE", "Good morning Bob. Are you ready for our trip?"),
    ("BOB", "Almost. I still need train tickets."),
    ("ALICE", "The morning train is fast and cheap."),
    ("BOB", "Good idea. What will the weather be like?"),
    ("ALICE", "Warm and sunny, but bring a jacket."),
    ("BOB", "I will. Where are we going to stay?"),
    ("ALICE", "I found a small hotel near the old town."),
    ("BOB", "Great. Can we walk to the river?"),
    ("ALICE", "Yes, it is only ten minutes away."),
    ("BOB", "Then let us meet at the station at eight."),
    ("ALICE", "Perfect. I will bring some coffee."),
    ("BOB", "Thank you. See you on Monday."),
]

# Silence before the first turn, between consecutive turns (seconds), and
# after the last turn.  Fixed values -> deterministic output.
LEAD_IN = 0.25
GAPS = [0.45, 0.35, 0.55, 0.30, 0.50, 0.40, 0.60, 0.35, 0.45, 0.55, 0.40]
TAIL = 0.25

# A sample counts as speech when |x| exceeds this fraction of full scale.
TRIM_THRESHOLD = 0.01
# Keep this many seconds of audio around the detected speech extent, so
# soft onsets/offsets are not clipped (these count as part of the turn).
TRIM_MARGIN = 0.02

assert len(GAPS) == len(TURNS) - 1
assert all(0.3 <= g <= 0.8 for g in GAPS)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        sys.exit(f"error: '{tool}' not found on PATH (apt-get install espeak-ng sox)")
    return path


def synth(text: str, voice: str, speed: int, pitch: int) -> array.array:
    """Return int16 samples of `text` spoken by espeak-ng, resampled to 16 kHz."""
    espeak = subprocess.run(
        [need("espeak-ng"), "-v", voice, "-s", str(speed), "-p", str(pitch),
         "--stdout", text],
        check=True, capture_output=True,
    ).stdout
    # espeak-ng emits a 22050 Hz mono WAV (with a streaming header);
    # sox converts it to raw 16 kHz mono s16le.  -D: no dither (deterministic).
    raw = subprocess.run(
        [need("sox"), "-V1", "-D", "-t", "wav", "-",
         "-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1",
         "-r", str(SAMPLE_RATE), "-L", "-", "rate", "-h", str(SAMPLE_RATE)],
        input=espeak, check=True, capture_output=True,
    ).stdout
    samples = array.array("h")
    samples.frombytes(raw)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def trim(samples: array.array) -> array.array:
    """Cut leading/trailing silence (amplitude threshold + small margin)."""
    thr = int(TRIM_THRESHOLD * 32768)
    loud = [i for i, s in enumerate(samples) if abs(s) > thr]
    if not loud:
        raise ValueError("synthesised turn is silent")
    margin = int(round(TRIM_MARGIN * SAMPLE_RATE))
    start = max(0, loud[0] - margin)
    end = min(len(samples), loud[-1] + 1 + margin)
    return samples[start:end]


def seconds_to_samples(sec: float) -> int:
    return int(round(sec * SAMPLE_RATE))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outdir", type=Path, default=Path(__file__).resolve().parent)
    args = ap.parse_args()
    outdir: Path = args.outdir
    outdir.mkdir(parents=True, exist_ok=True)

    audio = array.array("h", bytes(2 * seconds_to_samples(LEAD_IN)))
    segments = []  # (speaker, start_sample, n_samples, text)
    for i, (spk, text) in enumerate(TURNS):
        if i > 0:
            audio.extend(array.array("h", bytes(2 * seconds_to_samples(GAPS[i - 1]))))
        v = VOICES[spk]
        turn = trim(synth(text, v["voice"], v["speed"], v["pitch"]))
        segments.append((spk, len(audio), len(turn), text))
        audio.extend(turn)
    audio.extend(array.array("h", bytes(2 * seconds_to_samples(TAIL))))

    pcm = audio
    if sys.byteorder == "big":
        pcm = array.array("h", audio)
        pcm.byteswap()
    with wave.open(str(outdir / f"{FILE_ID}.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())

    def t(n: int) -> str:
        return f"{n / SAMPLE_RATE:.3f}"

    rttm, txt, stm = [], [], []
    for spk, start, n, text in segments:
        rttm.append(f"SPEAKER {FILE_ID} 1 {t(start)} {t(n)} <NA> <NA> {spk} <NA> <NA>")
        txt.append(text)
        stm.append(f"{FILE_ID} 1 {spk} {t(start)} {t(start + n)} {text}")
    for name, lines in (("rttm", rttm), ("txt", txt), ("stm", stm)):
        (outdir / f"{FILE_ID}.{name}").write_text("\n".join(lines) + "\n", encoding="utf-8")

    total = len(audio) / SAMPLE_RATE
    size = (outdir / f"{FILE_ID}.wav").stat().st_size
    print(f"wrote {outdir}/{FILE_ID}.{{wav,rttm,txt,stm}}: "
          f"{total:.3f} s, {len(segments)} turns, {size} bytes")
    # 16 kHz * 16 bit mono = 32 kB/s, so <= 1 MB means <= ~31.2 s of audio.
    if not (30.0 <= total <= 60.0) or size > 1_000_000:
        print(f"warning: expected 30-60 s and <= 1,000,000 bytes "
              f"(got {total:.3f} s, {size} bytes); different espeak-ng version?",
              file=sys.stderr)


if __name__ == "__main__":
    main()
