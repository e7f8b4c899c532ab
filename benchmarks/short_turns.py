"""Make conversations with one extra talker of a single short turn, the case the speaker count misses most.

python benchmarks/short_turns.py OUT [--count 20] [--utterances DIR]
Each is a 30-50 s conversation of 1-3 LibriSpeech voices from ../shared/eval/make_conversations.py
(seeds 300, 301, ...) with one 1-4 s turn of another voice inserted at a pause between turns; the
RTTM keeps every turn exact. Score them with `benchmarks/diarization.py --data OUT`.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from pyannote.core import Annotation, Segment

from vramscribe.formats import read_rttm, turns_of, write_rttm

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
sys.path.insert(0, str(EVAL))
import make_conversations  # noqa: E402  (the shared generator's loading and cutting of utterances)

VOICES = ["1688", "1998", "2033", "2414", "533"]


def short_turn(utterances: Path, voice: str, rng, sr: int) -> np.ndarray:
    """A random 1-4 s stretch of speech of ``voice`` (the longest piece, whole, when none is that long)."""
    pieces = [p for f in sorted((utterances / voice).glob("*.flac")) for p in make_conversations.pieces(make_conversations.load(f))]
    length = int(rng.uniform(1.0, 4.0) * sr)
    longest = max(pieces, key=len)
    if len(longest) < length:
        return longest
    piece = pieces[int(rng.integers(len(pieces)))]
    while len(piece) < length:
        piece = pieces[int(rng.integers(len(pieces)))]
    return piece[:length]


def make(utterances: Path, out: Path, index: int, rng, scratch: Path) -> str:
    seed, voices, talkers = 300 + index, list(rng.permutation(VOICES)), [1, 2, 2, 3][index % 4]
    base, extra = voices[:talkers], voices[talkers]
    name = f"x{seed}"
    subprocess.run([sys.executable, str(EVAL / "make_conversations.py"), str(utterances), str(scratch), "--speakers",
                    ",".join(base), "--name", name, "--seed", str(seed), "--minutes", str(0.5 + 0.05 * (index % 5)),
                    "--overlap", "0.1"], check=True, capture_output=True)
    samples, sr = sf.read(scratch / f"{name}.wav")
    turns = turns_of(read_rttm(scratch / f"{name}.rttm"))
    duration = len(samples) / sr
    pauses = [end for _, end, _ in turns if 0.2 * duration < end < 0.8 * duration
              and not any(start < end + 0.1 and end < stop for start, stop, _ in turns)]
    at = float(rng.choice(pauses)) + 0.1
    piece = short_turn(utterances, extra, rng, sr)
    level = np.sqrt(np.mean(samples[np.abs(samples) > 0.01] ** 2))
    piece = piece / np.sqrt(np.mean(piece ** 2)) * level * 10 ** (rng.uniform(-3, 3) / 20)
    cut, gap = int(at * sr), np.zeros(int(0.3 * sr))
    sf.write(out / f"{name}.wav", np.concatenate([samples[:cut], piece, gap, samples[cut:]]).astype(np.float32), sr)
    shift = (len(piece) + len(gap)) / sr
    reference = Annotation(uri=name)
    for start, stop, who in turns:
        reference[Segment(start + shift * (start >= at), stop + shift * (start >= at)), len(reference)] = who
    reference[Segment(at, at + len(piece) / sr), len(reference)] = extra
    write_rttm(reference, out / f"{name}.rttm")
    return f"{name}: {'+'.join(base)} and {extra} for {len(piece) / sr:.1f} s at {at:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--utterances", type=Path, default=EVAL / "utterances")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as scratch:
        for index in range(args.count):
            print(make(args.utterances, args.out, index, rng, Path(scratch)), flush=True)


if __name__ == "__main__":
    main()
