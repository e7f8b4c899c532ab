"""Two-track recordings: accuracy per channels mode, and the split/mix time ratio measured interleaved.

python benchmarks/two_track.py score MODE FILE...      (MODE auto, mix or split; references next to each file)
python benchmarks/two_track.py time FILE [PAIRS] [A,B] (default mix,split: runs alternate A B, B A, ...)
A file's references are FILE's stem with .txt (WER), .rttm and .uem (DER, words with the right speaker).
"""

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from vramscribe import GPUTranscriptionPipeline
from vramscribe.evaluate import read_uem
from vramscribe.formats import read_rttm
from vramscribe.scoring import diarization_error_rate, word_error_rate, word_speaker_accuracy


def score(result: dict, source: Path) -> dict:
    """The decision, speakers and every metric whose reference exists beside ``source``."""
    row = {"file": source.stem, "decision": result["memory"]["preprocess"]["details"]["channels"]["decision"],
           "speakers": result["speakers"], "words": len(result["words"])}
    if source.with_suffix(".txt").exists():
        text = " ".join(s["text"] for s in result["segments"])
        row["wer"] = round(word_error_rate(source.with_suffix(".txt").read_text(), text), 3)
    if source.with_suffix(".rttm").exists():
        reference, hypothesis = read_rttm(source.with_suffix(".rttm")), read_rttm(Path(result["out_dir"]) / "diarization.rttm")
        uem = read_uem(source.with_suffix(".uem")) if source.with_suffix(".uem").exists() else None
        row["der"] = round(diarization_error_rate(reference, hypothesis, uem), 3)
        row["der_collar_0.25"] = round(diarization_error_rate(reference, hypothesis, uem, collar=0.25), 3)
        row["word_speaker_accuracy"] = round(word_speaker_accuracy(result["words"], reference), 3)
        row["word_speaker_accuracy_any_overlapping"] = round(word_speaker_accuracy(result["words"], reference, True), 3)
    return row


def timed(source: str, pairs: int, modes: list[str]) -> dict:
    """Seconds per run of each mode, alternating the order, and the ratio of the medians (second / first)."""
    with tempfile.TemporaryDirectory() as out:
        pipelines = {m: GPUTranscriptionPipeline(out_dir=Path(out) / m, echo=False, channels=m) for m in modes}
        for pipeline in pipelines.values():
            pipeline.process(source)  # imports and first-use costs out of the figures
        seconds = {m: [] for m in modes}
        for i in range(pairs):
            for mode in modes if i % 2 == 0 else modes[::-1]:
                start = time.perf_counter()
                pipelines[mode].process(source)
                seconds[mode].append(round(time.perf_counter() - start, 2))
    first, second = modes
    return {"seconds": seconds, "ratio": round(statistics.median(seconds[second]) / statistics.median(seconds[first]), 3)}


if __name__ == "__main__":
    if sys.argv[1] == "score":
        with tempfile.TemporaryDirectory() as out, GPUTranscriptionPipeline(out_dir=out, echo=False, channels=sys.argv[2]) as p:
            for name in sys.argv[3:]:
                print(json.dumps(score(p.process(name), Path(name))), flush=True)
    else:
        modes = sys.argv[4].split(",") if len(sys.argv) > 4 else ["mix", "split"]
        print(json.dumps(timed(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3, modes)))
