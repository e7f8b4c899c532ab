"""Make vox pops: an anchor opens and closes, and 3-4 other voices say one short turn each.

python benchmarks/vox_pops.py OUT [--count 10] [--utterances DIR]
Each file (seed 950, 951, ...) takes 4-5 LibriSpeech voices, each at its own pitch as in
monologues.py: the anchor talks 8-15 s, every other voice once for 3-6 s, then the anchor again
for 5-10 s (0.15-0.4 s pauses inside a turn, 0.3-0.8 s between turns). The talkers of one short
turn that broadcasts string together, and that pyaa holds in the dev set, with exact turns.
Score with `benchmarks/diarization.py --data OUT`.
"""

import numpy as np

from monologues import SR, cast, main, save, speak


def make(utterances, out, seed: int, scratch) -> str:
    rng = np.random.default_rng(seed)
    voices, pools, gains = cast(utterances, rng, scratch, 4, 5)
    order = [voices[0], *voices[1:], voices[0]]

    def length(turn: int) -> float:
        return rng.uniform(*(8, 15) if turn == 0 else (5, 10) if turn == len(order) - 1 else (3, 6))

    name = f"vox{seed}"
    samples, reference = speak(name, order, pools, gains, rng, length, pause=(0.15, 0.4), between=(0.3, 0.8), clip=True)
    save(out, name, samples, reference)
    talk = ", ".join(f"{v} {reference.label_duration(v):.1f} s" for v in voices)
    return f"{name}: {len(samples) / SR:.0f} s, {len(voices)} voices ({talk})"


if __name__ == "__main__":
    main(make, 950, __doc__)
