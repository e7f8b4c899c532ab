"""Progress lines: every 5 % or interval, with position, speed and ETA; in the rule logs of a real run."""

import os
import pty
import re
import sys
import time

import pytest

from conftest import EXAMPLE
from vramscribe.progress import Progress, Status


def test_reports_at_every_5_percent_and_once_at_the_end():
    seen = []
    with Progress("transcribe", "talk", 100.0, interval=60, display=seen.append) as progress:
        for position in range(1, 101):
            progress.update(float(position))
    assert [s.position for s in seen[:-1]] == [float(p) for p in range(5, 101, 5)]
    assert seen[-1].done and seen[-1].line().startswith("[progress] transcribe talk: 100.0 / 100.0 s (100.0 %)")


def test_a_silent_stage_still_reports_every_interval():
    seen = []
    with Progress("diarize", "talk", 3600.0, interval=0.2, display=seen.append) as progress:
        progress.update(36.0)  # 1 %: below the step
        time.sleep(0.7)
    timed = [s for s in seen if not s.done]
    assert len(timed) >= 2 and all(s.position == 36.0 for s in timed)
    assert re.fullmatch(r"\[progress\] diarize talk: 36\.0 / 3600\.0 s \(1\.0 %\), [\d.]+× realtime, ETA [\d.]+ (s|min|h)", timed[0].line())


def test_pyannote_hook_reports_each_step():
    seen = []
    with Progress("diarize", "talk", 60.0, interval=60, display=seen.append) as progress:
        for step in ("segmentation", "embeddings"):
            for done in range(0, 11):
                progress.hook(step, None, total=10, completed=done)
    steps = [s.step for s in seen if not s.done]
    assert steps.count("segmentation") == steps.count("embeddings") == 10
    assert "embeddings 60.0 / 60.0 s" in [s.line() for s in seen if s.step == "embeddings"][-1]


def test_eta_line():
    line = Status("transcribe", "talk", 3600.0, elapsed=150.0, position=600.0).line()
    assert line == "[progress] transcribe talk: 600.0 / 3600.0 s (16.7 %), 4.0× realtime, ETA 12 min"


@pytest.mark.slow
def test_rule_logs_show_progress(example_run):
    log = (example_run / "logs/transcribe/dialogue.log").read_text()
    lines = [line for line in log.splitlines() if line.startswith("[progress] transcribe dialogue: ")]
    positions = [float(re.search(r": ([\d.]+) / ", line).group(1)) for line in lines]
    assert len(lines) >= 3 and positions == sorted(positions) and "done in" in lines[-1]
    assert all(" / 31." in line for line in lines)
    diarize = (example_run / "logs/diarize/dialogue.log").read_text()
    assert "[progress] diarize dialogue: " in diarize and "done in" in diarize
    for step in ("segmentation", "embeddings"):  # the embedded diarizer reports where it is in each step
        assert re.search(rf"diarize dialogue: {step} [\d.]+ / 31\.\d s", diarize)


@pytest.mark.slow
def test_vramscribe_run_draws_a_bar_on_a_terminal(tmp_path):
    """The CLI on a real pseudo-terminal: bars redrawn in place on stderr, no plain progress lines."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: stdout and stderr are the terminal
        os.execv(sys.executable, [sys.executable, "-m", "vramscribe.cli", "run", str(EXAMPLE / "dialogue.wav"),
                                  "--out", str(tmp_path / "out"), "--device", "cpu"])
    screen = b""
    while True:
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    _, status = os.waitpid(pid, 0)
    text = screen.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text[-2000:]
    bars = re.findall(r"\r\[([#-]{30})\] transcribe dialogue: ", text)
    assert len(bars) >= 2 and bars[-1] == "#" * 30 and bars[0].count("#") < 30
    assert "[progress]" not in text
