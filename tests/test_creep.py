"""Memory creep across files: flat floors pass, a per-file leak the verdicts cannot see is reported."""

import os

import pytest

from conftest import REPO, read_json, run_workflow
from media import speech_clip
from vramscribe.creep import floor_trend

MB = 2**20
MEASURED_FLAT = [576, 581, 581, 622, 623, 626, 628, 583, 612, 627]  # benchmarks/repeat_memory.py, MB


def test_the_measured_flat_floor_is_no_creep():
    trend = floor_trend([v * MB for v in MEASURED_FLAT])
    assert not trend.creep and trend.rise < 64 * MB


def test_a_steady_rise_within_the_same_noise_is_creep():
    floors = [(v + 32 * i) * MB for i, v in enumerate(MEASURED_FLAT)]
    trend = floor_trend(floors)
    assert trend.creep and trend.slope_per_file / MB == pytest.approx(32 + 4.5, abs=1)


def test_one_jump_is_no_creep_and_three_files_are_too_few():
    assert not floor_trend([600 * MB] * 5 + [900 * MB] + [600 * MB] * 5).creep
    assert floor_trend([100 * MB, 200 * MB, 300 * MB]) is None


@pytest.mark.slow
def test_a_per_file_leak_is_reported_as_creep_while_each_files_verdicts_hold(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    names = [f"clip{i}" for i in range(5)]
    for index, name in enumerate(names):
        speech_clip(corpus / f"{name}.wav", 3.0 * index, 2.0)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "tests" / "creep"), os.environ.get("PYTHONPATH")])))
    work = tmp_path / "work"
    run_workflow(work, "--config", f"input_dir={corpus}", "batch_files=5", env=env)
    report = read_json(work / "results/report/cleanup_verification.json")
    verdicts = [c["verdict"] for s in report["samples"].values() for c in s["cleanups"]]
    assert len(verdicts) == 20 and "leak" not in verdicts
    [run] = report["floors"]
    assert run["samples"] == names and run["creep"] and report["creep"] == [run["process"]]
    assert 30 * MB < run["slope_per_file"] < 70 * MB  # 48 MB kept per file
    markdown = (work / "results/report/cleanup_verification.md").read_text()
    assert "## Memory creep across files" in markdown and "MB per file" in markdown
