"""The per-run cleanup-verification report: every sample's 19 checkpoints, four verdicts, peaks and alerts."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from . import __version__
from .atomic import atomic_path, write_json, write_text
from .creep import floor_trend
from .errors import VramscribeError
from .memory import GB
from .stages import CHECKPOINT_NAMES, STAGE_CHECKPOINTS, STAGES, SamplePaths

VERDICT_ORDER = ["leak", "partial", "good", "negligible"]
FIGURE_MEANING = {
    "nvml_process": "this process's GPU memory from NVML (sees CTranslate2 and PyTorch)",
    "torch_allocated": "PyTorch allocator (NVML process figures unavailable)",
    "rss": "process anonymous resident memory (CPU run)",
}


def load_sample(results: str | os.PathLike, sample: str) -> dict[str, dict]:
    """The stage memory logs of one sample that exist, by stage."""
    paths = SamplePaths.under(results, sample)
    return {s: json.loads(paths.memory(s).read_text(encoding="utf-8")) for s in STAGES if paths.memory(s).exists()}


def check_checkpoints(sample: str, logs: dict[str, dict]) -> list[dict]:
    """All 19 checkpoints in order, each exactly once, or an error naming what is wrong."""
    points = [c for stage in STAGES for c in logs.get(stage, {}).get("checkpoints", [])]
    names = [c["name"] for c in points]
    missing = [n for n in CHECKPOINT_NAMES if n not in names]
    if missing:
        raise VramscribeError(sample, f"memory log lacks checkpoint(s): {', '.join(missing)}", "re-run the sample's stages")
    if names != CHECKPOINT_NAMES:
        raise VramscribeError(sample, "memory checkpoints are duplicated or out of order", "re-run the sample's stages")
    return points


def summarise_sample(sample: str, logs: dict[str, dict]) -> dict[str, Any]:
    """Checkpoints, verdicts, peak per stage, alerts and fallbacks of one sample."""
    points = check_checkpoints(sample, logs)
    peaks = {}
    for stage, names in STAGE_CHECKPOINTS.items():
        stage_points = [p for p in points if p["name"] in names]
        peaks[stage] = max(_peak_of(p) for p in stage_points)
    transcribe = logs["transcribe"].get("details", {})
    final = logs["final"].get("details", {})
    fallbacks = [
        {"stage": stage, "attempt": logs[stage]["details"]["settings"]["attempt"], "settings": logs[stage]["details"]["settings"]}
        for stage in ("transcribe",)
        if logs[stage].get("details", {}).get("settings", {}).get("attempt", 1) > 1
    ]
    return {
        "device": logs["preprocess"]["device"],
        "model": transcribe.get("model"),
        "compute_type": transcribe.get("compute_type"),
        "channels": logs["preprocess"].get("details", {}).get("channels"),
        "checkpoints": [
            {k: p[k] for k in ("name", "time", "figure", "value", "total", "percent", "level", "advice", "reading")}
            for p in points
        ],
        "cleanups": [c for stage in STAGES for c in logs[stage].get("cleanups", [])],
        "peaks": peaks,
        "warnings": [w for stage in STAGES for w in logs[stage].get("warnings", [])],
        "fallbacks": fallbacks,
        "floor": {"value": points[-1]["value"], "figure": points[-1]["figure"],
                  "process": final.get("process"), "file_in_process": final.get("file_in_process")},
    }


def creep_by_process(summaries: dict[str, dict]) -> list[dict[str, Any]]:
    """The floor's trend over the files of each process that ran at least MIN_FILES of them."""
    runs: dict[str, list[tuple[int, str, int]]] = {}
    for name, summary in summaries.items():
        floor = summary["floor"]
        if floor["process"]:
            runs.setdefault(floor["process"], []).append((floor["file_in_process"], name, floor["value"]))
    found = []
    for process, files in runs.items():
        files.sort()
        trend = floor_trend([value for _, _, value in files])
        if trend:
            found.append({"process": process, "samples": [name for _, name, _ in files], **trend.as_dict()})
    return found


def _peak_of(point: dict) -> int:
    """The highest figure a checkpoint saw: its value, or the allocator peak since the previous one."""
    reading = point["reading"]
    if point["figure"] == "rss":
        return point["value"]
    return max(point["value"], reading.get("torch_peak") or 0)


def worst_verdict(verdicts: list[str]) -> str:
    """leak > partial > good; 'negligible' (nothing measurable was taken) only when nothing else."""
    present = [v for v in VERDICT_ORDER if v in verdicts]
    return present[0] if present else "none"


def failure_line(results: str | os.PathLike, logs_dir: str | os.PathLike | None, sample: str) -> str:
    """The error a failed sample ended with, from its memory logs or its rule logs."""
    for log in load_sample(results, sample).values():
        if log.get("error"):
            return f"{log['stage']}: {log['error']['message']}"
    for stage in STAGES[:-1]:
        path = Path(logs_dir or "logs") / stage / f"{sample}.log"
        if path.exists():
            errors = [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if "error" in line.lower()]
            if errors:
                return f"{stage}: {errors[-1].strip()}"
    return "did not complete (see logs/)"


def build_report(samples, results: str | os.PathLike, partial: bool = False, logs_dir=None) -> dict[str, Any]:
    """The report document. With ``partial``, samples without all five stage logs are listed as failures."""
    summaries, failures = {}, []
    for sample in samples:
        logs = load_sample(results, sample)
        if partial and (set(logs) != set(STAGES) or any(log.get("error") for log in logs.values())):
            failures.append({"sample": sample, "error": failure_line(results, logs_dir, sample)})
            continue
        summaries[sample] = summarise_sample(sample, logs)
    verdicts = [c["verdict"] for s in summaries.values() for c in s["cleanups"]]
    floors = creep_by_process(summaries)
    alerts = [
        {"sample": name, "checkpoint": p["name"], "level": p["level"], "percent": p["percent"], "advice": p["advice"]}
        for name, s in summaries.items()
        for p in s["checkpoints"]
        if p["level"] != "normal"
    ]
    return {
        "schema": "vramscribe.report/1",
        "version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "figures": FIGURE_MEANING,
        "worst_verdict": worst_verdict(verdicts),
        "verdict_counts": {v: verdicts.count(v) for v in VERDICT_ORDER if v in verdicts},
        "alerts": alerts,
        "warnings": [{"sample": n, "warning": w} for n, s in summaries.items() for w in s["warnings"]],
        "fallbacks": [{"sample": n, **f} for n, s in summaries.items() for f in s["fallbacks"]],
        "failures": failures,
        "floors": floors,
        "creep": [run["process"] for run in floors if run["creep"]],
        "samples": summaries,
    }


def to_markdown(doc: dict[str, Any]) -> str:
    """A human-readable version of the report."""
    lines = [
        "# Cleanup verification report",
        "",
        f"vramscribe {doc['version']}, {doc['created']}. Worst verdict: **{doc['worst_verdict']}**.",
        "",
        "Verdict: recovered = (before - after) / (before - baseline); >= 95 % good, < 50 % leak, else partial;",
        "baseline = the figure just before the model or tensor was loaded (after device initialisation).",
        "",
    ]
    if doc["failures"]:
        lines += ["## Failures", ""] + [f"- `{f['sample']}`: {f['error']}" for f in doc["failures"]] + [""]
    for run in doc["floors"]:
        if run["creep"]:
            lines += ["## Memory creep across files", "", creep_line(run), ""]
    if doc["alerts"]:
        lines += ["## Memory alerts", ""]
        lines += [f"- `{a['sample']}` {a['checkpoint']}: {a['level']} ({a['percent']:.1f}%) — {a['advice']}" for a in doc["alerts"]]
        lines.append("")
    for item in doc["warnings"]:
        lines.append(f"- warning `{item['sample']}`: {item['warning']}")
    for item in doc["fallbacks"]:
        lines.append(f"- fallback `{item['sample']}`: {item['stage']} attempt {item['attempt']} used {item['settings']['whisper_model']} {item['settings']['compute_type']} batch {item['settings']['batch_size']}")
    for name, s in doc["samples"].items():
        lines += [f"## {name}", "", f"Device `{s['device']}`, Whisper `{s['model']}` ({s['compute_type']}).", ""]
        if s.get("channels"):
            lines += [channels_line(s["channels"]), ""]
        lines += ["| cleanup | figure | baseline GB | before GB | after GB | recovered | verdict |", "|---|---|---|---|---|---|---|"]
        for c in s["cleanups"]:
            recovered = "—" if c["recovered"] is None else f"{100 * c['recovered']:.1f} %"
            lines.append(
                f"| {c['name']} | {c['figure']} | {c['baseline'] / GB:.3f} | {c['before'] / GB:.3f} | {c['after'] / GB:.3f} | {recovered} | {c['verdict']} |"
            )
        lines += ["", "| checkpoint | figure | GB | % | level |", "|---|---|---|---|---|"]
        for p in s["checkpoints"]:
            lines.append(f"| {p['name']} | {p['figure']} | {p['value'] / GB:.3f} | {p['percent']:.1f} | {p['level']} |")
        peaks = ", ".join(f"{stage} {value / GB:.3f} GB" for stage, value in s["peaks"].items())
        lines += ["", f"Peak per stage: {peaks}.", ""]
    return "\n".join(lines) + "\n"


def creep_line(run: dict[str, Any]) -> str:
    """What the floor did over one process's files, and what to look for."""
    return (
        f"- process `{run['process']}`: the floor after the final cleanup rose from {run['first'] / 2**20:.0f} MB to "
        f"{run['last'] / 2**20:.0f} MB over {run['files']} files ({run['slope_per_file'] / 2**20:+.1f} MB per file, "
        f"`{run['samples'][0]}` to `{run['samples'][-1]}`) while each file's cleanups were verified: something "
        "keeps memory per file outside them (a cache, a list of results)"
    )


def channels_line(channels: dict[str, Any]) -> str:
    """One line: how the channels were treated and the figures the choice rests on."""
    figures = ", ".join(f"{k} {channels[k]}" for k in ("own_share", "max_correlation", "kept_seconds") if k in channels)
    return (f"Channels: {channels['channels']}, {channels['requested']} -> **{channels['decision']}** "
            f"({channels['reason']}{'; ' + figures if figures else ''}).")


def plot_timeline(name: str, summary: dict[str, Any], path: str | os.PathLike) -> None:
    """Bar chart of the 19 checkpoints (primary figure, coloured by level)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = summary["checkpoints"]
    colours = {"normal": "#4c72b0", "notice": "#dd8452", "critical": "#c44e52"}
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.bar(range(len(points)), [p["value"] / GB for p in points], color=[colours[p["level"]] for p in points])
    if summary["device"].startswith("cuda"):
        torch_values = [(p["reading"].get("torch_allocated") or 0) / GB for p in points]
        ax.plot(range(len(points)), torch_values, "k.--", label="torch allocated")
        ax.legend()
    ax.set_xticks(range(len(points)), [p["name"] for p in points], rotation=60, ha="right", fontsize=7)
    label = FIGURE_MEANING.get(points[0]["figure"], points[0]["figure"])
    ax.set_ylabel(f"GB ({points[0]['figure']})")
    ax.set_title(f"{name}: memory at the 19 checkpoints ({summary['device']}; {label})", fontsize=9)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)


def write_report(samples, results, out_dir, fail_on_leak: bool = False, logs_dir=None, partial: bool = False) -> dict:
    """Write cleanup_verification.json/.md and timelines/<sample>.png; fail on a leak when asked."""
    doc = build_report(samples, results, partial=partial, logs_dir=logs_dir)
    out = Path(out_dir)
    timelines = out / "timelines"
    timelines.mkdir(parents=True, exist_ok=True)
    for name, summary in doc["samples"].items():
        plot_timeline(name, summary, timelines / f"{name}.png")
    write_json(out / "cleanup_verification.json", doc)
    write_text(out / "cleanup_verification.md", to_markdown(doc))
    if fail_on_leak and doc["worst_verdict"] == "leak":
        leaks = [f"{n}/{c['name']}" for n, s in doc["samples"].items() for c in s["cleanups"] if c["verdict"] == "leak"]
        raise VramscribeError(out / "cleanup_verification.json", f"memory leak: {', '.join(leaks)}", "see the report; fix the cleanup or set fail_on_leak: false")
    return doc
