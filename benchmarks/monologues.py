"""Make broadcast-like recordings: 3-5 voices each holding the floor for long turns, some coming back.

python benchmarks/monologues.py OUT [--count 10] [--utterances DIR]
Each file (seed 900, 901, ...) takes 3-5 of the LibriSpeech voices, each at its own pitch (as
recorded, or resampled 18 % up or 14 % down with ffmpeg, as in news anchors and field reporters
who sound unlike the studio), and strings together 1-3 turns per voice of 6-25 s of its speech
pieces (from ../shared/eval/make_conversations.py) with 0.15-0.5 s pauses inside a turn and
0.3-1.2 s between turns. The RTTM marks each piece exactly. Score with
`benchmarks/diarization.py --data OUT`.
"""

import argparse
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from pyannote.core import Annotation, Segment

from short_turns import EVAL, VOICES, make_conversations  # the shared generator, found as short_turns.py finds it
from vramscribe.formats import write_rttm

PITCHES = {"": 1.0, "up": 1.18, "dn": 0.86}
SR = make_conversations.SR


def voice_pieces(utterances: Path, voice: str, pitch: str, scratch: Path) -> list[np.ndarray]:
    """Speech pieces of ``voice``, resampled to ``pitch`` (a key of PITCHES) at the same tempo."""
    rate, pieces = PITCHES[pitch], []
    for flac in sorted((utterances / voice).glob("*.flac")):
        source = flac
        if rate != 1.0:
            source = scratch / f"{voice}{pitch}_{flac.name}"
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(flac), "-af",
                            f"asetrate={SR}*{rate},aresample={SR},atempo=1/{rate}", "-ar", str(SR), str(source)], check=True)
        pieces += make_conversations.pieces(make_conversations.load(source))
    return pieces


def shuffled_pools(utterances: Path, picked, rng, scratch: Path) -> dict[str, list[np.ndarray]]:
    """Each picked (voice, pitch)'s speech pieces in a random order, keyed by voice + pitch."""
    pools = {}
    for voice, pitch in picked:
        pieces = voice_pieces(utterances, voice, pitch, scratch)
        pools[voice + pitch] = [pieces[i] for i in rng.permutation(len(pieces))]
    return pools


def speak(name, order, pools, gains, rng, length, pause=(0.15, 0.5), between=(0.3, 1.2), clip=False):
    """(samples, reference) of the voices in ``order`` taking turns of ``length(turn)`` s of their pieces.

    Pieces are levelled to ``gains``, with ``pause`` s inside a turn and ``between`` s after it;
    ``clip`` cuts the last piece of a turn so that the turn ends near its length.
    """
    audio, at = [np.zeros(SR // 2)], 0.5
    reference = Annotation(uri=name)
    for turn, voice in enumerate(order):
        limit, spoken = length(turn), 0.0
        while spoken < limit and pools[voice]:
            piece = pools[voice].pop()
            if clip:
                piece = piece[:int((limit - spoken + 0.5) * SR)]
            piece = piece / (np.sqrt(np.mean(piece ** 2)) + 1e-8) * 0.05 * gains[voice]
            reference[Segment(at, at + len(piece) / SR), len(reference)] = voice
            gap = np.zeros(int(rng.uniform(*pause) * SR))
            audio += [piece, gap]
            at, spoken = at + (len(piece) + len(gap)) / SR, spoken + len(piece) / SR
        gap = np.zeros(int(rng.uniform(*between) * SR))
        audio.append(gap)
        at += len(gap) / SR
    samples = np.concatenate(audio)
    floor = np.convolve(rng.standard_normal(len(samples)), np.ones(8) / 8, "same")  # make_conversations.py's low-passed floor
    return samples + floor / np.std(floor) * 0.002, reference


def cast(utterances: Path, rng, scratch: Path, fewest: int, most: int):
    """(voices, shuffled pools, gains) of fewest..most LibriSpeech voices, each at a random pitch and level."""
    picked = [(v, str(rng.choice(list(PITCHES)))) for v in rng.choice(VOICES, size=int(rng.integers(fewest, most + 1)), replace=False)]
    voices = [voice + pitch for voice, pitch in picked]
    pools = shuffled_pools(utterances, picked, rng, scratch)
    return voices, pools, {v: 10 ** (rng.uniform(-5, 3) / 20) for v in voices}


def save(out: Path, name: str, samples: np.ndarray, reference: Annotation) -> None:
    sf.write(out / f"{name}.wav", samples.astype(np.float32), SR)
    write_rttm(reference, out / f"{name}.rttm")


def make(utterances: Path, out: Path, seed: int, scratch: Path) -> str:
    rng = np.random.default_rng(seed)
    voices, pools, gains = cast(utterances, rng, scratch, 3, 5)
    order = voices + list(rng.choice(voices, size=int(rng.integers(0, len(voices) + 1))))
    rng.shuffle(order)
    name = f"news{seed}"
    samples, reference = speak(name, order, pools, gains, rng, lambda turn: rng.uniform(6, 25))
    save(out, name, samples, reference)
    return f"{name}: {len(samples) / SR:.0f} s, {len(voices)} voices ({', '.join(voices)}), {len(order)} turns"


def main(make=make, first_seed: int = 900, doc: str = __doc__) -> None:
    """OUT [--count N] [--utterances DIR]: files of seeds first_seed.. made by ``make``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--utterances", type=Path, default=EVAL / "utterances")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for seed in range(first_seed, first_seed + args.count):
            print(make(args.utterances, args.out, seed, Path(scratch)), flush=True)


if __name__ == "__main__":
    main()
