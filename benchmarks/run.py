"""vramscribe against the raw libraries, side by side in one run; results in docs/benchmarks.md.

    .venv/bin/python benchmarks/run.py --quick          # about 13 minutes on 2 quiet cores (docs/benchmarks.md)
    .venv/bin/python benchmarks/run.py --quick --threads 1   # on a shared machine: see "Threads" in docs/benchmarks.md
    .venv/bin/python benchmarks/run.py                  # more repeats, more batch sizes, per-sample mode on all clips
    VRAMSCRIBE_WHISPERX_PYTHON=/tmp/venv-wx/bin/python .venv/bin/python benchmarks/run.py --quick

Every measurement is a whole process started from here; wall time by the clock, peak RSS from the
kernel (``wait4``: the largest resident set of the process or any descendant it waited for).
Benchmarks:
  transcribe  the transcribe stage (process running vramscribe.stages.run_transcribe, and the real
              workflow rule's job) vs raw faster-whisper, same audio/model/settings, interleaved, medians
  corpus      20 clips of 10-30 s: the workflow (batch_files N) vs one in-process loop loading each model once
  e2e         GPUTranscriptionPipeline.process on the example and dev00: real-time factor
  whisperx    whisperx transcription on the same local model (only with VRAMSCRIBE_WHISPERX_PYTHON / --whisperx-python)
Ends with ``ratios: transcribe/raw=X.XX corpus_throughput=Y.YY e2e_rtf=Z.ZZ``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import corpus

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable
SNAKEMAKE = str(VENV_BIN / "snakemake")
THREADS = 2  # every process's thread count and snakemake's --cores; set by --threads
TARGETS = {"transcribe/raw": ("<=", 1.10), "corpus_throughput": (">=", 0.80), "e2e_rtf": ("<=", 0.50)}


@dataclass
class Run:
    """One measured process."""

    label: str
    wall_s: float
    peak_rss_mb: float
    rc: int
    stdout: str
    load_1min: float  # the machine's 1-minute load average when it ended (2 cores: above ~2.5, others ran too)


def environment() -> dict[str, str]:
    """The environment of every measured process: the venv first on PATH, no telemetry, the thread count."""
    env = dict(os.environ)
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYANNOTE_METRICS_ENABLED="false",
        OMP_NUM_THREADS=str(THREADS),
        PYTHONUNBUFFERED="1",
    )
    return env


def measure(label: str, cmd: list[str], cwd: str | Path = REPO, env: dict | None = None, log: Path | None = None) -> Run:
    """Run ``cmd`` to completion; wall clock and the kernel's peak RSS of its process tree."""
    out = open(log, "w", encoding="utf-8") if log else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=env or environment(), stdout=subprocess.PIPE, stderr=out, text=True)
        stdout = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log:
            out.close()
    run = Run(label, round(wall, 3), round(usage.ru_maxrss / 1024, 1), process.returncode, stdout.strip(),
              round(os.getloadavg()[0], 2))
    print(f"  {label}: {run.wall_s:.2f} s, peak RSS {run.peak_rss_mb:.0f} MB, rc {run.rc}, load {run.load_1min}", flush=True)
    if run.rc != 0:
        detail = f" (log: {log})" if log else ""
        raise SystemExit(f"benchmarks: {label} failed with exit code {run.rc}{detail}\n{' '.join(map(str, cmd))}")
    return run


def median(runs: list[Run], key: str = "wall_s") -> float:
    return round(statistics.median(getattr(r, key) for r in runs), 3)


def snakemake_cmd(workdir: Path, input_dir: Path, *extra: str, batch_files: int = 1) -> list[str]:
    """The workflow as a user runs it, in its own working directory."""
    return [
        SNAKEMAKE, *extra, "-s", str(REPO / "Snakefile"), "--directory", str(workdir), "--cores", str(THREADS),
        "--resources", "gpu=1", "--config", f"input_dir={input_dir}", f"batch_files={batch_files}",
    ]  # --config last: it swallows every argument after it


def rule_benchmark(workdir: Path, rule: str, name: str) -> dict[str, float]:
    """Snakemake's own benchmark record of one job (wall s, max_rss MB)."""
    with open(workdir / "benchmarks" / rule / f"{name}.tsv", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle, delimiter="\t"))
    return {"s": float(row["s"]), "max_rss": float(row["max_rss"])}


def check_checkpoints(results: Path, samples: list[str]) -> int:
    """Every sample must have all 19 checkpoints in its five memory logs; returns the total count."""
    total = 0
    for sample in samples:
        count = 0
        for stage in ("preprocess", "transcribe", "diarize", "align", "final"):
            record = json.loads((results / sample / "memory" / f"{stage}.json").read_text(encoding="utf-8"))
            count += len(record["checkpoints"])
        if count != 19:
            raise SystemExit(f"benchmarks: {sample} has {count} checkpoints, not 19 ({results / sample / 'memory'})")
        if not (results / sample / "aligned.json").exists():
            raise SystemExit(f"benchmarks: {sample} has no aligned.json")
        total += count
    return total


# --- 1. transcribe stage vs raw faster-whisper ------------------------------------------------------------


def bench_transcribe(tmp: Path, repeats: int, model_dir: str) -> dict:
    """Whole processes, interleaved raw / stage / rule job, on the example repeated 5 times (156 s)."""
    print("[1] transcribe stage vs raw faster-whisper", flush=True)
    long_wav = corpus.make_long_input(tmp / "long")
    sample = long_wav.stem
    stage_results = tmp / "stage-results"
    (stage_results / sample).mkdir(parents=True, exist_ok=True)
    shutil.copy(long_wav, stage_results / sample / "audio.wav")  # already 16 kHz mono: the preprocess output
    workdir = tmp / "wf-transcribe"
    target = f"results/{sample}/transcript.json"
    measure("workflow preprocess + transcribe (setup)", snakemake_cmd(workdir, long_wav.parent, target), log=tmp / "wf-setup.log")
    raw_cmd = [PYTHON, str(HERE / "raw_transcribe.py"), model_dir, str(long_wav), "--threads", str(THREADS)]
    stage_cmd = [PYTHON, str(HERE / "stage_transcribe.py"), str(stage_results), sample]
    rule_cmd = snakemake_cmd(workdir, long_wav.parent, target, "--forcerun", "transcribe")
    raw, stage, rule_wall, rule_jobs = [], [], [], []
    for i in range(repeats):
        raw.append(measure(f"raw faster-whisper #{i + 1}", raw_cmd))
        stage.append(measure(f"transcribe stage process #{i + 1}", stage_cmd))
        rule_wall.append(measure(f"snakemake transcribe rule #{i + 1}", rule_cmd, log=tmp / "wf-rule.log"))
        rule_jobs.append(rule_benchmark(workdir, "transcribe", sample))
    words = {r.stdout.splitlines()[-1] for r in raw + stage}  # the last line: words=N duration=S
    result = {
        "audio": str(long_wav), "audio_s": round(corpus.duration(long_wav), 2), "repeats": repeats,
        "raw_s": median(raw), "raw_rss_mb": median(raw, "peak_rss_mb"),
        "stage_s": median(stage), "stage_rss_mb": median(stage, "peak_rss_mb"),
        "rule_job_s": round(statistics.median(j["s"] for j in rule_jobs), 3),
        "rule_job_rss_mb": round(statistics.median(j["max_rss"] for j in rule_jobs), 1),
        "snakemake_s": median(rule_wall), "snakemake_rss_mb": median(rule_wall, "peak_rss_mb"),
        "outputs": sorted(words),
        "runs": [asdict(r) for r in raw + stage + rule_wall],
    }
    result["ratio"] = round(result["stage_s"] / result["raw_s"], 3)
    result["rule_job_ratio"] = round(result["rule_job_s"] / result["raw_s"], 3)
    return result


# --- 2. corpus throughput ---------------------------------------------------------------------------------


def bench_corpus(tmp: Path, model_dir: str, batch_sizes: list[int], per_sample_clips: int, baseline_repeats: int) -> dict:
    """Baseline loop vs the workflow with batch_files N; per-sample mode (N=1) on ``per_sample_clips`` clips."""
    print("[2] corpus throughput: workflow vs one in-process loop", flush=True)
    clips = corpus.make_clips(tmp / "clips")
    names = [c.stem for c in clips]
    audio_s = round(sum(corpus.duration(c) for c in clips), 2)
    baseline_cmd = [PYTHON, str(HERE / "baseline_loop.py"), model_dir, str(tmp / "baseline-out"), *map(str, clips)]
    baseline = [measure(f"baseline loop, {len(clips)} clips #{i + 1}", baseline_cmd, log=tmp / "baseline.log")
                for i in range(baseline_repeats)]
    base_s = median(baseline)
    rows = []
    for n in batch_sizes:
        workdir = tmp / f"wf-corpus-b{n}"
        run = measure(f"workflow batch_files={n}, {len(clips)} clips", snakemake_cmd(workdir, clips[0].parent, batch_files=n),
                      log=tmp / f"wf-corpus-b{n}.log")
        checkpoints = check_checkpoints(workdir / "results", names)
        jobs = sorted((workdir / "benchmarks" / "batch").glob("*.tsv"))
        rows.append({
            "batch_files": n, "clips": len(clips), "jobs": len(jobs), "wall_s": run.wall_s,
            "peak_rss_mb": run.peak_rss_mb, "checkpoints": checkpoints,
            "job_s": round(sum(rule_benchmark(workdir, "batch", j.stem)["s"] for j in jobs), 2),
            "ratio": round(base_s / run.wall_s, 3),
        })
    per_sample = None
    if per_sample_clips:
        subset = clips[:per_sample_clips]
        sub_dir = tmp / "clips-subset"
        sub_dir.mkdir(exist_ok=True)
        for clip in subset:
            shutil.copy(clip, sub_dir / clip.name)
        sub_base = measure(f"baseline loop, {len(subset)} clips",
                           [PYTHON, str(HERE / "baseline_loop.py"), model_dir, str(tmp / "baseline-sub"), *map(str, subset)],
                           log=tmp / "baseline-sub.log")
        workdir = tmp / "wf-corpus-b1"
        run = measure(f"workflow batch_files=1 (per-sample jobs), {len(subset)} clips",
                      snakemake_cmd(workdir, sub_dir, batch_files=1), log=tmp / "wf-corpus-b1.log")
        per_sample = {
            "batch_files": 1, "clips": len(subset), "jobs": 4 * len(subset), "wall_s": run.wall_s,
            "peak_rss_mb": run.peak_rss_mb, "checkpoints": check_checkpoints(workdir / "results", [c.stem for c in subset]),
            "baseline_s": sub_base.wall_s, "ratio": round(sub_base.wall_s / run.wall_s, 3),
        }
    best = max(rows, key=lambda r: r["ratio"])
    return {
        "clips": len(clips), "audio_s": audio_s, "baseline_s": base_s,
        "baseline_rss_mb": median(baseline, "peak_rss_mb"), "baseline_out": baseline[0].stdout,
        "batch": rows, "per_sample": per_sample, "best_batch_files": best["batch_files"], "ratio": best["ratio"],
    }


# --- 3. end-to-end real-time factor -----------------------------------------------------------------------


def bench_e2e(tmp: Path) -> dict:
    """GPUTranscriptionPipeline.process in a fresh process per file: the first call (cold) and a second (warm)."""
    print("[3] end-to-end real-time factor (API, CPU)", flush=True)
    rows = []
    for path in (corpus.EXAMPLE, corpus.EVAL_DATA / "dev00.wav"):
        run = measure(f"e2e {path.name} (cold + warm call)",
                      [PYTHON, str(HERE / "e2e.py"), str(tmp / "e2e-out"), str(path), str(path)])
        cold, warm = (json.loads(line) for line in run.stdout.splitlines()[-2:])
        rows.append({
            "file": path.name, "audio_s": round(cold["audio_s"], 2), "cold_s": cold["process_s"],
            "warm_s": warm["process_s"], "process_wall_s": run.wall_s, "peak_rss_mb": run.peak_rss_mb,
            "rtf_cold": round(cold["process_s"] / cold["audio_s"], 3), "rtf_warm": round(warm["process_s"] / warm["audio_s"], 3),
            "speakers": cold["speakers"], "words": cold["words"], "checkpoints": cold["checkpoints"],
        })
    return {"files": rows, "rtf": max(r["rtf_cold"] for r in rows)}


# --- 4. WhisperX ------------------------------------------------------------------------------------------


def bench_whisperx(tmp: Path, wx_python: str | None, model_dir: str, repeats: int) -> dict:
    """whisperx's transcription (its bundled pyannote VAD, batched) vs raw faster-whisper and our stage, same files."""
    print("[4] WhisperX (transcription only; its diarization and alignment models need the hub)", flush=True)
    if not wx_python or not Path(wx_python).exists():
        note = "skipped: set VRAMSCRIBE_WHISPERX_PYTHON (or --whisperx-python) to a venv's python with whisperx 3.8.6"
        print(f"  {note}", flush=True)
        return {"skipped": note}
    version = subprocess.run([wx_python, "-c", "import importlib.metadata as m; print(m.version('whisperx'))"],
                             capture_output=True, text=True, env=environment()).stdout.strip()
    long_wav = corpus.make_long_input(tmp / "long")
    rows = []
    for path in (corpus.EXAMPLE, long_wav):
        sample = f"wx-{path.stem}"
        results = tmp / "wx-stage"
        (results / sample).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, results / sample / "audio.wav")
        commands = {
            "whisperx (batch 8)": [wx_python, str(HERE / "whisperx_transcribe.py"), model_dir, str(path), "--batch-size", "8",
                                   "--threads", str(THREADS)],
            "raw faster-whisper": [PYTHON, str(HERE / "raw_transcribe.py"), model_dir, str(path), "--threads", str(THREADS)],
            "vramscribe stage (batch_size 1)": [PYTHON, str(HERE / "stage_transcribe.py"), str(results), sample],
            "vramscribe stage (batch_size 8)": [PYTHON, str(HERE / "stage_transcribe.py"), str(results), sample, "8"],
        }
        runs: dict[str, list[Run]] = {k: [] for k in commands}
        for i in range(repeats):
            for label, cmd in commands.items():
                runs[label].append(measure(f"{label}, {path.name} #{i + 1}", cmd, log=tmp / "wx.log"))
        for label, measured in runs.items():
            rows.append({"tool": label, "file": path.name, "audio_s": round(corpus.duration(path), 2),
                         "wall_s": median(measured), "peak_rss_mb": median(measured, "peak_rss_mb"),
                         "output": measured[-1].stdout.splitlines()[-1] if measured[-1].stdout else ""})
    return {"version": version, "python": wx_python, "rows": rows, "not_run": [
        "whisperx.load_align_model (wav2vec2 word alignment): downloads a model from the hub; the hub is unreachable",
        "whisperx.DiarizationPipeline: needs pyannote/speaker-diarization-3.1 from the hub and a token",
    ]}


# --- report -----------------------------------------------------------------------------------------------


def machine() -> dict:
    import importlib.metadata as meta

    versions = {p: meta.version(p) for p in ("torch", "faster-whisper", "ctranslate2", "pyannote.audio", "snakemake", "numpy")}
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), "?")
    return {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"), "cpu": cpu, "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
        "python": platform.python_version(), "versions": versions, "load_before": os.getloadavg(),
        "vramscribe_commit": subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                                            capture_output=True, text=True).stdout.strip(),
    }


def verdict(name: str, value: float | None) -> str:
    if value is None:
        return "not measured"
    op, target = TARGETS[name]
    met = value <= target if op == "<=" else value >= target
    return f"{'met' if met else 'NOT met'} ({value:.2f} {op} {target:.2f})" if met else f"NOT met ({value:.2f}, target {op} {target:.2f})"


def markdown(results: dict) -> str:
    """The tables for docs/benchmarks.md."""
    lines = []
    m = results["machine"]
    lines += [f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}; "
              + ", ".join(f"{k} {v}" for k, v in m["versions"].items())
              + f"; vramscribe {m['vramscribe_commit']}; {m['date']}; load average before: "
              + " ".join(f"{x:.2f}" for x in m["load_before"]), ""]
    t = results.get("transcribe")
    if t:
        lines += [f"### 1. Transcribe stage vs raw faster-whisper ({t['audio_s']} s of audio, median of {t['repeats']})", "",
                  "| process | wall s | peak RSS MB | vs raw |", "|---|---|---|---|",
                  f"| raw faster-whisper (`raw_transcribe.py`) | {t['raw_s']:.2f} | {t['raw_rss_mb']:.0f} | 1.00 |",
                  f"| transcribe stage (`stage_transcribe.py` → `run_transcribe`) | {t['stage_s']:.2f} | {t['stage_rss_mb']:.0f} | {t['ratio']:.2f} |",
                  f"| transcribe rule job (Snakemake's benchmark record) | {t['rule_job_s']:.2f} | {t['rule_job_rss_mb']:.0f} | {t['rule_job_ratio']:.2f} |",
                  f"| whole `snakemake --forcerun transcribe` (parse + DAG + job) | {t['snakemake_s']:.2f} | {t['snakemake_rss_mb']:.0f} | {t['snakemake_s'] / t['raw_s']:.2f} |",
                  "", f"Outputs: {', '.join(t['outputs'])}", ""]
    c = results.get("corpus")
    if c:
        lines += [f"### 2. Corpus: {c['clips']} clips, {c['audio_s']} s of audio", "",
                  "| run | jobs | wall s | peak RSS MB (largest process) | checkpoints | throughput vs baseline |", "|---|---|---|---|---|---|",
                  f"| baseline: one process, models loaded once (`baseline_loop.py`) | 1 | {c['baseline_s']:.2f} | {c['baseline_rss_mb']:.0f} | none | 1.00 |"]
        for r in c["batch"]:
            lines.append(f"| workflow `batch_files={r['batch_files']}` | {r['jobs']} batch + report | {r['wall_s']:.2f} | "
                         f"{r['peak_rss_mb']:.0f} | {r['checkpoints']} | {r['ratio']:.2f} |")
        p = c.get("per_sample")
        if p:
            lines += ["", f"Per-sample mode on the first {p['clips']} clips: baseline {p['baseline_s']:.2f} s, workflow "
                      f"`batch_files=1` ({p['jobs']} stage jobs + report) {p['wall_s']:.2f} s, peak RSS {p['peak_rss_mb']:.0f} MB, "
                      f"{p['checkpoints']} checkpoints: throughput {p['ratio']:.2f}."]
        lines.append("")
    e = results.get("e2e")
    if e:
        lines += [f"### 3. End-to-end real-time factor (API `GPUTranscriptionPipeline.process`, CPU, OMP_NUM_THREADS={results['threads']})", "",
                  "| file | audio s | first call s (RTF) | second call s (RTF) | whole process s | peak RSS MB | speakers | words | checkpoints |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in e["files"]:
            lines.append(f"| {r['file']} | {r['audio_s']} | {r['cold_s']:.2f} ({r['rtf_cold']:.3f}) | {r['warm_s']:.2f} ({r['rtf_warm']:.3f}) | "
                         f"{r['process_wall_s']:.2f} | {r['peak_rss_mb']:.0f} | {len(r['speakers'])} | {r['words']} | {r['checkpoints']} |")
        lines.append("")
    w = results.get("whisperx")
    if w:
        lines.append("### 4. WhisperX (transcription only)")
        lines.append("")
        if "skipped" in w:
            lines += [w["skipped"], ""]
        else:
            lines += [f"whisperx {w['version']} ({w['python']}), same local tiny.en directory, CPU int8, OMP_NUM_THREADS={results['threads']}.", "",
                      "| file | tool | wall s | peak RSS MB | output |", "|---|---|---|---|---|"]
            for r in w["rows"]:
                lines.append(f"| {r['file']} ({r['audio_s']} s) | {r['tool']} | {r['wall_s']:.2f} | {r['peak_rss_mb']:.0f} | {r['output']} |")
            lines += ["", "Not run (need the model hub): " + "; ".join(w["not_run"]), ""]
    lines.append(results["ratios_line"])
    return "\n".join(lines)


def main() -> None:
    global THREADS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, one batch size, per-sample mode on 3 clips")
    parser.add_argument("--threads", type=int, default=THREADS,
                        help="threads of every measured process (OMP_NUM_THREADS, CTranslate2, torch) and snakemake --cores")
    parser.add_argument("--only", nargs="+", choices=["transcribe", "corpus", "e2e", "whisperx"], help="run only these")
    parser.add_argument("--whisperx-python", default=os.environ.get("VRAMSCRIBE_WHISPERX_PYTHON"),
                        help="python of a venv with whisperx 3.8.6 (default: $VRAMSCRIBE_WHISPERX_PYTHON; skipped when unset)")
    parser.add_argument("--json", type=Path, help="write all results here")
    parser.add_argument("--markdown", type=Path, help="write the docs tables here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (inputs, workdirs, logs)")
    args = parser.parse_args()
    wanted = set(args.only or ["transcribe", "corpus", "e2e", "whisperx"])
    THREADS = args.threads

    sys.path.insert(0, str(REPO / "src"))
    from vramscribe.models import bundled_model_dir

    model_dir = str(bundled_model_dir())
    tmp = Path(tempfile.mkdtemp(prefix="vramscribe-bench-"))
    results: dict = {"machine": machine(), "quick": args.quick, "threads": THREADS}
    started = time.perf_counter()
    try:
        if "transcribe" in wanted:
            results["transcribe"] = bench_transcribe(tmp, 3 if args.quick else 5, model_dir)
        if "corpus" in wanted:
            results["corpus"] = bench_corpus(tmp, model_dir, batch_sizes=[20] if args.quick else [20, 10, 5],
                                             per_sample_clips=3 if args.quick else 20, baseline_repeats=1 if args.quick else 2)
        if "e2e" in wanted:
            results["e2e"] = bench_e2e(tmp)
        if "whisperx" in wanted:
            results["whisperx"] = bench_whisperx(tmp, args.whisperx_python, model_dir, 1 if args.quick else 3)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    results["total_s"] = round(time.perf_counter() - started, 1)
    ratios = {
        "transcribe/raw": results.get("transcribe", {}).get("ratio"),
        "corpus_throughput": results.get("corpus", {}).get("ratio"),
        "e2e_rtf": results.get("e2e", {}).get("rtf"),
    }
    results["ratios"] = ratios
    results["ratios_line"] = "ratios: " + " ".join(
        f"{k}={'n/a' if v is None else f'{v:.2f}'}" for k, v in ratios.items())
    print(f"\ntargets ({results['total_s']:.0f} s in all):")
    for name, value in ratios.items():
        print(f"  {name}: {verdict(name, value)}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(markdown(results) + "\n", encoding="utf-8")
    print(results["ratios_line"])


if __name__ == "__main__":
    main()
