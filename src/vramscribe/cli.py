"""`vramscribe run FILE...`: the whole pipeline in one process, printing the memory lines."""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__
from .errors import VramscribeError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vramscribe", description=__doc__)
    parser.add_argument("--version", action="version", version=f"vramscribe {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="transcribe and diarize files; artifacts under --out/<stem>/")
    run.add_argument("files", nargs="+", metavar="FILE")
    run.add_argument("--out", default="results", help="output folder (default: results)")
    run.add_argument("--model", default="tiny.en", help="Whisper model name, CTranslate2 directory, or auto")
    run.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    run.add_argument("--compute-type", default="auto")
    run.add_argument("--batch-size", type=int, default=1)
    run.add_argument("--language", default=None)
    run.add_argument("--pipeline", default="embedded", help="diarization: embedded, a local directory or a hub name")
    run.add_argument("--num-speakers", type=int)
    run.add_argument("--min-speakers", type=int)
    run.add_argument("--max-speakers", type=int)
    run.add_argument("--channels", default="auto", choices=["auto", "mix", "split"],
                     help="multi-channel input: mix, one track per channel (split), or decide (auto)")
    report = commands.add_parser("report", help="write the cleanup-verification report of a results folder")
    report.add_argument("results", help="results folder (holding <sample>/memory/*.json)")
    report.add_argument("--fail-on-leak", action="store_true")
    evaluate = commands.add_parser("evaluate", help="score a results folder against reference files (WER, DER, SA-WER)")
    evaluate.add_argument("--ref", required=True, help="folder of <sample>.txt/.rttm/.uem/.stm references")
    evaluate.add_argument("--hyp", required=True, help="results folder (holding <sample>/aligned.json)")
    evaluate.add_argument("--json", help="output file (default: <hyp>/evaluation.json)")
    return parser


def run_files(args: argparse.Namespace) -> int:
    """Process each file; one bad file is reported and the others still run."""
    from . import progress
    from .pipeline import GPUTranscriptionPipeline

    if sys.stderr.isatty():
        progress.use_terminal_bar()
    failed = 0
    with GPUTranscriptionPipeline(
        out_dir=args.out, whisper_model=args.model, device=args.device, compute_type=args.compute_type,
        batch_size=args.batch_size, language=args.language, diarization_pipeline=args.pipeline,
        num_speakers=args.num_speakers, min_speakers=args.min_speakers, max_speakers=args.max_speakers,
        channels=args.channels,
    ) as pipeline:
        for path in args.files:
            try:
                result = pipeline.process(path)
            except VramscribeError as error:
                print(error, file=sys.stderr, flush=True)
                failed += 1
                continue
            print(f"{path}: {len(result['words'])} words, speakers {', '.join(result['speakers']) or 'none'} -> {result['out_dir']}")
        trend = pipeline.creep()
    if trend and trend.creep:
        print(f"vramscribe: warning: memory creep: the floor after each file's final cleanup rose "
              f"{trend.slope_per_file / 2**20:+.1f} MB per file over {trend.files} files", file=sys.stderr)
    return 1 if failed else 0


def report_results(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .report import write_report

    samples = sorted(p.parent.parent.name for p in Path(args.results).glob("*/memory/final.json"))
    doc = write_report(samples, args.results, Path(args.results) / "report", fail_on_leak=args.fail_on_leak)
    print(json.dumps({"worst_verdict": doc["worst_verdict"], "samples": len(doc["samples"])}))
    return 0


def evaluate_results(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .atomic import write_json
    from .evaluate import evaluate, format_table

    doc = evaluate(args.ref, args.hyp)
    out = args.json or Path(args.hyp) / "evaluation.json"
    write_json(out, doc)
    print(format_table(doc))
    print(f"written: {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"run": run_files, "report": report_results, "evaluate": evaluate_results}[args.command](args)
    except VramscribeError as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
