"""The embedded diarization's CPU time by batch size, every setting in turn in one process.

python benchmarks/batch_sizes.py [--data DIR] [--rounds 2] [--sizes 16/16 16/8 8/8 16/4]
Each SIZE is segmentation chunks / CAM++ windows a batch; one line per round and setting with the
real-time factor over the folder's recordings (the dev set by default). Settings alternate, so a slow
phase of the machine touches them all (docs/benchmarks.md, "CAM++ in batches of 8 on CPU").
"""

import argparse
import tempfile
import time
from pathlib import Path

import torch

from vramscribe import audio, diarize
from vramscribe.embedded import SAMPLE_RATE, build_embedded_pipeline

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "diarization"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEV_SET, help="folder of recordings (*.wav)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sizes", nargs="+", default=["16/16", "16/8", "8/8", "16/4"], metavar="CHUNKS/WINDOWS")
    args = parser.parse_args()
    pipeline = build_embedded_pipeline(torch.device("cpu"))
    files = []
    with tempfile.TemporaryDirectory() as scratch:
        for wav in sorted(args.data.glob("*.wav")):
            mono = Path(scratch) / wav.name
            audio.preprocess(wav, mono, channels="mix")
            files.append({"waveform": diarize.waveform_tensor(audio.load_wav(mono), "cpu"), "sample_rate": SAMPLE_RATE})
    total = sum(file["waveform"].shape[-1] for file in files) / SAMPLE_RATE
    for round_ in range(1, args.rounds + 1):
        for size in args.sizes:
            pipeline.segmentation_batch_size, pipeline.embedding_batch_size = map(int, size.split("/"))
            start = time.perf_counter()
            for file in files:
                pipeline.apply(file)
            print(f"round {round_} batches {size}: RTF {(time.perf_counter() - start) / total:.3f}", flush=True)


if __name__ == "__main__":
    main()
