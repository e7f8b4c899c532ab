"""The embedded diarization over a folder of recordings with reference RTTMs (the dev set by default).

python benchmarks/diarization.py [--data DIR] [--given] [--set window=1.8 ...] [--json OUT]
Per file: DER at collar 0 and 0.25 s (overlap scored, within the UEM when given), speakers found /
true, seconds, real-time factor and the process's peak RSS so far (taken before scoring); then one closing line
`dev: mean_der0=… mean_der25=… count_exact=k/n rtf=…`. --given passes the reference's speaker
count; --set overrides an EmbeddedDiarization attribute (the sensitivity table in docs/accuracy.md).
"""

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import torch

from vramscribe import audio, diarize
from vramscribe.embedded import EmbeddedDiarization, build_embedded_pipeline
from vramscribe.evaluate import read_uem
from vramscribe.formats import read_rttm
from vramscribe.scoring import diarization_error_rate

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "diarization"


def score_file(pipeline, wav: Path, folder: Path, given: bool, scratch: Path) -> dict:
    reference = read_rttm(wav.with_suffix(".rttm"))
    uem_path = wav.with_suffix(".uem")
    uem = read_uem(uem_path) if uem_path.exists() else None
    mono = scratch / f"{wav.stem}.wav"
    audio.preprocess(wav, mono, channels="mix")
    samples = audio.load_wav(mono)
    speakers = {"num_speakers": len(reference.labels())} if given else {}
    start = time.perf_counter()
    hypothesis, _ = diarize.diarize(pipeline, diarize.waveform_tensor(samples, "cpu"), audio.SAMPLE_RATE, **speakers)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB, the process so far (before scoring)
    return {
        "der": diarization_error_rate(reference, hypothesis, uem),
        "der_collar_0.25": diarization_error_rate(reference, hypothesis, uem, collar=0.25),
        "speakers_hyp": len(hypothesis.labels()), "speakers_ref": len(reference.labels()),
        "seconds": seconds, "audio_seconds": len(samples) / audio.SAMPLE_RATE, "peak_rss_mb": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEV_SET, help="folder of NAME.wav + NAME.rttm (+ NAME.uem)")
    parser.add_argument("--given", action="store_true", help="give the pipeline the reference's speaker count")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override an EmbeddedDiarization attribute")
    parser.add_argument("--json", type=Path, help="write the per-file figures here")
    args = parser.parse_args()
    for item in args.set:
        name, value = item.split("=")
        if not hasattr(EmbeddedDiarization, name):
            parser.error(f"EmbeddedDiarization has no attribute {name}")
        setattr(EmbeddedDiarization, name, type(getattr(EmbeddedDiarization, name))(value))
    pipeline = build_embedded_pipeline(torch.device("cpu"))
    files = sorted(p for p in args.data.glob("*.wav") if p.with_suffix(".rttm").exists())
    rows = {}
    with tempfile.TemporaryDirectory() as scratch:
        for wav in files:
            rows[wav.stem] = row = score_file(pipeline, wav, args.data, args.given, Path(scratch))
            print(f"{wav.stem:26s} DER {row['der']:.3f}  c0.25 {row['der_collar_0.25']:.3f}  "
                  f"speakers {row['speakers_hyp']}/{row['speakers_ref']}  {row['seconds']:.1f} s "
                  f"(RTF {row['seconds'] / row['audio_seconds']:.3f}), peak RSS {row['peak_rss_mb']:.0f} MB", flush=True)
    n = len(rows)
    mean0 = sum(r["der"] for r in rows.values()) / n
    mean25 = sum(r["der_collar_0.25"] for r in rows.values()) / n
    exact = sum(r["speakers_hyp"] == r["speakers_ref"] for r in rows.values())
    rtf = sum(r["seconds"] for r in rows.values()) / sum(r["audio_seconds"] for r in rows.values())
    if args.json:
        args.json.write_text(json.dumps({"settings": args.set, "given": args.given, "files": rows}, indent=1))
    print(f"dev: mean_der0={mean0:.3f} mean_der25={mean25:.3f} count_exact={exact}/{n} rtf={rtf:.3f}")


if __name__ == "__main__":
    main()
