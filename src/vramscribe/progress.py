"""Progress of a long stage: position / duration, × realtime and ETA, at most every 10 s or 5 % of the file.

A line goes to stdout (the rule's log in the workflow); `vramscribe run` on a terminal draws a bar on
stderr instead (`use_terminal_bar`). A stage that cannot tell its position still prints a line every
interval, with the time spent, so a log is never silent for long.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass

INTERVAL_SECONDS = 10.0
STEP_FRACTION = 0.05


@dataclass
class Status:
    """One progress report."""

    stage: str
    sample: str
    duration: float
    elapsed: float
    position: float | None = None
    step: str | None = None
    done: bool = False

    @property
    def fraction(self) -> float | None:
        if self.position is None or self.duration <= 0:
            return None
        return min(1.0, self.position / self.duration)

    def line(self) -> str:
        """`[progress] transcribe talk: 600.0 / 3600.0 s (16.7 %), 4.2× realtime, ETA 12 min`."""
        head = f"[progress] {self.stage} {self.sample}:"
        if self.step:
            head += f" {self.step}"
        if self.fraction is None:
            spent = f"done in {self.elapsed:.1f} s" if self.done else f"{self.elapsed:.0f} s spent"
            return f"{head} {spent} on {self.duration:.1f} s of audio"
        speed = self.position / self.elapsed if self.elapsed > 0 else 0.0
        text = f"{head} {self.position:.1f} / {self.duration:.1f} s ({100 * self.fraction:.1f} %), {speed:.1f}× realtime"
        if self.done:
            return f"{text}, done in {self.elapsed:.1f} s"
        if speed > 0:
            text += f", ETA {_clock((self.duration - self.position) / speed)}"
        return text


def _clock(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def log_lines(status: Status) -> None:
    print(status.line(), flush=True)


def terminal_bar(status: Status, width: int = 30) -> None:
    """One bar redrawn in place on stderr; a newline when the stage is done."""
    fraction = status.fraction or 0.0
    bar = "#" * int(width * fraction) + "-" * (width - int(width * fraction))
    text = status.line().removeprefix("[progress] ")
    sys.stderr.write(f"\r[{bar}] {text[:100]:<100}" + ("\n" if status.done else ""))
    sys.stderr.flush()


_display = log_lines


def use_terminal_bar() -> None:
    """Draw progress as a bar on stderr (for a terminal) instead of log lines."""
    global _display
    _display = terminal_bar


class Progress:
    """``with Progress("transcribe", sample, seconds) as p: ... p.update(position)``.

    Reports when 5 % more of the file is done or 10 s have passed since the last report (then from
    a timer, also when no position came), and once at the end.
    """

    def __init__(self, stage: str, sample: str, duration: float, interval: float = INTERVAL_SECONDS,
                 step: float = STEP_FRACTION, display=None) -> None:
        self.stage, self.sample, self.duration = stage, sample, duration
        self.interval, self.step = interval, step
        self.display = display or _display
        self._start = self._last_time = time.monotonic()
        self._position: float | None = None
        self._last_fraction = 0.0
        self._step_name: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._timer = threading.Thread(target=self._tick, name=f"progress-{stage}", daemon=True)

    def __enter__(self) -> "Progress":
        self._timer.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop.set()
        self._timer.join()
        if exc_type is None:
            self._report(done=True, position=self.duration if self._position is not None else None)

    def update(self, position: float, step: str | None = None) -> None:
        """The stage has reached ``position`` seconds of the file (of ``step``, when it has several)."""
        with self._lock:
            if step != self._step_name:
                self._step_name, self._last_fraction = step, 0.0
            self._position = min(position, self.duration)
            fraction = self._position / self.duration if self.duration > 0 else 1.0
            due = fraction - self._last_fraction >= self.step - 1e-9 or time.monotonic() - self._last_time >= self.interval
        if due:
            self._report()

    def hook(self, step_name: str, step_artifact=None, file=None, total: int | None = None, completed: int | None = None) -> None:
        """pyannote's pipeline hook: ``completed`` of ``total`` chunks of a step such as segmentation."""
        if total and completed is not None:
            self.update(self.duration * completed / total, step=step_name)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval / 5):
            if time.monotonic() - self._last_time >= self.interval:
                self._report()

    def _report(self, done: bool = False, position: float | None = None) -> None:
        with self._lock:
            now = time.monotonic()
            position = self._position if position is None else position
            self._last_time = now
            if position is not None and self.duration > 0:
                self._last_fraction = position / self.duration
            status = Status(self.stage, self.sample, self.duration, now - self._start, position,
                            None if done else self._step_name, done)
            self.display(status)
